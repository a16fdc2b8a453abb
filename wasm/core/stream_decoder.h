// Streaming decoders for LLM responses: raw body bytes in, text deltas out as
// they arrive, the whole reply at the end. One implementation per wire format
// (openai_stream.h, anthropic_stream.h, responses_stream.h); all sit on
// SseDecoder.
//
// Contract:
// - Feed() any split of the body; deltas are appended in arrival order.
// - Finish() at end of body. If the provider never signalled a normal end
//   (OpenAI: [DONE] or a finish_reason; Anthropic: message_stop or a
//   stop_reason; Responses: response.completed, .incomplete or .failed),
//   result().error is set to {"incomplete_stream", ...}.
// - Garbage, HTML pages, truncated or over-deep JSON, over-long lines and
//   mid-stream provider errors all end in result().error with a clear message;
//   after an error, further input is ignored. Never throws, never crashes.
#pragma once
#include <memory>
#include <string_view>
#include <vector>

#include "core/llm_types.h"

namespace ci {

class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  virtual void Feed(std::string_view bytes, std::vector<StreamDelta>* deltas) = 0;
  virtual void Finish(std::vector<StreamDelta>* deltas) = 0;
  const StreamResult& result() const { return result_; }

 protected:
  StreamResult result_;
};

// format: "openai" (Chat Completions) | "anthropic" (Messages) | "responses"
// (OpenAI Responses). Returns nullptr for an unknown format.
std::unique_ptr<StreamDecoder> MakeStreamDecoder(std::string_view format);

// Turns a non-2xx response body (JSON error of either provider, an HTML error
// page, plain text, or nothing) into a clear error. status is the HTTP status.
StreamError ParseErrorBody(int status, std::string_view body);

// Maximum JSON nesting accepted from a provider (deeper is an error, not a
// stack overflow).
constexpr int kMaxJsonDepth = 256;

}  // namespace ci
