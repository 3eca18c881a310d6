// A JetStream stream as an event source (nats://HOST:PORT/STREAM?consumer=NAME&subjects=S1,S2).
//
// nats-server 2.9 filters a consumer by one subject only, so each subject gets its own durable pull consumer and
// the source merges what they deliver by stream sequence. Messages are acknowledged only by acknowledge(), that is
// after a checkpoint covering them; the position is the last stream sequence handed out per consumer, and after a
// restart messages at or below it are acknowledged without being run again.
#include <nats/nats.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <limits>
#include <thread>

#include "service/nats.hpp"
#include "service/nats_connection.hpp"

namespace eqlc::service {

namespace {

using nats_detail::Clock;
using nats_detail::NatsConnection;
using nats_detail::status_text;

// A server away this long is a failure the worker stops on (before that: retries and reports); retry= sets it.
constexpr auto kOutageLimit = std::chrono::seconds(60);
// Acknowledgements come only after checkpoints, so the server must wait long before redelivering.
constexpr int64_t kDefaultAckWaitMs = 5 * 60 * 1000;
// Deliveries a consumer leaves unacknowledged before it stops delivering (max_pending= sets it); the source asks
// for a checkpoint at half of it, so that the acknowledgements it brings keep the messages flowing.
constexpr int64_t kMaxAckPending = 100000;
constexpr int kMaxFetch = 4096;
// Probes (one per round, about 10 ms apart) that may find deliveries made but not received before the consumer is
// set up again: long enough for acknowledgements to be processed, short against the acknowledgement wait.
constexpr int kStuckProbes = 100;

struct Held {
    natsMsg* message = nullptr;
    uint64_t sequence = 0;
    uint64_t stamp = 0;  // the fetch that brought it
};

struct Consumer {
    std::string subject;  // the filter; empty for the whole stream
    std::string durable;
    natsSubscription* subscription = nullptr;
    std::deque<Held> held;   // fetched, not yet handed out
    uint64_t last = 0;       // the last stream sequence handed out or skipped
    uint64_t restored = 0;   // from the checkpoint: messages at or below it are not run again
    uint64_t acked = 0;      // the last stream sequence acknowledged (or covered by the restored checkpoint)
    uint64_t caught_up = 0;  // the stamp of the latest fetch that found nothing more waiting
    bool idle = true;        // ask before fetching (the latest fetch found nothing more waiting)
    uint64_t unacked = 0;    // deliveries received since the last acknowledge()
    int stuck = 0;           // probes in a row that found deliveries made but not received
};

std::string durable_for(const std::string& name, const std::string& subject) {
    std::string out = name + "_";
    for (const char c : subject)
        out.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ? c : '_');
    return out;
}

bool json_object(const char* data, int length) {
    for (int i = 0; i < length; ++i) {
        const char c = data[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        return c == '{';
    }
    return false;
}

class NatsSource final : public EventSource {
public:
    NatsSource(const NatsLocation& location, const Reporter& report, std::string stream, std::string consumer,
               std::vector<std::string> subjects, int64_t ack_wait_ms)
        : connection_(location, report),
          report_(report),
          stream_(std::move(stream)),
          name_(location.server_url() + "/" + stream_),
          ack_wait_ms_(ack_wait_ms) {
        if (subjects.empty()) subjects.emplace_back();
        for (auto& subject : subjects) {
            Consumer c;
            c.durable = subjects.size() == 1 ? consumer : durable_for(consumer, subject);
            c.subject = std::move(subject);
            consumers_.push_back(std::move(c));
        }
    }

    ~NatsSource() override {
        // Whatever was not acknowledged is redelivered to the next worker; nothing is acknowledged here.
        for (auto& c : consumers_) {
            for (auto& h : c.held) natsMsg_Destroy(h.message);
            if (c.subscription) natsSubscription_Destroy(c.subscription);
        }
    }

    Status next(EventBatch& batch, size_t max_events, std::chrono::milliseconds wait) override {
        if (failed_) return Status::failed;
        batch.origin = name_;
        batch.ordinals = true;
        const auto deadline = Clock::now() + wait;
        max_events = std::max<size_t>(max_events, 1);
        while (true) {
            std::string problem;
            size_t received = 0;
            if (const uint64_t reconnects = connection_.reconnects(); reconnects != reconnects_) {
                // Deliveries in flight when the connection broke are lost to us but pending on the server until
                // the acknowledgement wait: set the consumers up again so that they come now.
                reconnects_ = reconnects;
                reset();
            }
            if (!ready_ && setup(problem)) reconnects_ = connection_.reconnects();  // a fresh start
            if (ready_) {
                // Consumers are polled (an idle one is asked whether anything waits before it is fetched from),
                // busy ones first so that the idle ones' answers come after the messages they are compared with
                // (see hand_out).
                for (const bool idle : {false, true})
                    for (auto& c : consumers_)
                        if (problem.empty() && ready_ && c.idle == idle && c.held.size() < max_events)
                            received += fetch(c, max_events - c.held.size(), problem);
            }
            if (failed_) return Status::failed;  // a fault no retry mends (no such stream)
            if (problem.empty()) {
                down_since_.reset();
            } else if (!note_outage(problem)) {
                return Status::failed;
            }
            // A reconnect during the round may have lost deliveries a consumer counts as made: its answers are
            // not to be trusted until it is set up again (top of the loop).
            if (connection_.reconnects() != reconnects_) continue;
            hand_out(batch, max_events);
            if (!batch.empty()) return Status::events;
            if (Clock::now() >= deadline) return Status::idle;
            if (received == 0) {  // nothing came: give the producers a moment
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
                std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(problem.empty() ? 10 : 250)));
            }
        }
    }

