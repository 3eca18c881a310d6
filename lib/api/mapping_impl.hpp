#pragma once

#include "eqlc/mapping.hpp"
#include "semantics/schema.hpp"

namespace eqlc {

struct Mapping::Impl {
    semantics::Schema schema;
};

}  // namespace eqlc
