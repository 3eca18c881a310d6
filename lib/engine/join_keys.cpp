#include "engine/join_keys.hpp"

#include "sequence/key.hpp"

namespace eqlc::engine {

bool JoinKeyBuilder::build(const compiler::CompiledTerm& term, const vm::EventRecord& event, vm::VmContext& vm) {
    keys_.clear();
    const size_t n = term.keys.size();
    if (components_.size() < n) components_.resize(n);
    size_t combinations = 1;
    for (size_t k = 0; k < n; ++k) {
        const compiler::JoinKey& key = term.keys[k];
        auto& list = components_[k];
        list.clear();
        auto add = [&](const vm::Value& v) {
            if (v.is_null()) return;
            std::string& component = list.add();
            sequence::append_key_component(v, component);
            for (size_t i = 0; i + 1 < list.size(); ++i)
                if (list[i] == component) {
                    list.pop_back();  // [a, a] is one key, not two
                    return;
                }
        };
        if (key.slot) {
            for (const vm::Value& v : event.field(*key.slot)) add(v);
        } else if (key.program) {
            add(vm::evaluate(*key.program, event, vm));
        }
        if (list.empty()) {
            if (!key.optional) return false;
            sequence::append_key_component(vm::Value::null(), list.add());
        }
        combinations *= list.size();
        if (combinations > kMaxCombinations) combinations = kMaxCombinations + 1;
    }
    if (combinations > kMaxCombinations) ++truncated_;

    // Odometer over the lists, the last key turning fastest.
    odometer_.assign(n, 0);
    for (size_t made = 0; made < kMaxCombinations; ++made) {
        std::string& encoded = keys_.add();
        for (size_t k = 0; k < n; ++k) encoded += components_[k][odometer_[k]];
        size_t k = n;
        while (k > 0) {
            --k;
            if (++odometer_[k] < components_[k].size()) break;
            odometer_[k] = 0;
            if (k == 0) return true;
        }
        if (n == 0) return true;
    }
    return true;
}

}  // namespace eqlc::engine
