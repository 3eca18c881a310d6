#include "vm/interpreter.hpp"

#include <cstring>

#include "text/casefold.hpp"
#include "text/utf16.hpp"
#include "vm/string_functions.hpp"

namespace eqlc::vm {

using compiler::Instruction;
using compiler::Opcode;
using compiler::Program;
namespace flag = compiler::flag;

namespace {

inline bool str_equal(const Value& v, const Value& k) {
    return v.type == ValueType::string && v.length == k.length && std::memcmp(v.chars, k.chars, k.length) == 0;
}

// lower(v) == k, where k is already lowered. ASCII is compared in place; anything else is folded.
inline bool str_equal_ci(const Value& v, const Value& k, std::string& scratch) {
    if (v.type != ValueType::string) return false;
    const auto* s = reinterpret_cast<const unsigned char*>(v.chars);
    const auto* t = reinterpret_cast<const unsigned char*>(k.chars);
    if (v.length == k.length) {
        uint32_t i = 0;
        for (; i < v.length; ++i) {
            unsigned char c = s[i];
            if (c >= 0x80) break;
            if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + 32);
            if (c != t[i]) return false;  // an ASCII prefix folds to itself, position by position
        }
        if (i == v.length) return true;
    } else if (text::is_ascii(v.str())) {
        return false;
    }
    scratch.clear();
    text::append_lower_root(v.str(), scratch);
    return scratch == k.str();
}

inline bool num_cmp(const Value& v, const Value& k, CmpOp op) {
    if (v.type == ValueType::integer && k.type == ValueType::integer)
        return cmp_holds(op, v.integer < k.integer ? -1 : (v.integer > k.integer ? 1 : 0));
    if (!v.is_number()) return false;
    if (op == CmpOp::eq) return numbers_equal(to_number(v), to_number(k));
    if ((v.type == ValueType::floating && v.floating != v.floating) ||
        (k.type == ValueType::floating && k.floating != k.floating))
        return false;  // NaN is outside every range
    return cmp_holds(op, compare_numbers(to_number(v), to_number(k)));
}

inline int bytes_compare(std::string_view a, std::string_view b) {
    const int c = a.compare(b);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// Any (non-null, or null read as the null_value) value of slot `in.a` satisfying `pred`.
template <class Pred>
inline bool any_value(const Instruction& in, const Program& p, const EventRecord& ev, Pred&& pred) {
    const auto values = ev.field(in.a);
    for (const Value& v : values) {
        if (v.type == ValueType::null) [[unlikely]] {
            if ((in.flags & flag::NULLV) && pred(p.constants[in.aux])) return true;
            continue;
        }
        if (pred(v)) return true;
    }
    return false;
}

}  // namespace

Value run(const Program& p, const EventRecord& ev, VmContext& ctx) {
    if (ctx.stack_.size() < p.max_stack + 1) ctx.stack_.resize(p.max_stack + 1);
    ctx.arena_.clear();
    Value* const stack = ctx.stack_.data();
    size_t sp = 0;  // number of values on the stack
    FunctionContext fctx{ctx.arena_, ctx.errors_, ctx.scratch_};
    const Instruction* const code = p.code.data();
    const Value* const k = p.constants.data();
    uint32_t pc = 0;

    for (;;) {
        const Instruction& in = code[pc];
        bool r;
        switch (in.op) {
            // ---- control
            case Opcode::HALT_TRUE: return Value::of_bool(true);
            case Opcode::HALT_FALSE: return Value::of_bool(false);
            case Opcode::JUMP: pc = in.target; continue;
            case Opcode::RET_VALUE: return sp ? stack[sp - 1] : Value::null();

            // ---- field tests
            case Opcode::TEST_EXISTS: {
                r = false;
                for (const Value& v : ev.field(in.a)) {
                    if (!v.is_null() || (in.flags & flag::NULLV)) {
                        r = true;
                        break;
                    }
                }
                break;
            }
            case Opcode::TEST_STR_EQ: {
                const Value& c = k[in.b];
                r = any_value(in, p, ev, [&](const Value& v) { return str_equal(v, c); });
                break;
            }
            case Opcode::TEST_STR_EQ_CI: {
                const Value& c = k[in.b];
                r = any_value(in, p, ev, [&](const Value& v) { return str_equal_ci(v, c, ctx.scratch_); });
                break;
            }
            case Opcode::TEST_STR_IN: {
                const auto& set = p.literal_sets[in.b];
                r = any_value(in, p, ev, [&](const Value& v) { return v.type == ValueType::string && set.contains(v.str()); });
                break;
            }
            case Opcode::TEST_STR_CMP: {
                const std::string_view c = k[in.b].str();
                const CmpOp op = in.cmp();
                r = any_value(in, p, ev, [&](const Value& v) {
                    return v.type == ValueType::string && cmp_holds(op, bytes_compare(v.str(), c));
                });
                break;
            }
            case Opcode::TEST_PREFIX: {
                const std::string_view c = k[in.b].str();
                const bool ci = in.flags & flag::CI;
                r = any_value(in, p, ev, [&](const Value& v) {
                    if (v.type != ValueType::string) return false;
                    if (!ci) return v.str().substr(0, c.size()) == c;
                    return starts_with(v.str(), c, true);
                });
                break;
            }
            case Opcode::TEST_GLOB: {
                const auto& g = p.globs[in.b];
                r = any_value(in, p, ev, [&](const Value& v) { return v.type == ValueType::string && g.matches(v.str()); });
                break;
            }
            case Opcode::TEST_PATTERN: {
                const auto& set = p.pattern_sets[in.b];
                r = any_value(in, p, ev, [&](const Value& v) { return v.type == ValueType::string && set.matches(v.str()); });
                break;
            }
            case Opcode::TEST_REGEX: {
                const auto& re = p.regexes[in.b];
                r = any_value(in, p, ev, [&](const Value& v) { return v.type == ValueType::string && re.matches(v.str()); });
                break;
            }
            case Opcode::TEST_NUM_CMP: {
                const Value& c = k[in.b];
                const CmpOp op = in.cmp();
                r = any_value(in, p, ev, [&](const Value& v) { return num_cmp(v, c, op); });
                break;
            }
            case Opcode::TEST_NUM_IN: {
                const auto& set = p.number_sets[in.b];
                r = any_value(in, p, ev, [&](const Value& v) {
                    if (v.type == ValueType::integer) return set.contains(v.integer);
                    if (v.type == ValueType::floating) return set.contains(v.floating);
                    return false;
                });
                break;
            }
            case Opcode::TEST_BOOL: {
                const uint32_t mask = in.b;
                r = any_value(in, p, ev, [&](const Value& v) {
                    return v.type == ValueType::boolean && ((mask >> (v.boolean ? 1 : 0)) & 1u);
                });
                break;
            }
            case Opcode::TEST_IP_IN: {
                const auto& set = p.cidr_sets[in.b];
                r = any_value(in, p, ev, [&](const Value& v) { return v.type == ValueType::string && set.contains(v.str()); });
                break;
            }
            case Opcode::TEST_IP_CMP: {
                const auto& c = p.ips[in.b];
                const CmpOp op = in.cmp();
                r = any_value(in, p, ev, [&](const Value& v) {
                    if (v.type != ValueType::string) return false;
                    const auto ip = compiler::parse_ip(v.str());
                    if (!ip) return false;
                    const int d = std::memcmp(ip->data(), c.data(), c.size());
                    return cmp_holds(op, d < 0 ? -1 : (d > 0 ? 1 : 0));
                });
                break;
            }
            case Opcode::TEST_VERSION_CMP: {
                const std::string_view c = k[in.b].str();
                const CmpOp op = in.cmp();
                r = any_value(in, p, ev, [&](const Value& v) {
                    return v.type == ValueType::string && cmp_holds(op, compare_versions(v.str(), c));
                });
                break;
            }
            case Opcode::TEST_VALUE: {
                const Value& x = stack[--sp];
                const bool want = !(in.flags & flag::EXPECT_FALSE);
                r = x.type == ValueType::boolean && x.boolean == want;
                pc = (r == static_cast<bool>(in.flags & flag::JT)) ? in.target : pc + 1;
                continue;
            }

            // ---- value stack
            case Opcode::PUSH_CONST: stack[sp++] = k[in.b]; ++pc; continue;
            case Opcode::PUSH_FIELD:
                stack[sp++] = script_value(ev.field(in.a), static_cast<FieldType>(in.b),
                                           (in.flags & flag::NULLV) ? &k[in.aux] : nullptr);
                ++pc;
                continue;
            case Opcode::CALL: {
                const size_t argc = in.aux;
                const compiler::CidrSet* cidr = in.a != compiler::kNoIndex ? &p.cidr_sets[in.a] : nullptr;
                const Value result =
                    call_function(static_cast<semantics::FunctionId>(in.b), in.flags & flag::CI,
                                  std::span<const Value>(stack + sp - argc, argc), fctx, cidr);
                sp -= argc;
                stack[sp++] = result;
                ++pc;
                continue;
            }
            case Opcode::ARITH: {
                const Value y = stack[--sp];
                stack[sp - 1] = arithmetic(static_cast<ArithOp>(in.b), stack[sp - 1], y, fctx);
                ++pc;
                continue;
            }
            case Opcode::NEG: stack[sp - 1] = negate_value(stack[sp - 1], fctx); ++pc; continue;
            case Opcode::CMP: {
                const Value y = stack[--sp];
                stack[sp - 1] = compare_values(in.cmp(), stack[sp - 1], y, static_cast<CompareKind>(in.b));
                ++pc;
                continue;
            }
            case Opcode::IS_NULL: stack[sp - 1] = Value::of_bool(stack[sp - 1].is_null()); ++pc; continue;
            case Opcode::NOT3: {
                Value& x = stack[sp - 1];
                x = x.type == ValueType::boolean ? Value::of_bool(!x.boolean) : Value::null();
                ++pc;
                continue;
            }
            case Opcode::AND3:
            case Opcode::OR3: {
                const Value y = stack[--sp];
                const Value x = stack[sp - 1];
                const bool dominant = in.op == Opcode::OR3;  // true wins in or, false wins in and
                const bool xb = x.type == ValueType::boolean, yb = y.type == ValueType::boolean;
                Value out;
                if ((xb && x.boolean == dominant) || (yb && y.boolean == dominant)) out = Value::of_bool(dominant);
                else if (xb && yb) out = Value::of_bool(!dominant);
                else out = Value::null();
                stack[sp - 1] = out;
                ++pc;
                continue;
            }
            case Opcode::V_STR_EQ_CI:
            case Opcode::V_STR_IN:
            case Opcode::V_NUM_IN:
            case Opcode::V_IN_ANY:
            case Opcode::V_GLOB:
            case Opcode::V_PATTERN:
            case Opcode::V_REGEX:
            case Opcode::V_PREFIX:
            case Opcode::V_IP_IN: {
                Value& x = stack[sp - 1];
                ++pc;
                if (x.is_null()) continue;
                bool b = false;
                const bool is_str = x.type == ValueType::string;
                switch (in.op) {
                    case Opcode::V_STR_EQ_CI: b = str_equal_ci(x, k[in.b], ctx.scratch_); break;
                    case Opcode::V_STR_IN: b = is_str && p.literal_sets[in.b].contains(x.str()); break;
                    case Opcode::V_NUM_IN:
                        b = x.type == ValueType::integer    ? p.number_sets[in.b].contains(x.integer)
                            : x.type == ValueType::floating ? p.number_sets[in.b].contains(x.floating)
                                                            : false;
                        break;
                    case Opcode::V_IN_ANY:
                        for (uint32_t i = 0; i < in.aux && !b; ++i) b = scalars_equal(x, k[in.b + i]);
                        break;
                    case Opcode::V_GLOB: b = is_str && p.globs[in.b].matches(x.str()); break;
                    case Opcode::V_PATTERN: b = is_str && p.pattern_sets[in.b].matches(x.str()); break;
                    case Opcode::V_REGEX: b = is_str && p.regexes[in.b].matches(x.str()); break;
                    case Opcode::V_PREFIX: b = is_str && starts_with(x.str(), k[in.b].str(), in.flags & flag::CI); break;
                    case Opcode::V_IP_IN: b = is_str && p.cidr_sets[in.b].contains(x.str()); break;
                    default: break;
                }
                x = Value::of_bool(b);
                continue;
            }
        }
        // The common tail of the field tests.
        if (in.flags & flag::NEG) r = !r;
        pc = (r == static_cast<bool>(in.flags & flag::JT)) ? in.target : pc + 1;
    }
}

}  // namespace eqlc::vm
