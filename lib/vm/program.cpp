#include "vm/program.hpp"

#include <algorithm>
#include <iterator>

namespace eqlc::vm {

namespace {

constexpr OpcodeInfo kOpcodes[] = {
#define EQLC_OPCODE_INFO(name, a, b, aux, target, pops, pushes, synopsis, form) \
    {#name, Operand::a, Operand::b, Operand::aux, Operand::target, pops, pushes, synopsis, form},
    EQLC_OPCODES(EQLC_OPCODE_INFO)
#undef EQLC_OPCODE_INFO
};

static_assert(std::size(kOpcodes) == kOpcodeCount);

}  // namespace

const OpcodeInfo& opcode_info(Opcode op) { return kOpcodes[static_cast<size_t>(op)]; }
std::string_view opcode_name(Opcode op) { return kOpcodes[static_cast<size_t>(op)].name; }
std::string_view opcode_synopsis(Opcode op) { return kOpcodes[static_cast<size_t>(op)].synopsis; }

FilteredGlob FilteredGlob::compile(std::string_view pattern, bool case_insensitive) {
    FilteredGlob f;
    f.glob = matchers::Glob::compile(pattern, case_insensitive);
    const std::string& p = f.glob.pattern();  // folded when case-insensitive
    const size_t first = p.find_first_of("*?");
    const size_t last = p.find_last_of("*?");
    if (first == std::string::npos) {
        f.head = p;
        f.min_bytes = f.max_bytes = static_cast<uint32_t>(p.size());
        return f;
    }
    f.head = p.substr(0, first);
    f.tail = p.substr(last + 1);
    uint64_t literal = 0, questions = 0;
    bool star = false;
    for (char c : p) {
        if (c == '*')
            star = true;
        else if (c == '?')
            ++questions;
        else
            ++literal;
    }
    f.min_bytes = static_cast<uint32_t>(std::min<uint64_t>(literal + questions, UINT32_MAX));
    if (!star) f.max_bytes = static_cast<uint32_t>(std::min<uint64_t>(literal + 4 * questions, UINT32_MAX));
    return f;
}

}  // namespace eqlc::vm
