// The agent loop over the OpenAI Responses API (provider.format "responses"):
// the same tool loop as Chat Completions, with Responses requests and streams.
#include "core/session.h"

#include <gtest/gtest.h>

#include "session_harness.h"

namespace ci::testing {
namespace {

std::string AllText(const std::vector<Json>& actions) {
  std::string s;
  for (const auto& e : Emitted(actions, "text_delta")) s += e["text"].get<std::string>();
  return s;
}

TEST(ResponsesSession, ToolLoopEndToEnd) {
  Driver d(TestConfig("responses"));
  auto a = d.User("What is 6 times 7?");
  auto req = OfType(a, "http_request");
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0]["url"], "https://api.example.test/v1/responses");
  EXPECT_EQ(req[0]["method"], "POST");
  EXPECT_EQ(req[0]["auth"]["header"], "authorization");
  EXPECT_EQ(req[0]["auth"]["prefix"], "Bearer ");
  Json body = d.LastRequestBody();
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["store"], false);
  EXPECT_EQ(body["model"], "gpt-test");
  EXPECT_TRUE(body["instructions"].is_string()) << "the system prompt is the instructions";
  ASSERT_EQ(body["input"].size(), 1u);
  EXPECT_EQ(body["input"][0]["content"][0], (Json{{"type", "input_text"}, {"text", "What is 6 times 7?"}}));
  EXPECT_EQ(body["tools"][0]["name"], "python");
  EXPECT_EQ(body["tools"][0]["type"], "function");

  // 1. The model calls the tool.
  auto r = d.Reply(ResponsesReply({"Let me ", "compute."}, {{"call_abc", "print(6*7)"}}, ResponsesUsage(1200, 1024, 40)), 23);
  EXPECT_EQ(AllText(r), "Let me compute.");
  auto started = Emitted(r, "tool_call_started");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0]["id"], "call_abc");
  EXPECT_EQ(started[0]["name"], "python");
  auto message = Emitted(r, "assistant_message");
  ASSERT_EQ(message.size(), 1u);
  EXPECT_EQ(message[0]["finish_reason"], "completed");
  auto run = OfType(r, "run_code");
  ASSERT_EQ(run.size(), 1u);
  EXPECT_EQ(run[0]["code"], "print(6*7)");
  EXPECT_EQ(Emitted(r, "cell_started")[0]["tool_call_id"], "call_abc");

  // 2. Its result goes back as a function_call_output after the call.
  auto e = d.ExecOk("42\n");
  ASSERT_EQ(OfType(e, "http_request").size(), 1u);
  Json input = d.LastRequestBody()["input"];
  ASSERT_EQ(input.size(), 4u) << input.dump(2);
  EXPECT_EQ(input[1]["role"], "assistant");
  EXPECT_EQ(input[1]["content"][0], (Json{{"type", "output_text"}, {"text", "Let me compute."}}));
  EXPECT_EQ(input[2], (Json{{"type", "function_call"}, {"call_id", "call_abc"}, {"name", "python"},
                            {"arguments", Json{{"code", "print(6*7)"}}.dump()}}));
  EXPECT_EQ(input[3]["type"], "function_call_output");
  EXPECT_EQ(input[3]["call_id"], "call_abc");
  EXPECT_NE(input[3]["output"].get<std::string>().find("42"), std::string::npos) << input[3].dump();

  // 3. The answer ends the turn; usage counts cached input apart.
  auto f = d.Reply(ResponsesReply({"6 × 7 = 42."}, {}, ResponsesUsage(1300, 1200, 12)));
  EXPECT_EQ(AllText(f), "6 × 7 = 42.");
  auto done = Emitted(f, "turn_done");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0]["reason"], "completed");
  EXPECT_EQ(done[0]["usage"]["input_tokens"], 2500) << "all input, cached or not, in the emit";
  EXPECT_EQ(done[0]["usage"]["output_tokens"], 52);
  Json usage = d.session.ConversationJson()["usage_by_turn"]["1"];
  EXPECT_EQ(usage["input_tokens"], 2500 - 2224);
  EXPECT_EQ(usage["cache_read_input_tokens"], 2224);
  EXPECT_EQ(usage["total_tokens"], 2552);
  EXPECT_EQ(d.session.state_name(), "idle");
  EXPECT_EQ(d.CountActions("http_request"), 2);
}

