// nats://HOST[:PORT]/PATH?PARAMS locations: the one parser every NATS source, sink and store goes through.
#include <charconv>

#include "service/nats.hpp"

namespace eqlc::service {

namespace {

constexpr std::string_view kScheme = "nats://";

std::string expected(std::string_view text, std::string_view problem) {
    return std::string(text) + ": " + std::string(problem) +
           " (nats://HOST[:PORT]/PATH[?key=value&...] expected, e.g. nats://127.0.0.1:4222/STREAM?consumer=NAME)";
}

// %XX escapes in a path segment or a parameter, so that a subject with reserved characters can still be given.
bool unescape(std::string_view in, std::string& out) {
    out.clear();
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        if (i + 2 >= in.size()) return false;
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, value, 16);
        if (ec != std::errc() || end != in.data() + i + 3) return false;
        out.push_back(static_cast<char>(value));
        i += 2;
    }
    return true;
}

}  // namespace

std::string NatsLocation::server_url() const {
    const bool ipv6 = host.find(':') != std::string::npos;
    return std::string(kScheme) + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string NatsLocation::param(std::string_view name) const {
    for (const auto& [key, value] : params)
        if (key == name) return value;
    return {};
}

bool is_nats_location(std::string_view text) { return text.substr(0, kScheme.size()) == kScheme; }

bool parse_nats_location(std::string_view text, NatsLocation& out, std::string& error) {
    out = NatsLocation{};
    if (!is_nats_location(text)) {
        error = expected(text, "not a nats:// location");
        return false;
    }
    std::string_view rest = text.substr(kScheme.size());
    const size_t query_at = rest.find('?');
    std::string_view query = query_at == std::string_view::npos ? std::string_view{} : rest.substr(query_at + 1);
    rest = rest.substr(0, query_at);
    const size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);

    if (authority.find('@') != std::string_view::npos) {
        error = expected(text, "credentials in the location are not supported");
        return false;
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            error = expected(text, "an IPv6 address without its closing ']'");
            return false;
        }
        out.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                error = expected(text, "':PORT' or '/' expected after the IPv6 address");
                return false;
            }
            port_text = after.substr(1);
            if (port_text.empty()) {
                error = expected(text, "an empty port");
                return false;
            }
        }
    } else {
        const size_t colon = authority.find(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) {
                error = expected(text, "an empty port");
                return false;
            }
        }
    }
    if (out.host.empty()) {
        error = expected(text, "no host");
        return false;
    }
    if (!port_text.empty()) {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535) {
            error = expected(text, "port '" + std::string(port_text) + "' is not a number from 1 to 65535");
            return false;
        }
        out.port = static_cast<uint16_t>(value);
    }

    while (!path.empty()) {
        const size_t next = path.find('/');
        std::string segment;
        if (!unescape(path.substr(0, next), segment)) {
            error = expected(text, "a bad %XX escape in the path");
            return false;
        }
        if (segment.empty()) {
            error = expected(text, "an empty path segment");
            return false;
        }
        out.path.push_back(std::move(segment));
        if (next == std::string_view::npos) break;
        path = path.substr(next + 1);
        if (path.empty()) break;  // a trailing '/' is harmless
    }

    while (!query.empty()) {
        const size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        const size_t eq = pair.find('=');
        std::string key;
        std::string value;
        if (eq == 0 || !unescape(pair.substr(0, eq), key) ||
            (eq != std::string_view::npos && !unescape(pair.substr(eq + 1), value))) {
            error = expected(text, "a bad parameter '" + std::string(pair) + "'");
            return false;
        }
        out.params.emplace_back(std::move(key), std::move(value));
    }
    return true;
}

}  // namespace eqlc::service
