// Drives a Session from both ends in memory (the way h11's tests drive a
// connection): the test plays the JS glue, the model server and the sandbox.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/json.h"
#include "core/protocol.h"
#include "core/session.h"

namespace ci::testing {

// --- model replies in the real wire formats ---------------------------------

inline std::string SseData(const Json& j) { return "data: " + j.dump() + "\n\n"; }

inline Json OpenAiChunk(const Json& delta, const Json& finish = nullptr) {
  return Json{{"id", "chatcmpl-test"},
              {"object", "chat.completion.chunk"},
              {"created", 1700000000},
              {"model", "gpt-test"},
              {"choices", Json::array({Json{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}})}};
}

// A whole text reply, streamed as one chunk per piece.
inline std::string OpenAiText(const std::vector<std::string>& pieces, bool done = true) {
  std::string s = SseData(OpenAiChunk(Json{{"role", "assistant"}, {"content", ""}}));
  for (const auto& p : pieces) s += SseData(OpenAiChunk(Json{{"content", p}}));
  if (done) {
    s += SseData(OpenAiChunk(Json::object(), "stop"));
    s += SseData(Json{{"id", "chatcmpl-test"},
                      {"object", "chat.completion.chunk"},
                      {"model", "gpt-test"},
                      {"choices", Json::array()},
                      {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}, {"total_tokens", 15}}}});
    s += "data: [DONE]\n\n";
  }
  return s;
}

struct Call {
  std::string id;
  std::string code;
  std::string name = "python";
};

// A reply that calls tools; the arguments stream in small pieces.
inline std::string OpenAiToolCalls(const std::vector<Call>& calls, const std::string& text = "") {
  std::string s = SseData(OpenAiChunk(Json{{"role", "assistant"}, {"content", text.empty() ? Json(nullptr) : Json(text)}}));
  for (size_t i = 0; i < calls.size(); ++i) {
    s += SseData(OpenAiChunk(Json{{"tool_calls", Json::array({Json{{"index", i},
                                                                    {"id", calls[i].id},
                                                                    {"type", "function"},
                                                                    {"function", {{"name", calls[i].name}, {"arguments", ""}}}}})}}));
    std::string args = Json{{"code", calls[i].code}}.dump();
    for (size_t off = 0; off < args.size(); off += 7) {
      s += SseData(OpenAiChunk(Json{{"tool_calls", Json::array({Json{{"index", i}, {"function", {{"arguments", args.substr(off, 7)}}}}})}}));
    }
  }
  s += SseData(OpenAiChunk(Json::object(), "tool_calls"));
  s += "data: [DONE]\n\n";
  return s;
}

inline std::string AnthropicEvent(const std::string& name, const Json& data) {
  return "event: " + name + "\ndata: " + data.dump() + "\n\n";
}

inline std::string AnthropicToolUse(const std::string& id, const std::string& code, const std::string& text = "") {
  std::string s = AnthropicEvent("message_start", {{"type", "message_start"},
                                                   {"message",
                                                    {{"id", "msg_test"},
                                                     {"type", "message"},
                                                     {"role", "assistant"},
                                                     {"model", "claude-test"},
                                                     {"content", Json::array()},
                                                     {"stop_reason", nullptr},
                                                     {"usage", {{"input_tokens", 20}, {"output_tokens", 1}}}}}});
  int index = 0;
  if (!text.empty()) {
    s += AnthropicEvent("content_block_start", {{"type", "content_block_start"}, {"index", index}, {"content_block", {{"type", "text"}, {"text", ""}}}});
    s += AnthropicEvent("content_block_delta", {{"type", "content_block_delta"}, {"index", index}, {"delta", {{"type", "text_delta"}, {"text", text}}}});
    s += AnthropicEvent("content_block_stop", {{"type", "content_block_stop"}, {"index", index}});
    ++index;
  }
  s += AnthropicEvent("content_block_start", {{"type", "content_block_start"}, {"index", index},
                                              {"content_block", {{"type", "tool_use"}, {"id", id}, {"name", "python"}, {"input", Json::object()}}}});
  std::string args = Json{{"code", code}}.dump();
  for (size_t off = 0; off < args.size(); off += 5)
    s += AnthropicEvent("content_block_delta", {{"type", "content_block_delta"}, {"index", index},
                                                {"delta", {{"type", "input_json_delta"}, {"partial_json", args.substr(off, 5)}}}});
  s += AnthropicEvent("content_block_stop", {{"type", "content_block_stop"}, {"index", index}});
  s += AnthropicEvent("message_delta", {{"type", "message_delta"}, {"delta", {{"stop_reason", "tool_use"}, {"stop_sequence", nullptr}}}, {"usage", {{"output_tokens", 30}}}});
  s += AnthropicEvent("message_stop", {{"type", "message_stop"}});
  return s;
}

