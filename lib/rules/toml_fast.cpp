// The fast TOML reader for rule files (toml_tree.hpp): one pass over the bytes, no code point decoding outside
// strings. It refuses (gives nothing) whenever it is not sure to give what toml++ gives, so every such text
// still goes through toml++ and gets its diagnostics.
#include "rules/toml_string.hpp"
#include "rules/toml_tree.hpp"
#include "text/utf16.hpp"

#include <algorithm>
#include <cstring>

namespace eqlc::rules::detail {

const TomlNode* TomlNode::get(std::string_view key) const {
    for (const TomlMember& m : members)
        if (m.key == key) return &m.value;
    return nullptr;
}

TomlNode* TomlNode::find(std::string_view key) {
    for (TomlMember& m : members)
        if (m.key == key) return &m.value;
    return nullptr;
}

bool same_tree(const TomlNode& a, const TomlNode& b) {
    if (a.type != b.type || a.line != b.line || a.column != b.column) return false;
    switch (a.type) {
        case TomlNode::Type::string: return a.string == b.string;
        case TomlNode::Type::integer: return a.integer == b.integer;
        case TomlNode::Type::boolean: return a.boolean == b.boolean;
        case TomlNode::Type::array:
            if (a.items.size() != b.items.size()) return false;
            for (size_t i = 0; i < a.items.size(); ++i)
                if (!same_tree(a.items[i], b.items[i])) return false;
            return true;
        case TomlNode::Type::table:
            if (a.members.size() != b.members.size()) return false;
            for (const TomlMember& m : a.members) {
                const TomlNode* other = b.get(m.key);
                if (!other || !same_tree(m.value, *other)) return false;
            }
            return true;
        default: return true;  // not made by the fast reader
    }
}

namespace {

constexpr int kMaxDepth = 32;  // nested arrays and inline tables (toml++ allows 256)

bool is_bare_key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

class Reader {
public:
    explicit Reader(std::string_view text) : s_(text) {}

    std::optional<TomlNode> run() {
        if (s_.size() >= 0xFFFFFFFFu) return std::nullopt;
        root_.type = TomlNode::Type::table;
        root_.line = 1;
        root_.column = 1;
        TomlNode* table = &root_;
        while (ok_) {
            skip_blanks();
            if (at_end()) break;
            const char c = s_[i_];
            if (c == '#' || c == '\n' || c == '\r') {
                end_of_line();
            } else if (c == '[') {
                table = header();
                if (ok_) end_of_line();
            } else if (is_bare_key_char(c)) {
                key_value(*table, 0);
                if (ok_) end_of_line();
            } else {
                fail();
            }
        }
        if (!ok_) return std::nullopt;
        return std::move(root_);
    }

private:
    bool at_end() const { return i_ >= s_.size(); }
    char peek(size_t ahead = 0) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }
    void fail() {
        ok_ = false;
        i_ = s_.size();
    }

    // The position of byte i_ as toml++ gives it.
    void place(TomlNode& node) const {
        node.line = line_;
        uint32_t column = 1;
        for (size_t k = line_start_; k < i_; ++k)
            if ((static_cast<unsigned char>(s_[k]) & 0xC0) != 0x80) ++column;
        node.column = column;
    }

    void skip_blanks() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
    }

    // A line break ("\n" or "\r\n") at i_: consumed.
    bool line_break() {
        if (peek() == '\n') {
            ++i_;
        } else if (peek() == '\r' && peek(1) == '\n') {
            i_ += 2;
        } else {
            return false;
        }
        ++line_;
        line_start_ = i_;
        return true;
    }

    // Whether the UTF-8 sequence at i_ is well formed and not a surrogate; moves past it.
    bool utf8() {
        const auto b = [&](size_t k) { return static_cast<unsigned char>(peek(k)); };
        const unsigned char c = b(0);
        size_t n = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;  // no surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (i_ + n >= s_.size()) return false;
        if (b(1) < lo || b(1) > hi) return false;
        for (size_t k = 2; k <= n; ++k)
            if (b(k) < 0x80 || b(k) > 0xBF) return false;
        i_ += n + 1;
        return true;
    }

