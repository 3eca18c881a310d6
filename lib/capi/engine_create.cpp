// Making an engine through the C API: from a rule file or folder (loaded and compiled as the eqlc tool does it), or
// from one query; every problem as a compiler-style message with its file:line:column.
#include <filesystem>
#include <system_error>

#include "capi/handles.hpp"
#include "eqlc/alert.hpp"
#include "eqlc/diagnostics.hpp"
#include "eqlc/rule_query.hpp"

namespace {

namespace fs = std::filesystem;
using eqlc::capi::set_error;

// Compiles the handle's queries into its engine and wires the handlers. Compile problems go to `messages`
// (positions in the rule file for a rule, in the query for a query); false when no engine can run.
bool start(eqlc_engine& handle, std::vector<eqlc::QuerySource> queries, const eqlc::EngineOptions& options,
           bool skip_invalid, std::string& messages) {
    eqlc::EngineOptions compile_options = options;
    compile_options.skip_invalid_queries = true;  // every problem of every query is reported, whatever the choice
    auto compiled = eqlc::CompiledQueries::compile(queries, compile_options);
    for (const auto& problem : compiled.problems) {
        const eqlc::rules::Rule* rule = handle.rules[problem.query];
        for (const auto& d : problem.diagnostics) {
            if (rule && rule->source_text)
                messages +=
                    eqlc::format_diagnostic(rule->to_file_diagnostic(d), *rule->source_text, rule->path.string());
            else
                messages += eqlc::format_diagnostic(d, queries[problem.query].text, queries[problem.query].name);
        }
        if (rule) messages += rule->path.string() + ": rule not run\n";
    }
    if (!compiled.queries || (!compiled.problems.empty() && !skip_invalid)) return false;
    if (!compiled.problems.empty()) {
        // Left out: the engine runs, lists and numbers only the valid ones.
        std::vector<eqlc::QuerySource> valid;
        std::vector<const eqlc::rules::Rule*> valid_rules;
        for (size_t q = 0; q < queries.size(); ++q) {
            if (!compiled.queries->valid(q)) continue;
            valid.push_back(queries[q]);
            valid_rules.push_back(handle.rules[q]);
        }
        handle.rules = std::move(valid_rules);
        compiled = eqlc::CompiledQueries::compile(std::move(valid), compile_options);
        if (!compiled.queries) return false;
    }
    handle.engine = eqlc::Engine::create(compiled.queries, options);
    if (!handle.engine) return false;
    handle.fields = handle.engine->fields();

    eqlc_engine* self = &handle;
    handle.engine->on_match([self](const eqlc::Match& m) {
        if (!self->alert_fn) return;
        const std::string text = eqlc::alert_to_ndjson(m, self->engine->query_name(m.query), self->rules[m.query]);
        self->alert_fn(self->alert_user, text.c_str(), text.size());
    });
    handle.engine->on_bad_input([self](const eqlc::BadInput& bad) {
        if (self->bad_inputs++ == 0) {
            self->first_bad_input = bad.origin;
            if (bad.line) self->first_bad_input += ":" + std::to_string(bad.line);
            self->first_bad_input += ": " + bad.message;
        }
        if (self->bad_input_fn)
            self->bad_input_fn(self->bad_input_user, bad.origin.c_str(), bad.line, bad.message.c_str(),
                               bad.excerpt.c_str());
    });
    return true;
}

// Loads the rules under `path` into the handle; messages for every file that gives no rule (and warnings).
// False when some file was refused or the path is unusable.
bool load(eqlc_engine& handle, const std::string& path, std::string& messages, int& status) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        messages += path + ": no such file or folder\n";
        status = EQLC_ERROR_IO;
        return false;
    }
    handle.loads.push_back(eqlc::rules::load_rule_folder(path));
    const auto& loaded = handle.loads.back();
    bool ok = loaded.diagnostics.empty();
    for (const auto& d : loaded.diagnostics) messages += path + ": " + d.message + "\n";
    if (!ok) status = EQLC_ERROR_IO;
    for (const auto& file : loaded.files) {
        for (const auto& d : file.diagnostics) messages += eqlc::format_diagnostic(d, file.text(), file.path.string());
        if (file.refused()) {
            messages += file.path.string() + ": rule not loaded: " + file.reason() + "\n";
            if (ok) status = file.status == eqlc::rules::LoadStatus::unreadable ? EQLC_ERROR_IO : EQLC_ERROR_RULE;
            ok = false;
        }
    }
    for (const eqlc::rules::Rule* rule : loaded.rules()) handle.rules.push_back(rule);
    return ok;
}

// Finishes a constructor: the engine, or null with the messages.
eqlc_engine* result(std::unique_ptr<eqlc_engine> handle, bool ok, const std::string& messages, char** error) {
    if (!ok) {
        set_error(error, messages.empty() ? "no engine could be made" : messages);
        return nullptr;
    }
    if (error) *error = messages.empty() ? nullptr : eqlc::capi::copy_out(messages);
    return handle.release();
}

// The constructors' guard: an exception becomes a message (no handle).
template <typename Body>
eqlc_engine* guarded_create(char** error, Body&& body) noexcept {
    if (error) *error = nullptr;
    try {
        return body();
    } catch (const std::bad_alloc&) {
        set_error(error, "out of memory");
    } catch (const std::exception& e) {
        set_error(error, std::string("internal error: ") + e.what());
    } catch (...) {
        set_error(error, "internal error");
    }
    return nullptr;
}

}  // namespace

extern "C" {

eqlc_engine* eqlc_engine_from_path(const char* rule_file_or_folder, const eqlc_options* options, char** error) {
    return guarded_create(error, [&]() -> eqlc_engine* {
        if (!rule_file_or_folder) {
            set_error(error, "eqlc_engine_from_path: no path");
            return nullptr;
        }
        eqlc::EngineOptions engine_options;
        int status = EQLC_OK;
        std::string messages;
        if (!eqlc::capi::engine_options(options, engine_options, status, messages))
            return result(nullptr, false, messages, error);
        const bool skip_invalid = engine_options.skip_invalid_queries;
        auto handle = std::make_unique<eqlc_engine>();
        const bool loaded = load(*handle, rule_file_or_folder, messages, status);
        if (handle->rules.empty()) {
            if (loaded) messages += std::string(rule_file_or_folder) + ": no rule to run\n";
            return result(nullptr, false, messages, error);
        }
        if (!loaded && !skip_invalid) return result(nullptr, false, messages, error);
        std::vector<eqlc::QuerySource> queries;
        for (const eqlc::rules::Rule* rule : handle->rules) queries.push_back(eqlc::authoring::rule_query(*rule));
        const bool started = start(*handle, std::move(queries), engine_options, skip_invalid, messages);
        return result(std::move(handle), started, messages, error);
    });
}

eqlc_engine* eqlc_engine_from_query(const char* query, const eqlc_options* options, char** error) {
    return guarded_create(error, [&]() -> eqlc_engine* {
        if (!query) {
            set_error(error, "eqlc_engine_from_query: no query");
            return nullptr;
        }
        eqlc::EngineOptions engine_options;
        int status = EQLC_OK;
        std::string messages;
        if (!eqlc::capi::engine_options(options, engine_options, status, messages))
            return result(nullptr, false, messages, error);
        auto handle = std::make_unique<eqlc_engine>();
        handle->rules.push_back(nullptr);
        const bool started = start(*handle, {{query, "<query>"}}, engine_options, false, messages);
        return result(std::move(handle), started, messages, error);
    });
}

void eqlc_engine_free(eqlc_engine* engine) { delete engine; }

}  // extern "C"
