// The full JSON check (input/json_check.hpp) has a fast path that vouches for the texts it finds valid and leaves
// every other text to the exact check. Its verdicts must be the exact check's on every text: here both run on
// hand-written edge cases, on every single-byte deletion, replacement and insertion of realistic ECS events, on
// escapes and quotes at every offset around the fast path's 64-byte blocks, and on random mutations. A text the
// fast path vouches for while the exact check refuses it fails the test.

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "input/json_check.hpp"
#include "support/shared_data.hpp"

namespace {

using eqlc::input::JsonChecker;

// Runs both paths on texts and keeps the disagreements (a few, with the text and both verdicts).
struct Differential {
    JsonChecker checker;
    size_t texts = 0;
    size_t vouched = 0;
    size_t invalid = 0;
    std::vector<std::string> disagreements;

    void run(const std::string& text) {
        ++texts;
        const bool fast = checker.fast_path_vouches(text);
        const auto exact = checker.check_exact(text);
        const auto full = checker.check(text);
        vouched += fast ? 1 : 0;
        invalid += exact ? 1 : 0;
        const bool same = (!fast || !exact) && full.has_value() == exact.has_value() &&
                          (!full || (full->message == exact->message && full->offset == exact->offset));
        if (!same && disagreements.size() < 10) {
            disagreements.push_back("text: " + text.substr(0, 300) + "\n  fast path vouches: " + (fast ? "yes" : "no") +
                                    "; exact: " + (exact ? exact->message : "valid") +
                                    "; check(): " + (full ? full->message : "valid"));
        }
    }

    void require_agreement() const {
        for (const std::string& d : disagreements) UNSCOPED_INFO(d);
        CHECK(disagreements.empty());
    }
};

const std::string kWindowsProcess =
    R"({"@timestamp":"2026-11-01T00:00:00.001Z","agent":{"id":"284a94bf-9115-5697","type":"endpoint","version":"8.11.1"},)"
    R"("host":{"name":"WIN-660b04","ip":["10.7.184.133","fe80::4827:8151"],"os":{"Ext":{"variant":"Windows 10"},)"
    R"("family":"windows","type":"windows"}},"process":{"pid":58155,"args_count":3,"args":["C:\\Windows\\System32\\cmd.exe",)"
    R"("/c","echo \"hi\" \/ \b\f\n\r\t \u00e9\u00E9 \ud83d\ude00 \\\\server\\share"],"name":"cmd.exe",)"
    R"("executable":"C:\\Windows\\System32\\cmd.exe","parent":{"pid":-1,"name":"explorer.exe"},)"
    R"("code_signature":{"trusted":true,"exists":false,"status":null},"hash":{}},"tags":[],)"
    R"("numbers":[0,-0,1.5,-0.25e-3,1E+2,6.02e23,123456789],"user":{"name":"caf)"
    "\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80"
    R"(","domain":"CORP"},"event":{"category":["process"],"type":["start"],"sequence":1,"ingested":"2026"}})";

const std::string kLinuxAuth =
    "{ \"@timestamp\" : \"2026-11-01T00:00:03.429Z\" ,\r\n\t\"event\": {\"dataset\": \"system.auth\", \"outcome\": "
    "\"failure\"}, \"source\": {\"ip\": \"203.0.113.7\", \"port\": 51234, \"geo\": {\"location\": {\"lat\": 48.85, "
    "\"lon\": 2.35}}}, \"message\": \"Failed password for invalid user admin from 203.0.113.7 port 51234 ssh2\", "
    "\"process\": {\"args\": [[], [{}], [[1, 2], {\"a\": [true, false, null]}]]}, \"x\": \"\" }\n";

// Each test case runs once per instruction set of the fast path (AVX-512, AVX2, SSE2; those the machine lacks
// fall back to the next one down): the variable is read when a JsonChecker is made.
class SimdLevel {
public:
    explicit SimdLevel(const std::string& level) {
        if (level.empty()) {
            unsetenv("EQLC_JSON_CHECK_SIMD");
        } else {
            setenv("EQLC_JSON_CHECK_SIMD", level.c_str(), 1);
        }
    }
    ~SimdLevel() { unsetenv("EQLC_JSON_CHECK_SIMD"); }
    SimdLevel(const SimdLevel&) = delete;
    SimdLevel& operator=(const SimdLevel&) = delete;
};

