// Constant typing: converts a query's constants to the mapped type of the field they are compared with, as
// Elasticsearch's term and range queries do (an error where Elasticsearch would fail the query).
#include <cmath>
#include <cstdint>

#include "matchers/cidr.hpp"
#include "semantics/normalizer_internal.hpp"
#include "values/number_format.hpp"
#include "values/timestamp.hpp"

namespace eqlc::semantics {

using vm::FieldType;

const char* type_name(FieldType t) {
    switch (t) {
        case FieldType::dynamic: return "dynamic";
        case FieldType::keyword: return "keyword";
        case FieldType::long_: return "long";
        case FieldType::double_: return "double";
        case FieldType::boolean: return "boolean";
        case FieldType::date: return "date";
        case FieldType::ip: return "ip";
        case FieldType::version: return "version";
        case FieldType::unsupported: return "unsupported";
    }
    return "?";
}

Converted convert_constant(const Constant& c, FieldType type, bool ordered, std::string_view path) {
    Converted out;
    if (is_null_const(c)) {
        out.value = c;
        return out;
    }
    auto fail = [&](std::string_view why) {
        out.error = "cannot compare field [" + std::string(path) + "] of type [" + type_name(type) + "] with [" +
                    describe(c) + "]: " + std::string(why);
        return out;
    };
    switch (type) {
        case FieldType::dynamic:
        case FieldType::unsupported: out.value = c; return out;
        case FieldType::keyword:
        case FieldType::version:
            switch (c.index()) {
                case 1: out.value = std::string(std::get<bool>(c) ? "true" : "false"); return out;
                case 2: out.value = vm::java_long_to_string(std::get<int64_t>(c)); return out;
                case 3: out.value = vm::java_double_to_string(std::get<double>(c)); return out;
                default: out.value = c; return out;
            }
        case FieldType::long_:
        case FieldType::double_: {
            double d = 0;
            bool is_double = false;
            switch (c.index()) {
                case 1: return fail("not a number");
                case 2: out.value = c; return out;
                case 3:
                    d = std::get<double>(c);
                    is_double = true;
                    break;
                case 4: {
                    std::string text = std::get<std::string>(c);
                    const auto begin = text.find_first_not_of(" \t\r\n");
                    const auto end = text.find_last_not_of(" \t\r\n");
                    text = begin == std::string::npos ? std::string() : text.substr(begin, end - begin + 1);
                    if (auto l = vm::java_parse_long(text)) {
                        out.value = *l;
                        return out;
                    }
                    if (auto dd = vm::java_parse_double(text)) {
                        d = *dd;
                        is_double = true;
                        break;
                    }
                    return fail("not a number");
                }
                default: out.value = c; return out;
            }
            if (is_double) {
                if (std::isnan(d)) {
                    out.never = true;
                    return out;
                }
                if (type == FieldType::long_ && !ordered) {
                    if (d != std::trunc(d) || std::fabs(d) >= 9.2233720368547758e18) {
                        out.never = true;
                        return out;
                    }
                    out.value = static_cast<int64_t>(d);
                    return out;
                }
                out.value = d;
            }
            return out;
        }
        case FieldType::boolean:
            if (c.index() == 1) {
                out.value = c;
                return out;
            }
            if (c.index() == 4) {
                const auto& s = std::get<std::string>(c);
                if (s == "true" || s == "false") {
                    out.value = s == "true";
                    return out;
                }
            }
            return fail("not a boolean");
        case FieldType::date: {
            input::TimestampResult r;
            switch (c.index()) {
                case 2: r = input::from_epoch_millis(std::get<int64_t>(c)); break;
                case 3: r = input::from_epoch_millis_double(std::get<double>(c)); break;
                case 4: r = input::parse_timestamp(std::get<std::string>(c)); break;
                default: return fail("not a date");
            }
            if (!r) return fail(std::string("not a date (") + input::describe(r.error) + ")");
            out.value = static_cast<int64_t>(r.nanos);
            return out;
        }
        case FieldType::ip: {
            if (c.index() != 4) return fail("not an IP string literal");
            const auto& s = std::get<std::string>(c);
            if (matchers::parse_ip(s)) {
                out.value = c;
                return out;
            }
            if (!ordered && std::holds_alternative<matchers::CidrBlock>(matchers::parse_cidr(s))) {
                out.value = c;
                return out;
            }
            return fail("not an IP string literal");
        }
    }
    out.value = c;
    return out;
}

std::optional<Constant> null_value_of(const ResolvedField& r) {
    if (!r.null_value) return std::nullopt;
    Converted c = convert_constant(Constant(*r.null_value), r.type, false, r.path);
    if (c.value && !is_null_const(*c.value)) return *c.value;
    return std::nullopt;
}

}  // namespace eqlc::semantics
