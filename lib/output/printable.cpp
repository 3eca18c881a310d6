// Escaping text for a terminal (include/eqlc/printable.hpp).
#include "eqlc/printable.hpp"

#include <cstdint>

namespace eqlc {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex_byte(std::string& out, unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
}

// The length of the well-formed UTF-8 sequence that starts at text[i] (2 to 4 bytes, at least one byte of it
// >= 0x80), or 0 when the bytes there are not one (a stray continuation byte, an overlong form, a surrogate, a
// value beyond U+10FFFF or a sequence cut short).
size_t utf8_sequence(std::string_view text, size_t i, uint32_t& code) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    size_t length = 0;
    uint32_t min = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2, min = 0x80, code = lead & 0x1fu;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3, min = 0x800, code = lead & 0x0fu;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4, min = 0x10000, code = lead & 0x07u;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    for (size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xc0) != 0x80) return 0;
        code = (code << 6) | (byte(i + k) & 0x3fu);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
    return length;
}

bool plain(std::string_view text) {
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7f) return false;
    }
    return true;
}

}  // namespace

std::string printable(std::string_view text) {
    if (plain(text)) return std::string(text);
    std::string out;
    out.reserve(text.size() + 16);
    for (size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
            ++i;
        } else if (c == '\t') {
            out += "\\t", ++i;
        } else if (c == '\n') {
            out += "\\n", ++i;
        } else if (c == '\r') {
            out += "\\r", ++i;
        } else if (c < 0x80) {  // the other C0 controls and DEL
            append_hex_byte(out, c);
            ++i;
        } else {
            uint32_t code = 0;
            const size_t length = utf8_sequence(text, i, code);
            if (length == 0) {
                append_hex_byte(out, c);
                ++i;
            } else if (code <= 0x9f) {  // a C1 control
                out += "\\u00";
                out += kHex[code >> 4];
                out += kHex[code & 0xf];
                i += length;
            } else {
                out.append(text.substr(i, length));
                i += length;
            }
        }
    }
    return out;
}

}  // namespace eqlc
