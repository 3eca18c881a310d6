#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "matchers/cidr.hpp"

using eqlc::matchers::CidrError;
using eqlc::matchers::CidrSet;
using eqlc::matchers::IpAddress;
using eqlc::matchers::is_ipv4_mapped;
using eqlc::matchers::parse_ip;

namespace {

CidrSet make(const std::vector<std::string>& blocks) {
    auto r = CidrSet::compile(blocks);
    REQUIRE(std::holds_alternative<CidrSet>(r));
    return std::get<CidrSet>(std::move(r));
}

std::string error_of(const std::vector<std::string>& blocks) {
    auto r = CidrSet::compile(blocks);
    REQUIRE(std::holds_alternative<CidrError>(r));
    return std::get<CidrError>(r).message;
}

}  // namespace

TEST_CASE("cidr: IPv4 parsing", "[cidr]") {
    auto a = parse_ip("10.1.2.3");
    REQUIRE(a);
    CHECK(is_ipv4_mapped(*a));
    CHECK((*a)[12] == 10);
    CHECK((*a)[15] == 3);
    CHECK(parse_ip("0.0.0.0"));
    CHECK(parse_ip("255.255.255.255"));
    for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.04", "01.2.3.4", "1..2.3", "1.2.3.4 ",
                            " 1.2.3.4", "1.2.3.-4", "1.2.3.4/8", "a.b.c.d", "1234.1.1.1", "1.2.3.4."}) {
        INFO(bad);
        CHECK_FALSE(parse_ip(bad));
    }
}

TEST_CASE("cidr: IPv6 parsing", "[cidr]") {
    const auto loopback = parse_ip("::1");
    REQUIRE(loopback);
    CHECK(loopback == parse_ip("0:0:0:0:0:0:0:1"));
    CHECK(loopback == parse_ip("0000:0000:0000:0000:0000:0000:0000:0001"));
    CHECK(parse_ip("::") == IpAddress{});
    CHECK(parse_ip("fe80::1") == parse_ip("FE80:0:0:0:0:0:0:1"));
    CHECK(parse_ip("1::") == parse_ip("1:0:0:0:0:0:0:0"));
    CHECK(parse_ip("1:2:3:4:5:6:7::") == parse_ip("1:2:3:4:5:6:7:0"));  // "::" may stand for one group
    CHECK(parse_ip("::ffff:1.2.3.4") == parse_ip("1.2.3.4"));           // IPv4-mapped == IPv4
    CHECK(parse_ip("::ffff:0102:0304") == parse_ip("1.2.3.4"));
    CHECK(parse_ip("64:ff9b::1.2.3.4"));
    CHECK(parse_ip("1:2:3:4:5:6:1.2.3.4"));
    CHECK_FALSE(is_ipv4_mapped(*parse_ip("::1.2.3.4")));  // IPv4-compatible, not mapped
    for (const char* bad : {":", ":::", "1:2", "1::2::3", ":1::", "1::2:", "1:2:3:4:5:6:7:8:9",
                            "1:2:3:4:5:6:7:8::", "12345::", "g::", "fe80::1%eth0", "[::1]", "::ffff:1.2.3",
                            "1:2:3:4:5:6:7:1.2.3.4", "1.2.3.4::", "::1.2.3.4:5", ":1:2:3:4:5:6:7"}) {
        INFO(bad);
        CHECK_FALSE(parse_ip(bad));
    }
}

TEST_CASE("cidr: IPv4 blocks", "[cidr]") {
    const CidrSet set = make({"10.0.0.0/8", "192.168.1.0/24", "172.16.0.0/12", "8.8.8.8"});
    CHECK(set.size() == 4);
    CHECK(set.contains("10.0.0.0"));
    CHECK(set.contains("10.255.255.255"));
    CHECK_FALSE(set.contains("11.0.0.0"));
    CHECK(set.contains("192.168.1.77"));
    CHECK_FALSE(set.contains("192.168.2.1"));
    CHECK(set.contains("172.31.255.255"));
    CHECK_FALSE(set.contains("172.32.0.0"));
    CHECK(set.contains("8.8.8.8"));  // bare address = /32
    CHECK_FALSE(set.contains("8.8.8.9"));
    CHECK_FALSE(set.contains("not an ip"));
    CHECK_FALSE(set.contains(""));
    // IPv4-mapped IPv6 addresses are the same addresses (Elasticsearch stores IPv4 that way).
    CHECK(set.contains("::ffff:10.0.0.1"));
    CHECK(set.contains("::FFFF:a00:1"));
    CHECK_FALSE(set.contains("::10.0.0.1"));
    CHECK_FALSE(set.contains("fe80::1"));
}

