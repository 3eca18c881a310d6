#include "heap_pages.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace eqlc::cli {

void use_huge_heap_pages() {
    constexpr size_t kStep = size_t{64} << 20;  // heap growth per step, and what is kept when memory is freed
    constexpr uintptr_t kHuge = uintptr_t{2} << 20;
    // glibc's malloc grows the heap (brk) by the request plus M_TOP_PAD, and gives memory back above
    // M_TRIM_THRESHOLD: both at one step, so the heap grows rarely and huge pages are not handed back and faulted
    // again. A request below the mmap threshold (128 KiB) that the small initial heap cannot hold makes it grow now.
    if (mallopt(M_TOP_PAD, static_cast<int>(kStep)) != 1 || mallopt(M_TRIM_THRESHOLD, static_cast<int>(kStep)) != 1)
        return;
    void* probe = std::malloc(size_t{120} << 10);
    if (!probe) return;
    const auto begin = reinterpret_cast<uintptr_t>(probe);
    const auto end = reinterpret_cast<uintptr_t>(sbrk(0));
    std::free(probe);
    // Only a probe inside the brk heap says where the heap is (another allocator puts it elsewhere).
    if (end == static_cast<uintptr_t>(-1) || begin >= end || end - begin > 2 * kStep) return;
    const uintptr_t from = (begin + kHuge - 1) & ~(kHuge - 1);
    const uintptr_t to = end & ~(kHuge - 1);
    if (to > from) (void)madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);
}

}  // namespace eqlc::cli
