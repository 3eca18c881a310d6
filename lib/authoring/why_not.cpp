// Why a rule did not fire: eqlc::explain_missing_alert (eqlc/why_not.hpp).
//
// Nothing here re-implements EQL. Every verdict on a condition comes from an Engine running that condition as an
// event query over the case's events with the caller's options (case_events.cpp), so a stage filter, a
// conjunct of it, or the event category test holds exactly when the engine says it does. What is done here is the
// bookkeeping the matcher does, written out so that it can be told: the order of the expected events, maxspan,
// join key values, until and missing-event terms, and what other events of the case did to the partial sequence.
// Join key values are read from the events' JSON for display and comparison (a key that is not a plain field is
// shown, not compared); the whole query is also run once, and what it gave instead is listed in the details.
#include "eqlc/why_not.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "authoring/case_events.hpp"
#include "syntax/parser.hpp"
#include "syntax/printer.hpp"

namespace eqlc {

namespace {

using authoring::CaseEvents;

std::string stage_filter_text(const ast::EventFilter& f) {
    std::string category = f.any ? "any" : f.category;
    bool plain = !category.empty();
    for (char c : category)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) plain = false;
    if (!plain) category = syntax::quote_string(category);
    return category + " where " + (f.condition ? syntax::print_expr(*f.condition) : std::string("true"));
}

// The top-level conjuncts of a condition: `a and (b and c)` gives a, b, c.
void conjuncts(const ast::Expr& e, std::vector<const ast::Expr*>& out) {
    if (e.kind == ast::ExprKind::and_) {
        for (const auto& o : e.operands) conjuncts(*o, out);
        return;
    }
    out.push_back(&e);
}

void fields_of(const ast::Expr& e, std::vector<std::string>& out) {
    if (e.kind == ast::ExprKind::field) {
        std::string name = e.field.dotted();
        if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
    }
    for (const auto& o : e.operands) fields_of(*o, out);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += sep;
        out += p;
    }
    return out;
}

std::string brief(std::string text, size_t max = 160) {
    for (char& c : text)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (text.size() > max) text = text.substr(0, max) + "...";
    return text;
}

// A stage of the query as messages name it: "stage 2 [process]", "stage 3 ![process]" for a missing-event term.
std::string stage_name(size_t stage, const ast::Term& term) {
    std::string what = term.filter.any ? "any" : term.filter.category;
    return "stage " + std::to_string(stage + 1) + (term.missing ? " ![" : " [") + what + "]";
}

// A key expression of a stage (shared keys first, then the term's), as text and as the field it reads, if any.
struct KeyExpr {
    std::string text;
    std::optional<std::string> field;
    bool optional = false;
};

std::vector<KeyExpr> keys_of(const ast::Query& q, const ast::Term& term) {
    std::vector<KeyExpr> out;
    auto add = [&](const ast::Expr& e) {
        KeyExpr k;
        k.text = syntax::print_expr(e);
        if (e.kind == ast::ExprKind::field) {
            k.field = e.field.dotted();
            k.optional = e.field.optional;
        }
        out.push_back(std::move(k));
    };
    for (const auto& k : q.shared_keys) add(*k);
    for (const auto& k : term.keys) add(*k);
    return out;
}

void flatten(const nlohmann::json& v, std::vector<nlohmann::json>& out) {
    if (v.is_array())
        for (const auto& x : v) flatten(x, out);
    else if (!v.is_null())
        out.push_back(v);
}

// Whether two events agree on a key: some value in common (a multi-valued key is one hit per value).
bool same_key(const std::vector<nlohmann::json>& a, const std::vector<nlohmann::json>& b) {
    std::vector<nlohmann::json> fa, fb;
    for (const auto& x : a) flatten(x, fa);
    for (const auto& y : b) flatten(y, fb);
    for (const auto& x : fa)
        for (const auto& y : fb)
            if (x == y) return true;
    return false;
}

bool no_value(const std::vector<nlohmann::json>& values) {
    std::vector<nlohmann::json> flat;
    for (const auto& v : values) flatten(v, flat);
    return flat.empty();
}

