// Helpers for the sequence/sample runtime tests: hand-built hit streams, a recorder for matches, and a small
// TEST-ONLY evaluator that turns the Elasticsearch QA data (conformance/elastic/data/*.ndjson) into stage hits.
//
// The evaluator is deliberately minimal and is NOT the engine: each spec transcribed in the tests states its
// terms as (category, C++ predicate over the JSON event, key fields) by reading the EQL text by hand. Key
// extraction follows SEMANTICS §7 "Keys" (arrays expand to the Cartesian product, nulls in arrays dropped, a
// null/missing non-optional key drops the event from that term, `?key` allows null). The real end-to-end
// conformance run goes through the compiler, the VM and the engine.
#pragma once

#include <nlohmann/json.hpp>

#include "support/shared_data.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sequence/key.hpp"
#include "sequence/sample_matcher.hpp"
#include "sequence/sequence_matcher.hpp"

namespace seqtest {

using eqlc::sequence::EventInfo;
using eqlc::sequence::KeyView;
using eqlc::sequence::Limits;
using eqlc::sequence::SampleHit;
using eqlc::sequence::SampleMatch;
using eqlc::sequence::SampleMatcher;
using eqlc::sequence::SampleSpec;
using eqlc::sequence::SequenceMatch;
using eqlc::sequence::SequenceMatcher;
using eqlc::sequence::SequenceSpec;
using eqlc::sequence::StageHit;
using eqlc::vm::Value;
using json = nlohmann::json;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000 * kMs;

// ---- keys --------------------------------------------------------------------------------------------------

struct KeyPart {
    Value v;
    KeyPart(const char* s) : v(Value::of_string(s)) {}
    KeyPart(int v_) : v(Value::of_int(v_)) {}
    KeyPart(int64_t v_) : v(Value::of_int(v_)) {}
    KeyPart(double d) : v(Value::of_double(d)) {}
    KeyPart(bool b) : v(Value::of_bool(b)) {}
    KeyPart(std::nullptr_t) : v(Value::null()) {}
};

inline std::string key(std::initializer_list<KeyPart> parts = {}) {
    std::vector<Value> vals;
    for (const auto& p : parts) vals.push_back(p.v);
    return eqlc::sequence::encode_key(vals);
}

// Flattened, stringified join keys as the QA runner compares them (null as "null").
inline void append_key_strings(KeyView k, std::vector<std::string>& out) {
    for (const Value& v : eqlc::sequence::decode_key(k)) {
        switch (v.type) {
            case eqlc::vm::ValueType::null: out.push_back("null"); break;
            case eqlc::vm::ValueType::boolean: out.push_back(v.boolean ? "true" : "false"); break;
            case eqlc::vm::ValueType::integer: out.push_back(std::to_string(v.integer)); break;
            case eqlc::vm::ValueType::floating: out.push_back(std::to_string(v.floating)); break;
            case eqlc::vm::ValueType::string: out.push_back(std::string(v.str())); break;
        }
    }
}

// ---- recording matches ---------------------------------------------------------------------------------------

struct Recorded {
    std::string key;
    std::vector<int64_t> ids;  // ordinals, -1 for a missing placeholder
    std::vector<std::string> sources;
    bool operator==(const Recorded&) const = default;
};

inline std::string render(const std::vector<Recorded>& all) {
    std::string s;
    for (const auto& r : all) {
        s += eqlc::sequence::key_to_string(r.key) + ":";
        for (size_t i = 0; i < r.ids.size(); ++i) s += (i ? "," : "") + std::to_string(r.ids[i]);
        s += " ";
    }
    return s;
}

inline SequenceMatcher::Sink recorder(std::vector<Recorded>& out) {
    return [&out](const SequenceMatch& m) {
        Recorded r;
        r.key = std::string(m.key);
        for (const auto& e : m.events) {
            r.ids.push_back(e.missing ? -1 : static_cast<int64_t>(e.ordinal));
            r.sources.emplace_back(e.source);
        }
        out.push_back(std::move(r));
    };
}

inline SampleMatcher::Sink sample_recorder(std::vector<Recorded>& out) {
    return [&out](const SampleMatch& m) {
        Recorded r;
        r.key = std::string(m.key);
        for (const auto& e : m.events) {
            r.ids.push_back(static_cast<int64_t>(e.ordinal));
            r.sources.emplace_back(e.source);
        }
        out.push_back(std::move(r));
    };
}

inline std::vector<int64_t> flat_ids(const std::vector<Recorded>& all) {
    std::vector<int64_t> out;
    for (const auto& r : all) out.insert(out.end(), r.ids.begin(), r.ids.end());
    return out;
}

// ---- hand-built streams ----------------------------------------------------------------------------------------

struct Ev {
    int64_t id;
    int64_t ts;
    std::vector<std::pair<uint32_t, std::string>> hits;  // (stage or kUntil, encoded key)
};

inline void push(SequenceMatcher& m, const Ev& e) {
    std::vector<StageHit> hits;
    for (const auto& [stage, k] : e.hits) hits.push_back(StageHit{stage, k});
    const std::string source = "{\"id\":" + std::to_string(e.id) + "}";
    m.on_event(EventInfo{static_cast<uint64_t>(e.id), e.ts, source}, hits);
}

inline std::vector<Recorded> run(const SequenceSpec& spec, const std::vector<Ev>& events, Limits limits = {}) {
    std::vector<Recorded> out;
    SequenceMatcher m(spec, recorder(out), limits);
    for (const auto& e : events) push(m, e);
    m.finish();
    return out;
}

// ---- TEST-ONLY evaluation of the QA data -------------------------------------------------------------------------

inline std::string shared_dir() { return (eqlc::test::shared_root() / "conformance/elastic").string(); }

inline std::vector<json> load_ndjson(const std::string& path) {
    std::ifstream in(path);
    std::vector<json> out;
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) out.push_back(json::parse(line));
    return out;
}

