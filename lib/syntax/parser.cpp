// Actions that build the syntax tree while the grammar (grammar.hpp) matches, and parse_query.
//
// Expressions are built on a stack: a leaf pushes a node; an operator token pops its left operand and
// pushes the operator node with that operand; the rule that completes the operator pops the right operand
// and appends it. Every list (`or` chains, `in` lists, call arguments, keys) is appended to element by
// element, so nothing here recurses per list item.
#include "syntax/parser.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include "syntax/grammar.hpp"
#include "text/utf16.hpp"

namespace eqlc::syntax {

namespace {

namespace g = grammar;
namespace pegtl = tao::pegtl;
using ast::Expr;
using ast::ExprKind;
using ast::ExprPtr;

struct ParserState {
    explicit ParserState(std::string_view source, const ParseLimits& limits)
        : text(source), max_depth(limits.max_depth) {}

    std::string_view text;
    uint32_t max_depth;
    uint32_t nesting = 0;  // current recursion depth through nested<...>
    SourcePos last_end;    // where the most recent token ended (before the whitespace after it)

    std::vector<ExprPtr> stack;
    ast::Query query;
    ast::EventFilter filter;  // the filter being built (event query or current term)
    ast::Term term;           // the sequence/sample term being built

    bool optional_pending = false;  // a `?` was read, the field follows
    SourcePos optional_begin;

    std::string_view time_number;
    SourcePos time_number_begin, time_number_end;
    std::string_view time_unit;
    SourcePos time_unit_begin, time_unit_end;
    SourcePos runs_begin;

    // The tree depth of each stacked node is tracked too: chains such as `1+1+1+...` nest without any
    // grammar recursion, and every later pass (and the destructor) recurses over the tree.
    std::vector<uint32_t> depths;
    uint32_t popped_depth = 0;

