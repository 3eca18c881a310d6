// EXPLAIN: prints programs one instruction per line, as SQLite's EXPLAIN does:
//
//   addr  opcode            jump     operands
//   0     TEST_STR_EQ       F->4     @event.category == "process"  -- @event.category == "process"
//
// The operands are decoded by the opcode table (vm/program.hpp): each field by its Operand kind, laid out by the
// opcode's form.
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

// Operand `kind` of `in`, whose field holds `v`, as EXPLAIN prints it; `detailed` adds what the matcher holds.
std::string operand_text(const Program& p, const SlotNames& names, const Instruction& in, vm::Operand kind, uint32_t v,
                         bool detailed) {
    using vm::Operand;
    const std::string index = std::to_string(v);
    switch (kind) {
        case Operand::none: return "";
        case Operand::slot: return field_name(names, v);
        case Operand::constant: return value_text(p.constants[v]);
        case Operand::constant_run: {
            std::string out;
            for (uint32_t i = 0; i < in.aux; ++i) out += (i ? ", " : "") + value_text(p.constants[v + i]);
            return out;
        }
        case Operand::string_list: {
            std::string out;
            const auto& list = p.string_lists[v];
            for (size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + value_text(list[i]);
            return out;
        }
        case Operand::literal_set:
            if (!detailed) return "set#" + index;
            return "set#" + index + " (" + std::to_string(p.literal_sets[v].size()) + " strings" +
                   (p.literal_sets[v].case_insensitive() ? ", case-insensitive)" : ")");
        case Operand::number_set:
            if (!detailed) return "numbers#" + index;
            return "numbers#" + index + " (" + std::to_string(p.number_sets[v].size()) + " numbers)";
        case Operand::glob: {
            const auto& glob = p.globs[v].glob;
            if (!detailed) return syntax::quote_string(glob.pattern());
            return syntax::quote_string(glob.pattern()) + " (" + to_string(glob.shape()) +
                   (glob.case_insensitive() ? ", case-insensitive)" : ")");
        }
        case Operand::glob_list: {
            if (!detailed) return "globs#" + index;
            const auto& list = p.glob_lists[v];
            std::string out = "globs#" + index + " (";
            for (size_t i = 0; i < list.size(); ++i)
                out += (i ? ", " : "") + syntax::quote_string(list[i].glob.pattern());
            out += (!list.empty() && list[0].glob.case_insensitive()) ? "; case-insensitive)" : ")";
            return out;
        }
        case Operand::pattern_set: {
            if (!detailed) return "set#" + index;
            const auto& s = p.pattern_sets[v].stats();
            return "set#" + index + " (" + std::to_string(p.pattern_sets[v].size()) +
                   " patterns: " + std::to_string(s.exact) + " exact, " + std::to_string(s.prefix) + " prefix, " +
                   std::to_string(s.suffix) + " suffix, " + std::to_string(s.contains) + " contains, " +
                   std::to_string(s.general) + " general" +
                   (p.pattern_sets[v].case_insensitive() ? "; case-insensitive)" : ")");
        }
        case Operand::regex: return "/" + p.regexes[v].re2_pattern() + "/";
        case Operand::cidr_set_or_none:
            if (v == kNoIndex) return "";
            [[fallthrough]];
        case Operand::cidr_set:
            if (!detailed) return "cidr#" + index;
            return "cidr#" + index + " (" + std::to_string(p.cidr_sets[v].size()) + " blocks)";
        case Operand::ip: return "ip#" + index;
        case Operand::bool_mask: return v == 3 ? "a boolean" : v == 2 ? "true" : v == 1 ? "false" : "never";
        case Operand::field_type: return field_type_name(v);
        case Operand::function: return function_name(v);
        case Operand::arith_op: return arith_name(v);
        case Operand::compare_kind: return v == 1 ? "(ip)" : v == 2 ? "(version)" : "";
        case Operand::argc:
        case Operand::count:
        case Operand::target:
        case Operand::branch: return index;
        case Operand::null_value: return (in.flags & flag::NULLV) ? "null reads as " + value_text(p.constants[v]) : "";
    }
    return "?";
}

// The flag a `{FLAG?yes|no}` of an opcode's form tests.
uint8_t form_flag(std::string_view name) {
    if (name == "NEG") return flag::NEG;
    if (name == "CI") return flag::CI;
    if (name == "EXPECT_FALSE") return flag::EXPECT_FALSE;
    return 0;
}

// The decoded operands of one instruction: its opcode's form (program.hpp) with the operands filled in.
std::string operands(const Program& p, const SlotNames& names, const Instruction& in) {
    const vm::OpcodeInfo& info = vm::opcode_info(in.op);
    std::string out;
    const std::string_view form = info.form;
    for (size_t i = 0; i < form.size();) {
        if (form[i] != '{') {
            out += form[i++];
            continue;
        }
        const size_t close = form.find('}', i);
        std::string_view item = form.substr(i + 1, close - i - 1);
        i = close + 1;
        if (const size_t q = item.find('?'); q != std::string_view::npos) {  // {FLAG?yes|no}
            const size_t bar = item.find('|', q);
            out += (in.flags & form_flag(item.substr(0, q))) ? item.substr(q + 1, bar - q - 1) : item.substr(bar + 1);
            continue;
        }
        if (item == "op") {
            out += vm::cmp_op_symbol(in.cmp());
            continue;
        }
        const bool spaced = item.starts_with(' ');  // "{ A}": a space before A, unless A prints nothing
        if (spaced) item.remove_prefix(1);
        const bool detailed = item.ends_with('+');  // "{B+}": B with details
        if (detailed) item.remove_suffix(1);
        std::string text = item == "A"   ? operand_text(p, names, in, info.a, in.a, detailed)
                           : item == "B" ? operand_text(p, names, in, info.b, in.b, detailed)
                                         : operand_text(p, names, in, info.aux, in.aux, detailed);
        if (spaced && !text.empty()) out += ' ';
        out += text;
    }
    if (info.aux == vm::Operand::null_value && (in.flags & flag::NULLV))
        out += " (" + operand_text(p, names, in, info.aux, in.aux, false) + ")";
    return out;
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
        const vm::Operand target = vm::opcode_info(in.op).target;
        if (target == vm::Operand::target)
            jump = "->" + std::to_string(in.target);
        else if (target == vm::Operand::branch)
            jump = std::string((in.flags & flag::JT) ? "T" : "F") + "->" + std::to_string(in.target);
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
