#include "compiler/codegen.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "text/casefold.hpp"

namespace eqlc::compiler {

using vm::FilteredGlob;
using vm::Instruction;
using vm::kNoIndex;
using vm::LengthBounds;
using vm::Opcode;
using vm::Program;
namespace flag = vm::flag;

using semantics::Cond;
using semantics::CondKind;
using semantics::Constant;
using semantics::Predicate;
using semantics::PredOp;
using semantics::ValueExpr;
using semantics::ValueOp;
using vm::FieldType;

namespace {

enum class ConstKind : uint8_t { string, number, boolean, other };

// Up to this many wildcard patterns in one leaf are matched one glob after the other; more go to a PatternSet.
constexpr size_t kGlobListMax = 8;
// Up to this many strings in an `in` / `:` list are compared one by one; more go to a LiteralSet.
constexpr size_t kStringListMax = 8;

ConstKind kind_of(const Constant& c) {
    switch (c.index()) {
        case 1: return ConstKind::boolean;
        case 2:
        case 3: return ConstKind::number;
        case 4: return ConstKind::string;
        default: return ConstKind::other;
    }
}

class Emitter {
public:
    Emitter(Program& p, Diagnostics& out, bool notes) : p_(p), out_(out), notes_(notes) {}

    bool ok() const { return ok_; }

    uint32_t new_label() {
        labels_.emplace_back();
        return static_cast<uint32_t>(labels_.size() - 1);
    }
    void bind(uint32_t label) { labels_[label].address = static_cast<int64_t>(p_.code.size()); }

    // The note `make` writes, when notes are kept.
    template <class F>
    std::string note_of(F&& make) const {
        return notes_ ? make() : std::string();
    }

    uint32_t emit(Instruction in, std::string note = {}) {
        p_.code.push_back(in);
        p_.notes.push_back(std::move(note));
        return static_cast<uint32_t>(p_.code.size() - 1);
    }
    uint32_t emit_to(Instruction in, uint32_t label, std::string note = {}) {
        const uint32_t at = emit(in, std::move(note));
        labels_[label].patches.push_back(at);
        return at;
    }

    void finish() {
        for (const auto& l : labels_)
            for (uint32_t at : l.patches) p_.code[at].target = static_cast<uint32_t>(l.address);
    }

    // ---- condition code ----------------------------------------------------------------------------------

    // Code that jumps to `label` when `c` evaluates to `jump_if`, and falls through otherwise.
    void jump(const Cond& c, bool jump_if, uint32_t label) {
        switch (c.kind) {
            case CondKind::constant:
                if (c.truth == jump_if) emit_to(op(Opcode::JUMP), label, c.truth ? "true" : "false");
                return;
            case CondKind::and_:
            case CondKind::or_: {
                // and: jump on false at the first false child; or: jump on true at the first true child.
                const bool short_on = c.kind == CondKind::or_;
                if (jump_if == short_on) {
                    for (const auto& child : c.children) jump(child, jump_if, label);
                    return;
                }
                const uint32_t skip = new_label();
                for (size_t i = 0; i + 1 < c.children.size(); ++i) jump(c.children[i], short_on, skip);
                jump(c.children.back(), jump_if, label);
                bind(skip);
                return;
            }
            case CondKind::field_test: field_test(c, jump_if, label); return;
            case CondKind::value_test: {
                value(c.value);
                Instruction in = op(Opcode::TEST_VALUE);
                in.flags = static_cast<uint8_t>((c.truth ? 0 : flag::EXPECT_FALSE) | (jump_if ? flag::JT : 0));
                pop(1);
                emit_to(in, label, note_of([&] { return semantics::describe(c); }));
                return;
            }
        }
    }

