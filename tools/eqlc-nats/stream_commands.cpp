// eqlc-nats stream-add, get and count: a stream's configuration, its messages and its size.
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "client.hpp"
#include "commands.hpp"

namespace eqlc_nats {

namespace {

using Clock = std::chrono::steady_clock;

// A JetStream request retried while the cluster is not ready (no meta leader yet, a stream leader being elected):
// `call` returns the status and sets the error code.
template <typename Call>
natsStatus with_retries(Call call, jsErrCode& code, std::chrono::seconds limit = std::chrono::seconds(30)) {
    const auto deadline = Clock::now() + limit;
    auto pause = std::chrono::milliseconds(100);
    while (true) {
        code = static_cast<jsErrCode>(0);
        const natsStatus status = call(code);
        if (status == NATS_OK || !is_transient(status, code) || Clock::now() >= deadline) return status;
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(1000));
    }
}

bool stream_info(Client& client, const std::string& stream, jsStreamInfo*& info, std::string& error) {
    jsErrCode code{};
    const natsStatus status = with_retries(
        [&](jsErrCode& c) { return js_GetStreamInfo(&info, client.js(), stream.c_str(), nullptr, &c); }, code);
    if (status == NATS_OK) return true;
    error = client.url() + ": stream " + stream + ": " +
            (status == NATS_NOT_FOUND || code == JSStreamNotFoundErr ? std::string("no such stream")
                                                                     : status_text(status, code));
    return false;
}

}  // namespace

int stream_add(const StreamAddOptions& options) {
    Client client;
    std::string error;
    if (!client.connect(options.url, nullptr, error)) {
        std::cerr << "eqlc-nats: stream-add: " << error << "\n";
        return 2;
    }
    std::vector<const char*> subjects;
    for (const auto& subject : options.subjects) subjects.push_back(subject.c_str());
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = options.name.c_str();
    config.Subjects = subjects.data();
    config.SubjectsLen = static_cast<int>(subjects.size());
    config.Storage = js_FileStorage;
    config.Replicas = options.replicas;
    config.Duplicates = options.duplicate_window_ns;
    config.MaxAge = options.max_age_ns;
    // Direct gets let any replica answer a read of one message (eqlc's key-value state is read the same way).
    config.AllowDirect = true;

    jsStreamInfo* info = nullptr;
    jsErrCode code{};
    bool updated = false;
    natsStatus status =
        with_retries([&](jsErrCode& c) { return js_AddStream(&info, client.js(), &config, nullptr, &c); }, code);
    if (status != NATS_OK && code == JSStreamNameExistErr) {
        // It exists with another configuration: make it this one (the server refuses what cannot change in
        // place, such as the storage type, and says so).
        updated = true;
        status =
            with_retries([&](jsErrCode& c) { return js_UpdateStream(&info, client.js(), &config, nullptr, &c); }, code);
    }
    if (status != NATS_OK) {
        std::cerr << "eqlc-nats: stream-add: " << options.url << ": stream " << options.name << ": "
                  << status_text(status, code) << "\n";
        return 2;
    }
    std::cerr << "eqlc-nats: stream " << options.name << (updated ? " updated" : " ready") << " ("
              << info->Config->Replicas << " replicas, " << info->State.Msgs << " messages)\n";
    jsStreamInfo_Destroy(info);
    return 0;
}

int count(const std::string& url, const std::string& stream) {
    Client client;
    std::string error;
    jsStreamInfo* info = nullptr;
    if (!client.connect(url, nullptr, error) || !stream_info(client, stream, info, error)) {
        std::cerr << "eqlc-nats: count: " << error << "\n";
        return 2;
    }
    std::cout << info->State.Msgs << "\n";
    jsStreamInfo_Destroy(info);
    return std::cout.flush() ? 0 : 2;
}

