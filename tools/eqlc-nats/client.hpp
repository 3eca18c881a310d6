// One connection to a NATS server with its JetStream context, for eqlc-nats's short-lived commands.
#pragma once

#include <nats/nats.h>

#include <string>

namespace eqlc_nats {

// The client's text for a failure, with the library's last error and the JetStream error code when there is one.
std::string status_text(natsStatus status, jsErrCode code = static_cast<jsErrCode>(0));

// Failures worth another try: the server or the stream's leader is away for a moment (a cluster electing a leader,
// a node restarting), as opposed to a request the server refuses.
bool is_transient(natsStatus status, jsErrCode code = static_cast<jsErrCode>(0));

class Client {
public:
    Client() = default;
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Connects to `url` (nats://HOST:PORT), retrying for up to `seconds` while nothing answers; `js_options`
    // configures the JetStream context (asynchronous publishing). False with `error` saying what and where.
    bool connect(const std::string& url, const jsOptions* js_options, std::string& error, int seconds = 10);

    natsConnection* connection() const { return nc_; }
    jsCtx* js() const { return js_; }
    const std::string& url() const { return url_; }

private:
    std::string url_;
    natsConnection* nc_ = nullptr;
    jsCtx* js_ = nullptr;
};

}  // namespace eqlc_nats
