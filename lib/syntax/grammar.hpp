// The EQL grammar (Elastic EQL 8.x dialect) as PEGTL rules. Actions that build the tree live in parser.cpp;
// this file only says what is valid text and, for every place where the text can go wrong, what was
// expected there (`expected_text<Rule>`, `hint_text<Rule>`, used by `error_control::raise`) or why it is
// refused (`reject<Prefix, Message>` and the lexical rules that throw `syntax_failure`).
//
//   statement        = skip query
//   query            = sequence_query | sample_query | join_query | event_query
//   event_query      = event_filter pipe* EOF
//   sequence_query   = "sequence" [shared_keys] [maxspan_clause] sequence_term+ ["until" sequence_term] pipe* EOF
//                      ; `sequence with maxspan=.. by ..` is refused ("Please specify sequence [by] before [with]")
//   sample_query     = "sample" [shared_keys] sample_term+ pipe* EOF
//   join_query       = "join" ...                                   ; refused: "Join is not supported"
//   shared_keys      = "by" expression ("," expression)*
//   maxspan_clause   = "with" "maxspan" "=" time_value
//   time_value       = INTEGER [IDENTIFIER]                         ; unit ms|s|m|h|d, checked by the action
//   sequence_term    = term_body [term_keys] ["with" IDENTIFIER "=" INTEGER]   ; IDENTIFIER must be `runs`
//   sample_term      = term_body [term_keys]
//   term_body        = ("[" | "![") event_filter "]"
//   term_keys        = "by" expression ("," expression)*
//   event_filter     = ("any" | IDENTIFIER | STRING) "where" expression
//   pipe             = "|" IDENTIFIER [expression ("," expression)*]
//
//   expression       = or_expr
//   or_expr          = and_expr ("or" and_expr)*                     ; n-ary in the tree
//   and_expr         = not_expr ("and" not_expr)*                    ; n-ary in the tree
//   not_expr         = "not" not_expr | value_expr                   ; NOT > AND > OR
//   value_expr       = add_expr [compare_op add_expr]                ; comparisons do not chain
//   compare_op       = "==" | "!=" | "<=" | ">=" | "<" | ">"         ; a single "=" is refused
//   add_expr         = mul_expr (("+" | "-") mul_expr)*
//   mul_expr         = unary (("*" | "/" | "%") unary)*
//   unary            = ("-" | "+") unary | postfix                   ; -<number> folds into a literal
//   postfix          = primary [predicate]                           ; a predicate binds to a primary
//   predicate        = ["not"] ("in" | "in~") "(" expression ("," expression)* ")"
//                    | (":" | "like" | "like~" | "regex" | "regex~") (constant | "(" constant ("," constant)* ")")
//   primary          = "(" expression ")" | constant | function_call | field
//   function_call    = (IDENTIFIER | IDENTIFIER "~") "(" [expression ("," expression)*] ")"   ; no space before ~
//   field            = ["?"] name ("." name)*                        ; `name[0]` is refused
//   name             = IDENTIFIER | QUOTED_IDENTIFIER
//   constant         = "null" | "true" | "false" | NUMBER | STRING+  ; adjacent strings concatenate
//
//   IDENTIFIER       = (LETTER | "_" | "@") (LETTER | DIGIT | "_")*  ; not a keyword
//   QUOTED_IDENTIFIER= "`" (~"`" | "``")* "`"
//   NUMBER           = DIGIT+ "." DIGIT* [EXP] | "." DIGIT+ [EXP] | DIGIT+ EXP | DIGIT+
//   EXP              = ("e" | "E") ["+" | "-"] DIGIT+
//   STRING           = '"' (ESC | ~["\\\r\n])* '"' | '"""' (~[\r\n])*? '"""' ['"' ['"']]
//   ESC              = "\" [btnfr"'\\] | "\u{" HEX{2,8} "}"
//   keywords         = and any by false in in~ join like like~ maxspan not null of or regex regex~
//                      sample sequence true until where with          ; lowercase only
//   skip             = (WS | "//" ~[\n]* | "/*" .* "*/")*           ; between any two tokens
//
// Recursion only goes through `nested<...>` (parentheses, `not`, unary signs, call arguments, `in`
// lists); the parser's control class counts those levels and refuses input deeper than
// ParseLimits::max_depth before descending. Chains (`or`, `and`, lists, `+`) are loops, not recursion.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

