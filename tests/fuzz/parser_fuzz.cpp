// libFuzzer target for the front end. For any input bytes:
//   - parse_query never crashes, hangs or trips a sanitizer, whatever it is given;
//   - if the input parses, the semantic checker and the compiler run on it without crashing, and printing the
//     tree and parsing the printed text gives back the same tree (ast::same_query) — the printer's round-trip
//     property. A violation traps, so libFuzzer saves it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/compiled_query.hpp"
#include "semantics/checker.hpp"
#include "syntax/ast.hpp"
#include "syntax/parser.hpp"
#include "syntax/printer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    eqlc::syntax::ParseResult parsed = eqlc::syntax::parse_query(text);
    if (!parsed.ok()) return 0;

    // The semantic checker and the compiler must accept or refuse any tree the parser builds, never crash.
    (void)eqlc::semantics::check_query(*parsed.query);
    {
        eqlc::vm::FieldCatalog catalog;
        (void)eqlc::compiler::compile_query(text, {}, catalog);
    }

    const std::string printed = eqlc::syntax::print_query(*parsed.query);
    eqlc::syntax::ParseResult reparsed = eqlc::syntax::parse_query(printed);
    if (!reparsed.ok()) __builtin_trap();  // the printer wrote text the parser refuses
    if (!eqlc::ast::same_query(*parsed.query, *reparsed.query)) __builtin_trap();  // meaning changed
    return 0;
}
