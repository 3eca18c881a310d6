// Schema::merge: several schemas seen as one, for the field check (field_check.hpp) with `--schema` given more
// than once. Kept apart from the mapping parser (schema.cpp).
#include "semantics/schema.hpp"

namespace eqlc::semantics {

void Schema::merge(const Schema& other) {
    for (const auto& [path, field] : other.fields_) fields_.try_emplace(path, field);
}

}  // namespace eqlc::semantics
