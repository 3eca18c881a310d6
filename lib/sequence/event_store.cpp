#include "sequence/event_store.hpp"

namespace eqlc::sequence {

namespace {
// Sources of 4 GiB or more cannot be kept (32-bit length); the event is kept without text.
bool keeps_text(std::string_view s) { return !s.empty() && s.size() <= UINT32_MAX; }
}  // namespace

EventStore::~EventStore() { clear(); }

EventStore& EventStore::operator=(EventStore&& other) noexcept {
    if (this == &other) return *this;
    clear();
    own_pool_ = std::move(other.own_pool_);
    pool_ = other.pool_;
    entries_ = std::move(other.entries_);
    free_ = std::move(other.free_);
    live_ = other.live_;
    bytes_ = other.bytes_;
    held_bytes_ = other.held_bytes_;
    text_bytes_ = other.text_bytes_;
    held_text_bytes_ = other.held_text_bytes_;
    other.entries_.clear();
    return *this;
}

void EventStore::clear() {
    for (Entry& e : entries_) {
        if (e.text == nullptr) continue;
        if (e.refs > 0) TextPool::unhold(e.text);
        TextPool::release(e.text);
    }
    entries_.clear();
    free_.clear();
    live_ = bytes_ = held_bytes_ = text_bytes_ = held_text_bytes_ = 0;
}

EventHandle EventStore::add(const EventInfo& info, uint64_t seq) {
    EventHandle h;
    if (!free_.empty()) {
        h = free_.back();
        free_.pop_back();
    } else {
        h = static_cast<EventHandle>(entries_.size());
        entries_.emplace_back();
    }
    Entry& e = entries_[h];
    e.timestamp_ns = info.timestamp_ns;
    e.ordinal = info.ordinal;
    e.seq = seq;
    e.refs = 0;
    e.pins = kLive;
    e.text = nullptr;
    if (keeps_text(info.source)) e.text = info.text ? info.text->get(*pool_, info.source) : pool_->make(info.source);
    ++live_;
    bytes_ += entry_bytes(e);
    text_bytes_ += text_length(e);
    return h;
}

void EventStore::free_entry(EventHandle h) {
    Entry& e = entries_[h];
    bytes_ -= entry_bytes(e);
    text_bytes_ -= text_length(e);
    --live_;
    if (e.text) TextPool::release(e.text);
    e = Entry{};
    free_.push_back(h);
}

void EventStore::save(ByteWriter& w, SnapshotTextWriter* texts) const {
    w.u64(entries_.size());
    for (const Entry& e : entries_) {
        const bool live = (e.pins & kLive) != 0;
        w.u8(live ? 1 : 0);
        if (!live) continue;
        w.i64(e.timestamp_ns);
        w.u64(e.ordinal);
        w.u64(e.seq);
        w.u64(e.refs);
        w.u64(e.pins & ~kLive);
        if (texts)
            w.u64(e.text ? texts->id(e.text) + 1 : 0);
        else
            w.bytes(e.text ? e.text->view() : std::string_view());
    }
    w.u64(free_.size());
    for (EventHandle h : free_) w.u64(h);
}

bool EventStore::load(ByteReader& r, const SnapshotTextReader* texts) {
    clear();
    if (texts && &texts->pool() != pool_) return r.fail(), false;
    const uint64_t n = r.count();
    if (n >= kNoEvent) r.fail();
    entries_.resize(r.ok() ? n : 0);
    for (Entry& e : entries_) {
        if (!r.boolean()) continue;
        e.timestamp_ns = r.i64();
        e.ordinal = r.u64();
        e.seq = r.u64();
        e.refs = r.u32();
        const uint32_t pins = r.u32();
        SharedText* text = nullptr;
        if (texts) {
            const uint64_t id = r.u64();
            if (r.ok() && id > 0 && (text = texts->take(id - 1)) == nullptr) r.fail();
        } else {
            const auto s = r.bytes();
            if (r.ok() && !s.empty()) {
                if (!keeps_text(s)) return r.fail(), false;
                text = pool_->make(s);
            }
        }
        // The entry is live from here on (clear() must see it), whatever the checks below say.
        e.pins = kLive;
        e.text = text;
        ++live_;
        bytes_ += entry_bytes(e);
        text_bytes_ += text_length(e);
        if (e.refs > 0) {
            held_bytes_ += entry_bytes(e);
            held_text_bytes_ += text_length(e);
            if (e.text) TextPool::hold(e.text);
        }
        if (!r.ok()) return false;
        if (pins >= kLive || (e.refs == 0 && pins == 0)) return r.fail(), false;
        e.pins = pins | kLive;
    }
    const uint64_t nfree = r.count();
    std::vector<bool> seen(entries_.size(), false);
    for (uint64_t i = 0; i < nfree && r.ok(); ++i) {
        const uint64_t h = r.u64();
        if (h >= entries_.size() || (entries_[h].pins & kLive) || seen[h]) return r.fail(), false;
        seen[h] = true;
        free_.push_back(static_cast<EventHandle>(h));
    }
    if (r.ok() && free_.size() + live_ != entries_.size()) r.fail();
    return r.ok();
}

}  // namespace eqlc::sequence