    void field_test(const Cond& c, bool jump_if, uint32_t label) {
        const Predicate& pr = c.predicate;
        // Mixed kinds of constants in one list (only without a schema): one test per kind.
        if ((pr.op == PredOp::in || pr.op == PredOp::in_ci) && !pr.constants.empty()) {
            const ConstKind first = kind_of(pr.constants[0]);
            if (std::any_of(pr.constants.begin(), pr.constants.end(),
                            [&](const Constant& k) { return kind_of(k) != first; })) {
                Cond j;
                j.kind = c.negated ? CondKind::and_ : CondKind::or_;
                for (ConstKind kind : {ConstKind::string, ConstKind::number, ConstKind::boolean}) {
                    Cond part = c;
                    part.predicate.constants.clear();
                    for (const auto& k : pr.constants)
                        if (kind_of(k) == kind) part.predicate.constants.push_back(k);
                    if (!part.predicate.constants.empty()) j.children.push_back(std::move(part));
                }
                jump(j, jump_if, label);
                return;
            }
        }

        Instruction in = op(Opcode::TEST_EXISTS);
        in.a = c.field.slot;
        in.flags = static_cast<uint8_t>((c.negated ? flag::NEG : 0) | (jump_if ? flag::JT : 0));
        null_value(in, c.field);
        note_slot(c.field);
        const FieldType t = c.field.type;
        auto set_cmp = [&](vm::CmpOp cmp) {
            in.flags |= static_cast<uint8_t>(static_cast<unsigned>(cmp) << flag::CMP_SHIFT);
        };

        switch (pr.op) {
            case PredOp::exists: in.op = Opcode::TEST_EXISTS; break;
            case PredOp::cmp: {
                const Constant& k = pr.constants.at(0);
                const bool eq = pr.cmp == vm::CmpOp::eq;
                set_cmp(pr.cmp);
                switch (kind_of(k)) {
                    case ConstKind::string: {
                        const auto& s = std::get<std::string>(k);
                        if (t == FieldType::ip) {
                            if (eq) {
                                in.op = Opcode::TEST_IP_IN;
                                if (!cidr_set({s}, pr.span, in.b)) return;
                            } else {
                                in.op = Opcode::TEST_IP_CMP;
                                auto ip = matchers::parse_ip(s);
                                if (!ip) return fail(pr.span, "not an ip address: " + s);
                                in.b = static_cast<uint32_t>(p_.ips.size());
                                p_.ips.push_back(*ip);
                            }
                        } else if (t == FieldType::version && !eq) {
                            in.op = Opcode::TEST_VERSION_CMP;
                            in.b = constant(k);
                        } else {
                            in.op = eq ? Opcode::TEST_STR_EQ : Opcode::TEST_STR_CMP;
                            in.b = constant(k);
                        }
                        break;
                    }
                    case ConstKind::number:
                        in.op = Opcode::TEST_NUM_CMP;
                        in.b = constant(k);
                        break;
                    case ConstKind::boolean: {
                        in.op = Opcode::TEST_BOOL;
                        const bool kb = std::get<bool>(k);
                        for (int b = 0; b < 2; ++b) {
                            const int cmp = (b == static_cast<int>(kb)) ? 0 : (b < static_cast<int>(kb) ? -1 : 1);
                            if (vm::cmp_holds(pr.cmp, cmp)) in.b |= 1u << b;
                        }
                        break;
                    }
                    case ConstKind::other: return fail(pr.span, "cannot compare with " + semantics::describe(k));
                }
                break;
            }
            case PredOp::in:
            case PredOp::in_ci: {
                if (pr.constants.empty()) {  // matches nothing
                    Cond never = Cond::constant_of(c.negated);
                    jump(never, jump_if, label);
                    return;
                }
                const bool ci = pr.op == PredOp::in_ci;
                switch (kind_of(pr.constants[0])) {
                    case ConstKind::string: {
                        std::vector<std::string> values;
                        for (const auto& k : pr.constants) values.push_back(std::get<std::string>(k));
                        if (t == FieldType::ip) {
                            in.op = Opcode::TEST_IP_IN;
                            if (!cidr_set(values, pr.span, in.b)) return;
                        } else if (values.size() == 1) {
                            in.op = ci ? Opcode::TEST_STR_EQ_CI : Opcode::TEST_STR_EQ;
                            in.b = constant(ci ? Constant(text::to_lower_root(values[0])) : Constant(values[0]));
                        } else if (values.size() <= kStringListMax) {
                            // A few strings: compared one by one (length first), no hashing and no folding.
                            in.op = Opcode::TEST_STR_LIST;
                            if (ci) in.flags |= flag::CI;
                            in.b = static_cast<uint32_t>(p_.string_lists.size());
                            auto& list = p_.string_lists.emplace_back();
                            for (const auto& v : values)
                                list.push_back(vm::Value::of_string(p_.store(ci ? text::to_lower_root(v) : v)));
                        } else {
                            in.op = Opcode::TEST_STR_IN;
                            in.b = literal_set(std::move(values), ci);
                        }
                        break;
                    }
                    case ConstKind::number:
                        if (pr.constants.size() == 1) {
                            in.op = Opcode::TEST_NUM_CMP;
                            set_cmp(vm::CmpOp::eq);
                            in.b = constant(pr.constants[0]);
                        } else {
                            in.op = Opcode::TEST_NUM_IN;
                            in.b = number_set(pr.constants);
                        }
                        break;
                    case ConstKind::boolean:
                        in.op = Opcode::TEST_BOOL;
                        for (const auto& k : pr.constants) in.b |= std::get<bool>(k) ? 2u : 1u;
                        break;
                    case ConstKind::other: return fail(pr.span, "unsupported constant in list");
                }
                break;
            }
            case PredOp::pattern:
                if (pr.constants.size() == 1) {
                    in.op = Opcode::TEST_GLOB;
                    in.b = glob(pr);
                } else if (pr.constants.size() <= kGlobListMax) {
                    // A few patterns: trying each glob (with its shape's fast path) beats one automaton scan.
                    in.op = Opcode::TEST_GLOB_LIST;
                    in.b = static_cast<uint32_t>(p_.glob_lists.size());
                    auto& list = p_.glob_lists.emplace_back();
                    for (const auto& k : pr.constants)
                        list.push_back(FilteredGlob::compile(std::get<std::string>(k), pr.case_insensitive));
                    p_.glob_list_bounds.push_back(bounds_of(list));
                } else {
                    in.op = Opcode::TEST_PATTERN;
                    in.b = pattern_set(pr);
                }
                break;
            case PredOp::regex:
                in.op = Opcode::TEST_REGEX;
                if (!regex(pr, in.b)) return;
                break;
            case PredOp::prefix:
                in.op = Opcode::TEST_PREFIX;
                if (pr.case_insensitive) in.flags |= flag::CI;
                // case-insensitive: the prefix is lowered here, the value at run time
                in.b = constant(pr.case_insensitive
                                    ? Constant(text::to_lower_root(std::get<std::string>(pr.constants.at(0))))
                                    : pr.constants.at(0));
                break;
            case PredOp::cidr: {
                in.op = Opcode::TEST_IP_IN;
                std::vector<std::string> blocks;
                for (const auto& k : pr.constants) blocks.push_back(std::get<std::string>(k));
                if (!cidr_set(blocks, pr.span, in.b)) return;
                break;
            }
        }
        emit_to(in, label, note_of([&] { return semantics::describe(c); }));
    }

