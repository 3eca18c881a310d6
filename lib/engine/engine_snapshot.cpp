// Engine::snapshot and Engine::restore: the engine's state as CBOR.
#include "engine/engine_impl.hpp"

#include <nlohmann/json.hpp>

#include "input/ndjson_reader.hpp"
#include "sequence/snapshot.hpp"

namespace eqlc {

// ---------------------------------------------------------------------------------------------------------
// Snapshots: the engine's state as CBOR (nlohmann), the matchers' own snapshots embedded as binary.

namespace {

// 3: the magic, then a CBOR head (counters, clocks, results held back, the reorder window, per query its text and
// which matchers it has), then the bulky parts as they are, without re-encoding: each query's matcher snapshots and
// the kept events' texts (once; the matchers refer to them by index), as length-prefixed bytes
// (sequence/snapshot.hpp). 2 embedded all of it in CBOR, which copied every text three times.
constexpr std::string_view kSnapshotFormat = "eqlc-engine-3";
constexpr std::string_view kSnapshotMagic = "eqlc-engine-3\n";

nlohmann::json tie_to_json(const engine::TieValue& v) {
    return std::visit(
        [](const auto& x) -> nlohmann::json {
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>)
                return nullptr;
            else
                return x;
        },
        v);
}

engine::TieValue tie_from_json(const nlohmann::json& j) {
    if (j.is_null()) return std::monostate{};
    if (j.is_boolean()) return j.get<bool>();
    if (j.is_number_integer()) return j.get<int64_t>();
    if (j.is_number()) return j.get<double>();
    return j.get<std::string>();
}

nlohmann::json key_to_json(const engine::OrderKey& k) {
    return {{"ts", k.timestamp_ns}, {"tb", tie_to_json(k.tiebreaker)}, {"ord", k.ordinal}};
}

engine::OrderKey key_from_json(const nlohmann::json& j) {
    return engine::OrderKey{j.at("ts").get<int64_t>(), tie_from_json(j.at("tb")), j.at("ord").get<uint64_t>()};
}

nlohmann::json match_to_json(const Match& m) {
    nlohmann::json events = nlohmann::json::array();
    for (const auto& e : m.events)
        events.push_back({{"missing", e.missing}, {"source", e.source}, {"ts", e.timestamp_ns}, {"ord", e.ordinal}});
    return {{"query", m.query}, {"kind", static_cast<int>(m.kind)}, {"keys", m.join_keys}, {"events", events}};
}

Match match_from_json(const nlohmann::json& j) {
    Match m;
    m.query = j.at("query").get<size_t>();
    m.kind = static_cast<MatchKind>(j.at("kind").get<int>());
    m.join_keys = j.at("keys");
    for (const auto& e : j.at("events"))
        m.events.push_back(MatchedEvent{e.at("missing").get<bool>(), e.at("source").get<std::string>(),
                                        e.at("ts").get<int64_t>(), e.at("ord").get<uint64_t>()});
    return m;
}

// A snapshot problem as the public API reports it.
bool state_error(Diagnostic* error, std::string message) {
    if (error) {
        *error = Diagnostic{};
        error->phase = Phase::state;
        error->message = std::move(message);
    }
    return false;
}

}  // namespace