inline json load_specs(const std::string& file) {
    return json::parse(eqlc::test::read_text(shared_dir() + "/queries/" + file));
}

inline const json* find_spec(const json& specs, const std::string& name) {
    for (const auto& s : specs)
        if (s.at("name") == name) return &s;
    return nullptr;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
inline int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// @timestamp as the QA data has it: epoch millis (number or numeric string) or "YYYY-MM-DDTHH:MM:SS.mmmZ".
inline int64_t timestamp_ns(const json& v) {
    if (v.is_number_integer()) return v.get<int64_t>() * kMs;
    const std::string s = v.get<std::string>();
    if (s.find('-') == std::string::npos) return std::stoll(s) * kMs;
    int y, mo, d, h, mi, sec, ms = 0;
    std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &sec, &ms);
    return ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000 + ms) * kMs;
}

inline const json* field(const json& ev, const std::string& path) {
    if (auto it = ev.find(path); it != ev.end()) return &*it;  // the data uses dotted member names literally
    const json* at = &ev;
    size_t start = 0;
    while (start <= path.size()) {
        const size_t dot = path.find('.', start);
        const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!at->is_object()) return nullptr;
        auto it = at->find(part);
        if (it == at->end()) return nullptr;
        at = &*it;
        if (dot == std::string::npos) return at;
        start = dot + 1;
    }
    return nullptr;
}

inline std::optional<Value> scalar(const json& v) {
    if (v.is_string()) return Value::of_string(v.get_ref<const std::string&>());
    if (v.is_number_integer()) return Value::of_int(v.get<int64_t>());
    if (v.is_number_float()) return Value::of_double(v.get<double>());
    if (v.is_boolean()) return Value::of_bool(v.get<bool>());
    return std::nullopt;
}

