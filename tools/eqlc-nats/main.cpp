// eqlc-nats — sets up and feeds a NATS JetStream deployment of eqlc workers: streams, events published from NDJSON
// files, and a look at what a stream holds. This file reads the command line; commands.hpp does the work.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"

namespace {

constexpr std::string_view kUsage = R"(usage: eqlc-nats COMMAND URL ARGS... [OPTIONS]

Sets up and feeds a NATS JetStream deployment of eqlc workers. URL is the server, nats://HOST:PORT.

commands:
  stream-add URL NAME SUBJECT... [--replicas N] [--duplicate-window DURATION] [--max-age DURATION]
      Creates the stream NAME capturing SUBJECT... (file storage), or updates it to this configuration when it
      exists; running it again changes nothing. --replicas N: copies on N servers of a cluster (default 1);
      --duplicate-window: how long a Nats-Msg-Id is remembered to drop a message published again (default: the
      server's, 2m); --max-age: messages older than this are removed (default: kept).
  publish URL FILE... [--subject TEMPLATE] [--msg-id TEMPLATE]
      Publishes each line of each NDJSON FILE ('-': standard input), one JSON object per line, through JetStream,
      in order, and waits until the server has acknowledged every one; a publication that times out or finds no
      stream leader for a moment is sent again. The subject is TEMPLATE (default 'events.{host.id}') with each
      {field.path} replaced by the event's value of that field (nested or dotted keys); a value has '.', '*', '>'
      and white space replaced by '_', and a missing, null or non-scalar value gives '_'. --msg-id TEMPLATE sets
      the Nats-Msg-Id header the same way (values unchanged), so that publishing a file again within the stream's
      duplicate window stores nothing twice. A line that is not a JSON object is reported as FILE:LINE and skipped
      (blank lines are ignored). At the end, prints on stderr the events published, the lines skipped, the time
      and the events/s. Exit 2 when a file cannot be read or a publication failed.
  get URL STREAM [--headers]
      Prints every message of STREAM in sequence order, one per line, up to the last one the stream had when the
      command started. --headers: each line starts with the message's Nats-Msg-Id ('-' when it has none) and a tab.
  count URL STREAM
      Prints the number of messages in STREAM.

DURATION is a number with a unit: ns, us, ms, s, m, h or d (500ms, 2m, 7d).
Exit status: 0 done, 2 usage error or failure.
)";

int usage_error(const std::string& message) {
    std::cerr << "eqlc-nats: " << message << "\n(eqlc-nats --help for usage)\n";
    return 2;
}

bool parse_duration(std::string_view text, int64_t& ns) {
    size_t digits = 0;
    while (digits < text.size() && ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) ++digits;
    if (digits == 0) return false;
    const std::string number(text.substr(0, digits));
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (*end != '\0' || !(value >= 0)) return false;
    const std::string_view unit = text.substr(digits);
    double scale = 0;
    if (unit == "ns")
        scale = 1;
    else if (unit == "us")
        scale = 1e3;
    else if (unit == "ms")
        scale = 1e6;
    else if (unit == "s")
        scale = 1e9;
    else if (unit == "m")
        scale = 60e9;
    else if (unit == "h")
        scale = 3600e9;
    else if (unit == "d")
        scale = 86400e9;
    else
        return false;
    const double total = value * scale;
    if (total > 9.2e18) return false;
    ns = static_cast<int64_t>(total);
    return true;
}

// The command line after the command: positional arguments and --name VALUE / --name=VALUE options in any order.
struct Arguments {
    std::vector<std::string> positional;
    std::vector<std::pair<std::string, std::string>> options;
    std::string error;
};

Arguments split(int argc, char** argv, const std::vector<std::string_view>& with_value,
                const std::vector<std::string_view>& flags) {
    Arguments out;
    for (int i = 2; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg.size() < 3 || arg.substr(0, 2) != "--") {
            out.positional.emplace_back(arg);
            continue;
        }
        const size_t equals = arg.find('=');
        const std::string name(arg.substr(0, equals));
        const bool takes_value = std::find(with_value.begin(), with_value.end(), name) != with_value.end();
        if (!takes_value && std::find(flags.begin(), flags.end(), name) == flags.end()) {
            out.error = "unknown option " + name;
            return out;
        }
        if (!takes_value) {
            if (equals != std::string_view::npos) out.error = name + " takes no value";
            out.options.emplace_back(name, "");
            continue;
        }
        if (equals != std::string_view::npos) {
            out.options.emplace_back(name, std::string(arg.substr(equals + 1)));
        } else if (i + 1 < argc) {
            out.options.emplace_back(name, argv[++i]);
        } else {
            out.error = name + " needs a value";
            return out;
        }
    }
    return out;
}

int run_stream_add(int argc, char** argv) {
    const Arguments args = split(argc, argv, {"--replicas", "--duplicate-window", "--max-age"}, {});
    if (!args.error.empty()) return usage_error("stream-add: " + args.error);
    if (args.positional.size() < 3) return usage_error("stream-add: URL, a stream name and a subject expected");
    eqlc_nats::StreamAddOptions options;
    options.url = args.positional[0];
    options.name = args.positional[1];
    options.subjects.assign(args.positional.begin() + 2, args.positional.end());
    for (const auto& [name, value] : args.options) {
        if (name == "--replicas") {
            char* end = nullptr;
            const long replicas = std::strtol(value.c_str(), &end, 10);
            if (end == value.c_str() || *end != '\0' || replicas < 1 || replicas > 5)
                return usage_error("stream-add: --replicas " + value + ": a number from 1 to 5 expected");
            options.replicas = replicas;
        } else if (!parse_duration(value, name == "--max-age" ? options.max_age_ns : options.duplicate_window_ns)) {
            return usage_error("stream-add: " + name + " " + value + ": a duration such as 500ms, 2m, 1h expected");
        }
    }
    return eqlc_nats::stream_add(options);
}

int run_publish(int argc, char** argv) {
    const Arguments args = split(argc, argv, {"--subject", "--msg-id"}, {});
    if (!args.error.empty()) return usage_error("publish: " + args.error);
    if (args.positional.size() < 2) return usage_error("publish: URL and at least one FILE expected");
    eqlc_nats::PublishOptions options;
    options.url = args.positional[0];
    options.files.assign(args.positional.begin() + 1, args.positional.end());
    for (const auto& [name, value] : args.options) (name == "--subject" ? options.subject : options.msg_id) = value;
    return eqlc_nats::publish(options);
}

int run_get(int argc, char** argv) {
    const Arguments args = split(argc, argv, {}, {"--headers"});
    if (!args.error.empty()) return usage_error("get: " + args.error);
    if (args.positional.size() != 2) return usage_error("get: URL and STREAM expected");
    return eqlc_nats::get(args.positional[0], args.positional[1], !args.options.empty());
}

int run_count(int argc, char** argv) {
    const Arguments args = split(argc, argv, {}, {});
    if (!args.error.empty()) return usage_error("count: " + args.error);
    if (args.positional.size() != 2) return usage_error("count: URL and STREAM expected");
    return eqlc_nats::count(args.positional[0], args.positional[1]);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage_error("a command expected: stream-add, publish, get or count");
    const std::string_view command = argv[1];
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") {
            std::cout << kUsage;
            return std::cout.flush() ? 0 : 2;
        }
    }
    if (command == "stream-add") return run_stream_add(argc, argv);
    if (command == "publish") return run_publish(argc, argv);
    if (command == "get") return run_get(argc, argv);
    if (command == "count") return run_count(argc, argv);
    return usage_error("unknown command '" + std::string(command) + "'");
}
