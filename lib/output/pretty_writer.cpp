// The human summary of an alert: what a responder needs first, in a few lines.
//
//   [HIGH 47] WMI Incoming Lateral Movement  2026-11-20T09:01:01.250Z  host def-srv-01 (8f843a44-...)
//     1 network  10.10.20.50:50123 -> 10.10.20.11:135  svchost.exe  incoming
//     2 process  WmiPrvSE.exe -> cmd.exe  "cmd.exe /c whoami"  user CORP\alice (S-1-5-21-...)
#include <nlohmann/json.hpp>

#include "eqlc/match.hpp"
#include "eqlc/printable.hpp"
#include "values/timestamp.hpp"

namespace eqlc {
namespace {

using nlohmann::json;

// A value at a dotted path, whether the event nests objects or uses dotted keys.
const json* lookup(const json& object, std::string_view path) {
    if (!object.is_object()) return nullptr;
    if (auto it = object.find(std::string(path)); it != object.end()) return &*it;
    for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
        auto it = object.find(std::string(path.substr(0, dot)));
        if (it != object.end())
            if (const json* found = lookup(*it, path.substr(dot + 1))) return found;
    }
    return nullptr;
}

std::string raw_text(const json& source, std::string_view path) {
    const json* v = lookup(source, path);
    if (!v || v->is_null()) return {};
    if (v->is_string()) return v->get<std::string>();
    if (v->is_array()) {
        std::string out;
        for (const auto& item : *v) {
            if (!out.empty()) out += ',';
            out += item.is_string() ? item.get<std::string>() : item.dump();
        }
        return out;
    }
    return v->dump();
}

// A field's value as text, escaped for the terminal (event data may hold ESC sequences and other controls).
std::string text(const json& source, std::string_view path) { return printable(raw_text(source, path)); }

void append_field(std::string& out, std::string_view label, const std::string& value) {
    if (value.empty()) return;
    out += "  ";
    if (!label.empty()) {
        out += label;
        out += ' ';
    }
    out += value;
}

std::string upper(std::string s) {
    for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}

}  // namespace

std::string match_to_pretty(const Match& match, std::string_view query_name, const AlertRule* rule) {
    std::vector<json> sources;
    for (const auto& e : match.events) {
        json parsed = e.missing ? json() : json::parse(e.source, nullptr, false);
        sources.push_back(parsed.is_discarded() ? json() : std::move(parsed));
    }

    std::string out;
    if (rule) {
        out += '[' + printable(upper(rule->severity)) + ' ' + std::to_string(rule->risk_score) + "] " +
               printable(rule->name);
    } else {
        out += '[' + std::string(match_kind_name(match.kind)) + "] " + printable(query_name);
    }
    out += "  " + input::format_iso8601(match.timestamp_ns());
    // The host: from the last event that names one.
    for (auto it = sources.rbegin(); it != sources.rend(); ++it) {
        const std::string name = text(*it, "host.name"), id = text(*it, "host.id");
        if (name.empty() && id.empty()) continue;
        out += "  host " + (name.empty() ? id : name + (id.empty() ? "" : " (" + id + ")"));
        break;
    }
    out += '\n';

    for (size_t i = 0; i < match.events.size(); ++i) {
        out += "  " + std::to_string(i + 1) + ' ';
        if (match.events[i].missing) {
            out += "(missing event: none matched, as required)\n";
            continue;
        }
        const json& s = sources[i];
        std::string category = text(s, "event.category");
        out += category.empty() ? "event" : category;
        const std::string src = text(s, "source.ip"), dst = text(s, "destination.ip");
        if (!src.empty() || !dst.empty()) {
            const std::string sport = text(s, "source.port"), dport = text(s, "destination.port");
            out += "  " + (src.empty() ? "?" : src) + (sport.empty() ? "" : ":" + sport) + " -> " +
                   (dst.empty() ? "?" : dst) + (dport.empty() ? "" : ":" + dport);
        }
        const std::string parent = text(s, "process.parent.name"), process = text(s, "process.name");
        if (!parent.empty() && !process.empty()) {
            out += "  " + parent + " -> " + process;
        } else {
            append_field(out, "", process);
        }
        const std::string command_line = text(s, "process.command_line");
        if (!command_line.empty()) out += "  \"" + command_line + '"';
        append_field(out, "", text(s, "network.direction"));
        const std::string user = text(s, "user.name"), domain = text(s, "user.domain"), uid = text(s, "user.id");
        if (!user.empty() || !uid.empty()) {
            out += "  user " + (domain.empty() ? "" : domain + "\\") + user;
            if (!uid.empty()) out += (user.empty() ? "" : " ") + std::string("(") + uid + ")";
        }
        out += '\n';
    }
    if (!match.join_keys.empty()) out += "  by " + printable(match.join_keys.dump()) + '\n';
    return out;
}

}  // namespace eqlc
