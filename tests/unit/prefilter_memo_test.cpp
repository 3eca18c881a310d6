// The prefilter's memo for built events (engine/prefilter_memo.hpp): an answer is given back only for the very text
// it was remembered for (texts that share a table entry or a hash are told apart), long texts are not kept, and a
// stream of texts that do not repeat makes it rest, then try again.
#include <catch2/catch.hpp>

#include <string>

#include "engine/prefilter_memo.hpp"
#include "text/short_text.hpp"

namespace {

using eqlc::engine::PrefilterMemo;

TEST_CASE("the prefilter memo answers only for the text it was given", "[builder]") {
    PrefilterMemo memo;
    REQUIRE(memo.active());
    const std::string a = "process\"start\"windows\"cmd.exe\"";
    const std::string b = "process\"start\"windows\"cmd.exf\"";
    CHECK(memo.find(a, eqlc::text::word_hash(a)) == nullptr);
    memo.remember(a, eqlc::text::word_hash(a), true);
    const bool* known = memo.find(a, eqlc::text::word_hash(a));
    REQUIRE(known != nullptr);
    CHECK(*known);
    CHECK(memo.find(b, eqlc::text::word_hash(b)) == nullptr);
    // The same hash for another text (as a collision would give): the text is compared.
    CHECK(memo.find(b, eqlc::text::word_hash(a)) == nullptr);
    // Another text in the same entry replaces it.
    const uint64_t same_entry = eqlc::text::word_hash(a) + PrefilterMemo::kEntries;
    memo.remember(b, same_entry, false);
    CHECK(memo.find(a, eqlc::text::word_hash(a)) == nullptr);
    known = memo.find(b, same_entry);
    REQUIRE(known != nullptr);
    CHECK_FALSE(*known);
    // Texts longer than kMaxText are not kept.
    const std::string long_text(PrefilterMemo::kMaxText + 1, 'x');
    memo.remember(long_text, eqlc::text::word_hash(long_text), true);
    CHECK(memo.find(long_text, eqlc::text::word_hash(long_text)) == nullptr);
}

TEST_CASE("the prefilter memo rests after a window of texts that do not repeat, then tries again", "[builder]") {
    PrefilterMemo memo;
    uint64_t n = 0;
    auto miss = [&] {
        const std::string text = "unique " + std::to_string(n++);
        const uint64_t hash = eqlc::text::word_hash(text);
        CHECK(memo.find(text, hash) == nullptr);
        memo.remember(text, hash, false);
    };
    for (uint32_t i = 0; i < PrefilterMemo::kWindow; ++i) {
        REQUIRE(memo.active());
        miss();
    }
    for (uint32_t i = 0; i < PrefilterMemo::kRest; ++i) REQUIRE_FALSE(memo.active());
    CHECK(memo.active());

    // A window where a quarter of the lookups hit keeps it going.
    const std::string seen = "seen";
    for (uint32_t i = 0; i < PrefilterMemo::kWindow; ++i) {
        REQUIRE(memo.active());
        if (i % 4 == 0) {
            memo.remember(seen, eqlc::text::word_hash(seen), true);  // again: a miss may have taken its entry
            CHECK(memo.find(seen, eqlc::text::word_hash(seen)) != nullptr);
        } else {
            miss();
        }
    }
    CHECK(memo.active());
    CHECK(memo.active());
}

}  // namespace
