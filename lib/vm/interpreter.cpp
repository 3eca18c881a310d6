#include "vm/interpreter.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "text/casefold.hpp"
#include "text/short_text.hpp"
#include "text/utf16.hpp"
#include "values/string_functions.hpp"

namespace eqlc::vm {

namespace {

inline bool str_equal(const Value& v, const Value& k) {
    return v.type == ValueType::string && v.length == k.length && text::same_bytes(v.chars, k.chars, k.length);
}

// ASCII lower case; bytes >= 0x80 map to 0 so that a "needs no change" test stops on them.
constexpr auto kAsciiLower = [] {
    std::array<unsigned char, 256> t{};
    for (int c = 0; c < 128; ++c) t[c] = static_cast<unsigned char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
    return t;
}();

inline uint64_t load8(const void* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
}
inline uint32_t load4(const void* p) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    return w;
}

[[gnu::always_inline]] inline bool ascii_only(const char* s, uint32_t n) {
    constexpr uint64_t high = 0x8080808080808080ULL;
    if (n >= 8) {
        uint64_t acc = load8(s + n - 8);
        for (uint32_t i = 0; i + 8 <= n; i += 8) acc |= load8(s + i);
        return (acc & high) == 0;
    }
    if (n >= 4) return ((load4(s) | load4(s + n - 4)) & 0x80808080U) == 0;
    uint32_t acc = 0;
    for (uint32_t i = 0; i < n; ++i) acc |= static_cast<unsigned char>(s[i]);
    return acc < 0x80;
}

// Eight ASCII bytes lowered: bit 5 set on every byte in 'A'..'Z' (bytes must be < 0x80).
inline uint64_t lower8(uint64_t w) {
    const uint64_t at_least_a = w + 0x3F3F3F3F3F3F3F3FULL;  // high bit set where byte >= 'A'
    const uint64_t above_z = w + 0x2525252525252525ULL;     // high bit set where byte > 'Z'
    return w | (((at_least_a & ~above_z) & 0x8080808080808080ULL) >> 2);
}

// Could `v` (folded, when `folds`) have a length within `b`? Decided without folding.
[[gnu::always_inline]] inline bool length_may_match(const Value& v, vm::LengthBounds b, bool folds) {
    const uint32_t n = v.length;
    if (n >= b.min && n <= b.max) return true;
    if (!folds || ascii_only(v.chars, n)) return false;
    // Java's lower case keeps a UTF-8 length within [n/3, 3n/2]
    return !(3ull * n < 2ull * b.min || n > 3ull * b.max);
}

// lower(v) == k, where k is already lowered. ASCII is compared in place; anything else is folded.
// lower(a) == b for ASCII `a` of n bytes (b already lowered).
[[gnu::always_inline]] inline bool ascii_equal_ci(const char* a, const char* b, uint32_t n) {
    if (n >= 8) {
        for (uint32_t i = 0;; i += 8) {
            if (i + 8 > n) i = n - 8;
            if (lower8(load8(a + i)) != load8(b + i)) return false;
            if (i + 8 == n) return true;
        }
    }
    for (uint32_t i = 0; i < n; ++i)
        if (kAsciiLower[static_cast<unsigned char>(a[i])] != static_cast<unsigned char>(b[i])) return false;
    return true;
}

// Could a case-insensitive glob match ASCII `v`? Its filters (length, head, tail) checked on the raw bytes:
// folding ASCII keeps positions, so lower(v) starts with head iff v's prefix lowers to head.
[[gnu::always_inline]] inline bool ascii_glob_filters_pass(const Value& v, const vm::FilteredGlob& g) {
    const uint32_t n = v.length;
    if (n < g.min_bytes || n > g.max_bytes) return false;
    const auto hn = static_cast<uint32_t>(g.head.size()), tn = static_cast<uint32_t>(g.tail.size());
    if (hn > n || tn > n) return false;
    return ascii_equal_ci(v.chars, g.head.data(), hn) && ascii_equal_ci(v.chars + n - tn, g.tail.data(), tn);
}

[[gnu::noinline]] bool str_equal_ci_folding(const Value& v, const Value& k, const EventRecord& ev, VmContext& ctx) {
    return ctx.folded(v, ev) == k.str();
}

[[gnu::always_inline]] inline bool str_equal_ci(const Value& v, const Value& k, const EventRecord& ev, VmContext& ctx) {
    if (v.type != ValueType::string) return false;
    const auto* s = reinterpret_cast<const unsigned char*>(v.chars);
    const auto* t = reinterpret_cast<const unsigned char*>(k.chars);
    if (v.length == k.length) {
        const uint32_t n = v.length;
        if (n >= 8) {
            // eight bytes at a time (the last word overlaps); an ASCII prefix folds to itself in place
            uint32_t i = 0;
            for (;; i += 8) {
                if (i + 8 > n) i = n - 8;
                const uint64_t w = load8(s + i);
                if (w & 0x8080808080808080ULL) break;  // non-ASCII: fold the whole value below
                if (lower8(w) != load8(t + i)) return false;
                if (i + 8 == n) return true;
            }
        } else {
            uint32_t i = 0;
            for (; i < n; ++i) {
                unsigned char c = s[i];
                if (c >= 0x80) break;
                if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + 32);
                if (c != t[i]) return false;
            }
            if (i == n) return true;
        }
    } else if (k.length * 3 < v.length || 2 * k.length > 3 * v.length || ascii_only(v.chars, v.length)) {
        // Java's lower case changes the UTF-8 length of a string by a factor within [1/3, 3/2]
        // (K KELVIN SIGN, 3 bytes -> 'k'; U+0130, 2 bytes -> 3), and never that of ASCII text.
        return false;
    }
    return str_equal_ci_folding(v, k, ev, ctx);
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
// The event's slot table, read once per evaluation.
struct Fields {
    const Slot* slots;
    const Value* values;
    size_t count;
    explicit Fields(const EventRecord& ev) : slots(ev.slots.data()), values(ev.values.data()), count(ev.slots.size()) {}
};

template <class Pred>
inline bool any_value(const Instruction& in, const Program& p, const Fields& ev, Pred&& pred) {
    if (in.a >= ev.count) return false;
    const Slot& slot = ev.slots[in.a];
    if (!slot.present) return false;
    const Value* const begin = ev.values + slot.begin;
    for (const Value *it = begin, *end = begin + slot.count; it != end; ++it) {
        const Value& v = *it;
        if (v.type == ValueType::null) [[unlikely]] {
            if ((in.flags & flag::NULLV) && pred(p.constants[in.aux])) return true;
            continue;
        }
        if (pred(v)) return true;
    }
    return false;
}

}  // namespace

