// The eqlc tool's heap in transparent huge pages, where the kernel offers them on request (THP "madvise" mode, the
// default of many distributions): loading and compiling a rule library and running it allocate tens of MiB, and on
// virtual machines a page fault per 4 KiB page costs a large share of that (measured here: 1,124 rules start in
// 0.24 s with 4 KiB pages, 0.15-0.19 s with huge pages; 562 rules over 200k events 2.1-2.2 s -> 1.8-1.9 s). A
// process-wide choice, so the tool makes it, not the library.
#pragma once

namespace eqlc::cli {

// Grows the main heap by a large step now and asks for huge pages on it. Does nothing where that is not possible
// (another allocator, as under ASan or valgrind, or a kernel without THP); never fails.
void use_huge_heap_pages();

}  // namespace eqlc::cli
