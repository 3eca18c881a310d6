#include "matchers/cidr.hpp"

#include <initializer_list>

namespace eqlc::matchers {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Dotted quad, strict: four parts, 1-3 digits, no leading zero, <= 255.
bool parse_ipv4(std::string_view s, std::uint8_t* out) {
    std::size_t i = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (i >= s.size() || s[i] != '.') return false;
            ++i;
        }
        const std::size_t start = i;
        unsigned value = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3) {
            value = value * 10 + static_cast<unsigned>(s[i] - '0');
            ++i;
        }
        const std::size_t len = i - start;
        if (len == 0 || value > 255 || (len > 1 && s[start] == '0')) return false;
        out[part] = static_cast<std::uint8_t>(value);
    }
    return i == s.size();
}

bool parse_ipv6(std::string_view s, IpAddress& out) {
    std::uint8_t v4[4];
    bool has_v4 = false;
    const std::size_t dot = s.find('.');
    if (dot != std::string_view::npos) {
        const std::size_t colon = s.rfind(':');
        if (colon == std::string_view::npos || colon > dot) return false;
        if (!parse_ipv4(s.substr(colon + 1), v4)) return false;
        has_v4 = true;
        // Keep a "::" that ends the head; drop a single separating ':'.
        s = (colon > 0 && s[colon - 1] == ':') ? s.substr(0, colon + 1) : s.substr(0, colon);
        if (s.empty()) return false;
    }
    std::uint16_t head[8];
    std::uint16_t tail[8];
    std::size_t nh = 0;
    std::size_t nt = 0;
    bool skip = false;
    const std::size_t max_groups = has_v4 ? 6 : 8;
    std::size_t i = 0;
    const std::size_t n = s.size();
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        skip = true;
        i = 2;
    } else if (n == 0 || s[0] == ':') {
        return false;
    }
    while (i < n) {
        unsigned value = 0;
        const std::size_t start = i;
        while (i < n && i - start < 4) {
            const int h = hex_value(s[i]);
            if (h < 0) break;
            value = value * 16 + static_cast<unsigned>(h);
            ++i;
        }
        if (i == start) return false;
        if (nh + nt >= max_groups) return false;
        (skip ? tail[nt++] : head[nh++]) = static_cast<std::uint16_t>(value);
        if (i == n) break;
        if (s[i] != ':') return false;
        ++i;
        if (i < n && s[i] == ':') {
            if (skip) return false;
            skip = true;
            ++i;
        } else if (i == n) {
            return false;  // a single trailing ':'
        }
    }
    const std::size_t groups = nh + nt;
    if (skip ? groups >= max_groups : groups != max_groups) return false;
    out.fill(0);
    for (std::size_t k = 0; k < nh; ++k) {
        out[2 * k] = static_cast<std::uint8_t>(head[k] >> 8);
        out[2 * k + 1] = static_cast<std::uint8_t>(head[k] & 0xFF);
    }
    const std::size_t tail_start = max_groups - nt;
    for (std::size_t k = 0; k < nt; ++k) {
        out[2 * (tail_start + k)] = static_cast<std::uint8_t>(tail[k] >> 8);
        out[2 * (tail_start + k) + 1] = static_cast<std::uint8_t>(tail[k] & 0xFF);
    }
    if (has_v4) {
        for (int k = 0; k < 4; ++k) out[12 + k] = v4[k];
    }
    return true;
}

std::uint64_t load_be(const IpAddress& a, std::size_t at) {
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < 8; ++k) v = (v << 8) | a[at + k];
    return v;
}

std::uint64_t mask_for(unsigned bits) {  // the top `bits` (0..64) bits set
    if (bits == 0) return 0;
    if (bits >= 64) return ~std::uint64_t{0};
    return ~std::uint64_t{0} << (64 - bits);
}

// Concatenation through append: GCC 12 reports a false -Wrestrict on chains of operator+.
std::string cat(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (const std::string_view p : parts) out.append(p);
    return out;
}

}  // namespace

