// The compiled form of a whole query, as the engine runs it: one filter Program per term, the join keys of
// each term, maxspan, the pipes, and the slots of the configured fields. Built by compile_query (parse -> check
// -> resolve -> normalize -> codegen). Immutable and shareable across threads: the Programs are held by
// shared_ptr<const Program>, and terms expanded from `with runs=N` share theirs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/index_keys.hpp"
#include "compiler/required_text.hpp"
#include "eqlc/diagnostics.hpp"
#include "semantics/checker.hpp"
#include "semantics/schema.hpp"
#include "syntax/ast.hpp"
#include "values/field_catalog.hpp"
#include "vm/program.hpp"

namespace eqlc::compiler {

struct CompileOptions {
    std::string timestamp_field = "@timestamp";
    std::string event_category_field = "event.category";
    std::optional<std::string> tiebreaker_field;
    // The index mapping (plus dynamic inference), or null: every field dynamic, `?` changes nothing.
    const semantics::Schema* schema = nullptr;
    uint32_t max_depth = 200;  // parser nesting limit
    semantics::CheckLimits check_limits;
    // Reorders and/or operands so that cheap tests run first (never changes results).
    bool order_by_cost = true;
    // Writes each instruction's note (the source it came from) for EXPLAIN; a set compiled to run leaves them out
    // and compiles a query again to explain it.
    bool notes = true;
};

// A join key of a term (`sequence by k` / `[...] by k` / `sample by k`).
struct JoinKey {
    std::string text;                // as written (canonical EQL)
    bool optional = false;           // written `?field`: a null key is allowed and joins with null
    std::optional<vm::SlotId> slot;  // a plain field: read every value of the slot (arrays expand)
    vm::FieldType type = vm::FieldType::dynamic;
    std::shared_ptr<const vm::Program> program;  // otherwise: a value program computing the key (also `?unmapped`,
                                                 // which is the constant null)
};

struct CompiledTerm {
    std::shared_ptr<const vm::Program> filter;  // condition program (category test included)
    RequiredText required;                      // text an event's line must contain for the filter to hold
    bool missing = false;                       // a missing-event term `![...]`
    std::vector<JoinKey> keys;                  // shared keys first, then the term's own
    bool any = false;                           // `any where`
    std::string category;                       // the category name (empty for any)
    // Strings fields must hold for the filter to hold (see ExactValue): the engine skips the filter for events
    // without them, without running it.
    std::vector<ExactValue> exact_values;
    // The string tests the filter cannot hold without, for the engine's rule index (compiler/index_keys.hpp).
    std::vector<IndexKey> index_keys;
    SourceSpan span;
    uint32_t written_index = 0;  // index of the term as written (before runs expansion)
};

struct PipeLimit {
    enum class Kind : uint8_t { head, tail };
    Kind kind = Kind::head;
    uint64_t count = 0;
};

struct CompiledQuery {
    ast::QueryKind kind = ast::QueryKind::event;
    std::vector<CompiledTerm> terms;  // event query: exactly one; `runs=N` terms appear N times
    std::optional<CompiledTerm> until;
    std::optional<int64_t> maxspan_ns;
    std::vector<PipeLimit> pipes;  // in order

    vm::SlotId timestamp_slot = 0;
    std::optional<vm::SlotId> tiebreaker_slot;
    std::optional<vm::SlotId> category_slot;  // absent when the schema does not map the category field
    std::string source;                       // the query text
};

struct CompileResult {
    std::optional<CompiledQuery> query;
    Diagnostics diagnostics;  // syntax / semantics / compile problems (errors mean no query)
    bool ok() const { return query.has_value(); }
};

// Runs the whole front end. Field paths are interned in `catalog` (shared by every query run in one pass).
CompileResult compile_query(std::string_view text, const CompileOptions& options, vm::FieldCatalog& catalog);

// The same in two halves. The first (parse and check) needs no catalog, so a set of queries can run it on several
// threads; the second (resolve, normalize, generate code) interns fields, in the caller's order.
struct CheckedQuery {
    std::optional<ast::Query> query;  // set when the text parsed and passed the checks
    Diagnostics diagnostics;
};
CheckedQuery check_query_text(std::string_view text, const CompileOptions& options);
CompileResult compile_query(CheckedQuery checked, std::string_view text, const CompileOptions& options,
                            vm::FieldCatalog& catalog);

// Every program of the query, one line per instruction (SQLite EXPLAIN style).
std::string explain(const CompiledQuery& query);

// One line per instruction (SQLite EXPLAIN style): address, opcode, operands, decoded constants, note.
std::string explain(const vm::Program& program);

// The slice [begin, end) of `count` ordered results that the pipes and the request size keep (SEMANTICS §8):
// pipes apply in order (head N: first N; tail N: last N of what is left), then the request `size` applies as
// `tail` (Elasticsearch's default result_position) or `head`.
struct ResultWindow {
    size_t begin = 0;
    size_t end = 0;
};
ResultWindow apply_limits(size_t count, std::span<const PipeLimit> pipes,
                          std::optional<PipeLimit> request = std::nullopt);

}  // namespace eqlc::compiler