std::string_view VmContext::folded(const Value& v, const EventRecord& event) {
    const auto at = reinterpret_cast<uintptr_t>(&v);
    const auto begin = reinterpret_cast<uintptr_t>(event.values.data());
    const size_t index = (at - begin) / sizeof(Value);
    const bool cached = at >= begin && index < event.values.size();
    if (cached) {
        if (fold_stamp_.size() < event.values.size()) {
            fold_stamp_.resize(event.values.size(), 0);
            fold_value_.resize(event.values.size());
        }
        if (fold_stamp_[index] == generation_) return fold_value_[index];
    }
    // ASCII folds byte by byte (and most values are ASCII); anything else goes through Java's full rules.
    const auto* s = reinterpret_cast<const unsigned char*>(v.chars);
    const uint32_t n = v.length;
    uint32_t i = 0;
    // skip the prefix that needs no change (no upper-case letter, no non-ASCII byte), eight bytes at a time
    for (; i + 8 <= n; i += 8) {
        const uint64_t w = load8(s + i);
        if ((w & 0x8080808080808080ULL) || lower8(w) != w) break;
    }
    while (i < n && kAsciiLower[s[i]] == s[i]) ++i;  // stops at an upper-case letter or a non-ASCII byte
    std::string_view out;
    if (i == n) {
        out = v.str();  // ASCII, already lower case
    } else {
        if (fold_scratch_.size() < n) fold_scratch_.resize(n);
        char* d = fold_scratch_.data();
        std::memcpy(d, s, i);
        // eight ASCII bytes at a time: set bit 5 of every byte in 'A'..'Z'
        for (; i + 8 <= n; i += 8) {
            uint64_t w = load8(s + i);
            if (w & 0x8080808080808080ULL) break;
            w = lower8(w);
            std::memcpy(d + i, &w, 8);
        }
        for (; i < n; ++i) {
            const unsigned char c = s[i];
            if (c >= 0x80) break;
            d[i] = static_cast<char>(kAsciiLower[c]);
        }
        if (i == n) {
            out = arena_.store(std::string_view(d, n));
        } else {
            std::string full;
            text::append_lower_root(v.str(), full);
            out = full == v.str() ? v.str() : arena_.store(full);
        }
    }
    if (cached) {
        fold_stamp_[index] = generation_;
        fold_value_[index] = out;
    }
    return out;
}

