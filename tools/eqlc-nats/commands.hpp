// eqlc-nats's subcommands, each given its arguments already checked by main.cpp; each returns the exit status and
// reports its failures on stderr as "eqlc-nats: WHAT: WHY".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace eqlc_nats {

struct StreamAddOptions {
    std::string url;
    std::string name;
    std::vector<std::string> subjects;
    int64_t replicas = 1;
    int64_t duplicate_window_ns = 0;  // 0: the server's default (2 minutes)
    int64_t max_age_ns = 0;           // 0: unlimited
};
int stream_add(const StreamAddOptions& options);

struct PublishOptions {
    std::string url;
    std::vector<std::string> files;  // "-": standard input
    std::string subject = "events.{host.id}";
    std::string msg_id;  // empty: no Nats-Msg-Id header
};
int publish(const PublishOptions& options);

int get(const std::string& url, const std::string& stream, bool headers);
int count(const std::string& url, const std::string& stream);

}  // namespace eqlc_nats
