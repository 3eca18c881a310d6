// The worker loop: sources -> engine -> sink, with checkpoints (see worker.hpp).
#include "service/worker.hpp"

#include <algorithm>
#include <map>

namespace eqlc::service {

namespace {

using Clock = std::chrono::steady_clock;

// The checkpoint's layout: kCheckpointMagic, then two parts, each an 8-byte little-endian length and its bytes: a
// JSON object {identity: {rules: [[name, text]...], options}, sources, sink}, then the engine's snapshot, as it is
// (it is most of the bytes: copied once, not re-encoded).
constexpr std::string_view kCheckpointMagic = "eqlc-state-2\n";

void put_part(std::string& out, std::string_view part) {
    uint64_t n = part.size();
    for (int i = 0; i < 8; ++i, n >>= 8) out.push_back(static_cast<char>(n & 0xff));
    out.append(part);
}

bool take_part(std::string_view& in, std::string_view& part) {
    if (in.size() < 8) return false;
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(in[static_cast<size_t>(i)]);
    in.remove_prefix(8);
    if (n > in.size()) return false;
    part = in.substr(0, n);
    in.remove_prefix(n);
    return true;
}

// How long one source may keep the worker waiting when it has nothing: short enough that a stop, a checkpoint or
// another source is seen soon.
constexpr std::chrono::milliseconds kWaitOne{200};
constexpr std::chrono::milliseconds kWaitEach{20};  // with several sources, per source and round

std::string value_text(const nlohmann::json& v) {
    if (v.is_null()) return "none";
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
}

}  // namespace

std::string encode_checkpoint(const Checkpoint& c) {
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& [name, text] : c.identity.rules) rules.push_back({name, text});
    const nlohmann::json head = {{"identity", {{"rules", std::move(rules)}, {"options", c.identity.options}}},
                                 {"sources", c.sources},
                                 {"sink", c.sink}};
    const std::string head_text = head.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string out;
    out.reserve(kCheckpointMagic.size() + 16 + head_text.size() + c.engine.size());
    out.append(kCheckpointMagic);
    put_part(out, head_text);
    put_part(out, c.engine);
    return out;
}

bool decode_checkpoint(std::string_view bytes, Checkpoint& out, std::string& error) {
    std::string_view head_text, engine;
    if (bytes.substr(0, kCheckpointMagic.size()) != kCheckpointMagic) {
        error = "not an eqlc state (or one written by another version of eqlc)";
        return false;
    }
    bytes.remove_prefix(kCheckpointMagic.size());
    const nlohmann::json head = take_part(bytes, head_text) && take_part(bytes, engine) && bytes.empty()
                                    ? nlohmann::json::parse(head_text, nullptr, false)
                                    : nlohmann::json(nlohmann::json::value_t::discarded);
    if (head.is_discarded() || !head.is_object()) {
        error = "a damaged eqlc state (cut short or changed)";
        return false;
    }
    try {
        out.identity.rules.clear();
        for (const auto& r : head.at("identity").at("rules"))
            out.identity.rules.emplace_back(r.at(0).get<std::string>(), r.at(1).get<std::string>());
        out.identity.options = head.at("identity").at("options");
        out.engine.assign(engine);
        out.sources = head.at("sources");
        out.sink = head.at("sink");
    } catch (const nlohmann::json::exception& e) {
        error = std::string("a damaged eqlc state: ") + e.what();
        return false;
    }
    return true;
}