// Every key of `ev` for key fields `fields` ("?name" = optional); empty if the event drops out.
inline std::vector<std::string> event_keys(const json& ev, const std::vector<std::string>& fields) {
    std::vector<std::vector<Value>> per_field;
    for (const auto& f : fields) {
        const bool optional = !f.empty() && f[0] == '?';
        const json* v = field(ev, optional ? f.substr(1) : f);
        std::vector<Value> vals;
        if (v != nullptr) {
            if (v->is_array()) {
                for (const auto& e : *v)
                    if (auto s = scalar(e)) vals.push_back(*s);
            } else if (auto s = scalar(*v)) {
                vals.push_back(*s);
            }
        }
        if (vals.empty()) {
            if (!optional) return {};
            vals.push_back(Value::null());
        }
        per_field.push_back(std::move(vals));
    }
    std::vector<std::string> keys{std::string()};
    for (const auto& vals : per_field) {
        std::vector<std::string> next;
        for (const auto& k : keys)
            for (const auto& v : vals) {
                std::string n = k;
                eqlc::sequence::append_key_component(v, n);
                next.push_back(std::move(n));
            }
        keys = std::move(next);
    }
    return keys;
}

using Pred = std::function<bool(const json&)>;

inline bool has_num(const json& ev, const std::string& f, const std::function<bool(double)>& test) {
    const json* v = field(ev, f);
    return v != nullptr && v->is_number() && test(v->get<double>());
}
inline bool is_str(const json& ev, const std::string& f, const std::string& value) {
    const json* v = field(ev, f);
    return v != nullptr && v->is_string() && v->get<std::string>() == value;
}
inline bool is_bool(const json& ev, const std::string& f, bool value) {
    const json* v = field(ev, f);
    return v != nullptr && v->is_boolean() && v->get<bool>() == value;
}
inline bool is_num(const json& ev, const std::string& f, double value) {
    return has_num(ev, f, [&](double d) { return d == value; });
}

struct Term {
    std::string category;           // value of the data's event_type ("" = any)
    Pred where;                     // null = true
    std::vector<std::string> keys;  // the term's own keys
    bool missing = false;
    int runs = 1;
};

struct Query {
    std::vector<std::string> by;  // shared keys
    std::vector<Term> terms;
    std::optional<Term> until;
    std::optional<int64_t> maxspan_ns;
    std::vector<std::pair<char, size_t>> pipes;  // ('h', n) head, ('t', n) tail
};

inline bool term_matches(const Term& t, const json& ev) {
    if (!t.category.empty() && !is_str(ev, "event_type", t.category)) return false;
    return !t.where || t.where(ev);
}

inline std::vector<std::string> term_keys(const Query& q, const Term& t, const json& ev) {
    std::vector<std::string> fields = q.by;
    fields.insert(fields.end(), t.keys.begin(), t.keys.end());
    return event_keys(ev, fields);
}

// Sorts the events by (@timestamp, tiebreaker) and runs the query; `id_field` names the ordinal.
inline std::vector<Recorded> run_qa_sequence(const std::vector<json>& data, const Query& q, const std::string& id_field,
                                             const std::string& tiebreaker) {
    std::vector<const json*> evs;
    for (const auto& e : data) evs.push_back(&e);
    std::stable_sort(evs.begin(), evs.end(), [&](const json* a, const json* b) {
        const int64_t ta = timestamp_ns(a->at("@timestamp")), tb = timestamp_ns(b->at("@timestamp"));
        if (ta != tb) return ta < tb;
        return a->at(tiebreaker).get<int64_t>() < b->at(tiebreaker).get<int64_t>();
    });
    SequenceSpec spec;
    std::vector<const Term*> stage_terms;
    for (const auto& t : q.terms)
        for (int r = 0; r < t.runs; ++r) {
            spec.missing.push_back(t.missing);
            stage_terms.push_back(&t);
        }
    spec.has_until = q.until.has_value();
    spec.maxspan_ns = q.maxspan_ns;
    std::vector<Recorded> out;
    SequenceMatcher m(spec, recorder(out));
    for (const json* e : evs) {
        std::vector<std::string> keys_store;
        std::vector<std::pair<uint32_t, size_t>> refs;
        for (uint32_t s = 0; s < stage_terms.size(); ++s)
            if (term_matches(*stage_terms[s], *e))
                for (auto& k : term_keys(q, *stage_terms[s], *e)) {
                    keys_store.push_back(std::move(k));
                    refs.emplace_back(s, keys_store.size() - 1);
                }
        if (q.until && term_matches(*q.until, *e))
            for (auto& k : term_keys(q, *q.until, *e)) {
                keys_store.push_back(std::move(k));
                refs.emplace_back(eqlc::sequence::kUntil, keys_store.size() - 1);
            }
        std::vector<StageHit> hits;
        for (auto [s, i] : refs) hits.push_back(StageHit{s, keys_store[i]});
        const std::string source = e->dump();
        m.on_event(EventInfo{e->at(id_field).get<uint64_t>(), timestamp_ns(e->at("@timestamp")), source}, hits);
    }
    m.finish();
    for (auto [kind, n] : q.pipes) {
        if (kind == 'h' && out.size() > n) out.resize(n);
        if (kind == 't' && out.size() > n) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(n));
    }
    return out;
}

