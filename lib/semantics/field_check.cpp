// The field check (field_check.hpp). What Elasticsearch 8.x refuses, and is therefore an error here:
//   * from the resolver and normalizer, as a compile with the mapping reports them: an object field used as a value
//     ("Cannot use field [process.parent] type [object] only its subfields", a verification error); a text field
//     without a keyword sub-field, nested and other unsupported types (verification); a long, double, date,
//     boolean or ip field compared with a constant that is not of its type (`process.pid == "abc"`: the term or
//     range query fails to parse the value on every shard, and EQL fails the search); `:`, like and regex
//     wildcards or a prefix on a field that is not keyword ("Can only use wildcard queries on keyword and text
//     fields"); cidrMatch on a field that is not ip (verification: its first argument must be [ip]);
//   * here: a mapped field passed to a function or arithmetic operator that wants another kind of value
//     (`length(process.pid)`, `process.name + 1`, `startsWith(source.ip, "10.")`: the verifier's "first
//     argument of [...] must be [string], found value [...] type [long]"; the EQL function reference says of
//     each such parameter "if using a field as the argument, this parameter supports only" the keyword family
//     (and text with a keyword sub-field), or only numeric types, or, for cidrMatch, only ip).
// What Elasticsearch accepts but can never match is a warning: equality of a long field with a fractional number
// or NaN (the term query becomes match_none); a `*` in the string of `==`, `!=` or `in`, which compare exactly.
#include "semantics/field_check.hpp"

#include <algorithm>
#include <array>

#include "semantics/checker.hpp"
#include "semantics/normalizer.hpp"
#include "semantics/normalizer_internal.hpp"
#include "semantics/resolver.hpp"
#include "syntax/printer.hpp"
#include "values/function_table.hpp"

namespace eqlc::semantics {

using ast::Expr;
using ast::ExprKind;
using vm::FieldType;

namespace {

// Every expression root of a query (conditions and join keys) and every filter.
struct QueryParts {
    std::vector<ast::EventFilter*> filters;
    std::vector<Expr*> keys;

    explicit QueryParts(ast::Query& q) {
        if (q.kind == ast::QueryKind::event) filters.push_back(&q.event);
        for (auto& k : q.shared_keys) keys.push_back(k.get());
        auto term = [&](ast::Term& t) {
            filters.push_back(&t.filter);
            for (auto& k : t.keys) keys.push_back(k.get());
        };
        for (auto& t : q.terms) term(t);
        if (q.until) term(*q.until);
    }

    template <class F>
    void for_each_root(F&& f) const {
        for (auto* filter : filters)
            if (filter->condition) f(*filter->condition);
        for (auto* key : keys) f(*key);
    }
};

template <class F>
void for_each_field(Expr& e, F& f) {
    if (e.kind == ExprKind::field) f(e);
    for (auto& operand : e.operands) for_each_field(*operand, f);
}

std::string_view ordinal(size_t index) {
    static constexpr std::array<std::string_view, 10> words = {"first", "second",  "third",  "fourth", "fifth",
                                                               "sixth", "seventh", "eighth", "ninth",  "tenth"};
    return index < words.size() ? words[index] : "next";
}

// What Elasticsearch's verifier takes a mapped field of this type for (any: not checked).
ValueKind kind_of(FieldType t) {
    switch (t) {
        case FieldType::keyword: return ValueKind::string;
        case FieldType::version: return ValueKind::any;  // not documented either way: not checked
        case FieldType::long_:
        case FieldType::double_: return ValueKind::numeric;
        case FieldType::boolean: return ValueKind::boolean;
        case FieldType::dynamic:
        case FieldType::unsupported: return ValueKind::any;
        case FieldType::date:
        case FieldType::ip: break;
    }
    return ValueKind::any;
}

bool has_wildcard(std::string_view s) { return s.find_first_of("*?") != std::string_view::npos; }

// The checks on mapped fields that the normalizer does not make (see the top of this file).
// The walk recurses once per level of the query: the work of each node is done in helpers that are not inlined
// into it, so that its frame stays small (the nesting limit, syntax::kMaxDepthLimit, is sized with such frames).
class TypeWalk {
public:
    TypeWalk(const Schema& schema, Diagnostics& out) : schema_(schema), out_(out) {}

