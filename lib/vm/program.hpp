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
// Operands: each instruction has the fields A, B, aux (16 bits) and target; the opcode table says what each
// holds (the Operand kinds: a slot, a constant or matcher index, an argument count, a jump target...).
// Comparison operators (vm::CmpOp) live in flags bits 4-6.
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

// The kinds of operand an instruction field holds: what the VM reads it as (the table below declares one per
// field and opcode; EXPLAIN decodes by them, and a unit test checks generated programs against them).
enum class Operand : uint8_t {
    none,              // unused: 0
    slot,              // A: a field slot (vm::SlotId) of the event
    constant,          // B: an index into constants
    constant_run,      // B: the first of `aux` consecutive constants
    string_list,       // B: an index into string_lists
    literal_set,       // B: an index into literal_sets (and literal_set_bounds)
    number_set,        // B: an index into number_sets
    glob,              // B: an index into globs
    glob_list,         // B: an index into glob_lists (and glob_list_bounds)
    pattern_set,       // B: an index into pattern_sets (and pattern_set_bounds)
    regex,             // B: an index into regexes
    cidr_set,          // B: an index into cidr_sets
    cidr_set_or_none,  // A: an index into cidr_sets, or kNoIndex
    ip,                // B: an index into ips
    bool_mask,         // B: bit 0 accepts false, bit 1 accepts true
    field_type,        // B: a vm::FieldType
    function,          // B: a semantics::FunctionId
    arith_op,          // B: a vm::ArithOp
    compare_kind,      // B: a vm::CompareKind
    argc,              // aux: the number of arguments popped
    count,             // aux: the length of the constant_run in B
    null_value,        // aux: with flag NULLV, the constant a null value reads as (else unused)
    target,            // target: the next pc
    branch,            // target: the next pc when r == JT (else pc + 1)
};

// The stack effect column `pops` of CALL: it pops `aux` values (its argument count).
inline constexpr int kPopsArgc = -1;

