// Anthropic Messages stream decoder (rules in anthropic_stream.h).
#include "core/anthropic_stream.h"

#include <exception>
#include <utility>

#include "core/stream_common.h"

namespace ci {
namespace {

template <class Value>
std::optional<int64_t> IntField(const Value& j, std::string_view key) {
  Value v = j.Find(key);
  if (!v.is_number_integer()) return std::nullopt;
  return v.GetInt();
}

}  // namespace

void AnthropicStreamDecoder::Feed(std::string_view bytes, std::vector<StreamDelta>* deltas) {
  if (stopped()) return;
  bool ok = sse_.Feed(bytes, &events_);
  HandleEvents(deltas);
  if (!ok && !stopped()) Fail("stream_error", sse_.error());
}

void AnthropicStreamDecoder::Finish(std::vector<StreamDelta>* deltas) {
  if (stopped()) return;
  bool ok = sse_.Finish(&events_);
  HandleEvents(deltas);
  if (!ok && !stopped()) Fail("stream_error", sse_.error());
  if (!done_) {
    for (const auto& [index, block] : blocks_) CloseToolBlock(block);
  }
  if (!result_.error && !result_.complete) {
    Fail("incomplete_stream",
         "the response ended before the provider signalled its end (no message_stop and no "
         "stop_reason): the connection was probably cut");
  }
  done_ = true;
}

void AnthropicStreamDecoder::HandleEvents(std::vector<StreamDelta>* deltas) {
  for (const SseEvent& event : events_) {
    if (stopped()) break;
    try {
      HandleEvent(event, deltas);
    } catch (const std::exception& e) {
      Fail("stream_error", std::string("Anthropic stream: could not decode an event (") + e.what() + ")");
    }
  }
  events_.clear();
}

void AnthropicStreamDecoder::HandleEvent(const SseEvent& event, std::vector<StreamDelta>* deltas) {
  // Fast path: the scanner validates the event (depth bound included) and the
  // fields are read off its tape. Anything it refuses goes to nlohmann, which
  // gives the error message for invalid JSON (or reads the rare valid forms
  // the scanner leaves to it).
  if (scan_.Parse(event.data, kMaxJsonDepth)) {
    HandleObject(scan_.root(), event, deltas);
    return;
  }
  Json j;
  std::string parse_error;
  if (!ParseJsonBounded(event.data, &j, &parse_error)) {
    if (event.event == "error") {
      Fail("provider_error", Excerpt(event.data, 1000));
    } else {
      Fail("stream_error", "Anthropic stream: event data is " + parse_error);
    }
    return;
  }
  HandleObject(JsonDomValue(&j), event, deltas);
}

template <class Value>
void AnthropicStreamDecoder::HandleObject(const Value& j, const SseEvent& event, std::vector<StreamDelta>* deltas) {
  if (!j.is_object()) {
    Fail("stream_error", "Anthropic stream: expected a JSON object, got: \"" + Excerpt(event.data) + "\"");
    return;
  }
  std::string type = StringAt(j, "type");
  if (type.empty()) type = event.event;

  if (type == "message_start") {
    Value message = j.Find("message");
    if (!message.is_object()) return;
    if (result_.id.empty()) result_.id = StringAt(message, "id");
    if (result_.model.empty()) result_.model = StringAt(message, "model");
    if (Value usage = message.Find("usage"); usage.present()) MergeUsage(usage.ToJson());
  } else if (type == "content_block_start") {
    HandleBlockStart(j, deltas);
  } else if (type == "content_block_delta") {
    HandleBlockDelta(j, deltas);
  } else if (type == "content_block_stop") {
    auto index = IntField(j, "index");
    if (!index) return;
    auto it = blocks_.find(*index);
    if (it != blocks_.end()) CloseToolBlock(it->second);
  } else if (type == "message_delta") {
    if (Value delta = j.Find("delta"); delta.present()) {
      std::string stop = StringAt(delta, "stop_reason");
      if (!stop.empty()) {
        result_.finish_reason = stop;
        result_.complete = true;
      }
    }
    if (Value usage = j.Find("usage"); usage.present()) MergeUsage(usage.ToJson());
  } else if (type == "message_stop") {
    for (const auto& [index, block] : blocks_) CloseToolBlock(block);
    result_.complete = true;
    done_ = true;
  } else if (type == "error") {
    StreamError error{"provider_error", ""};
    Value body = j.Find("error");
    if (body.is_object()) {
      std::string provider_type = StringAt(body, "type");
      if (!provider_type.empty()) error.type = provider_type;
      error.message = StringAt(body, "message");
    }
    if (error.message.empty()) error.message = DumpJson(j.ToJson());
    error.message = Excerpt(error.message, 1000);
    result_.error = std::move(error);
  }
  // ping and event types added later: ignored, as the API's versioning asks.
}

template <class Value>
void AnthropicStreamDecoder::HandleBlockStart(const Value& j, std::vector<StreamDelta>* deltas) {
  auto index = IntField(j, "index");
  Value content = j.Find("content_block");
  if (!index || !content.is_object()) return;
  Block block;
  std::string type = StringAt(content, "type");
  if (type == "text") {
    block.kind = BlockKind::kText;
    std::string text = StringAt(content, "text");  // "" in practice
    if (!text.empty()) {
      if (!result_.text) result_.text.emplace();
      *result_.text += text;
      deltas->push_back({StreamDelta::Kind::kText, std::move(text), 0});
    }
  } else if (type == "thinking") {
    block.kind = BlockKind::kThinking;
    std::string thinking = StringAt(content, "thinking");
    if (!thinking.empty()) {
      result_.thinking += thinking;
      deltas->push_back({StreamDelta::Kind::kThinking, std::move(thinking), 0});
    }
  } else if (type == "tool_use") {
    block.kind = BlockKind::kToolUse;
    block.tool_index = result_.tool_calls.size();
    Value input = content.Find("input");
    block.start_input = input.present() ? DumpJson(input.ToJson()) : "{}";
    ToolCall call{StringAt(content, "id"), StringAt(content, "name"), ""};
    deltas->push_back({StreamDelta::Kind::kToolCallBegin, call.name, block.tool_index});
    result_.tool_calls.push_back(std::move(call));
  }
  blocks_[*index] = std::move(block);
}

template <class Value>
void AnthropicStreamDecoder::HandleBlockDelta(const Value& j, std::vector<StreamDelta>* deltas) {
  Value delta = j.Find("delta");
  if (!delta.is_object()) return;
  std::string type = StringAt(delta, "type");
  auto index = IntField(j, "index");
  const Block* block = nullptr;
  if (index) {
    auto it = blocks_.find(*index);
    if (it != blocks_.end()) block = &it->second;
  }
  if (type == "text_delta") {
    std::string text = StringAt(delta, "text");
    if (text.empty()) return;
    if (!result_.text) result_.text.emplace();
    *result_.text += text;
    deltas->push_back({StreamDelta::Kind::kText, std::move(text), 0});
  } else if (type == "thinking_delta") {
    std::string thinking = StringAt(delta, "thinking");
    if (thinking.empty()) return;
    result_.thinking += thinking;
    deltas->push_back({StreamDelta::Kind::kThinking, std::move(thinking), 0});
  } else if (type == "input_json_delta") {
    if (block == nullptr || block->kind != BlockKind::kToolUse) return;
    std::string piece = StringAt(delta, "partial_json");
    if (piece.empty()) return;
    result_.tool_calls[block->tool_index].arguments += piece;
    deltas->push_back({StreamDelta::Kind::kToolCallArguments, std::move(piece), block->tool_index});
  }
  // signature_delta (the thinking block's signature), citations_delta: not ours.
}

void AnthropicStreamDecoder::CloseToolBlock(const Block& block) {
  if (block.kind != BlockKind::kToolUse) return;
  ToolCall& call = result_.tool_calls[block.tool_index];
  // No input_json_delta text at all: the start block's input is the whole input.
  if (call.arguments.empty()) call.arguments = block.start_input;
}

void AnthropicStreamDecoder::MergeUsage(const Json& usage) {
  if (!usage.is_object()) return;
  if (!result_.usage.is_object()) result_.usage = Json::object();
  for (auto it = usage.begin(); it != usage.end(); ++it) {
    // message_delta repeats some fields as null; keep what message_start said.
    if (it.value().is_null() && result_.usage.contains(it.key())) continue;
    result_.usage[it.key()] = it.value();
  }
}

void AnthropicStreamDecoder::Fail(std::string type, std::string message) {
  if (result_.error) return;
  result_.error = StreamError{std::move(type), std::move(message)};
}

}  // namespace ci
