#include <catch2/catch.hpp>

#include <string>

#include "text/casefold.hpp"

using eqlc::text::append_lower_root;
using eqlc::text::is_lower_root;
using eqlc::text::to_lower_root;

TEST_CASE("casefold: ASCII", "[casefold]") {
    CHECK(to_lower_root("") == "");
    CHECK(to_lower_root("HeLLo World 123 !@#[]^_`{}") == "hello world 123 !@#[]^_`{}");
    CHECK(to_lower_root("C:\\WINDOWS\\System32\\CMD.EXE") == "c:\\windows\\system32\\cmd.exe");
    CHECK(to_lower_root(std::string("A\0B", 3)) == std::string("a\0b", 3));
}

TEST_CASE("casefold: non-ASCII simple mappings", "[casefold]") {
    CHECK(to_lower_root("ÀÉÎÕÜ") == "àéîõü");
    CHECK(to_lower_root("ΑΒΓΔ") == "αβγδ");
    CHECK(to_lower_root("ПРИВЕТ Мир") == "привет мир");
    CHECK(to_lower_root("ĀĂĄ") == "āăą");                // stride-2 ranges of Latin Extended-A
    CHECK(to_lower_root("Ÿ") == "ÿ");                    // U+0178 maps back into Latin-1
    CHECK(to_lower_root("\u212A") == "k");               // KELVIN SIGN -> ASCII k, as Character.toLowerCase does
    CHECK(to_lower_root("\u2126") == "\u03C9");          // OHM SIGN -> omega
    CHECK(to_lower_root("\u1E9E") == "\u00DF");          // capital sharp s -> sharp s
    CHECK(to_lower_root("\u01C5") == "\u01C6");          // titlecase Dz with caron -> lowercase
    CHECK(to_lower_root("\U00010400") == "\U00010428");  // Deseret, 4-byte sequences
    CHECK(to_lower_root("ß") == "ß");                    // no change for lowercase letters
    CHECK(to_lower_root("日本語") == "日本語");
    CHECK(to_lower_root("Ａ") == "ａ");  // fullwidth
}

TEST_CASE("casefold: U+0130 becomes i + combining dot above", "[casefold]") {
    CHECK(to_lower_root("\u0130") == "i\u0307");
    CHECK(to_lower_root("\u0130STANBUL") == "i\u0307stanbul");
    CHECK(to_lower_root("I") == "i");  // Locale.ROOT: no Turkish dotless i
}

TEST_CASE("casefold: final sigma as Java's String.toLowerCase", "[casefold]") {
    CHECK(to_lower_root("ΟΔΟΣ") == "οδος");  // ends with ς (U+03C2)
    CHECK(to_lower_root("ΟΔΟΣ") == "\u03BF\u03B4\u03BF\u03C2");
    CHECK(to_lower_root("ΣΑ") == "σα");        // no cased letter before: σ
    CHECK(to_lower_root("Σ") == "σ");          // alone: σ
    CHECK(to_lower_root("ΑΣΑ") == "ασα");      // inside a word: σ
    CHECK(to_lower_root("ΑΣ ΒΣ") == "ας βς");  // each word ends with ς
    CHECK(to_lower_root("ΑΣ.") == "ας.");
    CHECK(to_lower_root("ΑΣ1") == "ας1");  // digit is in the word but not cased
    CHECK(to_lower_root("*Σ") == "*σ");    // '*' is not part of a word
}

TEST_CASE("casefold: invalid UTF-8 is kept byte for byte", "[casefold]") {
    CHECK(to_lower_root("\xFF"
                        "A\x80") ==
          "\xFF"
          "a\x80");
    CHECK(to_lower_root("\xC3") == "\xC3");  // truncated
    CHECK(to_lower_root("\xC3"
                        "A") ==
          "\xC3"
          "a");                                                      // lead byte without continuation
    CHECK(to_lower_root("\xC0\x80") == "\xC0\x80");                  // overlong NUL
    CHECK(to_lower_root("\xED\xA0\x80") == "\xED\xA0\x80");          // UTF-16 surrogate
    CHECK(to_lower_root("\xF4\x90\x80\x80") == "\xF4\x90\x80\x80");  // > U+10FFFF
    CHECK(to_lower_root("\xC3\x89\x89") == "\xC3\xA9\x89");          // valid É then a stray continuation
}

TEST_CASE("casefold: is_lower_root and append", "[casefold]") {
    CHECK(is_lower_root(""));
    CHECK(is_lower_root("abc 123 é ß 日本"));
    CHECK_FALSE(is_lower_root("aBc"));
    CHECK_FALSE(is_lower_root("É"));
    CHECK_FALSE(is_lower_root("\u0130"));
    CHECK_FALSE(is_lower_root("Σ"));
    CHECK(is_lower_root("\xFF\x80"));
    std::string out = "prefix:";
    append_lower_root("ABC", out);
    CHECK(out == "prefix:abc");
    // Folding is idempotent on everything the table maps.
    for (const char* s : {"ΟΔΟΣ ΣΑ", "\u0130I", "ÀÉ\u212A", "Hello"}) {
        const std::string once = to_lower_root(s);
        CHECK(to_lower_root(once) == once);
        CHECK(is_lower_root(once));
    }
}