// Every byte deleted, replaced by each of these, and each of these inserted before it.
const std::string kMutationBytes =
    std::string("\"\\{}[],: \t\n\r01-+.eEatnu/fx") + std::string(1, '\0') + "\x01\x1f\x7f\x80\xC3\xE6\xF0\xFF";

// The event, and every byte of it deleted, replaced by each of `bytes` and (with `insert`) each inserted before it.
void mutate_everywhere(Differential& d, const std::string& event, const std::string& bytes = kMutationBytes,
                       bool insert = true) {
    d.run(event);
    for (size_t i = 0; i < event.size(); ++i) {
        std::string deleted = event;
        deleted.erase(i, 1);
        d.run(deleted);
        for (const char b : bytes) {
            std::string replaced = event;
            replaced[i] = b;
            d.run(replaced);
            if (!insert) continue;
            std::string inserted = event;
            inserted.insert(i, 1, b);
            d.run(inserted);
        }
    }
}

}  // namespace

TEST_CASE("json check: hand-written edge cases, fast path against the exact check", "[json-check]") {
    const std::string simd = GENERATE(as<std::string>{}, "", "avx2", "sse2");
    INFO("fast path SIMD cap: " << (simd.empty() ? "none" : simd));
    const SimdLevel level(simd);
    Differential d;
    const std::vector<std::string> texts = {
        // objects and whitespace
        "{}", " {}", "{} ", "\t\r\n{\t\r\n}\t\r\n", "{ }", "{", "}", "", " ", "[]", "[{}]", "\"a\"", "1", "null",
        "{}{}", "{} {}", "{},", "{}x", "{}\v", "{}\f", std::string("{}\0", 3), std::string("\0{}", 3), "\v{}",
        "\xEF\xBB\xBF{}", "{}\xEF\xBB\xBF", "{\"a\":1}\n\n", "{\"a\":1}\r\n",
        // members, commas, colons
        "{\"a\":1}", "{\"a\" : 1 , \"b\" : 2}", "{\"a\":1,}", "{,\"a\":1}", "{\"a\":1,,\"b\":2}", "{\"a\"1}",
        "{\"a\"::1}", "{\"a\":}", "{\"a\"}", "{a:1}", "{'a':1}", "{\"a\":1 \"b\":2}", "{\"a\":[1,]}", "{\"a\":[,1]}",
        "{\"a\":[1,,2]}", "{\"a\":[1 2]}", "{\"a\":[]}", "{\"a\":[ ]}", "{\"a\":{}}", "{\"a\":[}", "{\"a\":{]}",
        "{\"a\":[1}]", "{\"a\":{\"b\":1]}", "{\"a\":1]", "{\"a\":[1]]}", "{\"a\":1}}", "{\"a\":[1]", "{\"a\":{}",
        "{\"a\":1:2}", "{\"a\":\"b\":1}", "{\"a\":[\"x\":1]}", "{\"\":0}", "{\"\":0,\"\":1}",
        // literals
        "{\"a\":true}", "{\"a\":false}", "{\"a\":null}", "{\"a\":tru}", "{\"a\":truex}", "{\"a\":True}", "{\"a\":nul}",
        "{\"a\":nulll}", "{\"a\":fals}", "{\"a\":true1}", "{\"a\":[true,false,null]}", "{\"a\":true\"b\"}",
        "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":-Infinity}", "{\"a\":undefined}",
        // numbers
        "{\"a\":0}", "{\"a\":-0}", "{\"a\":-0.0}", "{\"a\":1E+2}", "{\"a\":1e-2}", "{\"a\":1E2}", "{\"a\":1e999}",
        "{\"a\":-1e999}", "{\"a\":1e-999}", "{\"a\":123456789012345678901234567890}",
        "{\"a\":-123456789012345678901234567890.5e-400}", "{\"a\":18446744073709551616}", "{\"a\":9223372036854775808}",
        "{\"a\":-9223372036854775809}", "{\"a\":01}", "{\"a\":-01}", "{\"a\":00}", "{\"a\":1.}", "{\"a\":.5}",
        "{\"a\":-.5}", "{\"a\":1.e3}", "{\"a\":1e}", "{\"a\":1e+}", "{\"a\":1e-}", "{\"a\":+1}", "{\"a\":-}",
        "{\"a\":--1}", "{\"a\":1.5.2}", "{\"a\":1e5e5}", "{\"a\":0x10}", "{\"a\":1_000}", "{\"a\":1 }",
        "{\"a\":[1 ,2]}", "{\"a\":1x}", "{\"a\":1\"b\"}", "{\"a\":-a}", "{\"a\":0.0e0}",
        "{\"a\":2.2250738585072011e-308}", "{\"a\":1.7976931348623157e308}", "{\"a\":1.7976931348623159e308}",
        // strings and escapes
        R"({"a":"\""})", R"({"a":"\\"})", R"({"a":"\/"})", R"({"a":"\b\f\n\r\t"})", R"({"a":"\u0000"})",
        R"({"a":"\uFFFF\uffff\u00e9"})", R"({"a":"\ud83d\ude00"})", R"({"a":"\ud83d"})", R"({"a":"\ude00"})",
        R"({"a":"\ude00\ud83d"})", R"({"a":"\ud83d\u0041"})", R"({"a":"\ud83dx"})", R"({"a":"\q"})", R"({"a":"\a"})",
        R"({"a":"\x41"})", R"({"a":"\'"})", R"({"a":"\u12"})", R"({"a":"\u12G4"})", R"({"a":"\u"})",
        R"({"a":"\U0041"})", R"({"a":"\)", R"({"a":"\"})", R"({"a":"\\\"})", R"({"a":"\\\\"})", R"({"a":"a\\"b"})",
        R"({"a":"})", R"({"a":"x)", R"({"a":x"})", "{\"a\":\"x\ty\"}", "{\"a\":\"x\ny\"}",
        std::string("{\"a\":\"x\0y\"}", 11), "{\"a\":\"x\x1fy\"}", "{\"a\":\"x\x7fy\"}", "{\"a\":\"x\x01\"}",
        "{\"a\":'x'}", "{\"a\\u0000\":1}", "{\"a\":\"\\u0000\"}",
        // UTF-8
        "{\"a\":\"\xC3\xA9\"}", "{\"a\":\"\xC3\x28\"}", "{\"a\":\"\xC3\"}", "{\"a\":\"\xE6\x97\xA5\"}",
        "{\"a\":\"\xE6\x97\"}", "{\"a\":\"\xF0\x9F\x98\x80\"}", "{\"a\":\"\xF0\x9F\x98\"}", "{\"a\":\"\xED\xA0\x80\"}",
        "{\"a\":\"\xC0\xAF\"}", "{\"a\":\"\xF4\x90\x80\x80\"}", "{\"a\":\"\xFF\"}", "{\"a\":\"\x80\"}",
        "{\"\xC3\xA9\":1}", "{\"a\":1}\xC3\xA9", "{\"a\":1,\xC3\xA9:2}",
        // duplicate keys, after unescaping
        "{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":2,\"a\":3}", R"({"a":1,"\u0061":2})", R"({"\u0061":1,"a":2})",
        R"({"\u0061":1,"\u0061":2})", R"({"/":1,"\/":2})", R"({"\n":1,"\u000a":2})", R"({"\"":1,"\u0022":2})",
        R"({"\ud83d\ude00":1,"😀":2})", R"({"\ud83d":1,"\ud83d":2})", R"({"\ud83d":1,"\ude00":2})",
        R"({"a":{"a":1},"b":{"a":1}})", R"({"a":[{"a":1},{"a":1}]})", R"({"a":{"b":1,"b":2}})", R"({"a":1,"A":2})",
        R"({"ab":1,"ba":2})", R"({"abcdefghijklmnopq":1,"abcdefghijklmnopr":2})",
        R"({"abcdefghijklmnopqrstuvwxyz":1,"abcdefghijklmnopqrstuvwxyz":2})",
        R"({"abcdefghiXklmnopqrstuvwxyz":1,"abcdefghiYklmnopqrstuvwxyz":2})", R"({"a b":1,"a  b":2})"};
    for (const std::string& text : texts) d.run(text);
    d.require_agreement();
    CHECK(d.vouched > 20);
    CHECK(d.invalid > 100);
}