    // Optional blanks and comment, then a line break or the end of the text.
    void end_of_line() {
        skip_blanks();
        if (peek() == '#') comment();
        if (!ok_ || at_end()) return;
        if (!line_break()) fail();
    }

    void comment() {
        ++i_;  // '#'
        while (i_ < s_.size()) {
            const auto c = static_cast<unsigned char>(s_[i_]);
            if (c == '\n' || (c == '\r' && peek(1) == '\n')) return;
            if (c >= 0x80) {
                if (!utf8()) return fail();
                continue;
            }
            if ((c < 0x20 && c != '\t') || c == 0x7F) return fail();
            ++i_;
        }
    }

    // Blanks, comments and line breaks (inside an array).
    void skip_space() {
        for (;;) {
            skip_blanks();
            if (peek() == '#') {
                comment();
                if (!ok_) return;
            }
            if (!line_break()) return;
        }
    }

    bool bare_key(std::string& key) {
        const size_t from = i_;
        while (i_ < s_.size() && is_bare_key_char(s_[i_])) ++i_;
        if (i_ == from) return false;
        key.assign(s_.substr(from, i_ - from));
        return true;
    }

    // [a.b.c] or [[a.b.c]]: the table that the following keys go into.
    TomlNode* header() {
        TomlNode head;
        place(head);
        const bool array = peek(1) == '[';
        i_ += array ? 2 : 1;
        std::vector<std::string> path;
        for (;;) {
            std::string key;
            if (!bare_key(key)) return fail(), nullptr;
            path.push_back(std::move(key));
            if (peek() != '.') break;
            ++i_;
        }
        if (peek() != ']' || (array && peek(1) != ']')) return fail(), nullptr;
        i_ += array ? 2 : 1;

        TomlNode* node = &root_;
        for (size_t p = 0; p + 1 < path.size(); ++p) {
            TomlNode* next = node->find(path[p]);
            if (!next) {
                TomlNode made;
                made.type = TomlNode::Type::table;
                made.line = head.line;
                made.column = head.column;
                node->members.push_back(TomlMember{path[p], std::move(made)});
                next = &node->members.back().value;
            } else if (next->type == TomlNode::Type::array && next->array_of_tables) {
                next = &next->items.back();
            } else if (next->type != TomlNode::Type::table || next->inline_table) {
                return fail(), nullptr;
            }
            node = next;
        }
        TomlNode* last = node->find(path.back());
        TomlNode table;
        table.type = TomlNode::Type::table;
        table.members.reserve(8);
        table.line = head.line;
        table.column = head.column;
        if (array) {
            if (!last) {
                TomlNode list;
                list.type = TomlNode::Type::array;
                list.array_of_tables = true;
                list.line = head.line;
                list.column = head.column;
                node->members.push_back(TomlMember{path.back(), std::move(list)});
                last = &node->members.back().value;
            } else if (last->type != TomlNode::Type::array || !last->array_of_tables) {
                return fail(), nullptr;
            }
            last->items.push_back(std::move(table));
            return &last->items.back();
        }
        if (last) return fail(), nullptr;  // defined twice, or named before as a parent: left to toml++
        node->members.push_back(TomlMember{path.back(), std::move(table)});
        return &node->members.back().value;
    }

    // key = value, into `table`.
    void key_value(TomlNode& table, int depth) {
        std::string key;
        if (!bare_key(key)) return fail();
        skip_blanks();
        if (peek() != '=') return fail();  // dotted and quoted keys too
        ++i_;
        skip_blanks();
        TomlNode v;
        value(v, depth, false);
        if (!ok_) return;
        if (table.find(key)) return fail();
        table.members.push_back(TomlMember{std::move(key), std::move(v)});
    }

