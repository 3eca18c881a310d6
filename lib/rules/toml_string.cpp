#include "rules/toml_string.hpp"

#include "text/utf16.hpp"

#include <algorithm>

namespace eqlc::rules::detail {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

namespace {

// A cursor over the raw text that keeps the line and (byte) column of where it is.
class Cursor {
public:
    // At byte `at`: its line counts the line breaks before it, its column the bytes since the last one.
    Cursor(std::string_view text, uint32_t at) : text_(text) {
        const std::string_view before = text.substr(0, at);
        pos_.offset = static_cast<uint32_t>(before.size());
        pos_.line = 1 + static_cast<uint32_t>(std::count(before.begin(), before.end(), '\n'));
        const size_t line_start = before.rfind('\n');
        pos_.column = 1 + static_cast<uint32_t>(line_start == std::string_view::npos ? before.size()
                                                                                     : before.size() - line_start - 1);
    }

    bool at_end() const { return pos_.offset >= text_.size(); }
    char peek(uint32_t ahead = 0) const {
        return pos_.offset + ahead < text_.size() ? text_[pos_.offset + ahead] : '\0';
    }
    bool starts_with(std::string_view s) const { return text_.substr(pos_.offset).starts_with(s); }
    const SourcePos& pos() const { return pos_; }

    void step() {
        if (text_[pos_.offset] == '\n') {
            ++pos_.line;
            pos_.column = 1;
        } else {
            ++pos_.column;
        }
        ++pos_.offset;
    }
    void skip(uint32_t n) {
        for (uint32_t i = 0; i < n && !at_end(); ++i) step();
    }
    // Consumes "\n" or "\r\n"; false (and nothing consumed) otherwise.
    bool line_break() {
        if (peek() == '\n') {
            step();
            return true;
        }
        if (peek() == '\r' && peek(1) == '\n') {
            skip(2);
            return true;
        }
        return false;
    }

private:
    std::string_view text_;
    SourcePos pos_;
};

class Scanner {
public:
    Scanner(std::string_view text, uint32_t quote) : cur_(text, quote) {}

    std::optional<ScannedString> run() {
        const char delim = cur_.peek();
        if (delim != '\'' && delim != '"') return std::nullopt;
        const bool multi = cur_.peek(1) == delim && cur_.peek(2) == delim;
        cur_.skip(multi ? 3 : 1);
        if (multi) cur_.line_break();  // a newline right after the opening delimiter is not part of the value
        mark();
        const bool literal = delim == '\'';
        while (!cur_.at_end()) {
            const char c = cur_.peek();
            if (c == delim) {
                if (!multi) return finish();
                uint32_t count = 0;
                while (cur_.peek(count) == delim) ++count;
                if (count >= 3) {
                    if (count > 5) return std::nullopt;
                    out_.value.append(count - 3, delim);  // up to two quotes may end the value
                    return finish();
                }
                out_.value.append(count, delim);
                cur_.skip(count);
                continue;
            }
            if (c == '\n' || c == '\r') {
                if (!multi || !cur_.line_break()) return std::nullopt;
                out_.value += '\n';  // CRLF reads as LF, as toml++ gives it
                mark();
                continue;
            }
            if (c == '\\' && !literal) {
                if (!escape(multi)) return std::nullopt;
                mark();
                continue;
            }
            out_.value += c;
            cur_.step();
        }
        return std::nullopt;  // no closing delimiter
    }

private:
    // Starts a new run at the current place: the next value byte comes from here.
    void mark() {
        QueryLocation::Run run{static_cast<uint32_t>(out_.value.size()), cur_.pos()};
        if (!out_.runs.empty() && out_.runs.back().query_offset == run.query_offset)
            out_.runs.back() = run;
        else
            out_.runs.push_back(run);
    }

    std::optional<ScannedString> finish() { return std::move(out_); }

    bool escape(bool multi) {
        cur_.step();  // the backslash
        const char e = cur_.peek();
        if (multi && (e == ' ' || e == '\t' || e == '\n' || e == '\r')) {
            // A line-ending backslash: the line break and the whitespace after it are dropped.
            while (cur_.peek() == ' ' || cur_.peek() == '\t') cur_.step();
            if (!cur_.line_break()) return false;
            for (;;) {
                const char w = cur_.peek();
                if (w == ' ' || w == '\t') {
                    cur_.step();
                } else if (!cur_.line_break()) {
                    break;
                }
            }
            return true;
        }
        switch (e) {
            case 'b': out_.value += '\b'; break;
            case 't': out_.value += '\t'; break;
            case 'n': out_.value += '\n'; break;
            case 'f': out_.value += '\f'; break;
            case 'r': out_.value += '\r'; break;
            case '"': out_.value += '"'; break;
            case '\\': out_.value += '\\'; break;
            case 'u':
            case 'U': {
                const uint32_t digits = e == 'u' ? 4 : 8;
                uint32_t cp = 0;
                for (uint32_t i = 1; i <= digits; ++i) {
                    const int h = hex_digit(cur_.peek(i));
                    if (h < 0) return false;
                    cp = cp * 16 + static_cast<uint32_t>(h);
                }
                if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
                text::append_utf8(static_cast<char32_t>(cp), out_.value);
                cur_.skip(digits);
                break;
            }
            default: return false;
        }
        cur_.step();
        return true;
    }

    Cursor cur_;
    ScannedString out_;
};

}  // namespace

std::optional<ScannedString> scan_toml_string(std::string_view text, uint32_t quote) {
    if (quote >= text.size()) return std::nullopt;
    return Scanner(text, quote).run();
}

uint32_t byte_offset_of(std::string_view text, uint32_t line, uint32_t column) {
    size_t at = 0;
    for (uint32_t l = 1; l < line; ++l) {
        const size_t nl = text.find('\n', at);
        if (nl == std::string_view::npos) return static_cast<uint32_t>(text.size());
        at = nl + 1;
    }
    // Walk column - 1 code points (continuation bytes 10xxxxxx do not start one).
    for (uint32_t c = 1; c < column && at < text.size() && text[at] != '\n'; ++c) {
        ++at;
        while (at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) ++at;
    }
    return static_cast<uint32_t>(std::min(at, text.size()));
}

}  // namespace eqlc::rules::detail
