// The NDJSON reader's loop (ndjson_reader.hpp): the text buffer and its refills, cutting lines, the line filter,
// parsing each line (walked by json_walker.hpp) and reporting the bad ones (in the words of reader_errors.hpp). The
// bytes come from byte_source.hpp.
#include "input/ndjson_reader.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include <simdjson.h>

#include "input/byte_source.hpp"
#include "input/json_walker.hpp"
#include "input/reader_errors.hpp"

namespace eqlc::input {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// The check of a line the line filter skips: valid UTF-8, and '{' ... '}' around it. Cheap (the UTF-8 check runs
// at several GB/s), and it catches what damages NDJSON files in practice: truncated lines and binary garbage.
bool looks_like_object(std::string_view line) {
    const size_t first = line.find_first_not_of(" \t");
    const size_t last = line.find_last_not_of(" \t\r");
    return first != std::string_view::npos && line[first] == '{' && line[last] == '}' &&
           simdjson::validate_utf8(line.data(), line.size());
}

// The reader's text buffer: owned, or the caller's memory (from_view).
struct BufferDelete {
    bool owned = true;
    BufferDelete() = default;
    explicit BufferDelete(bool owns) : owned(owns) {}
    BufferDelete(std::default_delete<char[]>) {}  // NOLINT: lets make_unique<char[]> results convert
    void operator()(char* p) const {
        if (owned) delete[] p;
    }
};

}  // namespace

// ---- NdjsonReader --------------------------------------------------------------------------------------------

struct NdjsonReader::Impl {
    Impl(std::unique_ptr<ByteSource> raw, std::string name_, const ProjectionPlan& plan_, const ReaderOptions& opts)
        : source(std::move(raw)), name(std::move(name_)), plan(plan_), options(opts) {
        options.chunk_size = std::max<size_t>(options.chunk_size, 1);
        options.max_line_bytes = std::max<size_t>(options.max_line_bytes, 1);
        capacity = NdjsonReader::first_buffer_size(options);
        buffer = std::make_unique<char[]>(capacity + simdjson::SIMDJSON_PADDING);  // zeroed
        if (options.line_filter && !options.validate) scanner = std::make_unique<LineScanner>(*options.line_filter);
        line_number = options.first_line - 1;
        if (!options.detect_gzip) source.never_gzip();
    }

    // A reader over the caller's text: the whole input is in the buffer, nothing is left to read.
    struct View {};
    Impl(View, std::string_view text, std::string name_, const ProjectionPlan& plan_, const ReaderOptions& opts)
        : source(std::make_unique<MemorySource>(std::string())), name(std::move(name_)), plan(plan_), options(opts) {
        // Never written: refill() is not called once `eof` is set.
        buffer = std::unique_ptr<char[], BufferDelete>(const_cast<char*>(text.data()), BufferDelete(false));
        capacity = end = text.size();
        eof = true;
        stats.bytes = stats.input_bytes = text.size();
        line_number = options.first_line - 1;
        if (options.line_filter && !options.validate) scanner = std::make_unique<LineScanner>(*options.line_filter);
    }

    TextSource source;
    std::string name;
    const ProjectionPlan& plan;
    ReaderOptions options;

    // The text buffer: [begin, end) holds unread text; `scanned` is where the search for '\n' resumes.
    // SIMDJSON_PADDING readable bytes follow `capacity`, as simdjson requires after a document.
    std::unique_ptr<char[], BufferDelete> buffer;
    size_t capacity = 0;
    size_t begin = 0;
    size_t end = 0;
    size_t scanned = 0;
    bool eof = false;
    bool skipping = false;  // discarding the rest of a line that was too long

    od::parser parser;
    RecordBuilder builder;
    std::unique_ptr<LineScanner> scanner;  // with a line filter
    size_t scan_end = 0;                   // the scanned block of whole lines ends here (its last '\n' + 1)
    static constexpr uint64_t kFilterTrialLines = NdjsonReader::kFilterTrialLines;  // then a useless filter is dropped
    uint64_t filtered_lines = 0;
    uint64_t line_number = 0;
    ReaderStats stats;
    std::vector<BadLine> errors;
    std::optional<Diagnostic> failure;