// A reply that reasons (its reasoning item encrypted, as with include:
// reasoning.encrypted_content), then calls python; the final response's
// output names the same reasoning item again.
std::string ReasoningThenCall(const std::string& secret, const std::string& call_id, const std::string& code) {
  Json reasoning{{"id", "rs_" + call_id}, {"type", "reasoning"}, {"status", "completed"},
                 {"summary", Json::array({Json{{"type", "summary_text"}, {"text", "Multiply."}}})},
                 {"encrypted_content", secret}};
  Json call{{"id", "fc_" + call_id}, {"type", "function_call"}, {"status", "completed"}, {"call_id", call_id},
            {"name", "python"}, {"arguments", Json{{"code", code}}.dump()}};
  Json empty_reasoning = reasoning;
  empty_reasoning["summary"] = Json::array();
  empty_reasoning.erase("encrypted_content");
  return ResponsesEvent({{"type", "response.created"}, {"response", {{"id", "resp_r"}, {"status", "in_progress"}, {"model", "o4-mini"}}}}) +
         ResponsesEvent({{"type", "response.output_item.added"}, {"output_index", 0}, {"item", empty_reasoning}}) +
         ResponsesEvent({{"type", "response.output_item.done"}, {"output_index", 0}, {"item", reasoning}}) +
         ResponsesEvent({{"type", "response.output_item.added"}, {"output_index", 1}, {"item", call}}) +
         ResponsesEvent({{"type", "response.output_item.done"}, {"output_index", 1}, {"item", call}}) +
         ResponsesEvent({{"type", "response.completed"},
                         {"response", {{"id", "resp_r"}, {"status", "completed"}, {"model", "o4-mini"},
                                       {"output", Json::array({reasoning, call})}, {"usage", ResponsesUsage(100, 0, 30)}}}});
}

TEST(ResponsesSession, AReasoningModelGetsItsEncryptedReasoningBackWithinTheTurn) {
  Driver d(TestConfig("responses"));
  d.Send({{"type", "configure"}, {"provider", {{"format", "responses"}, {"model", "o4-mini"}, {"reasoning", true}}}});
  d.User("What is 6 times 7?");
  EXPECT_EQ(d.LastRequestBody()["include"], Json::array({"reasoning.encrypted_content"}));

  d.Reply(ReasoningThenCall("gAAAA-secret-1", "call_1", "print(6*7)"));
  d.ExecOk("42\n");
  Json input = d.LastRequestBody()["input"];
  ASSERT_EQ(input.size(), 4u) << input.dump(2);
  // The reasoning item once (not once per event that named it), before the call, as it came.
  EXPECT_EQ(input[1], (Json{{"type", "reasoning"}, {"id", "rs_call_1"},
                            {"summary", Json::array({Json{{"type", "summary_text"}, {"text", "Multiply."}}})},
                            {"encrypted_content", "gAAAA-secret-1"}}));
  EXPECT_EQ(input[2]["type"], "function_call");
  EXPECT_EQ(input[3]["type"], "function_call_output");

  // The next turn starts without the earlier turn's reasoning.
  d.Reply(ResponsesReply({"42."}));
  d.User("And 7 times 8?");
  Json next = d.LastRequestBody();
  EXPECT_EQ(next["input"].dump().find("gAAAA-secret-1"), std::string::npos) << next["input"].dump(2);
  EXPECT_EQ(next["include"], Json::array({"reasoning.encrypted_content"})) << "still asked for, for this turn";
  // Not saved with the conversation either: it is only for the turn's own requests.
  EXPECT_EQ(d.session.ConversationJson().dump().find("gAAAA-secret-1"), std::string::npos);
}

TEST(ResponsesSession, WithoutReasoningNothingIsAskedForOrSentBack) {
  Driver d(TestConfig("responses"));
  d.User("What is 6 times 7?");
  EXPECT_FALSE(d.LastRequestBody().contains("include"));
  d.Reply(ReasoningThenCall("gAAAA-secret-2", "call_2", "print(6*7)"));
  d.ExecOk("42\n");
  EXPECT_EQ(d.LastRequestBody().dump().find("gAAAA-secret-2"), std::string::npos)
      << "a model not set as reasoning gets no reasoning items back";
}

TEST(ResponsesSession, ConfigAcceptsTheFormat) {
  Driver d(TestConfig("responses"));
  d.Send({{"type", "configure"},
          {"provider", {{"format", "responses"}, {"base_url", "http://localhost:1234/v1"}, {"model", "openai/gpt-oss-20b"},
                        {"auth", "none"}, {"reasoning_summary", "auto"}}}});
  d.User("hi");
  auto req = OfType(d.last, "http_request");
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0]["url"], "http://localhost:1234/v1/responses");
  EXPECT_TRUE(req[0]["auth"].is_null());
  EXPECT_EQ(d.LastRequestBody()["reasoning"], (Json{{"summary", "auto"}}));
}

