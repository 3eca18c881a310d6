#include "compiler/index_keys.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "compiler/required_text.hpp"
#include "matchers/regex_literals.hpp"
#include "text/casefold.hpp"

namespace eqlc::compiler {

namespace {

using semantics::Cond;
using semantics::CondKind;
using semantics::PredOp;
using Kind = IndexAlternative::Kind;

// A regexp test keyed on the text its patterns cannot match without (matchers/regex_literals.hpp), as the
// pattern "*literal*": `regex~` is case-insensitive for ASCII letters only, so its literals are ASCII and found,
// folded, in the folded value. A pattern without a literal leaves the test without a key.
std::optional<IndexAlternative> regex_alternative(const Cond& c, IndexAlternative alt) {
    const semantics::Predicate& p = c.predicate;
    alt.kind = p.case_insensitive ? Kind::folded_pattern : Kind::pattern;
    for (const auto& constant : p.constants) {
        const auto* s = std::get_if<std::string>(&constant);
        if (s == nullptr) return std::nullopt;
        const auto literals = matchers::regex_required_literals(*s, p.case_insensitive);
        if (literals.empty()) return std::nullopt;
        for (const auto& literal : literals)
            alt.values.push_back("*" + (p.case_insensitive ? text::to_lower_root(literal) : literal) + "*");
    }
    if (alt.values.empty()) return std::nullopt;
    return alt;
}

// `==` or `in` of integers on a field compared as numbers: its values are the integers in decimal.
std::optional<IndexAlternative> number_alternative(const Cond& c) {
    const semantics::Predicate& p = c.predicate;
    if (c.kind != CondKind::field_test || c.negated || c.field.null_value) return std::nullopt;
    const vm::FieldType t = c.field.type;
    if (t != vm::FieldType::dynamic && t != vm::FieldType::keyword && t != vm::FieldType::long_ &&
        t != vm::FieldType::double_)
        return std::nullopt;
    if (!(p.op == PredOp::in || (p.op == PredOp::cmp && p.cmp == vm::CmpOp::eq && p.constants.size() == 1)))
        return std::nullopt;
    if (p.constants.empty()) return std::nullopt;
    IndexAlternative alt;
    alt.kind = Kind::number;
    alt.slot = c.field.slot;
    alt.field = c.field.path;
    for (const auto& constant : p.constants) {
        const auto* n = std::get_if<int64_t>(&constant);
        if (n == nullptr) return std::nullopt;
        alt.values.push_back(std::to_string(*n));
    }
    return alt;
}

std::optional<IndexAlternative> alternative(const Cond& c) {
    if (c.kind == CondKind::field_test && !c.predicate.constants.empty() &&
        std::holds_alternative<int64_t>(c.predicate.constants.front()))
        return number_alternative(c);
    if (!text_field_test(c)) return std::nullopt;
    const semantics::Predicate& p = c.predicate;
    IndexAlternative alt;
    alt.slot = c.field.slot;
    alt.field = c.field.path;
    bool fold = false;
    switch (p.op) {
        case PredOp::cmp:
            if (p.cmp != vm::CmpOp::eq || p.case_insensitive || p.constants.size() != 1) return std::nullopt;
            alt.kind = Kind::exact;
            break;
        case PredOp::in: alt.kind = Kind::exact; break;
        case PredOp::in_ci:
            alt.kind = Kind::folded;
            fold = true;
            break;
        case PredOp::pattern:
        case PredOp::prefix:
            fold = p.case_insensitive;
            alt.kind = fold ? Kind::folded_pattern : Kind::pattern;
            break;
        case PredOp::regex: return regex_alternative(c, std::move(alt));
        default: return std::nullopt;
    }
    if (p.constants.empty()) return std::nullopt;
    for (const auto& constant : p.constants) {
        const auto* s = std::get_if<std::string>(&constant);
        if (s == nullptr) return std::nullopt;  // a number or boolean: compared by value, not as text
        std::string value = fold ? text::to_lower_root(*s) : *s;
        if (p.op == PredOp::prefix) {
            // "lit*" means the prefix only when the prefix has no wildcard character of its own.
            if (value.find_first_of("*?") != std::string::npos) return std::nullopt;
            value += '*';
        }
        alt.values.push_back(std::move(value));
    }
    return alt;
}

size_t kind_rank(Kind k) {
    switch (k) {
        case Kind::exact: return 0;
        case Kind::folded: return 1;
        case Kind::pattern: return 2;
        case Kind::folded_pattern: return 3;
        case Kind::number: return 0;
    }
    return 4;
}

// Within an `or` branch the library-wide statistics are not known: the key with the fewest values, exact before
// folded before patterns.
bool locally_better(const IndexKey& a, const IndexKey& b) {
    auto weight = [](const IndexKey& k) {
        size_t values = 0, rank = 0;
        for (const auto& alt : k.alternatives) {
            values += alt.values.size();
            rank = std::max(rank, kind_rank(alt.kind));
        }
        return std::pair(rank, values);
    };
    return weight(a) < weight(b);
}

IndexKey never_key() { return IndexKey{}; }

std::vector<IndexKey> keys_of(const Cond& c) {
    switch (c.kind) {
        case CondKind::constant:
            if (!c.truth) return {never_key()};
            return {};
        case CondKind::value_test: return {};
        case CondKind::field_test: {
            auto alt = alternative(c);
            if (!alt) return {};
            IndexKey key;
            key.alternatives.push_back(std::move(*alt));
            return {std::move(key)};
        }
        case CondKind::and_: {
            std::vector<IndexKey> out;
            for (const Cond& child : c.children) {
                auto part = keys_of(child);
                for (auto& k : part) {
                    if (k.alternatives.empty()) return {never_key()};  // the whole `and` can never hold
                    out.push_back(std::move(k));
                }
            }
            return out;
        }
        case CondKind::or_: {
            IndexKey merged;
            for (const Cond& child : c.children) {
                auto part = keys_of(child);
                if (part.empty()) return {};  // this branch may hold on any event
                const auto best = std::min_element(part.begin(), part.end(), locally_better);
                merged.alternatives.insert(merged.alternatives.end(), best->alternatives.begin(),
                                           best->alternatives.end());
                if (merged.alternatives.size() > kMaxIndexAlternatives) return {};
                merged.branches.push_back(std::move(part));
            }
            return {std::move(merged)};
        }
    }
    return {};
}

}  // namespace

std::vector<IndexKey> index_keys(const Cond& cond) { return keys_of(cond); }

std::string to_string(const IndexKey& key) {
    if (key.alternatives.empty()) return "never";
    std::string out;
    for (size_t i = 0; i < key.alternatives.size(); ++i) {
        const auto& alt = key.alternatives[i];
        if (i) out += " or ";
        out += alt.field;
        const std::string n = std::to_string(alt.values.size());
        switch (alt.kind) {
            case Kind::exact:
                out += alt.values.size() == 1 ? " == \"" + alt.values[0] + "\"" : " in " + n + " values";
                break;
            case Kind::folded:
                out += alt.values.size() == 1 ? " : \"" + alt.values[0] + "\"" : " in~ " + n + " values";
                break;
            case Kind::pattern:
                out += alt.values.size() == 1 ? " like \"" + alt.values[0] + "\"" : " like " + n + " patterns";
                break;
            case Kind::folded_pattern:
                out += alt.values.size() == 1 ? " : \"" + alt.values[0] + "\"" : " : " + n + " patterns";
                break;
            case Kind::number: out += alt.values.size() == 1 ? " == " + alt.values[0] : " in " + n + " numbers"; break;
        }
    }
    return out;
}

}  // namespace eqlc::compiler