bool Engine::snapshot(std::string& bytes, Diagnostic* error) const {
    const Impl& s = *impl_;
    if (s.options.sort_input)
        return state_error(error, "an engine that sorts its whole input has no state to save before finish()");
    s.runner->sync_time();  // idle sequences at the time they would have without the rule index
    nlohmann::json j;
    j["format"] = kSnapshotFormat;
    j["next_ordinal"] = s.next_ordinal;
    j["last_key"] = s.last_key ? key_to_json(*s.last_key) : nlohmann::json();
    j["finished"] = s.finished;
    const EngineStats& st = s.stats;
    j["stats"] = {
        st.events,      st.bad_lines, st.events_without_timestamp, st.query_events_without_timestamp, st.out_of_order,
        st.late_events, st.bytes,     st.evaluation_errors,        st.truncated_key_products};
    j["matches"] = st.matches;
    j["ticks"] = s.ticks;
    j["checked_epoch"] = s.checked_epoch;
    j["warned"] = s.warned;
    sequence::SnapshotTextWriter texts;
    std::vector<std::string> matchers;  // in query order, a sequence's before a sample's
    nlohmann::json queries = nlohmann::json::array();
    for (const auto& q : s.queries) {
        nlohmann::json held = nlohmann::json::array();
        for (const auto& m : q.limiter.held()) held.push_back(match_to_json(m));
        queries.push_back({{"text", q.entry.source.text},
                           {"seen", q.limiter.seen()},
                           {"held", held},
                           {"sequence", q.sequence != nullptr},
                           {"sample", q.sample != nullptr}});
        if (q.sequence) matchers.push_back(q.sequence->snapshot(&texts));
        if (q.sample) matchers.push_back(q.sample->snapshot(&texts));
    }
    j["queries"] = std::move(queries);
    if (s.reorder) {
        nlohmann::json events = nlohmann::json::array();
        for (const auto& e : s.reorder->held())
            events.push_back({{"source", std::string(e->record().source)},
                              {"origin", std::string(e->record().origin)},
                              {"line", e->record().line},
                              {"key", key_to_json(e->key())}});
        j["reorder"] = {
            {"newest", s.reorder->newest()},
            {"released", s.reorder->last_released() ? key_to_json(*s.reorder->last_released()) : nlohmann::json()},
            {"events", std::move(events)}};
    }
    const std::vector<uint8_t> cbor = nlohmann::json::to_cbor(j);
    size_t size = kSnapshotMagic.size() + cbor.size() + 10 * (2 + matchers.size() + texts.texts().size());
    for (const auto& m : matchers) size += m.size();
    for (const sequence::SharedText* t : texts.texts()) size += t->size;
    sequence::ByteWriter out;
    out.buffer().reserve(size);
    out.raw(kSnapshotMagic);
    out.bytes(std::string_view(reinterpret_cast<const char*>(cbor.data()), cbor.size()));
    for (const auto& m : matchers) out.bytes(m);
    out.u64(texts.texts().size());
    for (const sequence::SharedText* t : texts.texts()) out.bytes(std::string_view(t->data(), t->size));
    bytes = out.take();
    return true;
}