    std::string error() const override { return error_; }
    void set_outage_limit(Clock::duration limit) {
        outage_limit_ = limit;
        connection_.set_budget(std::min<Clock::duration>(limit, nats_detail::kOperationBudget));
    }

    nlohmann::json position() const override {
        nlohmann::json consumers = nlohmann::json::object();
        for (const auto& c : consumers_) consumers[c.durable] = std::max(c.last, c.restored);
        return {{"stream", stream_}, {"consumers", consumers}};
    }

    bool restore(const nlohmann::json& position, std::string& error) override {
        if (!position.is_object() || !position.contains("stream") || !position["stream"].is_string() ||
            !position.contains("consumers") || !position["consumers"].is_object()) {
            error = name_ + ": the checkpoint's position is not a NATS stream position";
            return false;
        }
        if (position["stream"].get<std::string>() != stream_) {
            error = name_ + ": the checkpoint was taken on stream " + position["stream"].get<std::string>() + ", not " +
                    stream_;
            return false;
        }
        for (auto& c : consumers_) {
            const auto found = position["consumers"].find(c.durable);
            if (found != position["consumers"].end() && found->is_number_unsigned())
                c.restored = c.acked = found->get<uint64_t>();
        }
        return true;
    }

    bool acknowledge(std::string& error) override {
        if (acks_.empty()) return true;
        std::string problem;
        if (!connection_.ensure(problem, Clock::now() + std::chrono::seconds(5))) {
            error = name_ + ": cannot acknowledge " + std::to_string(acks_.size()) + " messages: " + problem;
            return false;
        }
        // An acknowledgement is a message to the delivery's reply subject; a flush makes sure the server has them.
        size_t done = 0;
        natsStatus status = NATS_OK;
        for (; done < acks_.size() && status == NATS_OK; ++done)
            status = natsConnection_PublishString(connection_.nc(), acks_[done].c_str(), "+ACK");
        if (status == NATS_OK) status = natsConnection_FlushTimeout(connection_.nc(), 10000);
        if (status != NATS_OK) {
            error = name_ + ": cannot acknowledge " + std::to_string(acks_.size()) +
                    " messages: " + status_text(status) + " (they are redelivered and skipped by position)";
            return false;
        }
        acks_.clear();
        for (auto& c : consumers_) {
            c.acked = std::max(c.acked, c.last);
            c.unacked = c.held.size();
        }
        return true;
    }

    bool wants_checkpoint() const override { return acks_.size() >= static_cast<size_t>(max_pending_ / 2); }
    void set_max_pending(int64_t max_pending) { max_pending_ = max_pending; }

    std::string name() const override { return name_; }

private:
    // True while the outage is still within its limit.
    bool note_outage(const std::string& problem) {
        if (!down_since_) {
            down_since_ = Clock::now();
            if (report_) report_(name_ + ": " + problem + "; retrying");
        }
        if (Clock::now() - *down_since_ < outage_limit_) return true;
        error_ = name_ + ": no server for " +
                 std::to_string(std::chrono::duration_cast<std::chrono::seconds>(outage_limit_).count()) +
                 " s: " + problem;
        failed_ = true;
        return false;
    }

