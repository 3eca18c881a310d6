// Where a worker's alerts go: standard output, a file, a NATS subject (JetStream de-duplicates by message id).
//
// A checkpoint first flushes the sink: everything written before it must be safely stored (a file synced, every
// publication acknowledged by JetStream) before the checkpoint is saved and the input acknowledged. A file sink
// also records its length in the checkpoint and cuts the file back to it after a restart, so that alerts of events
// that are run again after a crash are not written twice; standard output cannot be cut back (at least once).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "service/event_source.hpp"

namespace eqlc::service {

struct Alert {
    std::string_view line;  // the alert as the CLI prints it (NDJSON, no newline; or a pretty summary)
    // Identifies the alert whatever run gives it (the rule and its events' stream sequences): the message id
    // (Nats-Msg-Id) a NATS sink publishes it with.
    std::string_view id;
};

class AlertSink {
public:
    virtual ~AlertSink() = default;
    // Queues or writes one alert. False with `error` when the sink cannot take it (the worker stops, exit 2).
    virtual bool write(const Alert& alert, std::string& error) = 0;
    // Everything written so far is durably stored (retrying what can be retried). False with `error` otherwise:
    // the worker saves no checkpoint then and stops.
    virtual bool flush(std::string& error) = 0;
    // For checkpoints (see above); the default has no position.
    virtual nlohmann::json position() const { return nullptr; }
    virtual bool restore(const nlohmann::json& position, std::string& error) {
        (void)position;
        (void)error;
        return true;
    }
    virtual std::string name() const = 0;
};

// Standard output (a file descriptor), written as alerts come.
std::unique_ptr<AlertSink> make_fd_alert_sink(int fd, std::string name);
// A file, appended to; its length is its position (see above). `report` is told when restore() cuts it back.
std::unique_ptr<AlertSink> make_file_alert_sink(const std::string& path, std::string& error, Reporter report = {});

}  // namespace eqlc::service