TEST_CASE("json check: objects with many keys, duplicates anywhere", "[json-check]") {
    const std::string simd = GENERATE(as<std::string>{}, "", "avx2", "sse2");
    INFO("fast path SIMD cap: " << (simd.empty() ? "none" : simd));
    const SimdLevel level(simd);
    Differential d;
    for (const int keys : {15, 16, 17, 31, 32, 33, 34, 40, 100, 1000}) {
        std::string text = "{";
        for (int k = 0; k < keys; ++k)
            text += (k != 0 ? ",\"k" : "\"k") + std::to_string(k) + "\":" + std::to_string(k);
        d.run(text + "}");
        for (const int dup : {0, 1, keys / 2, keys - 1}) {
            d.run(text + ",\"k" + std::to_string(dup) + "\":0}");
            d.run(text + ",\"\\u006b" + std::to_string(dup) + "\":0}");
            d.run("{\"x\":" + text + ",\"k" + std::to_string(dup) + "\":0},\"k0\":1}");
        }
    }
    d.require_agreement();
    CHECK(d.vouched >= 10);
}

TEST_CASE("json check: nesting at and beyond the depth limit", "[json-check]") {
    const std::string simd = GENERATE(as<std::string>{}, "", "avx2", "sse2");
    INFO("fast path SIMD cap: " << (simd.empty() ? "none" : simd));
    const SimdLevel level(simd);
    Differential d;
    for (const int depth : {1, 2, 63, 64, 65, 998, 999, 1000, 1001, 1002, 1023, 1024, 1025, 5000}) {
        for (const char* open : {"[", "{\"a\":"}) {
            std::string text = "{\"d\":";
            std::string close = "}";
            for (int k = 1; k < depth; ++k) {
                text += open;
                close = (open[0] == '[' ? "]" : "}") + close;
            }
            d.run(text + "1" + close);
            d.run(text + "1" + close.substr(1));  // one closing bracket short
        }
    }
    d.require_agreement();
    CHECK(d.vouched >= 10);
}

