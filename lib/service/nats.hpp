// NATS JetStream as a state store, an event source and an alert sink (nats.c, Debian's libnats-dev).
//
// Locations are URLs nats://HOST:PORT/PATH?PARAMS (HOST a name or address, [::1] for IPv6; PORT default 4222).
// Every connection retries with backoff while the server is away and says so through the Reporter; a call that
// still fails after its retries returns its error.
//
// Every location takes retry=SECONDS: how long an operation is retried (default 30 s; a source's outage limit,
// default 60 s). A source also takes ack_wait=SECONDS (how long the server waits for an acknowledgement before it
// redelivers; default 300 s, as acknowledgements come only with checkpoints) and max_pending=N (unacknowledged
// messages per consumer; default 100000, a checkpoint is wanted at half of it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "service/alert_sink.hpp"
#include "service/event_source.hpp"
#include "service/state_store.hpp"

namespace eqlc::service {

struct NatsLocation {
    std::string host;
    uint16_t port = 4222;
    std::vector<std::string> path;                            // the segments after HOST:PORT/
    std::vector<std::pair<std::string, std::string>> params;  // ?a=b&c=d, in order
    std::string server_url() const;                           // "nats://HOST:PORT" for the client
    std::string param(std::string_view name) const;           // "" when absent
};

bool is_nats_location(std::string_view text);  // starts with nats://
// False with `error` (what is wrong and what was expected) for a malformed URL.
bool parse_nats_location(std::string_view text, NatsLocation& out, std::string& error);

// nats://HOST:PORT/BUCKET/KEY: the checkpoint in a key-value bucket (created when absent).
std::unique_ptr<StateStore> make_nats_state_store(const NatsLocation& location, const Reporter& report,
                                                  std::string& error);

// nats://HOST:PORT/STREAM?consumer=NAME&subjects=S1,S2: the stream's messages on those subjects (all of them
// without subjects=), each one JSON event, through durable pull consumers (created when absent). Batch lines are
// the messages' stream sequences, which are also their ordinals (EventBatch::ordinals).
std::unique_ptr<EventSource> make_nats_source(const NatsLocation& location, const Reporter& report, std::string& error);

// nats://HOST:PORT/SUBJECT: each alert published to SUBJECT with the header Nats-Msg-Id: Alert::id, through
// JetStream (a stream must capture SUBJECT); flush() waits for every publication's acknowledgement.
std::unique_ptr<AlertSink> make_nats_alert_sink(const NatsLocation& location, const Reporter& report,
                                                std::string& error);

}  // namespace eqlc::service
