// JUnit XML for `eqlc test --junit FILE`: the format CI systems (GitLab, Jenkins, GitHub actions' reporters) read.
#pragma once

#include <string>
#include <vector>

namespace eqlc::cli {

struct JunitCase {
    std::string name;
    std::string classname;  // the rule file
    std::string file;       // the test file
    unsigned line = 0;
    bool failed = false;
    bool error = false;   // could not run (a rule or test-file error) rather than a wrong result
    std::string message;  // one line
    std::string details;  // the failure text
};

struct JunitSuite {
    std::string name;  // the rule
    std::vector<JunitCase> cases;
};

std::string junit_xml(const std::vector<JunitSuite>& suites);

}  // namespace eqlc::cli