class Explainer {
public:
    Explainer(const ast::Query& query, std::string_view text, CaseEvents& events, const std::vector<size_t>& expected)
        : q_(query), text_(text), ev_(events), expected_(expected) {}

    MissExplanation run();

private:
    MissExplanation event_query();
    MissExplanation sequence();
    MissExplanation sample();

    // An event the engine does not run: not JSON, or (when the query needs event times) without a usable time.
    std::optional<MissExplanation> unusable(size_t event, const std::string& where, bool need_time) const;
    // Why `event` does not pass `filter` (nullopt: it passes). `where` names the stage for the summary.
    std::optional<MissExplanation> filter_miss(const ast::EventFilter& filter, size_t event, const std::string& where);
    // The key values of `event` for `keys`; a problem when a key without `?` has no value.
    std::optional<MissExplanation> key_miss(const std::vector<KeyExpr>& keys, size_t event, const std::string& where);
    bool keys_agree(const std::vector<KeyExpr>& a, size_t ea, const std::vector<KeyExpr>& b, size_t eb) const;
    // The whole query over the case: what it gave, and its per-stage counters (details).
    void actual_run(MissExplanation& out);

    const ast::Query& q_;
    std::string_view text_;
    CaseEvents& ev_;
    const std::vector<size_t>& expected_;
};

std::optional<MissExplanation> Explainer::unusable(size_t event, const std::string& where, bool need_time) const {
    std::optional<MissExplanation> out;
    if (!ev_.valid(event))
        out = MissExplanation{
            where + ": " + ev_.name(event) + " is not a valid JSON object: the engine does not run it", {}};
    else if (need_time && !ev_.timestamp(event))
        out = MissExplanation{where + ": " + ev_.name(event) + " has no usable timestamp (" + ev_.timestamp_field() +
                                  "): the engine does not run it",
                              {}};
    if (out && !ev_.timestamp_problem(event).empty()) out->details.push_back(ev_.timestamp_problem(event));
    return out;
}

std::optional<MissExplanation> Explainer::filter_miss(const ast::EventFilter& filter, size_t event,
                                                      const std::string& where) {
    const std::string whole = stage_filter_text(filter);
    const auto passes = ev_.holds(whole, event);
    if (!passes) {
        return MissExplanation{where + ": the condition cannot be run on its own: " + ev_.last_problem(),
                               {"condition: " + brief(whole, 400)}};
    }
    if (*passes) return std::nullopt;
    const std::string name = ev_.name(event);
    // The category test first (as Elasticsearch adds it), then each conjunct in written order.
    if (!filter.any) {
        const std::string cat_query = stage_filter_text(ast::EventFilter{{}, false, filter.category, {}, nullptr});
        const auto cat = ev_.holds(cat_query, event);
        if (cat && !*cat) {
            const std::string field = ev_.event_category_field();
            return MissExplanation{where + ": " + name + " is not a \"" + filter.category + "\" event: " + field +
                                       " = " + ev_.values_text(event, field),
                                   {}};
        }
    }
    std::vector<const ast::Expr*> parts;
    if (filter.condition) conjuncts(*filter.condition, parts);
    for (const ast::Expr* part : parts) {
        const std::string conjunct = syntax::print_expr(*part);
        const auto held = ev_.holds("any where " + conjunct, event);
        if (!held || *held) continue;
        std::vector<std::string> fields;
        fields_of(*part, fields);
        std::vector<std::string> seen;
        for (const auto& f : fields) seen.push_back(f + " = " + ev_.values_text(event, f));
        MissExplanation out;
        out.summary = where + ": " + name + ": `" + brief(conjunct) + "` was false";
        // `not (a or b)`: which of a, b held.
        if (part->kind == ast::ExprKind::not_ && part->operands[0]->kind == ast::ExprKind::or_)
            for (const auto& alt : part->operands[0]->operands) {
                const std::string alt_text = syntax::print_expr(*alt);
                const auto alt_held = ev_.holds("any where " + alt_text, event);
                if (alt_held && *alt_held) {
                    out.summary += " (`" + brief(alt_text, 100) + "` held)";
                    break;
                }
            }
        if (!seen.empty())
            out.summary +=
                ": " +
                brief(
                    join(std::vector<std::string>(seen.begin(), seen.begin() + std::min<size_t>(seen.size(), 3)), ", "),
                    300);
        for (const auto& s : seen) out.details.push_back(s);
        return out;
    }
    return MissExplanation{where + ": " + name + " does not pass the stage's condition, though each of its top-level " +
                               "conditions holds on its own",
                           {"condition: " + brief(whole, 400)}};
}