    [[noreturn]] void too_deep(size_t offset) const {
        throw g::syntax_failure{offset, offset + 1, "query is nested too deeply",
                                "at most " + std::to_string(max_depth) +
                                    " levels of parentheses, operators, 'not', signs and function calls",
                                "split the condition or remove redundant nesting"};
    }
    // The tree may be a little deeper than the text nesting (a `not` chain under a comparison under an
    // `and`...); the slack keeps ParseLimits::max_depth the limit users meet.
    static constexpr uint32_t tree_slack = 16;
    void check_depth(uint32_t depth) const {
        if (depth > max_depth + tree_slack) too_deep(last_end.offset);
    }
    void push(ExprPtr e, uint32_t depth = 1) {
        check_depth(depth);
        stack.push_back(std::move(e));
        depths.push_back(depth);
    }
    ExprPtr pop() {
        if (stack.empty())
            throw g::syntax_failure{last_end.offset, last_end.offset, "internal parser error: empty stack", "", ""};
        ExprPtr e = std::move(stack.back());
        stack.pop_back();
        popped_depth = depths.back();
        depths.pop_back();
        return e;
    }
    Expr& top() {
        if (stack.empty())
            throw g::syntax_failure{last_end.offset, last_end.offset, "internal parser error: empty stack", "", ""};
        return *stack.back();
    }
    // The top node got a child of depth `child_depth`.
    void deepen_top(uint32_t child_depth) {
        depths.back() = std::max(depths.back(), child_depth + 1);
        check_depth(depths.back());
    }
    // Pops the top node and appends it to the node below.
    void append_popped() {
        ExprPtr child = pop();
        const uint32_t d = popped_depth;
        top().operands.push_back(std::move(child));
        deepen_top(d);
    }
};

SourcePos to_pos(const pegtl::internal::iterator& it) {
    return SourcePos{static_cast<uint32_t>(it.byte), static_cast<uint32_t>(it.line), static_cast<uint32_t>(it.column)};
}

template <typename ActionInput>
SourcePos begin_of(const ActionInput& in) {
    return to_pos(in.iterator());
}

// The position just after the matched text (tokens rarely contain line breaks: only quoted identifiers).
template <typename ActionInput>
SourcePos end_of(const ActionInput& in) {
    SourcePos p = begin_of(in);
    const std::string_view s = in.string_view();
    p.offset += static_cast<uint32_t>(s.size());
    const size_t nl = s.rfind('\n');
    if (nl == std::string_view::npos) {
        p.column += static_cast<uint32_t>(s.size());
    } else {
        for (char c : s)
            if (c == '\n') ++p.line;
        p.column = static_cast<uint32_t>(s.size() - nl);
    }
    return p;
}

template <typename ActionInput>
SourceSpan span_of(const ActionInput& in) {
    return SourceSpan{begin_of(in), end_of(in)};
}

ExprPtr make_node(ExprKind kind, SourceSpan span) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->span = span;
    return e;
}

// Appends the value of a string token (already validated by the grammar) to `out`.
void decode_string(std::string_view token, std::string& out) {
    if (token.size() >= 6 && token.compare(0, 3, "\"\"\"") == 0) {
        out.append(token.substr(3, token.size() - 6));
        return;
    }
    const std::string_view body = token.substr(1, token.size() - 2);
    size_t i = 0;
    while (i < body.size()) {
        const size_t b = body.find('\\', i);
        if (b == std::string_view::npos) {
            out.append(body.substr(i));
            break;
        }
        out.append(body.substr(i, b - i));
        const char e = body[b + 1];
        switch (e) {
            case 'b': out += '\b'; break;
            case 't': out += '\t'; break;
            case 'n': out += '\n'; break;
            case 'f': out += '\f'; break;
            case 'r': out += '\r'; break;
            case 'u': {
                const size_t close = body.find('}', b + 3);
                text::append_utf8(static_cast<char32_t>(g::parse_code_point(body.substr(b + 3, close - (b + 3)))), out);
                i = close + 1;
                continue;
            }
            default: out += e; break;  // " ' and backslash
        }
        i = b + 2;
    }
}

std::string decode_name(std::string_view token) {
    if (token.empty() || token[0] != '`') return std::string(token);
    std::string out;
    const std::string_view body = token.substr(1, token.size() - 2);
    out.reserve(body.size());
    for (size_t i = 0; i < body.size(); ++i) {
        out += body[i];
        if (body[i] == '`') ++i;  // `` stands for one backquote
    }
    return out;
}

bool is_decimal_text(std::string_view text) { return text.find_first_of(".eE") != std::string_view::npos; }

// INTEGER -> int64 (double when it does not fit); DECIMAL -> double. Infinite values are refused as
// Elasticsearch's parser does ("Number [...] is too large").
ast::LiteralValue parse_number(std::string_view text, size_t offset) {
    if (!is_decimal_text(text)) {
        int64_t v = 0;
        const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec == std::errc() && p == text.data() + text.size()) return v;
    }
    double d = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec == std::errc() && p == text.data() + text.size() && std::isfinite(d)) return d;
    const std::string copy(text);
    d = std::strtod(copy.c_str(), nullptr);  // underflow gives 0 or a subnormal, as Java does
    if (!std::isfinite(d)) {
        throw g::syntax_failure{offset, offset + text.size(), "Number [" + copy + "] is too large", "a finite number",
                                ""};
    }
    return d;
}

// ---------------------------------------------------------------------------------------------------
// Actions

template <typename Rule>
struct action : pegtl::nothing<Rule> {};

// Literals