std::string identity_difference(const StateIdentity& saved, const StateIdentity& now) {
    std::vector<std::string> differences;
    std::map<std::string, const std::string*> before, after;
    for (const auto& [name, text] : saved.rules) before[name] = &text;
    for (const auto& [name, text] : now.rules) after[name] = &text;
    for (const auto& [name, text] : after) {
        const auto it = before.find(name);
        if (it == before.end())
            differences.push_back("rule '" + name + "' is new");
        else if (*it->second != *text)
            differences.push_back("rule '" + name + "' has another query");
    }
    for (const auto& [name, text] : before)
        if (!after.count(name)) differences.push_back("rule '" + name + "' is not loaded now");
    if (differences.empty() && saved.rules != now.rules) differences.push_back("the rules are in another order");
    constexpr size_t kShown = 5;
    if (differences.size() > kShown) {
        const size_t more = differences.size() - kShown;
        differences.resize(kShown);
        differences.push_back("and " + std::to_string(more) + " more rule differences");
    }
    std::map<std::string, std::pair<nlohmann::json, nlohmann::json>> options;
    for (const auto& [key, value] : saved.options.items()) options[key].first = value;
    for (const auto& [key, value] : now.options.items()) options[key].second = value;
    for (const auto& [key, values] : options)
        if (values.first != values.second)
            differences.push_back("option " + key + ": " + value_text(values.first) + " then, " +
                                  value_text(values.second) + " now");
    std::string out;
    for (const auto& d : differences) out += (out.empty() ? "" : "; ") + d;
    return out;
}

struct Worker::Impl {
    Impl(Engine& e, std::vector<std::unique_ptr<EventSource>> s, AlertSink& k, StateStore* st, StateIdentity id,
         WorkerOptions o, Reporter r)
        : engine(e),
          sources(std::move(s)),
          sink(k),
          store(st),
          identity(std::move(id)),
          options(o),
          report(std::move(r)) {}

    Engine& engine;
    std::vector<std::unique_ptr<EventSource>> sources;
    AlertSink& sink;
    StateStore* store;
    StateIdentity identity;
    WorkerOptions options;
    Reporter report;
    WorkerStats stats;
    // Positions of sources that are not running now (files of another run): kept in every checkpoint, so that a
    // state carried over several runs still knows them.
    nlohmann::json other_positions = nlohmann::json::object();
    bool dirty = false;  // events run since the last checkpoint

    bool stopped() const { return options.stop && options.stop->load(); }
};

Worker::Worker(Engine& engine, std::vector<std::unique_ptr<EventSource>> sources, AlertSink& sink, StateStore* store,
               StateIdentity identity, WorkerOptions options, Reporter report)
    : impl_(std::make_unique<Impl>(engine, std::move(sources), sink, store, std::move(identity), options,
                                   std::move(report))) {
    if (!impl_->report) impl_->report = [](std::string_view) {};
}

Worker::~Worker() = default;

const WorkerStats& Worker::stats() const { return impl_->stats; }

bool Worker::restore(std::string& error) {
    Impl& w = *impl_;
    if (!w.store) return true;
    std::optional<std::string> bytes;
    if (!w.store->load(bytes, error)) {
        error = "cannot read state " + w.store->name() + ": " + error;
        return false;
    }
    if (!bytes) return true;  // no state yet: a fresh start
    Checkpoint c;
    const std::string fresh = "; to start fresh, remove it or give another --state";
    if (!decode_checkpoint(*bytes, c, error)) {
        error = "state " + w.store->name() + ": " + error + fresh;
        return false;
    }
    const std::string difference = identity_difference(c.identity, w.identity);
    if (!difference.empty()) {
        error = "state " + w.store->name() + " was saved for other rules or options (" + difference + ")" + fresh;
        return false;
    }
    Diagnostic problem;
    if (!w.engine.restore(c.engine, &problem)) {
        error = "state " + w.store->name() + ": " + problem.message + fresh;
        return false;
    }
    w.other_positions = c.sources.is_object() ? c.sources : nlohmann::json::object();
    for (auto& source : w.sources) {
        const std::string name = source->name();
        const auto it = w.other_positions.find(name);
        if (it == w.other_positions.end()) continue;
        if (!source->restore(*it, error)) {
            error = "state " + w.store->name() + ": " + name + ": " + error + fresh;
            return false;
        }
        w.other_positions.erase(it);
    }
    if (!w.sink.restore(c.sink, error)) {
        error = "state " + w.store->name() + ": " + w.sink.name() + ": " + error;
        return false;
    }
    w.stats.restored = true;
    return true;
}

