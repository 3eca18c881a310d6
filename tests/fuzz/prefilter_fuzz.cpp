// libFuzzer target: the line prefilter never skips a line that a query would match.
//
// The input is NDJSON text (any bytes). It is read twice with the same projection: once without the line
// filter, once with the filter built from the queries' required text. Every line whose event satisfies one of
// the query filters in the first reading must come out of the second reading too. Queries are chosen for the
// filter's edge cases: case-insensitive needles (and k / i, which KELVIN SIGN and I WITH DOT ABOVE lower to),
// backslashes, quotes, slashes, control-character escapes, wildcard pieces.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "compiler/compiled_query.hpp"
#include "input/line_filter.hpp"
#include "input/ndjson_reader.hpp"
#include "input/projection.hpp"
#include "vm/interpreter.hpp"

namespace {

const char* const kQueries[] = {
    R"(any where a : "svchost.exe")",
    R"(any where a == "C:\\Windows\\x")",
    R"(any where b.c : "*kernel*")",
    R"(any where a like "pre/fix*")",
    R"(any where a : "quote\"d")",
    R"(any where a in ("tab\tx", "new\nline"))",
    R"(any where startsWith(b.c, "Ima"))",
    R"(any where a : "ijk" and b.c == "zzz")",
    R"(any where a : ("alpha", "beta") or b.c : "gamma")",
};

struct Setup {
    eqlc::vm::FieldCatalog catalog;
    std::vector<eqlc::compiler::CompiledQuery> queries;
    std::unique_ptr<eqlc::input::ProjectionPlan> plan;
    std::unique_ptr<eqlc::input::LineFilter> filter;

    Setup() {
        std::vector<eqlc::compiler::RequiredText> terms;
        for (const char* text : kQueries) {
            auto result = eqlc::compiler::compile_query(text, {}, catalog);
            if (!result.ok()) std::abort();
            const auto& required = result.query->terms.front().required;
            if (required.unconditional()) std::abort();  // each query must exercise the filter
            terms.push_back(required);
            queries.push_back(std::move(*result.query));
        }
        plan = std::make_unique<eqlc::input::ProjectionPlan>(catalog);
        std::string error;
        filter = eqlc::input::LineFilter::create(terms, &error);
        if (!filter) std::abort();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Setup setup;
    const std::string text(reinterpret_cast<const char*>(data), size);

    eqlc::vm::VmContext vm;
    eqlc::vm::EventRecord record;
    std::set<uint64_t> matching;
    {
        auto reader = eqlc::input::NdjsonReader::from_string(text, "fuzz", *setup.plan);
        while (reader->next(record))
            for (const auto& q : setup.queries)
                if (eqlc::vm::matches(*q.terms.front().filter, record, vm)) matching.insert(record.line);
    }
    std::set<uint64_t> kept;
    {
        eqlc::input::ReaderOptions options;
        options.line_filter = setup.filter.get();
        options.chunk_size = 64;  // many blocks and refills, lines across chunk boundaries
        auto reader = eqlc::input::NdjsonReader::from_string(text, "fuzz", *setup.plan, options);
        while (reader->next(record)) kept.insert(record.line);
    }
    for (const uint64_t line : matching)
        if (!kept.count(line)) std::abort();  // the filter skipped a line a query matches
    return 0;
}
