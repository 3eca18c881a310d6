// Printers of normalized conditions and values (describe): the notes of EXPLAIN and the text of diagnostics.
#include <string>

#include "semantics/normalizer.hpp"
#include "syntax/printer.hpp"
#include "values/number_format.hpp"

namespace eqlc::semantics {

std::string describe(const Constant& c) {
    switch (c.index()) {
        case 0: return "null";
        case 1: return std::get<bool>(c) ? "true" : "false";
        case 2: return std::to_string(std::get<int64_t>(c));
        case 3: return vm::java_double_to_string(std::get<double>(c));
        default: return syntax::quote_string(std::get<std::string>(c));
    }
}

namespace {

const char* pred_name(const Predicate& p) {
    switch (p.op) {
        case PredOp::exists: return "exists";
        case PredOp::cmp: return vm::cmp_op_symbol(p.cmp);
        case PredOp::in: return "in";
        case PredOp::in_ci: return "in~";
        case PredOp::pattern: return p.case_insensitive ? "like~" : "like";
        case PredOp::regex: return p.case_insensitive ? "regex~" : "regex";
        case PredOp::prefix: return p.case_insensitive ? "prefix~" : "prefix";
        case PredOp::cidr: return "cidr";
    }
    return "?";
}

// The constants of `p`, stopping after about `limit` bytes.
std::string describe_constants(const Predicate& p, size_t limit = SIZE_MAX) {
    if (p.op == PredOp::exists) return "";
    std::string out = " ";
    if (p.op != PredOp::cmp && p.op != PredOp::prefix) out += "(";
    for (size_t i = 0; i < p.constants.size() && out.size() < limit; ++i) {
        if (i) out += ", ";
        out += describe(p.constants[i]);
    }
    if (p.op != PredOp::cmp && p.op != PredOp::prefix) out += ")";
    return out;
}

const char* arith_symbol(vm::ArithOp op) {
    switch (op) {
        case vm::ArithOp::add: return "+";
        case vm::ArithOp::sub: return "-";
        case vm::ArithOp::mul: return "*";
        case vm::ArithOp::div: return "/";
        case vm::ArithOp::mod: return "%";
    }
    return "?";
}

}  // namespace

namespace {

// Appends the description of `v` to `out`, stopping soon after `out` reaches `limit` bytes.
void append_description(std::string& out, const ValueExpr& v, size_t limit) {
    if (out.size() >= limit) return;
    auto list = [&](const std::vector<ValueExpr>& children) {
        for (size_t i = 0; i < children.size() && out.size() < limit; ++i) {
            if (i) out += ", ";
            append_description(out, children[i], limit);
        }
    };
    auto binary = [&](std::string_view symbol) {
        out += "(";
        append_description(out, v.children[0], limit);
        out += " ";
        out += symbol;
        out += " ";
        append_description(out, v.children[1], limit);
        out += ")";
    };
    switch (v.op) {
        case ValueOp::constant: out += describe(v.constant); return;
        case ValueOp::field: out += "@" + v.field.path; return;
        case ValueOp::call: {
            for (const auto& spec : all_functions())
                if (spec.id == v.function) out += spec.name;
            if (v.case_insensitive) out += "~";
            out += "(";
            list(v.children);
            for (size_t i = 0; i < v.predicate.constants.size() && out.size() < limit; ++i)
                out += ", " + describe(v.predicate.constants[i]);
            out += ")";
            return;
        }
        case ValueOp::arith: binary(arith_symbol(v.arith)); return;
        case ValueOp::negate:
            out += "-";
            append_description(out, v.children[0], limit);
            return;
        case ValueOp::compare: binary(vm::cmp_op_symbol(v.cmp)); return;
        case ValueOp::predicate:
            out += "(";
            append_description(out, v.children[0], limit);
            out += " ";
            out += pred_name(v.predicate);
            out += describe_constants(v.predicate, limit - std::min(limit, out.size()));
            out += ")";
            return;
        case ValueOp::is_null:
            out += "isnull(";
            append_description(out, v.children[0], limit);
            out += ")";
            return;
        case ValueOp::not_:
            out += "not3(";
            append_description(out, v.children[0], limit);
            out += ")";
            return;
        case ValueOp::and_:
        case ValueOp::or_:
            out += v.op == ValueOp::and_ ? "and3(" : "or3(";
            list(v.children);
            out += ")";
            return;
    }
    out += "?";
}

}  // namespace

std::string describe(const ValueExpr& v) {
    std::string out;
    append_description(out, v, SIZE_MAX);
    return out;
}

std::string describe_brief(const ValueExpr& v, size_t max_bytes) {
    std::string out;
    append_description(out, v, max_bytes);
    if (out.size() > max_bytes) {
        size_t cut = max_bytes;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
        out.resize(cut);
        out += "...";
    }
    return out;
}

std::string describe(const Cond& c) {
    switch (c.kind) {
        case CondKind::constant: return c.truth ? "true" : "false";
        case CondKind::and_:
        case CondKind::or_: {
            std::string out = c.kind == CondKind::and_ ? "and(" : "or(";
            for (size_t i = 0; i < c.children.size(); ++i) {
                if (i) out += ", ";
                out += describe(c.children[i]);
            }
            return out + ")";
        }
        case CondKind::field_test:
            return std::string(c.negated ? "!" : "") + "@" + c.field.path + " " + pred_name(c.predicate) +
                   describe_constants(c.predicate);
        case CondKind::value_test:
            return std::string(c.truth ? "" : "false?") + "value" + (c.truth ? "" : "") + "(" + describe(c.value) + ")";
    }
    return "?";
}

}  // namespace eqlc::semantics
