// Alerts published to a JetStream subject (nats://HOST:PORT/SUBJECT), each with the header Nats-Msg-Id: its id,
// so that a stream with a duplicate window keeps an alert once however often a replaying worker publishes it.
//
// Publications are asynchronous; flush() waits for every acknowledgement and publishes again what failed or timed
// out. The sink keeps its own copy of every alert since the last successful flush, so a retry does not depend on
// the client handing failed messages back.
#include <nats/nats.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "service/nats.hpp"
#include "service/nats_connection.hpp"

namespace eqlc::service {

namespace {

using nats_detail::Backoff;
using nats_detail::Clock;
using nats_detail::NatsConnection;
using nats_detail::status_text;

constexpr const char* kIdHeader = "Nats-Msg-Id";
constexpr int kFlushAttempts = 7;  // with the backoff, about 5 s

// Failures the client's thread reports, collected until flush() looks at them.
struct Failures {
    std::mutex mutex;
    std::unordered_set<std::string> ids;
    natsStatus status = NATS_OK;
    std::string text;

    static void on_error(jsCtx*, jsPubAckErr* failure, void* closure) {
        auto* self = static_cast<Failures*>(closure);
        const char* id = nullptr;
        if (failure->Msg) natsMsgHeader_Get(failure->Msg, kIdHeader, &id);
        std::lock_guard lock(self->mutex);
        if (id) self->ids.insert(id);
        self->status = failure->Err;
        self->text = failure->ErrText && *failure->ErrText ? failure->ErrText : natsStatus_GetText(failure->Err);
        if (failure->ErrCode != 0)
            self->text += " [JetStream error " + std::to_string(static_cast<int>(failure->ErrCode)) + "]";
    }
};

class NatsAlertSink final : public AlertSink {
public:
    NatsAlertSink(const NatsLocation& location, const Reporter& report, std::string subject, Clock::duration budget)
        : failures_(std::make_unique<Failures>()),
          connection_(location, report),
          subject_(std::move(subject)),
          name_(location.server_url() + "/" + subject_) {
        connection_.set_budget(budget);
        Failures* failures = failures_.get();
        connection_.configure_jetstream([failures](jsOptions& options) {
            options.PublishAsync.ErrHandler = &Failures::on_error;
            options.PublishAsync.ErrHandlerClosure = failures;
            options.PublishAsync.MaxPending = 10000;
            options.PublishAsync.StallWait = 5000;
        });
    }

    bool write(const Alert& alert, std::string& error) override {
        std::string id(alert.id);
        if (id.empty()) {
            error = name_ + ": an alert without an id cannot be de-duplicated";
            return false;
        }
        auto [at, inserted] = unflushed_.try_emplace(std::move(id), alert.line);
        if (!inserted) at->second = alert.line;
        // A publication that fails now is published again by flush(), which also says why if it keeps failing.
        std::string ignored;
        publish(at->first, at->second, ignored);
        return true;
    }

