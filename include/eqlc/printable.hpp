// Text that came from outside (event data, rule files, file names) made safe to show to a person on a terminal.
#pragma once

#include <string>
#include <string_view>

namespace eqlc {

// `text` with what a terminal would act on written out instead: tab, newline and carriage return as \t, \n and
// \r, the other C0 controls and DEL as \xHH (ESC is \x1b), the C1 controls U+0080..U+009F as \uHHHH, and every
// byte that is not part of well-formed UTF-8 as \xHH. Everything else (printable ASCII, backslashes included, and
// the rest of Unicode) is kept as it is, so the result is for reading, not for parsing back.
std::string printable(std::string_view text);

}  // namespace eqlc
