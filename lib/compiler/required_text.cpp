#include "compiler/required_text.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "matchers/glob.hpp"
#include "text/casefold.hpp"

namespace eqlc::compiler {

namespace {

using semantics::Cond;
using semantics::CondKind;
using semantics::PredOp;
using Clause = std::vector<Needle>;

// Needles shorter than this match too many lines to be worth searching for.
constexpr size_t kMinNeedle = 3;
// An `and` keeps its most selective clauses only; an `or` whose clause grows beyond kMaxAlternatives needles
// gives up (such a clause would let most lines through anyway).
constexpr size_t kMaxClauses = 4;
constexpr size_t kMaxAlternatives = 32;
// A list with more distinct needles than this gives no condition: Hyperscan takes about 0.1 ms per literal to build
// its database (13 s for 100,000), and such a list lets many lines through anyway.
constexpr size_t kMaxListNeedles = 1024;

// The JSON form of `text`, or nullopt when a character has no single JSON spelling but \uXXXX (a control
// character other than the five short escapes) — such a needle could only ever be found as \u, and lines with
// \u escapes are candidates anyway, but it is simpler to give no condition.
std::optional<std::string> json_form(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 4);
    for (const char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
                out += c;
        }
    }
    return out;
}

// A clause is better when its shortest needle is longer (fewer chance hits), then when it has fewer needles.
bool better(const Clause& a, const Clause& b) {
    auto shortest = [](const Clause& c) {
        size_t n = SIZE_MAX;
        for (const auto& needle : c) n = std::min(n, needle.text.size());
        return n;
    };
    const size_t sa = shortest(a), sb = shortest(b);
    if (sa != sb) return sa > sb;
    return a.size() < b.size();
}

// A clause built needle by needle, each needle once (a hash set, not a search of the clause: an `in` list of
// 100,000 strings gives a clause of 100,000 needles).
class ClauseBuilder {
public:
    void add(Needle needle) {
        std::string key;
        key.reserve(needle.text.size() + 1);
        key += needle.case_insensitive ? '~' : '=';
        key += needle.text;
        if (seen_.insert(std::move(key)).second) clause_.push_back(std::move(needle));
    }
    size_t size() const { return clause_.size(); }
    Clause take() { return std::move(clause_); }

private:
    Clause clause_;
    std::unordered_set<std::string> seen_;
};

std::optional<Clause> field_clause(const Cond& c) {
    if (!text_field_test(c)) return std::nullopt;
    const semantics::Predicate& p = c.predicate;
    bool ci = false;
    switch (p.op) {
        case PredOp::cmp:
            if (p.cmp != vm::CmpOp::eq) return std::nullopt;
            break;
        case PredOp::in: break;
        case PredOp::in_ci: ci = true; break;
        case PredOp::pattern:
        case PredOp::prefix: ci = p.case_insensitive; break;
        default: return std::nullopt;
    }
    if (p.constants.empty()) return std::nullopt;
    ClauseBuilder clause;
    for (const auto& constant : p.constants) {
        const auto* s = std::get_if<std::string>(&constant);
        if (s == nullptr) return std::nullopt;  // a number or boolean constant: compared by value
        std::string text = ci ? text::to_lower_root(*s) : *s;
        std::string_view chars = text;
        if (p.op == PredOp::pattern) chars = matchers::longest_literal(chars);
        auto form = json_form(chars);
        if (!form || form->size() < kMinNeedle) return std::nullopt;
        // Case-insensitive needles are searched with ASCII case folding: one with a non-ASCII character (which
        // may be written in the event in another case) gives no condition.
        if (ci && std::any_of(form->begin(), form->end(), [](char b) { return static_cast<unsigned char>(b) >= 0x80; }))
            return std::nullopt;
        clause.add(Needle{std::move(*form), ci});
        if (clause.size() > kMaxListNeedles) return std::nullopt;
    }
    return clause.take();
}

RequiredText unconditional() { return RequiredText{}; }

