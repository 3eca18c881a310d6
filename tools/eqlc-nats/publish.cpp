// eqlc-nats publish: NDJSON lines to JetStream, asynchronously (many publications in flight) and in file order,
// and no success until the server has acknowledged each one; what times out or meets a stream without a leader is
// sent again.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <simdjson.h>

#include "client.hpp"
#include "commands.hpp"
#include "subject_template.hpp"

namespace eqlc_nats {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kMaxInFlight = 4096;
constexpr int kResendRounds = 10;                       // then what is still unacknowledged is a failure
constexpr auto kStallLimit = std::chrono::seconds(10);  // no acknowledgement for this long: take them back

// Filled by the client's thread that receives acknowledgements, read by the publishing thread.
struct Acks {
    std::mutex mutex;
    uint64_t acknowledged = 0;
    uint64_t duplicates = 0;  // acknowledged, but the stream already had that Nats-Msg-Id
    uint64_t failed = 0;
    std::string first_failure;
    std::vector<natsMsg*> resend;  // transient failures, owned here until sent again
    std::string last_transient;    // what the latest of them was, for the message when retries run out

    uint64_t progress() {
        std::lock_guard lock(mutex);
        return acknowledged + failed + resend.size();
    }
    std::vector<natsMsg*> take_resend() {
        std::lock_guard lock(mutex);
        return std::exchange(resend, {});
    }
};

void on_ack(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* failure, void* closure) {
    auto* acks = static_cast<Acks*>(closure);
    std::lock_guard lock(acks->mutex);
    if (ack) {
        ++acks->acknowledged;
        if (ack->Duplicate) ++acks->duplicates;
        natsMsg_Destroy(msg);
        return;
    }
    if (failure && is_transient(failure->Err, failure->ErrCode)) {
        acks->last_transient = std::string(natsMsg_GetSubject(msg)) + ": " +
                               (failure->Err == NATS_NO_RESPONDERS ? "no stream captures this subject"
                                                                   : status_text(failure->Err, failure->ErrCode));
        acks->resend.push_back(msg);  // the library leaves the message to us
        return;
    }
    ++acks->failed;
    if (acks->first_failure.empty()) {
        acks->first_failure = std::string(natsMsg_GetSubject(msg)) + ": ";
        if (failure && failure->ErrText && *failure->ErrText)
            acks->first_failure += failure->ErrText;
        else
            acks->first_failure += failure ? status_text(failure->Err, failure->ErrCode) : "no acknowledgement";
    }
    natsMsg_Destroy(msg);
}

class Publisher {
public:
    explicit Publisher(Client& client, Acks& acks) : client_(client), acks_(acks) {}

