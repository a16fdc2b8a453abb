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
std::string ContentText(const Json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string out;
  if (content.is_array()) {
    for (const Json& part : content) {
      if (StringField(part, "type") == "text") out += StringField(part, "text");
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
  if (!j.is_object()) {
    Fail("stream_error", "OpenAI stream: expected a JSON object, got: \"" + Excerpt(data) + "\"");
    return;
  }
  auto error = j.find("error");
  if (error != j.end() && !error->is_null()) {
    result_.error = ErrorFromJson(*error);
    return;
  }
  if (result_.id.empty()) result_.id = StringField(j, "id");
  if (result_.model.empty()) result_.model = StringField(j, "model");
  auto usage = j.find("usage");
  if (usage != j.end() && usage->is_object()) result_.usage = *usage;

  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array()) return;  // e.g. the usage-only chunk
  for (size_t i = 0; i < choices->size(); ++i) {
    const Json& choice = (*choices)[i];
    if (!choice.is_object()) continue;
    auto index = choice.find("index");
    bool is_first = index == choice.end() ? i == 0 : (index->is_number_integer() && *index == 0);
    if (is_first) {
      HandleChoice(choice, deltas);
      break;
    }
  }
}

void OpenAiStreamDecoder::HandleChoice(const Json& choice, std::vector<StreamDelta>* deltas) {
  auto delta = choice.find("delta");
  if (delta != choice.end() && delta->is_object()) {
    std::string reasoning = StringField(*delta, "reasoning_content");
    if (reasoning.empty()) reasoning = StringField(*delta, "reasoning");
    if (!reasoning.empty()) {
      result_.thinking += reasoning;
      deltas->push_back({StreamDelta::Kind::kThinking, std::move(reasoning), 0});
    }
    std::string text;
    if (auto content = delta->find("content"); content != delta->end()) text = ContentText(*content);
    // A refusal is the model's answer to the user: show it as text.
    text += StringField(*delta, "refusal");
    if (!text.empty()) {
      if (!result_.text) result_.text.emplace();
      *result_.text += text;
      deltas->push_back({StreamDelta::Kind::kText, std::move(text), 0});
    }
    auto calls = delta->find("tool_calls");
    if (calls != delta->end() && calls->is_array()) {
      for (const Json& call : *calls) {
        if (call.is_object()) HandleToolCall(call, deltas);
      }
    }
  }
  std::string finish = StringField(choice, "finish_reason");
  if (!finish.empty()) {
    result_.finish_reason = finish;
    result_.complete = true;
  }
}

void OpenAiStreamDecoder::HandleToolCall(const Json& call, std::vector<StreamDelta>* deltas) {
  std::string id = StringField(call, "id");
  std::string name;
  std::string arguments;
  if (auto fn = call.find("function"); fn != call.end() && fn->is_object()) {
    name = StringField(*fn, "name");
    if (auto args = fn->find("arguments"); args != fn->end()) {
      // Some servers send the arguments as an object instead of JSON text.
      if (args->is_string()) {
        arguments = args->get<std::string>();
      } else if (!args->is_null()) {
        arguments = DumpJson(*args);
      }
    }
  }

  auto& calls = result_.tool_calls;
  std::optional<size_t> slot;
  auto index = call.find("index");
  bool has_index = index != call.end() && index->is_number_integer();
  if (has_index) {
    auto it = slot_by_index_.find(index->get<int64_t>());
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
    if (has_index) slot_by_index_[index->get<int64_t>()] = *slot;
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
