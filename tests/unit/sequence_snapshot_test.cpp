// Snapshot/restore of the sequence and sample runtimes: splitting an event stream at ANY point, snapshotting,
// restoring into a fresh matcher and continuing gives exactly the matches of one uninterrupted run.
#include <catch2/catch.hpp>

#include <random>

#include "sequence_test_support.hpp"

using namespace seqtest;

namespace {

struct Heartbeats {
    std::vector<bool> before;  // advance_time(ts - 1) before event i
};

std::vector<Recorded> run_split(const Generated& g, const Limits& limits, const Heartbeats& hb, size_t split,
                                std::string* snapshot_out = nullptr) {
    std::vector<Recorded> out;
    std::optional<SequenceMatcher> m;
    m.emplace(g.spec, recorder(out), limits);
    for (size_t i = 0; i < g.events.size(); ++i) {
        if (i == split) {
            const std::string bytes = m->snapshot();
            if (snapshot_out) *snapshot_out = bytes;
            m.reset();  // the original is gone; only the bytes survive
            std::string error;
            m = SequenceMatcher::restore(bytes, recorder(out), &error);
            REQUIRE(m.has_value());
            CHECK(m->snapshot() == bytes);  // restoring is exact
        }
        if (hb.before[i]) m->advance_time(g.events[i].ts - 1);
        push(*m, g.events[i]);
    }
    if (split == g.events.size()) {
        const std::string bytes = m->snapshot();
        m.reset();
        m = SequenceMatcher::restore(bytes, recorder(out));
        REQUIRE(m.has_value());
    }
    m->finish();
    return out;
}

}  // namespace

TEST_CASE("sequence snapshot: a split at any point gives the matches of one run", "[snapshot]") {
    std::mt19937_64 rng(77);
    int with_limits = 0;
    for (int iter = 0; iter < 400; ++iter) {
        const Generated g = generate(rng);
        Limits limits;
        if (iter % 3 == 0) {  // limits that act: evictions must replay identically too
            limits.max_keys = 1 + rng() % 3;
            limits.max_state_bytes = 200 + rng() % 600;
            limits.max_missing_hits_per_key = 1 + static_cast<uint32_t>(rng() % 3);
            ++with_limits;
        }
        Heartbeats hb;
        for (size_t i = 0; i < g.events.size(); ++i) hb.before.push_back(rng() % 5 == 0);
        const auto whole = run_split(g, limits, hb, SIZE_MAX);
        for (size_t split = 0; split <= g.events.size(); ++split) {
            const auto got = run_split(g, limits, hb, split);
            if (got != whole) {
                INFO("iteration " << iter << " split " << split);
                INFO("whole " << render(whole));
                INFO("split " << render(got));
                REQUIRE(got == whole);
            }
        }
    }
    CHECK(with_limits > 100);
}

TEST_CASE("sequence snapshot carries state, kept sources and stats", "[snapshot]") {
    const auto k = key({"host-1", 42});
    SequenceSpec spec;
    spec.missing = {false, false, true};
    spec.maxspan_ns = 100 * kSec;
    std::vector<Recorded> out;
    SequenceMatcher m(spec, recorder(out));
    push(m, {1, 1 * kSec, {{0, k}}});
    push(m, {2, 2 * kSec, {{1, k}}});  // candidate waiting for its trailing check
    push(m, {3, 3 * kSec, {{0, k}}});  // a new partial
    const std::string bytes = m.snapshot();
    std::vector<Recorded> out2;
    std::string error;
    auto restored = SequenceMatcher::restore(bytes, recorder(out2), &error);
    REQUIRE(restored);
    CHECK(restored->stats().pending_matches == 1);
    CHECK(restored->stats().pending_partials == 1);
    CHECK(restored->stats().kept_events == 3);
    CHECK(restored->stats().state_bytes == m.stats().state_bytes);
    CHECK(restored->stats().events == 3);
    restored->finish();
    REQUIRE(out2.size() == 1);
    CHECK(out2[0].ids == std::vector<int64_t>{1, 2, -1});
    CHECK(out2[0].sources[0] == "{\"id\":1}");
}

TEST_CASE("corrupt snapshots are refused, not crashed on", "[snapshot]") {
    std::mt19937_64 rng(5);
    const Generated g = generate(rng);
    std::vector<Recorded> out;
    SequenceMatcher m(g.spec, recorder(out));
    for (size_t i = 0; i < g.events.size() / 2; ++i) push(m, g.events[i]);
    const std::string bytes = m.snapshot();
    std::string error;
    CHECK_FALSE(SequenceMatcher::restore("", nullptr, &error));
    CHECK_FALSE(error.empty());
    CHECK_FALSE(SequenceMatcher::restore(bytes.substr(0, bytes.size() - 1), nullptr));
    CHECK_FALSE(SequenceMatcher::restore(bytes + "x", nullptr));
    CHECK_FALSE(SampleMatcher::restore(bytes, nullptr));
    // Random corruption: any outcome but a crash (a flipped timestamp may still be a valid snapshot).
    for (int i = 0; i < 3000; ++i) {
        std::string bad = bytes;
        const int flips = 1 + static_cast<int>(rng() % 3);
        for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] = static_cast<char>(rng());
        auto r = SequenceMatcher::restore(bad, nullptr);
        if (r) {
            for (size_t j = g.events.size() / 2; j < g.events.size(); ++j) push(*r, g.events[j]);
            r->finish();
        }
    }
}

TEST_CASE("sample snapshot: a split at any point gives the samples of one run", "[snapshot]") {
    std::mt19937_64 rng(99);
    for (int iter = 0; iter < 300; ++iter) {
        SampleSpec spec;
        spec.filters = 1 + static_cast<uint32_t>(rng() % 3);
        spec.max_samples_per_key = 1 + static_cast<uint32_t>(rng() % 3);
        if (rng() % 2) spec.size = rng() % 5;
        Limits limits;
        if (iter % 3 == 0) {
            limits.max_keys = 1 + rng() % 4;
            limits.max_state_bytes = 300 + rng() % 1000;
        }
        const int nkeys = 1 + static_cast<int>(rng() % 4);
        std::vector<std::vector<std::pair<uint32_t, std::string>>> evs(5 + rng() % 30);
        for (auto& e : evs)
            for (int h = static_cast<int>(rng() % 3); h > 0; --h)
                e.emplace_back(static_cast<uint32_t>(rng() % spec.filters), key({static_cast<int>(rng() % nkeys)}));
        auto feed = [&](SampleMatcher& m, size_t i) {
            std::vector<SampleHit> hits;
            for (const auto& [f, k] : evs[i]) hits.push_back(SampleHit{f, k});
            m.on_event(EventInfo{i, 0, "{}"}, hits);
        };
        auto run_at = [&](size_t split) {
            std::vector<Recorded> out;
            std::optional<SampleMatcher> m;
            m.emplace(spec, sample_recorder(out), limits);
            for (size_t i = 0; i <= evs.size(); ++i) {
                if (i == split) {
                    const std::string bytes = m->snapshot();
                    m.reset();
                    std::string error;
                    m = SampleMatcher::restore(bytes, sample_recorder(out), &error);
                    INFO(error);
                    REQUIRE(m);
                    CHECK(m->snapshot() == bytes);
                }
                if (i < evs.size()) feed(*m, i);
            }
            m->finish();
            return out;
        };
        const auto whole = run_at(SIZE_MAX);
        for (size_t split = 0; split <= evs.size(); ++split) REQUIRE(run_at(split) == whole);
    }
}
