// The fields the loaded queries reference, each with a slot id. The compiler interns every field path it
// resolves (after schema aliases), the reader projects exactly these paths out of each event into the
// slots of an EventRecord, and the VM reads slots by id. One catalog is shared by all queries run in one
// pass, so an event is read once whatever the number of rules.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vm/value.hpp"

namespace eqlc::vm {

class FieldCatalog {
public:
    // Returns the slot of `dotted_path` ("process.parent.name"), adding it when new.
    SlotId intern(std::string_view dotted_path) {
        if (auto found = find(dotted_path)) return *found;
        const auto id = static_cast<SlotId>(paths_.size());
        paths_.emplace_back(dotted_path);
        index_.emplace(paths_.back(), id);
        return id;
    }

    std::optional<SlotId> find(std::string_view dotted_path) const {
        auto it = index_.find(std::string(dotted_path));
        if (it == index_.end()) return std::nullopt;
        return it->second;
    }

    size_t size() const { return paths_.size(); }
    const std::string& path(SlotId id) const { return paths_.at(id); }
    const std::vector<std::string>& paths() const { return paths_; }

private:
    std::vector<std::string> paths_;
    std::unordered_map<std::string, SlotId> index_;
};

}  // namespace eqlc::vm