    bool next(vm::EventRecord& out);
    bool refill();
    bool candidate(size_t line_begin, size_t line_end, size_t block_end);
    bool process(std::string_view line, vm::EventRecord& out, bool wanted);
    void bad_line(uint64_t line, std::string_view text, std::string message, size_t column);
};

bool NdjsonReader::Impl::refill() {
    scan_end = 0;  // the text moves: scan again
    if (begin > 0) {
        std::memmove(buffer.get(), buffer.get() + begin, end - begin);
        end -= begin;
        scanned -= begin;
        begin = 0;
    }
    if (end == capacity) {
        if (capacity >= options.max_line_bytes) {
            // The line does not fit: report it, then drop bytes until its end.
            bad_line(line_number + 1, std::string_view(buffer.get(), end),
                     "line longer than " + std::to_string(options.max_line_bytes) + " bytes", 0);
            if (failure) return false;
            skipping = true;
            end = scanned = 0;
        } else {
            const size_t grown = NdjsonReader::grown_buffer_size(capacity, options.max_line_bytes);
            auto bigger = std::make_unique<char[]>(grown + simdjson::SIMDJSON_PADDING);
            std::memcpy(bigger.get(), buffer.get(), end);
            buffer = std::move(bigger);
            capacity = grown;
        }
    }
    size_t got = 0;
    std::string error;
    if (!source.read(buffer.get() + end, capacity - end, got, error)) {
        failure = read_error(name, error);
        stats.input_bytes = source.raw_bytes();
        return false;
    }
    stats.input_bytes = source.raw_bytes();
    stats.bytes += got;
    if (got == 0) eof = true;
    end += got;
    return true;
}

bool NdjsonReader::Impl::next(vm::EventRecord& out) {
    while (!failure) {
        char* data = buffer.get();
        const void* newline = scanned < end ? std::memchr(data + scanned, '\n', end - scanned) : nullptr;
        if (newline != nullptr) {
            const size_t at = static_cast<size_t>(static_cast<const char*>(newline) - data);
            const std::string_view line(data + begin, at - begin);
            begin = scanned = at + 1;
            if (skipping) {
                skipping = false;
                ++line_number;
                ++stats.lines;
                continue;
            }
            if (process(line, out, candidate(at - line.size(), at, end))) return true;
            continue;
        }
        scanned = end;
        if (eof) {
            if (begin == end) return false;
            const std::string_view line(data + begin, end - begin);
            begin = scanned = end;
            if (skipping) {
                skipping = false;
                ++line_number;
                ++stats.lines;
                continue;
            }
            if (process(line, out, candidate(end - line.size(), end, end))) return true;
            continue;
        }
        if (skipping) begin = scanned = end;  // drop what has been read of the long line
        if (!refill()) return false;
    }
    return false;
}

// Whether the line [line_begin, line_end) of the buffer may match a query (always, without a line filter). The
// filter scans whole blocks: when the line is past the scanned one, every whole line from it to the last '\n'
// before `block_end` (or to block_end at the end of the input) is scanned at once.
bool NdjsonReader::Impl::candidate(size_t line_begin, size_t line_end, size_t block_end) {
    if (!scanner) return true;
    if (options.line_filter_trial && ++filtered_lines == kFilterTrialLines) {
        // When the rules' needles are in nearly every line, the filter only costs: stop using it.
        if (NdjsonReader::filter_is_useless(filtered_lines, stats.filter_candidates)) {
            scanner.reset();
            stats.line_filter_dropped = true;
            return true;
        }
    }
    char* data = buffer.get();
    if (line_end >= scan_end) {
        size_t stop = block_end;
        if (line_end < block_end) {
            const void* last = memrchr(data + line_end, '\n', block_end - line_end);
            stop = static_cast<size_t>(static_cast<const char*>(last) - data) + 1;
        }
        scanner->scan(data + line_begin, stop - line_begin);
        scan_end = stop;
    }
    const bool wanted = scanner->may_match(data + line_begin, line_end - line_begin);
    stats.filter_candidates += wanted;
    return wanted;
}

