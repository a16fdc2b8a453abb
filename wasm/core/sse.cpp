// SSE framing (see sse.h for the contract).
//
// Why lines are split on raw bytes before UTF-8 decoding: CR, LF and ':' are
// ASCII and never occur inside a valid multi-byte sequence, and the WHATWG
// decoder ends an ill-formed sequence at the first byte that cannot continue
// it, so decoding each field value separately gives the same text as decoding
// the whole stream first. This lets a chunk end anywhere, even inside a
// character, without holding more than the unfinished line.
#include "core/sse.h"
#include "core/utf8.h"

#include <cstdint>
#include <cstring>
#include <string>

namespace ci {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the longest prefix of `bytes` that is valid UTF-8 made of whole
// characters (RFC 3629 / WHATWG: no overlongs, no surrogates, <= U+10FFFF).
// Runs of ASCII are skipped 8 bytes at a time: model output is mostly ASCII.
size_t ValidUtf8Prefix(std::string_view bytes) {
  const unsigned char* const begin = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char* p = begin;
  const unsigned char* const end = begin + bytes.size();
  while (p != end) {
    while (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      if (word & 0x8080808080808080ull) break;
      p += 8;
    }
    while (p != end && *p < 0x80) ++p;
    if (p == end) break;
    int len = Utf8SequenceLength(p, end);
    if (len == 0) break;
    p += len;
  }
  return static_cast<size_t>(p - begin);
}

// Returns the index of the first CR or LF at or after `from`, or npos.
// memchr is the fast scan everywhere (vectorized natively, word-at-a-time in
// wasm); CR is rare in SSE, so it is looked for only before the LF found.
size_t FindLineEnd(std::string_view s, size_t from) {
  const char* const base = s.data();
  const size_t n = s.size();
  if (from >= n) return std::string_view::npos;
  const void* lf = std::memchr(base + from, '\n', n - from);
  size_t stop = lf ? static_cast<size_t>(static_cast<const char*>(lf) - base) : n;
  const void* cr = std::memchr(base + from, '\r', stop - from);
  if (cr) return static_cast<size_t>(static_cast<const char*>(cr) - base);
  return lf ? stop : std::string_view::npos;
}

}  // namespace

std::string SanitizeUtf8(std::string_view bytes) {
  // Fast path: valid text (nearly always) is copied as is.
  size_t i = ValidUtf8Prefix(bytes);
  if (i == bytes.size()) return std::string(bytes);
  // The WHATWG "UTF-8 decoder": each maximal ill-formed subpart becomes one
  // U+FFFD; a byte that cannot continue a sequence is reprocessed on its own.
  // The valid prefix ends on a character boundary, so decoding resumes there.
  std::string out;
  out.reserve(bytes.size() + 16);
  out.append(bytes.substr(0, i));
  const size_t n = bytes.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    int needed = 0;
    unsigned char lower, upper;
    if (!Utf8Lead(c, &needed, &lower, &upper)) {
      out.append(kReplacement);
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool ok = true;
    for (int k = 0; k < needed; ++k, ++j) {
      if (j >= n) {
        ok = false;
        break;
      }
      unsigned char d = static_cast<unsigned char>(bytes[j]);
      if (d < lower || d > upper) {
        ok = false;
        break;
      }
      lower = 0x80;
      upper = 0xBF;
    }
    if (ok) {
      out.append(bytes.substr(i, j - i));
    } else {
      out.append(kReplacement);  // bytes[j] (if any) is decoded afresh
    }
    i = j;
  }
  return out;
}

SseDecoder::SseDecoder(size_t max_buffered_bytes) : max_buffered_bytes_(max_buffered_bytes) {}

bool SseDecoder::Feed(std::string_view bytes, std::vector<SseEvent>* out) {
  if (failed()) return false;
  if (bytes.empty()) return true;

  if (!saw_first_bytes_) {
    // The BOM itself may be split over chunks: hold back a proper prefix of
    // it until we know. pending_ holds only such a prefix here.
    std::string head = pending_;
    head.append(bytes);
    if (head.size() < kBom.size() && kBom.substr(0, head.size()) == head) {
      pending_ = std::move(head);
      return true;
    }
    saw_first_bytes_ = true;
    pending_.clear();
    std::string_view rest = head;
    if (rest.substr(0, kBom.size()) == kBom) rest.remove_prefix(kBom.size());
    return Feed(rest, out);
  }

  size_t pos = 0;
  if (last_was_cr_) {
    // A CR ended the previous chunk: an LF here completes the same line end.
    last_was_cr_ = false;
    if (bytes[0] == '\n') pos = 1;
  }
  while (pos < bytes.size()) {
    size_t end = FindLineEnd(bytes, pos);
    if (end == std::string_view::npos) {
      size_t rest = bytes.size() - pos;
      if (pending_.size() + data_.size() + rest > max_buffered_bytes_) break;
      pending_.append(bytes.substr(pos));
      return true;
    }
    if (pending_.empty()) {
      ProcessLine(bytes.substr(pos, end - pos), out);
    } else {
      pending_.append(bytes.substr(pos, end - pos));
      std::string line;
      line.swap(pending_);
      ProcessLine(line, out);
    }
    if (bytes[end] == '\r') {
      if (end + 1 < bytes.size()) {
        if (bytes[end + 1] == '\n') ++end;
      } else {
        last_was_cr_ = true;
      }
    }
    pos = end + 1;
    if (data_.size() > max_buffered_bytes_) break;
  }
  if (pos >= bytes.size() && data_.size() <= max_buffered_bytes_) return true;

  error_ = "SSE: more than " + std::to_string(max_buffered_bytes_) +
           " bytes arrived without completing an event (an endless line or event); "
           "the rest of the stream was ignored";
  pending_.clear();
  pending_.shrink_to_fit();
  data_.clear();
  data_.shrink_to_fit();
  has_data_ = false;
  return false;
}

bool SseDecoder::Finish(std::vector<SseEvent>* out) {
  if (failed()) return false;
  if (!saw_first_bytes_) {
    // Only a partial BOM (or nothing) arrived: it is content, not a BOM.
    saw_first_bytes_ = true;
  }
  if (!pending_.empty()) {
    std::string line;
    line.swap(pending_);
    ProcessLine(line, out);
  }
  last_was_cr_ = false;
  // Lenient on purpose (see sse.h): dispatch an event that lacked its blank line.
  Dispatch(out);
  return true;
}

void SseDecoder::ProcessLine(std::string_view line, std::vector<SseEvent>* out) {
  if (line.empty()) {
    Dispatch(out);
    return;
  }
  if (line[0] == ':') return;  // comment (servers use these as keep-alives)
  std::string_view field = line;
  std::string_view value;
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (field == "event") {
    event_type_ = SanitizeUtf8(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_event_id_ = SanitizeUtf8(value);
  } else if (field == "retry") {
    bool digits = !value.empty() && value.size() <= 15;  // 15 digits fit int64
    for (char c : value) digits = digits && c >= '0' && c <= '9';
    if (digits) retry_ms_ = std::stoll(std::string(value));
  }
  // Any other field is ignored, as the spec says.
}

void SseDecoder::Dispatch(std::vector<SseEvent>* out) {
  if (!has_data_) {
    event_type_.clear();
    data_.clear();
    return;
  }
  if (!data_.empty() && data_.back() == '\n') data_.pop_back();
  SseEvent event;
  event.event.swap(event_type_);
  event.data = SanitizeUtf8(data_);
  event.id = last_event_id_;
  out->push_back(std::move(event));
  data_.clear();
  event_type_.clear();
  has_data_ = false;
}

}  // namespace ci