TEST_CASE("json check: escapes and quotes at every offset around 64-byte blocks", "[json-check]") {
    const std::string simd = GENERATE(as<std::string>{}, "", "avx2", "sse2");
    INFO("fast path SIMD cap: " << (simd.empty() ? "none" : simd));
    const SimdLevel level(simd);
    Differential d;
    for (size_t pad = 0; pad < 140; ++pad) {
        const std::string prefix = "{\"p\":\"" + std::string(pad, 'x');
        for (const std::string tail : {"\\\"", "\\\\", "\\\\\\\"", "\\\\\\\\", "\\u00e9", "\\u00", "\\", "\"", "\\\\\"",
                                       "\x01", "\xC3\xA9", "\xC3", "\\n\\t\\/"}) {
            d.run(prefix + tail + "\"}");
            d.run(prefix + tail + "\",\"q\":[1,\"" + tail + "\"]}");
            d.run(prefix + "\"," + std::string(pad % 7, ' ') + "\"k" + tail + "\":1}");
        }
        d.run("{\"n\":" + std::string(pad, '1') + "}");
        d.run("{\"n\":[" + std::string(pad, ' ') + "true" + std::string(pad % 5, ' ') + "]}");
        d.run("{" + std::string(pad, ' ') + "}" + std::string(pad, ' '));
        d.run("{" + std::string(pad, ' ') + "}" + std::string(pad, ' ') + "x");
    }
    d.require_agreement();
    CHECK(d.vouched > 1000);
}

