// eqlc_floor_dom: the parsing floor of the throughput runner (bench/run-throughput). It reads an NDJSON file
// in chunks, as eqlc does (bounded memory), parses every line into simdjson's DOM and walks every value of the
// document, counting the scalars — the least work any tool does that looks at every field of every event.
//
//   eqlc_floor_dom FILE           one DOM parse per line
//   eqlc_floor_dom --many FILE    parse_many over each chunk of whole lines (simdjson's batched stage 1)
//
// Prints "events=N scalars=M bytes=B" on stdout; exit status 1 on a parse error.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace {

uint64_t walk(simdjson::dom::element e) {
    switch (e.type()) {
        case simdjson::dom::element_type::OBJECT: {
            uint64_t n = 0;
            for (auto field : simdjson::dom::object(e)) n += walk(field.value);
            return n;
        }
        case simdjson::dom::element_type::ARRAY: {
            uint64_t n = 0;
            for (auto item : simdjson::dom::array(e)) n += walk(item);
            return n;
        }
        default: return 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    bool many = false;
    const char* path = nullptr;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--many") == 0) {
            many = true;
        } else {
            path = argv[i];
        }
    }
    if (path == nullptr) {
        std::fprintf(stderr, "usage: eqlc_floor_dom [--many] FILE\n");
        return 2;
    }
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        std::fprintf(stderr, "eqlc_floor_dom: cannot open %s: %s\n", path, std::strerror(errno));
        return 2;
    }

    constexpr size_t kChunk = size_t{1} << 20;
    size_t capacity = kChunk;
    auto buffer = std::make_unique<char[]>(capacity + simdjson::SIMDJSON_PADDING);
    size_t begin = 0, end = 0;
    bool eof = false;
    simdjson::dom::parser parser;
    uint64_t events = 0, scalars = 0, bytes = 0;

    auto parse_lines = [&](const char* p, size_t size) -> bool {
        if (many) {
            simdjson::dom::document_stream stream;
            if (parser.parse_many(reinterpret_cast<const uint8_t*>(p), size, kChunk).get(stream)) return false;
            for (auto doc : stream) {
                simdjson::dom::element root;
                if (doc.get(root)) return false;
                scalars += walk(root);
                ++events;
            }
            return true;
        }
        const char* stop = p + size;
        while (p < stop) {
            const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(stop - p)));
            if (nl == nullptr) nl = stop;
            if (nl > p) {
                simdjson::dom::element root;
                if (parser.parse(p, static_cast<size_t>(nl - p), false).get(root)) return false;
                scalars += walk(root);
                ++events;
            }
            p = nl + 1;
        }
        return true;
    };

    while (true) {
        if (!eof) {
            if (begin > 0) {
                std::memmove(buffer.get(), buffer.get() + begin, end - begin);
                end -= begin;
                begin = 0;
            }
            if (end == capacity) {  // a line longer than the buffer
                auto bigger = std::make_unique<char[]>(2 * capacity + simdjson::SIMDJSON_PADDING);
                std::memcpy(bigger.get(), buffer.get(), end);
                buffer = std::move(bigger);
                capacity *= 2;
            }
            const ssize_t got = ::read(fd, buffer.get() + end, capacity - end);
            if (got < 0) {
                if (errno == EINTR) continue;
                std::fprintf(stderr, "eqlc_floor_dom: read error: %s\n", std::strerror(errno));
                return 2;
            }
            if (got == 0) eof = true;
            end += static_cast<size_t>(got);
            bytes += static_cast<size_t>(got);
        }
        // Whole lines only, unless the input has ended.
        size_t stop = end;
        if (!eof) {
            const char* last = static_cast<const char*>(memrchr(buffer.get() + begin, '\n', end - begin));
            if (last == nullptr) continue;
            stop = static_cast<size_t>(last - buffer.get()) + 1;
        }
        if (!parse_lines(buffer.get() + begin, stop - begin)) {
            std::fprintf(stderr, "eqlc_floor_dom: parse error near event %llu\n",
                         static_cast<unsigned long long>(events));
            return 1;
        }
        begin = stop;
        if (eof) break;
    }
    ::close(fd);
    std::printf("events=%llu scalars=%llu bytes=%llu\n", static_cast<unsigned long long>(events),
                static_cast<unsigned long long>(scalars), static_cast<unsigned long long>(bytes));
    return 0;
}
