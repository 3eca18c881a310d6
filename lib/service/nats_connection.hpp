// One NATS connection with its JetStream context, shared by the NATS state store, source and sink: connecting
// with retries and backoff, reconnecting in the background, and saying so through the Reporter on the caller's
// thread. Every failure becomes a message that names the server and what failed.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "service/nats.hpp"

namespace eqlc::service::nats_detail {

using Clock = std::chrono::steady_clock;

// How long one operation (connect, a key-value read or write, a consumer lookup) is retried before it fails.
inline constexpr auto kOperationBudget = std::chrono::seconds(30);

// 100 ms, doubling up to 2 s: quick when a server blinks, gentle while it stays away.
class Backoff {
public:
    std::chrono::milliseconds next() {
        const auto now = delay_;
        delay_ = std::min(delay_ * 2, std::chrono::milliseconds(2000));
        return now;
    }
    void sleep_before(Clock::time_point deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        std::this_thread::sleep_for(std::max(std::chrono::milliseconds(0), std::min(next(), left)));
    }

private:
    std::chrono::milliseconds delay_{100};
};

// The location's retry=SECONDS: how long an operation is retried (or a source waits out an outage) before it
// fails. False with `error` for a value that is not a positive number of seconds.
bool retry_budget(const NatsLocation& location, Clock::duration fallback, Clock::duration& out, std::string& error);

// The status, the client's last error when it says more, and the JetStream error code when there is one.
std::string status_text(natsStatus status, jsErrCode code = static_cast<jsErrCode>(0));
// A failure that may go away by itself (the server away or restarting, a timeout).
bool is_transient(natsStatus status, jsErrCode code = static_cast<jsErrCode>(0));

class NatsConnection {
public:
    NatsConnection(const NatsLocation& location, Reporter report);
    ~NatsConnection();
    NatsConnection(const NatsConnection&) = delete;
    NatsConnection& operator=(const NatsConnection&) = delete;

    // Called with the JetStream options before the context is made (a sink sets its publish handlers there).
    void configure_jetstream(std::function<void(jsOptions&)> configure) { configure_ = std::move(configure); }

    // Connected, with a JetStream context, before `deadline`; false with `error` otherwise.
    bool ensure(std::string& error, Clock::time_point deadline);
    bool ensure(std::string& error) { return ensure(error, Clock::now() + budget_); }
    void set_budget(Clock::duration budget) { budget_ = budget; }
    Clock::duration budget() const { return budget_; }
    bool connected() const;

    natsConnection* nc() const { return nc_; }
    jsCtx* js() const { return js_; }
    const std::string& server() const { return server_; }  // "nats://HOST:PORT", for messages
    const Reporter& report() const { return report_; }
    int64_t max_payload() const { return nc_ ? natsConnection_GetMaxPayload(nc_) : 1024 * 1024; }

    // Reports what the client's threads noticed (connection lost, reconnected) since the last call.
    void drain_events();
    // Changes whenever the client reconnected or a new connection was made (a source sets its consumers up again).
    uint64_t reconnects() const;

    // Runs `call` (natsStatus(jsErrCode&)) until it succeeds, fails for good, or the budget is spent; while it
    // fails transiently the connection is re-ensured and the call retried with backoff. `what` names the
    // operation in the error ("nats://...: cannot WHAT: ...").
    template <class Call>
    bool retry(std::string_view what, Call&& call, std::string& error) {
        const auto deadline = Clock::now() + budget_;
        Backoff backoff;
        bool reported = false;
        while (true) {
            if (!ensure(error, deadline)) return false;
            jsErrCode code = static_cast<jsErrCode>(0);
            const natsStatus status = call(code);
            drain_events();
            if (status == NATS_OK) return true;
            const std::string text = status_text(status, code);
            if (!is_transient(status, code) || Clock::now() >= deadline) {
                error = server_ + ": cannot " + std::string(what) + ": " + text;
                return false;
            }
            if (!reported && report_) report_(server_ + ": " + std::string(what) + " failed (" + text + "), retrying");
            reported = true;
            backoff.sleep_before(deadline);
        }
    }

private:
    struct Events;
    void close();

    NatsLocation location_;
    std::string server_;
    Reporter report_;
    std::function<void(jsOptions&)> configure_;
    Clock::duration budget_ = kOperationBudget;
    std::shared_ptr<Events> events_;
    natsConnection* nc_ = nullptr;
    jsCtx* js_ = nullptr;
    uint64_t connections_ = 0;  // connection objects made so far
};

}  // namespace eqlc::service::nats_detail