    // ---- value code ----------------------------------------------------------------------------------------

    void value(const ValueExpr& v) {
        switch (v.op) {
            case ValueOp::constant: {
                Instruction in = op(Opcode::PUSH_CONST);
                in.b = constant(v.constant);
                push(1);
                emit(in, note_of([&] { return semantics::describe(v.constant); }));
                return;
            }
            case ValueOp::field: {
                Instruction in = op(Opcode::PUSH_FIELD);
                in.a = v.field.slot;
                in.b = static_cast<uint32_t>(v.field.type);
                null_value(in, v.field);
                note_slot(v.field);
                push(1);
                emit(in, note_of([&] { return "@" + v.field.path; }));
                return;
            }
            case ValueOp::call: {
                for (const auto& child : v.children) value(child);
                Instruction in = op(Opcode::CALL);
                in.b = static_cast<uint32_t>(v.function);
                in.aux = static_cast<uint16_t>(v.children.size());
                in.a = kNoIndex;
                if (v.case_insensitive) in.flags |= flag::CI;
                if (v.function == semantics::FunctionId::cidr_match) {
                    std::vector<std::string> blocks;
                    for (const auto& k : v.predicate.constants) blocks.push_back(std::get<std::string>(k));
                    if (!cidr_set(blocks, v.span, in.a)) return;
                }
                pop(v.children.size());
                push(1);
                emit(in, note_of([&] { return semantics::describe_brief(v); }));
                return;
            }
            case ValueOp::arith: {
                value(v.children[0]);
                value(v.children[1]);
                Instruction in = op(Opcode::ARITH);
                in.b = static_cast<uint32_t>(v.arith);
                pop(1);
                emit(in, note_of([&] { return semantics::describe_brief(v); }));
                return;
            }
            case ValueOp::negate:
                value(v.children[0]);
                emit(op(Opcode::NEG));
                return;
            case ValueOp::compare: {
                value(v.children[0]);
                value(v.children[1]);
                Instruction in = op(Opcode::CMP);
                in.flags = static_cast<uint8_t>(static_cast<unsigned>(v.cmp) << flag::CMP_SHIFT);
                in.b = static_cast<uint32_t>(v.compare_kind);
                pop(1);
                emit(in, note_of([&] { return semantics::describe_brief(v); }));
                return;
            }
            case ValueOp::is_null:
                value(v.children[0]);
                emit(op(Opcode::IS_NULL));
                return;
            case ValueOp::not_:
                value(v.children[0]);
                emit(op(Opcode::NOT3));
                return;
            case ValueOp::and_:
            case ValueOp::or_:
                value(v.children[0]);
                for (size_t i = 1; i < v.children.size(); ++i) {
                    value(v.children[i]);
                    pop(1);
                    emit(op(v.op == ValueOp::and_ ? Opcode::AND3 : Opcode::OR3));
                }
                return;
            case ValueOp::predicate:
                value(v.children[0]);
                value_predicate(v);
                return;
        }
    }

