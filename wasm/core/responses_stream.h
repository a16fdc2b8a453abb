// Streaming decoder for the OpenAI Responses API (POST /responses with
// stream: true), also served by OpenRouter, LM Studio, Ollama, llama.cpp's
// server and vLLM.
//
// Rules, per SSE event (the JSON "type" decides; the SSE event name is only a
// fallback):
// - response.created / .queued / .in_progress: the response's id and model
//   (the first non-empty values seen).
// - response.output_item.added: a function_call item starts a tool call
//   (id: its call_id, else the item id; its name), remembered by item id and
//   output_index; other items (message, reasoning) need nothing here.
// - response.output_text.delta, response.refusal.delta → text;
//   response.reasoning_summary_text.delta, response.reasoning_text.delta →
//   thinking (separate summary parts joined by a blank line);
//   response.function_call_arguments.delta → that call's arguments.
// - The matching .done events, response.output_item.done and the final
//   response's `output` carry the whole string: what the deltas did not
//   already give is added (as one more delta), so a server that sends only
//   whole items decodes the same. Arguments that contradict the deltas are
//   replaced by the whole string. Parts are told apart by item id (by
//   output_index when a server's deltas name no item).
// - response.completed / response.incomplete / response.failed: the normal
//   end (later events are ignored). finish_reason is the response's final
//   `status` ("completed", "incomplete", "failed"); an incomplete response's
//   `incomplete_details.reason` is appended after a colon
//   ("incomplete:max_output_tokens"). usage: the final response's usage
//   object. A failed response's `error` {code, message} becomes the error
//   (type: its code).
// - A reasoning item that carries `encrypted_content` (asked for with
//   include: reasoning.encrypted_content) is kept whole in
//   result().reasoning_items as {type, id, summary, encrypted_content}, once
//   per item (output_item.done and the final output name the same item), to
//   go back with the turn's next request. At most kMaxReasoningBytes of them
//   per reply; beyond that the rest are dropped (the model then reasons anew).
// - error (in-band): ends the stream with that error ({code, message} at the
//   top level, or nested under "error").
// - `data: [DONE]`, keep-alives and unknown event types: ignored.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "core/json_scan.h"
#include "core/sse.h"
#include "core/stream_decoder.h"

namespace ci {

class ResponsesStreamDecoder : public StreamDecoder {
 public:
  void Feed(std::string_view bytes, std::vector<StreamDelta>* deltas) override;
  void Finish(std::vector<StreamDelta>* deltas) override;

 private:
  void HandleEvents(std::vector<StreamDelta>* deltas);
  void HandleEvent(const SseEvent& event, std::vector<StreamDelta>* deltas);
  // The field logic, once for both value types: JsonScanValue (fast path)
  // and JsonDomValue (nlohmann fallback). Defined in the .cpp only.
  template <class Value>
  void HandleObject(const Value& j, const SseEvent& event, std::vector<StreamDelta>* deltas);
  template <class Value>
  void TakeResponseIds(const Value& response);
  template <class Value>
  void HandleItem(const Value& item, std::optional<int64_t> output_index, bool done, std::vector<StreamDelta>* deltas);
  template <class Value>
  void HandleEnd(const Value& j, const std::string& type, std::vector<StreamDelta>* deltas);
  template <class Value>
  void KeepReasoningItem(const Value& item, const std::string& key);
  template <class Value>
  std::optional<size_t> FindCall(const Value& j) const;

  size_t BeginCall(std::string id, std::string name, const std::string& item_id, std::optional<int64_t> output_index,
                   std::vector<StreamDelta>* deltas);
  void AddArguments(size_t call, std::string piece, std::vector<StreamDelta>* deltas);
  void WholeArguments(size_t call, const std::string& whole, std::vector<StreamDelta>* deltas);
  // Text or thinking of one part (key: item id and part index).
  void AddPiece(StreamDelta::Kind kind, const std::string& key, std::string piece, std::vector<StreamDelta>* deltas);
  void WholePiece(StreamDelta::Kind kind, const std::string& key, const std::string& whole,
                  std::vector<StreamDelta>* deltas);
  // The key of part `index` of a whole item: by its id, or by its
  // output_index when its deltas came without an item id.
  std::string ItemPartKey(const std::string& item_id, std::optional<int64_t> output_index, const char* kind,
                          int64_t index) const;
  void Fail(std::string type, std::string message);
  bool stopped() const { return done_ || result_.error.has_value(); }

  SseDecoder sse_;
  std::vector<SseEvent> events_;
  JsonScan scan_;                                  // reused for every event (keeps its buffers)
  std::map<std::string, size_t> call_by_item_;     // function_call item id → result_.tool_calls
  std::map<int64_t, size_t> call_by_output_;       // output_index → result_.tool_calls
  std::map<std::string, std::string> part_text_;   // part key → text or thinking streamed so far
  std::string last_thinking_key_;                  // the part the thinking so far ends with
  bool done_ = false;                              // the final response seen, or Finish() called
  std::map<std::string, bool> reasoning_kept_;     // reasoning item key → already in result_.reasoning_items
  size_t reasoning_bytes_ = 0;
};

// The bound on the encrypted reasoning kept from one reply (it is resent).
constexpr size_t kMaxReasoningBytes = 1 << 20;

}  // namespace ci