TEST_CASE("json check: every single-byte deletion, replacement and insertion of realistic events", "[json-check]") {
    const std::string simd = GENERATE(as<std::string>{}, "", "avx2", "sse2");
    INFO("fast path SIMD cap: " << (simd.empty() ? "none" : simd));
    const SimdLevel level(simd);
    Differential d;
    JsonChecker checker;
    REQUIRE(checker.fast_path_vouches(kWindowsProcess));
    REQUIRE(checker.fast_path_vouches(kLinuxAuth));
    mutate_everywhere(d, kWindowsProcess);
    mutate_everywhere(d, kLinuxAuth);
    d.require_agreement();
    INFO("texts " << d.texts << ", vouched " << d.vouched << ", invalid " << d.invalid);
    CHECK(d.vouched > d.texts / 10);
    CHECK(d.invalid > d.texts / 3);
}

TEST_CASE("json check: random multi-byte mutations and long texts", "[json-check]") {
    const std::string simd = GENERATE(as<std::string>{}, "", "avx2", "sse2");
    INFO("fast path SIMD cap: " << (simd.empty() ? "none" : simd));
    const SimdLevel level(simd);
    Differential d;
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    auto next = [&] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (int round = 0; round < 20000; ++round) {
        std::string text = round % 2 == 0 ? kWindowsProcess : kLinuxAuth;
        const int edits = 2 + static_cast<int>(next() % 3);
        for (int e = 0; e < edits; ++e) {
            const size_t at = next() % text.size();
            const char b = kMutationBytes[next() % kMutationBytes.size()];
            switch (next() % 3) {
                case 0: text[at] = b; break;
                case 1: text.insert(at, 1, b); break;
                default: text.erase(at, 1); break;
            }
        }
        d.run(text);
    }
    // Beyond the fast path's length limit (256 KiB), and under it.
    std::string big = "{\"a\":[";
    while (big.size() < (size_t{300} << 10)) big += "\"" + std::string(100, 'y') + "\",";
    big += "1]}";
    d.run(big);
    d.run(big.substr(0, big.size() - 1));
    std::string under = "{\"a\":[";
    while (under.size() < (size_t{200} << 10)) under += "\"" + std::string(100, 'y') + "\",";
    under += "1]}";
    REQUIRE(d.checker.fast_path_vouches(under));
    d.run(under);
    d.require_agreement();
    CHECK(d.vouched > 100);
}

TEST_CASE("json check: the shared ECS samples and conformance events, and single-byte mutations of the samples",
          "[json-check]") {
    EQLC_REQUIRE_SHARED(samples, "corpus/ecs-samples");
    EQLC_REQUIRE_SHARED(data, "conformance/elastic/data");
    const std::string simd = GENERATE(as<std::string>{}, "", "avx2", "sse2");
    INFO("fast path SIMD cap: " << (simd.empty() ? "none" : simd));
    const SimdLevel level(simd);
    Differential d;
    std::vector<std::string> events;
    for (const auto& dir : {*samples, *data}) {
        for (const auto& file : eqlc::test::files_in(dir, ".ndjson")) {
            std::istringstream lines(eqlc::test::read_text(file));
            for (std::string line; std::getline(lines, line);) {
                if (!line.empty()) events.push_back(line);
            }
        }
    }
    REQUIRE(events.size() > 100);
    for (const std::string& event : events) {
        INFO(event.substr(0, 200));
        CHECK(d.checker.fast_path_vouches(event));
        d.run(event);
    }
    // The Elastic Defend samples (the first files read), mutated at every byte with the fastest variant only.
    if (simd.empty()) {
        const std::string bytes = std::string("\"\\,}1 ") + '\x01';
        for (size_t e = 0; e < 8; ++e) mutate_everywhere(d, events[e], bytes, false);
    }
    d.require_agreement();
}