    void value_predicate(const ValueExpr& v) {
        const Predicate& pr = v.predicate;
        Instruction in = op(Opcode::V_IN_ANY);
        const std::string text = note_of([&] { return semantics::describe_brief(v); });
        switch (pr.op) {
            case PredOp::exists:
                emit(op(Opcode::IS_NULL));
                emit(op(Opcode::NOT3), text);
                return;
            case PredOp::cmp: {
                Instruction k = op(Opcode::PUSH_CONST);
                k.b = constant(pr.constants.at(0));
                push(1);
                emit(k);
                Instruction c = op(Opcode::CMP);
                c.flags = static_cast<uint8_t>(static_cast<unsigned>(pr.cmp) << flag::CMP_SHIFT);
                pop(1);
                emit(c, text);
                return;
            }
            case PredOp::in:
            case PredOp::in_ci: {
                const bool ci = pr.op == PredOp::in_ci;
                const bool all_strings = !pr.constants.empty() &&
                                         std::all_of(pr.constants.begin(), pr.constants.end(),
                                                     [](const Constant& k) { return kind_of(k) == ConstKind::string; });
                const bool all_numbers = !pr.constants.empty() &&
                                         std::all_of(pr.constants.begin(), pr.constants.end(),
                                                     [](const Constant& k) { return kind_of(k) == ConstKind::number; });
                if (all_strings && ci && pr.constants.size() == 1) {
                    in.op = Opcode::V_STR_EQ_CI;
                    in.b = constant(Constant(text::to_lower_root(std::get<std::string>(pr.constants[0]))));
                } else if (all_strings) {
                    std::vector<std::string> values;
                    for (const auto& k : pr.constants) values.push_back(std::get<std::string>(k));
                    in.op = Opcode::V_STR_IN;
                    in.b = literal_set(std::move(values), ci);
                } else if (all_numbers) {
                    in.op = Opcode::V_NUM_IN;
                    in.b = number_set(pr.constants);
                } else {
                    in.op = Opcode::V_IN_ANY;
                    in.b = static_cast<uint32_t>(p_.constants.size());
                    for (const auto& k : pr.constants) constant(k, /*dedupe=*/false);
                    in.aux = static_cast<uint16_t>(pr.constants.size());
                    if (pr.constants.size() > UINT16_MAX) return fail(pr.span, "too many values in an `in` list");
                }
                break;
            }
            case PredOp::pattern:
                if (pr.constants.size() == 1) {
                    in.op = Opcode::V_GLOB;
                    in.b = glob(pr);
                } else {
                    in.op = Opcode::V_PATTERN;
                    in.b = pattern_set(pr);
                }
                break;
            case PredOp::regex:
                in.op = Opcode::V_REGEX;
                if (!regex(pr, in.b)) return;
                break;
            case PredOp::prefix:
                in.op = Opcode::V_PREFIX;
                if (pr.case_insensitive) in.flags |= flag::CI;
                in.b = constant(pr.constants.at(0));
                break;
            case PredOp::cidr: {
                in.op = Opcode::V_IP_IN;
                std::vector<std::string> blocks;
                for (const auto& k : pr.constants) blocks.push_back(std::get<std::string>(k));
                if (!cidr_set(blocks, pr.span, in.b)) return;
                break;
            }
        }
        emit(in, text);
    }

private:
    static Instruction op(Opcode o) {
        Instruction in;
        in.op = o;
        return in;
    }