// Expected ids: a flat list, or a list of alternatives (lists).
inline bool ids_match(const json& expected, const std::vector<int64_t>& got) {
    if (!expected.empty() && expected[0].is_array()) {
        for (const auto& alt : expected)
            if (alt.get<std::vector<int64_t>>() == got) return true;
        return false;
    }
    return expected.get<std::vector<int64_t>>() == got;
}

inline std::vector<std::string> expected_keys(const json& spec) {
    std::vector<std::string> out;
    for (const auto& k : spec.at("join_keys")) out.push_back(k.is_null() ? "null" : k.get<std::string>());
    return out;
}

inline std::vector<std::string> got_keys(const std::vector<Recorded>& all) {
    std::vector<std::string> out;
    for (const auto& r : all) append_key_strings(r.key, out);
    return out;
}

// ---- random specs and streams (reference-model and snapshot tests) ----------------------------------------------

struct Generated {
    SequenceSpec spec;
    std::vector<Ev> events;
};

inline Generated generate(std::mt19937_64& rng, bool allow_missing = true) {
    auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    Generated g;
    const int stages = uni(2, 5);
    for (int s = 0; s < stages; ++s) g.spec.missing.push_back(allow_missing && uni(0, 3) == 0);
    if (std::all_of(g.spec.missing.begin(), g.spec.missing.end(), [](bool m) { return m; }))
        g.spec.missing[static_cast<size_t>(uni(0, stages - 1))] = false;
    // `runs`: repeat a stage
    if (uni(0, 3) == 0) {
        const auto at = static_cast<size_t>(uni(0, stages - 1));
        g.spec.missing.insert(g.spec.missing.begin() + static_cast<std::ptrdiff_t>(at), g.spec.missing[at]);
    }
    const bool any_missing = std::any_of(g.spec.missing.begin(), g.spec.missing.end(), [](bool m) { return m; });
    g.spec.has_until = uni(0, 2) == 0;
    if (any_missing || uni(0, 2) != 0) g.spec.maxspan_ns = uni(0, 12);
    const int nkeys = uni(1, 4);
    const int nevents = uni(5, 60);
    int64_t ts = 0;
    const auto nstages = static_cast<uint32_t>(g.spec.missing.size());
    for (int i = 0; i < nevents; ++i) {
        ts += uni(0, 3);
        Ev e{i + 1, ts, {}};
        const int nh = uni(0, 3);
        for (int h = 0; h < nh; ++h) {
            const int kind = uni(0, 9);
            const uint32_t stage =
                kind == 0 && g.spec.has_until ? eqlc::sequence::kUntil : static_cast<uint32_t>(uni(0, nstages - 1));
            e.hits.emplace_back(stage, key({uni(0, nkeys - 1)}));
            if (uni(0, 5) == 0) e.hits.emplace_back(stage, key({uni(0, nkeys - 1)}));  // multi-valued key
        }
        g.events.push_back(std::move(e));
    }
    return g;
}

}  // namespace seqtest
