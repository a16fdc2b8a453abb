// What the core owns and answers for (issue 11): the one error shape of
// refused events, per-turn token usage, the title, the queue of user code,
// and the model list. Driven like session_test.cpp.
#include <gtest/gtest.h>

#include "core/api_error.h"
#include "core/request_builder.h"
#include "core/session.h"
#include "session_harness.h"

namespace ci::testing {
namespace {

// The refusal of an event that must be refused: {code, message, detail?}.
Json Refusal(Driver& d, Json event) {
  if (event.is_object() && !event.contains("now_ms")) event["now_ms"] = d.now;
  std::string before = d.session.Serialize().dump();
  auto r = d.session.Handle(event);
  EXPECT_TRUE(r.error.has_value()) << "expected a protocol error for " << event.dump();
  EXPECT_TRUE(r.actions.empty());
  EXPECT_EQ(d.session.Serialize().dump(), before) << "a refused event changes nothing";
  return r.error ? *r.error : Json(nullptr);
}

// ------------------------------------------------------------ errors --

TEST(ErrorShape, RefusedEventsSayWhyWithAStableCode) {
  Driver d;
  Json unknown = Refusal(d, {{"type", "warp_drive"}});
  EXPECT_EQ(unknown["code"], "unknown_event");
  EXPECT_NE(unknown["message"].get<std::string>().find("warp_drive"), std::string::npos);
  EXPECT_EQ(unknown["detail"]["event"], "warp_drive");
  EXPECT_FALSE(unknown.contains("type")) << "one shape: code, message, detail";

  EXPECT_EQ(Refusal(d, {{"type", "user_message"}})["code"], "invalid_event");
  EXPECT_EQ(Refusal(d, Json::array({1}))["code"], "invalid_event");
  EXPECT_EQ(Refusal(d, {{"type", "timer_fired"}, {"timer_id", 42}})["code"], "unknown_id");
  EXPECT_EQ(Refusal(d, {{"type", "exec_result"}, {"exec_id", "x9"}, {"ok", true}})["code"], "unknown_id");
  EXPECT_EQ(Refusal(d, {{"type", "llm_done"}, {"request_id", 3}})["code"], "unknown_id");

  d.User("hi");
  Json busy = Refusal(d, {{"type", "user_message"}, {"text", "again"}});
  EXPECT_EQ(busy["code"], "busy");
  EXPECT_EQ(busy["detail"]["state"], "waiting_model");
  EXPECT_EQ(busy["detail"]["event"], "user_message");
  EXPECT_EQ(Refusal(d, {{"type", "configure"}, {"limits", {{"max_steps", 3}}}})["code"], "busy");
}

TEST(ErrorShape, TheFastPathRefusesInTheSameShape) {
  Driver d;
  auto r = d.session.FeedLlmBytes(77, "data: x\n\n", 1);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ((*r.error)["code"], "unknown_id");
  EXPECT_EQ((*r.error)["detail"]["event"], "llm_chunk");
  EXPECT_EQ(r.ToJson()["actions"], Json::array());
}

TEST(ErrorShape, ApiErrorLeavesOutAnEmptyDetail) {
  EXPECT_EQ(ApiError("x").ToJson(), (Json{{"code", "invalid_event"}, {"message", "x"}}));
  EXPECT_EQ(ApiError("busy", "m", Json{{"state", "idle"}}).ToJson()["detail"]["state"], "idle");
}

// ------------------------------------------------------------- usage --

// An Anthropic text reply whose usage counts cache reads and writes apart.
std::string AnthropicCachedText(const std::string& text, int input, int read, int created, int output) {
  std::string s = AnthropicEvent(
      "message_start",
      {{"type", "message_start"},
       {"message",
        {{"id", "msg_c"}, {"type", "message"}, {"role", "assistant"}, {"model", "claude-test"},
         {"content", Json::array()},
         {"usage",
          {{"input_tokens", input}, {"cache_read_input_tokens", read}, {"cache_creation_input_tokens", created},
           {"output_tokens", 1}}}}}});
  s += AnthropicEvent("content_block_start",
                      {{"type", "content_block_start"}, {"index", 0}, {"content_block", {{"type", "text"}, {"text", ""}}}});
  s += AnthropicEvent("content_block_delta", {{"type", "content_block_delta"},
                                              {"index", 0},
                                              {"delta", {{"type", "text_delta"}, {"text", text}}}});
  s += AnthropicEvent("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}});
  s += AnthropicEvent("message_delta", {{"type", "message_delta"},
                                        {"delta", {{"stop_reason", "end_turn"}}},
                                        {"usage", {{"output_tokens", output}}}});
  s += AnthropicEvent("message_stop", {{"type", "message_stop"}});
  return s;
}

TEST(UsageByTurn, CountsCacheTokensApartAndTotalsWhatTheLimitChecks) {
  Driver d(TestConfig("anthropic"));
  d.User("one");
  d.Reply(AnthropicToolUse("toolu_1", "1"));  // 20 in, 30 out
  d.ExecOk("1\n");
  d.Reply(AnthropicCachedText("ok", 7, 1000, 200, 9));
  Json u = d.session.ConversationJson()["usage_by_turn"]["1"];
  EXPECT_EQ(u["input_tokens"], 27);
  EXPECT_EQ(u["cache_read_input_tokens"], 1000);
  EXPECT_EQ(u["cache_creation_input_tokens"], 200);
  EXPECT_EQ(u["output_tokens"], 39);
  EXPECT_EQ(u["total_tokens"], 27 + 1000 + 200 + 39);
  // The emits keep their shape: input counts cached input too.
  auto done = Emitted(d.last, "turn_done")[0];
  EXPECT_EQ(done["usage"]["input_tokens"], 1227);
  EXPECT_EQ(done["usage"]["output_tokens"], 39);

  d.User("two");
  d.Reply(AnthropicText("fine"));  // 50 in, 9 out
  Json all = d.session.ConversationJson()["usage_by_turn"];
  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(all["2"]["total_tokens"], 59);
  EXPECT_EQ(all["1"]["total_tokens"], 1266) << "earlier turns are kept";
}

TEST(UsageByTurn, OpenAiCachedTokensAreInsidePromptTokens) {
  TokenUsage u = TokenUsage::FromProvider(
      Json{{"prompt_tokens", 100}, {"completion_tokens", 20}, {"prompt_tokens_details", {{"cached_tokens", 64}}}});
  EXPECT_EQ(u.input, 36);
  EXPECT_EQ(u.cache_read, 64);
  EXPECT_EQ(u.cache_creation, 0);
  EXPECT_EQ(u.total(), 120) << "prompt + completion, as the limit always counted";
  EXPECT_EQ(TokenUsage::FromProvider(Json{{"prompt_tokens", 5}, {"prompt_cache_hit_tokens", 3}}).cache_read, 3);
  EXPECT_EQ(TokenUsage::FromProvider(Json{{"prompt_tokens", 5}, {"prompt_tokens_details", nullptr}}).total(), 5);
  EXPECT_EQ(TokenUsage::FromProvider(nullptr).total(), 0);
  EXPECT_EQ(TokenUsage::FromProvider(Json{{"input_tokens", "many"}}).total(), 0);
}

TEST(UsageByTurn, TheTokenLimitStopsOnCachedInputToo) {
  SessionConfig c = TestConfig("anthropic");
  c.limits.max_turn_tokens = 1000;
  Driver d(c);
  d.User("go");
  std::string tool = AnthropicToolUse("toolu_1", "1");
  // The same reply, but most of its input came from the cache.
  size_t at = tool.find("\"input_tokens\":20");
  ASSERT_NE(at, std::string::npos);
  tool.replace(at, std::string("\"input_tokens\":20").size(), "\"input_tokens\":20,\"cache_read_input_tokens\":2000");
  d.Reply(tool);
  auto e = d.ExecOk("");
  EXPECT_TRUE(OfType(e, "http_request").empty());
  ASSERT_EQ(Emitted(e, "turn_done").size(), 1u);
  EXPECT_EQ(Emitted(e, "turn_done")[0]["reason"], "token_limit");
  EXPECT_EQ(d.session.ConversationJson()["usage_by_turn"]["1"]["total_tokens"], 2050);
}

TEST(UsageByTurn, SurvivesSerializeAndRestoreAndOldStatesHaveNone) {
  Driver d(TestConfig("anthropic"));
  d.User("one");
  d.Reply(AnthropicCachedText("ok", 7, 100, 20, 9));
  Json state = d.session.Serialize();
  auto restored = Session::Restore(state, {}, nullptr);
  EXPECT_EQ(restored->ConversationJson()["usage_by_turn"], d.session.ConversationJson()["usage_by_turn"]);
  EXPECT_EQ(restored->ConversationJson()["usage_by_turn"]["1"]["total_tokens"], 136);
  state.erase("usage_by_turn");
  EXPECT_EQ(Session::Restore(state, {}, nullptr)->ConversationJson()["usage_by_turn"], Json::object());
  state["usage_by_turn"] = Json{{"x", 1}, {"2", "junk"}};
  EXPECT_EQ(Session::Restore(state, {}, nullptr)->ConversationJson()["usage_by_turn"]["2"]["total_tokens"], 0);
}

// ------------------------------------------------------------- title --

TEST(Title, TheAutomaticTitleComesFromTheFirstMessage) {
  Driver d;
  auto a = d.User("Plot the sales\nby month, please");
  ASSERT_EQ(Emitted(a, "title").size(), 1u);
  EXPECT_EQ(Emitted(a, "title")[0]["title"], "Plot the sales");
  EXPECT_EQ(Emitted(a, "title")[0]["custom"], false);
  Json c = d.session.ConversationJson();
  EXPECT_EQ(c["title"], "Plot the sales");
  EXPECT_EQ(c["custom_title"], false);
}

TEST(Title, ALongFirstLineIsCutAtACharacterBoundary) {
  Driver d;
  std::string line;
  for (int i = 0; i < 40; ++i) line += "é";  // 80 bytes
  auto a = d.User("x" + line);                 // 81: the cut falls inside the last "é"
  std::string title = Emitted(a, "title")[0]["title"];
  EXPECT_EQ(title, "x" + line.substr(0, 78));
}

TEST(Title, ACustomTitleIsKeptAndNeverOverwritten) {
  Driver d;
  auto a = d.Send({{"type", "set_title"}, {"title", "  Q3 report\n "}});
  ASSERT_EQ(Emitted(a, "title").size(), 1u);
  EXPECT_EQ(Emitted(a, "title")[0]["title"], "Q3 report");
  EXPECT_EQ(Emitted(a, "title")[0]["custom"], true);
  EXPECT_EQ(OfType(a, "persist").size(), 1u) << "a title is durable";
  auto b = d.User("What is in the file?");
  EXPECT_TRUE(Emitted(b, "title").empty()) << "the automatic title never replaces a custom one";
  // Renaming while the turn runs is fine and does not disturb it.
  auto c = d.Send({{"type", "set_title"}, {"title", "Renamed"}});
  EXPECT_EQ(Emitted(c, "title")[0]["title"], "Renamed");
  EXPECT_EQ(d.session.state_name(), "waiting_model");
  d.Reply(OpenAiText({"ok"}));
  EXPECT_EQ(d.session.ConversationJson()["title"], "Renamed");
  EXPECT_EQ(d.session.ConversationJson()["custom_title"], true);
}

TEST(Title, AnEmptyTitleGoesBackToTheAutomaticOne) {
  Driver d;
  auto none = d.Send({{"type", "set_title"}, {"title", ""}});
  EXPECT_EQ(Emitted(none, "title")[0]["title"], "") << "no message yet: no automatic title";
  d.Send({{"type", "set_title"}, {"title", "Mine"}});
  d.User("First question");
  auto back = d.Send({{"type", "set_title"}, {"title", "   "}});
  EXPECT_EQ(Emitted(back, "title")[0]["title"], "First question");
  EXPECT_EQ(Emitted(back, "title")[0]["custom"], false);
  EXPECT_EQ(Refusal(d, {{"type", "set_title"}, {"title", 3}})["code"], "invalid_event");
  EXPECT_EQ(Refusal(d, {{"type", "set_title"}})["code"], "invalid_event");
}

TEST(Title, SurvivesARestoreAndOldStatesWithoutTheFlagLoad) {
  Driver d;
  d.Send({{"type", "set_title"}, {"title", "Mine"}});
  Json state = d.session.Serialize();
  auto restored = Session::Restore(state, {}, nullptr);
  EXPECT_EQ(restored->ConversationJson()["title"], "Mine");
  EXPECT_EQ(restored->ConversationJson()["custom_title"], true);
  auto r = restored->Handle(Json{{"type", "user_message"}, {"text", "hello"}, {"now_ms", 1}});
  for (const auto& a : r.actions) EXPECT_FALSE(a["type"] == "emit" && a["event"]["type"] == "title");

  state["conversation"].erase("custom_title");  // saved before the flag existed
  state["conversation"]["title"] = "Old automatic";
  auto old = Session::Restore(state, {}, nullptr);
  EXPECT_EQ(old->ConversationJson()["title"], "Old automatic");
  EXPECT_EQ(old->ConversationJson()["custom_title"], false);
}

// ------------------------------------------------------------- queue --

std::vector<std::string> QueuedCodes(const Session& s) {
  Json conversation = s.ConversationJson();  // kept alive: the loop reads inside it
  std::vector<std::string> out;
  for (const auto& c : conversation["queued"]) out.push_back(c);
  return out;
}

TEST(Queue, UserCodeDuringATurnWaitsAndRunsAsItsOwnTurnAfterIt) {
  Driver d;
  d.User("hi");
  auto q1 = d.Send({{"type", "user_code"}, {"code", "a = 1"}});
  ASSERT_EQ(Emitted(q1, "queue").size(), 1u);
  EXPECT_EQ(Emitted(q1, "queue")[0]["count"], 1);
  EXPECT_TRUE(OfType(q1, "run_code").empty()) << "the model's turn is not disturbed";
  EXPECT_EQ(OfType(q1, "persist").size(), 1u) << "queued code is durable";
  auto q2 = d.Send({{"type", "user_code"}, {"code", "b = 2"}});
  EXPECT_EQ(Emitted(q2, "queue")[0]["count"], 2);
  EXPECT_EQ(QueuedCodes(d.session), (std::vector<std::string>{"a = 1", "b = 2"}));
  EXPECT_EQ(d.session.state_name(), "waiting_model");
  // user_message during a turn stays refused.
  EXPECT_EQ(Refusal(d, {{"type", "user_message"}, {"text", "more"}})["code"], "busy");

  auto end = d.Reply(OpenAiText({"Hello"}));
  auto done = Emitted(end, "turn_done");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0]["turn"], 1);
  EXPECT_EQ(Emitted(end, "queue")[0]["count"], 1);
  auto started = Emitted(end, "turn_started");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0]["turn"], 2) << "the queued code runs as its own turn";
  ASSERT_EQ(OfType(end, "run_code").size(), 1u);
  EXPECT_EQ(OfType(end, "run_code")[0]["code"], "a = 1");
  EXPECT_EQ(Emitted(end, "cell_started")[0]["source"], "user");

  auto next = d.ExecOk("");
  EXPECT_EQ(Emitted(next, "turn_done")[0]["turn"], 2);
  EXPECT_EQ(Emitted(next, "turn_started")[0]["turn"], 3);
  EXPECT_EQ(OfType(next, "run_code")[0]["code"], "b = 2");
  EXPECT_EQ(Emitted(next, "queue")[0]["count"], 0);
  auto last = d.ExecOk("");
  EXPECT_TRUE(OfType(last, "run_code").empty());
  EXPECT_EQ(d.session.state_name(), "idle");
  EXPECT_TRUE(QueuedCodes(d.session).empty());
}

