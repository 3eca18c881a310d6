// Shared by the normalizer's files, not part of the semantics phase's interface: the typing of constants to a
// field's mapped type (constant_typing.cpp), as Elasticsearch's term and range queries convert their values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "semantics/normalizer.hpp"

namespace eqlc::semantics {

inline bool is_null_const(const Constant& c) { return std::holds_alternative<ast::Null>(c); }

const char* type_name(vm::FieldType t);

// A constant converted to a field's type, as a term or range query converts its value.
struct Converted {
    std::optional<Constant> value;  // set when usable
    bool never = false;             // the comparison can match nothing (equality of a long with 4.5)
    std::string error;              // Elasticsearch would fail the query
};

Converted convert_constant(const Constant& c, vm::FieldType type, bool ordered, std::string_view path);

// The mapping's null_value of a field, converted to the field's type: what a missing or null value reads as.
std::optional<Constant> null_value_of(const ResolvedField& r);

}  // namespace eqlc::semantics
