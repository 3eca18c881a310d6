// The fields the loaded queries reference, each with a slot id. The compiler interns every field path it
// resolves (after schema aliases), the reader projects exactly these paths out of each event into the
// slots of an EventRecord, and the VM reads slots by id. One catalog is shared by all queries run in one
// pass, so an event is read once whatever the number of rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "values/value.hpp"

namespace eqlc::vm {

// How Elasticsearch would have indexed a field, which decides how its event values are compared.
// `dynamic` (no schema) keeps JSON types as they are. The reader coerces values into the slot's type the
// way Elasticsearch coerces them at index time (a number in a keyword field is the string "4"; a numeric
// string in a long field is a number; a date becomes nanoseconds).
enum class FieldType : uint8_t {
    dynamic,
    keyword,  // keyword, constant_keyword, wildcard, and text with a keyword sub-field
    long_,    // long, integer, short, byte, unsigned_long (within int64)
    double_,  // double, float, half_float, scaled_float
    boolean,
    date,         // date, date_nanos: compared as instants
    ip,           // compared as addresses
    version,      // compared as versions
    unsupported,  // text without keyword, nested, object used as a value...
};

class FieldCatalog {
public:
    // Returns the slot of `dotted_path` ("process.parent.name"), adding it when new.
    SlotId intern(std::string_view dotted_path) {
        if (auto found = find(dotted_path)) return *found;
        const auto id = static_cast<SlotId>(paths_.size());
        paths_.emplace_back(dotted_path);
        types_.push_back(FieldType::dynamic);
        index_.emplace(paths_.back(), id);
        return id;
    }

    void set_type(SlotId id, FieldType type) { types_.at(id) = type; }
    FieldType type(SlotId id) const { return types_.at(id); }

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
    std::vector<FieldType> types_;
    std::unordered_map<std::string, SlotId> index_;
};

}  // namespace eqlc::vm