bool is_ipv4_mapped(const IpAddress& a) {
    for (std::size_t k = 0; k < 10; ++k) {
        if (a[k] != 0) return false;
    }
    return a[10] == 0xFF && a[11] == 0xFF;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
    IpAddress out{};
    if (text.find(':') == std::string_view::npos) {
        out[10] = 0xFF;
        out[11] = 0xFF;
        if (!parse_ipv4(text, out.data() + 12)) return std::nullopt;
        return out;
    }
    if (!parse_ipv6(text, out)) return std::nullopt;
    return out;
}

std::variant<CidrBlock, CidrParseError> parse_cidr(std::string_view text) {
    const std::size_t slash = text.find('/');
    const std::string_view addr_text = text.substr(0, slash);
    const auto addr = parse_ip(addr_text);
    if (!addr) {
        if (addr_text.find('%') != std::string_view::npos) {
            return CidrParseError{cat({"zone ids are not supported in [", text, "]"})};
        }
        return CidrParseError{cat({"[", addr_text, "] is not an IP address"})};
    }
    const bool written_v4 = addr_text.find(':') == std::string_view::npos;
    unsigned prefix;
    if (slash == std::string_view::npos) {
        prefix = 128;
    } else {
        const std::string_view len_text = text.substr(slash + 1);
        if (len_text.empty() || len_text.size() > 3 ||
            len_text.find_first_not_of("0123456789") != std::string_view::npos) {
            return CidrParseError{cat({"invalid prefix length in [", text, "]"})};
        }
        unsigned len = 0;
        for (const char c : len_text) len = len * 10 + static_cast<unsigned>(c - '0');
        if (!written_v4 && is_ipv4_mapped(*addr)) {
            return CidrParseError{cat({"CIDR notation is not allowed with an IPv6-mapped IPv4 address [", text,
                                       "]: the prefix length would be ambiguous"})};
        }
        const unsigned max = written_v4 ? 32 : 128;
        if (len > max) {
            return CidrParseError{cat({"prefix length ", std::to_string(len), " is out of range (0-",
                                       std::to_string(max), ") in [", text, "]"})};
        }
        prefix = written_v4 ? 96 + len : len;
    }
    CidrBlock block;
    block.prefix = static_cast<std::uint8_t>(prefix);
    block.network = *addr;
    for (unsigned bit = prefix; bit < 128; ++bit) {
        block.network[bit / 8] = static_cast<std::uint8_t>(block.network[bit / 8] & ~(0x80U >> (bit % 8)));
    }
    return block;
}

std::variant<CidrSet, CidrError> CidrSet::compile(const std::vector<std::string>& blocks) {
    CidrSet set;
    set.blocks_.reserve(blocks.size());
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        auto parsed = parse_cidr(blocks[i]);
        if (auto* err = std::get_if<CidrParseError>(&parsed)) {
            return CidrError{cat({"invalid CIDR block \"", blocks[i], "\": ", err->message}), i};
        }
        const CidrBlock& b = std::get<CidrBlock>(parsed);
        const unsigned p = b.prefix;
        set.blocks_.push_back(Block{load_be(b.network, 0), load_be(b.network, 8), mask_for(p > 64 ? 64 : p),
                                    mask_for(p > 64 ? p - 64 : 0)});
    }
    return set;
}

bool CidrSet::contains(const IpAddress& address) const {
    const std::uint64_t hi = load_be(address, 0);
    const std::uint64_t lo = load_be(address, 8);
    for (const Block& b : blocks_) {
        if ((hi & b.mask_hi) == b.hi && (lo & b.mask_lo) == b.lo) return true;
    }
    return false;
}

bool CidrSet::contains(std::string_view ip) const {
    const auto address = parse_ip(ip);
    return address && contains(*address);
}

}  // namespace eqlc::matchers