    void expr(const Expr& e) {
        switch (e.kind) {
            case ExprKind::call: call(e); break;
            case ExprKind::arith:
            case ExprKind::negate:
                for (size_t i = 0; i < e.operands.size(); ++i) wants(e, *e.operands[i], i, ValueKind::numeric);
                break;
            case ExprKind::compare:
                if (e.compare_op == ast::CompareOp::eq) {
                    never_equal(*e.operands[0], *e.operands[1]);
                    never_equal(*e.operands[1], *e.operands[0]);
                }
                if (e.compare_op == ast::CompareOp::eq || e.compare_op == ast::CompareOp::ne) {
                    literal_star(e, *e.operands[0], *e.operands[1]);
                    literal_star(e, *e.operands[1], *e.operands[0]);
                }
                break;
            case ExprKind::in:
                for (size_t i = 1; i < e.operands.size(); ++i) {
                    if (!e.negated) never_equal(*e.operands[0], *e.operands[i]);
                    literal_star(e, *e.operands[0], *e.operands[i]);
                }
                break;
            case ExprKind::match:
                if (e.match_op == ast::MatchOp::seq)
                    for (size_t i = 1; i < e.operands.size(); ++i) {
                        const Expr& pattern = *e.operands[i];
                        const auto* text = std::get_if<std::string>(&pattern.value);
                        if (!text || !has_wildcard(*text)) never_equal(*e.operands[0], pattern);
                    }
                break;
            default: break;
        }
        for (const auto& operand : e.operands) expr(*operand);
    }

private:
    // The mapped type of a plain field that the schema declares (null for unmapped and optional-unmapped ones).
    const SchemaField* mapped(const Expr& e) const {
        if (e.kind != ExprKind::field) return nullptr;
        const SchemaLookup found = schema_.lookup(e.field.dotted());
        return found.status == SchemaLookup::Status::found ? found.field : nullptr;
    }

    [[gnu::noinline]] void call(const Expr& e) {
        const FunctionSpec* spec = find_function(e.function);
        if (!spec || spec->args.empty()) return;
        for (size_t i = 0; i < e.operands.size(); ++i) {
            if (spec->id == FunctionId::cidr_match && i == 0) {
                const SchemaField* f = mapped(*e.operands[0]);
                if (f && f->type != FieldType::ip && kind_of(f->type) != ValueKind::any)
                    mismatch(e, *e.operands[0], 0, "ip", *f);
                continue;
            }
            wants(e, *e.operands[i], i, spec->args[std::min(i, spec->args.size() - 1)]);
        }
    }

    void wants(const Expr& parent, const Expr& operand, size_t index, ValueKind wanted) {
        if (wanted == ValueKind::any) return;
        const SchemaField* f = mapped(operand);
        if (!f || f->type == FieldType::dynamic || f->type == FieldType::unsupported) return;
        if (kind_of(f->type) != wanted) mismatch(parent, operand, index, value_kind_name(wanted), *f);
    }

    [[gnu::noinline]] void mismatch(const Expr& parent, const Expr& operand, size_t index, std::string_view wanted,
                                    const SchemaField& f) {
        Diagnostic d;
        d.phase = Phase::compile;
        d.span = parent.span;
        d.message = std::string(ordinal(index)) + " argument of [" + syntax::print_expr_brief(parent) + "] must be [" +
                    std::string(wanted) + "], found value [" + syntax::print_expr_brief(operand) + "] type [" +
                    type_name(f.type) + "]";
        out_.push_back(std::move(d));
    }

    // `field == constant` (also in, `:` without wildcards) where the constant converts to nothing the field can
    // hold: Elasticsearch runs it and matches nothing.
    [[gnu::noinline]] void never_equal(const Expr& field, const Expr& constant) {
        if (constant.kind != ExprKind::literal) return;
        const SchemaField* f = mapped(field);
        if (!f || f->type == FieldType::dynamic || f->type == FieldType::unsupported) return;
        const Converted c = convert_constant(constant.value, f->type, false, f->path);
        if (!c.never) return;
        Diagnostic d;
        d.phase = Phase::compile;
        d.severity = Severity::warning;
        d.span = constant.span;
        d.message = "[" + field.field.dotted() + "] is of type [" + type_name(f->type) + "]: it never equals [" +
                    syntax::print_expr_brief(constant) + "], so this comparison can never hold";
        out_.push_back(std::move(d));
    }

