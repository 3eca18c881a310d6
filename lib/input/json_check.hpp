// A full, strict check of one event's JSON text, for the events that are about to be copied into an alert.
//
// The NDJSON reader parses only what the queries read (see ndjson_reader.hpp): a malformed value in a member
// nobody reads ({"unused": tru}, 01, NaN, "\q", [1,2,]) is skipped unseen. Alerts copy the event's text as its
// `_source`, so such a line would make eqlc's output invalid JSON. The engine therefore checks, once per event,
// the few events that some query term matches (engine/query_runner.hpp) with check_json_object() before they
// reach a result; most events match no term and are never checked.
//
// What is checked (RFC 8259, what Jackson accepts by default and Elasticsearch 8.x indexes):
//   * the text is one JSON object and nothing but whitespace (space, tab, CR, LF) follows it;
//   * valid UTF-8; no unescaped control character (below U+0020) in a string; escapes are \" \\ \/ \b \f \n \r
//     \t and \uXXXX (any code unit, lone surrogates included, as Jackson);
//   * numbers in JSON's grammar (no leading zero, no '+', no NaN/Infinity, digits after '.' and 'e'); any
//     magnitude is accepted (1e999 is JSON; Jackson reads it as Infinity);
//   * literals true, false, null; no trailing comma; no missing comma or colon;
//   * nesting at most kMaxJsonDepth levels of objects and arrays (projection.hpp);
//   * no key twice in one object, compared after unescaping ("a" and "\u0061" are the same key): Elasticsearch
//     refuses such a document ("Duplicate field").
//
// How: a fast path after simdjson's design (json_check.cpp) classifies the text 64 bytes at a time with SIMD
// (AVX-512, AVX2 or SSE2, chosen at run time), writes down where each token starts, then walks the tokens with the
// grammar, checking numbers, literals, depth and keys (by 64-bit signatures). It only vouches for valid texts; any
// text it refuses or is unsure of (a key with an escape, two keys with one signature, a text over 256 KiB) goes to
// the exact check: one scalar pass with a stack of open containers that finds the first problem and its offset.
// So the verdict, message and offset are always the exact check's; tests/unit/json_check_test.cpp compares both
// paths on many texts. On 20,000 generated ECS events (1.8 KB each; bench/json_check_bench.cpp, AVX-512, a shared
// 2-core VM) check() ran at 2.4-2.65 GiB/s where the exact check alone ran at 1.2-1.25 GiB/s (2.1x; with AVX2 1.6x,
// SSE2 1.3x) and a bare simdjson DOM parse at 2.1-2.6 GiB/s.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace eqlc::input {

struct JsonProblem {
    std::string message;  // e.g. "invalid JSON: malformed number", "duplicate key \"a\""
    size_t offset = 0;    // 0-based byte offset in the text where the problem was seen
};

// Checks texts one after the other, keeping its buffers (no allocation per text once they have grown).
class JsonChecker {
public:
    JsonChecker();
    ~JsonChecker();
    JsonChecker(JsonChecker&&) noexcept;
    JsonChecker& operator=(JsonChecker&&) noexcept;

    // nullopt when `text` is a valid JSON object (see above).
    std::optional<JsonProblem> check(std::string_view text);

    // The same verdict, problem and offset by the exact check alone (what check() asks when its fast path does not
    // vouch for the text): the reference for tests and benchmarks.
    std::optional<JsonProblem> check_exact(std::string_view text);

    // Whether the fast path alone vouches for `text` (true only for valid texts; false also for valid ones it
    // leaves to the exact check). For tests.
    bool fast_path_vouches(std::string_view text);

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

// The same with a checker of its own.
std::optional<JsonProblem> check_json_object(std::string_view text);

}  // namespace eqlc::input
