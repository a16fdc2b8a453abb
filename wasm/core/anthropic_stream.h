// Streaming decoder for Anthropic Messages.
//
// Rules, per SSE event (the JSON "type" decides; the SSE event name is only a
// fallback):
// - message_start: id, model and the initial usage object.
// - content_block_start: text / thinking / tool_use (id, name, the start
//   `input`) blocks, remembered by index; other block kinds are skipped.
// - content_block_delta: text_delta → text, thinking_delta → thinking,
//   input_json_delta → the tool call's arguments; signature_delta and
//   unknown deltas are ignored.
// - content_block_stop: a tool_use block that got no argument text takes the
//   serialized start input ("{}" for the usual empty one).
// - message_delta: stop_reason → finish_reason (and complete); its usage keys
//   are merged into the usage object.
// - message_stop: normal end; later events are ignored.
// - ping and unknown event types: ignored. error: ends the stream with
//   {error.type, error.message}.
#pragma once
#include <map>

#include "core/json_scan.h"
#include "core/sse.h"
#include "core/stream_decoder.h"

namespace ci {

class AnthropicStreamDecoder : public StreamDecoder {
 public:
  void Feed(std::string_view bytes, std::vector<StreamDelta>* deltas) override;
  void Finish(std::vector<StreamDelta>* deltas) override;

 private:
  enum class BlockKind { kText, kThinking, kToolUse, kOther };
  struct Block {
    BlockKind kind = BlockKind::kOther;
    size_t tool_index = 0;    // kToolUse: index into result_.tool_calls
    std::string start_input;  // kToolUse: serialized content_block.input
  };

  void HandleEvents(std::vector<StreamDelta>* deltas);
  void HandleEvent(const SseEvent& event, std::vector<StreamDelta>* deltas);
  // The field logic, once for both value types: JsonScanValue (fast path)
  // and JsonDomValue (nlohmann fallback). Defined in the .cpp only.
  template <class Value>
  void HandleObject(const Value& j, const SseEvent& event, std::vector<StreamDelta>* deltas);
  template <class Value>
  void HandleBlockStart(const Value& j, std::vector<StreamDelta>* deltas);
  template <class Value>
  void HandleBlockDelta(const Value& j, std::vector<StreamDelta>* deltas);
  void CloseToolBlock(const Block& block);
  void MergeUsage(const Json& usage);
  void Fail(std::string type, std::string message);
  bool stopped() const { return done_ || result_.error.has_value(); }

  SseDecoder sse_;
  std::vector<SseEvent> events_;
  JsonScan scan_;                    // reused for every event (keeps its buffers)
  std::map<int64_t, Block> blocks_;  // content block index → what it is
  bool done_ = false;                // message_stop seen or Finish() called
};

}  // namespace ci