bool Engine::restore(std::string_view bytes, Diagnostic* error) {
    Impl& s = *impl_;
    auto fail = [&](std::string why) { return state_error(error, std::move(why)); };
    if (s.options.sort_input) return fail("an engine that sorts its whole input cannot continue a snapshot");
    sequence::ByteReader in(bytes);
    if (!in.expect(kSnapshotMagic)) return fail("not an eqlc engine snapshot (or one of another version)");
    const std::string_view head = in.bytes();
    const nlohmann::json j = nlohmann::json::from_cbor(head.begin(), head.end(), true, false);
    if (!in.ok() || j.is_discarded() || !j.is_object() || j.value("format", "") != kSnapshotFormat)
        return fail("not an eqlc engine snapshot");
    try {
        const auto& queries = j.at("queries");
        if (queries.size() != s.queries.size()) return fail("the snapshot was taken with other queries");
        for (size_t q = 0; q < s.queries.size(); ++q)
            if (queries[q].at("text").get<std::string>() != s.queries[q].entry.source.text)
                return fail("the snapshot was taken with other queries (query " + std::to_string(q + 1) + " differs)");
        if (j.contains("reorder") != (s.reorder != nullptr))
            return fail("the snapshot was taken with a different reorder window setting");

        // Build everything first, then swap in: a bad snapshot leaves the engine as it was.
        // The matchers' bytes come before the texts they refer to: find them first, restore them after.
        std::vector<std::string_view> sequence_bytes(s.queries.size()), sample_bytes(s.queries.size());
        for (size_t q = 0; q < s.queries.size(); ++q) {
            if (queries[q].at("sequence").get<bool>() != (s.queries[q].sequence != nullptr) ||
                queries[q].at("sample").get<bool>() != (s.queries[q].sample != nullptr))
                return fail("the snapshot was taken with other queries (query " + std::to_string(q + 1) + " differs)");
            if (s.queries[q].sequence) sequence_bytes[q] = in.bytes();
            if (s.queries[q].sample) sample_bytes[q] = in.bytes();
        }
        sequence::SnapshotTextReader texts(s.texts);
        const uint64_t text_count = in.count();
        for (uint64_t i = 0; i < text_count && in.ok(); ++i) texts.add(in.bytes());
        if (!in.ok() || !in.at_end()) return fail("a damaged engine snapshot (cut short or changed)");
        const auto warned = j.at("warned").get<std::vector<uint8_t>>();
        if (warned.size() != s.queries.size()) return fail("the snapshot was taken with other queries");
        std::vector<std::unique_ptr<sequence::SequenceMatcher>> sequences(s.queries.size());
        std::vector<std::unique_ptr<sequence::SampleMatcher>> samples(s.queries.size());
        std::vector<std::deque<Match>> held(s.queries.size());
        for (size_t q = 0; q < s.queries.size(); ++q) {
            const auto& state = queries[q];
            std::string why;
            if (s.queries[q].sequence) {
                auto m =
                    sequence::SequenceMatcher::restore(sequence_bytes[q], s.sequence_sink(q), &why, s.limits, &texts);
                if (!m) return fail("query " + std::to_string(q + 1) + ": " + why);
                sequences[q] = std::make_unique<sequence::SequenceMatcher>(std::move(*m));
            }
            if (s.queries[q].sample) {
                auto m = sequence::SampleMatcher::restore(sample_bytes[q], s.sample_sink(q), &why, s.limits, &texts);
                if (!m) return fail("query " + std::to_string(q + 1) + ": " + why);
                samples[q] = std::make_unique<sequence::SampleMatcher>(std::move(*m));
            }
            for (const auto& m : state.at("held")) held[q].push_back(match_from_json(m));
        }
        std::unique_ptr<engine::ReorderBuffer> reorder;
        if (s.reorder) {
            const auto& r = j.at("reorder");
            reorder = std::make_unique<engine::ReorderBuffer>(*s.options.reorder_window_ns);
            std::string text;
            std::vector<const nlohmann::json*> entries;
            for (const auto& e : r.at("events")) {
                text += e.at("source").get<std::string>();
                text += '\n';
                entries.push_back(&e);
            }
            auto reader = input::NdjsonReader::from_string(std::move(text), "<snapshot>", s.plan);
            vm::EventRecord record;
            for (size_t i = 0; i < entries.size(); ++i) {
                if (!reader->next(record)) return fail("a held event of the reorder window does not read back");
                const engine::OrderKey key = key_from_json(entries[i]->at("key"));
                const std::string origin = entries[i]->at("origin").get<std::string>();
                record.ordinal = key.ordinal;
                record.origin = origin;
                record.line = entries[i]->at("line").get<uint64_t>();
                reorder->add(record, key);
            }
            reorder->restore(r.at("newest").get<int64_t>(), r.at("released").is_null()
                                                                ? std::nullopt
                                                                : std::optional(key_from_json(r.at("released"))));
        }

        for (size_t q = 0; q < s.queries.size(); ++q) {
            s.queries[q].sequence = std::move(sequences[q]);
            s.queries[q].sample = std::move(samples[q]);
            s.queries[q].limiter.restore(queries[q].at("seen").get<uint64_t>(), std::move(held[q]));
        }
        s.reorder = std::move(reorder);
        s.next_ordinal = j.at("next_ordinal").get<uint64_t>();
        s.last_key = j.at("last_key").is_null() ? std::nullopt : std::optional(key_from_json(j.at("last_key")));
        // A restored engine takes more input, even when the snapshot was taken after finish() (a worker that
        // finished its input and saved its state): the next finish() delivers again what its end completes.
        s.finished = false;
        s.ticks = j.at("ticks").get<uint64_t>();
        s.checked_epoch = j.at("checked_epoch").get<uint64_t>();
        s.warned = warned;
        const auto& st = j.at("stats");
        s.stats.events = st.at(0).get<uint64_t>();
        s.stats.bad_lines = st.at(1).get<uint64_t>();
        s.stats.events_without_timestamp = st.at(2).get<uint64_t>();
        s.stats.query_events_without_timestamp = st.at(3).get<uint64_t>();
        s.stats.out_of_order = st.at(4).get<uint64_t>();
        s.stats.late_events = st.at(5).get<uint64_t>();
        s.stats.bytes = st.at(6).get<uint64_t>();
        s.stats.evaluation_errors = st.at(7).get<uint64_t>();
        s.stats.truncated_key_products = st.at(8).get<uint64_t>();
        s.stats.matches = j.at("matches").get<std::vector<uint64_t>>();
        s.runner->resync();
    } catch (const nlohmann::json::exception& e) {
        return fail(std::string("malformed snapshot: ") + e.what());
    }
    return true;
}

}  // namespace eqlc
