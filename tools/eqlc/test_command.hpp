// `eqlc test RULE_OR_FOLDER...`: runs each rule's test file (X.test.toml beside X.toml / X.eql) and prints a line
// per case, the differences of a failed one with why each missing alert did not fire, and a closing count.
#pragma once

#include "eqlc/engine.hpp"
#include "options.hpp"

namespace eqlc::cli {

// 0 when every case passed, 1 when one failed, 2 for a usage, rule or test-file error.
int run_tests(const Options& options, const EngineOptions& engine_options);

}  // namespace eqlc::cli
