// Checkpoints in a JetStream key-value bucket (nats://HOST:PORT/BUCKET/KEY).
//
// The entry KEY holds a manifest line: "eqlc-checkpoint 1 generation=G parts=N size=S fnv1a64=HEX\n", followed by
// the checkpoint itself when it is small enough to travel in the same message (N = 0). A larger checkpoint is
// split into parts KEY.p<G mod 2>.<i>, all written before the manifest that names them, so a reader sees the old
// whole or the new whole; once the new manifest is stored the previous generation's parts are deleted. Parts
// alternate between two slots rather than taking a fresh name per generation because every deleted key leaves a
// marker behind in the bucket: with two slots the markers stay bounded however many checkpoints are written.
#include <nats/nats.h>

#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <optional>

#include "service/nats.hpp"
#include "service/nats_connection.hpp"

namespace eqlc::service {

namespace {

using nats_detail::NatsConnection;

constexpr std::string_view kMagic = "eqlc-checkpoint 1 ";
// Room left in a message for the key-value subject, headers and the manifest line.
constexpr int64_t kHeadroom = 16 * 1024;

uint64_t fnv1a64(std::string_view bytes) {
    uint64_t hash = 0xcbf29ce484222325ull;
    for (const unsigned char c : bytes) {
        hash ^= c;
        hash *= 0x100000001b3ull;
    }
    return hash;
}

struct Manifest {
    uint64_t generation = 0;
    uint64_t parts = 0;
    uint64_t size = 0;
    uint64_t checksum = 0;
};

std::string manifest_line(const Manifest& m) {
    char buffer[160];
    std::snprintf(buffer, sizeof buffer,
                  "generation=%" PRIu64 " parts=%" PRIu64 " size=%" PRIu64 " fnv1a64=%016" PRIx64 "\n", m.generation,
                  m.parts, m.size, m.checksum);
    return std::string(kMagic) + buffer;
}

// The manifest and, for an inline checkpoint, where its bytes start; nullopt for a value that is no manifest.
std::optional<std::pair<Manifest, size_t>> parse_manifest(std::string_view value) {
    if (value.substr(0, kMagic.size()) != kMagic) return std::nullopt;
    const size_t newline = value.find('\n');
    if (newline == std::string_view::npos) return std::nullopt;
    const std::string line(value.substr(kMagic.size(), newline - kMagic.size()));
    Manifest m;
    int consumed = 0;
    if (std::sscanf(line.c_str(), "generation=%" SCNu64 " parts=%" SCNu64 " size=%" SCNu64 " fnv1a64=%" SCNx64 "%n",
                    &m.generation, &m.parts, &m.size, &m.checksum, &consumed) != 4 ||
        static_cast<size_t>(consumed) != line.size())
        return std::nullopt;
    return std::make_pair(m, newline + 1);
}

bool valid_key(std::string_view key) {
    if (key.empty() || key.front() == '.' || key.back() == '.') return false;
    for (const char c : key)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '=' || c == '.' || c == '/'))
            return false;
    return true;
}

bool valid_bucket(std::string_view bucket) {
    if (bucket.empty()) return false;
    for (const char c : bucket)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
    return true;
}

class NatsStateStore final : public StateStore {
public:
    NatsStateStore(const NatsLocation& location, const Reporter& report, std::string bucket, std::string key)
        : connection_(location, report),
          bucket_(std::move(bucket)),
          key_(std::move(key)),
          name_(location.server_url() + "/" + bucket_ + "/" + key_) {}

    ~NatsStateStore() override {
        if (kv_) kvStore_Destroy(kv_);
    }

