// Test helper for the compiler/VM tests: compile a query (optionally against a mapping), project JSON events
// with the shared projection, run the filter.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/compiled_query.hpp"
#include "input/json_projection.hpp"
#include "semantics/schema.hpp"
#include "vm/interpreter.hpp"

namespace eqlc::test {

class VmHarness {
public:
    VmHarness() = default;
    // `mapping` is an Elasticsearch mapping JSON text.
    explicit VmHarness(std::string_view mapping) {
        std::string error;
        schema_ = semantics::Schema::parse_mapping(mapping, &error);
        INFO(error);
        REQUIRE(schema_.has_value());
        options.schema = &*schema_;
    }

    compiler::CompileOptions options;

    // Compiles `query`; REQUIREs success.
    const compiler::CompiledQuery& compile(std::string_view query) {
        auto r = try_compile(query);
        if (!r.ok()) {
            for (const auto& d : r.diagnostics) UNSCOPED_INFO(d.message);
        }
        REQUIRE(r.ok());
        query_ = std::move(r.query);
        plan_.reset();
        return *query_;
    }

    compiler::CompileResult try_compile(std::string_view query) {
        return compiler::compile_query(query, options, catalog);
    }

    // Does the compiled filter (term 0) match the event given as JSON text?
    bool match(std::string_view event_json) { return matches_program(*query_->terms.at(0).filter, event_json); }
    bool operator()(std::string_view event_json) { return match(event_json); }

    bool matches_program(const vm::Program& program, std::string_view event_json) {
        project(event_json);
        return vm::matches(program, record_, ctx);
    }

    // Projects the event and returns the record (valid until the next call).
    const vm::EventRecord& project(std::string_view event_json) {
        if (!plan_) {
            input::ProjectionOptions o;
            if (query_) {
                o.timestamp_slot = query_->timestamp_slot;
                o.tiebreaker_slot = query_->tiebreaker_slot;
            }
            plan_.emplace(catalog, o);
        }
        event_ = nlohmann::json::parse(event_json);
        input::project(event_, *plan_, record_);
        return record_;
    }

    const compiler::CompiledQuery& query() const { return *query_; }
    semantics::Schema* schema() { return schema_ ? &*schema_ : nullptr; }

    vm::FieldCatalog catalog;
    vm::VmContext ctx;

private:
    std::optional<semantics::Schema> schema_;
    std::optional<compiler::CompiledQuery> query_;
    std::optional<input::ProjectionPlan> plan_;
    nlohmann::json event_;
    vm::EventRecord record_;
};

}  // namespace eqlc::test
