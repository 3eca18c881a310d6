#include "field_check_run.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "eqlc/printable.hpp"

namespace eqlc::cli {

bool load_field_checker(const Options& options, std::unique_ptr<eqlc::FieldChecker>& out) {
    if (options.schemas.empty()) return true;
    std::vector<eqlc::NamedSchema> schemas;
    for (const auto& name : options.schemas) {
        if (name == "ecs") {
            schemas.push_back({eqlc::ecs_mapping(), "ECS " + std::string(eqlc::ecs_version())});
            continue;
        }
        std::ifstream in(name, std::ios::binary);
        if (!in) {
            std::cerr << "eqlc: cannot read schema " << eqlc::printable(name) << ": " << std::strerror(errno) << '\n';
            return false;
        }
        std::ostringstream text;
        text << in.rdbuf();
        eqlc::Diagnostic problem;
        auto mapping = eqlc::Mapping::parse(text.str(), &problem);
        if (!mapping) {
            std::cerr << "eqlc: " << eqlc::printable(name) << ": not a usable mapping: " << problem.message << '\n';
            return false;
        }
        schemas.push_back({std::make_shared<const eqlc::Mapping>(std::move(*mapping)), name});
    }
    out = std::make_unique<eqlc::FieldChecker>(std::move(schemas));
    return true;
}

void FieldCheckTally::add(const eqlc::Diagnostics& diagnostics) {
    ++queries;
    for (const auto& d : diagnostics) {
        if (d.severity == eqlc::Severity::error) {
            ++errors;
            continue;
        }
        ++warnings;
        if (d.message.rfind("Unknown field [", 0) == 0) ++unknown_fields;
    }
}

void FieldCheckTally::print(const Options& options) const {
    std::string against;
    for (size_t i = 0; i < options.schemas.size(); ++i) {
        if (i) against += " and ";
        against += options.schemas[i] == "ecs" ? "ECS " + std::string(eqlc::ecs_version()) : options.schemas[i];
    }
    std::cerr << "eqlc: " << queries << (queries == 1 ? " query" : " queries") << " checked against "
              << eqlc::printable(against) << ": " << warnings << (warnings == 1 ? " warning" : " warnings") << " ("
              << unknown_fields << (unknown_fields == 1 ? " unknown field" : " unknown fields") << "), " << errors
              << (errors == 1 ? " error" : " errors") << '\n';
}

}  // namespace eqlc::cli