std::optional<MissExplanation> Explainer::key_miss(const std::vector<KeyExpr>& keys, size_t event,
                                                   const std::string& where) {
    for (const KeyExpr& k : keys) {
        if (!k.field || k.optional) continue;
        const auto values = ev_.values(event, *k.field);
        if (no_value(values))
            return MissExplanation{where + ": " + ev_.name(event) + " has no value for the join key " + k.text +
                                       " (an event without its join key is not taken; write ?" + k.text +
                                       " to join on null)",
                                   {k.text + " = " + ev_.values_text(event, *k.field)}};
    }
    return std::nullopt;
}

bool Explainer::keys_agree(const std::vector<KeyExpr>& a, size_t ea, const std::vector<KeyExpr>& b, size_t eb) const {
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        if (!a[i].field || !b[i].field) continue;
        const auto va = ev_.values(ea, *a[i].field);
        const auto vb = ev_.values(eb, *b[i].field);
        if (no_value(va) && no_value(vb)) continue;
        if (!same_key(va, vb)) return false;
    }
    return true;
}

void Explainer::actual_run(MissExplanation& out) {
    const auto run = ev_.run_query(text_);
    if (!run) return;
    // The alerts that share an event with the expected one: what came out instead (or the alert itself).
    std::vector<size_t> wanted;
    for (size_t e : expected_)
        if (e < ev_.size()) wanted.push_back(e);
    size_t shown = 0;
    bool fired = false;
    for (const auto& alert : run->alerts) {
        std::vector<size_t> real;
        for (size_t e : alert)
            if (e != SIZE_MAX) real.push_back(e);
        if (real == wanted) fired = true;
        if (std::none_of(real.begin(), real.end(),
                         [&](size_t e) { return std::find(wanted.begin(), wanted.end(), e) != wanted.end(); }))
            continue;
        std::vector<std::string> names;
        for (size_t e : alert) names.push_back(e == SIZE_MAX ? std::string("(missing)") : ev_.name(e));
        out.details.push_back("the query gave an alert with " + join(names, ", "));
        ++shown;
    }
    if (fired)
        out.summary =
            "the alert fired: the query gives an alert with exactly these events (with the query's own "
            "options; check the case's other settings)";
    out.details.push_back("the query gave " + std::to_string(run->alerts.size()) + " alert" +
                          (run->alerts.size() == 1 ? "" : "s") + " on the case's events" +
                          (shown ? "" : ", none with the expected events"));
    for (const auto& line : run->stage_lines) out.details.push_back(line);
}

std::optional<MissExplanation> out_of_range(const std::vector<size_t>& expected, size_t events) {
    for (size_t e : expected)
        if (e >= events)
            return MissExplanation{"expected event index " + std::to_string(e) + " is out of range (the case has " +
                                       std::to_string(events) + " events)",
                                   {}};
    return std::nullopt;
}

MissExplanation Explainer::run() {
    // A sequence's missing-event stages may hold anything: checked once mapped to the positive stages.
    if (q_.kind != ast::QueryKind::sequence)
        if (auto bad = out_of_range(expected_, ev_.size())) return *bad;
    switch (q_.kind) {
        case ast::QueryKind::event: return event_query();
        case ast::QueryKind::sequence: return sequence();
        case ast::QueryKind::sample: return sample();
    }
    return {};
}

MissExplanation Explainer::event_query() {
    if (expected_.size() != 1)
        return {"an event query's alert is one event; " + std::to_string(expected_.size()) + " were expected", {}};
    const size_t e = expected_[0];
    if (auto bad = unusable(e, "the query", true)) return *bad;
    MissExplanation out;
    if (auto miss = filter_miss(q_.event, e, "the query"))
        out = std::move(*miss);
    else
        out.summary = "the query's condition holds on " + ev_.name(e) +
                      ": the alert should have fired; check the case (its pipes, or the events' ids)";
    actual_run(out);
    return out;
}