bool NdjsonReader::Impl::process(std::string_view line, vm::EventRecord& out, bool wanted) {
    ++line_number;
    ++stats.lines;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_number == 1 && line.size() >= 3 && std::memcmp(line.data(), "\xEF\xBB\xBF", 3) == 0) {
        line.remove_prefix(3);
    }
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
        ++stats.blank_lines;
        return false;
    }
    if (!wanted && looks_like_object(line)) {
        // No query can match the line: it is not parsed. A line that fails this light check is parsed below, so
        // that it is reported exactly as it would be without the filter.
        ++stats.skipped_events;
        return false;
    }

    const char* limit = buffer.get() + capacity + simdjson::SIMDJSON_PADDING;
    const size_t padded = static_cast<size_t>(limit - line.data());
    od::document doc;
    error_code e = parser.iterate(line.data(), line.size(), padded).get(doc);
    const bool iterated = !e;  // the document may be inspected (it is not when stage 1 failed)
    od::object root;
    if (!e) e = doc.get_object().get(root);
    if (e == simdjson::INCORRECT_TYPE) {
        // type() only looks at the first character: believe it for strings, arrays and numbers, and for atoms only
        // when the whole line is the atom ("not json" starts like null).
        od::json_type type;
        if (doc.type().get(type) == simdjson::SUCCESS) {
            const size_t first = line.find_first_not_of(" \t");
            const std::string_view value = line.substr(first, line.find_last_not_of(" \t\r") + 1 - first);
            const bool atom = type == od::json_type::null || type == od::json_type::boolean;
            const bool believable = !atom || value == "null" || value == "true" || value == "false";
            bad_line(line_number, line,
                     believable ? std::string("expected a JSON object, found ") + json_type_name(type)
                                : std::string("invalid JSON: not a JSON value"),
                     0);
            return false;
        }
    }
    if ((e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT || e == simdjson::TAPE_ERROR) && iterated) {
        const size_t column = trailing_content_column(line);
        if (column != 0) {
            bad_line(line_number, line, "unexpected content after the JSON object", column);
        } else {
            bad_line(line_number, line, "invalid JSON: the object is not closed (truncated line?)", 0);
        }
        return false;
    }
    if (!e && wanted) {
        builder.begin(plan, out);
        e = walk_object(plan, builder, options.validate, root);
    } else if (!e) {
        // No query can match the line: only check that the object closes (skipping over its members).
        std::string_view ignored;
        e = root.raw_json().get(ignored);
    }
    if (!e) {
        // After the object: nothing but whitespace may follow.
        const char* rest = nullptr;
        if (doc.current_location().get(rest) == simdjson::SUCCESS && rest != nullptr) {
            bad_line(line_number, line, "unexpected content after the JSON object",
                     static_cast<size_t>(rest - line.data()) + 1);
            return false;
        }
    }
    if (e) {
        size_t column = 0;
        const char* at = nullptr;
        if (iterated && doc.current_location().get(at) == simdjson::SUCCESS && at >= line.data() &&
            at <= line.data() + line.size()) {
            column = static_cast<size_t>(at - line.data()) + 1;
        }
        bool closed = true;
        if (e == simdjson::TAPE_ERROR || e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT)
            trailing_content_column(line, &closed);
        bad_line(line_number, line, closed ? describe(e) : "invalid JSON: the object is not closed (truncated line?)",
                 column);
        return false;
    }

    if (!wanted) {
        ++stats.skipped_events;
        return false;
    }
    builder.finish();
    out.ordinal = stats.events++;
    out.origin = name;
    out.line = line_number;
    if (options.keep_source) out.source = line;
    if (plan.timestamp_slot() && !out.has_timestamp) ++stats.events_without_timestamp;
    return true;
}

