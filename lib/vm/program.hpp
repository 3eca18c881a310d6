// The bytecode of eqlc's VM. This file is the specification of the VM: the opcode table below says what each
// instruction does, and lib/vm/interpreter.cpp does exactly that.
//
// A Program is either a CONDITION program (an event filter: the result is "the event matches" or not) or a
// VALUE program (a join key: the result is a Value). Programs are immutable after code generation and hold
// everything they need (constants, matchers), so one Program is shared by any number of threads; the mutable
// scratch of an evaluation (value stack, string arena, error counters) is in the caller's vm::VmContext.
//
// Condition programs are "jumping code": and/or compile to short-circuit jumps, and every test instruction
// carries its own conditional jump, so a leaf costs one dispatch. A test computes a boolean r, applies NEG,
// then jumps to `target` when r equals its JT bit, else falls through:
//
//     r = predicate; if (flags & NEG) r = !r; pc = (r == bool(flags & JT)) ? target : pc + 1;
//
// Case-insensitive tests fold each event value (Java toLowerCase(Locale.ROOT)) at most once per evaluation: the
// folded text is cached in the VmContext, so several `:` leaves on one field share it.
//
// Field tests (TEST_* with a slot in A) are Elasticsearch's Lucene-query leaves: r is "ANY non-null value of
// slot A satisfies the predicate", false when the field is missing, null or an empty array; with NEG the test
// is "NO value satisfies it", true when the field is missing (SEMANTICS "Decisions" 3 and 4). A null value is
// skipped, unless the NULLV flag says the mapping has a null_value: then it reads as constant[aux].
//
// The value stack path (PUSH_*, CALL, ARITH, CMP, V_*, logic) is three-valued: null propagates, comparisons with
// null are null, and TEST_VALUE turns the top of the stack into a jump: r is "the value is boolean TRUE" (or
// FALSE with EXPECT_FALSE), so null never satisfies it.
//
// Operands: A = slot id / stack argument, B = constant or matcher index, target = instruction index, aux = a
// small extra operand (argument count; null_value constant index). Comparison operators (vm::CmpOp) live in
// flags bits 4-6.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "matchers/cidr.hpp"
#include "matchers/glob.hpp"
#include "matchers/literal_set.hpp"
#include "matchers/lucene_regex.hpp"
#include "matchers/pattern_set.hpp"
#include "values/functions.hpp"
#include "values/value.hpp"