MissExplanation Explainer::sample() {
    if (expected_.size() != q_.terms.size())
        return {"a sample of this query has " + std::to_string(q_.terms.size()) + " events; " +
                    std::to_string(expected_.size()) + " were expected",
                {}};
    MissExplanation out;
    for (size_t i = 0; i < q_.terms.size(); ++i) {
        const std::string where = "filter " + std::to_string(i + 1) + " [" + q_.terms[i].filter.category + "]";
        if (auto bad = unusable(expected_[i], where, false)) {
            out = std::move(*bad);
            actual_run(out);
            return out;
        }
        if (auto miss = filter_miss(q_.terms[i].filter, expected_[i], where)) {
            out = std::move(*miss);
            actual_run(out);
            return out;
        }
        if (auto miss = key_miss(keys_of(q_, q_.terms[i]), expected_[i], where)) {
            out = std::move(*miss);
            actual_run(out);
            return out;
        }
    }
    for (size_t i = 1; i < q_.terms.size(); ++i) {
        const auto k0 = keys_of(q_, q_.terms[0]);
        const auto ki = keys_of(q_, q_.terms[i]);
        for (size_t k = 0; k < k0.size() && k < ki.size(); ++k) {
            if (!k0[k].field || !ki[k].field) continue;
            if (keys_agree({k0[k]}, expected_[0], {ki[k]}, expected_[i])) continue;
            out.summary = "a different join key value: " + k0[k].text + " = " +
                          ev_.values_text(expected_[0], *k0[k].field) + " in " + ev_.name(expected_[0]) +
                          " (filter 1), " + ki[k].text + " = " + ev_.values_text(expected_[i], *ki[k].field) + " in " +
                          ev_.name(expected_[i]) + " (filter " + std::to_string(i + 1) + ")";
            actual_run(out);
            return out;
        }
    }
    for (size_t i = 0; i < expected_.size(); ++i)
        for (size_t j = i + 1; j < expected_.size(); ++j)
            if (expected_[i] == expected_[j]) {
                out.summary = ev_.name(expected_[i]) + " is expected for two filters; a sample uses each event once";
                actual_run(out);
                return out;
            }
    out.summary = "every filter passed and the join keys agree: the sample should have been found; check the case";
    actual_run(out);
    return out;
}