// X(name, A, B, aux, target, pops, pushes, synopsis, form): the opcode table, the specification of each
// instruction. A, B, aux and target are the Operand kinds of the instruction's fields; pops and pushes are its
// effect on the value stack; the synopsis is what the instruction does; the form is how EXPLAIN prints its
// operands: {A}, {B}, {aux} print the field decoded by its kind ({B+} with details of the matcher, such as its
// size; "{ A}" prints a space and A unless A prints nothing), {op} the comparison operator in the flags, and
// {FLAG?yes|no} one text or the other by a flag (NEG, CI, EXPECT_FALSE).
#define EQLC_OPCODES(X)                                                                                               \
    /* ---- control --------------------------------------------------------------------------------------------- */  \
    X(HALT_TRUE, none, none, none, none, 0, 0, "stop: the condition is TRUE (the event matches)", "")                 \
    X(HALT_FALSE, none, none, none, none, 0, 0, "stop: the condition is not TRUE (FALSE or NULL)", "")                \
    X(JUMP, none, none, none, target, 0, 0, "pc = target", "")                                                        \
    X(RET_VALUE, none, none, none, none, 1, 0, "stop: the result is the top of the stack (value programs)", "")       \
    /* ---- field tests: r = any value v of slot A satisfies ..., then NEG / conditional jump ------------------- */  \
    X(TEST_EXISTS, slot, none, null_value, branch, 0, 0,                                                              \
      "r = slot A has a non-null value                (NEG: A == null, i.e. missing/null)",                           \
      "{A}{NEG? is null| exists}")                                                                                    \
    X(TEST_STR_EQ, slot, constant, null_value, branch, 0, 0,                                                          \
      "r = v is a string equal to constant[B]           (bytes, case-sensitive)", "{NEG?none of |}{A} == {B}")        \
    X(TEST_STR_EQ_CI, slot, constant, null_value, branch, 0, 0,                                                       \
      "r = lower(v) == constant[B]                  (B already lowered; Java Locale.ROOT)",                           \
      "{NEG?none of |}lower({A}) == {B}")                                                                             \
    X(TEST_STR_LIST, slot, string_list, null_value, branch, 0, 0,                                                     \
      "r = v equals one of string_lists[B]           (a few strings; CI: lower(v), list lowered)",                    \
      "{NEG?none of |}{CI?lower(|}{A}{CI?)|} in ({B})")                                                               \
    X(TEST_STR_IN, slot, literal_set, null_value, branch, 0, 0,                                                       \
      "r = v is in literal_sets[B]                     (case-insensitive if the set is)",                             \
      "{NEG?none of |}{A} in {B+}")                                                                                   \
    X(TEST_STR_CMP, slot, constant, null_value, branch, 0, 0,                                                         \
      "r = v <op> constant[B] in byte order           (keyword range query)", "{NEG?none of |}{A} {op} {B}")          \
    X(TEST_PREFIX, slot, constant, null_value, branch, 0, 0,                                                          \
      "r = v starts with constant[B]                   (CI: lower(v), B already lowered)",                            \
      "{NEG?none of |}{A} starts with {B}{CI? (case-insensitive)|}")                                                  \
    X(TEST_GLOB, slot, glob, null_value, branch, 0, 0,                                                                \
      "r = globs[B] matches all of v                     (one wildcard pattern)", "{NEG?none of |}{A} like {B+}")     \
    X(TEST_GLOB_LIST, slot, glob_list, null_value, branch, 0, 0,                                                      \
      "r = one of glob_lists[B] matches all of v    (a few patterns, tried in turn)", "{NEG?none of |}{A} like {B+}") \
    X(TEST_PATTERN, slot, pattern_set, null_value, branch, 0, 0,                                                      \
      "r = pattern_sets[B] matches all of v           (many wildcard patterns)", "{NEG?none of |}{A} like {B+}")      \
    X(TEST_REGEX, slot, regex, null_value, branch, 0, 0,                                                              \
      "r = regexes[B] fully matches v                   (Lucene regexp via RE2)", "{NEG?none of |}{A} regex {B}")     \
    X(TEST_NUM_CMP, slot, constant, null_value, branch, 0, 0,                                                         \
      "r = v is a number and v <op> constant[B]       (by value across int/double)", "{NEG?none of |}{A} {op} {B}")   \
    X(TEST_NUM_IN, slot, number_set, null_value, branch, 0, 0, "r = v is a number in number_sets[B]",                 \
      "{NEG?none of |}{A} in {B+}")                                                                                   \
    X(TEST_BOOL, slot, bool_mask, null_value, branch, 0, 0,                                                           \
      "r = v is a boolean and bit v of mask B is set     (1 = false, 2 = true)", "{NEG?none of |}{A} is {B}")         \
    X(TEST_IP_IN, slot, cidr_set, null_value, branch, 0, 0,                                                           \
      "r = v parses as an ip inside cidr_sets[B]        (==, in, cidrMatch on ip fields)",                            \
      "{NEG?none of |}{A} in {B+}")                                                                                   \
    X(TEST_IP_CMP, slot, ip, null_value, branch, 0, 0,                                                                \
      "r = v parses as an ip and v <op> ips[B]         (address order)", "{NEG?none of |}{A} {op} {B}")               \
    X(TEST_VERSION_CMP, slot, constant, null_value, branch, 0, 0,                                                     \
      "r = v is a string and v <op> constant[B] by version precedence", "{NEG?none of |}{A} {op} {B}")                \
    /* ---- bridge from the value stack ------------------------------------------------------------------------- */  \
    X(TEST_VALUE, none, none, none, branch, 1, 0,                                                                     \
      "pop x; r = x is boolean TRUE (EXPECT_FALSE: boolean FALSE); null gives r = false",                             \
      "pop == {EXPECT_FALSE?FALSE|TRUE}")                                                                             \
    /* ---- value stack: three-valued --------------------------------------------------------------------------- */  \
    X(PUSH_CONST, none, constant, none, none, 0, 1, "push constant[B]", "{B}")                                        \
    X(PUSH_FIELD, slot, field_type, null_value, none, 0, 1,                                                           \
      "push the script value of slot A: its first doc value (min by FieldType B), null if none", "{A} as {B}")        \
    X(CALL, cidr_set_or_none, function, argc, none, kPopsArgc, 1,                                                     \
      "pop aux args; push function B(args)  (CI: the ~ form; A: cidr_sets index for cidrMatch)",                      \
      "{B}{CI?~|}/{aux}{ A}")                                                                                         \
    X(ARITH, none, arith_op, none, none, 2, 1, "pop y, x; push x <ArithOp B> y; null if either is null or on error",  \
      "{B}")                                                                                                          \
    X(NEG, none, none, none, none, 1, 1, "pop x; push -x", "")                                                        \
    X(CMP, none, compare_kind, none, none, 2, 1,                                                                      \
      "pop y, x; push x <op> y as CompareKind B; null if either is null or they are incomparable", "{op}{ B}")        \
    X(IS_NULL, none, none, none, none, 1, 1, "pop x; push x == null (never null)", "")                                \
    X(NOT3, none, none, none, none, 1, 1, "pop x; push not x (not null = null)", "")                                  \
    X(AND3, none, none, none, none, 2, 1, "pop y, x; push x and y (false wins over null)", "")                        \
    X(OR3, none, none, none, none, 2, 1, "pop y, x; push x or y (true wins over null)", "")                           \
    X(V_STR_EQ_CI, none, constant, none, none, 1, 1, "pop x; push lower(x) == constant[B]; null if x is null", "{B}") \
    X(V_STR_IN, none, literal_set, none, none, 1, 1, "pop x; push x in literal_sets[B]; null if x is null", "{B}")    \
    X(V_NUM_IN, none, number_set, none, none, 1, 1, "pop x; push x in number_sets[B]; null if x is null", "{B}")      \
    X(V_IN_ANY, none, constant_run, count, none, 1, 1,                                                                \
      "pop x; push x equals one of constant[B .. B+aux); null if x is null", "{B}")                                   \
    X(V_GLOB, none, glob, none, none, 1, 1, "pop x; push globs[B] matches x; null if x is null", "{B}")               \
    X(V_PATTERN, none, pattern_set, none, none, 1, 1, "pop x; push pattern_sets[B] matches x; null if x is null",     \
      "{B}")                                                                                                          \
    X(V_REGEX, none, regex, none, none, 1, 1, "pop x; push regexes[B] matches x; null if x is null", "{B}")           \
    X(V_PREFIX, none, constant, none, none, 1, 1, "pop x; push x starts with constant[B] (CI); null if x is null",    \
      "{B}")                                                                                                          \
    X(V_IP_IN, none, cidr_set, none, none, 1, 1, "pop x; push x inside cidr_sets[B]; null if x is null", "{B}")

enum class Opcode : uint8_t {
#define EQLC_OPCODE_ENUM(name, a, b, aux, target, pops, pushes, synopsis, form) name,
    EQLC_OPCODES(EQLC_OPCODE_ENUM)
#undef EQLC_OPCODE_ENUM
};

inline constexpr size_t kOpcodeCount = 0
#define EQLC_OPCODE_COUNT(name, a, b, aux, target, pops, pushes, synopsis, form) +1
    EQLC_OPCODES(EQLC_OPCODE_COUNT)
#undef EQLC_OPCODE_COUNT
    ;

// One row of the opcode table.
struct OpcodeInfo {
    std::string_view name;
    Operand a, b, aux, target;
    int pops;  // or kPopsArgc
    int pushes;
    std::string_view synopsis;
    std::string_view form;
};

const OpcodeInfo& opcode_info(Opcode op);
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
