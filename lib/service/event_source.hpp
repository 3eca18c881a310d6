// Where a worker's events come from: a file (read once, or followed as it grows), a NATS JetStream stream, and
// later others (Kafka) beside them. A source hands out batches of NDJSON lines with each line's position in the
// source, says how far it has been run as JSON (stored in checkpoints with the engine's state), continues from such
// a position after a restart, and is told when a checkpoint covering everything it handed out is stored (a stream
// acknowledges its messages then, never before).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace eqlc::service {

// How a source or sink says something to whoever runs it (a retry, a reconnect, a bad message): one line, no
// newline. Called on the thread that calls the source or sink.
using Reporter = std::function<void(std::string_view message)>;

// Events in order: `text` holds one JSON event per line, each line ending with '\n' and holding no other newline
// (a source replaces the newlines inside a message by spaces, which keeps the JSON valid). `lines[i]` is the i-th
// line's position in its source, which reports name it by (a file's line number, a message's stream sequence) and,
// when `ordinals` is set, also its ordinal (MatchedEvent::ordinal): a stream's sequence numbers identify an event
// across restarts, so alerts built from them can be identified deterministically.
struct EventBatch {
    std::string origin;           // how reports name the source ("events.ndjson", "nats://127.0.0.1:4222/EVENTS")
    std::string text;             // the lines
    std::vector<uint64_t> lines;  // per line: its position
    bool ordinals = false;        // lines[i] are also the events' ordinals (increasing)

    size_t size() const { return lines.size(); }
    bool empty() const { return lines.empty(); }
    void clear() {
        text.clear();
        lines.clear();
    }
    // Appends one event; newlines inside it are replaced by spaces.
    void add(std::string_view json, uint64_t line) {
        const size_t at = text.size();
        text.append(json);
        // Most events hold no line break: memchr finds that at memory speed.
        for (char c : {'\n', '\r'}) {
            char* p = text.data() + at;
            char* const end = text.data() + text.size();
            while ((p = static_cast<char*>(std::memchr(p, c, static_cast<size_t>(end - p)))) != nullptr) *p++ = ' ';
        }
        text.push_back('\n');
        lines.push_back(line);
    }
};

class EventSource {
public:
    virtual ~EventSource() = default;

    enum class Status {
        events,  // `batch` got at least one event
        idle,    // nothing arrived within `wait` (a followed file, a stream): more may come
        ended,   // the source has no more events (a file read to its end without --follow)
        failed,  // a fault the source cannot get over (error() says what); the worker stops
    };
    // Appends at most `max_events` events to `batch` (which the caller cleared), waiting at most `wait` for the
    // first one. A source may also report (Reporter) and skip what it cannot use as an event (a message that is not
    // JSON text: it is acknowledged with the next checkpoint like the others, never retried).
    virtual Status next(EventBatch& batch, size_t max_events, std::chrono::milliseconds wait) = 0;
    virtual std::string error() const = 0;

    // How far the source has been handed out, for a checkpoint; restore() takes it back after a restart (before the
    // first next()). A position that does not fit this source (another file, another stream) is refused with a
    // message.
    virtual nlohmann::json position() const = 0;
    virtual bool restore(const nlohmann::json& position, std::string& error) = 0;

    // A checkpoint covering everything next() has handed out is stored: a stream acknowledges those messages.
    // False with `error` when it could not (the worker reports it and goes on: the messages are redelivered and
    // skipped by position after a restart).
    virtual bool acknowledge(std::string& error) = 0;
    // True when the source holds so much unacknowledged input that it wants a checkpoint before handing out more
    // (a stream's limit of unacknowledged messages).
    virtual bool wants_checkpoint() const { return false; }
    // A short name for messages ("events.ndjson", "nats://127.0.0.1:4222/EVENTS").
    virtual std::string name() const = 0;
};

}  // namespace eqlc::service
