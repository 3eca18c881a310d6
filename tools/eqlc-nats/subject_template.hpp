// Subjects (and message ids) made from an event: a template such as `events.{host.id}`, each `{field.path}` replaced
// by that field's value in the event.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

namespace eqlc_nats {

class SubjectTemplate {
public:
    // False with `error` (what is wrong, at which column) for an unclosed or empty `{}`.
    bool parse(std::string_view text, std::string& error);

    // The text for `event`. With `subject_safe`, each value has the characters that mean something in a subject
    // ('.', '*', '>', white space) replaced by '_', so one value stays one subject token; a missing, null, empty or
    // non-scalar value gives "_".
    std::string expand(simdjson::dom::element event, bool subject_safe) const;

    bool uses_fields() const;

private:
    struct Part {
        bool field = false;
        std::string literal;
        std::vector<std::string> path;  // field: the dotted name split at '.'
    };
    std::vector<Part> parts_;
};

// The value of a dotted field name in an event, whether the event nests it (`{"host":{"id":..}}`), spells it flat
// (`{"host.id":..}`) or mixes both, as ECS producers do; false when absent.
bool find_field(simdjson::dom::element event, const std::vector<std::string>& path, simdjson::dom::element& out);

}  // namespace eqlc_nats
