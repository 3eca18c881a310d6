#include "engine/literal_scan.hpp"

#include <hs.h>

#include <limits>
#include <new>
#include <stdexcept>

namespace eqlc::engine {

LiteralScan::Scratch::~Scratch() {
    if (space_) hs_free_scratch(space_);
}

LiteralScan LiteralScan::compile(const std::vector<std::string>& literals) {
    LiteralScan out;
    if (literals.empty()) return out;
    std::vector<const char*> texts;
    std::vector<size_t> lengths;
    std::vector<unsigned> flags(literals.size(), HS_FLAG_SINGLEMATCH), ids;
    for (size_t i = 0; i < literals.size(); ++i) {
        texts.push_back(literals[i].data());
        lengths.push_back(literals[i].size());
        ids.push_back(static_cast<unsigned>(i));
        out.shortest_ = std::min(out.shortest_, literals[i].size());
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* error = nullptr;
    if (hs_compile_lit_multi(texts.data(), flags.data(), ids.data(), lengths.data(),
                             static_cast<unsigned>(literals.size()), HS_MODE_BLOCK, nullptr, &db,
                             &error) != HS_SUCCESS) {
        const std::string message = error && error->message ? error->message : "unknown error";
        hs_free_compile_error(error);
        throw std::runtime_error("cannot compile the rule index's literals: " + message);
    }
    out.db_.reset(db, [](hs_database_t* d) { hs_free_database(d); });
    out.count_ = static_cast<uint32_t>(literals.size());
    return out;
}

void LiteralScan::prepare(Scratch& scratch) const {
    if (db_ && hs_alloc_scratch(db_.get(), &scratch.space_) != HS_SUCCESS) throw std::bad_alloc();
}

void LiteralScan::scan(std::string_view text, Scratch& scratch) const {
    scratch.found_.clear();
    if (text.size() > std::numeric_limits<unsigned>::max()) {  // beyond what one scan takes: say every literal
        for (uint32_t id = 0; id < count_; ++id) scratch.found_.push_back(id);
        return;
    }
    auto on_match = [](unsigned id, unsigned long long, unsigned long long, unsigned, void* context) -> int {
        static_cast<std::vector<uint32_t>*>(context)->push_back(id);
        return 0;
    };
    if (hs_scan(db_.get(), text.data(), static_cast<unsigned>(text.size()), 0, scratch.space_, on_match,
                &scratch.found_) != HS_SUCCESS)
        throw std::runtime_error("the rule index's literal scan failed");
}

}  // namespace eqlc::engine