void NdjsonReader::Impl::bad_line(uint64_t line, std::string_view text, std::string message, size_t column) {
    ++stats.bad_lines;
    BadLine bad;
    bad.origin = name;
    bad.line = line;
    bad.diagnostic = input_error(std::move(message));
    const auto line32 = static_cast<uint32_t>(std::min<uint64_t>(line, std::numeric_limits<uint32_t>::max()));
    const auto column32 = static_cast<uint32_t>(std::min<size_t>(std::max<size_t>(column, 1), UINT32_MAX));
    bad.diagnostic.span.begin = SourcePos{column32 - 1, line32, column32};
    bad.diagnostic.span.end = bad.diagnostic.span.begin;
    bad.excerpt = std::string(text.substr(0, kExcerptBytes));
    if (options.strict) {
        failure = bad.diagnostic;
        failure->message = NdjsonReader::strict_stop_message(name, line, failure->message);
    }
    if (errors.size() < options.max_kept_errors) {
        errors.push_back(std::move(bad));
    } else {
        ++stats.errors_not_kept;
    }
}

NdjsonReader::NdjsonReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NdjsonReader::~NdjsonReader() = default;

NdjsonReader::OpenResult NdjsonReader::open(const std::string& path, const ProjectionPlan& plan,
                                            const ReaderOptions& options) {
    OpenResult result;
    std::string name;
    auto source = open_source(path, name, result.error);
    if (source) result.reader.reset(new NdjsonReader(std::make_unique<Impl>(std::move(source), name, plan, options)));
    return result;
}

std::unique_ptr<NdjsonReader> NdjsonReader::from_fd(int fd, std::string name, const ProjectionPlan& plan,
                                                    const ReaderOptions& options) {
    return std::unique_ptr<NdjsonReader>(new NdjsonReader(
        std::make_unique<Impl>(std::make_unique<FdSource>(fd, false), std::move(name), plan, options)));
}

std::unique_ptr<NdjsonReader> NdjsonReader::from_string(std::string data, std::string name, const ProjectionPlan& plan,
                                                        const ReaderOptions& options) {
    return std::unique_ptr<NdjsonReader>(new NdjsonReader(
        std::make_unique<Impl>(std::make_unique<MemorySource>(std::move(data)), std::move(name), plan, options)));
}

const size_t NdjsonReader::kViewPadding = simdjson::SIMDJSON_PADDING;

std::unique_ptr<NdjsonReader> NdjsonReader::from_view(std::string_view text, std::string name,
                                                      const ProjectionPlan& plan, const ReaderOptions& options) {
    return std::unique_ptr<NdjsonReader>(
        new NdjsonReader(std::make_unique<Impl>(Impl::View{}, text, std::move(name), plan, options)));
}

bool NdjsonReader::next(vm::EventRecord& out) { return impl_->next(out); }
const ReaderStats& NdjsonReader::stats() const { return impl_->stats; }
std::vector<BadLine> NdjsonReader::take_errors() { return std::exchange(impl_->errors, {}); }
void NdjsonReader::reset_view(std::string_view text, uint64_t first_line) {
    Impl& r = *impl_;
    r.buffer = std::unique_ptr<char[], BufferDelete>(const_cast<char*>(text.data()), BufferDelete(false));
    r.capacity = r.end = text.size();
    r.begin = r.scanned = r.scan_end = 0;
    r.eof = true;
    r.skipping = false;
    r.failure.reset();
    r.stats.bytes += text.size();
    r.stats.input_bytes += text.size();
    r.line_number = first_line - 1;
}

const std::optional<Diagnostic>& NdjsonReader::failure() const { return impl_->failure; }
TimestampError NdjsonReader::timestamp_error() const { return impl_->builder.timestamp_error(); }
std::span<const vm::SlotId> NdjsonReader::present_slots() const { return impl_->builder.present_slots(); }
const std::string& NdjsonReader::name() const { return impl_->name; }
bool NdjsonReader::is_gzip() const { return impl_->source.is_gzip(); }

}  // namespace eqlc::input