namespace {

// Random JSON-like texts: mostly valid, with keys from a small pool (so duplicates, plain and escaped, occur),
// every kind of value and whitespace anywhere.
class RandomJson {
public:
    explicit RandomJson(uint64_t seed) : state_(seed) {}

    std::string document() {
        std::string out;
        object(out, 0);
        return out;
    }

private:
    uint64_t next() {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        return state_;
    }
    size_t below(size_t n) { return static_cast<size_t>(next() % n); }

    void space(std::string& out) {
        static const char* const kSpaces[] = {"", "", "", "", " ", "\t", "\r\n", "  \n "};
        out += kSpaces[below(8)];
    }

    void string(std::string& out) {
        static const char* const kPieces[] = {"a",
                                              "path",
                                              "C:\\\\Windows",
                                              "\\\"",
                                              "\\\\",
                                              "\\/",
                                              "\\b\\f\\n\\r\\t",
                                              "\\u0041",
                                              "\\ud83d\\ude00",
                                              "\\udc00",
                                              "\xC3\xA9",
                                              "\xF0\x9F\x98\x80",
                                              " ",
                                              "0123456789abcdef0123456789abcdef0123456789abcdef"};
        out += '"';
        for (size_t n = below(5); n > 0; --n) out += kPieces[below(14)];
        out += '"';
    }

    void key(std::string& out) {
        static const char* const kKeys[] = {"\"a\"",
                                            "\"b\"",
                                            "\"\\u0061\"",
                                            "\"process\"",
                                            "\"name\"",
                                            "\"event.category\"",
                                            "\"\"",
                                            "\"a_rather_long_key_of_forty_bytes_____\"",
                                            "\"a_rather_long_key_of_forty_bytes____x\""};
        if (below(4) == 0) {
            out += kKeys[below(9)];
        } else {
            out += "\"k" + std::to_string(below(1000)) + "\"";
        }
    }

    void value(std::string& out, int depth) {
        static const char* const kScalars[] = {
            "0",     "-0",   "1",   "-12.5e-3",        "1E+2", "1e999", "123456789012345678901234567890", "true",
            "false", "null", "0.5", "9007199254740993"};
        const size_t kind = depth > 6 ? below(3) : below(5);
        if (kind == 0) {
            string(out);
        } else if (kind <= 2) {
            out += kScalars[below(12)];
        } else if (kind == 3) {
            object(out, depth + 1);
        } else {
            out += '[';
            const size_t n = below(5);
            for (size_t i = 0; i < n; ++i) {
                if (i != 0) out += ',';
                space(out);
                value(out, depth + 1);
                space(out);
            }
            out += ']';
        }
    }

    void object(std::string& out, int depth) {
        out += '{';
        const size_t n = below(8) == 0 ? 30 + below(10) : below(6);
        for (size_t i = 0; i < n; ++i) {
            if (i != 0) out += ',';
            space(out);
            key(out);
            space(out);
            out += ':';
            space(out);
            value(out, depth);
            space(out);
        }
        out += '}';
    }

    uint64_t state_;
};

}  // namespace

TEST_CASE("json check: random documents, whole and with a byte changed", "[json-check]") {
    const std::string simd = GENERATE(as<std::string>{}, "", "avx2", "sse2");
    INFO("fast path SIMD cap: " << (simd.empty() ? "none" : simd));
    const SimdLevel level(simd);
    Differential d;
    RandomJson random(0x2545F4914F6CDD1DULL);
    for (int round = 0; round < 3000; ++round) {
        std::string text = random.document();
        d.run(text);
        const size_t at = static_cast<size_t>(round * 7919) % text.size();
        text[at] = kMutationBytes[static_cast<size_t>(round) % kMutationBytes.size()];
        d.run(text);
    }
    d.require_agreement();
    INFO("texts " << d.texts << ", vouched " << d.vouched << ", invalid " << d.invalid);
    CHECK(d.vouched > 500);
    CHECK(d.invalid > 1000);
}
