// OpenAI Chat Completions stream decoder (rules in openai_stream.h).
#include "core/openai_stream.h"

#include <exception>
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

// A provider's mid-stream error: {"error": {"message","type","code"}} or
// {"error": "text"}.
StreamError ErrorFromJson(const Json& error) {
  StreamError out;
  out.type = "provider_error";
  if (error.is_string()) {
    out.message = error.get<std::string>();
  } else if (error.is_object()) {
    out.message = StringField(error, "message");
    std::string type = StringField(error, "type");
    if (type.empty()) type = StringField(error, "code");
    if (!type.empty()) out.type = type;
    if (out.message.empty()) out.message = DumpJson(error);
  } else {
    out.message = DumpJson(error);
  }
  if (out.message.empty()) out.message = "the provider reported an error mid-stream";
  out.message = Excerpt(out.message, 1000);
  return out;
}

// delta.content is a string; a few providers send [{"type":"text","text":..}].
template <class Value>
std::string ContentText(const Value& content) {
  if (content.is_string()) return content.GetString();
  std::string out;
  if (content.is_array()) {
    for (Value part = content.FirstElement(); part.present(); part = content.NextElement(part)) {
      if (StringAt(part, "type") == "text") out += StringAt(part, "text");
    }
  }
  return out;
}

}  // namespace

void OpenAiStreamDecoder::Feed(std::string_view bytes, std::vector<StreamDelta>* deltas) {
  if (stopped()) return;
  bool ok = sse_.Feed(bytes, &events_);
  HandleEvents(deltas);
  if (!ok && !stopped()) Fail("stream_error", sse_.error());
}

void OpenAiStreamDecoder::Finish(std::vector<StreamDelta>* deltas) {
  if (stopped()) return;
  bool ok = sse_.Finish(&events_);
  HandleEvents(deltas);
  if (!ok && !stopped()) Fail("stream_error", sse_.error());
  if (!result_.error && !result_.complete) {
    Fail("incomplete_stream",
         "the response ended before the provider signalled its end (no [DONE] and no "
         "finish_reason): the connection was probably cut");
  }
  done_ = true;
}

void OpenAiStreamDecoder::HandleEvents(std::vector<StreamDelta>* deltas) {
  for (const SseEvent& event : events_) {
    if (stopped()) break;
    try {
      HandleEvent(event, deltas);
    } catch (const std::exception& e) {
      // Only a library surprise gets here (every field is type-checked).
      Fail("stream_error", std::string("OpenAI stream: could not decode an event (") + e.what() + ")");
    }
  }
  events_.clear();
}

void OpenAiStreamDecoder::HandleEvent(const SseEvent& event, std::vector<StreamDelta>* deltas) {
  std::string_view data = TrimAscii(event.data);
  if (data.empty()) return;  // keep-alive
  if (data == "[DONE]") {
    result_.complete = true;
    done_ = true;
    return;
  }
  // Fast path: the scanner validates the event (depth bound included) and the
  // fields are read off its tape. Anything it refuses goes to nlohmann, which
  // gives the error message for invalid JSON (or reads the rare valid forms
  // the scanner leaves to it).
  if (scan_.Parse(data, kMaxJsonDepth)) {
    HandleObject(scan_.root(), data, deltas);
    return;
  }
  Json j;
  std::string parse_error;
  if (!ParseJsonBounded(data, &j, &parse_error)) {
    if (event.event == "error") {
      Fail("provider_error", Excerpt(data, 1000));
    } else {
      Fail("stream_error", "OpenAI stream: event data is " + parse_error);
    }
    return;
  }
  HandleObject(JsonDomValue(&j), data, deltas);
}