    // What may follow a scalar: blanks, a line break, a comment, a separator.
    bool delimiter_follows() const {
        const char c = peek();
        return at_end() || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '#' || c == ',' || c == ']' ||
               c == '}';
    }

    void value(TomlNode& v, int depth, bool in_inline) {
        if (depth > kMaxDepth) return fail();
        place(v);
        const char c = peek();
        if (c == '"' || c == '\'') {
            v.type = TomlNode::Type::string;
            return string(v.string);
        }
        if (c == '[') return array(v, depth, in_inline);
        if (c == '{') return inline_table(v, depth);
        if (c == 't' && s_.substr(i_, 4) == "true") {
            i_ += 4;
            v.type = TomlNode::Type::boolean;
            v.boolean = true;
            if (!delimiter_follows()) fail();
            return;
        }
        if (c == 'f' && s_.substr(i_, 5) == "false") {
            i_ += 5;
            v.type = TomlNode::Type::boolean;
            if (!delimiter_follows()) fail();
            return;
        }
        if (c == '-' || (c >= '0' && c <= '9')) return integer(v);
        fail();
    }

    // Decimal integers without sign '+', underscores or leading zeros; anything else is left to toml++ (floats,
    // dates, hex, ...).
    void integer(TomlNode& v) {
        const bool negative = peek() == '-';
        if (negative) ++i_;
        const size_t from = i_;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        const size_t digits = i_ - from;
        if (digits == 0 || digits > 18 || (digits > 1 && s_[from] == '0') || !delimiter_follows()) return fail();
        int64_t n = 0;
        for (size_t k = from; k < i_; ++k) n = n * 10 + (s_[k] - '0');
        v.type = TomlNode::Type::integer;
        v.integer = negative ? -n : n;
    }

    void array(TomlNode& v, int depth, bool in_inline) {
        v.type = TomlNode::Type::array;
        ++i_;  // '['
        const size_t line = line_;
        for (;;) {
            skip_space();
            if (!ok_) return;
            if (peek() == ']') break;
            TomlNode item;
            value(item, depth + 1, in_inline);
            if (!ok_) return;
            v.items.push_back(std::move(item));
            skip_space();
            if (!ok_) return;
            if (peek() == ',') {
                ++i_;
                continue;
            }
            if (peek() != ']') return fail();
            break;
        }
        ++i_;                                    // ']'
        if (in_inline && line_ != line) fail();  // a line break inside an inline table: left to toml++
    }

    void inline_table(TomlNode& v, int depth) {
        v.type = TomlNode::Type::table;
        v.inline_table = true;
        ++i_;  // '{'
        skip_blanks();
        if (peek() == '}') {
            ++i_;
            return;
        }
        for (;;) {
            std::string key;
            if (!bare_key(key)) return fail();
            skip_blanks();
            if (peek() != '=') return fail();
            ++i_;
            skip_blanks();
            TomlNode item;
            value(item, depth + 1, true);
            if (!ok_) return;
            if (v.find(key)) return fail();
            v.members.push_back(TomlMember{std::move(key), std::move(item)});
            skip_blanks();
            if (peek() == ',') {
                ++i_;
                skip_blanks();
                continue;
            }
            if (peek() != '}') return fail();
            ++i_;
            return;
        }
    }