template <>
struct action<g::null_kw> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        auto e = make_node(ExprKind::literal, span_of(in));
        e->value = ast::Null{};
        st.push(std::move(e));
    }
};
template <>
struct action<g::true_kw> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        auto e = make_node(ExprKind::literal, span_of(in));
        e->value = true;
        st.push(std::move(e));
    }
};
template <>
struct action<g::false_kw> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        auto e = make_node(ExprKind::literal, span_of(in));
        e->value = false;
        st.push(std::move(e));
    }
};
template <>
struct action<g::number_literal> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        auto e = make_node(ExprKind::literal, span_of(in));
        e->value = parse_number(in.string_view(), in.iterator().byte);
        st.push(std::move(e));
    }
};
template <>
struct action<g::first_string> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        auto e = make_node(ExprKind::literal, span_of(in));
        std::string value;
        decode_string(in.string_view(), value);
        e->value = std::move(value);
        st.push(std::move(e));
    }
};
template <>
struct action<g::more_string> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        Expr& e = st.top();
        decode_string(in.string_view(), std::get<std::string>(e.value));
        e.span.end = end_of(in);
    }
};

// Fields and calls

template <>
struct action<g::optional_mark> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        st.optional_pending = true;
        st.optional_begin = begin_of(in);
    }
};
template <>
struct action<g::first_segment> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        auto e = make_node(ExprKind::field, span_of(in));
        if (st.optional_pending) {
            e->field.optional = true;
            e->span.begin = st.optional_begin;
            st.optional_pending = false;
        }
        e->field.segments.push_back(decode_name(in.string_view()));
        st.push(std::move(e));
    }
};
template <>
struct action<g::next_segment> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        Expr& e = st.top();
        e.field.segments.push_back(decode_name(in.string_view()));
        e.span.end = end_of(in);
    }
};
template <>
struct action<g::call_head> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        const std::string_view text = in.string_view();
        size_t n = 1;
        while (n < text.size() && g::is_ident_other(text[n])) ++n;
        auto e = make_node(ExprKind::call, span_of(in));
        e->function = std::string(text.substr(0, n));
        e->case_insensitive = n < text.size() && text[n] == '~';
        st.push(std::move(e));
    }
};
template <>
struct action<g::call_arg> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        st.append_popped();
    }
};
template <>
struct action<g::function_call> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        st.top().span.end = st.last_end;
    }
};

// Predicates

template <ExprKind Kind>
void open_operator(ParserState& st) {
    ExprPtr left = st.pop();
    const uint32_t d = st.popped_depth;
    auto e = make_node(Kind, left->span);
    e->operands.push_back(std::move(left));
    st.push(std::move(e), d + 1);
}

template <>
struct action<g::in_kw> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        open_operator<ExprKind::in>(st);
    }
};
template <>
struct action<g::in_ci_kw> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        open_operator<ExprKind::in>(st);
        st.top().case_insensitive = true;
    }
};
template <>
struct action<g::in_operator> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        if (in.string_view().substr(0, 3) == "not") st.top().negated = true;
    }
};
template <>
struct action<g::in_item> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        st.append_popped();
    }
};
template <>
struct action<g::in_predicate> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        st.top().span.end = st.last_end;
    }
};

template <ast::MatchOp Op>
struct open_match {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        open_operator<ExprKind::match>(st);
        st.top().match_op = Op;
    }
};
template <>
struct action<g::seq_op> : open_match<ast::MatchOp::seq> {};
template <>
struct action<g::like_op> : open_match<ast::MatchOp::like> {};
template <>
struct action<g::like_ci_op> : open_match<ast::MatchOp::like_i> {};
template <>
struct action<g::regex_op> : open_match<ast::MatchOp::regex> {};
template <>
struct action<g::regex_ci_op> : open_match<ast::MatchOp::regex_i> {};

template <>
struct action<g::match_item> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        st.append_popped();
    }
};
template <>
struct action<g::match_predicate> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        st.top().span.end = st.last_end;
    }
};

// Unary, binary and boolean operators