bool Worker::checkpoint(std::string& error) {
    Impl& w = *impl_;
    const auto started = Clock::now();
    if (!w.sink.flush(error)) {
        error = "cannot store alerts in " + w.sink.name() + ": " + error;
        return false;
    }
    if (w.store) {
        Checkpoint c;
        c.identity = w.identity;
        Diagnostic problem;
        if (!w.engine.snapshot(c.engine, &problem)) {
            error = "cannot take the engine's state: " + problem.message;
            return false;
        }
        c.sources = w.other_positions;
        for (const auto& source : w.sources) c.sources[source->name()] = source->position();
        c.sink = w.sink.position();
        const std::string bytes = encode_checkpoint(c);
        if (!w.store->save(bytes, error)) {
            error = "cannot save state " + w.store->name() + ": " + error;
            return false;
        }
        w.stats.last_checkpoint_bytes = bytes.size();
    }
    // Only now is everything handed out safe: the sources may forget it.
    for (const auto& source : w.sources) {
        std::string why;
        if (!source->acknowledge(why)) w.report(source->name() + ": cannot acknowledge input: " + why);
    }
    w.dirty = false;
    ++w.stats.checkpoints;
    w.stats.last_checkpoint_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    w.stats.total_checkpoint_ms += w.stats.last_checkpoint_ms;
    return true;
}

Worker::End Worker::run(std::string& error) {
    Impl& w = *impl_;
    std::vector<EventSource*> active;
    for (const auto& s : w.sources) active.push_back(s.get());
    EventBatch batch;
    auto last_checkpoint = Clock::now();
    auto last_input = Clock::now();
    size_t turn = 0;
    auto end_with_checkpoint = [&](End end) {
        if (!checkpoint(error)) return End::failed;
        return end;
    };

    while (true) {
        if (w.stopped()) return end_with_checkpoint(End::stopped);
        if (active.empty()) {
            if (w.options.finish_at_end) w.engine.finish();
            return end_with_checkpoint(End::input_ended);
        }
        EventSource& source = *active[turn % active.size()];
        batch.clear();
        const auto wait = active.size() == 1 ? kWaitOne : kWaitEach;
        switch (source.next(batch, w.options.batch_events, wait)) {
            case EventSource::Status::events: {
                PushOptions push;
                push.origin = batch.origin;
                push.lines = batch.lines;
                push.lines_are_ordinals = batch.ordinals;
                w.engine.push_ndjson(batch.text, push);
                ++w.stats.batches;
                w.dirty = true;
                last_input = Clock::now();
                break;  // the same source again: it may have more
            }
            case EventSource::Status::idle: ++turn; break;
            case EventSource::Status::ended:
                active.erase(active.begin() + static_cast<std::ptrdiff_t>(turn % active.size()));
                break;
            case EventSource::Status::failed: {
                error = source.name() + ": " + source.error();
                // Keep what was run: the other sources' progress and the engine's state are still good.
                std::string why;
                if (!checkpoint(why)) w.report("no checkpoint after the failure: " + why);
                return End::failed;
            }
        }
        const auto now = Clock::now();
        const bool due = w.dirty && now - last_checkpoint >= w.options.checkpoint_interval;
        const bool wanted = std::any_of(active.begin(), active.end(), [](auto* s) { return s->wants_checkpoint(); });
        if (due || wanted) {
            if (!checkpoint(error)) return End::failed;
            last_checkpoint = Clock::now();
        }
        if (w.options.idle_exit && now - last_input >= *w.options.idle_exit) return end_with_checkpoint(End::idle);
    }
}

}  // namespace eqlc::service