Value run(const Program& p, const EventRecord& ev, VmContext& ctx) {
    if (ctx.stack_.size() < p.max_stack + 1) ctx.stack_.resize(p.max_stack + 1);
    ctx.arena_.clear();
    if (++ctx.generation_ == 0) {  // wrapped: forget every stamp
        std::fill(ctx.fold_stamp_.begin(), ctx.fold_stamp_.end(), 0);
        ctx.generation_ = 1;
    }
    Value* const stack = ctx.stack_.data();
    size_t sp = 0;  // number of values on the stack
    FunctionContext fctx{ctx.arena_, ctx.errors_, ctx.scratch_};
    const Instruction* const code = p.code.data();
    const Value* const k = p.constants.data();
    const Fields fields(ev);
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
                r = any_value(in, p, fields, [&](const Value& v) { return str_equal(v, c); });
                break;
            }
            case Opcode::TEST_STR_EQ_CI: {
                const Value& c = k[in.b];
                r = any_value(in, p, fields, [&](const Value& v) { return str_equal_ci(v, c, ev, ctx); });
                break;
            }
            case Opcode::TEST_STR_LIST: {
                const auto& list = p.string_lists[in.b];
                if (in.flags & flag::CI)
                    r = any_value(in, p, fields, [&](const Value& v) {
                        if (v.type != ValueType::string) return false;
                        if (ascii_only(v.chars, v.length)) {  // folding keeps the length: compare equal lengths only
                            for (const Value& c : list)
                                if (c.length == v.length && ascii_equal_ci(v.chars, c.chars, v.length)) return true;
                            return false;
                        }
                        const std::string_view f = ctx.folded(v, ev);
                        for (const Value& c : list)
                            if (f == c.str()) return true;
                        return false;
                    });
                else
                    r = any_value(in, p, fields, [&](const Value& v) {
                        for (const Value& c : list)
                            if (str_equal(v, c)) return true;
                        return false;
                    });
                break;
            }
            case Opcode::TEST_STR_IN: {
                const auto& set = p.literal_sets[in.b];
                const auto bounds = p.literal_set_bounds[in.b];
                if (set.case_insensitive())
                    r = any_value(in, p, fields, [&](const Value& v) {
                        return v.type == ValueType::string && length_may_match(v, bounds, true) &&
                               set.contains_folded(ctx.folded(v, ev));
                    });
                else
                    r = any_value(in, p, fields, [&](const Value& v) {
                        return v.type == ValueType::string && length_may_match(v, bounds, false) &&
                               set.contains(v.str());
                    });
                break;
            }
            case Opcode::TEST_STR_CMP: {
                const std::string_view c = k[in.b].str();
                const CmpOp op = in.cmp();
                r = any_value(in, p, fields, [&](const Value& v) {
                    return v.type == ValueType::string && cmp_holds(op, bytes_compare(v.str(), c));
                });
                break;
            }
            case Opcode::TEST_PREFIX: {
                const std::string_view c = k[in.b].str();
                const bool ci = in.flags & flag::CI;
                r = any_value(in, p, fields, [&](const Value& v) {
                    if (v.type != ValueType::string) return false;
                    if (!ci) return v.str().substr(0, c.size()) == c;
                    return ctx.folded(v, ev).starts_with(c);  // c was lowered at compile time
                });
                break;
            }
            case Opcode::TEST_GLOB: {
                const auto& g = p.globs[in.b];
                if (g.glob.case_insensitive())
                    r = any_value(in, p, fields, [&](const Value& v) {
                        if (v.type != ValueType::string) return false;
                        if (ascii_only(v.chars, v.length) && !ascii_glob_filters_pass(v, g)) return false;
                        return g.matches_folded(ctx.folded(v, ev));
                    });
                else
                    r = any_value(in, p, fields, [&](const Value& v) {
                        return v.type == ValueType::string && g.matches_folded(v.str());
                    });
                break;
            }
            case Opcode::TEST_GLOB_LIST: {
                const auto& list = p.glob_lists[in.b];
                const auto bounds = p.glob_list_bounds[in.b];
                const bool ci = !list.empty() && list[0].glob.case_insensitive();
                r = any_value(in, p, fields, [&](const Value& v) {
                    if (v.type != ValueType::string || !length_may_match(v, bounds, ci)) return false;
                    if (!ci) {
                        for (const auto& g : list)
                            if (g.matches_folded(v.str())) return true;
                        return false;
                    }
                    if (ascii_only(v.chars, v.length)) {
                        // fold only if some glob's filters pass on the raw bytes
                        for (const auto& g : list)
                            if (ascii_glob_filters_pass(v, g) && g.glob.matches_folded(ctx.folded(v, ev))) return true;
                        return false;
                    }
                    const std::string_view f = ctx.folded(v, ev);
                    for (const auto& g : list)
                        if (g.matches_folded(f)) return true;
                    return false;
                });
                break;
            }
            case Opcode::TEST_PATTERN: {
                const auto& set = p.pattern_sets[in.b];
                const auto bounds = p.pattern_set_bounds[in.b];
                if (set.case_insensitive())
                    r = any_value(in, p, fields, [&](const Value& v) {
                        return v.type == ValueType::string && length_may_match(v, bounds, true) &&
                               set.matches_folded(ctx.folded(v, ev));
                    });
                else
                    r = any_value(in, p, fields, [&](const Value& v) {
                        return v.type == ValueType::string && length_may_match(v, bounds, false) &&
                               set.matches_folded(v.str());
                    });
                break;
            }
            case Opcode::TEST_REGEX: {
                const auto& re = p.regexes[in.b];
                r = any_value(in, p, fields,
                              [&](const Value& v) { return v.type == ValueType::string && re.matches(v.str()); });
                break;
            }
            case Opcode::TEST_NUM_CMP: {
                const Value& c = k[in.b];
                const CmpOp op = in.cmp();
                r = any_value(in, p, fields, [&](const Value& v) { return num_cmp(v, c, op); });
                break;
            }
            case Opcode::TEST_NUM_IN: {
                const auto& set = p.number_sets[in.b];
                r = any_value(in, p, fields, [&](const Value& v) {
                    if (v.type == ValueType::integer) return set.contains(v.integer);
                    if (v.type == ValueType::floating) return set.contains(v.floating);
                    return false;
                });
                break;
            }
            case Opcode::TEST_BOOL: {
                const uint32_t mask = in.b;
                r = any_value(in, p, fields, [&](const Value& v) {
                    return v.type == ValueType::boolean && ((mask >> (v.boolean ? 1 : 0)) & 1u);
                });
                break;
            }
            case Opcode::TEST_IP_IN: {
                const auto& set = p.cidr_sets[in.b];
                r = any_value(in, p, fields,
                              [&](const Value& v) { return v.type == ValueType::string && set.contains(v.str()); });
                break;
            }
            case Opcode::TEST_IP_CMP: {
                const auto& c = p.ips[in.b];
                const CmpOp op = in.cmp();
                r = any_value(in, p, fields, [&](const Value& v) {
                    if (v.type != ValueType::string) return false;
                    const auto ip = matchers::parse_ip(v.str());
                    if (!ip) return false;
                    const int d = std::memcmp(ip->data(), c.data(), c.size());
                    return cmp_holds(op, d < 0 ? -1 : (d > 0 ? 1 : 0));
                });
                break;
            }
            case Opcode::TEST_VERSION_CMP: {
                const std::string_view c = k[in.b].str();
                const CmpOp op = in.cmp();
                r = any_value(in, p, fields, [&](const Value& v) {
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
            case Opcode::PUSH_CONST:
                stack[sp++] = k[in.b];
                ++pc;
                continue;
            case Opcode::PUSH_FIELD:
                stack[sp++] = script_value(ev.field(in.a), static_cast<FieldType>(in.b),
                                           (in.flags & flag::NULLV) ? &k[in.aux] : nullptr);
                ++pc;
                continue;
            case Opcode::CALL: {
                const size_t argc = in.aux;
                const matchers::CidrSet* cidr = in.a != vm::kNoIndex ? &p.cidr_sets[in.a] : nullptr;
                const Value result = call_function(static_cast<semantics::FunctionId>(in.b), in.flags & flag::CI,
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
            case Opcode::NEG:
                stack[sp - 1] = negate_value(stack[sp - 1], fctx);
                ++pc;
                continue;
            case Opcode::CMP: {
                const Value y = stack[--sp];
                stack[sp - 1] = compare_values(in.cmp(), stack[sp - 1], y, static_cast<CompareKind>(in.b));
                ++pc;
                continue;
            }
            case Opcode::IS_NULL:
                stack[sp - 1] = Value::of_bool(stack[sp - 1].is_null());
                ++pc;
                continue;
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
                if ((xb && x.boolean == dominant) || (yb && y.boolean == dominant))
                    out = Value::of_bool(dominant);
                else if (xb && yb)
                    out = Value::of_bool(!dominant);
                else
                    out = Value::null();
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
                    case Opcode::V_STR_EQ_CI: b = str_equal_ci(x, k[in.b], ev, ctx); break;
                    case Opcode::V_STR_IN: b = is_str && p.literal_sets[in.b].contains(x.str()); break;
                    case Opcode::V_NUM_IN:
                        b = x.type == ValueType::integer    ? p.number_sets[in.b].contains(x.integer)
                            : x.type == ValueType::floating ? p.number_sets[in.b].contains(x.floating)
                                                            : false;
                        break;
                    case Opcode::V_IN_ANY:
                        for (uint32_t i = 0; i < in.aux && !b; ++i) b = scalars_equal(x, k[in.b + i]);
                        break;
                    case Opcode::V_GLOB:
                        b = is_str && p.globs[in.b].matches_folded(
                                          p.globs[in.b].glob.case_insensitive() ? ctx.folded(x, ev) : x.str());
                        break;
                    case Opcode::V_PATTERN: b = is_str && p.pattern_sets[in.b].matches(x.str()); break;
                    case Opcode::V_REGEX: b = is_str && p.regexes[in.b].matches(x.str()); break;
                    case Opcode::V_PREFIX:
                        b = is_str && starts_with(x.str(), k[in.b].str(), in.flags & flag::CI);
                        break;
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
