// The public option structs, translated to the phases' own.
#pragma once

#include "compiler/compiled_query.hpp"
#include "eqlc/query.hpp"

namespace eqlc::api {

compiler::CompileOptions compile_options(const QueryOptions& options);

}  // namespace eqlc::api