    bool load(std::optional<std::string>& bytes, std::string& error) override {
        bytes.reset();
        if (!open(error)) return false;
        // A writer may replace the parts while they are read: read again from the manifest a few times before
        // calling the checkpoint damaged.
        for (int attempt = 0;; ++attempt) {
            std::optional<std::string> manifest_value;
            if (!get(key_, manifest_value, error, &revision_)) return false;
            if (!manifest_value) {
                current_ = Manifest{};
                return true;  // no checkpoint yet
            }
            const auto parsed = parse_manifest(*manifest_value);
            if (!parsed) {
                error = name_ + ": the entry is not an eqlc checkpoint manifest";
                return false;
            }
            const Manifest& m = parsed->first;
            std::string data;
            std::string problem;
            if (m.parts == 0) {
                data = manifest_value->substr(parsed->second);
            } else {
                data.reserve(m.size);
                for (uint64_t i = 0; i < m.parts && problem.empty(); ++i) {
                    std::optional<std::string> part;
                    if (!get(part_key(m.generation, i), part, error)) return false;
                    if (!part)
                        problem =
                            "part " + part_key(m.generation, i) + " of " + std::to_string(m.parts) + " is missing";
                    else
                        data += *part;
                }
            }
            if (problem.empty() && data.size() != m.size)
                problem = "its parts hold " + std::to_string(data.size()) + " bytes, the manifest says " +
                          std::to_string(m.size);
            if (problem.empty() && fnv1a64(data) != m.checksum) problem = "its checksum does not match";
            if (problem.empty()) {
                current_ = m;
                bytes = std::move(data);
                return true;
            }
            if (attempt == 2) {
                error = name_ + ": checkpoint generation " + std::to_string(m.generation) + " is damaged: " + problem +
                        " (delete the key to start fresh)";
                return false;
            }
        }
    }

    bool save(std::string_view bytes, std::string& error) override {
        if (!open(error)) return false;
        if (!current_) {
            std::optional<std::string> value;
            if (!get(key_, value, error, &revision_)) return false;
            const auto parsed = value ? parse_manifest(*value) : std::nullopt;
            current_ = parsed ? parsed->first : Manifest{};
        }
        const Manifest previous = *current_;
        Manifest next;
        next.generation = previous.generation + 1;
        next.size = bytes.size();
        next.checksum = fnv1a64(bytes);

        const int64_t room = std::max<int64_t>(connection_.max_payload() - kHeadroom, 4096);
        const size_t part_size = static_cast<size_t>(room);
        std::string value;
        if (bytes.size() <= part_size) {
            value = manifest_line(next);
            value.append(bytes);
        } else {
            next.parts = (bytes.size() + part_size - 1) / part_size;
            for (uint64_t i = 0; i < next.parts; ++i) {
                const std::string_view part = bytes.substr(i * part_size, part_size);
                if (!put(part_key(next.generation, i), part, error)) return false;
            }
            value = manifest_line(next);
        }
        if (!write_manifest(value, error)) return false;
        current_ = next;
        // The old parts are garbage now; one that cannot be deleted only costs space until its slot is reused.
        for (uint64_t i = 0; i < previous.parts; ++i) {
            const std::string key = part_key(previous.generation, i);
            std::string ignored;
            connection_.retry(
                "delete " + key, [&](jsErrCode&) { return kvStore_Delete(kv_, key.c_str()); }, ignored);
        }
        return true;
    }

    std::string name() const override { return name_; }
    void set_budget(nats_detail::Clock::duration budget) { connection_.set_budget(budget); }

private:
    std::string part_key(uint64_t generation, uint64_t index) const {
        return key_ + ".p" + std::to_string(generation % 2) + "." + std::to_string(index);
    }

    // The bucket, created when absent (one value per key: the checkpoint has no use for history).
    bool open(std::string& error) {
        if (kv_) return connection_.ensure(error);
        return connection_.retry(
            "open key-value bucket " + bucket_,
            [&](jsErrCode&) {
                natsStatus status = js_KeyValue(&kv_, connection_.js(), bucket_.c_str());
                if (status == NATS_NOT_FOUND) {
                    kvConfig config;
                    kvConfig_Init(&config);
                    config.Bucket = bucket_.c_str();
                    config.History = 1;
                    config.StorageType = js_FileStorage;
                    status = js_CreateKeyValue(&kv_, connection_.js(), &config);
                }
                if (status != NATS_OK) kv_ = nullptr;
                return status;
            },
            error);
    }