    // The stream, the consumers (created when absent, or recreated from the checkpoint's position when an earlier
    // worker left deliveries unacknowledged, so they come again now rather than after the acknowledgement wait),
    // and a pull subscription on each.
    bool setup(std::string& problem) {
        if (!connection_.ensure(problem, Clock::now() + std::chrono::seconds(2))) return false;
        if (!connection_.connected()) {  // reconnecting: a request now would only wait for its timeout
            problem = "connection lost";
            return false;
        }
        jsStreamInfo* info = nullptr;
        jsErrCode code = static_cast<jsErrCode>(0);
        natsStatus status = js_GetStreamInfo(&info, connection_.js(), stream_.c_str(), nullptr, &code);
        if (status == NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
            fail("stream " + stream_ + " does not exist (create it with the subjects its producers publish to)");
            return false;
        }
        if (status != NATS_OK) {
            problem = "cannot read stream " + stream_ + ": " + status_text(status, code);
            return false;
        }
        jsStreamInfo_Destroy(info);
        for (auto& c : consumers_) {
            if (c.subscription) continue;
            if (!prepare_consumer(c, problem)) return false;
            jsSubOptions options;
            jsSubOptions_Init(&options);
            options.Stream = stream_.c_str();
            options.Consumer = c.durable.c_str();
            code = static_cast<jsErrCode>(0);
            status = js_PullSubscribe(&c.subscription, connection_.js(), c.subject.empty() ? ">" : c.subject.c_str(),
                                      c.durable.c_str(), nullptr, &options, &code);
            if (status != NATS_OK) {
                c.subscription = nullptr;
                problem = "cannot subscribe to consumer " + c.durable + ": " + status_text(status, code);
                return false;
            }
        }
        ready_ = true;
        return true;
    }

    bool prepare_consumer(Consumer& c, std::string& problem) {
        jsConsumerInfo* info = nullptr;
        jsErrCode code = static_cast<jsErrCode>(0);
        natsStatus status =
            js_GetConsumerInfo(&info, connection_.js(), stream_.c_str(), c.durable.c_str(), nullptr, &code);
        // Never ahead of what is acknowledged: a worker that dies before its next checkpoint must leave the rest
        // to be delivered again. Deliveries at or below `last` that come again are skipped by take().
        uint64_t start = c.acked + 1;
        if (status == NATS_OK) {
            const std::string filter = info->Config && info->Config->FilterSubject ? info->Config->FilterSubject : "";
            const bool unacknowledged = info->NumAckPending > 0 || info->NumWaiting > 0;
            if (!c.acked) start = info->AckFloor.Stream + 1;
            jsConsumerInfo_Destroy(info);
            if (filter != c.subject) {
                fail("consumer " + c.durable + " exists with filter '" + filter + "', not '" + c.subject +
                     "'; delete it or name another consumer");
                return false;
            }
            if (!unacknowledged) return true;
            code = static_cast<jsErrCode>(0);
            status = js_DeleteConsumer(connection_.js(), stream_.c_str(), c.durable.c_str(), nullptr, &code);
            if (status != NATS_OK && status != NATS_NOT_FOUND) {
                problem = "cannot reset consumer " + c.durable + ": " + status_text(status, code);
                return false;
            }
        } else if (status != NATS_NOT_FOUND && code != JSConsumerNotFoundErr) {
            problem = "cannot read consumer " + c.durable + ": " + status_text(status, code);
            return false;
        }
        jsConsumerConfig config;
        jsConsumerConfig_Init(&config);
        config.Durable = c.durable.c_str();
        if (!c.subject.empty()) config.FilterSubject = c.subject.c_str();
        config.AckPolicy = js_AckExplicit;
        config.AckWait = ack_wait_ms_ * 1000 * 1000;
        config.MaxAckPending = max_pending_;
        config.MaxDeliver = -1;
        if (start > 1) {
            config.DeliverPolicy = js_DeliverByStartSequence;
            config.OptStartSeq = start;
        } else {
            config.DeliverPolicy = js_DeliverAll;
        }
        code = static_cast<jsErrCode>(0);
        status = js_AddConsumer(&info, connection_.js(), stream_.c_str(), &config, nullptr, &code);
        if (status != NATS_OK) {
            problem = "cannot create consumer " + c.durable + ": " + status_text(status, code);
            return false;
        }
        jsConsumerInfo_Destroy(info);
        return true;
    }

    // Drops the subscriptions so that the next round sets the consumers up again from where they were.
    void reset() {
        for (auto& c : consumers_) {
            for (auto& h : c.held) natsMsg_Destroy(h.message);
            c.held.clear();
            c.unacked = 0;
            c.idle = true;
            c.stuck = 0;
            if (c.subscription) natsSubscription_Destroy(c.subscription);
            c.subscription = nullptr;
        }
        ready_ = false;
    }

