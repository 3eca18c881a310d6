#include "junit_report.hpp"

namespace eqlc::cli {

namespace {

// XML 1.0 text: the five special characters escaped, and control characters (not allowed in XML 1.0 at all)
// replaced, so that any rule name or event text gives a well-formed file.
std::string escape(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
                    out += '?';
                else
                    out += c;
        }
    }
    return out;
}

}  // namespace

std::string junit_xml(const std::vector<JunitSuite>& suites) {
    size_t tests = 0, failures = 0, errors = 0;
    for (const auto& s : suites)
        for (const auto& c : s.cases) {
            ++tests;
            failures += c.failed && !c.error;
            errors += c.error;
        }
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<testsuites name=\"eqlc test\" tests=\"" + std::to_string(tests) + "\" failures=\"" +
           std::to_string(failures) + "\" errors=\"" + std::to_string(errors) + "\">\n";
    for (const auto& s : suites) {
        size_t f = 0, e = 0;
        for (const auto& c : s.cases) {
            f += c.failed && !c.error;
            e += c.error;
        }
        out += "  <testsuite name=\"" + escape(s.name) + "\" tests=\"" + std::to_string(s.cases.size()) +
               "\" failures=\"" + std::to_string(f) + "\" errors=\"" + std::to_string(e) + "\">\n";
        for (const auto& c : s.cases) {
            out += "    <testcase name=\"" + escape(c.name) + "\" classname=\"" + escape(c.classname) + "\" file=\"" +
                   escape(c.file) + "\" line=\"" + std::to_string(c.line) + "\"";
            if (!c.failed) {
                out += "/>\n";
                continue;
            }
            const char* tag = c.error ? "error" : "failure";
            out += ">\n      <" + std::string(tag) + " message=\"" + escape(c.message) + "\">" + escape(c.details) +
                   "</" + tag + ">\n    </testcase>\n";
        }
        out += "  </testsuite>\n";
    }
    out += "</testsuites>\n";
    return out;
}

}  // namespace eqlc::cli