    // The entry's value (nullopt when absent or deleted) and, when asked, its revision (0 then).
    bool get(const std::string& key, std::optional<std::string>& value, std::string& error,
             uint64_t* revision = nullptr) {
        value.reset();
        if (revision) *revision = 0;
        return connection_.retry(
            "read " + bucket_ + "/" + key,
            [&](jsErrCode&) {
                kvEntry* entry = nullptr;
                const natsStatus status = kvStore_Get(&entry, kv_, key.c_str());
                if (status == NATS_NOT_FOUND) return NATS_OK;  // absent or deleted
                if (status != NATS_OK) return status;
                value.emplace(static_cast<const char*>(kvEntry_Value(entry)),
                              static_cast<size_t>(kvEntry_ValueLen(entry)));
                if (revision) *revision = kvEntry_Revision(entry);
                kvEntry_Destroy(entry);
                return NATS_OK;
            },
            error);
    }

    bool put(const std::string& key, std::string_view bytes, std::string& error) {
        return connection_.retry(
            "write " + bucket_ + "/" + key + " (" + std::to_string(bytes.size()) + " bytes)",
            [&](jsErrCode&) {
                uint64_t revision = 0;
                return kvStore_Put(&revision, kv_, key.c_str(), bytes.data(), static_cast<int>(bytes.size()));
            },
            error);
    }

    // The manifest replaces the revision this store last read or wrote, and only that one: two workers given the
    // same state location would otherwise overwrite each other's checkpoints without anyone noticing.
    bool write_manifest(const std::string& value, std::string& error) {
        const uint64_t expected = revision_;
        uint64_t written = 0;
        std::string failure;
        const bool ok = connection_.retry(
            "write " + bucket_ + "/" + key_,
            [&](jsErrCode&) {
                const int length = static_cast<int>(value.size());
                return expected ? kvStore_Update(&written, kv_, key_.c_str(), value.data(), length, expected)
                                : kvStore_Create(&written, kv_, key_.c_str(), value.data(), length);
            },
            failure);
        if (ok) {
            revision_ = written;
            return true;
        }
        // Refused or failed: an earlier attempt of ours may have landed with its answer lost; otherwise someone
        // else wrote the entry.
        std::optional<std::string> now;
        uint64_t now_revision = 0;
        if (!get(key_, now, error, &now_revision)) {
            error = failure;
            return false;
        }
        if (now && *now == value) {
            revision_ = now_revision;
            return true;
        }
        if (now_revision != expected) {
            error = name_ + ": the checkpoint was replaced by another writer (revision " +
                    std::to_string(now_revision) + ", this worker last saw " + std::to_string(expected) +
                    "); is another worker using the same state location?";
            return false;
        }
        error = failure;
        return false;
    }

    NatsConnection connection_;
    std::string bucket_;
    std::string key_;
    std::string name_;
    kvStore* kv_ = nullptr;
    std::optional<Manifest> current_;  // what the entry holds, once read or written
    uint64_t revision_ = 0;            // the entry's revision then (0: none)
};

}  // namespace

std::unique_ptr<StateStore> make_nats_state_store(const NatsLocation& location, const Reporter& report,
                                                  std::string& error) {
    const std::string where = location.server_url() + "/...";
    if (location.path.size() != 2) {
        error = where + ": nats://HOST:PORT/BUCKET/KEY expected for a state location (a bucket and a key)";
        return nullptr;
    }
    if (!valid_bucket(location.path[0])) {
        error = location.server_url() + "/" + location.path[0] +
                ": a key-value bucket name takes only letters, digits, '-' and '_'";
        return nullptr;
    }
    if (!valid_key(location.path[1])) {
        error = location.server_url() + "/" + location.path[0] + "/" + location.path[1] +
                ": a key takes only letters, digits and - _ = . / (not at its ends: '.')";
        return nullptr;
    }
    for (const auto& param : location.params)
        if (param.first != "retry") {
            error = location.server_url() + ": unknown parameter '" + param.first + "' (retry= is known)";
            return nullptr;
        }
    nats_detail::Clock::duration budget;
    if (!nats_detail::retry_budget(location, nats_detail::kOperationBudget, budget, error)) return nullptr;
    auto store = std::make_unique<NatsStateStore>(location, report, location.path[0], location.path[1]);
    store->set_budget(budget);
    return store;
}

}  // namespace eqlc::service
