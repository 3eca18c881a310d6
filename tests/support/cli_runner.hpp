// Runs the eqlc binary the way a user does, capturing its exit status, standard output and standard error.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "support/files.hpp"

namespace eqlc::test {

struct CliResult {
    int status = -1;  // exit status (or -1 when the process did not exit normally)
    std::string out;
    std::string err;

    std::vector<std::string> out_lines() const {
        std::vector<std::string> lines;
        std::istringstream in(out);
        for (std::string line; std::getline(in, line);) lines.push_back(line);
        return lines;
    }
};

inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\'')
            q += "'\\''";
        else
            q += c;
    }
    return q + "'";
}

// Runs `PROGRAM ARGS...`, with `stdin_text` as standard input.
inline CliResult run_program(const std::string& program, const std::vector<std::string>& args,
                             const std::string& stdin_text = "") {
    TempDir dir;
    const auto in = dir.write("stdin", stdin_text);
    const auto out = dir.path() / "stdout";
    const auto err = dir.path() / "stderr";
    std::string command = shell_quote(program);
    for (const auto& a : args) command += ' ' + shell_quote(a);
    command += " <" + shell_quote(in.string()) + " >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string());
    const int raw = std::system(command.c_str());
    CliResult r;
    r.status = (raw != -1 && WIFEXITED(raw)) ? WEXITSTATUS(raw) : -1;
    r.out = read_text(out);
    r.err = read_text(err);
    return r;
}

// Runs `eqlc ARGS...` (the binary built with the tests), with `stdin_text` as standard input.
inline CliResult run_eqlc(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    return run_program(EQLC_CLI_PATH, args, stdin_text);
}

}  // namespace eqlc::test