inline std::string AnthropicText(const std::string& text) {
  std::string s = AnthropicEvent("message_start", {{"type", "message_start"},
                                                   {"message", {{"id", "msg_t2"}, {"type", "message"}, {"role", "assistant"}, {"model", "claude-test"},
                                                                {"content", Json::array()}, {"usage", {{"input_tokens", 50}, {"output_tokens", 1}}}}}});
  s += AnthropicEvent("content_block_start", {{"type", "content_block_start"}, {"index", 0}, {"content_block", {{"type", "text"}, {"text", ""}}}});
  s += AnthropicEvent("ping", {{"type", "ping"}});
  s += AnthropicEvent("content_block_delta", {{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", "text_delta"}, {"text", text}}}});
  s += AnthropicEvent("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}});
  s += AnthropicEvent("message_delta", {{"type", "message_delta"}, {"delta", {{"stop_reason", "end_turn"}}}, {"usage", {{"output_tokens", 9}}}});
  s += AnthropicEvent("message_stop", {{"type", "message_stop"}});
  return s;
}

// The OpenAI Responses API: one event per SSE message, named by its type.
inline std::string ResponsesEvent(const Json& data) {
  return "event: " + data["type"].get<std::string>() + "\ndata: " + data.dump() + "\n\n";
}

inline Json ResponsesUsage(int64_t input, int64_t cached, int64_t output) {
  return Json{{"input_tokens", input},
              {"input_tokens_details", {{"cached_tokens", cached}}},
              {"output_tokens", output},
              {"output_tokens_details", {{"reasoning_tokens", 0}}},
              {"total_tokens", input + output}};
}

// A whole Responses reply: optional text (in pieces), then function calls
// whose arguments stream in small pieces, then response.<status>.
inline std::string ResponsesReply(const std::vector<std::string>& pieces, const std::vector<Call>& calls = {},
                                  const Json& usage = ResponsesUsage(10, 0, 5), const std::string& status = "completed",
                                  const std::string& incomplete_reason = "") {
  const Json base{{"id", "resp_test"}, {"object", "response"}, {"model", "gpt-test"}, {"store", false}};
  Json created = base;
  created["status"] = "in_progress";
  created["output"] = Json::array();
  created["usage"] = nullptr;
  std::string s = ResponsesEvent({{"type", "response.created"}, {"response", created}});
  Json output = Json::array();
  int index = 0;
  if (!pieces.empty()) {
    s += ResponsesEvent({{"type", "response.output_item.added"}, {"output_index", index},
                         {"item", {{"id", "msg_test"}, {"type", "message"}, {"role", "assistant"}, {"content", Json::array()}}}});
    std::string text;
    for (const auto& p : pieces) {
      s += ResponsesEvent({{"type", "response.output_text.delta"}, {"item_id", "msg_test"}, {"output_index", index},
                           {"content_index", 0}, {"delta", p}});
      text += p;
    }
    Json item{{"id", "msg_test"}, {"type", "message"}, {"role", "assistant"},
              {"content", Json::array({Json{{"type", "output_text"}, {"text", text}}})}};
    s += ResponsesEvent({{"type", "response.output_item.done"}, {"output_index", index}, {"item", item}});
    output.push_back(item);
    ++index;
  }
  for (const Call& call : calls) {
    std::string item_id = "fc_" + call.id;
    s += ResponsesEvent({{"type", "response.output_item.added"}, {"output_index", index},
                         {"item", {{"id", item_id}, {"type", "function_call"}, {"call_id", call.id}, {"name", call.name}, {"arguments", ""}}}});
    std::string args = Json{{"code", call.code}}.dump();
    for (size_t off = 0; off < args.size(); off += 6)
      s += ResponsesEvent({{"type", "response.function_call_arguments.delta"}, {"item_id", item_id}, {"output_index", index},
                           {"delta", args.substr(off, 6)}});
    s += ResponsesEvent({{"type", "response.function_call_arguments.done"}, {"item_id", item_id}, {"output_index", index}, {"arguments", args}});
    Json item{{"id", item_id}, {"type", "function_call"}, {"call_id", call.id}, {"name", call.name}, {"arguments", args}};
    s += ResponsesEvent({{"type", "response.output_item.done"}, {"output_index", index}, {"item", item}});
    output.push_back(item);
    ++index;
  }
  Json final_response = base;
  final_response["status"] = status;
  final_response["output"] = output;
  final_response["usage"] = usage;
  final_response["incomplete_details"] =
      incomplete_reason.empty() ? Json(nullptr) : Json{{"reason", incomplete_reason}};
  s += ResponsesEvent({{"type", "response." + status}, {"response", final_response}});
  return s;
}

// --- the driver -----------------------------------------------------------------

inline SessionConfig TestConfig(const std::string& format = "openai", bool tools = true) {
  SessionConfig c;
  c.provider.format = format;
  const bool anthropic = format == "anthropic";  // else an OpenAI format: openai, responses
  c.provider.base_url = anthropic ? "https://anthropic.example.test/v1" : "https://api.example.test/v1";
  c.provider.model = anthropic ? "claude-test" : "gpt-test";
  c.provider.auth = anthropic ? "x-api-key" : "bearer";
  c.provider.tools = tools;
  return c;
}

class Driver {
 public:
  explicit Driver(SessionConfig config = TestConfig()) : session(std::move(config)) {}

  // Sends an event (now_ms filled in) and returns the actions; fails the test
  // on a protocol error or on an action/emit name not in protocol.h.
  std::vector<Json> Send(Json event, const std::vector<std::string>& blobs = {}) {
    if (!event.contains("now_ms")) event["now_ms"] = now;
    auto r = session.Handle(event, blobs);
    EXPECT_FALSE(r.error.has_value()) << "unexpected protocol error: " << (r.error ? r.error->dump() : "") << "\nfor "
                                      << event.dump();
    CheckNames(r.actions);
    last = r.actions;
    return r.actions;
  }

  // Sends an event that must be refused; returns the error message.
  std::string SendIllegal(Json event) {
    if (!event.contains("now_ms")) event["now_ms"] = now;
    std::string before = session.Serialize().dump();
    std::string state_before = session.state_name();
    auto r = session.Handle(event);
    EXPECT_TRUE(r.error.has_value()) << "expected a protocol error for " << event.dump();
    EXPECT_TRUE(r.actions.empty()) << "a refused event must produce no actions";
    EXPECT_EQ(session.Serialize().dump(), before) << "a refused event must change nothing";
    EXPECT_EQ(session.state_name(), state_before);
    return r.error ? r.error->value("message", "") : "";
  }

  std::vector<Json> User(const std::string& text) { return Send({{"type", "user_message"}, {"text", text}}); }

  // Streams a whole reply for the current request (in chunks of `chunk` bytes) and ends it.
  std::vector<Json> Reply(const std::string& body, size_t chunk = 17, int status = 200, Json headers = Json::object()) {
    int64_t id = CurrentRequestId();
    std::vector<Json> all;
    if (status != 200) Append(all, Send({{"type", "llm_headers"}, {"request_id", id}, {"status", status}, {"headers", headers}}));
    for (size_t off = 0; off < body.size(); off += chunk) {
      now += 1;
      auto r = session.FeedLlmBytes(id, std::string_view(body).substr(off, chunk), now);
      EXPECT_FALSE(r.error.has_value()) << (r.error ? r.error->dump() : "");
      CheckNames(r.actions);
      Append(all, r.actions);
    }
    Append(all, Send({{"type", "llm_done"}, {"request_id", id}, {"status", status}, {"headers", headers}}));
    last = all;
    return all;
  }

  std::vector<Json> ExecOk(const std::string& stdout_text, Json extra = Json::object()) {
    Json e{{"type", "exec_result"}, {"exec_id", CurrentExecId()}, {"ok", true}, {"stdout", stdout_text}};
    for (auto& [k, v] : extra.items()) e[k] = v;
    return Send(e);
  }

  int64_t CurrentRequestId() const {
    for (auto it = history.rbegin(); it != history.rend(); ++it)
      if ((*it)["type"] == "http_request") return (*it)["request_id"];
    return 0;
  }
  std::string CurrentExecId() const {
    for (auto it = history.rbegin(); it != history.rend(); ++it)
      if ((*it)["type"] == "run_code") return (*it)["exec_id"];
    return "";
  }
  Json LastRequestBody() const {
    for (auto it = history.rbegin(); it != history.rend(); ++it)
      if ((*it)["type"] == "http_request") return Json::parse((*it)["body"].get<std::string>());
    return nullptr;
  }
  int CountActions(const std::string& type) const {
    int n = 0;
    for (const auto& a : history) n += a["type"] == type;
    return n;
  }

  Session session;
  int64_t now = 1000;
  std::vector<Json> last;
  std::vector<Json> history;  // every action so far

 private:
  void Append(std::vector<Json>& all, const std::vector<Json>& more) { all.insert(all.end(), more.begin(), more.end()); }
  void CheckNames(const std::vector<Json>& actions) {
    for (const auto& a : actions) {
      history.push_back(a);
      std::string t = a.value("type", "");
      bool known = false;
      for (const char* k : kActionTypes) known |= t == k;
      EXPECT_TRUE(known) << "action type not in protocol.h: " << t;
      if (t == "emit") {
        std::string et = a["event"].value("type", "");
        bool ek = false;
        for (const char* k : kEmitTypes) ek |= et == k;
        EXPECT_TRUE(ek) << "emit type not in protocol.h: " << et;
      }
    }
  }
};

// Actions of a type, and emitted events of a type.
inline std::vector<Json> OfType(const std::vector<Json>& actions, const std::string& type) {
  std::vector<Json> out;
  for (const auto& a : actions)
    if (a["type"] == type) out.push_back(a);
  return out;
}
inline std::vector<Json> Emitted(const std::vector<Json>& actions, const std::string& type) {
  std::vector<Json> out;
  for (const auto& a : actions)
    if (a["type"] == "emit" && a["event"]["type"] == type) out.push_back(a["event"]);
  return out;
}

}  // namespace ci::testing
