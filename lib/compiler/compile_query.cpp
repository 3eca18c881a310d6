// The text -> program driver: compile_query parses a query, checks it, resolves its fields, normalizes each
// term's filter and join keys and hands them to code generation (codegen.hpp); apply_limits applies the pipes.
#include <algorithm>

#include "compiler/codegen.hpp"
#include "compiler/compiled_query.hpp"
#include "semantics/checker.hpp"
#include "semantics/resolver.hpp"
#include "syntax/parser.hpp"
#include "syntax/printer.hpp"

namespace eqlc::compiler {

using vm::Program;

using semantics::Cond;
using semantics::ValueExpr;

namespace {

struct QueryCompiler {
    const CompileOptions& options;
    vm::FieldCatalog& catalog;
    Diagnostics& out;
    semantics::Resolver resolver;
    semantics::Normalizer normalizer;
    std::optional<semantics::ResolvedField> category;

    QueryCompiler(const CompileOptions& o, vm::FieldCatalog& c, Diagnostics& d)
        : options(o), catalog(c), out(d), resolver(o.schema, c, d), normalizer(resolver, d) {}

    const semantics::ResolvedField& category_field(const SourceSpan& span) {
        if (!category) category = resolver.configured(options.event_category_field, "event category", span);
        return *category;
    }

    // Compiles the filter; also sets the term's required text and exact category.
    std::shared_ptr<const Program> filter_program(const ast::EventFilter& f, const std::string& label,
                                                  CompiledTerm& term) {
        semantics::ResolvedField none;
        const semantics::ResolvedField& cat = f.any ? none : category_field(f.category_span);
        Cond c = normalizer.filter(f, cat);
        term.exact_values = exact_values(c);
        term.index_keys = index_keys(c);
        RequiredText& required = term.required;
        required = required_text(c);
        // The category is a weak anchor (a handful of values share the whole stream): keep it for last.
        if (!f.any && required.clauses.size() > 1) {
            const RequiredText::Clause category_clause{Needle{f.category, false}};
            auto found = std::find(required.clauses.begin(), required.clauses.end(), category_clause);
            if (found != required.clauses.end()) std::rotate(found, found + 1, required.clauses.end());
        }
        if (options.order_by_cost) semantics::order_by_cost(c);
        auto p = generate_condition(c, label, out, options.notes);
        if (!p) return nullptr;
        return std::make_shared<const Program>(std::move(*p));
    }

    JoinKey key(const ast::Expr& e, const std::string& label) {
        JoinKey k;
        k.text = syntax::print_expr(e);
        if (e.kind == ast::ExprKind::field) {
            k.optional = e.field.optional;
            semantics::ResolvedField r = resolver.field(e.field, e.span);
            if (r.kind == semantics::ResolvedField::Kind::slot) {
                k.slot = r.slot;
                k.type = r.type;
                return k;
            }
            if (r.kind == semantics::ResolvedField::Kind::error) return k;
            // an unmapped optional field: the constant null
            ValueExpr null;
            auto p = generate_value(null, label, out, options.notes);
            if (p) k.program = std::make_shared<const Program>(std::move(*p));
            return k;
        }
        ValueExpr v = normalizer.value(e);
        auto p = generate_value(v, label, out, options.notes);
        if (p) k.program = std::make_shared<const Program>(std::move(*p));
        return k;
    }