template <>
struct action<g::negation> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        ExprPtr operand = st.pop();
        if (operand->kind == ExprKind::literal) {
            if (auto* i = std::get_if<int64_t>(&operand->value)) {
                *i = -*i;  // literals are non-negative before folding, so this cannot overflow
                operand->span.begin = begin_of(in);
                st.push(std::move(operand), st.popped_depth);
                return;
            }
            if (auto* d = std::get_if<double>(&operand->value)) {
                *d = -*d;
                operand->span.begin = begin_of(in);
                st.push(std::move(operand), st.popped_depth);
                return;
            }
        }
        const uint32_t d = st.popped_depth;
        auto e = make_node(ExprKind::negate, SourceSpan{begin_of(in), st.last_end});
        e->operands.push_back(std::move(operand));
        st.push(std::move(e), d + 1);
    }
};

template <>
struct action<g::mul_op> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        open_operator<ExprKind::arith>(st);
        const char c = in.peek_char();
        st.top().arith_op = c == '*' ? ast::ArithOp::mul : c == '/' ? ast::ArithOp::div : ast::ArithOp::mod;
    }
};
template <>
struct action<g::add_op> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        open_operator<ExprKind::arith>(st);
        st.top().arith_op = in.peek_char() == '+' ? ast::ArithOp::add : ast::ArithOp::sub;
    }
};
template <>
struct action<g::cmp_op> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        open_operator<ExprKind::compare>(st);
        const std::string_view op = in.string_view();
        ast::CompareOp c = ast::CompareOp::eq;
        if (op == "==")
            c = ast::CompareOp::eq;
        else if (op == "!=")
            c = ast::CompareOp::ne;
        else if (op == "<=")
            c = ast::CompareOp::le;
        else if (op == ">=")
            c = ast::CompareOp::ge;
        else if (op == "<")
            c = ast::CompareOp::lt;
        else
            c = ast::CompareOp::gt;
        st.top().compare_op = c;
    }
};

// Completes a binary operator opened by its token: appends the right operand.
struct close_binary {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        ExprPtr right = st.pop();
        const uint32_t d = st.popped_depth;
        Expr& op = st.top();
        op.operands.push_back(std::move(right));
        op.span.end = st.last_end;
        st.deepen_top(d);
    }
};
template <>
struct action<g::mul_tail> : close_binary {};
template <>
struct action<g::add_tail> : close_binary {};
template <>
struct action<g::compare_tail> : close_binary {};

template <>
struct action<g::not_operation> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        ExprPtr operand = st.pop();
        const uint32_t d = st.popped_depth;
        auto e = make_node(ExprKind::not_, SourceSpan{begin_of(in), st.last_end});
        e->operands.push_back(std::move(operand));
        st.push(std::move(e), d + 1);
    }
};

// `and` / `or`: the keyword turns the left operand into an n-ary node (or reuses one: a parenthesized
// chain of the same operator is flattened), the tail appends the right operand.
template <ExprKind Kind>
struct open_chain {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        if (st.top().kind == Kind) return;
        open_operator<Kind>(st);
    }
};
template <ExprKind Kind>
struct close_chain {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        ExprPtr right = st.pop();
        const uint32_t d = st.popped_depth;
        Expr& chain = st.top();
        if (right->kind == Kind) {
            for (auto& operand : right->operands) chain.operands.push_back(std::move(operand));
            st.deepen_top(d - 1);
        } else {
            chain.operands.push_back(std::move(right));
            st.deepen_top(d);
        }
        chain.span.end = st.last_end;
    }
};
template <>
struct action<g::and_kw> : open_chain<ExprKind::and_> {};
template <>
struct action<g::and_tail> : close_chain<ExprKind::and_> {};
template <>
struct action<g::or_kw> : open_chain<ExprKind::or_> {};
template <>
struct action<g::or_tail> : close_chain<ExprKind::or_> {};

// Event filters

