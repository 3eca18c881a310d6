#include "input/json_projection.hpp"

#include <cmath>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace eqlc::input {

namespace {

using json = nlohmann::json;
using NodeId = ProjectionPlan::NodeId;

class Walker {
public:
    Walker(const ProjectionPlan& plan, RecordBuilder& builder) : plan_(plan), builder_(builder) {}

    // Objects are entered only along referenced paths (bounded by the plan's depth), arrays at any depth: `depth_`
    // counts the levels and nothing deeper than kMaxJsonDepth is entered (Engine::push refuses such events before
    // projecting them, see json_depth_exceeds()), so the recursion stays bounded.
    void object(const json& obj, NodeId node) {
        if (++depth_ > kMaxJsonDepth) return;
        members(obj, node);
        --depth_;
    }

private:
    void members(const json& obj, NodeId node) {
        for (const auto& [key, value] : obj.items()) {
            const NodeId target = plan_.descend(node, key);
            if (target != ProjectionPlan::kNoNode) member(value, target);
        }
    }

    void member(const json& value, NodeId node) {
        const vm::SlotId slot = plan_.slot(node);
        if (value.is_object()) {
            if (plan_.has_children(node)) object(value, node);
        } else if (value.is_array()) {
            bool saw_object = false;
            array(value, node, saw_object);
            if (slot != ProjectionPlan::kNoSlot && !saw_object) builder_.mark_present(slot);
        } else if (slot != ProjectionPlan::kNoSlot && !value.is_binary() && !value.is_discarded()) {
            builder_.add(slot, scalar(value), false);
        }
    }

    void array(const json& arr, NodeId node, bool& saw_object) {
        if (++depth_ > kMaxJsonDepth) return;
        elements(arr, node, saw_object);
        --depth_;
    }

    void elements(const json& arr, NodeId node, bool& saw_object) {
        const vm::SlotId slot = plan_.slot(node);
        for (const json& element : arr) {
            if (element.is_object()) {
                saw_object = true;
                if (plan_.has_children(node)) object(element, node);
            } else if (element.is_array()) {
                array(element, node, saw_object);
            } else if (slot != ProjectionPlan::kNoSlot && !element.is_binary() && !element.is_discarded()) {
                builder_.add(slot, scalar(element), true);
            }
        }
    }

    static JsonScalar scalar(const json& v) {
        switch (v.type()) {
            case json::value_t::boolean: return JsonScalar::of_bool(v.get<bool>());
            case json::value_t::number_integer: return JsonScalar::of_int(v.get<int64_t>());
            case json::value_t::number_unsigned: return JsonScalar::of_uint(v.get<uint64_t>());
            case json::value_t::number_float: return JsonScalar::of_double(v.get<double>());
            case json::value_t::string: return JsonScalar::of_string(v.get_ref<const std::string&>());
            default:  // null (binary and discarded values are skipped before)
                return JsonScalar::null();
        }
    }

    const ProjectionPlan& plan_;
    RecordBuilder& builder_;
    uint32_t depth_ = 0;
};

}  // namespace

bool json_depth_exceeds(const json& value, uint32_t limit) {
    // Depth first with an explicit stack of (container, next child) pairs: no recursion, whatever the depth.
    if (!value.is_structured()) return false;
    std::vector<std::pair<const json*, json::const_iterator>> stack;
    stack.emplace_back(&value, value.cbegin());
    if (stack.size() > limit) return true;
    while (!stack.empty()) {
        auto& [container, it] = stack.back();
        if (it == container->cend()) {
            stack.pop_back();
            continue;
        }
        const json& child = *it;
        ++it;
        if (child.is_structured()) {
            if (stack.size() == limit) return true;
            stack.emplace_back(&child, child.cbegin());
        }
    }
    return false;
}

bool project(const json& event, const ProjectionPlan& plan, vm::EventRecord& out, RecordBuilder& builder) {
    builder.begin(plan, out);
    const bool is_object = event.is_object();
    if (is_object) Walker(plan, builder).object(event, ProjectionPlan::kRoot);
    builder.finish();
    return is_object;
}

bool project(const json& event, const ProjectionPlan& plan, vm::EventRecord& out) {
    RecordBuilder builder;
    return project(event, plan, out, builder);
}

}  // namespace eqlc::input