    CompiledTerm term(const ast::Term& t, const std::vector<ast::ExprPtr>& shared, uint32_t index,
                      const std::string& name) {
        CompiledTerm ct;
        ct.missing = t.missing;
        ct.any = t.filter.any;
        ct.category = t.filter.category;
        ct.span = t.span;
        ct.written_index = index;
        ct.filter = filter_program(t.filter, "filter of " + name, ct);
        size_t i = 0;
        for (const auto& k : shared) ct.keys.push_back(key(*k, "key " + std::to_string(i++) + " of " + name));
        for (const auto& k : t.keys) ct.keys.push_back(key(*k, "key " + std::to_string(i++) + " of " + name));
        return ct;
    }
};

bool has_errors(const Diagnostics& d) {
    return std::any_of(d.begin(), d.end(), [](const Diagnostic& x) { return x.severity == Severity::error; });
}

}  // namespace

CheckedQuery check_query_text(std::string_view text, const CompileOptions& options) {
    CheckedQuery out;
    auto parsed = syntax::parse_query(text, {.max_depth = options.max_depth});
    if (!parsed.ok()) {
        out.diagnostics = std::move(parsed.diagnostics);
        return out;
    }
    out.diagnostics = semantics::check_query(*parsed.query, options.check_limits);
    if (!has_errors(out.diagnostics)) out.query = std::move(parsed.query);
    return out;
}

CompileResult compile_query(std::string_view text, const CompileOptions& options, vm::FieldCatalog& catalog) {
    return compile_query(check_query_text(text, options), text, options, catalog);
}

CompileResult compile_query(CheckedQuery checked, std::string_view text, const CompileOptions& options,
                            vm::FieldCatalog& catalog) {
    CompileResult result;
    result.diagnostics = std::move(checked.diagnostics);
    if (!checked.query) return result;
    const ast::Query& q = *checked.query;

    QueryCompiler qc(options, catalog, result.diagnostics);
    CompiledQuery cq;
    cq.kind = q.kind;
    cq.source = std::string(text);

    // Samples neither order nor window events (SEMANTICS §9): their index need not map the time fields.
    const bool time_optional = q.kind == ast::QueryKind::sample;
    auto ts = qc.resolver.configured(options.timestamp_field, "timestamp", q.span, time_optional);
    if (ts.kind == semantics::ResolvedField::Kind::slot)
        cq.timestamp_slot = ts.slot;
    else
        cq.timestamp_slot = catalog.intern(options.timestamp_field);  // unmapped: never holds a value
    if (options.tiebreaker_field) {
        auto tb = qc.resolver.configured(*options.tiebreaker_field, "tiebreaker", q.span, time_optional);
        if (tb.kind == semantics::ResolvedField::Kind::slot) cq.tiebreaker_slot = tb.slot;
    }

    switch (q.kind) {
        case ast::QueryKind::event: {
            CompiledTerm t;
            t.any = q.event.any;
            t.category = q.event.category;
            t.span = q.event.span;
            t.filter = qc.filter_program(q.event, "filter", t);
            cq.terms.push_back(std::move(t));
            break;
        }
        case ast::QueryKind::sequence:
        case ast::QueryKind::sample: {
            for (size_t i = 0; i < q.terms.size(); ++i) {
                const auto& t = q.terms[i];
                CompiledTerm ct = qc.term(t, q.shared_keys, static_cast<uint32_t>(i), "term " + std::to_string(i));
                const int64_t runs = t.runs.value_or(1);
                for (int64_t r = 1; r < runs; ++r) cq.terms.push_back(ct);
                cq.terms.push_back(std::move(ct));
            }
            if (q.until) cq.until = qc.term(*q.until, q.shared_keys, static_cast<uint32_t>(q.terms.size()), "until");
            if (q.maxspan) cq.maxspan_ns = q.maxspan->nanoseconds();
            break;
        }
    }
    if (qc.category && qc.category->kind == semantics::ResolvedField::Kind::slot) cq.category_slot = qc.category->slot;

    for (const auto& p : q.pipes) {
        PipeLimit limit;
        limit.kind = p.name == "tail" ? PipeLimit::Kind::tail : PipeLimit::Kind::head;
        if (!p.args.empty())
            if (const auto* n = std::get_if<int64_t>(&p.args[0]->value)) limit.count = static_cast<uint64_t>(*n);
        cq.pipes.push_back(limit);
    }

    semantics::limit_problems(result.diagnostics);
    if (has_errors(result.diagnostics)) return result;
    for (const auto& t : cq.terms)
        if (!t.filter) return result;
    if (cq.until && !cq.until->filter) return result;
    result.query = std::move(cq);
    return result;
}

ResultWindow apply_limits(size_t count, std::span<const PipeLimit> pipes, std::optional<PipeLimit> request) {
    ResultWindow w{0, count};
    auto apply = [&](const PipeLimit& l) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(l.count, w.end - w.begin));
        if (l.kind == PipeLimit::Kind::head)
            w.end = w.begin + n;
        else
            w.begin = w.end - n;
    };
    for (const auto& p : pipes) apply(p);
    if (request) apply(*request);
    return w;
}

}  // namespace eqlc::compiler