namespace {

// Prints one message's line; false when standard output fails.
void print_message(natsMsg* msg, bool headers) {
    if (headers) {
        const char* id = nullptr;
        std::cout << (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id ? id : "-") << '\t';
    }
    std::cout.write(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    std::cout << '\n';
}

// Through an ordered consumer: an ephemeral push consumer that the client keeps in sequence (it makes a new one from
// the next sequence when a message goes missing). Its filter is the stream's one subject, which is the whole
// stream.
bool get_ordered(Client& client, const std::string& stream, const std::string& subject, uint64_t last, bool headers,
                 std::string& error) {
    jsSubOptions sub_options;
    jsSubOptions_Init(&sub_options);
    sub_options.Stream = stream.c_str();
    sub_options.Ordered = true;
    sub_options.Config.DeliverPolicy = js_DeliverAll;
    natsSubscription* sub = nullptr;
    jsErrCode code{};
    natsStatus status = js_SubscribeSync(&sub, client.js(), subject.c_str(), nullptr, &sub_options, &code);
    if (status != NATS_OK) {
        error = "cannot read it: " + status_text(status, code);
        return false;
    }
    bool ok = true;
    while (true) {
        natsMsg* msg = nullptr;
        status = natsSubscription_NextMsg(&msg, sub, 10'000);
        if (status != NATS_OK) {
            error = status_text(status) + " while reading it";
            ok = false;
            break;
        }
        jsMsgMetaData* meta = nullptr;
        if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) {  // not a stream message (flow control, heartbeat)
            natsMsg_Destroy(msg);
            continue;
        }
        const uint64_t sequence = meta->Sequence.Stream;
        const uint64_t pending = meta->NumPending;
        jsMsgMetaData_Destroy(meta);
        if (sequence <= last) print_message(msg, headers);
        natsMsg_Destroy(msg);
        // The last sequence may have been deleted since the call started: nothing pending ends it as well.
        if (sequence >= last || pending == 0) break;
    }
    natsSubscription_Unsubscribe(sub);  // the consumer goes now rather than after its idle limit
    natsSubscription_Destroy(sub);
    return ok;
}

// One request per sequence, for a stream with several subjects (one consumer filter cannot cover them on a 2.9
// server); slower, but any stream.
bool get_each(Client& client, const std::string& stream, uint64_t first, uint64_t last, bool headers,
              std::string& error) {
    for (uint64_t sequence = first; sequence <= last; ++sequence) {
        natsMsg* msg = nullptr;
        jsErrCode code{};
        const natsStatus status = with_retries(
            [&](jsErrCode& c) { return js_GetMsg(&msg, client.js(), stream.c_str(), sequence, nullptr, &c); }, code);
        if (status == NATS_NOT_FOUND || code == JSNoMessageFoundErr) continue;  // deleted
        if (status != NATS_OK) {
            error = "message " + std::to_string(sequence) + ": " + status_text(status, code);
            return false;
        }
        print_message(msg, headers);
        natsMsg_Destroy(msg);
    }
    return true;
}

}  // namespace

int get(const std::string& url, const std::string& stream, bool headers) {
    Client client;
    std::string error;
    jsStreamInfo* info = nullptr;
    if (!client.connect(url, nullptr, error) || !stream_info(client, stream, info, error)) {
        std::cerr << "eqlc-nats: get: " << error << "\n";
        return 2;
    }
    const uint64_t first = info->State.FirstSeq;
    const uint64_t last = info->State.LastSeq;
    const uint64_t messages = info->State.Msgs;
    const std::string subject = info->Config->SubjectsLen == 1 ? info->Config->Subjects[0] : "";
    jsStreamInfo_Destroy(info);
    if (messages == 0) return 0;
    const bool ok = subject.empty() ? get_each(client, stream, first, last, headers, error)
                                    : get_ordered(client, stream, subject, last, headers, error);
    if (!ok) std::cerr << "eqlc-nats: get: " << url << ": stream " << stream << ": " << error << "\n";
    if (!std::cout.flush()) return 2;
    return ok ? 0 : 2;
}

}  // namespace eqlc_nats