// The fields of `part`'s needles join `r`'s (a clause kept or dropped later, the fields stay: more fields only
// means more text searched).
void add_fields(RequiredText& r, const RequiredText& part) {
    for (const uint32_t f : part.fields)
        if (std::find(r.fields.begin(), r.fields.end(), f) == r.fields.end()) r.fields.push_back(f);
}

RequiredText never() {
    RequiredText r;
    r.never = true;
    return r;
}

RequiredText derive(const Cond& c) {
    switch (c.kind) {
        case CondKind::constant: return c.truth ? unconditional() : never();
        case CondKind::value_test: return unconditional();
        case CondKind::field_test: {
            auto clause = field_clause(c);
            RequiredText r;
            if (clause) {
                r.clauses.push_back(std::move(*clause));
                r.fields.push_back(c.field.slot);
            }
            return r;
        }
        case CondKind::and_: {
            RequiredText r;
            for (const Cond& child : c.children) {
                RequiredText part = derive(child);
                if (part.never) return never();
                for (auto& clause : part.clauses) r.clauses.push_back(std::move(clause));
                add_fields(r, part);
            }
            std::stable_sort(r.clauses.begin(), r.clauses.end(), better);
            r.clauses.erase(std::unique(r.clauses.begin(), r.clauses.end()), r.clauses.end());
            if (r.clauses.size() > kMaxClauses) r.clauses.resize(kMaxClauses);
            return r;
        }
        case CondKind::or_: {
            ClauseBuilder merged;
            RequiredText r;
            bool any_child = false;
            for (const Cond& child : c.children) {
                RequiredText part = derive(child);
                if (part.never) continue;  // that branch cannot hold: it needs nothing
                if (part.unconditional()) return unconditional();
                any_child = true;
                add_fields(r, part);
                // The child's clauses are sorted best first.
                for (auto& needle : part.clauses.front()) {
                    merged.add(std::move(needle));
                    if (merged.size() > kMaxAlternatives) return unconditional();
                }
            }
            if (!any_child) return never();
            r.clauses.push_back(merged.take());
            return r;
        }
    }
    return unconditional();
}

}  // namespace

bool text_field_test(const semantics::Cond& c) {
    return c.kind == CondKind::field_test && !c.negated &&
           (c.field.type == vm::FieldType::keyword || c.field.type == vm::FieldType::dynamic) && !c.field.null_value;
}

RequiredText required_text(const semantics::Cond& cond) { return derive(cond); }

std::vector<ExactValue> exact_values(const semantics::Cond& cond) {
    std::vector<ExactValue> out;
    auto take = [&](const Cond& t) {
        if (!text_field_test(t)) return;
        const semantics::Predicate& p = t.predicate;
        if (p.op != PredOp::cmp || p.cmp != vm::CmpOp::eq || p.constants.size() != 1) return;
        const auto* s = std::get_if<std::string>(&p.constants[0]);
        if (s == nullptr || s->empty() || !std::isalpha(static_cast<unsigned char>((*s)[0])) || *s == "true" ||
            *s == "false")
            return;
        out.push_back(ExactValue{t.field.slot, t.field.path, *s});
    };
    if (cond.kind == CondKind::and_)
        for (const Cond& child : cond.children) take(child);
    else
        take(cond);
    return out;
}

std::string to_string(const RequiredText& required) {
    if (required.never) return "never";
    if (required.clauses.empty()) return "any line";
    std::string out;
    for (size_t i = 0; i < required.clauses.size(); ++i) {
        if (i) out += " and ";
        const auto& clause = required.clauses[i];
        if (clause.size() > 1) out += "(";
        for (size_t j = 0; j < clause.size(); ++j) {
            if (j) out += " or ";
            if (clause[j].case_insensitive) out += "~";
            out += "'" + clause[j].text + "'";
        }
        if (clause.size() > 1) out += ")";
    }
    return out;
}

}  // namespace eqlc::compiler
