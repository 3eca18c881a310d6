// The rule index (compiler/index_keys.hpp, engine/rule_index.hpp): which tests give a term its keys, the property
// that makes the index safe (a term it rules out never holds), and that an engine with the index gives exactly the
// results, the order, the statistics and the snapshots of one without it, idle sequences included. Checked on
// hand-written queries and on every query of the detection-rules corpus (when ../shared is there), over events
// built from the very values the rules test, spelled in other cases, inside wildcards, in arrays, or replaced by
// numbers, nulls and other strings.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "api/internals.hpp"
#include "compiler/compiled_query.hpp"
#include "engine/compiled_queries.hpp"
#include "engine/rule_index.hpp"
#include "eqlc/engine.hpp"
#include "input/json_projection.hpp"
#include "semantics/schema.hpp"
#include "support/files.hpp"
#include "support/shared_data.hpp"
#include "vm/interpreter.hpp"

namespace {

using Strings = std::vector<std::string>;
using nlohmann::json;

// Each term's index keys, as compiler::to_string gives them.
std::vector<Strings> keys(const std::string& query, const std::string& mapping_json = "") {
    eqlc::vm::FieldCatalog catalog;
    eqlc::compiler::CompileOptions options;
    std::optional<eqlc::semantics::Schema> schema;
    if (!mapping_json.empty()) {
        std::string error;
        schema = eqlc::semantics::Schema::parse_mapping(mapping_json, &error);
        REQUIRE(schema);
        options.schema = &*schema;
    }
    auto result = eqlc::compiler::compile_query(query, options, catalog);
    REQUIRE(result.ok());
    std::vector<Strings> out;
    for (const auto& t : result.query->terms) {
        Strings s;
        for (const auto& k : t.index_keys) s.push_back(eqlc::compiler::to_string(k));
        out.push_back(s);
    }
    return out;
}

// Hand-written queries covering every kind of key, terms without one, every kind of query, sequences that wait
// for a missing event or expire, and queries that read their time from another field.
std::vector<eqlc::QuerySource> hand_queries() {
    std::vector<eqlc::QuerySource> q = {
        {R"(process where process.name == "cmd.exe")", "eq"},
        {R"(process where process.name : ("CMD.exe", "powershell.EXE") and host.os.type == "windows")", "in~"},
        {R"(file where file.path : ("*\\startup\\*", "C:\\Users\\*.lnk", "?:\\temp\\*"))", "patterns"},
        {R"(any where startsWith(process.command_line, "cmd /c") or process.name like~ "WSCRIPT*")", "or"},
        {R"(network where destination.port == 445)", "no key but the category"},
        {R"(any where length(process.name) > 30)", "always run"},
        {R"(any where process.name != "svchost.exe")", "negated: always run"},
        {R"(sequence by host.id with maxspan=20s [process where process.name == "cmd.exe"]
              [file where file.path : "*\\startup\\*"])",
         "sequence"},
        {R"(sequence by host.id with maxspan=15s [process where process.name : "powershell.exe"]
              ![network where destination.ip == "10.0.0.1"])",
         "missing event"},
        {R"(sequence by host.id with maxspan=30s [process where event.type == "start"] by process.entity_id
              [network where true] by process.entity_id until [process where event.type == "end"] by process.entity_id)",
         "until"},
        {R"(sequence with maxspan=10s [registry where registry.path : "*run*"] [any where process.name == "reg.exe"])",
         "no join key"},
        {R"(sample by host.id [process where process.name == "cmd.exe"] [network where true])", "sample"},
        {R"(process where process.name : "*.exe" | head 40)", "head"},
        {R"(any where process.command_line regex~ ".*-ENC(odedcommand)? [a-z0-9+/=]{8,}.*" and host.os.type == "windows")",
         "regex"},
        {R"(file where file.path regex """[A-Z]:\\:.+""")", "case-sensitive regex"},
        {R"(network where destination.port in (445, 3389) and process.pid == 4)", "numbers"},
        {R"(sequence by host.id with maxspan=20s [network where destination.port == 88] [process where process.pid == 4])",
         "numbers in a sequence"},
    };
    eqlc::QuerySource own(R"(sequence by host.id with maxspan=10s [process where process.name == "cmd.exe"]
                                [process where process.name == "reg.exe"])",
                          "own time");
    own.timestamp_field = "event.ingested";
    q.push_back(own);
    own.name = "own time, no fallback";
    own.timestamp_fallback = false;
    q.push_back(own);
    return q;
}

std::vector<eqlc::QuerySource> all_queries() {
    auto q = hand_queries();
    if (auto corpus = eqlc::test::shared_path("corpus/detection-rules/queries"))
        for (const auto& file : eqlc::test::files_in(*corpus, ".eql")) {
            q.emplace_back(eqlc::test::read_text(file), file.filename().string());
            q.back().timestamp_field = "event.ingested";  // what the rules' timestamp_override says
        }
    return q;
}

// Every alternative a key may be filed under: its own, and those of every key of its `or` branches (the index
// picks one per branch with library-wide figures).
std::vector<const eqlc::compiler::IndexAlternative*> all_alternatives(const eqlc::compiler::IndexKey& key) {
    std::vector<const eqlc::compiler::IndexAlternative*> out;
    for (const auto& alt : key.alternatives) out.push_back(&alt);
    for (const auto& branch : key.branches)
        for (const auto& option : branch)
            for (const auto* alt : all_alternatives(option)) out.push_back(alt);
    return out;
}

// A deterministic stream of events made of the values the index keys name (and join key values from small
// pools, so that sequences advance, complete, wait for missing events and expire).
class EventMaker {
public:
    template <class Set>  // CompiledQueries::Impl
    explicit EventMaker(const Set& set) {
        using K = eqlc::compiler::IndexAlternative::Kind;
        for (const auto& q : set.queries) {
            if (!q.compiled) continue;
            auto harvest = [&](const eqlc::compiler::CompiledTerm& t) {
                terms_.push_back(t.index_keys);
                for (const auto& k : t.index_keys)
                    for (const auto* alt : all_alternatives(k))
                        for (const auto& v : alt->values) {
                            const bool pattern = alt->kind == K::pattern || alt->kind == K::folded_pattern;
                            values_[alt->field].push_back(pattern ? instance(v) : v);
                            all_.push_back(values_[alt->field].back());
                        }
                for (const auto& key : t.keys)
                    if (key.slot) join_fields_.insert(set.catalog.path(*key.slot));
            };
            for (const auto& t : q.compiled->terms) harvest(t);
            if (q.compiled->until) harvest(*q.compiled->until);
        }
        for (const auto& [field, v] : values_) fields_.push_back(field);
        join_fields_.insert("host.id");
        join_fields_.insert("process.entity_id");
    }

    // An event that satisfies every key of two terms (in some spelling the key's test accepts, or not quite),
    // with other fields from the keys' values.
    std::string next() {
        using K = eqlc::compiler::IndexAlternative::Kind;
        json e;
        clock_ += below(2500);
        e["@timestamp"] = clock_;
        if (below(10)) e["event"]["ingested"] = clock_ + below(3000);
        static const Strings categories = {"process", "network", "file", "registry", "authentication", "library"};
        for (const auto& f : join_fields_) set(e, f, "k" + std::to_string(below(3)));
        set(e, "event.category", categories[below(categories.size())]);
        for (int i = 0; i < 6 && !fields_.empty(); ++i) {
            const std::string& f = fields_[below(fields_.size())];
            set(e, f, value(f));
        }
        for (int i = 0; i < 2 && !terms_.empty(); ++i)
            for (const auto& key : terms_[below(terms_.size())]) {
                const auto alternatives = all_alternatives(key);
                if (alternatives.empty()) continue;
                const auto& alt = *alternatives[below(alternatives.size())];
                std::string v = alt.values[below(alt.values.size())];
                if (alt.kind == K::number) {
                    // The number as an integer, a floating point number equal to it or not, or a string.
                    const int64_t n = std::stoll(v);
                    const uint64_t spelling = below(4);
                    const json j = spelling == 0   ? json(n)
                                   : spelling == 1 ? json(static_cast<double>(n))
                                   : spelling == 2 ? json(static_cast<double>(n) + 0.5)
                                                   : json(std::to_string(n));
                    set(e, alt.field, below(4) == 0 ? json::array({one(alt.field), j}) : j);
                    continue;
                }
                if (alt.kind == K::pattern || alt.kind == K::folded_pattern) v = instance(v);
                // Folded tests hold in any case; exact ones must not (unless the other spelling is there too).
                if (below(3) == 0) v = recase(v);
                if (below(8) == 0) v += "x";
                set(e, alt.field, below(4) == 0 ? json::array({one(alt.field), v}) : json(v));
            }
        return e.dump();
    }

private:
    uint64_t below(uint64_t n) {
        state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
        return n ? (state_ >> 33) % n : 0;
    }
    // A pattern filled in: `*` by nothing or some text, `?` by one character.
    std::string instance(const std::string& pattern) {
        std::string out;
        for (const char c : pattern) {
            if (c == '*')
                out += below(2) ? "" : "Ab\\c";
            else if (c == '?')
                out += below(2) ? "Q" : "\xc3\xa9";
            else
                out += c;
        }
        return out;
    }
    // Some letters upper case; the Kelvin sign for a k now and then (it folds to k).
    std::string recase(const std::string& s) {
        std::string out;
        for (const char c : s) {
            if (c == 'k' && below(4) == 0)
                out += "\xe2\x84\xaa";
            else
                out += below(2) ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        }
        return out;
    }
    json one(const std::string& field) {
        switch (below(10)) {
            case 0: return 7;
            case 1: return nullptr;
            case 2: return "other value";
            case 3: return all_.empty() ? json("x") : json(all_[below(all_.size())]);
            case 4: return recase(pick(field));
            case 5: return pick(field) + " ";
            default: return pick(field);
        }
    }
    json value(const std::string& field) {
        if (below(6) == 0) return json::array({one(field), one(field)});
        return one(field);
    }
    std::string pick(const std::string& field) {
        const auto& v = values_[field];
        return v.empty() ? std::string("none") : v[below(v.size())];
    }
    static void set(json& e, const std::string& path, json v) {
        if (path.find_first_of("~/") != std::string::npos) return;
        std::string pointer = "/" + path;
        std::replace(pointer.begin(), pointer.end(), '.', '/');
        try {
            e[json::json_pointer(pointer)] = std::move(v);
        } catch (const json::exception&) {  // a field inside a value that is not an object: leave it out
        }
    }

    std::vector<std::vector<eqlc::compiler::IndexKey>> terms_;  // every term's keys
    std::map<std::string, Strings> values_;
    Strings fields_, all_;
    std::set<std::string> join_fields_;
    uint64_t state_ = 11;
    int64_t clock_ = 1'700'000'000'000;
};

eqlc::CompiledQueries::Result compile(const std::vector<eqlc::QuerySource>& queries, bool index) {
    eqlc::EngineOptions options;
    options.skip_invalid_queries = true;
    options.rule_index = index;
    return eqlc::CompiledQueries::compile(queries, options);
}

// The set of a compile with the rule index, which must have made the index.
decltype(auto) indexed_set(const eqlc::CompiledQueries::Result& compiled) {
    REQUIRE(compiled.queries);
    const auto& set = eqlc::detail::Internals::impl(*compiled.queries);
    REQUIRE(set.rule_index);
    return set;
}

}  // namespace

TEST_CASE("rule index: the tests that give a term its keys", "[engine][index]") {
    CHECK(keys(R"(process where process.name == "cmd.exe")") ==
          std::vector<Strings>{{R"(event.category == "process")", R"(process.name == "cmd.exe")"}});
    CHECK(keys(R"(any where process.name : ("CMD.exe", "a.exe"))") ==
          std::vector<Strings>{{"process.name in~ 2 values"}});
    CHECK(keys(R"(any where process.name like~ "WS*.EXE")") == std::vector<Strings>{{R"(process.name : "ws*.exe")"}});
    CHECK(keys(R"(any where file.path : ("*\\a\\*", "*.lnk", "c?d"))") ==
          std::vector<Strings>{{"file.path : 3 patterns"}});
    CHECK(keys(R"(any where process.name like ("a*", "b*"))") ==
          std::vector<Strings>{{"process.name like 2 patterns"}});
    CHECK(keys(R"(any where startsWith(process.name, "ab"))") == std::vector<Strings>{{R"(process.name like "ab*")"}});
    // A prefix with a wildcard character of its own is not a pattern.
    CHECK(keys(R"(any where startsWith(process.name, "a*b"))") == std::vector<Strings>{Strings{}});
    // `or`: one key with each branch's best key; none when a branch has none.
    CHECK(keys(R"(any where process.name == "a" or (file.name : "b" and file.path : "*c*"))") ==
          std::vector<Strings>{{R"(process.name == "a" or file.name : "b")"}});
    CHECK(keys(R"(any where process.name == "a" or length(file.name) > 2)") == std::vector<Strings>{Strings{}});
    // No key: negations, numbers, regexps, functions, cidrMatch.
    CHECK(keys(R"(any where process.name != "a")") == std::vector<Strings>{Strings{}});
    CHECK(keys(R"(any where not process.name : "a*")") == std::vector<Strings>{Strings{}});
    // Integers: equal numbers (integer or floating) only; ranges and floating constants give no key.
    CHECK(keys(R"(any where process.pid == 4)") == std::vector<Strings>{{"process.pid == 4"}});
    CHECK(keys(R"(any where destination.port in (445, 139))") ==
          std::vector<Strings>{{"destination.port in 2 numbers"}});
    CHECK(keys(R"(any where process.pid > 4)") == std::vector<Strings>{Strings{}});
    CHECK(keys(R"(any where process.pid != 4)") == std::vector<Strings>{Strings{}});
    CHECK(keys(R"(any where x == 4.5)") == std::vector<Strings>{Strings{}});
    // A regexp's key is the literal it cannot match without (folded for regex~), when it has one.
    CHECK(keys(R"(any where process.name regex~ "Ab.*")") == std::vector<Strings>{{R"(process.name : "*ab*")"}});
    CHECK(keys(R"(any where process.name regex ("x\\.EXE", "[0-9]+yz"))") ==
          std::vector<Strings>{{R"(process.name like 2 patterns)"}});
    CHECK(keys(R"(any where process.name regex~ "[a-z]+")") == std::vector<Strings>{Strings{}});
    CHECK(keys(R"(any where process.name regex ("abc", ".*"))") == std::vector<Strings>{Strings{}});
    CHECK(keys(R"(any where endsWith(process.name, "a"))") == std::vector<Strings>{Strings{}});
    CHECK(keys(R"(any where cidrMatch(source.ip, "10.0.0.0/8"))") == std::vector<Strings>{Strings{}});
    // Typed fields: a long compares by value; a keyword with a null_value reads a null as that value.
    const std::string mapping =
        R"({"properties":{"@timestamp":{"type":"date"},"event":{"properties":{"category":{"type":"keyword"}}},
            "n":{"type":"long"},"k":{"type":"keyword","null_value":"x"},"w":{"type":"keyword"}}})";
    CHECK(keys(R"(any where n == "4")", mapping) == std::vector<Strings>{{"n == 4"}});
    CHECK(keys(R"(any where k == "x")", mapping) == std::vector<Strings>{Strings{}});
    CHECK(keys(R"(any where w == "x")", mapping) == std::vector<Strings>{{R"(w == "x")"}});
    // A sequence: a key list per stage.
    CHECK(keys(R"(sequence [process where process.name == "a"] [any where true])") ==
          std::vector<Strings>{{R"(event.category == "process")", R"(process.name == "a")"}, Strings{}});
}

TEST_CASE("rule index: a term the index rules out never holds", "[engine][index]") {
    const auto queries = all_queries();
    auto compiled = compile(queries, true);
    const auto& set = indexed_set(compiled);
    const eqlc::engine::RuleIndex& index = *set.rule_index;
    CHECK(index.always_run_terms() >= 2);  // the two hand-written queries without a key
    CHECK(index.indexed_terms() + index.always_run_terms() == index.term_count());

    EventMaker maker(set);
    eqlc::vm::EventRecord record;
    eqlc::input::RecordBuilder builder;
    eqlc::vm::VmContext vm;
    eqlc::engine::RuleIndex::Scratch scratch;
    std::vector<uint32_t> hits;
    std::vector<uint8_t> candidate(index.term_count());
    size_t ruled_out = 0, checked = 0, held = 0;
    Strings wrong;
    for (int i = 0; i < 3000; ++i) {
        const std::string text = maker.next();
        const json event = json::parse(text);  // the record's strings point into it
        REQUIRE(eqlc::input::project(event, *set.plan, record, builder));
        hits.clear();
        index.candidates(record, scratch, hits);
        std::fill(candidate.begin(), candidate.end(), 0);
        for (const uint32_t t : hits) candidate.at(t) = 1;
        for (size_t q = 0; q < set.queries.size(); ++q) {
            if (!set.queries[q].compiled) continue;
            auto check = [&](const eqlc::compiler::CompiledTerm& term, uint32_t id) {
                ++checked;
                const bool holds = eqlc::vm::matches(*term.filter, record, vm);
                held += holds;
                if (candidate[id] || index.always(id)) return;
                ++ruled_out;
                if (holds && wrong.size() < 10) wrong.push_back(queries[q].name + " holds on " + text);
            };
            const auto& c = *set.queries[q].compiled;
            for (size_t k = 0; k < c.terms.size(); ++k) check(c.terms[k], index.term_id(q, k));
            if (c.until) check(*c.until, index.until_id(q));
        }
    }
    INFO(ruled_out << " of " << checked << " term evaluations ruled out, " << held << " held");
    CHECK(wrong == Strings{});
    CHECK(ruled_out > checked / 3);
    CHECK(held > 1000);  // the events reach deep into the filters
}

TEST_CASE("rule index: values it remembers give what a first lookup gives", "[engine][index]") {
    const auto queries = all_queries();
    auto compiled = compile(queries, true);
    const auto& set = indexed_set(compiled);
    const eqlc::engine::RuleIndex& index = *set.rule_index;
    eqlc::vm::EventRecord record;
    eqlc::input::RecordBuilder builder;
    eqlc::engine::RuleIndex::Scratch kept;  // remembers values from event to event
    auto lookups = [&](const json& event) {
        REQUIRE(eqlc::input::project(event, *set.plan, record, builder));
        std::vector<uint32_t> again, first;
        index.candidates(record, kept, again);
        eqlc::engine::RuleIndex::Scratch fresh;
        index.candidates(record, fresh, first);
        std::sort(again.begin(), again.end());
        std::sort(first.begin(), first.end());
        return std::make_pair(again, first);
    };
    // Events from the rules' own values, most of which come back many times.
    EventMaker maker(set);
    size_t with_candidates = 0;
    for (int i = 0; i < 2000; ++i) {
        const std::string text = maker.next();
        const auto [again, first] = lookups(json::parse(text));
        INFO(text);
        REQUIRE(again == first);
        with_candidates += !first.empty();
    }
    CHECK(with_candidates > 1000);
    // Values remembered at the same place (same length, same first and last eight bytes) are told apart; so are
    // values longer than it remembers.
    const std::string long_tail(3000, 'x');
    for (const std::string& path :
         {std::string("C:\\Users\\bob\\startup\\notes.lnk"), std::string("C:\\Users\\bob\\zzzzzzz\\notes.lnk"),
          std::string("C:\\Users\\bob\\startup\\notes.lnk"), "C:\\temp\\" + long_tail, "D:\\temp\\" + long_tail}) {
        const auto [again, first] = lookups(json{{"event", {{"category", "file"}}}, {"file", {{"path", path}}}});
        INFO(path);
        CHECK(again == first);
    }
    // More values of one place than it keeps (they share a set), coming back in turn: each is replaced in time and
    // looked up afresh, never confused with the one that took its way. Names of the rules' own paths among them.
    std::vector<std::string> crowd;
    for (const char* middle : {"startup", "zzzzzzz", "Startup", "STARTUP", "aaaaaaa", "startuq", "xtartup"})
        crowd.push_back(std::string("C:\\Users\\bob\\") + middle + "\\notes.lnk");
    size_t crowd_candidates = 0;
    for (int round = 0; round < 3; ++round)
        for (const std::string& path : crowd) {
            const auto [again, first] = lookups(json{{"event", {{"category", "file"}}}, {"file", {{"path", path}}}});
            INFO(path);
            CHECK(again == first);
            crowd_candidates += !first.empty();
        }
    CHECK(crowd_candidates > 0);
}

TEST_CASE("rule index: an engine with the index gives what one without gives", "[engine][index]") {
    const auto queries = all_queries();
    auto with = compile(queries, true);
    auto without = compile(queries, false);
    REQUIRE(with.queries);
    REQUIRE(without.queries);
    EventMaker maker(eqlc::detail::Internals::impl(*with.queries));
    std::string lines;
    for (int i = 0; i < 4000; ++i) lines += maker.next() + "\n";
    eqlc::test::TempDir dir;
    const auto file = dir.write("events.ndjson", lines);

    struct Run {
        Strings matches;
        std::string snapshot;
        eqlc::EngineStats stats;
    };
    // Events pushed one by one with a snapshot half way and the rest in a restored engine, or read by
    // read_ndjson on `threads` threads.
    auto run = [&](const std::shared_ptr<const eqlc::CompiledQueries>& set, unsigned threads) {
        Run r;
        eqlc::EngineOptions options;
        options.skip_invalid_queries = true;
        auto engine = eqlc::Engine::create(set, options);
        REQUIRE(engine);
        auto collect = [&r](eqlc::Engine& e) {
            e.on_match([&r, &e](const eqlc::Match& m) {
                r.matches.push_back(eqlc::match_to_ndjson(m, e.query_name(m.query)));
            });
        };
        collect(*engine);
        if (threads == 0) {
            size_t n = 0;
            std::unique_ptr<eqlc::Engine> second;
            eqlc::Engine* e = engine.get();
            for (size_t at = 0, end; at < lines.size(); at = end + 1) {
                end = lines.find('\n', at);
                e->push(json::parse(lines.substr(at, end - at)));
                if (++n == 2000) {
                    REQUIRE(e->snapshot(r.snapshot));
                    second = eqlc::Engine::create(set, options);
                    collect(*second);
                    REQUIRE(second->restore(r.snapshot));
                    e = second.get();
                }
            }
            e->finish();
            r.stats = e->stats();
            return r;
        }
        eqlc::Engine::ReadOptions read;
        read.threads = threads;
        REQUIRE(engine->read_ndjson(file.string(), read, nullptr));
        engine->finish();
        r.stats = engine->stats();
        return r;
    };
    for (unsigned threads : {0u, 1u, 2u}) {
        INFO("threads " << threads);
        const Run a = run(with.queries, threads), b = run(without.queries, threads);
        CHECK(a.matches.size() > 50);
        CHECK(a.matches == b.matches);
        CHECK(a.snapshot == b.snapshot);
        CHECK(a.stats.events == b.stats.events);
        CHECK(a.stats.query_events_without_timestamp == b.stats.query_events_without_timestamp);
        CHECK(a.stats.query_events_without_timestamp > 0);
        CHECK(a.stats.evaluation_errors == b.stats.evaluation_errors);
        CHECK(a.stats.partials_at_finish == b.stats.partials_at_finish);
        CHECK(a.stats.matches == b.stats.matches);
        CHECK(a.stats.indexed_terms > 0);
        CHECK(b.stats.indexed_terms == 0);
    }
}

TEST_CASE("rule index: idle sequences decide missing events and expire on time", "[engine][index]") {
    // A sequence waiting for a missing event is decided by the time of events that none of its terms matches;
    // its result must come at the same place among the other queries' results as without the index.
    const std::vector<eqlc::QuerySource> queries = {
        {R"(sequence by host.id with maxspan=5s [process where process.name == "a"] ![file where file.name == "b"])",
         "missing"},
        {R"(network where destination.port == 80)", "every network event"},
        {R"(sequence by host.id with maxspan=3s [process where process.name == "a"] [process where process.name == "c"])",
         "expires"},
    };
    Strings lines;
    int64_t t = 1'700'000'000'000;
    auto add = [&](const std::string& body, int64_t step) {
        t += step;
        lines.push_back(R"({"@timestamp":)" + std::to_string(t) + R"(,"host":{"id":"h1"},)" + body + "}");
    };
    for (int round = 0; round < 5; ++round) {
        add(R"("event":{"category":"process"},"process":{"name":"a"})", 100);
        if (round % 2) add(R"("event":{"category":"file"},"file":{"name":"b"})", 100);
        for (int i = 0; i < 8; ++i) add(R"("event":{"category":"network"},"destination":{"port":80})", 1000);
        add(R"("event":{"category":"process"},"process":{"name":"c"})", 100);
    }
    auto run = [&](bool index) {
        eqlc::EngineOptions options;
        options.rule_index = index;
        auto created = eqlc::Engine::create(queries, options);
        REQUIRE(created.engine);
        Strings out;
        size_t pushing = 0;  // the event being pushed when a result comes
        created.engine->on_match(
            [&](const eqlc::Match& m) { out.push_back(std::to_string(m.query) + "@" + std::to_string(pushing)); });
        for (; pushing < lines.size(); ++pushing) created.engine->push(json::parse(lines[pushing]));
        created.engine->finish();
        const auto& s = created.engine->stats();
        out.push_back("partials " + std::to_string(s.partials_at_finish));
        return out;
    };
    const Strings with = run(true), without = run(false);
    CHECK(with == without);
    // The three missing-event results are decided more than 5 s after their start, by the sixth network event.
    const auto missing = std::count_if(with.begin(), with.end(), [](const std::string& s) { return s[0] == '0'; });
    CHECK(missing == 3);
    CHECK(with[0] == "1@1");
    // in query order with the network query's result of that event
    CHECK(std::find(with.begin(), with.end(), "1@6") - std::find(with.begin(), with.end(), "0@6") == 1);
    CHECK(with.back() == "partials 0");
    // and the partials of "expires" are dropped before "c" comes: no result of query 2.
    CHECK(std::none_of(with.begin(), with.end(), [](const std::string& s) { return s[0] == '2'; }));
}

TEST_CASE("rule index: --explain and stats show it", "[engine][index]") {
    const std::vector<eqlc::QuerySource> queries = {
        {R"(process where process.name == "cmd.exe")", "a"},
        {R"(any where length(process.name) > 3)", "b"},
    };
    auto with = compile(queries, true);
    REQUIRE(with.queries);
    const std::string text = with.queries->explain();
    CHECK(text.find("# rule index: 1 of 2 terms indexed on 1 fields; 1 run on every event") != std::string::npos);
    CHECK(text.find("  term 0: process.name == \"cmd.exe\"") != std::string::npos);
    CHECK(text.find("  term 0: none: always run") != std::string::npos);
    auto engine = eqlc::Engine::create(with.queries, {});
    REQUIRE(engine);
    CHECK(engine->stats().indexed_terms == 1);
    CHECK(engine->stats().always_run_terms == 1);
    CHECK(engine->stats().index_fields == 1);
    auto without = compile(queries, false);
    REQUIRE(without.queries);
    CHECK(without.queries->explain().find("rule index") == std::string::npos);
}

TEST_CASE("rule index: long pattern lists stay out of the literal scans", "[engine][index]") {
    auto patterns = [](int n, const std::string& tag) {
        std::string list;
        for (int i = 0; i < n; ++i) list += std::string(i ? ", " : "") + "\"*\\\\" + tag + std::to_string(i) + "*\"";
        return list;
    };
    std::vector<eqlc::QuerySource> queries = {
        {"file where file.path : (" + patterns(1500, "a") + ")", "too long: the category"},
        {"any where file.path : (" + patterns(1500, "b") + ")", "too long: always run"},
    };
    for (int r = 0; r < 5; ++r)
        queries.emplace_back("any where file.path : (" + patterns(1000, "c" + std::to_string(r) + "x") + ")",
                             "1000 patterns " + std::to_string(r));
    auto compiled = compile(queries, true);
    REQUIRE(compiled.queries);
    const auto& set = eqlc::detail::Internals::impl(*compiled.queries);
    REQUIRE(set.rule_index);
    const auto& index = *set.rule_index;
    CHECK(index.describe(index.term_id(0, 0)) == R"(event.category == "file")");
    CHECK(index.describe(index.term_id(1, 0)) == "none: always run");
    // Four lists of 1000 fit under one field; the fifth runs on every event.
    for (size_t q = 2; q < 6; ++q) CHECK(index.describe(index.term_id(q, 0)) == "file.path : 1000 patterns");
    CHECK(index.describe(index.term_id(6, 0)) == "none: always run");
    // The scans find what they hold.
    eqlc::vm::EventRecord record;
    eqlc::input::RecordBuilder builder;
    const json event = json::parse(R"({"@timestamp":1,"file":{"path":"C:\\C3X999\\Y"}})");
    REQUIRE(eqlc::input::project(event, *set.plan, record, builder));
    eqlc::engine::RuleIndex::Scratch scratch;
    std::vector<uint32_t> hits;
    index.candidates(record, scratch, hits);
    // (once per literal found: \c3x9, \c3x99 and \c3x999 are three patterns' literals)
    CHECK(std::set<uint32_t>(hits.begin(), hits.end()) == std::set<uint32_t>{index.term_id(5, 0)});
}