TEST(Queue, QueuedCodeRunsAfterATurnThatFailed) {
  Driver d;
  d.User("hi");
  d.Send({{"type", "user_code"}, {"code", "x"}});
  auto failed = d.Send({{"type", "llm_failed"}, {"request_id", d.CurrentRequestId()}, {"message", "reset"}});
  EXPECT_EQ(Emitted(failed, "turn_done")[0]["reason"], "error");
  EXPECT_EQ(OfType(failed, "run_code").size(), 1u);
}

TEST(Queue, CancelDropsTheQueueAndRunsNothing) {
  Driver d;
  d.User("hi");
  d.Send({{"type", "user_code"}, {"code", "x"}});
  auto c = d.Send({{"type", "cancel"}});
  EXPECT_EQ(Emitted(c, "queue")[0]["count"], 0);
  EXPECT_EQ(Emitted(c, "turn_done")[0]["reason"], "cancelled");
  EXPECT_TRUE(OfType(c, "run_code").empty());
  EXPECT_TRUE(QueuedCodes(d.session).empty());
  EXPECT_EQ(d.session.state_name(), "idle");
}

TEST(Queue, IsBoundedWithAClearRefusal) {
  Driver d;
  d.User("hi");
  for (int i = 0; i < 100; ++i) d.Send({{"type", "user_code"}, {"code", std::to_string(i)}});
  Json full = Refusal(d, {{"type", "user_code"}, {"code", "one more"}});
  EXPECT_EQ(full["code"], "queue_full");
  EXPECT_EQ(full["detail"]["limit"], 100);
  auto cleared = d.Send({{"type", "clear_queue"}});
  EXPECT_EQ(Emitted(cleared, "queue")[0]["count"], 0);
  EXPECT_EQ(d.session.state_name(), "waiting_model") << "clearing the queue leaves the turn alone";
  d.Send({{"type", "user_code"}, {"code", "again"}});
  EXPECT_EQ(QueuedCodes(d.session).size(), 1u);
}

