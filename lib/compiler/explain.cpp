// EXPLAIN: prints programs one instruction per line, as SQLite's EXPLAIN does:
//
//   addr  opcode            A     B     target  operands / constants                 -- source
//   0     TEST_STR_EQ       s0    k0    ->4     @event.category "process"             -- @event.category == "process"
#include <cstdio>
#include <string>
#include <unordered_map>

#include "compiler/compiled_query.hpp"
#include "syntax/printer.hpp"
#include "values/function_table.hpp"
#include "values/number_format.hpp"
#include "vm/program.hpp"

namespace eqlc::compiler {

using vm::Instruction;
using vm::kNoIndex;
using vm::Opcode;
using vm::Program;
namespace flag = vm::flag;

namespace {

std::string value_text(const vm::Value& v) {
    switch (v.type) {
        case vm::ValueType::null: return "null";
        case vm::ValueType::boolean: return v.boolean ? "true" : "false";
        case vm::ValueType::integer: return vm::java_long_to_string(v.integer) + (vm::is_java_int(v) ? "" : "L");
        case vm::ValueType::floating: return vm::java_double_to_string(v.floating);
        case vm::ValueType::string: return syntax::quote_string(v.str());
    }
    return "?";
}

// The path of each slot a program reads (Program::slot_paths), looked up once per instruction.
using SlotNames = std::unordered_map<vm::SlotId, const std::string*>;

SlotNames slot_names(const Program& p) {
    SlotNames names;
    for (const auto& [slot, path] : p.slot_paths) names.emplace(slot, &path);
    return names;
}

std::string field_name(const SlotNames& names, vm::SlotId slot) {
    const auto found = names.find(slot);
    return found != names.end() ? "@" + *found->second : "@#" + std::to_string(slot);
}

const char* field_type_name(uint32_t t) {
    switch (static_cast<vm::FieldType>(t)) {
        case vm::FieldType::dynamic: return "dynamic";
        case vm::FieldType::keyword: return "keyword";
        case vm::FieldType::long_: return "long";
        case vm::FieldType::double_: return "double";
        case vm::FieldType::boolean: return "boolean";
        case vm::FieldType::date: return "date";
        case vm::FieldType::ip: return "ip";
        case vm::FieldType::version: return "version";
        case vm::FieldType::unsupported: return "unsupported";
    }
    return "?";
}

const char* arith_name(uint32_t op) {
    static constexpr const char* names[] = {"+", "-", "*", "/", "%"};
    return op < 5 ? names[op] : "?";
}

std::string function_name(uint32_t id) {
    for (const auto& spec : semantics::all_functions())
        if (static_cast<uint32_t>(spec.id) == id) return std::string(spec.name);
    return "fn#" + std::to_string(id);
}

// The decoded operands of one instruction.
std::string operands(const Program& p, const SlotNames& names, const Instruction& in) {
    std::string out;
    auto nullv = [&] {
        if (in.flags & flag::NULLV) out += " (null reads as " + value_text(p.constants[in.aux]) + ")";
    };
    auto neg = [&] { return std::string((in.flags & flag::NEG) ? "none of " : ""); };
    const std::string cmp = vm::cmp_op_symbol(in.cmp());
    switch (in.op) {
        case Opcode::HALT_TRUE:
        case Opcode::HALT_FALSE:
        case Opcode::JUMP:
        case Opcode::RET_VALUE: break;
        case Opcode::TEST_EXISTS:
            out = field_name(names, in.a) + ((in.flags & flag::NEG) ? " is null" : " exists");
            break;
        case Opcode::TEST_STR_EQ: out = neg() + field_name(names, in.a) + " == " + value_text(p.constants[in.b]); break;
        case Opcode::TEST_STR_EQ_CI:
            out = neg() + "lower(" + field_name(names, in.a) + ") == " + value_text(p.constants[in.b]);
            break;
        case Opcode::TEST_STR_LIST: {
            const auto& list = p.string_lists[in.b];
            out = neg() + ((in.flags & flag::CI) ? "lower(" + field_name(names, in.a) + ")" : field_name(names, in.a)) +
                  " in (";
            for (size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + value_text(list[i]);
            out += ")";
            break;
        }
        case Opcode::TEST_STR_IN:
            out = neg() + field_name(names, in.a) + " in set#" + std::to_string(in.b) + " (" +
                  std::to_string(p.literal_sets[in.b].size()) + " strings" +
                  (p.literal_sets[in.b].case_insensitive() ? ", case-insensitive)" : ")");
            break;
        case Opcode::TEST_STR_CMP:
        case Opcode::TEST_NUM_CMP:
        case Opcode::TEST_VERSION_CMP:
            out = neg() + field_name(names, in.a) + " " + cmp + " " + value_text(p.constants[in.b]);
            break;
        case Opcode::TEST_PREFIX:
            out = neg() + field_name(names, in.a) + " starts with " + value_text(p.constants[in.b]) +
                  ((in.flags & flag::CI) ? " (case-insensitive)" : "");
            break;
        case Opcode::TEST_GLOB:
            out = neg() + field_name(names, in.a) + " like " + syntax::quote_string(p.globs[in.b].glob.pattern()) +
                  " (" + to_string(p.globs[in.b].glob.shape()) +
                  (p.globs[in.b].glob.case_insensitive() ? ", case-insensitive)" : ")");
            break;
        case Opcode::TEST_GLOB_LIST: {
            const auto& list = p.glob_lists[in.b];
            out = neg() + field_name(names, in.a) + " like globs#" + std::to_string(in.b) + " (";
            for (size_t i = 0; i < list.size(); ++i)
                out += (i ? ", " : "") + syntax::quote_string(list[i].glob.pattern());
            out += (!list.empty() && list[0].glob.case_insensitive()) ? "; case-insensitive)" : ")";
            break;
        }
        case Opcode::TEST_PATTERN: {
            const auto& s = p.pattern_sets[in.b].stats();
            out = neg() + field_name(names, in.a) + " like set#" + std::to_string(in.b) + " (" +
                  std::to_string(p.pattern_sets[in.b].size()) + " patterns: " + std::to_string(s.exact) + " exact, " +
                  std::to_string(s.prefix) + " prefix, " + std::to_string(s.suffix) + " suffix, " +
                  std::to_string(s.contains) + " contains, " + std::to_string(s.general) + " general" +
                  (p.pattern_sets[in.b].case_insensitive() ? "; case-insensitive)" : ")");
            break;
        }
        case Opcode::TEST_REGEX:
            out = neg() + field_name(names, in.a) + " regex /" + p.regexes[in.b].re2_pattern() + "/";
            break;
        case Opcode::TEST_NUM_IN:
            out = neg() + field_name(names, in.a) + " in numbers#" + std::to_string(in.b) + " (" +
                  std::to_string(p.number_sets[in.b].size()) + " numbers)";
            break;
        case Opcode::TEST_BOOL:
            out = neg() + field_name(names, in.a) + " is " +
                  (in.b == 3   ? "a boolean"
                   : in.b == 2 ? "true"
                   : in.b == 1 ? "false"
                               : "never");
            break;
        case Opcode::TEST_IP_IN:
            out = neg() + field_name(names, in.a) + " in cidr#" + std::to_string(in.b) + " (" +
                  std::to_string(p.cidr_sets[in.b].size()) + " blocks)";
            break;
        case Opcode::TEST_IP_CMP:
            out = neg() + field_name(names, in.a) + " " + cmp + " ip#" + std::to_string(in.b);
            break;
        case Opcode::TEST_VALUE: out = (in.flags & flag::EXPECT_FALSE) ? "pop == FALSE" : "pop == TRUE"; break;
        case Opcode::PUSH_CONST: out = value_text(p.constants[in.b]); break;
        case Opcode::PUSH_FIELD: out = field_name(names, in.a) + " as " + field_type_name(in.b); break;
        case Opcode::CALL:
            out = function_name(in.b) + ((in.flags & flag::CI) ? "~" : "") + "/" + std::to_string(in.aux);
            if (in.a != kNoIndex) out += " cidr#" + std::to_string(in.a);
            break;
        case Opcode::ARITH: out = arith_name(in.b); break;
        case Opcode::CMP: out = cmp + (in.b == 1 ? " (ip)" : in.b == 2 ? " (version)" : ""); break;
        case Opcode::NEG:
        case Opcode::IS_NULL:
        case Opcode::NOT3:
        case Opcode::AND3:
        case Opcode::OR3: break;
        case Opcode::V_STR_EQ_CI:
        case Opcode::V_PREFIX: out = value_text(p.constants[in.b]); break;
        case Opcode::V_STR_IN: out = "set#" + std::to_string(in.b); break;
        case Opcode::V_NUM_IN: out = "numbers#" + std::to_string(in.b); break;
        case Opcode::V_IN_ANY:
            for (uint32_t i = 0; i < in.aux; ++i) out += (i ? ", " : "") + value_text(p.constants[in.b + i]);
            break;
        case Opcode::V_GLOB: out = syntax::quote_string(p.globs[in.b].glob.pattern()); break;
        case Opcode::V_PATTERN: out = "set#" + std::to_string(in.b); break;
        case Opcode::V_REGEX: out = "/" + p.regexes[in.b].re2_pattern() + "/"; break;
        case Opcode::V_IP_IN: out = "cidr#" + std::to_string(in.b); break;
    }
    nullv();
    return out;
}

bool is_jump(const Instruction& in) {
    switch (in.op) {
        case Opcode::HALT_TRUE:
        case Opcode::HALT_FALSE:
        case Opcode::RET_VALUE:
        case Opcode::PUSH_CONST:
        case Opcode::PUSH_FIELD:
        case Opcode::CALL:
        case Opcode::ARITH:
        case Opcode::NEG:
        case Opcode::CMP:
        case Opcode::IS_NULL:
        case Opcode::NOT3:
        case Opcode::AND3:
        case Opcode::OR3:
        case Opcode::V_STR_EQ_CI:
        case Opcode::V_STR_IN:
        case Opcode::V_NUM_IN:
        case Opcode::V_IN_ANY:
        case Opcode::V_GLOB:
        case Opcode::V_PATTERN:
        case Opcode::V_REGEX:
        case Opcode::V_PREFIX:
        case Opcode::V_IP_IN: return false;
        default: return true;
    }
}

}  // namespace

std::string explain(const Program& p) {
    std::string out;
    out += "program " + p.label + " (" + (p.kind == Program::Kind::condition ? "condition" : "value") + ", " +
           std::to_string(p.code.size()) + " instructions, " + std::to_string(p.constants.size()) + " constants";
    if (p.max_stack) out += ", stack " + std::to_string(p.max_stack);
    out += ")\n";
    const SlotNames names = slot_names(p);
    char line[96];
    std::snprintf(line, sizeof line, "%-5s %-17s %-8s %s\n", "addr", "opcode", "jump", "operands");
    out += line;
    for (size_t i = 0; i < p.code.size(); ++i) {
        const Instruction& in = p.code[i];
        std::string jump;
        if (is_jump(in)) {
            if (in.op == Opcode::JUMP)
                jump = "->" + std::to_string(in.target);
            else
                jump = std::string((in.flags & flag::JT) ? "T" : "F") + "->" + std::to_string(in.target);
        }
        std::snprintf(line, sizeof line, "%-5zu %-17s %-8s ", i, std::string(opcode_name(in.op)).c_str(), jump.c_str());
        out += line;
        out += operands(p, names, in);
        if (i < p.notes.size() && !p.notes[i].empty()) out += "  -- " + p.notes[i];
        out += "\n";
    }
    return out;
}

std::string explain(const CompiledQuery& q) {
    std::string out;
    const char* kind = q.kind == ast::QueryKind::event      ? "event"
                       : q.kind == ast::QueryKind::sequence ? "sequence"
                                                            : "sample";
    out += std::string("query: ") + kind + ", " + std::to_string(q.terms.size()) + " term(s)";
    if (q.maxspan_ns) out += ", maxspan " + std::to_string(*q.maxspan_ns) + "ns";
    if (q.until) out += ", until";
    for (const auto& p : q.pipes)
        out += std::string(", | ") + (p.kind == PipeLimit::Kind::head ? "head " : "tail ") + std::to_string(p.count);
    out += "\n";
    auto term = [&](const CompiledTerm& t, const std::string& name) {
        out += "\n" + name + (t.missing ? " (missing event)" : "") + ": " + (t.any ? "any" : t.category) + "\n";
        for (size_t i = 0; i < t.keys.size(); ++i) {
            const auto& k = t.keys[i];
            out += "  key " + std::to_string(i) + ": " + k.text + (k.optional ? " (optional)" : "");
            if (k.slot)
                out += " = slot " + std::to_string(*k.slot) + "\n";
            else
                out += " = program\n";
        }
        out += "  line prefilter: " + to_string(t.required) + "\n";
        if (!t.exact_values.empty()) {
            out += "  skipped unless";
            for (size_t i = 0; i < t.exact_values.size(); ++i)
                out += std::string(i ? "," : "") + " " + t.exact_values[i].field + " has \"" + t.exact_values[i].value +
                       "\"";
            out += "\n";
        }
        if (t.filter) out += explain(*t.filter);
        for (const auto& k : t.keys)
            if (k.program) out += explain(*k.program);
    };
    for (size_t i = 0; i < q.terms.size(); ++i) {
        // runs=N copies share their program: print it once
        if (i > 0 && q.terms[i].filter == q.terms[i - 1].filter) {
            out += "\nterm " + std::to_string(i) + ": same as term " + std::to_string(i - 1) + " (runs)\n";
            continue;
        }
        term(q.terms[i], "term " + std::to_string(i));
    }
    if (q.until) term(*q.until, "until");
    return out;
}

}  // namespace eqlc::compiler