    void push(size_t n) {
        depth_ += static_cast<uint32_t>(n);
        p_.max_stack = std::max(p_.max_stack, depth_);
    }
    void pop(size_t n) { depth_ -= static_cast<uint32_t>(n); }

    void fail(const SourceSpan& span, std::string message) {
        ok_ = false;
        Diagnostic d;
        d.phase = Phase::compile;
        d.span = span;
        d.message = std::move(message);
        out_.push_back(std::move(d));
    }

    uint32_t constant(const Constant& c, bool dedupe = true) {
        vm::Value v;
        switch (c.index()) {
            case 1: v = vm::Value::of_bool(std::get<bool>(c)); break;
            case 2: v = vm::make_integer_literal(std::get<int64_t>(c)); break;
            case 3: v = vm::Value::of_double(std::get<double>(c)); break;
            case 4: v = vm::Value::of_string(p_.store(std::get<std::string>(c))); break;
            default: break;
        }
        const uint32_t index = static_cast<uint32_t>(p_.constants.size());
        if (auto key = dedupe_key(v)) {
            // The first constant with the key keeps it (also one pushed without dedupe): what a search of the
            // constants from the start would find.
            const auto [it, added] = constant_ids_.emplace(std::move(*key), index);
            if (dedupe && !added) return it->second;
        }
        p_.constants.push_back(v);
        return index;
    }

    // Constants that compare equal for deduplication have the same key: strings by text, integers by value and
    // literal flag, doubles by value (0.0 and -0.0 alike; NaN equals nothing, so it has no key), booleans by
    // value, and every null alike.
    static std::optional<std::string> dedupe_key(const vm::Value& v) {
        std::string key(1, static_cast<char>(v.type));
        auto append = [&key](const auto& x) { key.append(reinterpret_cast<const char*>(&x), sizeof x); };
        switch (v.type) {
            case vm::ValueType::string: key += v.str(); break;
            case vm::ValueType::integer:
                append(v.integer);
                append(v.boolean);
                break;
            case vm::ValueType::floating: {
                if (v.floating != v.floating) return std::nullopt;
                const double d = v.floating == 0 ? 0.0 : v.floating;
                append(d);
                break;
            }
            case vm::ValueType::boolean: append(v.boolean); break;
            case vm::ValueType::null: break;
            default: return std::nullopt;
        }
        return key;
    }

    void null_value(Instruction& in, const semantics::FieldRef& f) {
        if (!f.null_value) return;
        const uint32_t k = constant(*f.null_value);
        if (k > UINT16_MAX) return;  // cannot happen with sane programs; the null_value is then ignored
        in.flags |= flag::NULLV;
        in.aux = static_cast<uint16_t>(k);
    }

    void note_slot(const semantics::FieldRef& f) {
        if (noted_slots_.insert(f.slot).second) p_.slot_paths.emplace_back(f.slot, f.path);
    }

    uint32_t number_set(const std::vector<Constant>& constants) {
        std::vector<int64_t> ints;
        std::vector<double> doubles;
        for (const auto& k : constants) {
            if (const auto* i = std::get_if<int64_t>(&k))
                ints.push_back(*i);
            else if (const auto* d = std::get_if<double>(&k))
                doubles.push_back(*d);
        }
        p_.number_sets.push_back(matchers::NumberSet::compile(std::move(ints), std::move(doubles)));
        return static_cast<uint32_t>(p_.number_sets.size() - 1);
    }

    uint32_t glob(const Predicate& pr) {
        p_.globs.push_back(FilteredGlob::compile(std::get<std::string>(pr.constants.at(0)), pr.case_insensitive));
        return static_cast<uint32_t>(p_.globs.size() - 1);
    }

    uint32_t pattern_set(const Predicate& pr) {
        std::vector<std::string> patterns;
        std::vector<FilteredGlob> globs;
        for (const auto& k : pr.constants) {
            patterns.push_back(std::get<std::string>(k));
            globs.push_back(FilteredGlob::compile(patterns.back(), pr.case_insensitive));
        }
        p_.pattern_sets.push_back(matchers::PatternSet::compile(std::move(patterns), pr.case_insensitive));
        p_.pattern_set_bounds.push_back(bounds_of(globs));
        return static_cast<uint32_t>(p_.pattern_sets.size() - 1);
    }