TEST(Queue, IsKeptAcrossARestoreButRunsOnlyWhenAsked) {
  Driver d;
  d.User("hi");
  d.Send({{"type", "user_code"}, {"code", "a = 1"}});
  d.Send({{"type", "user_code"}, {"code", "b = 2"}});
  Json state = d.session.Serialize();
  EXPECT_EQ(state["queued"], Json::array({"a = 1", "b = 2"}));

  Driver r;
  r.session = std::move(*Session::Restore(state, {}, nullptr));
  EXPECT_EQ(r.session.state_name(), "idle");
  EXPECT_EQ(QueuedCodes(r.session), (std::vector<std::string>{"a = 1", "b = 2"}));
  EXPECT_EQ(r.session.ConversationJson()["queue_held"], true);
  // Other events do not start it; code the user runs now runs now.
  auto up = r.Send({{"type", "file_upload"}, {"path", "a.txt"}, {"data", "x"}});
  EXPECT_TRUE(OfType(up, "run_code").empty());
  auto own = r.Send({{"type", "user_code"}, {"code", "print(3)"}});
  EXPECT_EQ(OfType(own, "run_code")[0]["code"], "print(3)");
  auto after = r.ExecOk("3\n");
  EXPECT_TRUE(OfType(after, "run_code").empty()) << "the held queue still waits";

  auto go = r.Send({{"type", "run_queued"}});
  ASSERT_EQ(OfType(go, "run_code").size(), 1u);
  EXPECT_EQ(OfType(go, "run_code")[0]["code"], "a = 1");
  EXPECT_EQ(Emitted(go, "queue")[0]["count"], 1);
  EXPECT_EQ(r.session.ConversationJson()["queue_held"], false);
  auto then = r.ExecOk("");
  EXPECT_EQ(OfType(then, "run_code")[0]["code"], "b = 2") << "once released, the queue drains by itself";
}