    // `field == "python*"`, `field in ("a*", ...)`: these compare exactly (SEMANTICS §4), so the `*` is a literal
    // star and the test holds only for a value that contains one, which is hardly ever what was meant.
    // Elasticsearch runs it; a warning.
    [[gnu::noinline]] void literal_star(const Expr& parent, const Expr& field, const Expr& constant) {
        if (field.kind != ExprKind::field || constant.kind != ExprKind::literal) return;
        const auto* text = std::get_if<std::string>(&constant.value);
        if (!text || text->find('*') == std::string::npos) return;
        const SchemaField* f = mapped(field);
        if (f && kind_of(f->type) != ValueKind::string && kind_of(f->type) != ValueKind::any) return;  // typed
        const bool in = parent.kind == ExprKind::in;
        std::string op = in                                        ? (parent.negated ? "not in" : "in")
                         : parent.compare_op == ast::CompareOp::eq ? "=="
                                                                   : "!=";
        if (in && parent.case_insensitive) op += "~";
        Diagnostic d;
        d.phase = Phase::compile;
        d.severity = Severity::warning;
        d.span = constant.span;
        d.message = "[" + op + "] compares exactly: the * in [" + syntax::print_expr_brief(constant) +
                    "] is not a wildcard, so only a value holding a literal * matches it";
        d.hint = "to match a pattern, write " + field.field.dotted() + (in ? " : (...)" : " : ...") +
                 " (case-insensitive) or like (case-sensitive)";
        out_.push_back(std::move(d));
    }

