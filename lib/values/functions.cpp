#include "values/functions.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "matchers/cidr.hpp"
#include "text/utf16.hpp"
#include "values/number_format.hpp"
#include "values/string_functions.hpp"

namespace eqlc::vm {

Number to_number(const Value& v) {
    if (v.type == ValueType::floating) return Number::of_double(v.floating);
    if (is_java_int(v)) return Number::of_int(static_cast<int32_t>(v.integer));
    return Number::of_long(v.integer);
}

Value from_number(const Number& n) {
    switch (n.kind) {
        case NumberKind::Int: return make_java_int(n.i);
        case NumberKind::Long: return Value::of_int(n.l);
        case NumberKind::Double: return Value::of_double(n.d);
    }
    return Value::null();
}

const char* cmp_op_symbol(CmpOp op) {
    switch (op) {
        case CmpOp::eq: return "==";
        case CmpOp::ne: return "!=";
        case CmpOp::lt: return "<";
        case CmpOp::le: return "<=";
        case CmpOp::gt: return ">";
        case CmpOp::ge: return ">=";
    }
    return "?";
}

CmpOp swap_cmp(CmpOp op) {
    switch (op) {
        case CmpOp::lt: return CmpOp::gt;
        case CmpOp::le: return CmpOp::ge;
        case CmpOp::gt: return CmpOp::lt;
        case CmpOp::ge: return CmpOp::le;
        default: return op;
    }
}

CmpOp negate_cmp(CmpOp op) {
    switch (op) {
        case CmpOp::eq: return CmpOp::ne;
        case CmpOp::ne: return CmpOp::eq;
        case CmpOp::lt: return CmpOp::ge;
        case CmpOp::le: return CmpOp::gt;
        case CmpOp::gt: return CmpOp::le;
        case CmpOp::ge: return CmpOp::lt;
    }
    return op;
}

bool append_java_string(const Value& v, std::string& out) {
    switch (v.type) {
        case ValueType::null: return false;
        case ValueType::boolean: append_java_boolean(v.boolean, out); return true;
        case ValueType::integer: append_java_long(v.integer, out); return true;
        case ValueType::floating: append_java_double(v.floating, out); return true;
        case ValueType::string: out.append(v.str()); return true;
    }
    return false;
}

namespace {

Value store_string(FunctionContext& ctx, std::string_view s) { return Value::of_string(ctx.arena.store(s)); }

// A type error inside a function: Elasticsearch's script would fail; eqlc yields null and counts it.
Value type_error(FunctionContext& ctx, std::string_view function, std::string_view wanted) {
    std::string message = "function [";
    message.append(function);
    message.append("] expects ");
    message.append(wanted);
    ctx.errors.record(message);
    return Value::null();
}

std::optional<int64_t> as_position(const Value& v) {
    if (v.type == ValueType::integer) return v.integer;
    if (v.type == ValueType::floating) return java_double_to_long(v.floating);
    return std::nullopt;
}

Value boolean(bool b) { return Value::of_bool(b); }

}  // namespace

Value call_function(semantics::FunctionId id, bool ci, std::span<const Value> args, FunctionContext& ctx,
                    const matchers::CidrSet* cidr) {
    using semantics::FunctionId;
    auto any_null = [&](size_t n) {
        for (size_t i = 0; i < n && i < args.size(); ++i)
            if (args[i].is_null()) return true;
        return false;
    };
    auto strings = [&](size_t n) {
        for (size_t i = 0; i < n && i < args.size(); ++i)
            if (args[i].type != ValueType::string) return false;
        return true;
    };
    switch (id) {
        case FunctionId::add:
        case FunctionId::subtract:
        case FunctionId::multiply:
        case FunctionId::divide:
        case FunctionId::modulo: {
            if (args.size() != 2) return Value::null();
            static constexpr ArithOp ops[] = {ArithOp::add, ArithOp::sub, ArithOp::mul, ArithOp::div, ArithOp::mod};
            const ArithOp op = id == FunctionId::add        ? ops[0]
                               : id == FunctionId::subtract ? ops[1]
                               : id == FunctionId::multiply ? ops[2]
                               : id == FunctionId::divide   ? ops[3]
                                                            : ops[4];
            return arithmetic(op, args[0], args[1], ctx);
        }
        case FunctionId::between: {
            if (args.size() < 3 || any_null(3)) return Value::null();
            if (!strings(3)) return type_error(ctx, "between", "string arguments");
            bool greedy = false;
            if (args.size() > 3 && args[3].type == ValueType::boolean) greedy = args[3].boolean;
            return store_string(ctx, between(args[0].str(), args[1].str(), args[2].str(), greedy, ci));
        }
        case FunctionId::cidr_match: {
            if (args.empty() || args[0].is_null()) return Value::null();
            if (args[0].type != ValueType::string) return type_error(ctx, "cidrMatch", "an ip address");
            if (!cidr) return Value::null();
            return boolean(cidr->contains(args[0].str()));
        }
        case FunctionId::concat: {
            if (any_null(args.size())) return Value::null();
            ctx.scratch.clear();
            for (const auto& a : args) append_java_string(a, ctx.scratch);
            return store_string(ctx, ctx.scratch);
        }
        case FunctionId::ends_with:
        case FunctionId::starts_with:
        case FunctionId::string_contains: {
            if (args.size() != 2 || any_null(2)) return Value::null();
            if (!strings(2))
                return type_error(ctx,
                                  id == FunctionId::ends_with     ? "endsWith"
                                  : id == FunctionId::starts_with ? "startsWith"
                                                                  : "stringContains",
                                  "string arguments");
            if (id == FunctionId::ends_with) return boolean(ends_with(args[0].str(), args[1].str(), ci));
            if (id == FunctionId::starts_with) return boolean(starts_with(args[0].str(), args[1].str(), ci));
            return boolean(string_contains(args[0].str(), args[1].str(), ci));
        }
        case FunctionId::index_of: {
            if (args.size() < 2 || any_null(2)) return Value::null();
            if (!strings(2)) return type_error(ctx, "indexOf", "string arguments");
            std::optional<int64_t> start;
            if (args.size() > 2 && !args[2].is_null()) {
                start = as_position(args[2]);
                if (!start) return type_error(ctx, "indexOf", "a numeric start");
            }
            auto found = index_of(args[0].str(), args[1].str(), start, ci);
            if (!found) return Value::null();
            return make_java_int(static_cast<int32_t>(*found));
        }
        case FunctionId::length: {
            if (args.size() != 1 || args[0].is_null()) return Value::null();
            if (args[0].type != ValueType::string) return type_error(ctx, "length", "a string");
            return make_java_int(static_cast<int32_t>(string_length(args[0].str())));
        }
        case FunctionId::number: {
            if (args.empty() || args[0].is_null()) return Value::null();
            if (args[0].type != ValueType::string) return type_error(ctx, "number", "a string");
            std::optional<int64_t> base;
            if (args.size() > 1 && !args[1].is_null()) {
                base = as_position(args[1]);
                if (!base) return type_error(ctx, "number", "a numeric base");
            }
            auto result = to_number(args[0].str(), base);
            if (auto* l = std::get_if<int64_t>(&result)) return Value::of_int(*l);
            if (auto* d = std::get_if<double>(&result)) return Value::of_double(*d);
            ctx.errors.record(std::get<NumberConversionError>(result).message);
            return Value::null();
        }
        case FunctionId::string: {
            if (args.size() != 1 || args[0].is_null()) return Value::null();
            if (args[0].type == ValueType::string) return args[0];
            ctx.scratch.clear();
            append_java_string(args[0], ctx.scratch);
            return store_string(ctx, ctx.scratch);
        }
        case FunctionId::substring: {
            if (args.size() < 2 || args[0].is_null()) return Value::null();
            if (args[0].type != ValueType::string) return type_error(ctx, "substring", "a string");
            int64_t start = 0;
            if (!args[1].is_null()) {
                auto s = as_position(args[1]);
                if (!s) return type_error(ctx, "substring", "numeric positions");
                start = *s;
            }
            std::optional<int64_t> end;
            if (args.size() > 2 && !args[2].is_null()) {
                end = as_position(args[2]);
                if (!end) return type_error(ctx, "substring", "numeric positions");
            }
            return store_string(ctx, substring(args[0].str(), start, end));
        }
    }
    return Value::null();
}

Value arithmetic(ArithOp op, const Value& a, const Value& b, FunctionContext& ctx) {
    if (a.is_null() || b.is_null()) return Value::null();
    if (!a.is_number() || !b.is_number()) {
        ctx.errors.record("arithmetic on a non-numeric value");
        return Value::null();
    }
    const Number x = to_number(a), y = to_number(b);
    ArithmeticResult r = op == ArithOp::add   ? add(x, y)
                         : op == ArithOp::sub ? subtract(x, y)
                         : op == ArithOp::mul ? multiply(x, y)
                         : op == ArithOp::div ? divide(x, y)
                                              : modulo(x, y);
    if (!r) {
        ctx.errors.record(message(r.error()));
        return Value::null();
    }
    return from_number(r.value());
}

Value negate_value(const Value& a, FunctionContext& ctx) {
    if (a.is_null()) return Value::null();
    if (!a.is_number()) {
        ctx.errors.record("arithmetic on a non-numeric value");
        return Value::null();
    }
    ArithmeticResult r = negate(to_number(a));
    if (!r) {
        ctx.errors.record(message(r.error()));
        return Value::null();
    }
    return from_number(r.value());
}

namespace {

struct ParsedVersion {
    std::vector<std::string_view> main;
    std::vector<std::string_view> pre;
    std::string_view build;
};

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

bool identifier_chars(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) return false;
    return true;
}

std::vector<std::string_view> split_dots(std::string_view s) {
    std::vector<std::string_view> out;
    size_t start = 0;
    for (;;) {
        size_t dot = s.find('.', start);
        out.push_back(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return out;
}

std::optional<ParsedVersion> parse_version(std::string_view s) {
    ParsedVersion v;
    const size_t plus = s.find('+');
    if (plus != std::string_view::npos) {
        v.build = s.substr(plus + 1);
        for (auto part : split_dots(v.build))
            if (!identifier_chars(part)) return std::nullopt;
        s = s.substr(0, plus);
    }
    const size_t dash = s.find('-');
    if (dash != std::string_view::npos) {
        v.pre = split_dots(s.substr(dash + 1));
        for (auto part : v.pre) {
            if (!identifier_chars(part)) return std::nullopt;
            if (all_digits(part) && part.size() > 1 && part[0] == '0') return std::nullopt;
        }
        s = s.substr(0, dash);
    }
    v.main = split_dots(s);
    for (auto part : v.main) {
        if (!all_digits(part)) return std::nullopt;
        if (part.size() > 1 && part[0] == '0') return std::nullopt;
    }
    return v;
}

// Decimal digit strings without leading zeros: longer is larger.
int compare_numeric(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    const int c = a.compare(b);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

}  // namespace

int compare_versions(std::string_view a, std::string_view b) {
    const auto va = parse_version(a), vb = parse_version(b);
    if (!va || !vb) {
        if (va) return -1;  // valid before invalid
        if (vb) return 1;
        return sign(a.compare(b));
    }
    for (size_t i = 0; i < std::min(va->main.size(), vb->main.size()); ++i)
        if (int c = compare_numeric(va->main[i], vb->main[i])) return c;
    if (va->main.size() != vb->main.size()) return va->main.size() < vb->main.size() ? -1 : 1;
    if (va->pre.empty() != vb->pre.empty()) return va->pre.empty() ? 1 : -1;
    for (size_t i = 0; i < std::min(va->pre.size(), vb->pre.size()); ++i) {
        const bool na = all_digits(va->pre[i]), nb = all_digits(vb->pre[i]);
        int c;
        if (na && nb)
            c = compare_numeric(va->pre[i], vb->pre[i]);
        else if (na != nb)
            c = na ? -1 : 1;
        else
            c = sign(va->pre[i].compare(vb->pre[i]));
        if (c) return c;
    }
    if (va->pre.size() != vb->pre.size()) return va->pre.size() < vb->pre.size() ? -1 : 1;
    return sign(va->build.compare(vb->build));
}

std::optional<int> compare_scalars(const Value& a, const Value& b, CompareKind kind) {
    if (a.is_number() && b.is_number()) {
        if (a.type == ValueType::integer && b.type == ValueType::integer)
            return a.integer < b.integer ? -1 : (a.integer > b.integer ? 1 : 0);
        if ((a.type == ValueType::floating && std::isnan(a.floating)) ||
            (b.type == ValueType::floating && std::isnan(b.floating)))
            return std::nullopt;
        return compare_numbers(to_number(a), to_number(b));
    }
    if (a.type != b.type) return std::nullopt;
    switch (a.type) {
        case ValueType::boolean: return a.boolean == b.boolean ? 0 : (a.boolean ? 1 : -1);
        case ValueType::string:
            switch (kind) {
                case CompareKind::generic: return sign(text::compare_utf16(a.str(), b.str()));
                case CompareKind::version: return compare_versions(a.str(), b.str());
                case CompareKind::ip: {
                    const auto x = matchers::parse_ip(a.str()), y = matchers::parse_ip(b.str());
                    if (!x || !y) return std::nullopt;
                    return sign(std::memcmp(x->data(), y->data(), x->size()));
                }
            }
            return std::nullopt;
        default: return std::nullopt;
    }
}

Value compare_values(CmpOp op, const Value& a, const Value& b, CompareKind kind) {
    if (a.is_null() || b.is_null()) return Value::null();
    if (op == CmpOp::eq || op == CmpOp::ne) {
        // Equality of strings is byte equality (also for versions); ips compare as addresses.
        if (a.type == ValueType::string && b.type == ValueType::string && kind != CompareKind::ip) {
            const bool eq = a.str() == b.str();
            return Value::of_bool(op == CmpOp::eq ? eq : !eq);
        }
        if (a.is_number() && b.is_number()) {
            const bool eq = numbers_equal(to_number(a), to_number(b));
            return Value::of_bool(op == CmpOp::eq ? eq : !eq);
        }
    }
    const auto c = compare_scalars(a, b, kind);
    if (!c) return Value::null();
    return Value::of_bool(cmp_holds(op, *c));
}

bool scalars_equal(const Value& a, const Value& b) {
    if (a.is_number() && b.is_number()) return numbers_equal(to_number(a), to_number(b));
    if (a.type != b.type) return false;
    switch (a.type) {
        case ValueType::null: return true;
        case ValueType::boolean: return a.boolean == b.boolean;
        case ValueType::string: return a.str() == b.str();
        default: return false;
    }
}

namespace {

// Doc-value order of two non-null values of the same kind, for the field's type.
bool doc_value_less(const Value& a, const Value& b, FieldType type) {
    if (a.is_number() && b.is_number()) {
        return compare_numbers(to_number(a), to_number(b)) < 0;
    }
    if (a.type == ValueType::string && b.type == ValueType::string) {
        if (type == FieldType::version) return compare_versions(a.str(), b.str()) < 0;
        if (type == FieldType::ip) {
            const auto x = matchers::parse_ip(a.str()), y = matchers::parse_ip(b.str());
            if (x && y) return std::memcmp(x->data(), y->data(), x->size()) < 0;
        }
        return a.str() < b.str();  // bytes (BytesRef order)
    }
    if (a.type == ValueType::boolean && b.type == ValueType::boolean) return !a.boolean && b.boolean;
    return false;
}

bool same_kind(const Value& a, const Value& b) { return a.type == b.type || (a.is_number() && b.is_number()); }

}  // namespace

Value script_value(std::span<const Value> elements, FieldType type, const Value* null_value) {
    const Value* best = nullptr;
    for (const Value& raw : elements) {
        const Value* v = &raw;
        if (v->is_null()) {
            if (!null_value) continue;
            v = null_value;
        }
        if (!best) {
            best = v;
            continue;
        }
        if (same_kind(*v, *best) && doc_value_less(*v, *best, type)) best = v;
    }
    return best ? *best : Value::null();
}

}  // namespace eqlc::vm
