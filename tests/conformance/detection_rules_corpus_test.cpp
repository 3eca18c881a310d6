// Every query of the real detection-rules corpus must be accepted by the whole front end and survive the
// printer round trip: parse(print(parse(q))) is the same tree as parse(q).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "eqlc/query.hpp"
#include "semantics/checker.hpp"
#include "support/shared_data.hpp"
#include "syntax/parser.hpp"
#include "syntax/printer.hpp"

TEST_CASE("every corpus rule is accepted and round-trips through the printer", "[corpus][frontend]") {
    EQLC_REQUIRE_SHARED(dir, "corpus/detection-rules/queries");
    const auto files = eqlc::test::files_in(*dir, ".eql");
    REQUIRE(files.size() >= 500);

    size_t accepted = 0, round_tripped = 0;
    for (const auto& file : files) {
        const std::string text = eqlc::test::read_text(file);
        INFO(file.filename().string());
        const auto diagnostics = eqlc::check_query(text);
        for (const auto& d : diagnostics) INFO(eqlc::format_diagnostic(d, text, file.filename().string()));
        CHECK(diagnostics.empty());
        if (diagnostics.empty()) ++accepted;

        auto parsed = eqlc::syntax::parse_query(text);
        REQUIRE(parsed.ok());
        const std::string printed = eqlc::syntax::print_query(*parsed.query);
        auto reparsed = eqlc::syntax::parse_query(printed);
        INFO("printed:\n" << printed);
        REQUIRE(reparsed.ok());
        CHECK(eqlc::ast::same_query(*parsed.query, *reparsed.query));
        // Printing is canonical: printing the reparsed tree gives the same text again.
        CHECK(eqlc::syntax::print_query(*reparsed.query) == printed);
        if (eqlc::ast::same_query(*parsed.query, *reparsed.query)) ++round_tripped;
    }
    CHECK(accepted == files.size());
    CHECK(round_tripped == files.size());
    WARN("corpus: " << accepted << "/" << files.size() << " accepted, " << round_tripped << " round-tripped");
}

TEST_CASE("every conformance query is accepted and round-trips", "[corpus][frontend]") {
    EQLC_REQUIRE_SHARED(dir, "conformance/elastic/queries");
    size_t count = 0;
    for (const auto& file : eqlc::test::files_in(*dir, ".json")) {
        const auto specs = nlohmann::json::parse(eqlc::test::read_text(file));
        for (const auto& spec : specs) {
            const std::string text = spec.at("query").get<std::string>();
            INFO(file.filename().string() << " " << spec.at("name").get<std::string>() << "\n" << text);
            // Elasticsearch's rules only: whether a field may be referenced depends on the suite's mapping,
            // which the conformance tests apply when they compile and run these queries.
            auto parsed = eqlc::syntax::parse_query(text);
            REQUIRE(parsed.ok());
            const auto diagnostics = eqlc::semantics::check_query(*parsed.query);
            for (const auto& d : diagnostics) INFO(eqlc::format_diagnostic(d, text, "<query>"));
            CHECK(diagnostics.empty());
            auto reparsed = eqlc::syntax::parse_query(eqlc::syntax::print_query(*parsed.query));
            REQUIRE(reparsed.ok());
            CHECK(eqlc::ast::same_query(*parsed.query, *reparsed.query));
            ++count;
        }
    }
    CHECK(count >= 200);
}
