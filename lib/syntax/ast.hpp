// The typed syntax tree of an EQL statement, as the parser builds it and the printer writes it back.
//
// The tree keeps what the text says, not what it means: categories are still names, fields are still
// paths, `not` is still where the user wrote it. The semantic passes (lib/semantics) check it against
// Elasticsearch's rules and the compiler (lib/compiler) lowers it to bytecode.
//
// Shape decisions:
// - `and` / `or` are n-ary: a chain `a or b or c` is one node with three operands, so a 2,600-term chain
//   does not become a 2,600-deep tree that every recursive pass would walk.
// - `-<number literal>` is folded into a negative literal by the parser, as Elasticsearch's builder does.
// - `x : ("a")` and `x : "a"` give the same tree (one pattern); the printer writes lists only when needed.
// - Adjacent string literals are concatenated into one literal.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "eqlc/diagnostics.hpp"

namespace eqlc::ast {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// A literal value. Integers that fit in int64 stay integers; larger ones become doubles.
struct Null {
    friend bool operator==(const Null&, const Null&) = default;
};
using LiteralValue = std::variant<Null, bool, int64_t, double, std::string>;

enum class ExprKind : uint8_t {
    literal,  // `value`
    field,    // `path`, `optional`
    not_,     // operands[0]
    and_,     // operands[0..n), n >= 2
    or_,      // operands[0..n), n >= 2
    compare,  // operands[0] `compare_op` operands[1]
    match,    // operands[0] `match_op` operands[1..n): string literals, n >= 2 (`:`, like, like~, regex, regex~)
    in,       // operands[0] [not] in[~] (operands[1..n)), n >= 2; `negated`, `case_insensitive`
    arith,    // operands[0] `arith_op` operands[1]
    negate,   // -operands[0] (a non-literal operand; literals are folded)
    call,     // `function`(operands...), `case_insensitive` when written `name~(...)`
};

enum class CompareOp : uint8_t { eq, ne, lt, le, gt, ge };
enum class MatchOp : uint8_t { seq, like, like_i, regex, regex_i };  // seq is `:`
enum class ArithOp : uint8_t { add, sub, mul, div, mod };

// A field reference: `process.parent.name`, `?process.pid`, `` `my field`.x ``.
struct FieldPath {
    std::vector<std::string> segments;  // identifier texts, backquotes removed
    bool optional = false;              // written with a leading `?`

    // The dotted name Elasticsearch resolves against its flattened mapping.
    std::string dotted() const;

    friend bool operator==(const FieldPath&, const FieldPath&) = default;
};

struct Expr {
    ExprKind kind = ExprKind::literal;
    SourceSpan span;

    LiteralValue value;  // literal
    FieldPath field;     // field
    CompareOp compare_op = CompareOp::eq;
    MatchOp match_op = MatchOp::seq;
    ArithOp arith_op = ArithOp::add;
    bool negated = false;           // in: `not in`
    bool case_insensitive = false;  // in: `in~`; call: `name~(...)`
    std::string function;           // call: the name as written (case preserved, without `~`)
    std::vector<ExprPtr> operands;

    ExprPtr clone() const;
};

// Structural equality, ignoring source spans: what the printer round-trip property compares.
bool same_tree(const Expr& a, const Expr& b);

// `category where condition`; `category` is empty for `any where`.
struct EventFilter {
    SourceSpan span;
    bool any = false;
    std::string category;  // the name, quotes removed
    SourceSpan category_span;
    ExprPtr condition;
};

// One `[...]` (or `![...]`) term of a sequence or sample, with its own `by` keys and `with runs=N`.
struct Term {
    SourceSpan span;
    bool missing = false;  // written `![ ... ]`
    EventFilter filter;
    std::vector<ExprPtr> keys;  // per-term `by` keys
    SourceSpan keys_span;
    std::optional<int64_t> runs;  // `with runs=N` as written (range is checked by semantics)
    SourceSpan runs_span;
};

enum class TimeUnit : uint8_t { ms, s, m, h, d };

struct MaxSpan {
    SourceSpan span;
    int64_t value = 0;  // as written; must be positive (checked by semantics)
    TimeUnit unit = TimeUnit::s;
    // The span in nanoseconds (saturating).
    int64_t nanoseconds() const;
};

// `| name args...`. Only head/tail are accepted by semantics; the parser accepts any name so that the
// refusal can say "Pipe [count] is not supported" at the right place.
struct Pipe {
    SourceSpan span;
    std::string name;
    SourceSpan name_span;
    std::vector<ExprPtr> args;
};

enum class QueryKind : uint8_t { event, sequence, sample };

struct Query {
    SourceSpan span;
    QueryKind kind = QueryKind::event;

    EventFilter event;  // kind == event

    std::vector<ExprPtr> shared_keys;  // sequence/sample: `sequence by k1, k2`
    SourceSpan shared_keys_span;
    std::optional<MaxSpan> maxspan;  // sequence: `with maxspan=...`
    std::vector<Term> terms;         // sequence/sample terms, in order
    std::optional<Term> until;       // sequence: `until [...]`

    std::vector<Pipe> pipes;
};

// Structural equality of whole queries, ignoring spans.
bool same_query(const Query& a, const Query& b);

}  // namespace eqlc::ast