    // One string of any of the four kinds, decoded into `out`.
    void string(std::string& out) {
        const char delim = peek();
        const bool literal = delim == '\'';
        const bool multi = peek(1) == delim && peek(2) == delim;
        if (!multi && peek(1) == delim) {  // "" or ''
            i_ += 2;
            return;
        }
        i_ += multi ? 3 : 1;
        if (multi) {
            line_break();  // a line break right after the opening delimiter is not part of the value
            // Long values (descriptions, notes, queries) grow once: at most the text up to the closing quotes.
            const char closing[] = {delim, delim, delim, '\0'};
            const size_t end = s_.find(closing, i_);
            if (end != std::string_view::npos) out.reserve(end - i_ + 2);
        }
        bool skipping = false;  // after a line-ending backslash: blanks and line breaks are dropped
        size_t run = i_;        // plain bytes from here on are copied at once
        auto flush = [&] { out.append(s_.data() + run, i_ - run); };
        while (ok_) {
            if (!skipping) i_ = skip_plain(i_, delim);
            if (at_end()) return fail();
            const auto c = static_cast<unsigned char>(s_[i_]);
            if (c == static_cast<unsigned char>(delim)) {
                if (!multi) {
                    flush();
                    ++i_;
                    return;
                }
                size_t count = 0;
                while (peek(count) == delim) ++count;
                if (count >= 3) {
                    if (count > 5) return fail();
                    flush();
                    out.append(count - 3, delim);
                    i_ += count;
                    return;
                }
                i_ += count;  // one or two quotes inside the value
                skipping = false;
                continue;
            }
            if (c == '\n' || c == '\r') {
                if (!multi) return fail();
                flush();
                if (!line_break()) return fail();
                if (!skipping) out += '\n';  // CRLF reads as LF
                run = i_;
                continue;
            }
            if (skipping) {
                if (c == ' ' || c == '\t') {
                    ++i_;
                    run = i_;
                    continue;
                }
                if (c >= 0x80) return fail();  // toml++ also skips Unicode blanks here
                skipping = false;
                run = i_;
            }
            if (c == '\\' && !literal) {
                flush();
                escape(out, multi, skipping);
                run = i_;
                continue;
            }
            if (c >= 0x80) {
                if (!utf8()) return fail();
                continue;
            }
            if ((c < 0x20 && c != '\t') || c == 0x7F) return fail();
            ++i_;
        }
    }

    // The first place from `at` whose 8-byte word holds a byte the string loop must look at (the delimiter, a
    // backslash, a control character, DEL, or a byte of a multi-byte character), eight bytes at a time: most of a
    // rule file's bytes are plain text inside its description and query.
    size_t skip_plain(size_t at, char delim) const {
        constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
        const auto has_byte = [](uint64_t w, unsigned char b) {
            const uint64_t x = w ^ (kOnes * b);
            return (x - kOnes) & ~x & kHigh;
        };
        while (at + 8 <= s_.size()) {
            uint64_t w;
            std::memcpy(&w, s_.data() + at, sizeof w);
            const uint64_t special = (w & kHigh) | ((w - kOnes * 0x20) & ~w & kHigh) | has_byte(w, 0x7F) |
                                     has_byte(w, static_cast<unsigned char>(delim)) | has_byte(w, '\\');
            if (special) break;
            at += 8;
        }
        return at;
    }

    void escape(std::string& out, bool multi, bool& skipping) {
        ++i_;  // the backslash
        const char e = peek();
        if (multi && (e == ' ' || e == '\t' || e == '\n' || e == '\r')) {
            skip_blanks();
            if (!line_break()) return fail();
            skipping = true;
            return;
        }
        switch (e) {
            case 'b': out += '\b'; break;
            case 't': out += '\t'; break;
            case 'n': out += '\n'; break;
            case 'f': out += '\f'; break;
            case 'r': out += '\r'; break;
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case 'u':
            case 'U': {
                const size_t digits = e == 'u' ? 4 : 8;
                uint32_t cp = 0;
                for (size_t k = 1; k <= digits; ++k) {
                    const int h = hex_digit(peek(k));
                    if (h < 0) return fail();
                    cp = cp * 16 + static_cast<uint32_t>(h);
                }
                if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return fail();
                text::append_utf8(static_cast<char32_t>(cp), out);
                i_ += digits;
                break;
            }
            default: return fail();
        }
        ++i_;
    }

    std::string_view s_;
    size_t i_ = 0;
    uint32_t line_ = 1;
    size_t line_start_ = 0;
    bool ok_ = true;
    TomlNode root_;
};

}  // namespace

std::optional<TomlNode> read_toml_fast(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) return std::nullopt;  // a byte order mark: left to toml++
    return Reader(text).run();
}

}  // namespace eqlc::rules::detail