template <class Value>
void OpenAiStreamDecoder::HandleObject(const Value& j, std::string_view data, std::vector<StreamDelta>* deltas) {
  if (!j.is_object()) {
    Fail("stream_error", "OpenAI stream: expected a JSON object, got: \"" + Excerpt(data) + "\"");
    return;
  }
  Value error = j.Find("error");
  if (error.present() && !error.is_null()) {
    result_.error = ErrorFromJson(error.ToJson());
    return;
  }
  if (result_.id.empty()) result_.id = StringAt(j, "id");
  if (result_.model.empty()) result_.model = StringAt(j, "model");
  Value usage = j.Find("usage");
  if (usage.is_object()) result_.usage = usage.ToJson();

  Value choices = j.Find("choices");
  if (!choices.is_array()) return;  // e.g. the usage-only chunk
  size_t i = 0;
  for (Value choice = choices.FirstElement(); choice.present(); choice = choices.NextElement(choice), ++i) {
    if (!choice.is_object()) continue;
    Value index = choice.Find("index");
    bool is_first = !index.present() ? i == 0 : (index.is_number_integer() && index.GetInt() == 0);
    if (is_first) {
      HandleChoice(choice, deltas);
      break;
    }
  }
}

template <class Value>
void OpenAiStreamDecoder::HandleChoice(const Value& choice, std::vector<StreamDelta>* deltas) {
  Value delta = choice.Find("delta");
  if (delta.is_object()) {
    std::string reasoning = StringAt(delta, "reasoning_content");
    if (reasoning.empty()) reasoning = StringAt(delta, "reasoning");
    if (!reasoning.empty()) {
      result_.thinking += reasoning;
      deltas->push_back({StreamDelta::Kind::kThinking, std::move(reasoning), 0});
    }
    std::string text;
    if (Value content = delta.Find("content"); content.present()) text = ContentText(content);
    // A refusal is the model's answer to the user: show it as text.
    text += StringAt(delta, "refusal");
    if (!text.empty()) {
      if (!result_.text) result_.text.emplace();
      *result_.text += text;
      deltas->push_back({StreamDelta::Kind::kText, std::move(text), 0});
    }
    Value calls = delta.Find("tool_calls");
    if (calls.is_array()) {
      for (Value call = calls.FirstElement(); call.present(); call = calls.NextElement(call)) {
        if (call.is_object()) HandleToolCall(call, deltas);
      }
    }
  }
  std::string finish = StringAt(choice, "finish_reason");
  if (!finish.empty()) {
    result_.finish_reason = finish;
    result_.complete = true;
  }
}

template <class Value>
void OpenAiStreamDecoder::HandleToolCall(const Value& call, std::vector<StreamDelta>* deltas) {
  std::string id = StringAt(call, "id");
  std::string name;
  std::string arguments;
  if (Value fn = call.Find("function"); fn.is_object()) {
    name = StringAt(fn, "name");
    if (Value args = fn.Find("arguments"); args.present()) {
      // Some servers send the arguments as an object instead of JSON text.
      if (args.is_string()) {
        arguments = args.GetString();
      } else if (!args.is_null()) {
        arguments = DumpJson(args.ToJson());
      }
    }
  }

  auto& calls = result_.tool_calls;
  std::optional<size_t> slot;
  Value index = call.Find("index");
  bool has_index = index.is_number_integer();
  int64_t index_value = has_index ? index.GetInt() : 0;
  if (has_index) {
    auto it = slot_by_index_.find(index_value);
    // A different id on a used index is a new call (providers that number
    // every call 0).
    if (it != slot_by_index_.end() && (id.empty() || calls[it->second].id.empty() || calls[it->second].id == id)) {
      slot = it->second;
    }
  } else if (!id.empty()) {
    for (size_t i = 0; i < calls.size(); ++i) {
      if (calls[i].id == id) slot = i;
    }
  } else if (!calls.empty()) {
    slot = calls.size() - 1;  // no index, no id: a fragment of the latest call
  }
  if (!slot) {
    slot = calls.size();
    calls.push_back(ToolCall{id, name, ""});
    if (has_index) slot_by_index_[index_value] = *slot;
    deltas->push_back({StreamDelta::Kind::kToolCallBegin, name, *slot});
  } else {
    ToolCall& existing = calls[*slot];
    if (existing.id.empty()) existing.id = id;
    if (existing.name.empty()) existing.name = name;
  }
  if (!arguments.empty()) {
    calls[*slot].arguments += arguments;
    deltas->push_back({StreamDelta::Kind::kToolCallArguments, std::move(arguments), *slot});
  }
}

void OpenAiStreamDecoder::Fail(std::string type, std::string message) {
  if (result_.error) return;
  result_.error = StreamError{std::move(type), std::move(message)};
}

}  // namespace ci