    bool flush(std::string& error) override {
        if (unflushed_.empty()) return true;
        Backoff backoff;
        const auto deadline = Clock::now() + connection_.budget();
        std::string last_problem;
        for (int attempt = 1;; ++attempt) {
            std::unordered_set<std::string> again;
            std::string problem;
            natsStatus failure = NATS_OK;
            if (!connection_.ensure(problem, deadline)) {
                error = name_ + ": cannot publish " + std::to_string(unflushed_.size()) + " alerts: " + problem;
                return false;
            }
            jsPubOptions options;
            jsPubOptions_Init(&options);
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            options.MaxWait = std::clamp<int64_t>(left.count(), 100, 5000);
            const natsStatus status = js_PublishAsyncComplete(connection_.js(), &options);
            connection_.drain_events();
            if (status != NATS_OK) {
                // Those not acknowledged in time come back to us: publish them again (the server drops duplicates).
                natsMsgList pending{nullptr, 0};
                if (js_PublishAsyncGetPendingList(&pending, connection_.js()) == NATS_OK) {
                    for (int i = 0; i < pending.Count; ++i) {
                        const char* id = nullptr;
                        if (pending.Msgs[i] && natsMsgHeader_Get(pending.Msgs[i], kIdHeader, &id) == NATS_OK && id)
                            again.insert(id);
                    }
                    natsMsgList_Destroy(&pending);
                }
                problem = "no acknowledgement: " + status_text(status);
                failure = status;
            }
            {
                std::lock_guard lock(failures_->mutex);
                again.insert(failures_->ids.begin(), failures_->ids.end());
                if (!failures_->ids.empty()) {
                    problem = failures_->text;
                    failure = failures_->status;
                }
                failures_->ids.clear();
            }
            for (const auto& id : not_sent_) again.insert(id);
            not_sent_.clear();
            if (again.empty() && status == NATS_OK) {
                unflushed_.clear();
                return true;
            }
            if (failure == NATS_NO_RESPONDERS)
                problem = "no JetStream stream captures subject " + subject_ +
                          "; create one with a duplicate window (e.g. nats stream add ALERTS --subjects '" + subject_ +
                          "' --dupe-window 2h)";
            last_problem = problem;
            if (attempt >= kFlushAttempts || Clock::now() >= deadline) {
                error = name_ + ": " + std::to_string(again.size()) + " alerts not stored after " +
                        std::to_string(attempt) + " attempts: " + last_problem;
                return false;
            }
            if (connection_.report())
                connection_.report()(name_ + ": " + std::to_string(again.size()) + " alerts not stored (" + problem +
                                     "), publishing them again");
            backoff.sleep_before(deadline);
            for (const auto& id : again) {
                const auto found = unflushed_.find(id);
                if (found != unflushed_.end()) publish(found->first, found->second, problem);
            }
        }
    }

    std::string name() const override { return name_; }

private:
    bool publish(const std::string& id, const std::string& line, std::string& error) {
        std::string problem;
        if (!connection_.ensure(problem, Clock::now() + std::chrono::seconds(2))) {
            not_sent_.insert(id);
            error = problem;
            return false;
        }
        natsMsg* message = nullptr;
        natsStatus status =
            natsMsg_Create(&message, subject_.c_str(), nullptr, line.data(), static_cast<int>(line.size()));
        if (status == NATS_OK) status = natsMsgHeader_Set(message, kIdHeader, id.c_str());
        if (status == NATS_OK) status = js_PublishMsgAsync(connection_.js(), &message, nullptr);
        if (message) natsMsg_Destroy(message);  // still ours only when the publication did not take it
        if (status != NATS_OK) {
            not_sent_.insert(id);
            error = name_ + ": cannot publish: " + status_text(status);
            return false;
        }
        return true;
    }

    // Declared before the connection so that it outlives the JetStream context whose callback writes to it.
    std::unique_ptr<Failures> failures_;
    NatsConnection connection_;
    std::string subject_;
    std::string name_;
    std::unordered_map<std::string, std::string> unflushed_;  // id -> line, since the last successful flush
    std::unordered_set<std::string> not_sent_;                // publications the client did not even take
};

}  // namespace

std::unique_ptr<AlertSink> make_nats_alert_sink(const NatsLocation& location, const Reporter& report,
                                                std::string& error) {
    if (location.path.size() != 1) {
        error = location.server_url() + ": nats://HOST:PORT/SUBJECT[?retry=SECONDS] expected for alerts";
        return nullptr;
    }
    for (const auto& param : location.params)
        if (param.first != "retry") {
            error = location.server_url() + ": unknown parameter '" + param.first + "' (retry= is known)";
            return nullptr;
        }
    Clock::duration budget;
    if (!nats_detail::retry_budget(location, nats_detail::kOperationBudget, budget, error)) return nullptr;
    const std::string& subject = location.path[0];
    for (const char c : subject)
        if (c == ' ' || c == '\t' || c == '*' || c == '>' || static_cast<unsigned char>(c) < 0x20) {
            error = location.server_url() + "/" + subject + ": a subject to publish to has no spaces or wildcards";
            return nullptr;
        }
    return std::make_unique<NatsAlertSink>(location, report, subject, budget);
}

}  // namespace eqlc::service