TEST(ResponsesSession, ABadReasoningSummaryIsRefused) {
  Driver d(TestConfig("responses"));
  std::string refused = d.SendIllegal({{"type", "configure"}, {"provider", {{"format", "responses"}, {"reasoning_summary", 1}}}});
  EXPECT_NE(refused.find("reasoning_summary"), std::string::npos) << refused;
}

TEST(ResponsesSession, IncompleteAtTheTokenLimitSaysSo) {
  Driver d(TestConfig("responses"));
  d.User("List every column");
  auto r = d.Reply(ResponsesReply({"Here is every column: date,"}, {}, ResponsesUsage(50, 0, 16), "incomplete",
                                  "max_output_tokens"));
  EXPECT_EQ(Emitted(r, "assistant_message")[0]["finish_reason"], "incomplete:max_output_tokens");
  bool warned = false;
  for (const auto& n : Emitted(r, "notice")) warned |= n["text"].get<std::string>().find("output token limit") != std::string::npos;
  EXPECT_TRUE(warned) << "the cut-off is named";
  EXPECT_EQ(Emitted(r, "turn_done")[0]["reason"], "completed");
  EXPECT_TRUE(Emitted(r, "error").empty());
}

TEST(ResponsesSession, FailedResponseBeforeContentIsRetriedThenAnError) {
  SessionConfig c = TestConfig("responses");
  c.limits.max_retries = 1;
  c.limits.retry_base_ms = 100;
  Driver d(c);
  d.User("hi");
  std::string failed =
      ResponsesEvent({{"type", "response.created"}, {"response", {{"id", "resp_f"}, {"status", "in_progress"}, {"model", "gpt-test"}}}}) +
      ResponsesEvent({{"type", "response.failed"},
                      {"response", {{"id", "resp_f"}, {"status", "failed"}, {"error", {{"code", "server_error"}, {"message", "The server had an error."}}}}}});
  auto r = d.Reply(failed);
  auto retry = Emitted(r, "retrying");
  ASSERT_EQ(retry.size(), 1u) << "a server_error with nothing shown yet is retried";
  d.Send({{"type", "timer_fired"}, {"timer_id", OfType(r, "set_timer").back()["timer_id"]}});
  auto again = d.Reply(failed);
  auto err = Emitted(again, "error");
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0]["error"]["kind"], "stream");
  EXPECT_EQ(err[0]["error"]["type"], "server_error");
  EXPECT_NE(err[0]["error"]["message"].get<std::string>().find("The server had an error."), std::string::npos);
  EXPECT_EQ(Emitted(again, "turn_done")[0]["reason"], "error");
}

TEST(ResponsesSession, InBandErrorKeepsTheTextAndHttpErrorsReadOpenAiBodies) {
  Driver d(TestConfig("responses"));
  d.User("x");
  std::string body =
      ResponsesEvent({{"type", "response.created"}, {"response", {{"id", "resp_e"}, {"status", "in_progress"}, {"model", "gpt-test"}}}}) +
      ResponsesEvent({{"type", "response.output_text.delta"}, {"item_id", "msg_1"}, {"output_index", 0}, {"content_index", 0}, {"delta", "Partial"}}) +
      ResponsesEvent({{"type", "error"}, {"code", "invalid_prompt"}, {"message", "Invalid prompt."}, {"param", nullptr}});
  auto r = d.Reply(body);
  auto err = Emitted(r, "error");
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0]["error"]["type"], "invalid_prompt");
  EXPECT_EQ(d.session.conversation().entries[1].text, "Partial");

  d.User("y");
  auto h = d.Reply(R"({"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}})",
                   1000, 404);
  auto herr = Emitted(h, "error");
  ASSERT_EQ(herr.size(), 1u);
  EXPECT_EQ(herr[0]["error"]["kind"], "not_found");
  EXPECT_NE(herr[0]["error"]["message"].get<std::string>().find("does not exist"), std::string::npos);
}

TEST(ResponsesSession, ModelListUsesTheOpenAiPath) {
  Driver d(TestConfig("responses"));
  auto a = d.Send({{"type", "list_models"}});
  auto req = OfType(a, "http_request");
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0]["url"], "https://api.example.test/v1/models");
  EXPECT_EQ(req[0]["purpose"], "models");
}

}  // namespace
}  // namespace ci::testing