TEST(Queue, ARestoredQueueCanBeDropped) {
  Driver d;
  d.User("hi");
  d.Send({{"type", "user_code"}, {"code", "a"}});
  auto restored = Session::Restore(d.session.Serialize(), {}, nullptr);
  auto r = restored->Handle(Json{{"type", "clear_queue"}, {"now_ms", 1}});
  ASSERT_FALSE(r.error);
  EXPECT_TRUE(restored->ConversationJson()["queued"].empty());
  auto go = restored->Handle(Json{{"type", "run_queued"}, {"now_ms", 2}});
  ASSERT_FALSE(go.error);
  EXPECT_TRUE(go.actions.empty()) << "nothing queued: run_queued is harmless";

  Json state = d.session.Serialize();
  state.erase("queued");  // saved before the queue existed
  EXPECT_TRUE(Session::Restore(state, {}, nullptr)->ConversationJson()["queued"].empty());
  state["queued"] = Json::array({1});
  EXPECT_THROW(Session::Restore(state, {}, nullptr), std::invalid_argument);
}

// -------------------------------------------------------- model list --

// Feeds a /models answer for request `id` and returns every action.
std::vector<Json> AnswerModels(Driver& d, int64_t id, int status, const std::string& body) {
  std::vector<Json> all;
  auto add = [&all](const std::vector<Json>& more) { all.insert(all.end(), more.begin(), more.end()); };
  add(d.Send({{"type", "llm_headers"}, {"request_id", id}, {"status", status}}));
  for (size_t off = 0; off < body.size(); off += 5) {
    auto r = d.session.FeedLlmBytes(id, std::string_view(body).substr(off, 5), d.now);
    EXPECT_FALSE(r.error.has_value());
    add(r.actions);
  }
  add(d.Send({{"type", "llm_done"}, {"request_id", id}, {"status", status}}));
  return all;
}