#include <tao/pegtl.hpp>

namespace eqlc::syntax::grammar {

namespace pegtl = tao::pegtl;
using pegtl::digit;
using pegtl::eof;
using pegtl::keyword;
using pegtl::must;
using pegtl::one;
using pegtl::opt;
using pegtl::plus;
using pegtl::seq;
using pegtl::sor;
using pegtl::star;

// Thrown by the grammar (and by the parser's actions) for every refusal; parse_query turns it into a
// Diagnostic. Offsets are bytes into the query text. An empty `message` means "unexpected <token>",
// which the parser words from the text at `begin`.
struct syntax_failure {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::string message;
    std::string expected;
    std::string hint;
    bool add_unexpected = false;  // append "; unexpected <token>" to a non-empty message
};

// ---------------------------------------------------------------------------------------------------
// Character classes and keywords

constexpr bool is_ident_first(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '@';
}
constexpr bool is_ident_other(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
constexpr bool is_hex(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The reserved words (without the `~` forms, which cannot be identifiers anyway).
inline bool is_keyword(std::string_view s) noexcept {
    switch (s.size()) {
        case 2: return s == "by" || s == "in" || s == "of" || s == "or";
        case 3: return s == "and" || s == "any" || s == "not";
        case 4: return s == "join" || s == "like" || s == "null" || s == "true" || s == "with";
        case 5: return s == "false" || s == "regex" || s == "until" || s == "where";
        case 6: return s == "sample";
        case 7: return s == "maxspan";
        case 8: return s == "sequence";
        default: return false;
    }
}

template <typename Input>
std::size_t offset_of(const Input& in) noexcept {
    return static_cast<std::size_t>(in.current() - in.begin());
}

// ---------------------------------------------------------------------------------------------------
// Lexical rules written by hand: they are hot (every token) or need exact error positions.

// Whitespace and comments. The parser's control hooks `skip` to remember where the last token ended.
struct skip {
    template <typename Input>
    static bool match(Input& in) {
        for (;;) {
            if (in.empty()) return true;
            const char c = in.peek_char();
            if (c == ' ' || c == '\t' || c == '\r') {
                in.bump_in_this_line(1);
            } else if (c == '\n') {
                in.bump_to_next_line(1);
            } else if (c == '/' && in.size(2) >= 2 && in.peek_char(1) == '/') {
                const std::string_view rest(in.current(), static_cast<std::size_t>(in.end() - in.current()));
                const std::size_t nl = rest.find('\n');
                in.bump_in_this_line(nl == std::string_view::npos ? rest.size() : nl);
            } else if (c == '/' && in.size(2) >= 2 && in.peek_char(1) == '*') {
                const std::string_view rest(in.current(), static_cast<std::size_t>(in.end() - in.current()));
                const std::size_t close = rest.find("*/", 2);
                if (close == std::string_view::npos) {
                    const std::size_t at = offset_of(in);
                    throw syntax_failure{at, at + 2, "unterminated comment", "'*/' to close the comment", ""};
                }
                in.bump(close + 2);
            } else {
                return true;
            }
        }
    }
};

// IDENTIFIER that is not a keyword.
struct plain_name {
    template <typename Input>
    static bool match(Input& in) {
        const char* p = in.current();
        const char* end = in.end();
        if (p == end || !is_ident_first(*p)) return false;
        std::size_t n = 1;
        while (p + n != end && is_ident_other(p[n])) ++n;
        if (is_keyword(std::string_view(p, n))) return false;
        in.bump_in_this_line(n);
        return true;
    }
};

// `quoted name` with `` standing for one backquote; may span lines.
struct quoted_name {
    template <typename Input>
    static bool match(Input& in) {
        const std::string_view rest(in.current(), static_cast<std::size_t>(in.end() - in.current()));
        if (rest.empty() || rest[0] != '`') return false;
        std::size_t i = 1;
        for (;;) {
            const std::size_t q = rest.find('`', i);
            if (q == std::string_view::npos) {
                const std::size_t at = offset_of(in);
                throw syntax_failure{at, at + 1, "unterminated quoted identifier", "'`' to close the identifier", ""};
            }
            if (q + 1 < rest.size() && rest[q + 1] == '`') {
                i = q + 2;
                continue;
            }
            in.bump(q + 1);
            return true;
        }
    }
};

// """raw""": no escapes, one line, ends at the first """ plus up to two more quotes.
struct raw_string {
    template <typename Input>
    static bool match(Input& in) {
        const std::string_view rest(in.current(), static_cast<std::size_t>(in.end() - in.current()));
        if (rest.size() < 3 || rest.compare(0, 3, "\"\"\"") != 0) return false;
        std::size_t line_end = rest.find_first_of("\r\n", 3);
        if (line_end == std::string_view::npos) line_end = rest.size();
        const std::size_t close = rest.substr(0, line_end).find("\"\"\"", 3);
        if (close == std::string_view::npos) {
            const std::size_t at = offset_of(in);
            throw syntax_failure{at, at + 3, "unterminated raw string", "'\"\"\"' to close the string on the same line",
                                 "raw strings cannot span lines"};
        }
        std::size_t end = close + 3;
        for (int extra = 0; extra < 2 && end < line_end && rest[end] == '"'; ++extra) ++end;
        in.bump_in_this_line(end);
        return true;
    }
};

// Decodes the hex digits of a validated \u{...}; returns the code point.
inline unsigned long parse_code_point(std::string_view hex) noexcept {
    unsigned long cp = 0;
    for (char c : hex) {
        const unsigned d = (c >= '0' && c <= '9')   ? unsigned(c - '0')
                           : (c >= 'a' && c <= 'f') ? unsigned(c - 'a' + 10)
                                                    : unsigned(c - 'A' + 10);
        cp = cp * 16 + d;
    }
    return cp;
}

// "regular" string: validates escapes (the action decodes them).
struct regular_string {
    template <typename Input>
    static bool match(Input& in) {
        const std::string_view rest(in.current(), static_cast<std::size_t>(in.end() - in.current()));
        if (rest.empty() || rest[0] != '"') return false;
        const std::size_t at = offset_of(in);
        std::size_t i = 1;
        for (;;) {
            const std::size_t stop = rest.find_first_of("\"\\\r\n", i);
            if (stop == std::string_view::npos || rest[stop] == '\r' || rest[stop] == '\n') {
                throw syntax_failure{at, at + 1, "unterminated string", "'\"' to close the string on the same line",
                                     "strings cannot span lines; write a line break as \\n"};
            }
            if (rest[stop] == '"') {
                in.bump_in_this_line(stop + 1);
                return true;
            }
            // A backslash.
            const std::size_t b = stop;
            if (b + 1 >= rest.size()) {
                throw syntax_failure{at, at + 1, "unterminated string", "'\"' to close the string", ""};
            }
            const char e = rest[b + 1];
            if (e == 'b' || e == 't' || e == 'n' || e == 'f' || e == 'r' || e == '"' || e == '\'' || e == '\\') {
                i = b + 2;
                continue;
            }
            if (e == 'u') {
                std::size_t j = b + 2;
                std::size_t digits = 0;
                if (j < rest.size() && rest[j] == '{') {
                    ++j;
                    while (j + digits < rest.size() && is_hex(rest[j + digits])) ++digits;
                }
                const std::size_t close = j + digits;
                if (digits < 2 || digits > 8 || close >= rest.size() || rest[close] != '}') {
                    const std::size_t bad_end = close < rest.size() && rest[close] == '}' ? close + 1 : close;
                    throw syntax_failure{
                        at + b, at + bad_end, "invalid unicode escape " + std::string(rest.substr(b, bad_end - b)),
                        "\\u{XXXX} with 2 to 8 hexadecimal digits", "for example \\u{00e9} or \\u{1F600}"};
                }
                const unsigned long cp = parse_code_point(rest.substr(j, digits));
                if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                    throw syntax_failure{
                        at + b, at + close + 1,
                        "invalid code point in unicode escape " + std::string(rest.substr(b, close + 1 - b)),
                        "a code point up to 10FFFF that is not a surrogate (D800-DFFF)", ""};
                }
                i = close + 1;
                continue;
            }
            throw syntax_failure{at + b, at + b + 2, "unknown escape sequence '\\" + std::string(1, e) + "'",
                                 "one of \\b \\t \\n \\f \\r \\\" \\' \\\\ \\u{XXXX}",
                                 "write a backslash as \\\\, or use a raw string \"\"\"...\"\"\""};
        }
    }
};

// '...' and ?"..." / ?'...' are lexed only to be refused.
struct single_quoted_string {
    template <typename Input>
    static bool match(Input& in) {
        const std::string_view rest(in.current(), static_cast<std::size_t>(in.end() - in.current()));
        if (rest.empty() || rest[0] != '\'') return false;
        const std::size_t at = offset_of(in);
        std::size_t end = rest.find_first_of("'\r\n", 1);
        end = (end != std::string_view::npos && rest[end] == '\'') ? end + 1 : 1;
        throw syntax_failure{at, at + end, "single quotes are not supported", "a string in double quotes",
                             "use double quotes: \"...\""};
    }
};

struct question_string {
    template <typename Input>
    static bool match(Input& in) {
        const std::string_view rest(in.current(), static_cast<std::size_t>(in.end() - in.current()));
        if (rest.size() < 2 || rest[0] != '?' || (rest[1] != '"' && rest[1] != '\'')) return false;
        const std::size_t at = offset_of(in);
        throw syntax_failure{at, at + 2, "?\"...\" strings are not supported", "a string in double quotes",
                             "use a raw string for unescaped text: \"\"\"...\"\"\""};
    }
};

// Refuses the text matched by Prefix with Message (message/expected/hint); fails, consuming nothing, when
// Prefix does not match.
template <typename Prefix, typename Message>
struct reject {
    template <typename Input>
    static bool match(Input& in) {
        const std::size_t at = offset_of(in);
        auto m = in.template mark<pegtl::rewind_mode::required>();
        if (!pegtl::match<Prefix, pegtl::apply_mode::nothing, pegtl::rewind_mode::required, pegtl::nothing,
                          pegtl::normal>(in)) {
            return m(false);
        }
        throw syntax_failure{at, offset_of(in), Message::message, Message::expected, Message::hint};
    }
};

// A recursion point: the parser's control counts these levels (ParseLimits::max_depth).
template <typename Rule>
struct nested : seq<Rule> {};

// A token: the rule, then whitespace and comments.
template <typename Rule>
struct tok : seq<Rule, skip> {};

// ---------------------------------------------------------------------------------------------------
// Refusal messages

struct msg_single_eq {
    static constexpr const char* message = "'=' is not an equality operator";
    static constexpr const char* expected = "'==' or ':'";
    static constexpr const char* hint = "use == for exact equality or : for case-insensitive matching";
};
struct msg_chained_compare {
    static constexpr const char* message = "comparison operators cannot be chained";
    static constexpr const char* expected = "'and', 'or' or the end of the condition";
    static constexpr const char* hint = "combine comparisons with and: a < b and b < c";
};
struct msg_array_index {
    static constexpr const char* message = "array indexes are not supported";
    static constexpr const char* expected = "a field name";
    static constexpr const char* hint = "";
};
struct msg_join {
    static constexpr const char* message = "Join is not supported";
    static constexpr const char* expected = "'<category> where', 'sequence' or 'sample'";
    static constexpr const char* hint = "use a sequence instead";
};
struct msg_by_after_with {
    static constexpr const char* message = "Please specify sequence [by] before [with] not after";
    static constexpr const char* expected = "'[' to start the first term";
    static constexpr const char* hint = "write: sequence by <keys> with maxspan=<span>";
};
struct msg_negative_maxspan {
    static constexpr const char* message = "maxspan must be a positive integer";
    static constexpr const char* expected = "a positive integer followed by a time unit (ms, s, m, h, d)";
    static constexpr const char* hint = "";
};
struct msg_negative_runs {
    static constexpr const char* message = "runs must be a positive integer";
    static constexpr const char* expected = "a positive integer";
    static constexpr const char* hint = "";
};
struct msg_not_after_operand {
    static constexpr const char* message = "'not' after an operand must be followed by 'in' or 'in~'";
    static constexpr const char* expected = "'in', 'in~', or an operator";
    static constexpr const char* hint = "to negate a match write the 'not' first: not x : \"a\"";
};
struct msg_empty {
    static constexpr const char* message = "empty query";
    static constexpr const char* expected = "a query: '<category> where <condition>', 'sequence' or 'sample'";
    static constexpr const char* hint = "";
};

// ---------------------------------------------------------------------------------------------------
// Tokens

struct lparen : one<'('> {};
struct rparen : one<')'> {};
struct list_close : one<')'> {};  // closes an argument or value list: "',' or ')'" expected
struct comma : one<','> {};
struct dot : one<'.'> {};
struct asgn : one<'='> {};
struct pipe_bar : one<'|'> {};
struct term_open : one<'['> {};
struct missing_term_open : pegtl::string<'!', '['> {};
struct term_close : one<']'> {};

struct and_kw : keyword<'a', 'n', 'd'> {};
struct any_kw : keyword<'a', 'n', 'y'> {};
struct by_kw : keyword<'b', 'y'> {};
struct false_kw : keyword<'f', 'a', 'l', 's', 'e'> {};
struct join_kw : keyword<'j', 'o', 'i', 'n'> {};
struct maxspan_kw : keyword<'m', 'a', 'x', 's', 'p', 'a', 'n'> {};
struct not_kw : keyword<'n', 'o', 't'> {};
struct not_in_kw : keyword<'n', 'o', 't'> {};
struct null_kw : keyword<'n', 'u', 'l', 'l'> {};
struct or_kw : keyword<'o', 'r'> {};
struct sample_kw : keyword<'s', 'a', 'm', 'p', 'l', 'e'> {};
struct sequence_kw : keyword<'s', 'e', 'q', 'u', 'e', 'n', 'c', 'e'> {};
struct true_kw : keyword<'t', 'r', 'u', 'e'> {};
struct until_kw : keyword<'u', 'n', 't', 'i', 'l'> {};
struct where_kw : keyword<'w', 'h', 'e', 'r', 'e'> {};
struct with_kw : keyword<'w', 'i', 't', 'h'> {};

// `x~` forms first: `in` also matches the start of `in~`.
struct in_ci_kw : pegtl::string<'i', 'n', '~'> {};
struct in_kw : keyword<'i', 'n'> {};
struct seq_op : one<':'> {};
struct like_ci_op : pegtl::string<'l', 'i', 'k', 'e', '~'> {};
struct like_op : keyword<'l', 'i', 'k', 'e'> {};
struct regex_ci_op : pegtl::string<'r', 'e', 'g', 'e', 'x', '~'> {};
struct regex_op : keyword<'r', 'e', 'g', 'e', 'x'> {};

struct cmp_op : sor<pegtl::string<'=', '='>, pegtl::string<'!', '='>, pegtl::string<'<', '='>, pegtl::string<'>', '='>,
                    one<'<'>, one<'>'>> {};
struct add_op : one<'+', '-'> {};
struct mul_op : one<'*', '/', '%'> {};
struct minus_sign : one<'-'> {};
struct plus_sign : one<'+'> {};
struct optional_mark : one<'?'> {};

struct exponent : seq<one<'e', 'E'>, opt<one<'+', '-'>>, plus<digit>> {};
struct decimal_number : sor<seq<plus<digit>, one<'.'>, star<digit>, opt<exponent>>,
                            seq<one<'.'>, plus<digit>, opt<exponent>>, seq<plus<digit>, exponent>> {};
struct integer_number : plus<digit> {};
struct number_token : sor<decimal_number, integer_number> {};

struct string_token : sor<raw_string, regular_string, single_quoted_string, question_string> {};
struct name_segment : sor<plain_name, quoted_name> {};

// ---------------------------------------------------------------------------------------------------
// Expressions

struct expression;
struct unary;
struct not_expr;

struct paren_expr : seq<tok<lparen>, nested<must<expression>>, must<tok<rparen>>> {};

struct number_literal : number_token {};
struct first_string : string_token {};
struct more_string : string_token {};
struct string_literal : seq<tok<first_string>, star<tok<more_string>>> {};
struct constant : sor<tok<null_kw>, tok<true_kw>, tok<false_kw>, tok<number_literal>, string_literal> {};

struct function_name : seq<plain_name, opt<one<'~'>>> {};
struct call_head : seq<function_name, skip, one<'('>, skip> {};
struct call_arg : seq<expression> {};
struct call_rest : seq<opt<call_arg, star<tok<comma>, must<call_arg>>>, must<tok<list_close>>> {};
struct function_call : seq<call_head, nested<call_rest>> {};

struct first_segment : name_segment {};
struct next_segment : name_segment {};
struct index_start : seq<one<'['>, star<one<' ', '\t', '\r', '\n'>>, digit> {};
struct field_path
    : seq<tok<first_segment>, star<tok<dot>, must<tok<next_segment>>>, opt<reject<index_start, msg_array_index>>> {};
struct field_ref : sor<seq<tok<optional_mark>, must<field_path>>, field_path> {};

struct primary : sor<paren_expr, constant, function_call, field_ref> {};

struct in_keyword : sor<tok<in_ci_kw>, tok<in_kw>> {};
struct not_without_in : seq<not_kw, pegtl::at<skip, pegtl::not_at<sor<in_ci_kw, in_kw>>>> {};
struct in_operator
    : sor<reject<not_without_in, msg_not_after_operand>, seq<tok<not_in_kw>, must<in_keyword>>, in_keyword> {};
struct in_item : seq<expression> {};
struct in_list : seq<must<in_item>, star<tok<comma>, must<in_item>>, must<tok<list_close>>> {};
struct in_predicate : seq<in_operator, must<tok<lparen>>, nested<in_list>> {};

struct match_operator : sor<tok<seq_op>, tok<like_ci_op>, tok<like_op>, tok<regex_ci_op>, tok<regex_op>> {};
struct match_item : seq<constant> {};
struct match_list : seq<tok<lparen>, must<match_item>, star<tok<comma>, must<match_item>>, must<tok<list_close>>> {};
struct match_rhs : sor<match_list, match_item> {};
struct match_predicate : seq<match_operator, must<match_rhs>> {};

struct predicate : sor<in_predicate, match_predicate> {};
struct postfix : seq<primary, opt<predicate>> {};

struct negation : seq<tok<minus_sign>, nested<must<unary>>> {};
struct plus_prefix : seq<tok<plus_sign>, nested<must<unary>>> {};
struct unary : sor<negation, plus_prefix, postfix> {};

struct mul_tail : seq<tok<mul_op>, must<unary>> {};
struct mul_expr : seq<unary, star<mul_tail>> {};
struct add_tail : seq<tok<add_op>, must<mul_expr>> {};
struct add_expr : seq<mul_expr, star<add_tail>> {};

struct compare_operator : sor<tok<cmp_op>, reject<one<'='>, msg_single_eq>> {};
struct compare_tail : seq<compare_operator, must<add_expr>, opt<reject<sor<cmp_op, one<'='>>, msg_chained_compare>>> {};
struct value_expr : seq<add_expr, opt<compare_tail>> {};

struct not_operation : seq<tok<not_kw>, nested<must<not_expr>>> {};
struct not_expr : sor<not_operation, value_expr> {};
struct and_tail : seq<tok<and_kw>, must<not_expr>> {};
struct and_expr : seq<not_expr, star<and_tail>> {};
struct or_tail : seq<tok<or_kw>, must<and_expr>> {};
struct or_expr : seq<and_expr, star<or_tail>> {};
struct expression : seq<or_expr> {};

// ---------------------------------------------------------------------------------------------------
// Queries

struct category_name : plain_name {};
struct category_string : string_token {};
struct event_category : sor<tok<any_kw>, tok<category_name>, tok<category_string>> {};
struct event_filter : seq<event_category, must<tok<where_kw>>, must<expression>> {};

struct shared_key : seq<expression> {};
struct shared_keys : seq<tok<by_kw>, must<shared_key>, star<tok<comma>, must<shared_key>>> {};

struct time_number : number_token {};
struct time_unit : plain_name {};
struct time_value : sor<reject<one<'-'>, msg_negative_maxspan>, seq<tok<time_number>, opt<tok<time_unit>>>> {};
struct maxspan_clause : seq<tok<with_kw>, must<tok<maxspan_kw>>, must<tok<asgn>>, must<time_value>> {};
struct sequence_header : seq<opt<shared_keys>, opt<maxspan_clause, opt<reject<by_kw, msg_by_after_with>>>> {};

struct term_key : seq<expression> {};
struct term_keys : seq<tok<by_kw>, must<term_key>, star<tok<comma>, must<term_key>>> {};
struct runs_name : plain_name {};
struct runs_value : number_token {};
struct runs_count : sor<reject<one<'-'>, msg_negative_runs>, tok<runs_value>> {};
struct runs_clause : seq<tok<with_kw>, must<tok<runs_name>>, must<tok<asgn>>, must<runs_count>> {};
struct term_body : seq<sor<tok<missing_term_open>, tok<term_open>>, must<event_filter>, must<tok<term_close>>> {};
struct sequence_term : seq<term_body, opt<term_keys>, opt<runs_clause>> {};
struct until_term : seq<term_body, opt<term_keys>, opt<runs_clause>> {};
struct until_clause : seq<tok<until_kw>, must<until_term>> {};
struct sample_term : seq<term_body, opt<term_keys>> {};

struct pipe_name : plain_name {};
struct pipe_arg : seq<expression> {};
struct pipe : seq<tok<pipe_bar>, must<tok<pipe_name>>, opt<pipe_arg, star<tok<comma>, must<pipe_arg>>>> {};
struct pipes : star<pipe> {};

struct event_end : eof {};
struct sequence_end : eof {};
struct sample_end : eof {};

struct event_query : seq<event_filter, pipes, must<event_end>> {};
struct sequence_query : seq<tok<sequence_kw>, sequence_header, must<sequence_term>, star<sequence_term>,
                            opt<until_clause>, pipes, must<sequence_end>> {};
struct sample_query
    : seq<tok<sample_kw>, opt<shared_keys>, must<sample_term>, star<sample_term>, pipes, must<sample_end>> {};
struct query : sor<sequence_query, sample_query, reject<join_kw, msg_join>, event_query> {};
struct statement : seq<skip, opt<reject<eof, msg_empty>>, must<query>> {};

// ---------------------------------------------------------------------------------------------------
// What each rule that can fail under must<> expected (and, for some, how to fix the text).

template <typename Rule>
inline constexpr const char* expected_text = nullptr;
template <typename Rule>
inline constexpr const char* expected_text<tok<Rule>> = expected_text<Rule>;
template <typename Rule>
inline constexpr const char* hint_text = "";
template <typename Rule>
inline constexpr const char* hint_text<tok<Rule>> = hint_text<Rule>;
// For closing brackets the message names what is missing ("missing ')'; unexpected end of query").
template <typename Rule>
inline constexpr const char* missing_text = nullptr;
template <typename Rule>
inline constexpr const char* missing_text<tok<Rule>> = missing_text<Rule>;

// clang-format off
template <> inline constexpr const char* expected_text<expression> = "an expression";
template <> inline constexpr const char* expected_text<not_expr> = "an expression";
template <> inline constexpr const char* expected_text<and_expr> = "an expression";
template <> inline constexpr const char* expected_text<add_expr> = "an expression";
template <> inline constexpr const char* expected_text<mul_expr> = "an expression";
template <> inline constexpr const char* expected_text<unary> = "an expression";
template <> inline constexpr const char* expected_text<call_arg> = "a function argument";
template <> inline constexpr const char* expected_text<in_item> = "a value for the 'in' list";
template <> inline constexpr const char* expected_text<rparen> = "')'";
template <> inline constexpr const char* expected_text<list_close> = "',' or ')'";
template <> inline constexpr const char* expected_text<lparen> = "'(' to start the list";
template <> inline constexpr const char* expected_text<in_keyword> = "'in' or 'in~' after 'not'";
template <> inline constexpr const char* hint_text<in_keyword> = "to negate a match write the 'not' first: not x : \"a\"";
template <> inline constexpr const char* expected_text<match_rhs> = "a literal string or a parenthesized list of literal strings";
template <> inline constexpr const char* hint_text<match_rhs> = "the right side of :, like and regex must be a literal; comparing two fields is not supported";
template <> inline constexpr const char* expected_text<match_item> = "a literal string";
template <> inline constexpr const char* hint_text<match_item> = "the patterns of :, like and regex must be literals";
template <> inline constexpr const char* expected_text<next_segment> = "a field name after '.'";
template <> inline constexpr const char* expected_text<field_path> = "a field name after '?'";
template <> inline constexpr const char* expected_text<where_kw> = "'where'";
template <> inline constexpr const char* hint_text<where_kw> = "an event filter reads '<category> where <condition>'";
template <> inline constexpr const char* expected_text<event_filter> = "an event filter: '<category> where <condition>'";
template <> inline constexpr const char* expected_text<term_close> = "']' to close the term";
template <> inline constexpr const char* expected_text<shared_key> = "a join key expression";
template <> inline constexpr const char* expected_text<term_key> = "a join key expression";
template <> inline constexpr const char* expected_text<maxspan_kw> = "'maxspan'";
template <> inline constexpr const char* expected_text<asgn> = "'='";
template <> inline constexpr const char* expected_text<time_value> = "a time span such as 5m (an integer and a unit: ms, s, m, h, d)";
template <> inline constexpr const char* expected_text<sequence_term> = "'[' or '![' to start a sequence term";
template <> inline constexpr const char* hint_text<sequence_term> = "a sequence needs at least two terms: sequence [a where ...] [b where ...]";
template <> inline constexpr const char* expected_text<until_term> = "'[' to start the until term";
template <> inline constexpr const char* expected_text<sample_term> = "'[' to start a sample term";
template <> inline constexpr const char* expected_text<runs_name> = "'runs'";
template <> inline constexpr const char* hint_text<runs_name> = "a term accepts 'with runs=N'; maxspan goes in the header: sequence with maxspan=5m";
template <> inline constexpr const char* expected_text<runs_count> = "a positive integer";
template <> inline constexpr const char* expected_text<pipe_name> = "a pipe name such as 'head' or 'tail'";
template <> inline constexpr const char* expected_text<pipe_arg> = "a pipe argument";
template <> inline constexpr const char* expected_text<event_end> = "an operator, '|' or the end of the query";
template <> inline constexpr const char* expected_text<sequence_end> = "'[', 'by', 'with runs=', 'until', '|' or the end of the query";
template <> inline constexpr const char* expected_text<sample_end> = "'[', 'by', '|' or the end of the query";
template <> inline constexpr const char* expected_text<query> = "a query: '<category> where <condition>', 'sequence' or 'sample'";
template <> inline constexpr const char* missing_text<rparen> = "missing ')'";
template <> inline constexpr const char* missing_text<list_close> = "missing ')'";
template <> inline constexpr const char* missing_text<term_close> = "missing ']'";
// clang-format on

// Turns a failed must<Rule> into a syntax_failure at the current position, with the rule's texts.
template <typename Rule>
struct error_control : pegtl::normal<Rule> {
    template <typename Input, typename... States>
    [[noreturn]] static void raise(const Input& in, States&&... /*unused*/) {
        static_assert(expected_text<Rule> != nullptr, "every rule under must<> needs an expected_text");
        const std::size_t at = offset_of(in);
        if constexpr (missing_text<Rule> != nullptr) {
            throw syntax_failure{at, at, missing_text<Rule>, expected_text<Rule>, hint_text<Rule>, true};
        } else {
            throw syntax_failure{at, at, std::string(), expected_text<Rule>, hint_text<Rule>};
        }
    }
};

}  // namespace eqlc::syntax::grammar
