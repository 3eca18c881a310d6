// Where a worker's checkpoints are kept: a file (written to a temporary file beside it, synced, renamed over it)
// or a NATS JetStream key-value entry (nats://HOST:PORT/BUCKET/KEY; a checkpoint larger than the server's message
// size is split into parts, written before the entry that names them, so a reader sees the old or the new whole).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "service/event_source.hpp"

namespace eqlc::service {

class StateStore {
public:
    virtual ~StateStore() = default;
    // The stored checkpoint, or nullopt when there is none yet. False with `error` when it cannot be read (a server
    // that stays away after the retries, a file that cannot be read).
    virtual bool load(std::optional<std::string>& bytes, std::string& error) = 0;
    // Replaces the stored checkpoint, atomically: after a crash at any point, load() gives the old one or the new
    // one. True only once the new one is durably stored.
    virtual bool save(std::string_view bytes, std::string& error) = 0;
    virtual std::string name() const = 0;  // the location, for messages
};

// A file path: the checkpoint is written to PATH.tmp, synced, and renamed over PATH (then the folder is synced).
std::unique_ptr<StateStore> make_file_state_store(const std::string& path);

// LOCATION is a file path or nats://HOST:PORT/BUCKET/KEY. Null with `error` when a nats:// location is malformed
// (connecting happens at the first load/save, with retries).
std::unique_ptr<StateStore> open_state_store(const std::string& location, const Reporter& report, std::string& error);

}  // namespace eqlc::service
