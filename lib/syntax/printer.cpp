#include "syntax/printer.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string_view>

namespace eqlc::syntax {
namespace {

using ast::Expr;
using ast::ExprKind;

// Binding strength of each printed form; an operand weaker than its context gets parentheses.
// Predicates (`in`, `:`, `like`, `regex`) attach to a primary expression in the grammar, so their left
// side must print as a primary, and they themselves are wrapped wherever an operand is expected.
enum Level : int {
    kOr = 1,
    kAnd = 2,
    kNot = 3,
    kCompare = 4,
    kAdditive = 5,
    kMultiplicative = 6,
    kUnary = 7,
    kPrimary = 8
};

constexpr std::array<std::string_view, 19> kKeywords = {"and",      "any",  "by",    "false", "in",  "join",  "like",
                                                        "maxspan",  "not",  "null",  "of",    "or",  "regex", "sample",
                                                        "sequence", "true", "until", "where", "with"};

bool is_keyword(std::string_view word) {
    for (auto keyword : kKeywords)
        if (keyword == word) return true;
    return false;
}

bool is_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

bool is_plain_identifier(std::string_view text) {
    if (text.empty()) return false;
    const auto first = static_cast<unsigned char>(text[0]);
    if (!is_letter(first) && first != '_' && first != '@') return false;
    for (size_t i = 1; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (!is_letter(c) && !is_digit(c) && c != '_') return false;
    }
    return !is_keyword(text);
}

void append_identifier(std::string& out, std::string_view text) {
    if (is_plain_identifier(text)) {
        out += text;
        return;
    }
    out += '`';
    for (char c : text) {
        if (c == '`') out += '`';
        out += c;
    }
    out += '`';
}

void append_double(std::string& out, double value) {
    if (std::isinf(value)) {
        out += value < 0 ? "-1e999" : "1e999";
        return;
    }
    if (std::isnan(value)) {
        out += "(0.0 / 0.0)";  // not produced by the parser; kept printable
        return;
    }
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    std::string_view text(buf, static_cast<size_t>(end - buf));
    out += text;
    if (text.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

void append_literal(std::string& out, const ast::LiteralValue& value) {
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, ast::Null>) {
                out += "null";
            } else if constexpr (std::is_same_v<T, bool>) {
                out += v ? "true" : "false";
            } else if constexpr (std::is_same_v<T, int64_t>) {
                out += std::to_string(v);
            } else if constexpr (std::is_same_v<T, double>) {
                append_double(out, v);
            } else {
                out += quote_string(v);
            }
        },
        value);
}

bool is_negative_number(const Expr& e) {
    if (e.kind != ExprKind::literal) return false;
    if (const auto* i = std::get_if<int64_t>(&e.value)) return *i < 0;
    if (const auto* d = std::get_if<double>(&e.value)) return std::signbit(*d);
    return false;
}

int level_of(const Expr& e) {
    switch (e.kind) {
        case ExprKind::or_: return kOr;
        case ExprKind::and_: return kAnd;
        case ExprKind::not_: return kNot;
        case ExprKind::compare: return kCompare;
        case ExprKind::arith:
            return (e.arith_op == ast::ArithOp::add || e.arith_op == ast::ArithOp::sub) ? kAdditive : kMultiplicative;
        case ExprKind::negate: return kUnary;
        // A predicate is only unambiguous where a boolean operand is expected: as the operand of a
        // comparison, an arithmetic operator or unary minus it is wrapped.
        case ExprKind::match:
        case ExprKind::in: return kCompare;
        case ExprKind::literal: return is_negative_number(e) ? kUnary : kPrimary;
        case ExprKind::field:
        case ExprKind::call: return kPrimary;
    }
    return kPrimary;
}

class Printer {
public:
    // With a `limit`, printing stops soon after the output reaches that many bytes (brief texts for messages:
    // an error about one operand of a 50,000-term `or` must not print the whole chain).
    explicit Printer(std::string& out, size_t limit = SIZE_MAX) : out_(out), limit_(limit) {}

    bool full() const { return out_.size() >= limit_; }

    // Prints `e` where the context needs at least binding strength `min_level`.
    void print(const Expr& e, int min_level) {
        if (full()) return;
        const bool wrap = level_of(e) < min_level;
        if (wrap) out_ += '(';
        print_bare(e);
        if (wrap) out_ += ')';
    }