namespace eqlc::vm {

// X(name, synopsis): the opcode table. The synopsis is what the instruction does; EXPLAIN prints it.
#define EQLC_OPCODES(X)                                                                                              \
    /* ---- control ---------------------------------------------------------------------------------------- */      \
    X(HALT_TRUE, "stop: the condition is TRUE (the event matches)")                                                  \
    X(HALT_FALSE, "stop: the condition is not TRUE (FALSE or NULL)")                                                 \
    X(JUMP, "pc = target")                                                                                           \
    X(RET_VALUE, "stop: the result is the top of the stack (value programs)")                                        \
    /* ---- field tests: r = any value v of slot A satisfies ..., then NEG / conditional jump ------------------- */ \
    X(TEST_EXISTS, "r = slot A has a non-null value                (NEG: A == null, i.e. missing/null)")             \
    X(TEST_STR_EQ, "r = v is a string equal to constant[B]           (bytes, case-sensitive)")                       \
    X(TEST_STR_EQ_CI, "r = lower(v) == constant[B]                  (B already lowered; Java Locale.ROOT)")          \
    X(TEST_STR_LIST, "r = v equals one of string_lists[B]           (a few strings; CI: lower(v), list lowered)")    \
    X(TEST_STR_IN, "r = v is in literal_sets[B]                     (case-insensitive if the set is)")               \
    X(TEST_STR_CMP, "r = v <op> constant[B] in byte order           (keyword range query)")                          \
    X(TEST_PREFIX, "r = v starts with constant[B]                   (CI: lower(v), B already lowered)")              \
    X(TEST_GLOB, "r = globs[B] matches all of v                     (one wildcard pattern)")                         \
    X(TEST_GLOB_LIST, "r = one of glob_lists[B] matches all of v    (a few patterns, tried in turn)")                \
    X(TEST_PATTERN, "r = pattern_sets[B] matches all of v           (many wildcard patterns)")                       \
    X(TEST_REGEX, "r = regexes[B] fully matches v                   (Lucene regexp via RE2)")                        \
    X(TEST_NUM_CMP, "r = v is a number and v <op> constant[B]       (by value across int/double)")                   \
    X(TEST_NUM_IN, "r = v is a number in number_sets[B]")                                                            \
    X(TEST_BOOL, "r = v is a boolean and bit v of mask B is set     (1 = false, 2 = true)")                          \
    X(TEST_IP_IN, "r = v parses as an ip inside cidr_sets[B]        (==, in, cidrMatch on ip fields)")               \
    X(TEST_IP_CMP, "r = v parses as an ip and v <op> ips[B]         (address order)")                                \
    X(TEST_VERSION_CMP, "r = v is a string and v <op> constant[B] by version precedence")                            \
    /* ---- bridge from the value stack ----------------------------------------------------------------------- */   \
    X(TEST_VALUE, "pop x; r = x is boolean TRUE (EXPECT_FALSE: boolean FALSE); null gives r = false")                \
    /* ---- value stack: three-valued ------------------------------------------------------------------------ */    \
    X(PUSH_CONST, "push constant[B]")                                                                                \
    X(PUSH_FIELD, "push the script value of slot A: its first doc value (min by FieldType B), null if none")         \
    X(CALL, "pop aux args; push function B(args)  (CI: the ~ form; A: cidr_sets index for cidrMatch)")               \
    X(ARITH, "pop y, x; push x <ArithOp B> y; null if either is null or on error")                                   \
    X(NEG, "pop x; push -x")                                                                                         \
    X(CMP, "pop y, x; push x <op> y as CompareKind B; null if either is null or they are incomparable")              \
    X(IS_NULL, "pop x; push x == null (never null)")                                                                 \
    X(NOT3, "pop x; push not x (not null = null)")                                                                   \
    X(AND3, "pop y, x; push x and y (false wins over null)")                                                         \
    X(OR3, "pop y, x; push x or y (true wins over null)")                                                            \
    X(V_STR_EQ_CI, "pop x; push lower(x) == constant[B]; null if x is null")                                         \
    X(V_STR_IN, "pop x; push x in literal_sets[B]; null if x is null")                                               \
    X(V_NUM_IN, "pop x; push x in number_sets[B]; null if x is null")                                                \
    X(V_IN_ANY, "pop x; push x equals one of constant[B .. B+aux); null if x is null")                               \
    X(V_GLOB, "pop x; push globs[B] matches x; null if x is null")                                                   \
    X(V_PATTERN, "pop x; push pattern_sets[B] matches x; null if x is null")                                         \
    X(V_REGEX, "pop x; push regexes[B] matches x; null if x is null")                                                \
    X(V_PREFIX, "pop x; push x starts with constant[B] (CI); null if x is null")                                     \
    X(V_IP_IN, "pop x; push x inside cidr_sets[B]; null if x is null")

enum class Opcode : uint8_t {
#define EQLC_OPCODE_ENUM(name, synopsis) name,
    EQLC_OPCODES(EQLC_OPCODE_ENUM)
#undef EQLC_OPCODE_ENUM
};

std::string_view opcode_name(Opcode op);
std::string_view opcode_synopsis(Opcode op);

// Instruction flags.
namespace flag {
inline constexpr uint8_t NEG = 1u << 0;           // tests: negate r (no value satisfies the predicate)
inline constexpr uint8_t JT = 1u << 1;            // tests: jump when r is true (else when r is false)
inline constexpr uint8_t CI = 1u << 2;            // case-insensitive (TEST_PREFIX, V_PREFIX, CALL)
inline constexpr uint8_t NULLV = 1u << 3;         // field reads: a null value reads as constant[aux]
inline constexpr uint8_t EXPECT_FALSE = 1u << 7;  // TEST_VALUE: r is "x is boolean FALSE"
inline constexpr unsigned CMP_SHIFT = 4;          // bits 4-6: vm::CmpOp
}  // namespace flag

struct Instruction {
    Opcode op = Opcode::HALT_FALSE;
    uint8_t flags = 0;
    uint16_t aux = 0;
    uint32_t a = 0;
    uint32_t b = 0;
    uint32_t target = 0;