TEST(Models, OpenAiListIsAGetWithTheProvidersAuthAndEndsInAModelsEmit) {
  Driver d;
  auto a = d.Send({{"type", "list_models"}});
  auto req = OfType(a, "http_request");
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0]["method"], "GET");
  EXPECT_EQ(req[0]["url"], "https://api.example.test/v1/models");
  EXPECT_EQ(req[0]["purpose"], "models");
  EXPECT_TRUE(req[0]["body"].is_null());
  EXPECT_EQ(req[0]["auth"]["header"], "authorization");
  EXPECT_EQ(req[0]["auth"]["prefix"], "Bearer ");
  EXPECT_EQ(OfType(a, "set_timer").size(), 1u) << "its own timeout";
  EXPECT_TRUE(OfType(a, "persist").empty()) << "nothing durable";
  auto r = AnswerModels(d, req[0]["request_id"], 200,
                        R"({"object":"list","data":[{"id":"gpt-b","object":"model"},{"id":"gpt-a"},{"id":"gpt-b"}]})");
  auto m = Emitted(r, "models");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]["models"], Json::array({"gpt-a", "gpt-b"}));
  EXPECT_EQ(m[0]["request_id"], req[0]["request_id"]);
  EXPECT_FALSE(m[0].contains("error"));
  EXPECT_EQ(OfType(r, "clear_timer").size(), 1u);
  EXPECT_EQ(d.session.state_name(), "idle");
}