    void print_bare(const Expr& e) {
        switch (e.kind) {
            case ExprKind::literal:
                if (const auto* text = std::get_if<std::string>(&e.value); text && limit_ != SIZE_MAX) {
                    out_ += quote_string(std::string_view(*text).substr(0, limit_ - out_.size()));
                    break;
                }
                append_literal(out_, e.value);
                break;
            case ExprKind::field: print_field(e.field); break;
            case ExprKind::not_:
                out_ += "not ";
                print(*e.operands[0], kNot);
                break;
            case ExprKind::and_:
            case ExprKind::or_: {
                const bool is_and = e.kind == ExprKind::and_;
                // A nested chain of the same kind keeps its parentheses (the parser flattens unparenthesised
                // chains, so only a parenthesised one can be nested).
                const int operand_level = is_and ? kAnd + 1 : kOr + 1;
                for (size_t i = 0; i < e.operands.size() && !full(); ++i) {
                    if (i) out_ += is_and ? " and " : " or ";
                    print(*e.operands[i], operand_level);
                }
                break;
            }
            case ExprKind::compare: {
                static constexpr std::array<std::string_view, 6> ops = {" == ", " != ", " < ", " <= ", " > ", " >= "};
                print(*e.operands[0], kAdditive);
                out_ += ops[static_cast<size_t>(e.compare_op)];
                print(*e.operands[1], kAdditive);
                break;
            }
            case ExprKind::match: {
                static constexpr std::array<std::string_view, 5> ops = {" : ", " like ", " like~ ", " regex ",
                                                                        " regex~ "};
                print(*e.operands[0], kPrimary);
                out_ += ops[static_cast<size_t>(e.match_op)];
                print_list(e, e.operands.size() > 2);
                break;
            }
            case ExprKind::in:
                print(*e.operands[0], kPrimary);
                out_ += e.negated ? " not in" : " in";
                if (e.case_insensitive) out_ += '~';
                out_ += ' ';
                print_list(e, true);
                break;
            case ExprKind::arith: {
                static constexpr std::array<std::string_view, 5> ops = {" + ", " - ", " * ", " / ", " % "};
                const int level = level_of(e);
                print(*e.operands[0], level);
                out_ += ops[static_cast<size_t>(e.arith_op)];
                print(*e.operands[1], level + 1);  // left-associative: a same-level right side needs parens
                break;
            }
            case ExprKind::negate: {
                out_ += '-';
                const Expr& operand = *e.operands[0];
                // `-5` would be folded into a literal on reparse. A nested minus needs no parentheses (`--x`):
                // each would count against the nesting limit, so a legal 150-deep `-` chain printed with them
                // would no longer parse.
                const bool wrap = operand.kind == ExprKind::literal || level_of(operand) < kUnary ||
                                  operand.kind == ExprKind::match || operand.kind == ExprKind::in;
                if (wrap) out_ += '(';
                print_bare(operand);
                if (wrap) out_ += ')';
                break;
            }
            case ExprKind::call:
                out_ += e.function;
                if (e.case_insensitive) out_ += '~';
                out_ += '(';
                for (size_t i = 0; i < e.operands.size() && !full(); ++i) {
                    if (i) out_ += ", ";
                    print(*e.operands[i], kOr);
                }
                out_ += ')';
                break;
        }
    }

    void print_field(const ast::FieldPath& path) {
        if (path.optional) out_ += '?';
        for (size_t i = 0; i < path.segments.size(); ++i) {
            if (i) out_ += '.';
            append_identifier(out_, path.segments[i]);
        }
    }

    void print_list(const Expr& e, bool parenthesise) {
        if (parenthesise) out_ += '(';
        for (size_t i = 1; i < e.operands.size() && !full(); ++i) {
            if (i > 1) out_ += ", ";
            print(*e.operands[i], kOr);
        }
        if (parenthesise) out_ += ')';
    }

    void print_filter(const ast::EventFilter& f) {
        if (f.any) {
            out_ += "any";
        } else if (is_plain_identifier(f.category)) {
            out_ += f.category;
        } else {
            out_ += quote_string(f.category);
        }
        out_ += " where ";
        if (f.condition) print(*f.condition, kOr);
    }

    void print_keys(const std::vector<ast::ExprPtr>& keys) {
        for (size_t i = 0; i < keys.size(); ++i) {
            out_ += i ? ", " : " by ";
            print(*keys[i], kOr);
        }
    }

    void print_term(const ast::Term& t) {
        out_ += t.missing ? "![" : "[";
        print_filter(t.filter);
        out_ += ']';
        print_keys(t.keys);
        if (t.runs) out_ += " with runs=" + std::to_string(*t.runs);
    }

    void print_query(const ast::Query& q) {
        switch (q.kind) {
            case ast::QueryKind::event: print_filter(q.event); break;
            case ast::QueryKind::sequence:
            case ast::QueryKind::sample:
                out_ += q.kind == ast::QueryKind::sequence ? "sequence" : "sample";
                print_keys(q.shared_keys);
                if (q.maxspan) {
                    static constexpr std::array<std::string_view, 5> units = {"ms", "s", "m", "h", "d"};
                    out_ += " with maxspan=" + std::to_string(q.maxspan->value);
                    out_ += units[static_cast<size_t>(q.maxspan->unit)];
                }
                for (const auto& t : q.terms) {
                    out_ += "\n  ";
                    print_term(t);
                }
                if (q.until) {
                    out_ += "\nuntil ";
                    print_term(*q.until);
                }
                break;
        }
        for (const auto& p : q.pipes) {
            out_ += q.kind == ast::QueryKind::event ? " | " : "\n| ";
            out_ += p.name;
            for (size_t i = 0; i < p.args.size(); ++i) {
                out_ += i ? ", " : " ";
                print(*p.args[i], kOr);
            }
        }
    }

private:
    std::string& out_;
    size_t limit_;
};

void append_code_point_escape(std::string& out, unsigned value) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "\\u{%02X}", value);
    out += buf;
}

}  // namespace