    vm::CmpOp cmp() const { return static_cast<vm::CmpOp>((flags >> flag::CMP_SHIFT) & 7u); }
};

static_assert(sizeof(Instruction) == 16, "an instruction is two words");
static_assert(std::is_trivially_copyable_v<Instruction>);

inline constexpr uint32_t kNoIndex = UINT32_MAX;

// The byte lengths a value must have to match a set of literals or patterns (after folding, for the
// case-insensitive ones). The VM checks it on the raw value before folding or hashing: for ASCII text folding
// keeps the length; otherwise Java's lower case keeps it within [1/3, 3/2] of the original.
struct LengthBounds {
    uint32_t min = 0;
    uint32_t max = UINT32_MAX;
};

// A wildcard pattern with cheap rejection tests computed at compile time: most values that do not match fail
// on their length or on one memcmp of the literal before the first / after the last wildcard, before the
// glob itself runs.
struct FilteredGlob {
    matchers::Glob glob;
    uint32_t min_bytes = 0;           // a match has at least this many bytes (literal bytes + one per `?`)
    uint32_t max_bytes = UINT32_MAX;  // and, without `*`, at most this many (a `?` is at most 4 bytes)
    std::string head;                 // a match starts with these bytes
    std::string tail;                 // a match ends with these bytes

    static FilteredGlob compile(std::string_view pattern, bool case_insensitive);

    // `value` is folded when the glob is case-insensitive.
    bool matches_folded(std::string_view value) const {
        if (value.size() < min_bytes || value.size() > max_bytes) return false;
        if (!value.starts_with(head) || !value.ends_with(tail)) return false;
        return glob.matches_folded(value);
    }
};

class Program {
public:
    enum class Kind : uint8_t { condition, value };

    Program() = default;
    Program(const Program&) = delete;  // constants view into strings_
    Program& operator=(const Program&) = delete;
    Program(Program&&) noexcept = default;  // std::deque keeps its elements in place when moved
    Program& operator=(Program&&) noexcept = default;

    Kind kind = Kind::condition;
    std::string label;  // what the program is for, e.g. "filter of term 1"

    std::vector<Instruction> code;
    std::vector<std::string> notes;  // per instruction: the source it came from (may be empty); for EXPLAIN
    std::vector<vm::Value> constants;
    std::vector<std::vector<vm::Value>> string_lists;  // strings viewing the program's storage
    std::vector<matchers::LiteralSet> literal_sets;
    std::vector<LengthBounds> literal_set_bounds;  // parallel to literal_sets
    std::vector<matchers::NumberSet> number_sets;
    std::vector<FilteredGlob> globs;
    std::vector<std::vector<FilteredGlob>> glob_lists;
    std::vector<LengthBounds> glob_list_bounds;  // parallel to glob_lists
    std::vector<matchers::PatternSet> pattern_sets;
    std::vector<LengthBounds> pattern_set_bounds;  // parallel to pattern_sets
    std::vector<matchers::RegexMatcher> regexes;
    std::vector<matchers::CidrSet> cidr_sets;
    std::vector<matchers::IpAddress> ips;
    std::vector<std::pair<vm::SlotId, std::string>> slot_paths;  // the fields the program reads, for EXPLAIN
    uint32_t max_stack = 0;

    // Adds a string to the program's own storage; the view stays valid as long as the program.
    std::string_view store(std::string_view s) { return strings_.emplace_back(s); }

private:
    std::deque<std::string> strings_;
};

}  // namespace eqlc::vm
