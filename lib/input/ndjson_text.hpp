// NdjsonText: the decoded text of an NDJSON input, for callers that cut it into lines themselves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "eqlc/diagnostics.hpp"

namespace eqlc::input {

// The decoded text of an NDJSON input (a file or stdin, plain or gzip), read exactly as an NdjsonReader reads
// it, for callers that cut it into lines themselves (the engine's parallel reader).
class NdjsonText {
public:
    struct OpenResult {
        std::unique_ptr<NdjsonText> text;  // set on success
        Diagnostic error;                  // the error NdjsonReader::open gives
        explicit operator bool() const { return text != nullptr; }
    };
    // `path` "-" reads stdin (named "<stdin>").
    static OpenResult open(const std::string& path);
    // The first read of the source, which tells gzip from plain text: the first reads of decoded text come from it.
    static constexpr size_t kDetectBytes = 256 * 1024;

    ~NdjsonText();
    NdjsonText(const NdjsonText&) = delete;
    NdjsonText& operator=(const NdjsonText&) = delete;

    // Reads decoded text into dst (at most `capacity` bytes, in one read of the source as NdjsonReader does);
    // got == 0 at the end. False on an I/O error or corrupt gzip data, with `error` the failure an NdjsonReader
    // would report.
    bool read(char* dst, size_t capacity, size_t& got, Diagnostic& error);
    uint64_t raw_bytes() const;  // bytes read from the source so far (the compressed size for gzip)
    const std::string& name() const;

private:
    struct Impl;
    explicit NdjsonText(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// How NdjsonText hands out a plain regular file's text: its first read of the source takes up to kDetectBytes (to
// tell gzip), which the first reads of text then come from; raw bytes are those read from the source.
struct EmulatedReads {
    // The size of the next read of at most `capacity` bytes of a file of `size` bytes (0 at the end).
    size_t read(size_t capacity, size_t size);
    size_t position = 0;
    uint64_t raw_bytes = 0;

private:
    size_t prefix_end_ = 0;
    bool started_ = false;
};

}  // namespace eqlc::input