// a - b in nanoseconds as people read it: "3.2 s", "0.001 s", "20 s".
std::string duration_text(int64_t ns) {
    const bool negative = ns < 0;
    const uint64_t v = negative ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
    std::string frac = std::to_string(v % 1'000'000'000);
    frac.insert(0, 9 - frac.size(), '0');
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    return (negative ? "-" : "") + std::to_string(v / 1'000'000'000) + (frac.empty() ? "" : "." + frac) + " s";
}

// The engine's event order: time, then arrival (a tiebreaker field, when set, comes in between).
bool before(const CaseEvents& ev, size_t a, size_t b) {
    const int64_t ta = *ev.timestamp(a), tb = *ev.timestamp(b);
    return ta != tb ? ta < tb : a < b;
}

MissExplanation Explainer::sequence() {
    // Stages after `runs` expansion, as the matcher has them.
    std::vector<const ast::Term*> stages;
    for (const ast::Term& t : q_.terms)
        for (int64_t r = 0; r < std::max<int64_t>(1, t.runs.value_or(1)); ++r) stages.push_back(&t);
    std::vector<size_t> positive;  // stage index of each positive stage
    for (size_t i = 0; i < stages.size(); ++i)
        if (!stages[i]->missing) positive.push_back(i);
    std::vector<size_t> expected;  // per positive stage
    if (expected_.size() == positive.size()) {
        expected = expected_;
    } else if (expected_.size() == stages.size()) {
        for (size_t i : positive) expected.push_back(expected_[i]);
    } else {
        return {"this sequence has " + std::to_string(positive.size()) + " stages that take an event; " +
                    std::to_string(expected_.size()) + " events were expected",
                {}};
    }
    if (auto bad = out_of_range(expected, ev_.size())) return *bad;
    MissExplanation out;
    auto done = [&](MissExplanation m) {
        actual_run(m);
        return m;
    };
    auto where = [&](size_t p) { return stage_name(positive[p], *stages[positive[p]]); };

    for (size_t p = 0; p < expected.size(); ++p)
        if (auto bad = unusable(expected[p], where(p), true)) return done(*bad);
    for (size_t p = 0; p + 1 < expected.size(); ++p)
        for (size_t r = p + 1; r < expected.size(); ++r)
            if (expected[p] == expected[r])
                return done({ev_.name(expected[p]) + " is expected at " + where(p) + " and " + where(r) +
                                 ": one event fills one stage of a sequence",
                             {}});

    // Each event and its stage's filter, then its join keys.
    std::vector<std::vector<KeyExpr>> keys;
    for (size_t p = 0; p < expected.size(); ++p) {
        keys.push_back(keys_of(q_, *stages[positive[p]]));
        if (auto miss = filter_miss(stages[positive[p]]->filter, expected[p], where(p))) return done(*miss);
        if (auto miss = key_miss(keys[p], expected[p], where(p))) return done(*miss);
    }
    for (size_t p = 1; p < expected.size(); ++p)
        for (size_t k = 0; k < keys[0].size() && k < keys[p].size(); ++k) {
            if (!keys[0][k].field || !keys[p][k].field) continue;
            if (keys_agree({keys[0][k]}, expected[0], {keys[p][k]}, expected[p])) continue;
            return done({"a different join key value: " + keys[0][k].text + " = " +
                             ev_.values_text(expected[0], *keys[0][k].field) + " in " + ev_.name(expected[0]) + " (" +
                             where(0) + "), " + keys[p][k].text + " = " +
                             ev_.values_text(expected[p], *keys[p][k].field) + " in " + ev_.name(expected[p]) + " (" +
                             where(p) + ")",
                         {}});
        }

    // Order and maxspan.
    for (size_t p = 0; p + 1 < expected.size(); ++p) {
        const size_t a = expected[p], b = expected[p + 1];
        if (before(ev_, a, b)) continue;
        const int64_t ta = *ev_.timestamp(a), tb = *ev_.timestamp(b);
        MissExplanation m;
        if (ta != tb) {
            m.summary = "the expected events are not in stage order: " + ev_.name(b) + " (" + where(p + 1) + ") is " +
                        duration_text(ta - tb) + " before " + ev_.name(a) + " (" + where(p) + ")";
        } else {
            m.summary = ev_.name(a) + " (" + where(p) + ") and " + ev_.name(b) + " (" + where(p + 1) +
                        ") have the same timestamp, and events of equal time are taken in input order" +
                        (ev_.has_tiebreaker() ? " after the tiebreaker field" : "") + ": " + ev_.name(b) +
                        " comes first";
        }
        return done(m);
    }
    // In time order, but not in input order: the engine runs events as they come (unless told to sort them).
    for (size_t p = 0; p + 1 < expected.size(); ++p) {
        const size_t a = expected[p], b = expected[p + 1];
        if (b > a) continue;
        return done({ev_.name(b) + " (" + where(p + 1) + ") comes before " + ev_.name(a) + " (" + where(p) +
                         ") in the input, though it is " + duration_text(*ev_.timestamp(b) - *ev_.timestamp(a)) +
                         " later: events are run in input order (sort the case's events, or run with --sort)",
                     {}});
    }
    const int64_t first_ts = *ev_.timestamp(expected.front());
    const int64_t last_ts = *ev_.timestamp(expected.back());
    if (q_.maxspan) {
        const int64_t span = q_.maxspan->nanoseconds();
        if (last_ts - first_ts > span) {
            return done({"maxspan exceeded by " + duration_text(last_ts - first_ts - span) + ": " +
                             ev_.name(expected.back()) + " (" + where(expected.size() - 1) + ") is " +
                             duration_text(last_ts - first_ts) + " after " + ev_.name(expected.front()) + " (" +
                             where(0) + "), maxspan is " + duration_text(span),
                         {}});
        }
    }

    // What other events did. Until: an until event of the key in [stage p's event, stage p+1's event) ends it.
    if (q_.until) {
        const auto until_keys = keys_of(q_, *q_.until);
        const std::string until_text = stage_filter_text(q_.until->filter);
        for (size_t p = 0; p + 1 < expected.size(); ++p)
            for (size_t u = 0; u < ev_.size(); ++u) {
                if (!ev_.timestamp(u) || before(ev_, u, expected[p]) || !before(ev_, u, expected[p + 1])) continue;
                const auto held = ev_.holds(until_text, u);
                if (!held || !*held || !keys_agree(keys[p], expected[p], until_keys, u)) continue;
                return done({"until matched by " + ev_.name(u) + " between " + ev_.name(expected[p]) + " (" + where(p) +
                                 ") and " + ev_.name(expected[p + 1]) + " (" + where(p + 1) + ")",
                             {"until: " + brief(until_text, 400)}});
            }
    }
    // Missing-event terms, decided as the matcher does once the positive stages matched (sequence_matcher.cpp): an
    // intermediate term's event strictly between its neighbours' times refuses the sequence; a leading one (the
    // latest before the first event, arrived before the sequence completed) refuses it when within maxspan of the
    // last event, unless there are trailing terms, whose first event after completion decides instead, measured
    // from that leading event (or the first event). The hits must share the sequence's join key.
    const size_t completed_at = expected.back();  // the index of the event that completes the sequence
    const int64_t span = q_.maxspan ? q_.maxspan->nanoseconds() : INT64_MAX;
    auto within = [&](int64_t later, int64_t earlier) { return later - earlier <= span; };
    struct Hit {
        size_t stage = 0;
        size_t event = 0;
    };
    std::optional<Hit> leading, trailing;
    bool has_leading = false, has_trailing = false;
    for (size_t st = 0; st < stages.size(); ++st) {
        if (!stages[st]->missing) continue;
        const auto missing_keys = keys_of(q_, *stages[st]);
        const std::string text = stage_filter_text(stages[st]->filter);
        const auto before_it =
            static_cast<size_t>(std::count_if(positive.begin(), positive.end(), [&](size_t i) { return i < st; }));
        const bool is_leading = before_it == 0, is_trailing = before_it == expected.size();
        has_leading = has_leading || is_leading;
        has_trailing = has_trailing || is_trailing;
        for (size_t m = 0; m < ev_.size(); ++m) {
            if (!ev_.timestamp(m)) continue;
            const auto held = ev_.holds(text, m);
            if (!held || !*held || !keys_agree(keys[0], expected[0], missing_keys, m)) continue;
            const int64_t t = *ev_.timestamp(m);
            if (is_leading) {
                if (m < completed_at && t < first_ts && (!leading || t > *ev_.timestamp(leading->event)))
                    leading = Hit{st, m};
            } else if (is_trailing) {
                if (m > completed_at && t > last_ts && !trailing) trailing = Hit{st, m};
            } else if (m < completed_at) {
                const size_t lo = expected[before_it - 1], hi = expected[before_it];
                if (*ev_.timestamp(lo) < t && t < *ev_.timestamp(hi))
                    return done({"the missing-event " + stage_name(st, *stages[st]) + " occurred: " + ev_.name(m) +
                                     " matches it with the same join key, between " + ev_.name(lo) + " and " +
                                     ev_.name(hi),
                                 {"missing-event term: " + brief(text, 400)}});
            }
        }
    }
    auto occurred = [&](const Hit& h, const std::string& how) {
        return done({"the missing-event " + stage_name(h.stage, *stages[h.stage]) + " occurred: " + ev_.name(h.event) +
                         " matches it with the same join key, " + how,
                     {"missing-event term: " + brief(stage_filter_text(stages[h.stage]->filter), 400)}});
    };
    if (!(has_leading && !leading)) {
        if (leading && !has_trailing && within(last_ts, *ev_.timestamp(leading->event)))
            return occurred(*leading, duration_text(first_ts - *ev_.timestamp(leading->event)) + " before " +
                                          ev_.name(expected.front()) + ", within maxspan of " +
                                          ev_.name(expected.back()));
        const int64_t base = leading ? *ev_.timestamp(leading->event) : first_ts;
        if (has_trailing && trailing && within(*ev_.timestamp(trailing->event), base))
            return occurred(*trailing, duration_text(*ev_.timestamp(trailing->event) - last_ts) + " after " +
                                           ev_.name(expected.back()) + ", within maxspan of " +
                                           (leading ? ev_.name(leading->event) : ev_.name(expected.front())));
    }
    // A later event of the same key at stage p replaces the partial (only the newest one per key and stage is
    // kept); one at stage p + 1 before the expected one takes the partial and completes or advances without it.
    for (size_t p = 0; p + 1 < expected.size(); ++p) {
        const std::string this_stage = stage_filter_text(stages[positive[p]]->filter);
        const std::string next_stage = stage_filter_text(stages[positive[p + 1]]->filter);
        for (size_t o = 0; o < ev_.size(); ++o) {
            if (o == expected[p] || o == expected[p + 1] || !ev_.timestamp(o)) continue;
            if (!before(ev_, expected[p], o) || !before(ev_, o, expected[p + 1])) continue;
            const auto next = ev_.holds(next_stage, o);
            if (next && *next && keys_agree(keys[p], expected[p], keys[p + 1], o))
                return done({ev_.name(o) + " passed " + where(p + 1) + " with the same join key before " +
                                 ev_.name(expected[p + 1]) + ": it took the partial sequence of " +
                                 ev_.name(expected[p]) + " (each partial advances once)",
                             {}});
            const auto same = ev_.holds(this_stage, o);
            if (same && *same && keys_agree(keys[p], expected[p], keys[p], o))
                return done({ev_.name(o) + " passed " + where(p) + " with the same join key after " +
                                 ev_.name(expected[p]) + ": the newer partial sequence replaced it (one per key " +
                                 "and stage is kept)",
                             {}});
        }
    }
    out.summary = "every stage passed and the join keys agree: the alert should have fired; check the case";
    if (!q_.pipes.empty()) out.summary += " (or the query's pipes: head/tail keep only some alerts)";
    return done(out);
}

}  // namespace

std::vector<std::string> describe_stages(const QueryStageStats& q) {
    std::vector<std::string> lines;
    auto count = [](std::string& line, const char* what, uint64_t n) {
        if (n) line += "  " + std::string(what) + " " + std::to_string(n);
    };
    for (size_t i = 0; i < q.stages.size(); ++i) {
        const StageStats& st = q.stages[i];
        std::string line = "stage " + std::to_string(i + 1) + "  passed " + std::to_string(st.passed);
        count(line, "started", st.started);
        count(line, "advanced", st.advanced);
        count(line, "replaced", st.replaced);
        count(line, "expired", st.expired);
        count(line, "until", st.until);
        count(line, "evicted", st.evicted);
        count(line, "left at end", st.dropped_at_finish);
        count(line, "kept", st.kept);
        lines.push_back(std::move(line));
    }
    std::string last = "completed " + std::to_string(q.completed);
    count(last, "until events", q.until_events);
    count(last, "refused by a missing event", q.rejected_missing);
    lines.push_back(std::move(last));
    return lines;
}

MissExplanation explain_missing_alert(std::string_view query, const QueryOptions& options,
                                      const std::vector<std::string>& events, const std::vector<size_t>& expected,
                                      const WhyNotOptions& why_options) {
    try {
        syntax::ParseLimits limits;
        limits.max_depth = std::clamp<uint32_t>(options.max_depth, 1, kMaxQueryDepth);
        Diagnostics problems = check_query(query, options);
        std::erase_if(problems, [](const Diagnostic& d) { return d.severity != Severity::error; });
        if (!problems.empty()) {
            MissExplanation out{"the query is not valid: " + problems.front().message, {}};
            for (const auto& d : problems)
                out.details.push_back(std::to_string(d.span.begin.line) + ":" + std::to_string(d.span.begin.column) +
                                      ": " + d.message);
            return out;
        }
        syntax::ParseResult parsed = syntax::parse_query(query, limits);
        if (!parsed.ok()) return {"the query does not parse", {}};
        CaseEvents case_events(options, why_options, events);
        Explainer explainer(*parsed.query, query, case_events, expected);
        return explainer.run();
    } catch (const std::exception& e) {
        return {std::string("the explanation failed: ") + e.what(), {}};
    }
}

}  // namespace eqlc