    // Hands `msg` to the library (it then owns it), waiting while the most publications are in flight; false with
    // `error` when the connection is gone for good. A long wait without any acknowledgement takes the publications
    // in flight back to be sent again (a node lost their acknowledgements).
    bool send(natsMsg*& msg, std::string& error) {
        auto last_progress = Clock::now();
        uint64_t seen = acks_.progress();
        while (true) {
            const natsStatus status = js_PublishMsgAsync(client_.js(), &msg, nullptr);
            if (status == NATS_OK) return true;
            if (!is_transient(status)) {
                error = client_.url() + ": cannot publish to " + natsMsg_GetSubject(msg) + ": " + status_text(status);
                return false;
            }
            if (const uint64_t now = acks_.progress(); now != seen) {
                seen = now;
                last_progress = Clock::now();
            } else if (Clock::now() - last_progress > kStallLimit) {
                reclaim_in_flight();
                last_progress = Clock::now();
                if (++stalls_ > kResendRounds) {
                    error = client_.url() + ": no acknowledgement from the server for " +
                            std::to_string(kStallLimit.count() * stalls_) + " s";
                    return false;
                }
            }
            if (status != NATS_TIMEOUT) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    // Sends again what failed for a moment; every so often during the run, and at the end.
    bool resend(std::string& error) {
        for (natsMsg* msg : acks_.take_resend()) {
            ++resent_;
            const bool ok = send(msg, error);
            natsMsg_Destroy(msg);  // no effect when the library took it
            if (!ok) return false;
        }
        return true;
    }

    // Waits for every acknowledgement, sending again what timed out or failed for a moment, a bounded number of
    // rounds.
    bool complete(std::string& error) {
        for (int round = 0;; ++round) {
            jsPubOptions options;
            jsPubOptions_Init(&options);
            options.MaxWait = 10'000;
            const natsStatus status = js_PublishAsyncComplete(client_.js(), &options);
            if (status == NATS_TIMEOUT)
                reclaim_in_flight();
            else if (status != NATS_OK) {
                error = client_.url() + ": waiting for acknowledgements: " + status_text(status);
                return false;
            }
            {
                std::lock_guard lock(acks_.mutex);
                if (acks_.resend.empty()) return true;
                if (round >= kResendRounds) {
                    error = client_.url() + ": " + std::to_string(acks_.resend.size()) +
                            " events still not acknowledged after " + std::to_string(kResendRounds) +
                            " rounds; the last failure: " +
                            (acks_.last_transient.empty() ? "no acknowledgement" : acks_.last_transient);
                    for (natsMsg* msg : acks_.resend) natsMsg_Destroy(msg);
                    acks_.resend.clear();
                    return false;
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100 << std::min(round, 4)));
            if (!resend(error)) return false;
        }
    }

    uint64_t resent() const { return resent_; }

private:
    void reclaim_in_flight() {
        natsMsgList pending{};
        if (js_PublishAsyncGetPendingList(&pending, client_.js()) != NATS_OK) return;
        {
            std::lock_guard lock(acks_.mutex);
            acks_.last_transient = "no acknowledgement within the wait";
            for (int i = 0; i < pending.Count; ++i) {
                acks_.resend.push_back(pending.Msgs[i]);
                pending.Msgs[i] = nullptr;  // ours now, not the list's to destroy
            }
        }
        natsMsgList_Destroy(&pending);
    }

    Client& client_;
    Acks& acks_;
    uint64_t resent_ = 0;
    int stalls_ = 0;
};

}  // namespace

int publish(const PublishOptions& options) {
    SubjectTemplate subject, msg_id;
    std::string error;
    if (!subject.parse(options.subject, error)) {
        std::cerr << "eqlc-nats: publish: --subject " << options.subject << ": " << error << "\n";
        return 2;
    }
    if (!options.msg_id.empty() && !msg_id.parse(options.msg_id, error)) {
        std::cerr << "eqlc-nats: publish: --msg-id " << options.msg_id << ": " << error << "\n";
        return 2;
    }

    Acks acks;
    jsOptions js_options;
    jsOptions_Init(&js_options);
    js_options.Wait = 10'000;
    js_options.PublishAsync.MaxPending = kMaxInFlight;
    js_options.PublishAsync.AckHandler = &on_ack;
    js_options.PublishAsync.AckHandlerClosure = &acks;
    Client client;
    if (!client.connect(options.url, &js_options, error)) {
        std::cerr << "eqlc-nats: publish: " << error << "\n";
        return 2;
    }
    Publisher publisher(client, acks);

    simdjson::dom::parser parser;
    uint64_t sent = 0, bad = 0;
    const auto start = Clock::now();
    for (const auto& file : options.files) {
        std::vector<char> buffer(1 << 20);  // outlives the stream that reads into it
        std::ifstream stream;
        stream.rdbuf()->pubsetbuf(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        const bool from_stdin = file == "-";
        if (!from_stdin) stream.open(file, std::ios::binary);
        std::istream& in = from_stdin ? std::cin : stream;
        if (!from_stdin && !stream) {
            std::cerr << "eqlc-nats: publish: cannot open " << file << "\n";
            return 2;
        }
        const std::string origin = from_stdin ? "<stdin>" : file;
        std::string line;
        for (uint64_t number = 1; std::getline(in, line); ++number) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.find_first_not_of(" \t") == std::string::npos) continue;
            // A full parse (simdjson validates every byte), so that no consumer receives a line it cannot read.
            simdjson::dom::element event;
            if (const auto parsed = parser.parse(line).get(event); parsed != simdjson::SUCCESS) {
                std::cerr << origin << ":" << number << ": not JSON, skipped: " << simdjson::error_message(parsed)
                          << "\n";
                ++bad;
                continue;
            }
            if (!event.is_object()) {
                std::cerr << origin << ":" << number << ": not a JSON object, skipped\n";
                ++bad;
                continue;
            }
            const std::string to = subject.expand(event, true);
            natsMsg* msg = nullptr;
            natsStatus status = natsMsg_Create(&msg, to.c_str(), nullptr, line.data(), static_cast<int>(line.size()));
            if (status == NATS_OK && !options.msg_id.empty()) {
                const std::string id = msg_id.expand(event, false);
                if (!id.empty()) status = natsMsgHeader_Set(msg, "Nats-Msg-Id", id.c_str());
            }
            if (status != NATS_OK) {
                std::cerr << "eqlc-nats: publish: " << origin << ":" << number << ": subject '" << to
                          << "': " << status_text(status) << "\n";
                natsMsg_Destroy(msg);
                return 2;
            }
            const bool ok = publisher.send(msg, error);
            natsMsg_Destroy(msg);
            if (!ok || (++sent % 1024 == 0 && !publisher.resend(error))) {
                std::cerr << "eqlc-nats: publish: " << origin << ":" << number << ": " << error << "\n";
                return 2;
            }
        }
        if (in.bad()) {
            std::cerr << "eqlc-nats: publish: cannot read " << origin << "\n";
            return 2;
        }
    }
    if (!publisher.complete(error)) {
        std::cerr << "eqlc-nats: publish: " << error << "\n";
        return 2;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::lock_guard lock(acks.mutex);
    char summary[256];
    std::snprintf(summary, sizeof summary, "published %llu events in %.3f s: %.0f events/s",
                  static_cast<unsigned long long>(acks.acknowledged), seconds,
                  seconds > 0 ? static_cast<double>(acks.acknowledged) / seconds : 0.0);
    std::cerr << "eqlc-nats: " << summary;
    if (acks.duplicates) std::cerr << "; " << acks.duplicates << " already in the stream (same Nats-Msg-Id)";
    if (publisher.resent()) std::cerr << "; " << publisher.resent() << " sent again";
    if (bad) std::cerr << "; " << bad << " bad lines skipped";
    std::cerr << "\n";
    if (acks.failed) {
        std::cerr << "eqlc-nats: publish: " << acks.failed
                  << " events refused by the server; the first: " << acks.first_failure << "\n";
        return 2;
    }
    return 0;
}

}  // namespace eqlc_nats
