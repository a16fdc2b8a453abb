// Streaming decoder for OpenAI Chat Completions (and the many servers that
// speak it: OpenRouter, Groq, DeepSeek, Ollama, llama.cpp, vLLM, ...).
//
// Rules, per SSE event (choice 0 only):
// - `data: [DONE]` ends the stream normally; later events are ignored.
// - data must be a JSON object. `{"error": ...}` (object or string) ends the
//   stream with that error.
// - id / model: the first non-empty value seen; usage: the last non-null
//   object (the include_usage chunk, whose choices are empty).
// - delta.content → text; delta.reasoning_content or delta.reasoning →
//   thinking; delta.tool_calls → accumulated by `index` (by `id` when a
//   provider omits the index; a new id on a used index starts a new call);
//   finish_reason → finish_reason, and the stream counts as complete.
#pragma once
#include <map>

#include "core/json_scan.h"
#include "core/sse.h"
#include "core/stream_decoder.h"

namespace ci {

class OpenAiStreamDecoder : public StreamDecoder {
 public:
  void Feed(std::string_view bytes, std::vector<StreamDelta>* deltas) override;
  void Finish(std::vector<StreamDelta>* deltas) override;

 private:
  void HandleEvents(std::vector<StreamDelta>* deltas);
  void HandleEvent(const SseEvent& event, std::vector<StreamDelta>* deltas);
  // The field logic, once for both value types: JsonScanValue (fast path)
  // and JsonDomValue (nlohmann fallback). Defined in the .cpp only.
  template <class Value>
  void HandleObject(const Value& j, std::string_view data, std::vector<StreamDelta>* deltas);
  template <class Value>
  void HandleChoice(const Value& choice, std::vector<StreamDelta>* deltas);
  template <class Value>
  void HandleToolCall(const Value& call, std::vector<StreamDelta>* deltas);
  void Fail(std::string type, std::string message);
  bool stopped() const { return done_ || result_.error.has_value(); }

  SseDecoder sse_;
  std::vector<SseEvent> events_;
  JsonScan scan_;  // reused for every event (keeps its buffers)
  std::map<int64_t, size_t> slot_by_index_;  // tool_calls[].index → result_.tool_calls
  bool done_ = false;                        // [DONE] seen or Finish() called
};

}  // namespace ci