    const Schema& schema_;
    Diagnostics& out_;
};

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

FieldCheck::FieldCheck(const std::vector<const Schema*>& schemas, std::string described)
    : described_(std::move(described)) {
    for (const Schema* s : schemas)
        if (s) schema_.merge(*s);
    const std::vector<std::string> paths = schema_.paths();  // sorted
    std::vector<bool> values(paths.size());
    for (size_t i = 0; i < paths.size(); ++i) {
        const SchemaField* f = schema_.declared(paths[i]);
        values[i] = !f->object && f->type != FieldType::unsupported;
        // An object without sub-fields, or a flattened field: the schema leaves what is under it open.
        if (f->es_type == "flattened") open_objects_.push_back(paths[i]);
        if (!f->object) continue;
        const std::string below = paths[i] + ".";
        auto next = std::lower_bound(paths.begin(), paths.end(), below);
        if (next == paths.end() || !starts_with(*next, below)) open_objects_.push_back(paths[i]);
    }
    std::sort(open_objects_.begin(), open_objects_.end());
    names_ = FieldNames(paths, values);
}

FieldCheck::Known FieldCheck::classify(std::string_view path) const {
    if (schema_.declared(path)) return Known::field;
    for (size_t dot = path.rfind('.'); dot != std::string_view::npos && dot > 0; dot = path.rfind('.', dot - 1)) {
        if (std::binary_search(open_objects_.begin(), open_objects_.end(), path.substr(0, dot),
                               [](std::string_view a, std::string_view b) { return a < b; }))
            return Known::namespace_;
    }
    return Known::unknown;
}

Diagnostic FieldCheck::unknown_field(std::string_view path, const SourceSpan& span, std::string_view role) const {
    Diagnostic d;
    d.phase = Phase::compile;
    d.severity = Severity::warning;
    d.span = span;
    d.message = "Unknown field [" + std::string(path) + "]" +
                (role.empty() ? std::string() : " (the " + std::string(role) + " field)") + ": not in " + described_;
    // Where the path leaves the schema: "[process] has no [Ext]" says which part is unknown.
    for (size_t dot = path.rfind('.'); dot != std::string_view::npos && dot > 0; dot = path.rfind('.', dot - 1)) {
        const SchemaField* parent = schema_.declared(path.substr(0, dot));
        if (!parent) continue;
        const size_t end = path.find('.', dot + 1);
        d.message += " ([" + std::string(path.substr(0, dot)) + "] has no [" +
                     std::string(path.substr(dot + 1, end == std::string_view::npos ? end : end - dot - 1)) + "])";
        break;
    }
    const std::vector<std::string> near = nearest(path);
    if (!near.empty()) {
        d.hint = "did you mean ";
        for (size_t i = 0; i < near.size(); ++i)
            d.hint += (i == 0 ? "" : i + 1 == near.size() ? " or " : ", ") + ("[" + near[i] + "]");
        d.hint += "?";
    } else if (role.empty()) {
        d.hint = "write ?" + std::string(path) + " if events may lack it, or check against a schema that declares it";
    }
    return d;
}

Diagnostics FieldCheck::check(ast::Query& q, const ConfiguredFields& config) const {
    Diagnostics out;
    QueryParts parts(q);

    // Names. A field that is not declared is made optional: the resolver then treats it as unmapped (null)
    // rather than refusing it, and its comparisons are not typed.
    auto name = [&](Expr& e) {
        const Known known = classify(e.field.dotted());
        if (known == Known::unknown && !e.field.optional) out.push_back(unknown_field(e.field.dotted(), e.span, {}));
        if (known != Known::field) e.field.optional = true;
    };
    for (auto* filter : parts.filters)
        if (filter->condition) for_each_field(*filter->condition, name);
    for (auto* key : parts.keys) for_each_field(*key, name);

    const ast::EventFilter* categorized = nullptr;  // the first term that names a category
    for (const auto* filter : parts.filters)
        if (!filter->any && !categorized) categorized = filter;
    const bool timed = q.kind != ast::QueryKind::sample;  // samples neither order nor window events
    const SourceSpan start{q.span.begin, q.span.begin};
    auto configured = [&](const std::string& path, std::string_view role, const SourceSpan& span) {
        const Known known = classify(path);
        if (known == Known::unknown) out.push_back(unknown_field(path, span, role));
        return known != Known::field;  // optional for the resolver
    };
    bool category_optional = false, timestamp_optional = false, tiebreaker_optional = false;
    if (categorized)
        category_optional = configured(config.event_category_field, "event category", categorized->category_span);
    if (timed) timestamp_optional = configured(config.timestamp_field, "timestamp", start);
    if (timed && config.tiebreaker_field)
        tiebreaker_optional = configured(*config.tiebreaker_field, "tiebreaker", start);

    // Types: the known fields as a compile with this mapping sees them (errors: Elasticsearch refuses them).
    Diagnostics typed;
    vm::FieldCatalog catalog;
    Resolver resolver(&schema_, catalog, typed);
    Normalizer normalizer(resolver, typed);
    ResolvedField category;
    if (categorized)
        category = resolver.configured(config.event_category_field, "event category", categorized->category_span,
                                       category_optional);
    if (timed) resolver.configured(config.timestamp_field, "timestamp", start, timestamp_optional);
    if (timed && config.tiebreaker_field)
        resolver.configured(*config.tiebreaker_field, "tiebreaker", start, tiebreaker_optional);
    for (auto* filter : parts.filters) normalizer.filter(*filter, filter->any ? ResolvedField{} : category);
    for (auto* key : parts.keys) {
        if (key->kind == ExprKind::field)
            resolver.field(key->field, key->span);
        else
            normalizer.value(*key);
    }

    Diagnostics more;
    TypeWalk walk(schema_, more);
    parts.for_each_root([&](const Expr& e) { walk.expr(e); });
    for (auto& d : more) {
        // cidrMatch on a field is also a field test the normalizer refuses: one error per place is enough.
        const bool said = std::any_of(typed.begin(), typed.end(), [&](const Diagnostic& t) {
            return t.span.begin.offset == d.span.begin.offset && t.severity == d.severity;
        });
        if (!said) typed.push_back(std::move(d));
    }
    for (auto& d : typed) out.push_back(std::move(d));
    std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return a.span.begin.offset < b.span.begin.offset;
    });
    // The summary of problems left out is an error only when one of them is: warnings alone never refuse a query.
    const bool dropped_error =
        out.size() > kMaxProblems && std::any_of(out.begin() + kMaxProblems, out.end(),
                                                 [](const Diagnostic& d) { return d.severity == Severity::error; });
    limit_problems(out);
    if (out.size() > kMaxProblems) out.back().severity = dropped_error ? Severity::error : Severity::warning;
    return out;
}

}  // namespace eqlc::semantics
