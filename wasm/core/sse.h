// Server-Sent Events decoder by the WHATWG "event stream interpretation"
// rules (https://html.spec.whatwg.org/multipage/server-sent-events.html).
//
// Contract:
// - Feed() takes raw body bytes, split anywhere (inside a CRLF pair, inside a
//   multi-byte UTF-8 character). Lines end at LF, CR or CRLF. A leading UTF-8
//   BOM is dropped once. Invalid UTF-8 becomes U+FFFD in the decoded text.
// - Lines starting with ':' are comments. Fields: event, data, id (ignored when
//   it holds NUL), retry (digits only). Unknown fields are ignored.
// - An event is dispatched at an empty line when its data buffer is non-empty;
//   the trailing LF of the data buffer is removed.
// - Finish() ends the stream. Deliberate leniency: an unterminated last event
//   (no blank line, or no final line break) IS dispatched, because LLM proxies
//   often drop the final blank line and losing the last chunk loses usage or
//   [DONE]. (The spec would discard it.)
// - Bound: if more than max_buffered_bytes are held without completing an event
//   (an endless line, or an endless event), the decoder fails with a clear
//   error and ignores all further input. It never grows without limit.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ci {

struct SseEvent {
  std::string event;  // the "event" field; empty when the stream gave none
  std::string data;   // data lines joined with '\n'
  std::string id;     // last event id in force when dispatched
};

class SseDecoder {
 public:
  // 4 MiB: far above any real event (a reply is capped at 1 MiB of content,
  // see SessionLimits), low enough that an endless line costs little memory.
  static constexpr size_t kDefaultMaxBufferedBytes = 4u << 20;
  explicit SseDecoder(size_t max_buffered_bytes = kDefaultMaxBufferedBytes);

  // Appends complete events to *out. Returns false when the decoder has
  // failed (now or earlier); error() then says why.
  bool Feed(std::string_view bytes, std::vector<SseEvent>* out);
  // End of input; dispatches a pending unterminated event (see above).
  bool Finish(std::vector<SseEvent>* out);

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  std::optional<int64_t> retry_ms() const { return retry_ms_; }
  const std::string& last_event_id() const { return last_event_id_; }

 private:
  void ProcessLine(std::string_view line, std::vector<SseEvent>* out);
  void Dispatch(std::vector<SseEvent>* out);

  size_t max_buffered_bytes_;
  std::string pending_;        // bytes not yet forming a complete line
  bool saw_first_bytes_ = false;
  bool last_was_cr_ = false;   // previous chunk ended with CR: skip a leading LF
  std::string event_type_;
  std::string data_;
  bool has_data_ = false;
  std::string last_event_id_;
  std::optional<int64_t> retry_ms_;
  std::string error_;
};

// Replaces invalid UTF-8 sequences with U+FFFD (WHATWG "UTF-8 decode").
std::string SanitizeUtf8(std::string_view bytes);

}  // namespace ci