    void fail(std::string message) {
        error_ = name_ + ": " + std::move(message);
        failed_ = true;
    }

    // What is waiting on the consumer, up to `count`. A consumer found idle last time is first asked (consumer
    // info) whether anything waits; it is caught up when nothing waits and every delivery it made has arrived here.
    // (A delivery can be lost on its way: the client drops what comes after its request timed out. The server then
    // counts it as pending until the acknowledgement wait; a consumer that stays like that is set up again.)
    size_t fetch(Consumer& c, size_t count, std::string& problem) {
        const int batch = static_cast<int>(std::min<size_t>(count, kMaxFetch));
        if (!connection_.connected()) {
            problem = "connection lost";
            return 0;
        }
        const uint64_t stamp = ++stamps_;
        jsErrCode code = static_cast<jsErrCode>(0);
        if (c.idle) {
            jsConsumerInfo* info = nullptr;
            const natsStatus status =
                js_GetConsumerInfo(&info, connection_.js(), stream_.c_str(), c.durable.c_str(), nullptr, &code);
            if (status != NATS_OK) {
                problem = "cannot read consumer " + c.durable + ": " + status_text(status, code);
                if (connection_.connected() && (status == NATS_NOT_FOUND || code == JSConsumerNotFoundErr)) reset();
                return 0;
            }
            const bool nothing = info->NumPending == 0;
            const bool in_flight = info->NumAckPending > static_cast<int64_t>(c.unacked);
            jsConsumerInfo_Destroy(info);
            if (nothing && !in_flight) {
                c.caught_up = stamp;
                c.stuck = 0;
                return 0;
            }
            if (nothing) {
                if (++c.stuck >= kStuckProbes) reset();
                return 0;
            }
        }
        jsFetchRequest request;
        jsFetchRequest_Init(&request);
        request.Batch = batch;
        // With Expires, nats-server 2.9 answers a NoWait request at once when messages wait; the generous
        // expiry only guards against a slow client giving up on messages already on their way.
        request.NoWait = true;
        request.Expires = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::seconds(2)).count();
        natsMsgList list{nullptr, 0};
        const natsStatus status = natsSubscription_FetchRequest(&list, c.subscription, &request);
        connection_.drain_events();
        if (status != NATS_OK && status != NATS_TIMEOUT && status != NATS_NOT_FOUND) {
            natsMsgList_Destroy(&list);
            problem = "cannot fetch from consumer " + c.durable + ": " + status_text(status, code);
            if (connection_.connected()) reset();  // the consumer may be gone: set it up again
            return 0;
        }
        if (status != NATS_OK && !connection_.connected()) {
            natsMsgList_Destroy(&list);
            problem = "connection lost";
            return 0;
        }
        const size_t received = static_cast<size_t>(list.Count);
        c.idle = list.Count < batch;
        c.unacked += received;
        for (int i = 0; i < list.Count; ++i) {
            jsMsgMetaData* meta = nullptr;
            if (natsMsg_GetMetaData(&meta, list.Msgs[i]) != NATS_OK) continue;  // not a JetStream delivery
            c.held.push_back({list.Msgs[i], meta->Sequence.Stream, stamp});
            list.Msgs[i] = nullptr;
            jsMsgMetaData_Destroy(meta);
        }
        natsMsgList_Destroy(&list);
        // Redeliveries can arrive behind newer messages.
        std::stable_sort(c.held.begin(), c.held.end(),
                         [](const Held& a, const Held& b) { return a.sequence < b.sequence; });
        return received;
    }

    // Hands out held messages in stream order. A message may go only when no other consumer can still deliver an
    // older one: each other consumer either holds a later message or was found caught up after it was fetched
    // (messages on its subject older than this one were stored before it, so that fetch would have brought them).
    void hand_out(EventBatch& batch, size_t max_events) {
        while (batch.size() < max_events) {
            Consumer* from = nullptr;
            for (auto& c : consumers_)
                if (!c.held.empty() && (!from || c.held.front().sequence < from->held.front().sequence)) from = &c;
            if (!from) return;
            const Held& head = from->held.front();
            for (const auto& c : consumers_)
                if (&c != from && c.held.empty() && c.caught_up <= head.stamp) return;
            Held h = head;
            from->held.pop_front();
            take(*from, h, batch);
        }
    }

    void take(Consumer& c, const Held& h, EventBatch& batch) {
        if (const char* reply = natsMsg_GetReply(h.message)) acks_.emplace_back(reply);
        const char* data = natsMsg_GetData(h.message);
        const int length = natsMsg_GetDataLength(h.message);
        if (h.sequence <= c.last || h.sequence <= c.restored) {
            // A redelivery, or covered by the checkpoint: acknowledged, not run again.
        } else if (!data || length <= 0 || !json_object(data, length)) {
            if (report_) {
                const char* subject = natsMsg_GetSubject(h.message);
                report_(name_ + ": message " + std::to_string(h.sequence) + " on " + (subject ? subject : "?") +
                        (length <= 0 ? ": empty" : ": not a JSON object") + "; skipped");
            }
            c.last = h.sequence;
        } else {
            batch.add(std::string_view(data, static_cast<size_t>(length)), h.sequence);
            c.last = h.sequence;
        }
        natsMsg_Destroy(h.message);
    }

    NatsConnection connection_;
    Reporter report_;
    std::string stream_;
    std::string name_;
    int64_t ack_wait_ms_;
    Clock::duration outage_limit_ = kOutageLimit;
    int64_t max_pending_ = kMaxAckPending;
    std::vector<Consumer> consumers_;
    std::vector<std::string> acks_;  // reply subjects of what was handed out or skipped since acknowledge()
    uint64_t stamps_ = 0;
    uint64_t reconnects_ = 0;
    bool ready_ = false;
    bool failed_ = false;
    std::string error_;
    std::optional<Clock::time_point> down_since_;
};

}  // namespace