TEST(Models, AnthropicCarriesItsVersionAndBrowserHeaders) {
  Driver d(TestConfig("anthropic"));
  auto req = OfType(d.Send({{"type", "list_models"}}), "http_request")[0];
  EXPECT_EQ(req["url"], "https://anthropic.example.test/v1/models?limit=1000");
  EXPECT_EQ(req["headers"]["anthropic-version"], "2023-06-01");
  EXPECT_EQ(req["headers"]["anthropic-dangerous-direct-browser-access"], "true");
  EXPECT_FALSE(req["headers"].contains("content-type"));
  EXPECT_EQ(req["auth"]["header"], "x-api-key");
  auto r = AnswerModels(d, req["request_id"], 200,
                        R"({"data":[{"type":"model","id":"claude-x","display_name":"X"}],"has_more":false})");
  EXPECT_EQ(Emitted(r, "models")[0]["models"], Json::array({"claude-x"}));
}

TEST(Models, AnotherProviderCanBeAskedWithoutReconfiguring) {
  Driver d;
  auto req = OfType(d.Send({{"type", "list_models"},
                            {"provider", {{"format", "openai"}, {"base_url", "http://localhost:11434/v1/"}, {"auth", "none"}}}}),
                    "http_request")[0];
  EXPECT_EQ(req["url"], "http://localhost:11434/v1/models");
  EXPECT_TRUE(req["auth"].is_null());
  EXPECT_EQ(d.session.config().provider.base_url, "https://api.example.test/v1") << "the session's config is untouched";
  // Ollama's own /api/tags shape is understood too.
  auto r = AnswerModels(d, req["request_id"], 200, R"({"models":[{"name":"llama3:8b"},{"name":"qwen2.5"}]})");
  EXPECT_EQ(Emitted(r, "models")[0]["models"], Json::array({"llama3:8b", "qwen2.5"}));
  EXPECT_EQ(Refusal(d, {{"type", "list_models"}, {"provider", {{"format", "smoke"}}}})["code"], "invalid_event");
  EXPECT_EQ(Refusal(d, {{"type", "list_models"}, {"timeout_ms", 0}})["code"], "invalid_event");
}