template <>
struct action<g::any_kw> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        st.filter = ast::EventFilter{};
        st.filter.any = true;
        st.filter.category_span = span_of(in);
        st.filter.span.begin = st.filter.category_span.begin;
    }
};
template <>
struct action<g::category_name> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        st.filter = ast::EventFilter{};
        st.filter.category = std::string(in.string_view());
        st.filter.category_span = span_of(in);
        st.filter.span.begin = st.filter.category_span.begin;
    }
};
template <>
struct action<g::category_string> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        st.filter = ast::EventFilter{};
        decode_string(in.string_view(), st.filter.category);
        st.filter.category_span = span_of(in);
        st.filter.span.begin = st.filter.category_span.begin;
    }
};
template <>
struct action<g::event_filter> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        st.filter.condition = st.pop();
        st.filter.span.end = st.last_end;
    }
};
template <>
struct action<g::event_query> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        st.query.kind = ast::QueryKind::event;
        st.query.event = std::move(st.filter);
    }
};

// Sequences and samples

template <>
struct action<g::sequence_kw> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        st.query.kind = ast::QueryKind::sequence;
    }
};
template <>
struct action<g::sample_kw> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        st.query.kind = ast::QueryKind::sample;
    }
};
template <>
struct action<g::shared_key> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        ExprPtr key = st.pop();
        if (st.query.shared_keys.empty()) st.query.shared_keys_span.begin = key->span.begin;
        st.query.shared_keys_span.end = st.last_end;
        st.query.shared_keys.push_back(std::move(key));
    }
};
template <>
struct action<g::maxspan_kw> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        st.time_unit = {};
    }
};
template <>
struct action<g::time_number> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        st.time_number = in.string_view();
        st.time_number_begin = begin_of(in);
        st.time_number_end = end_of(in);
    }
};
template <>
struct action<g::time_unit> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        st.time_unit = in.string_view();
        st.time_unit_begin = begin_of(in);
        st.time_unit_end = end_of(in);
    }
};
template <>
struct action<g::time_value> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        const std::string number(st.time_number);
        if (is_decimal_text(st.time_number)) {
            throw g::syntax_failure{st.time_number_begin.offset, st.time_number_end.offset,
                                    "maxspan must be an integer, decimal [" + number + "] is not supported",
                                    "an integer followed by a time unit (ms, s, m, h, d)", ""};
        }
        if (st.time_unit.empty()) {
            throw g::syntax_failure{st.time_number_begin.offset, st.time_number_end.offset,
                                    "No time unit specified, did you mean [s] as in [" + number + "s]?",
                                    "a time unit after the number: ms, s, m, h or d", ""};
        }
        ast::MaxSpan span;
        const std::string_view u = st.time_unit;
        if (u == "ms")
            span.unit = ast::TimeUnit::ms;
        else if (u == "s")
            span.unit = ast::TimeUnit::s;
        else if (u == "m")
            span.unit = ast::TimeUnit::m;
        else if (u == "h")
            span.unit = ast::TimeUnit::h;
        else if (u == "d")
            span.unit = ast::TimeUnit::d;
        else {
            throw g::syntax_failure{st.time_unit_begin.offset, st.time_unit_end.offset,
                                    "Unrecognized time unit [" + std::string(u) + "] in [" + number + std::string(u) +
                                        "], please specify one of [ms, s, m, h, d]",
                                    "a time unit: ms, s, m, h or d", ""};
        }
        const auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), span.value);
        if (ec != std::errc()) {
            throw g::syntax_failure{st.time_number_begin.offset, st.time_number_end.offset,
                                    "maxspan [" + number + "] is too large", "a smaller integer", ""};
        }
        span.span = SourceSpan{st.time_number_begin, st.time_unit_end};
        st.query.maxspan = span;
    }
};

