// A plain NATS JetStream client for tests' own setup and checks: streams, publications, reading a stream back.
#pragma once

#include <nats/nats.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace eqlc::test {

class NatsClient {
public:
    explicit NatsClient(const std::string& url) {
        REQUIRE(natsConnection_ConnectTo(&nc_, url.c_str()) == NATS_OK);
        REQUIRE(natsConnection_JetStream(&js_, nc_, nullptr) == NATS_OK);
    }
    ~NatsClient() {
        if (js_) jsCtx_Destroy(js_);
        if (nc_) natsConnection_Destroy(nc_);
    }
    NatsClient(const NatsClient&) = delete;
    NatsClient& operator=(const NatsClient&) = delete;

    // A file-backed stream on `subject` (a wildcard allowed); a duplicate window when duplicates_ns > 0.
    void add_stream(const char* name, const char* subject, int64_t duplicates_ns = 0) {
        jsStreamConfig config;
        jsStreamConfig_Init(&config);
        config.Name = name;
        const char* subjects[] = {subject};
        config.Subjects = subjects;
        config.SubjectsLen = 1;
        config.Storage = js_FileStorage;
        if (duplicates_ns) config.Duplicates = duplicates_ns;
        jsStreamInfo* info = nullptr;
        jsErrCode code = static_cast<jsErrCode>(0);
        REQUIRE(js_AddStream(&info, js_, &config, nullptr, &code) == NATS_OK);
        jsStreamInfo_Destroy(info);
    }
    // Publishes through JetStream and waits for the acknowledgement; returns the stream sequence.
    uint64_t publish(const std::string& subject, const std::string& data) {
        jsPubAck* ack = nullptr;
        jsErrCode code = static_cast<jsErrCode>(0);
        REQUIRE(js_Publish(&ack, js_, subject.c_str(), data.data(), static_cast<int>(data.size()), nullptr, &code) ==
                NATS_OK);
        const uint64_t sequence = ack->Sequence;
        jsPubAck_Destroy(ack);
        return sequence;
    }
    uint64_t stream_messages(const char* name) {
        jsStreamInfo* info = nullptr;
        REQUIRE(js_GetStreamInfo(&info, js_, name, nullptr, nullptr) == NATS_OK);
        const uint64_t count = info->State.Msgs;
        jsStreamInfo_Destroy(info);
        return count;
    }
    // Every message of the stream, in sequence order: its data, and its Nats-Msg-Id header when `ids` is given.
    std::vector<std::string> messages(const char* name, std::vector<std::string>* ids = nullptr) {
        jsStreamInfo* info = nullptr;
        REQUIRE(js_GetStreamInfo(&info, js_, name, nullptr, nullptr) == NATS_OK);
        const uint64_t first = info->State.FirstSeq, last = info->State.LastSeq;
        jsStreamInfo_Destroy(info);
        std::vector<std::string> out;
        for (uint64_t seq = first; seq && seq <= last; ++seq) {
            natsMsg* msg = nullptr;
            jsErrCode code = static_cast<jsErrCode>(0);
            if (js_GetMsg(&msg, js_, name, seq, nullptr, &code) != NATS_OK) continue;  // deleted
            out.emplace_back(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
            if (ids) {
                const char* id = nullptr;
                natsMsgHeader_Get(msg, "Nats-Msg-Id", &id);
                ids->emplace_back(id ? id : "");
            }
            natsMsg_Destroy(msg);
        }
        return out;
    }

    // The keys of a key-value bucket, and writing one entry.
    std::set<std::string> keys(const char* bucket) {
        kvStore* kv = nullptr;
        REQUIRE(js_KeyValue(&kv, js_, bucket) == NATS_OK);
        kvKeysList list{nullptr, 0};
        std::set<std::string> out;
        if (kvStore_Keys(&list, kv, nullptr) == NATS_OK)
            for (int i = 0; i < list.Count; ++i) out.insert(list.Keys[i]);
        kvKeysList_Destroy(&list);
        kvStore_Destroy(kv);
        return out;
    }
    void put(const char* bucket, const std::string& key, const std::string& value) {
        kvStore* kv = nullptr;
        REQUIRE(js_KeyValue(&kv, js_, bucket) == NATS_OK);
        uint64_t revision = 0;
        REQUIRE(kvStore_Put(&revision, kv, key.c_str(), value.data(), static_cast<int>(value.size())) == NATS_OK);
        kvStore_Destroy(kv);
    }

private:
    natsConnection* nc_ = nullptr;
    jsCtx* js_ = nullptr;
};

}  // namespace eqlc::test