    static LengthBounds bounds_of(const std::vector<FilteredGlob>& globs) {
        LengthBounds b{UINT32_MAX, 0};
        for (const auto& g : globs) {
            b.min = std::min(b.min, g.min_bytes);
            b.max = std::max(b.max, g.max_bytes);
        }
        if (globs.empty()) b = LengthBounds{};
        return b;
    }

    uint32_t literal_set(std::vector<std::string> values, bool ci) {
        LengthBounds b{UINT32_MAX, 0};
        for (const auto& v : values) {
            const size_t n = ci ? text::to_lower_root(v).size() : v.size();
            b.min = std::min<uint32_t>(b.min, static_cast<uint32_t>(n));
            b.max = std::max<uint32_t>(b.max, static_cast<uint32_t>(n));
        }
        if (values.empty()) b = LengthBounds{};
        p_.literal_sets.push_back(matchers::LiteralSet::compile(std::move(values), ci));
        p_.literal_set_bounds.push_back(b);
        return static_cast<uint32_t>(p_.literal_sets.size() - 1);
    }

    bool regex(const Predicate& pr, uint32_t& index) {
        std::vector<std::string> patterns;
        for (const auto& k : pr.constants) patterns.push_back(std::get<std::string>(k));
        auto compiled = matchers::RegexMatcher::compile(patterns, pr.case_insensitive);
        if (auto* e = std::get_if<matchers::RegexError>(&compiled)) {
            fail(pr.span, "invalid regular expression [" + (e->index < patterns.size() ? patterns[e->index] : "") +
                              "]: " + e->message);
            return false;
        }
        index = static_cast<uint32_t>(p_.regexes.size());
        p_.regexes.push_back(std::move(std::get<matchers::RegexMatcher>(compiled)));
        return true;
    }

    bool cidr_set(const std::vector<std::string>& blocks, const SourceSpan& span, uint32_t& index) {
        auto compiled = matchers::CidrSet::compile(blocks);
        if (auto* e = std::get_if<matchers::CidrError>(&compiled)) {
            fail(span, e->message);
            return false;
        }
        index = static_cast<uint32_t>(p_.cidr_sets.size());
        p_.cidr_sets.push_back(std::move(std::get<matchers::CidrSet>(compiled)));
        return true;
    }

    struct Label {
        int64_t address = -1;
        std::vector<uint32_t> patches;
    };

    Program& p_;
    Diagnostics& out_;
    bool ok_ = true;
    std::vector<Label> labels_;
    uint32_t depth_ = 0;
    std::unordered_map<std::string, uint32_t> constant_ids_;  // dedupe_key -> index of the first such constant
    std::unordered_set<vm::SlotId> noted_slots_;              // the slots in p_.slot_paths
    bool notes_ = true;                                       // write each instruction's note
};

}  // namespace

std::optional<Program> generate_condition(const Cond& cond, std::string label, Diagnostics& out, bool notes) {
    Program p;
    p.kind = Program::Kind::condition;
    p.label = std::move(label);
    Emitter e(p, out, notes);
    if (cond.is_true()) {
        e.emit(Instruction{Opcode::HALT_TRUE, 0, 0, 0, 0, 0}, "true");
    } else if (cond.is_false()) {
        e.emit(Instruction{Opcode::HALT_FALSE, 0, 0, 0, 0, 0}, "false");
    } else {
        const uint32_t on_false = e.new_label();
        e.jump(cond, false, on_false);
        e.emit(Instruction{Opcode::HALT_TRUE, 0, 0, 0, 0, 0});
        e.bind(on_false);
        e.emit(Instruction{Opcode::HALT_FALSE, 0, 0, 0, 0, 0});
    }
    e.finish();
    if (!e.ok()) return std::nullopt;
    return p;
}

std::optional<Program> generate_value(const ValueExpr& value, std::string label, Diagnostics& out, bool notes) {
    Program p;
    p.kind = Program::Kind::value;
    p.label = std::move(label);
    Emitter e(p, out, notes);
    e.value(value);
    e.emit(Instruction{Opcode::RET_VALUE, 0, 0, 0, 0, 0});
    e.finish();
    if (!e.ok()) return std::nullopt;
    return p;
}

}  // namespace eqlc::compiler