TEST_CASE("cidr: prefix edges", "[cidr]") {
    const CidrSet all_v4 = make({"0.0.0.0/0"});
    CHECK(all_v4.contains("1.2.3.4"));
    CHECK(all_v4.contains("255.255.255.255"));
    CHECK_FALSE(all_v4.contains("::1"));  // /0 in IPv4 is ::ffff:0:0/96, not all of IPv6
    const CidrSet all = make({"::/0"});
    CHECK(all.contains("::1"));
    CHECK(all.contains("1.2.3.4"));  // every IPv4 address is inside ::/0 (stored IPv4-mapped)
    const CidrSet host = make({"1.2.3.4/32"});
    CHECK(host.contains("1.2.3.4"));
    CHECK_FALSE(host.contains("1.2.3.5"));
    const CidrSet host6 = make({"2001:db8::1/128"});
    CHECK(host6.contains("2001:db8:0:0:0:0:0:1"));
    CHECK_FALSE(host6.contains("2001:db8::2"));
    const CidrSet odd = make({"10.1.2.3/31", "2001:db8::/33", "2001:db8:0:0:8000::/65"});
    CHECK(odd.contains("10.1.2.2"));  // host bits of the block are ignored
    CHECK(odd.contains("10.1.2.3"));
    CHECK_FALSE(odd.contains("10.1.2.4"));
    CHECK(odd.contains("2001:db8:7fff:ffff::"));
    CHECK_FALSE(odd.contains("2001:db8:8000::"));
    CHECK_FALSE(odd.contains("2001:db9::"));
    CHECK(odd.contains("2001:db8:0:0:ffff::1"));
}

TEST_CASE("cidr: IPv6 blocks", "[cidr]") {
    const CidrSet set = make({"fe80::/10", "::1", "fc00::/7"});
    CHECK(set.contains("fe80::1"));
    CHECK(set.contains("febf:ffff::"));
    CHECK_FALSE(set.contains("fec0::"));
    CHECK(set.contains("::1"));
    CHECK(set.contains("0:0:0:0:0:0:0:1"));
    CHECK(set.contains("fd12:3456::1"));
    CHECK_FALSE(set.contains("127.0.0.1"));
    CHECK_FALSE(set.contains("fe80::1%eth0"));
    const CidrSet mapped = make({"::ffff:10.0.0.1"});  // bare mapped address: accepted, = 10.0.0.1
    CHECK(mapped.contains("10.0.0.1"));
}

TEST_CASE("cidr: bad blocks are errors naming the block", "[cidr]") {
    CHECK(error_of({"10.0.0.0/8", "10.0.0.0/33"}).find("10.0.0.0/33") != std::string::npos);
    auto r = CidrSet::compile({"1.2.3.4", "bogus/8"});
    REQUIRE(std::holds_alternative<CidrError>(r));
    CHECK(std::get<CidrError>(r).index == 1);
    CHECK(std::get<CidrError>(r).message.find("bogus") != std::string::npos);
    CHECK(!error_of({"::/129"}).empty());
    CHECK(!error_of({"10.0.0.0/"}).empty());
    CHECK(!error_of({"10.0.0.0/-1"}).empty());
    CHECK(!error_of({"10.0.0.0/8/9"}).empty());
    CHECK(!error_of({"10.0.0.0/ 8"}).empty());
    CHECK(error_of({"fe80::%eth0/10"}).find("zone") != std::string::npos);
    CHECK(error_of({"::ffff:10.0.0.0/104"}).find("mapped") != std::string::npos);
    CHECK(std::holds_alternative<CidrSet>(CidrSet::compile({})));
}