TEST(Models, FailuresEndInAModelsEmitWithAnError) {
  Driver d;
  int64_t id = OfType(d.Send({{"type", "list_models"}}), "http_request")[0]["request_id"];
  auto denied = Emitted(AnswerModels(d, id, 401, R"({"error":{"message":"Incorrect API key","type":"invalid_request_error"}})"), "models");
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_EQ(denied[0]["models"], Json::array());
  EXPECT_EQ(denied[0]["error"]["code"], "auth");
  EXPECT_EQ(denied[0]["error"]["detail"]["status"], 401);
  EXPECT_NE(denied[0]["error"]["message"].get<std::string>().find("Incorrect API key"), std::string::npos);

  id = OfType(d.Send({{"type", "list_models"}}), "http_request")[0]["request_id"];
  EXPECT_EQ(Emitted(AnswerModels(d, id, 200, "<html>portal</html>"), "models")[0]["error"]["code"], "bad_response");

  id = OfType(d.Send({{"type", "list_models"}}), "http_request")[0]["request_id"];
  auto net = d.Send({{"type", "llm_failed"}, {"request_id", id}, {"message", "Failed to fetch"}});
  EXPECT_EQ(Emitted(net, "models")[0]["error"]["code"], "network");

  auto a = d.Send({{"type", "list_models"}});
  id = OfType(a, "http_request")[0]["request_id"];
  int64_t timer = OfType(a, "set_timer")[0]["timer_id"];
  auto late = d.Send({{"type", "timer_fired"}, {"timer_id", timer}});
  EXPECT_EQ(OfType(late, "abort_request")[0]["request_id"], id);
  EXPECT_EQ(Emitted(late, "models")[0]["error"]["code"], "timeout");
  EXPECT_TRUE(d.Send({{"type", "llm_done"}, {"request_id", id}, {"status", 200}}).empty()) << "late answers are dropped";
}

TEST(Models, ARunningTurnIsNotDisturbed) {
  Driver d;
  auto turn = d.User("hi");
  int64_t chat_id = OfType(turn, "http_request")[0]["request_id"];
  int64_t turn_timer = OfType(turn, "set_timer")[0]["timer_id"];
  auto a = d.Send({{"type", "list_models"}});
  int64_t models_id = OfType(a, "http_request")[0]["request_id"];
  EXPECT_NE(models_id, chat_id);
  EXPECT_TRUE(OfType(a, "clear_timer").empty()) << "the turn's timer is left alone";
  // A second list_models replaces the first, and only it.
  auto again = d.Send({{"type", "list_models"}});
  EXPECT_EQ(OfType(again, "abort_request")[0]["request_id"], models_id);
  models_id = OfType(again, "http_request")[0]["request_id"];
  // The model list answers in the middle of the reply.
  std::string reply = OpenAiText({"Hel", "lo"});
  auto first = d.session.FeedLlmBytes(chat_id, reply.substr(0, 60), d.now);
  ASSERT_FALSE(first.error);
  auto models = AnswerModels(d, models_id, 200, R"({"data":[{"id":"m1"}]})");
  for (const auto& act : models) {
    EXPECT_NE(act["type"], "abort_request");
    if (act["type"] == "clear_timer") EXPECT_NE(act["timer_id"], turn_timer);
  }
  EXPECT_EQ(d.session.state_name(), "waiting_model");
  auto rest = d.session.FeedLlmBytes(chat_id, reply.substr(60), d.now);
  ASSERT_FALSE(rest.error);
  auto done = d.Send({{"type", "llm_done"}, {"request_id", chat_id}, {"status", 200}});
  EXPECT_EQ(Emitted(done, "turn_done")[0]["reason"], "completed");
  EXPECT_EQ(d.session.conversation().entries.back().text, "Hello");
  // cancel stops the turn, not a model list in flight.
  d.User("again");
  int64_t list = OfType(d.Send({{"type", "list_models"}}), "http_request")[0]["request_id"];
  auto stop = d.Send({{"type", "cancel"}});
  for (const auto& act : stop) EXPECT_FALSE(act["type"] == "abort_request" && act["request_id"] == list);
  EXPECT_EQ(Emitted(AnswerModels(d, list, 200, R"({"data":[]})"), "models").size(), 1u);
}