template <>
struct action<g::term_open> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        st.term = ast::Term{};
        st.term.span.begin = begin_of(in);
    }
};
template <>
struct action<g::missing_term_open> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        st.term = ast::Term{};
        st.term.missing = true;
        st.term.span.begin = begin_of(in);
    }
};
template <>
struct action<g::term_close> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        st.term.filter = std::move(st.filter);
    }
};
template <>
struct action<g::term_key> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        ExprPtr key = st.pop();
        if (st.term.keys.empty()) st.term.keys_span.begin = key->span.begin;
        st.term.keys_span.end = st.last_end;
        st.term.keys.push_back(std::move(key));
    }
};
template <>
struct action<g::runs_name> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        if (in.string_view() != "runs") {
            throw g::syntax_failure{in.iterator().byte, in.iterator().byte + in.size(),
                                    "Unrecognized option [" + std::string(in.string_view()) + "], expecting [runs]",
                                    "'runs'", ""};
        }
        st.runs_begin = begin_of(in);
    }
};
template <>
struct action<g::runs_value> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        const std::string_view text = in.string_view();
        int64_t v = 0;
        const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (is_decimal_text(text) || ec != std::errc() || p != text.data() + text.size()) {
            throw g::syntax_failure{in.iterator().byte, in.iterator().byte + in.size(),
                                    "runs must be an integer, found [" + std::string(text) + "]", "a positive integer",
                                    ""};
        }
        st.term.runs = v;
        st.term.runs_span = SourceSpan{st.runs_begin, end_of(in)};
    }
};
template <>
struct action<g::sequence_term> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        st.term.span.end = st.last_end;
        st.query.terms.push_back(std::move(st.term));
    }
};
template <>
struct action<g::sample_term> : action<g::sequence_term> {};
template <>
struct action<g::until_term> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        st.term.span.end = st.last_end;
        st.query.until = std::move(st.term);
    }
};

// Pipes

template <>
struct action<g::pipe_name> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        ast::Pipe& pipe = st.query.pipes.emplace_back();
        pipe.name = std::string(in.string_view());
        pipe.name_span = span_of(in);
    }
};
template <>
struct action<g::pipe_arg> {
    template <typename I>
    static void apply(const I&, ParserState& st) {
        st.query.pipes.back().args.push_back(st.pop());
    }
};
template <>
struct action<g::pipe> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        st.query.pipes.back().span = SourceSpan{begin_of(in), st.last_end};
    }
};

template <>
struct action<g::query> {
    template <typename I>
    static void apply(const I& in, ParserState& st) {
        st.query.span = SourceSpan{begin_of(in), st.last_end};
    }
};

// ---------------------------------------------------------------------------------------------------
// Control: error texts from the grammar, plus two hooks: `skip` records where the previous token ended,
// and `nested<...>` counts the recursion depth and refuses to descend past the limit.

template <typename T>
struct is_nested : std::false_type {};
template <typename R>
struct is_nested<g::nested<R>> : std::true_type {};

template <typename Rule>
struct control : g::error_control<Rule> {
    template <typename Input>
    static void start(const Input& in, ParserState& st) {
        if constexpr (std::is_same_v<Rule, g::skip>) {
            st.last_end = to_pos(in.iterator());
        } else if constexpr (is_nested<Rule>::value) {
            if (++st.nesting > st.max_depth) st.too_deep(g::offset_of(in));
        }
    }
    template <typename Input>
    static void success(const Input&, ParserState& st) {
        if constexpr (is_nested<Rule>::value) --st.nesting;
    }
    template <typename Input>
    static void failure(const Input&, ParserState& st) {
        if constexpr (is_nested<Rule>::value) --st.nesting;
    }
};

// ---------------------------------------------------------------------------------------------------
// Diagnostics

bool is_ident_start_byte(char c) { return g::is_ident_first(c); }