std::string quote_string(std::string_view value) {
    std::string out;
    out.reserve(value.size() + 2);
    out += '"';
    for (char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    append_code_point_escape(out, c);
                } else {
                    out += ch;
                }
        }
    }
    out += '"';
    return out;
}

std::string print_query(const ast::Query& query) {
    std::string out;
    Printer(out).print_query(query);
    return out;
}

std::string print_expr(const ast::Expr& expr) {
    std::string out;
    Printer(out).print(expr, kOr);
    return out;
}

std::string print_expr_brief(const ast::Expr& expr, size_t max_bytes) {
    std::string out;
    Printer(out, max_bytes + 1).print(expr, kOr);  // stopped early: longer than max_bytes, so cut below
    if (out.size() > max_bytes) {
        size_t cut = max_bytes;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
        out.resize(cut);
        out += "...";
    }
    return out;
}

namespace {

void dump_expr(std::string& out, const Expr& e, int depth) {
    out.append(static_cast<size_t>(depth) * 2, ' ');
    switch (e.kind) {
        case ExprKind::literal: {
            out += "Literal ";
            append_literal(out, e.value);
            break;
        }
        case ExprKind::field: {
            out += "Field ";
            Printer p(out);
            p.print_field(e.field);
            break;
        }
        case ExprKind::not_: out += "Not"; break;
        case ExprKind::and_: out += "And"; break;
        case ExprKind::or_: out += "Or"; break;
        case ExprKind::compare: {
            static constexpr std::array<std::string_view, 6> ops = {"==", "!=", "<", "<=", ">", ">="};
            out += "Compare ";
            out += ops[static_cast<size_t>(e.compare_op)];
            break;
        }
        case ExprKind::match: {
            static constexpr std::array<std::string_view, 5> ops = {":", "like", "like~", "regex", "regex~"};
            out += "Match ";
            out += ops[static_cast<size_t>(e.match_op)];
            break;
        }
        case ExprKind::in:
            out += e.negated ? "NotIn" : "In";
            if (e.case_insensitive) out += '~';
            break;
        case ExprKind::arith: {
            static constexpr std::array<std::string_view, 5> ops = {"+", "-", "*", "/", "%"};
            out += "Arith ";
            out += ops[static_cast<size_t>(e.arith_op)];
            break;
        }
        case ExprKind::negate: out += "Negate"; break;
        case ExprKind::call:
            out += "Call " + e.function;
            if (e.case_insensitive) out += '~';
            break;
    }
    out += "  @" + std::to_string(e.span.begin.line) + ':' + std::to_string(e.span.begin.column) + '\n';
    for (const auto& operand : e.operands) dump_expr(out, *operand, depth + 1);
}

void dump_filter(std::string& out, const ast::EventFilter& f, int depth) {
    out.append(static_cast<size_t>(depth) * 2, ' ');
    out += f.any ? std::string("Filter any") : "Filter category=" + quote_string(f.category);
    out += '\n';
    if (f.condition) dump_expr(out, *f.condition, depth + 1);
}

void dump_keys(std::string& out, const std::vector<ast::ExprPtr>& keys, int depth, std::string_view label) {
    if (keys.empty()) return;
    out.append(static_cast<size_t>(depth) * 2, ' ');
    out += label;
    out += '\n';
    for (const auto& k : keys) dump_expr(out, *k, depth + 1);
}

void dump_term(std::string& out, const ast::Term& t, int depth, std::string_view label) {
    out.append(static_cast<size_t>(depth) * 2, ' ');
    out += label;
    if (t.missing) out += " (missing)";
    if (t.runs) out += " runs=" + std::to_string(*t.runs);
    out += '\n';
    dump_filter(out, t.filter, depth + 1);
    dump_keys(out, t.keys, depth + 1, "By");
}

}  // namespace

std::string dump_tree(const ast::Query& q) {
    std::string out;
    switch (q.kind) {
        case ast::QueryKind::event:
            out += "EventQuery\n";
            dump_filter(out, q.event, 1);
            break;
        case ast::QueryKind::sequence:
        case ast::QueryKind::sample: {
            out += q.kind == ast::QueryKind::sequence ? "Sequence" : "Sample";
            if (q.maxspan) {
                static constexpr std::array<std::string_view, 5> units = {"ms", "s", "m", "h", "d"};
                out += " maxspan=" + std::to_string(q.maxspan->value);
                out += units[static_cast<size_t>(q.maxspan->unit)];
            }
            out += '\n';
            dump_keys(out, q.shared_keys, 1, "SharedBy");
            for (size_t i = 0; i < q.terms.size(); ++i) dump_term(out, q.terms[i], 1, "Term " + std::to_string(i));
            if (q.until) dump_term(out, *q.until, 1, "Until");
            break;
        }
    }
    for (const auto& p : q.pipes) {
        out += "Pipe " + p.name + '\n';
        for (const auto& a : p.args) dump_expr(out, *a, 1);
    }
    return out;
}

}  // namespace eqlc::syntax
