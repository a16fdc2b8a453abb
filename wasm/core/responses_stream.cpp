// OpenAI Responses API stream decoder (rules in responses_stream.h).
#include "core/responses_stream.h"

#include <exception>
#include <optional>
#include <utility>

#include "core/stream_common.h"

namespace ci {
namespace {

std::string_view TrimAscii(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

template <class Value>
std::optional<int64_t> IntAt(const Value& j, std::string_view key) {
  Value v = j.Find(key);
  if (!v.is_number_integer()) return std::nullopt;
  return v.GetInt();
}

// "item_id/kind/index" names one content part, summary part or reasoning
// part; "@output_index/kind/index" when a server leaves out the item id.
std::string MakePartKey(const std::string& item_id, std::optional<int64_t> output_index, const char* kind,
                        int64_t index) {
  std::string owner = !item_id.empty() ? item_id
                                       : "@" + (output_index ? std::to_string(*output_index) : std::string("?"));
  return owner + "/" + kind + "/" + std::to_string(index);
}

// The part a delta or .done event is about.
template <class Value>
std::string PartKey(const Value& j, const char* kind, const char* index_key) {
  return MakePartKey(StringAt(j, "item_id"), IntAt(j, "output_index"), kind, IntAt(j, index_key).value_or(0));
}

// An error object: {code, message} (response.error, the in-band event) or
// {type, code, message} (the nested form, as in Chat Completions).
template <class Value>
StreamError ErrorFrom(const Value& error) {
  StreamError out{"provider_error", ""};
  if (error.is_string()) {
    out.message = error.GetString();
  } else if (error.is_object()) {
    std::string type = StringAt(error, "type");
    if (type.empty() || type == "error") type = StringAt(error, "code");
    if (!type.empty()) out.type = type;
    out.message = StringAt(error, "message");
    if (out.message.empty()) out.message = DumpJson(error.ToJson());
  } else if (error.present()) {
    out.message = DumpJson(error.ToJson());
  }
  if (out.message.empty()) out.message = "the provider reported an error mid-stream";
  out.message = Excerpt(out.message, 1000);
  return out;
}

}  // namespace

void ResponsesStreamDecoder::Feed(std::string_view bytes, std::vector<StreamDelta>* deltas) {
  if (stopped()) return;
  bool ok = sse_.Feed(bytes, &events_);
  HandleEvents(deltas);
  if (!ok && !stopped()) Fail("stream_error", sse_.error());
}

void ResponsesStreamDecoder::Finish(std::vector<StreamDelta>* deltas) {
  if (stopped()) return;
  bool ok = sse_.Finish(&events_);
  HandleEvents(deltas);
  if (!ok && !stopped()) Fail("stream_error", sse_.error());
  if (!result_.error && !result_.complete) {
    Fail("incomplete_stream",
         "the response ended before the provider signalled its end (no response.completed, "
         "response.incomplete or response.failed): the connection was probably cut");
  }
  done_ = true;
}

void ResponsesStreamDecoder::HandleEvents(std::vector<StreamDelta>* deltas) {
  for (const SseEvent& event : events_) {
    if (stopped()) break;
    try {
      HandleEvent(event, deltas);
    } catch (const std::exception& e) {
      // Only a library surprise gets here (every field is type-checked).
      Fail("stream_error", std::string("Responses stream: could not decode an event (") + e.what() + ")");
    }
  }
  events_.clear();
}

void ResponsesStreamDecoder::HandleEvent(const SseEvent& event, std::vector<StreamDelta>* deltas) {
  std::string_view data = TrimAscii(event.data);
  if (data.empty() || data == "[DONE]") return;  // keep-alive; a Chat Completions habit of some servers
  // Fast path: the scanner validates the event (depth bound included) and the
  // fields are read off its tape. Anything it refuses goes to nlohmann, which
  // gives the error message for invalid JSON.
  if (scan_.Parse(data, kMaxJsonDepth)) {
    HandleObject(scan_.root(), event, deltas);
    return;
  }
  Json j;
  std::string parse_error;
  if (!ParseJsonBounded(data, &j, &parse_error)) {
    if (event.event == "error") {
      Fail("provider_error", Excerpt(data, 1000));
    } else {
      Fail("stream_error", "Responses stream: event data is " + parse_error);
    }
    return;
  }
  HandleObject(JsonDomValue(&j), event, deltas);
}

template <class Value>
void ResponsesStreamDecoder::HandleObject(const Value& j, const SseEvent& event, std::vector<StreamDelta>* deltas) {
  if (!j.is_object()) {
    Fail("stream_error", "Responses stream: expected a JSON object, got: \"" + Excerpt(event.data) + "\"");
    return;
  }
  std::string type = StringAt(j, "type");
  if (type.empty()) type = event.event;

  if (type == "response.created" || type == "response.in_progress" || type == "response.queued") {
    TakeResponseIds(j.Find("response"));
  } else if (type == "response.output_item.added" || type == "response.output_item.done") {
    Value item = j.Find("item");
    if (item.is_object()) HandleItem(item, IntAt(j, "output_index"), type == "response.output_item.done", deltas);
  } else if (type == "response.output_text.delta") {
    AddPiece(StreamDelta::Kind::kText, PartKey(j, "text", "content_index"), StringAt(j, "delta"), deltas);
  } else if (type == "response.output_text.done") {
    WholePiece(StreamDelta::Kind::kText, PartKey(j, "text", "content_index"), StringAt(j, "text"), deltas);
  } else if (type == "response.refusal.delta") {
    // A refusal is the model's answer to the user: shown as text.
    AddPiece(StreamDelta::Kind::kText, PartKey(j, "refusal", "content_index"), StringAt(j, "delta"), deltas);
  } else if (type == "response.refusal.done") {
    WholePiece(StreamDelta::Kind::kText, PartKey(j, "refusal", "content_index"), StringAt(j, "refusal"), deltas);
  } else if (type == "response.reasoning_summary_text.delta") {
    AddPiece(StreamDelta::Kind::kThinking, PartKey(j, "summary", "summary_index"), StringAt(j, "delta"), deltas);
  } else if (type == "response.reasoning_summary_text.done") {
    WholePiece(StreamDelta::Kind::kThinking, PartKey(j, "summary", "summary_index"), StringAt(j, "text"), deltas);
  } else if (type == "response.reasoning_text.delta") {
    // Raw reasoning (gpt-oss on vLLM, LM Studio, Ollama).
    AddPiece(StreamDelta::Kind::kThinking, PartKey(j, "reasoning", "content_index"), StringAt(j, "delta"), deltas);
  } else if (type == "response.reasoning_text.done") {
    WholePiece(StreamDelta::Kind::kThinking, PartKey(j, "reasoning", "content_index"), StringAt(j, "text"), deltas);
  } else if (type == "response.function_call_arguments.delta") {
    if (auto call = FindCall(j)) {
      Value piece = j.Find("delta");
      if (piece.is_string()) AddArguments(*call, piece.GetString(), deltas);
    }
  } else if (type == "response.function_call_arguments.done") {
    if (auto call = FindCall(j)) {
      Value whole = j.Find("arguments");
      if (whole.is_string()) WholeArguments(*call, whole.GetString(), deltas);
    }
  } else if (type == "response.completed" || type == "response.incomplete" || type == "response.failed") {
    HandleEnd(j, type, deltas);
  } else if (type == "error") {
    Value nested = j.Find("error");
    result_.error = ErrorFrom(nested.is_object() || nested.is_string() ? nested : j);
  }
  // content_part.added/done, output_text.annotation.added, web search and
  // other tools' events, and event types added later: ignored.
}

template <class Value>
void ResponsesStreamDecoder::TakeResponseIds(const Value& response) {
  if (!response.is_object()) return;
  if (result_.id.empty()) result_.id = StringAt(response, "id");
  if (result_.model.empty()) result_.model = StringAt(response, "model");
}

template <class Value>
std::optional<size_t> ResponsesStreamDecoder::FindCall(const Value& j) const {
  std::string item_id = StringAt(j, "item_id");
  if (!item_id.empty()) {
    auto it = call_by_item_.find(item_id);
    if (it != call_by_item_.end()) return it->second;
  }
  if (auto index = IntAt(j, "output_index")) {
    auto it = call_by_output_.find(*index);
    if (it != call_by_output_.end()) return it->second;
  }
  return std::nullopt;
}

template <class Value>
void ResponsesStreamDecoder::HandleItem(const Value& item, std::optional<int64_t> index, bool done,
                                        std::vector<StreamDelta>* deltas) {
  std::string type = StringAt(item, "type");
  std::string item_id = StringAt(item, "id");
  if (type == "function_call") {
    std::optional<size_t> call;
    if (!item_id.empty()) {
      auto it = call_by_item_.find(item_id);
      if (it != call_by_item_.end()) call = it->second;
    }
    if (!call && index) {
      auto it = call_by_output_.find(*index);
      if (it != call_by_output_.end()) call = it->second;
    }
    std::string call_id = StringAt(item, "call_id");
    if (call_id.empty()) call_id = item_id;
    std::string name = StringAt(item, "name");
    if (!call) {
      call = BeginCall(call_id, name, item_id, index, deltas);
    } else {
      ToolCall& existing = result_.tool_calls[*call];
      if (existing.id.empty()) existing.id = call_id;
      if (existing.name.empty()) existing.name = name;
    }
    Value arguments = item.Find("arguments");
    if (arguments.is_string()) {
      if (done) {
        WholeArguments(*call, arguments.GetString(), deltas);
      } else {
        AddArguments(*call, arguments.GetString(), deltas);  // "" in practice
      }
    } else if (arguments.is_object()) {
      // A server that sends the arguments as an object instead of JSON text.
      WholeArguments(*call, DumpJson(arguments.ToJson()), deltas);
    }
    return;
  }
  if (!done) return;  // a message or reasoning item starts empty
  if (type == "message") {
    Value content = item.Find("content");
    if (!content.is_array()) return;
    int64_t i = 0;
    for (Value part = content.FirstElement(); part.present(); part = content.NextElement(part), ++i) {
      std::string part_type = StringAt(part, "type");
      std::string key = ItemPartKey(item_id, index, part_type == "refusal" ? "refusal" : "text", i);
      if (part_type == "output_text") WholePiece(StreamDelta::Kind::kText, key, StringAt(part, "text"), deltas);
      if (part_type == "refusal") WholePiece(StreamDelta::Kind::kText, key, StringAt(part, "refusal"), deltas);
    }
  } else if (type == "reasoning") {
    KeepReasoningItem(item, item_id.empty() ? "@" + std::to_string(index.value_or(-1)) : item_id);
    Value summary = item.Find("summary");
    if (summary.is_array()) {
      int64_t i = 0;
      for (Value part = summary.FirstElement(); part.present(); part = summary.NextElement(part), ++i) {
        WholePiece(StreamDelta::Kind::kThinking, ItemPartKey(item_id, index, "summary", i), StringAt(part, "text"),
                   deltas);
      }
    }
    Value content = item.Find("content");
    if (content.is_array()) {
      int64_t i = 0;
      for (Value part = content.FirstElement(); part.present(); part = content.NextElement(part), ++i) {
        if (StringAt(part, "type") != "reasoning_text") continue;
        WholePiece(StreamDelta::Kind::kThinking, ItemPartKey(item_id, index, "reasoning", i), StringAt(part, "text"),
                   deltas);
      }
    }
  }
}

template <class Value>
void ResponsesStreamDecoder::KeepReasoningItem(const Value& item, const std::string& key) {
  Value encrypted = item.Find("encrypted_content");
  if (!encrypted.is_string() || reasoning_kept_.count(key)) return;
  std::string content = encrypted.GetString();
  if (content.empty() || reasoning_bytes_ + content.size() > kMaxReasoningBytes) return;
  reasoning_kept_[key] = true;
  reasoning_bytes_ += content.size();
  // Only what the API takes back as input (no status, no raw content).
  Json kept{{"type", "reasoning"}};
  if (std::string id = StringAt(item, "id"); !id.empty()) kept["id"] = id;
  kept["summary"] = Json::array();
  kept["encrypted_content"] = std::move(content);
  if (Value summary = item.Find("summary"); summary.is_array()) {
    for (Value part = summary.FirstElement(); part.present(); part = summary.NextElement(part))
      kept["summary"].push_back({{"type", "summary_text"}, {"text", StringAt(part, "text")}});
  }
  if (result_.reasoning_items.is_null()) result_.reasoning_items = Json::array();
  result_.reasoning_items.push_back(std::move(kept));
}

template <class Value>
void ResponsesStreamDecoder::HandleEnd(const Value& j, const std::string& type, std::vector<StreamDelta>* deltas) {
  Value response = j.Find("response");
  std::string status = type.substr(std::string("response.").size());  // completed | incomplete | failed
  if (response.is_object()) {
    TakeResponseIds(response);
    // The whole output: adds what a server did not stream as deltas.
    Value output = response.Find("output");
    if (output.is_array()) {
      int64_t i = 0;
      for (Value item = output.FirstElement(); item.present(); item = output.NextElement(item), ++i) {
        if (!item.is_object()) continue;
        HandleItem(item, i, /*done=*/true, deltas);
      }
    }
    Value usage = response.Find("usage");
    if (usage.is_object()) result_.usage = usage.ToJson();
    std::string final_status = StringAt(response, "status");
    if (!final_status.empty()) status = final_status;
    if (Value details = response.Find("incomplete_details"); details.is_object()) {
      std::string reason = StringAt(details, "reason");
      if (!reason.empty()) status += ":" + reason;
    }
    if (Value error = response.Find("error"); error.is_object() || error.is_string()) {
      result_.error = ErrorFrom(error);
    }
  }
  if (type == "response.failed" && !result_.error) {
    result_.error = StreamError{"provider_error", "the response failed (the provider gave no reason)"};
  }
  result_.finish_reason = status;
  result_.complete = true;
  done_ = true;
}

size_t ResponsesStreamDecoder::BeginCall(std::string id, std::string name, const std::string& item_id,
                                         std::optional<int64_t> output_index, std::vector<StreamDelta>* deltas) {
  size_t slot = result_.tool_calls.size();
  deltas->push_back({StreamDelta::Kind::kToolCallBegin, name, slot});
  result_.tool_calls.push_back(ToolCall{std::move(id), std::move(name), ""});
  if (!item_id.empty()) call_by_item_[item_id] = slot;
  if (output_index) call_by_output_[*output_index] = slot;
  return slot;
}

void ResponsesStreamDecoder::AddArguments(size_t call, std::string piece, std::vector<StreamDelta>* deltas) {
  if (piece.empty()) return;
  result_.tool_calls[call].arguments += piece;
  deltas->push_back({StreamDelta::Kind::kToolCallArguments, std::move(piece), call});
}

void ResponsesStreamDecoder::WholeArguments(size_t call, const std::string& whole, std::vector<StreamDelta>* deltas) {
  std::string& have = result_.tool_calls[call].arguments;
  if (whole.compare(0, have.size(), have) == 0) {
    AddArguments(call, whole.substr(have.size()), deltas);
  } else if (!whole.empty()) {
    have = whole;  // the whole string is the provider's last word
  }
}

void ResponsesStreamDecoder::AddPiece(StreamDelta::Kind kind, const std::string& key, std::string piece,
                                      std::vector<StreamDelta>* deltas) {
  if (piece.empty()) return;
  part_text_[key] += piece;
  if (kind == StreamDelta::Kind::kThinking) {
    // Summary parts are paragraphs of their own.
    if (key != last_thinking_key_ && !result_.thinking.empty()) piece = "\n\n" + piece;
    last_thinking_key_ = key;
    result_.thinking += piece;
  } else {
    if (!result_.text) result_.text.emplace();
    *result_.text += piece;
  }
  deltas->push_back({kind, std::move(piece), 0});
}

std::string ResponsesStreamDecoder::ItemPartKey(const std::string& item_id, std::optional<int64_t> output_index,
                                                const char* kind, int64_t index) const {
  std::string key = MakePartKey(item_id, output_index, kind, index);
  if (item_id.empty() || !output_index || part_text_.count(key) != 0) return key;
  // Deltas that named no item were keyed by their output_index.
  std::string by_index = MakePartKey("", output_index, kind, index);
  return part_text_.count(by_index) != 0 ? by_index : key;
}

void ResponsesStreamDecoder::WholePiece(StreamDelta::Kind kind, const std::string& key, const std::string& whole,
                                        std::vector<StreamDelta>* deltas) {
  auto it = part_text_.find(key);
  const size_t have = it == part_text_.end() ? 0 : it->second.size();
  // Text already shown cannot be taken back: only a missing tail is added.
  if (whole.size() > have && (have == 0 || whole.compare(0, have, it->second) == 0)) {
    AddPiece(kind, key, whole.substr(have), deltas);
  }
}

void ResponsesStreamDecoder::Fail(std::string type, std::string message) {
  if (result_.error) return;
  result_.error = StreamError{std::move(type), std::move(message)};
}

}  // namespace ci