// Words a token at `offset` for "unexpected ..." messages, sets its length, and suggests a fix for
// common mistakes (uppercase keywords, lineage keywords).
std::string describe_token(std::string_view text, size_t offset, size_t& length, std::string& hint) {
    if (offset >= text.size()) {
        length = 0;
        return "end of query";
    }
    const char c = text[offset];
    if (is_ident_start_byte(c)) {
        size_t n = 1;
        while (offset + n < text.size() && g::is_ident_other(text[offset + n])) ++n;
        length = n;
        const std::string word(text.substr(offset, n));
        std::string lower = word;
        for (char& ch : lower)
            if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        if (lower != word && g::is_keyword(lower)) {
            hint = "keywords are lowercase: write '" + lower + "'";
        } else if (word == "of" || word == "descendant" || word == "child") {
            hint = "lineage ('descendant of', 'child of', 'event of') is not supported";
        }
        if (g::is_keyword(word)) return "keyword '" + word + "'";
        return "'" + word + "'";
    }
    if (c >= '0' && c <= '9') {
        size_t n = 1;
        while (offset + n < text.size() && (g::is_ident_other(text[offset + n]) || text[offset + n] == '.')) ++n;
        length = n;
        return "number '" + std::string(text.substr(offset, n)) + "'";
    }
    if (c == '"') {
        length = 1;
        return "string";
    }
    if (c == '`') {
        length = 1;
        return "quoted identifier";
    }
    if (offset + 1 < text.size()) {
        const std::string_view two = text.substr(offset, 2);
        if (two == "==" || two == "!=" || two == "<=" || two == ">=" || two == "![") {
            length = 2;
            return "'" + std::string(two) + "'";
        }
    }
    // One character; a whole UTF-8 sequence for non-ASCII bytes.
    size_t n = 1;
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0xC0) n = u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : 2;
    n = std::min(n, text.size() - offset);
    length = n;
    if (c == '\n') return "line break";
    if (c == '\t') return "tab";
    return "'" + std::string(text.substr(offset, n)) + "'";
}

Diagnostic to_diagnostic(std::string_view text, const g::syntax_failure& f) {
    Diagnostic d;
    d.phase = Phase::syntax;
    d.severity = Severity::error;
    const size_t begin = std::min(f.begin, text.size());
    size_t end = std::max(std::min(f.end, text.size()), begin);
    d.message = f.message;
    d.expected = f.expected;
    d.hint = f.hint;
    if (d.message.empty() || f.add_unexpected) {
        size_t length = 0;
        std::string hint;
        const std::string unexpected = "unexpected " + describe_token(text, begin, length, hint);
        d.message = d.message.empty() ? unexpected : d.message + "; " + unexpected;
        if (end == begin) end = begin + length;
        if (d.hint.empty()) d.hint = hint;
    }
    d.span.begin = position_at(text, static_cast<uint32_t>(begin));
    d.span.end = position_at(text, static_cast<uint32_t>(end));
    return d;
}

Diagnostic simple_diagnostic(std::string message) {
    Diagnostic d;
    d.phase = Phase::syntax;
    d.message = std::move(message);
    return d;
}

}  // namespace

ParseResult parse_query(std::string_view text, const ParseLimits& limits) {
    ParseResult result;
    if (text.size() >= std::numeric_limits<uint32_t>::max()) {
        result.diagnostics.push_back(simple_diagnostic("query is too large"));
        return result;
    }
    if (limits.max_depth < 1 || limits.max_depth > kMaxDepthLimit) {
        result.diagnostics.push_back(simple_diagnostic("the nesting limit (max_depth) must be from 1 to " +
                                                       std::to_string(kMaxDepthLimit) + ", got " +
                                                       std::to_string(limits.max_depth)));
        return result;
    }
    try {
        ParserState st(text, limits);
        pegtl::memory_input<pegtl::tracking_mode::eager, pegtl::eol::lf_crlf, const char*> in(
            text.data(), text.data() + text.size(), "query");
        if (pegtl::parse<g::statement, action, control>(in, st) && st.stack.empty()) {
            result.query = std::move(st.query);
        } else {
            result.diagnostics.push_back(simple_diagnostic("internal parser error: the query was not fully parsed"));
        }
    } catch (const g::syntax_failure& f) {
        result.diagnostics.push_back(to_diagnostic(text, f));
    } catch (const std::exception& e) {
        result.diagnostics.push_back(simple_diagnostic(std::string("internal parser error: ") + e.what()));
    } catch (...) {
        result.diagnostics.push_back(simple_diagnostic("internal parser error"));
    }
    return result;
}

}  // namespace eqlc::syntax
