// IP addresses and CIDR blocks for `cidrMatch(ip, "10.0.0.0/8", ...)` and ip-typed equality.
//
// Addresses are kept the way Elasticsearch keeps `ip` fields: as 16 bytes, with IPv4 stored as the
// IPv4-mapped IPv6 address ::ffff:a.b.c.d. Consequences, all as in Elasticsearch:
//   * "::ffff:10.0.0.1" is the same address as "10.0.0.1", so it is inside 10.0.0.0/8;
//   * an IPv4 block a.b.c.d/n is the IPv6 block ::ffff:a.b.c.d/(96+n);
//   * IPv6 blocks that cover ::ffff:0:0/96 (e.g. "::/0") contain every IPv4 address;
//   * a block written as an IPv4-mapped IPv6 address *with* a prefix ("::ffff:10.0.0.0/104") is refused,
//     as InetAddresses.parseCidr refuses it (ambiguous v4 or v6 prefix); without a prefix it is accepted.
// Accepted text (Elasticsearch's InetAddresses.forString): dotted-quad IPv4 with 1-3 decimal digits per
// part, no leading zeros, each <= 255; IPv6 with 1-4 hex digits per group, at most one "::" (standing for
// one or more zero groups), optional dotted-quad in the last 32 bits. Zone ids ("fe80::1%eth0") and
// brackets are refused. Host bits of a block ("10.1.2.3/8") are ignored, as in Elasticsearch.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace eqlc::matchers {

using IpAddress = std::array<std::uint8_t, 16>;

// Parses an IPv4 or IPv6 address without allocating; IPv4 comes back IPv4-mapped.
std::optional<IpAddress> parse_ip(std::string_view text);
// True for ::ffff:0:0/96, i.e. addresses that were (or are equal to) IPv4 addresses.
bool is_ipv4_mapped(const IpAddress& address);

struct CidrBlock {
    IpAddress network{};      // host bits cleared
    std::uint8_t prefix = 0;  // 0..128, in the 16-byte space (an IPv4 /8 is 104)
};

// Parses "addr/len" or a bare address (= /32 for IPv4, /128 for IPv6).
struct CidrParseError {
    std::string message;
};
std::variant<CidrBlock, CidrParseError> parse_cidr(std::string_view text);

struct CidrError {
    std::string message;    // names the bad block and what is wrong with it
    std::size_t index = 0;  // position of the bad block in the list
};

class CidrSet {
public:
    static std::variant<CidrSet, CidrError> compile(const std::vector<std::string>& blocks);

    // Parses `ip` (no allocation) and tests it against every block; an unparsable ip is not contained.
    bool contains(std::string_view ip) const;
    bool contains(const IpAddress& address) const;

    std::size_t size() const { return blocks_.size(); }

private:
    struct Block {
        std::uint64_t hi;
        std::uint64_t lo;
        std::uint64_t mask_hi;
        std::uint64_t mask_lo;
    };
    std::vector<Block> blocks_;
};

}  // namespace eqlc::matchers