std::unique_ptr<EventSource> make_nats_source(const NatsLocation& location, const Reporter& report,
                                              std::string& error) {
    const std::string where = location.server_url() + (location.path.empty() ? "" : "/" + location.path[0]);
    if (location.path.size() != 1) {
        error = where + ": nats://HOST:PORT/STREAM?consumer=NAME[&subjects=S1,S2] expected for a source";
        return nullptr;
    }
    const std::string consumer = location.param("consumer");
    if (consumer.empty()) {
        error = where + ": consumer=NAME is required (the durable consumer that keeps this worker's place)";
        return nullptr;
    }
    for (const char c : consumer)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) {
            error = where + ": consumer name '" + consumer + "' may hold only letters, digits, '-' and '_'";
            return nullptr;
        }
    std::vector<std::string> subjects;
    const std::string list = location.param("subjects");
    for (size_t at = 0; at <= list.size() && !list.empty();) {
        const size_t comma = std::min(list.find(',', at), list.size());
        std::string subject = list.substr(at, comma - at);
        if (subject.empty()) {
            error = where + ": an empty subject in subjects=" + list;
            return nullptr;
        }
        if (std::find(subjects.begin(), subjects.end(), subject) == subjects.end())
            subjects.push_back(std::move(subject));
        at = comma + 1;
    }
    int64_t ack_wait_ms = kDefaultAckWaitMs;
    if (const std::string text = location.param("ack_wait"); !text.empty()) {
        char* end = nullptr;
        const double seconds = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0' || !(seconds > 0) || seconds > 86400) {
            error = where + ": ack_wait=" + text + ": a number of seconds expected";
            return nullptr;
        }
        ack_wait_ms = static_cast<int64_t>(seconds * 1000);
    }
    int64_t max_pending = kMaxAckPending;
    if (const std::string text = location.param("max_pending"); !text.empty()) {
        char* end = nullptr;
        const long long value = std::strtoll(text.c_str(), &end, 10);
        if (end == text.c_str() || *end != '\0' || value < 2 || value > 10000000) {
            error = where + ": max_pending=" + text + ": a number from 2 to 10000000 expected";
            return nullptr;
        }
        max_pending = value;
    }
    for (const auto& [key, value] : location.params)
        if (key != "consumer" && key != "subjects" && key != "ack_wait" && key != "retry" && key != "max_pending") {
            error = where + ": unknown parameter '" + key +
                    "' (consumer=, subjects=, ack_wait=, max_pending=, retry= are known)";
            return nullptr;
        }
    Clock::duration outage_limit;
    if (!nats_detail::retry_budget(location, kOutageLimit, outage_limit, error)) return nullptr;
    auto made =
        std::make_unique<NatsSource>(location, report, location.path[0], consumer, std::move(subjects), ack_wait_ms);
    made->set_outage_limit(outage_limit);
    made->set_max_pending(max_pending);
    return made;
}

}  // namespace eqlc::service
