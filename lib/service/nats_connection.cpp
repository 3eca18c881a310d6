// The shared NATS connection: connect with retries, reconnect in the background, report on the caller's thread.
#include "service/nats_connection.hpp"

#include <cstdlib>
#include <mutex>
#include <vector>

namespace eqlc::service::nats_detail {

std::string status_text(natsStatus status, jsErrCode code) {
    std::string text = natsStatus_GetText(status);
    natsStatus last_status = NATS_OK;
    if (const char* last = nats_GetLastError(&last_status); last && *last && text.find(last) == std::string::npos)
        text += " (" + std::string(last) + ")";
    if (code != 0) text += " [JetStream error " + std::to_string(static_cast<int>(code)) + "]";
    return text;
}

bool retry_budget(const NatsLocation& location, Clock::duration fallback, Clock::duration& out, std::string& error) {
    out = fallback;
    const std::string text = location.param("retry");
    if (text.empty()) return true;
    char* end = nullptr;
    const double seconds = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || !(seconds > 0) || seconds > 86400) {
        error = location.server_url() + ": retry=" + text + ": a number of seconds expected";
        return false;
    }
    out = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    return true;
}

bool is_transient(natsStatus status, jsErrCode code) {
    switch (status) {
        case NATS_TIMEOUT:
        case NATS_CONNECTION_CLOSED:
        case NATS_CONNECTION_DISCONNECTED:
        case NATS_NO_SERVER:
        case NATS_IO_ERROR:
        case NATS_STALE_CONNECTION:
        case NATS_NOT_YET_CONNECTED:
        case NATS_NO_RESPONDERS:  // JetStream not up yet just after a server (re)start
        case NATS_SLOW_CONSUMER: return true;
        default: break;
    }
    return code == JSClusterNotAvailErr || code == JSNotEnabledErr || code == JSNotEnabledForAccountErr ||
           code == JSInsufficientResourcesErr;
}

// What the client's threads tell us, kept until the caller's thread reports it. The client holds a reference
// (a heap shared_ptr as the callbacks' closure) that the closed callback, always the last one, releases: the
// callbacks never touch a connection object that is already gone.
struct NatsConnection::Events {
    std::mutex mutex;
    std::vector<std::string> lines;
    void push(std::string line) {
        std::lock_guard lock(mutex);
        lines.push_back(std::move(line));
    }
};

namespace {

struct Closure {
    std::shared_ptr<void> events;  // NatsConnection::Events
    std::string server;
};

}  // namespace

NatsConnection::NatsConnection(const NatsLocation& location, Reporter report)
    : location_(location),
      server_(location.server_url()),
      report_(std::move(report)),
      events_(std::make_shared<Events>()) {}

NatsConnection::~NatsConnection() { close(); }

void NatsConnection::close() {
    if (js_) jsCtx_Destroy(js_);
    js_ = nullptr;
    if (nc_) natsConnection_Destroy(nc_);  // closes; the closed callback frees its closure
    nc_ = nullptr;
}

bool NatsConnection::connected() const { return nc_ && natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED; }

uint64_t NatsConnection::reconnects() const {
    // The client's own count, updated by its reconnecting thread before the connection is usable again, so a caller
    // that sees a message fetched after a reconnect also sees the count changed (the callback may come later). A new
    // connection object counts from zero again: add the connections made before it.
    uint64_t count = 0;
    natsStatistics* stats = nullptr;
    if (nc_ && natsStatistics_Create(&stats) == NATS_OK) {
        if (natsConnection_GetStats(nc_, stats) == NATS_OK)
            natsStatistics_GetCounts(stats, nullptr, nullptr, nullptr, nullptr, &count);
        natsStatistics_Destroy(stats);
    }
    return connections_ + count;
}

void NatsConnection::drain_events() {
    std::vector<std::string> lines;
    {
        std::lock_guard lock(events_->mutex);
        lines.swap(events_->lines);
    }
    if (report_)
        for (const auto& line : lines) report_(line);
}

bool NatsConnection::ensure(std::string& error, Clock::time_point deadline) {
    drain_events();
    if (nc_ && natsConnection_Status(nc_) != NATS_CONN_STATUS_CLOSED && js_) return true;
    close();

    struct Callbacks {
        static void disconnected(natsConnection*, void* closure) {
            auto* c = static_cast<Closure*>(closure);
            static_cast<Events*>(c->events.get())->push(c->server + ": connection lost, retrying");
        }
        static void reconnected(natsConnection*, void* closure) {
            auto* c = static_cast<Closure*>(closure);
            static_cast<Events*>(c->events.get())->push(c->server + ": reconnected");
        }
        static void closed(natsConnection*, void* closure) { delete static_cast<Closure*>(closure); }
        static int64_t delay(natsConnection*, int attempts, void*) {
            // 100 ms doubling up to 2 s while the server stays away.
            const int shift = std::min(attempts > 0 ? attempts - 1 : 0, 5);
            return std::min<int64_t>(int64_t{100} << shift, 2000);
        }
    };

    Backoff backoff;
    bool reported = false;
    while (true) {
        natsOptions* options = nullptr;
        auto* closure = new Closure{events_, server_};
        natsStatus status = natsOptions_Create(&options);
        const std::string url = server_;
        if (status == NATS_OK) status = natsOptions_SetURL(options, url.c_str());
        if (status == NATS_OK) status = natsOptions_SetName(options, "eqlc");
        if (status == NATS_OK) status = natsOptions_SetTimeout(options, 2000);
        if (status == NATS_OK) status = natsOptions_SetAllowReconnect(options, true);
        if (status == NATS_OK) status = natsOptions_SetMaxReconnect(options, -1);  // forever: the caller decides
        if (status == NATS_OK) status = natsOptions_SetCustomReconnectDelay(options, &Callbacks::delay, nullptr);
        if (status == NATS_OK) status = natsOptions_SetDisconnectedCB(options, &Callbacks::disconnected, closure);
        if (status == NATS_OK) status = natsOptions_SetReconnectedCB(options, &Callbacks::reconnected, closure);
        if (status == NATS_OK) status = natsOptions_SetClosedCB(options, &Callbacks::closed, closure);
        if (status == NATS_OK) status = natsConnection_Connect(&nc_, options);
        const std::string text = status == NATS_OK ? std::string() : status_text(status);
        if (options) natsOptions_Destroy(options);
        if (status == NATS_OK) break;
        nc_ = nullptr;
        delete closure;  // no connection was made, so no callback will free it
        if (Clock::now() >= deadline) {
            error = server_ + ": cannot connect: " + text;
            return false;
        }
        if (!reported && report_) report_(server_ + ": cannot connect (" + text + "), retrying");
        reported = true;
        backoff.sleep_before(deadline);
    }
    ++connections_;
    if (reported && report_) report_(server_ + ": connected");

    jsOptions options;
    jsOptions_Init(&options);
    options.Wait = 5000;
    if (configure_) configure_(options);
    const natsStatus status = natsConnection_JetStream(&js_, nc_, &options);
    if (status != NATS_OK) {
        error = server_ + ": cannot open a JetStream context: " + status_text(status);
        js_ = nullptr;
        return false;
    }
    return true;
}

}  // namespace eqlc::service::nats_detail