TEST(Models, ParseModelListAcceptsTheKnownShapes) {
  std::string why;
  EXPECT_EQ(*ParseModelList(R"({"data":[{"id":"b"},{"id":"a"}]})", &why), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*ParseModelList(R"({"models":["x", {"name":"y"}, {"id":""}, 7]})", &why),
            (std::vector<std::string>{"x", "y"}));
  EXPECT_FALSE(ParseModelList("[1,2]", &why));
  EXPECT_FALSE(ParseModelList("not json", &why));
  EXPECT_NE(why.find("not JSON"), std::string::npos);
}

TEST(Models, WhatTheListSaysOfEachModelComesWithIt) {
  // OpenRouter, Groq, Mistral and vLLM shapes in one answer; OpenAI's says nothing.
  std::string body = R"({"data":[
    {"id":"openai/gpt-4o","context_length":128000,"architecture":{"input_modalities":["text","image"]}},
    {"id":"meta/llama","context_length":0,"top_provider":{"context_length":65536},"architecture":{"input_modalities":["text"]}},
    {"id":"llama-3.3-70b","context_window":131072},
    {"id":"pixtral","max_context_length":128000,"capabilities":{"vision":true}},
    {"id":"served","max_model_len":32768},
    {"id":"gpt-4o-mini","object":"model","owned_by":"openai"},
    {"id":"o4-mini","object":"model","owned_by":"system"},
    {"id":"gpt-5-mini-2025-08-07","object":"model","owned_by":"system"},
    {"id":"gpt-5-chat-latest","object":"model","owned_by":"system"},
    {"id":"o3-by-someone","object":"model","owned_by":"someone"},
    {"id":"deepseek/deepseek-r1","context_length":163840,"supported_parameters":["max_tokens","reasoning","include_reasoning"]},
    {"id":"mistral/small","context_length":32000,"supported_parameters":["max_tokens","tools"]}]})";
  Json info = ParseModelInfo(body);
  EXPECT_EQ(info["openai/gpt-4o"], Json::parse(R"({"context_window":128000,"vision":true})"));
  EXPECT_EQ(info["meta/llama"], Json::parse(R"({"context_window":65536,"vision":false})"));
  EXPECT_EQ(info["llama-3.3-70b"]["context_window"], 131072);
  EXPECT_EQ(info["pixtral"], Json::parse(R"({"context_window":128000,"vision":true})"));
  EXPECT_EQ(info["served"]["context_window"], 32768);
  EXPECT_FALSE(info.contains("gpt-4o-mini"));
  // Reasoning: OpenAI's o-series and gpt-5 by id (not gpt-5's chat variant), OpenRouter's by its parameters.
  EXPECT_EQ(info["o4-mini"], Json::parse(R"({"reasoning":true})"));
  EXPECT_EQ(info["gpt-5-mini-2025-08-07"], Json::parse(R"({"reasoning":true})"));
  EXPECT_FALSE(info.contains("gpt-5-chat-latest"));
  EXPECT_FALSE(info.contains("o3-by-someone")) << "only OpenAI's own list is read by name";
  EXPECT_EQ(info["deepseek/deepseek-r1"], Json::parse(R"({"context_window":163840,"reasoning":true})"));
  EXPECT_EQ(info["mistral/small"], Json::parse(R"({"context_window":32000,"reasoning":false})"));
  EXPECT_TRUE(ParseModelInfo(R"({"data":[{"id":"x"}]})").empty());
  EXPECT_TRUE(ParseModelInfo("junk").empty());

  Driver d;
  int64_t id = OfType(d.Send({{"type", "list_models"}}), "http_request")[0]["request_id"];
  auto m = Emitted(AnswerModels(d, id, 200, body), "models");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]["info"], info);
  id = OfType(d.Send({{"type", "list_models"}}), "http_request")[0]["request_id"];
  EXPECT_FALSE(Emitted(AnswerModels(d, id, 200, R"({"data":[{"id":"a"}]})"), "models")[0].contains("info"));
}

}  // namespace
}  // namespace ci::testing
