// The agent loop, driven from both ends in memory.
#include "core/session.h"

#include <gtest/gtest.h>

#include <set>

#include "session_harness.h"

namespace ci::testing {
namespace {

std::string AllText(const std::vector<Json>& actions) {
  std::string s;
  for (const auto& e : Emitted(actions, "text_delta")) s += e["text"].get<std::string>();
  return s;
}

TEST(Session, TextReplyStreamsDeltasAndEndsTheTurn) {
  Driver d;
  auto a = d.User("What is 2+2?");
  auto req = OfType(a, "http_request");
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0]["url"], "https://api.example.test/v1/chat/completions");
  EXPECT_EQ(req[0]["auth"]["header"], "authorization");
  EXPECT_EQ(req[0]["auth"]["prefix"], "Bearer ");
  Json body = d.LastRequestBody();
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["messages"].back()["content"], "What is 2+2?");
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(OfType(a, "set_timer").size(), 1u) << "a request timer guards the request";

  auto r = d.Reply(OpenAiText({"It ", "is ", "4."}), 9);
  EXPECT_EQ(AllText(r), "It is 4.");
  EXPECT_GE(Emitted(r, "text_delta").size(), 2u) << "text must be emitted as it arrives, not only at the end";
  auto done = Emitted(r, "turn_done");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0]["reason"], "completed");
  EXPECT_EQ(done[0]["usage"]["input_tokens"], 10);
  EXPECT_EQ(d.session.state_name(), "idle");
  EXPECT_EQ(OfType(r, "persist").size(), 1u);
  ASSERT_EQ(d.session.conversation().entries.size(), 2u);
  EXPECT_EQ(d.session.conversation().entries[1].text, "It is 4.");
  EXPECT_EQ(d.session.conversation().title, "What is 2+2?");
}

TEST(Session, ToolCallRunsCodeAndFeedsTheResultBack) {
  Driver d;
  d.User("Compute");
  auto r = d.Reply(OpenAiToolCalls({{"call_1", "print(6*7)"}}));
  auto run = OfType(r, "run_code");
  ASSERT_EQ(run.size(), 1u);
  EXPECT_EQ(run[0]["code"], "print(6*7)");
  EXPECT_EQ(run[0]["timeout_ms"], 120000);
  ASSERT_EQ(Emitted(r, "cell_started").size(), 1u);
  EXPECT_EQ(Emitted(r, "cell_started")[0]["execution_count"], 1);
  EXPECT_EQ(d.session.state_name(), "running_code");

  auto e = d.ExecOk("42\n");
  ASSERT_EQ(OfType(e, "http_request").size(), 1u) << "the result goes back to the model";
  Json msgs = d.LastRequestBody()["messages"];
  Json assistant = msgs[msgs.size() - 2];
  Json tool = msgs.back();
  EXPECT_EQ(assistant["tool_calls"][0]["id"], "call_1");
  EXPECT_EQ(tool["role"], "tool");
  EXPECT_EQ(tool["tool_call_id"], "call_1");
  EXPECT_EQ(tool["content"], "42\n");

  auto f = d.Reply(OpenAiText({"The answer is 42."}));
  EXPECT_EQ(Emitted(f, "turn_done")[0]["reason"], "completed");
  EXPECT_EQ(d.CountActions("http_request"), 2);
}

TEST(Session, CodeErrorsGoBackToTheModelAndTheLoopContinues) {
  Driver d;
  d.User("go");
  d.Reply(OpenAiToolCalls({{"c1", "1/0"}}));
  auto a = d.Send({{"type", "exec_result"},
                   {"exec_id", d.CurrentExecId()},
                   {"ok", false},
                   {"error",
                    {{"type", "ZeroDivisionError"},
                     {"message", "division by zero"},
                     {"traceback", "Traceback (most recent call last):\n  File \"<cell>\", line 1\nZeroDivisionError: division by zero\n"}}}});
  ASSERT_EQ(OfType(a, "http_request").size(), 1u) << "a code error is the model's to fix";
  std::string content = d.LastRequestBody()["messages"].back()["content"];
  EXPECT_NE(content.find("ZeroDivisionError: division by zero"), std::string::npos) << content;
  auto cell = Emitted(a, "cell_finished");
  ASSERT_EQ(cell.size(), 1u);
  EXPECT_EQ(cell[0]["exec"]["status"], "error");
  EXPECT_TRUE(Emitted(a, "error").empty()) << "not an environment error";
}

TEST(Session, AnOutputsTextFallbackReachesTheModelAndTheRecord) {
  Driver d;
  d.User("Show the table");
  d.Reply(OpenAiToolCalls({{"c1", "display_table(rows)"}}));
  Json table = {{"mime", "application/vnd.dataresource+json"},
                {"data", R"({"schema":{"fields":[{"name":"a"}]},"data":[{"a":1}]})"},
                {"text", "   a\n0  1\n[1 rows x 1 columns]"}};
  auto a = d.Send({{"type", "exec_result"}, {"exec_id", d.CurrentExecId()}, {"ok", true},
                   {"outputs", Json::array({table, {{"mime", "image/png"}, {"data", "iVBORw0KGgo="}}})}});
  std::string content = d.LastRequestBody()["messages"].back()["content"];
  EXPECT_NE(content.find("[Shown to the user as application/vnd.dataresource+json:]\n   a\n0  1"), std::string::npos) << content;
  EXPECT_NE(content.find("[Shown to the user: 1 × image/png]"), std::string::npos) << content;
  auto cell = Emitted(a, "cell_finished");
  ASSERT_EQ(cell.size(), 1u);
  EXPECT_EQ(cell[0]["exec"]["outputs"][0]["text"], table["text"]) << "kept with the record";
  EXPECT_FALSE(cell[0]["exec"]["outputs"][1].contains("text"));
  d.SendIllegal({{"type", "exec_result"}, {"exec_id", d.CurrentExecId()}, {"ok", true},
                            {"outputs", Json::array({{{"mime", "text/html"}, {"data", "x"}, {"text", 7}}})}});
}

TEST(Session, ToolCallsWithoutAUsableOrUniqueIdGetOneOfOurs) {
  Driver d;
  d.User("one");
  d.Reply(OpenAiToolCalls({{"", "print(1)"}, {"call 2 has spaces", "print(2)"}}));
  d.ExecOk("1\n");
  d.ExecOk("2\n");
  Json msgs = d.LastRequestBody()["messages"];
  Json calls = msgs[msgs.size() - 3]["tool_calls"];
  ASSERT_EQ(calls.size(), 2u);
  std::string a = calls[0]["id"], b = calls[1]["id"];
  EXPECT_FALSE(a.empty());
  EXPECT_NE(a, b);
  EXPECT_EQ(b.find(' '), std::string::npos);
  EXPECT_EQ(msgs[msgs.size() - 2]["tool_call_id"], a) << "the result pairs with its call";
  EXPECT_EQ(msgs.back()["tool_call_id"], b);
  d.Reply(OpenAiText({"ok"}));
  // A server that numbers calls from 0 in every reply: the second call_0 is renamed.
  d.User("two");
  d.Reply(OpenAiToolCalls({{"call_0", "print(3)"}}));
  d.ExecOk("3\n");
  d.Reply(OpenAiText({"ok"}));
  d.User("three");
  d.Reply(OpenAiToolCalls({{"call_0", "print(4)"}}));
  d.ExecOk("4\n");
  msgs = d.LastRequestBody()["messages"];
  std::set<std::string> ids;
  int results = 0;
  for (const auto& m : msgs) {
    if (m.contains("tool_calls")) for (const auto& c : m["tool_calls"]) EXPECT_TRUE(ids.insert(c["id"]).second) << c.dump();
    if (m["role"] == "tool") ++results;
  }
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(results, 4);
  EXPECT_EQ(msgs.back()["content"], "4\n") << "the renamed call's result is its own";
  EXPECT_EQ(msgs.back()["tool_call_id"], msgs[msgs.size() - 2]["tool_calls"][0]["id"]);
}

TEST(Session, StepLimitEndsTheTurnWithANotice) {
  SessionConfig c = TestConfig();
  c.limits.max_steps = 2;
  Driver d(c);
  d.User("loop forever");
  d.Reply(OpenAiToolCalls({{"c1", "x=1"}}));
  d.ExecOk("");
  d.Reply(OpenAiToolCalls({{"c2", "x=2"}}));
  auto a = d.ExecOk("");
  EXPECT_TRUE(OfType(a, "http_request").empty()) << "no third request with max_steps=2";
  auto done = Emitted(a, "turn_done");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0]["reason"], "step_limit");
  ASSERT_EQ(Emitted(a, "notice").size(), 1u);
  EXPECT_EQ(d.session.state_name(), "idle");
}

TEST(Session, TokenLimitEndsTheTurnBeforeTheNextRequest) {
  SessionConfig c = TestConfig();
  c.limits.max_turn_tokens = 20;  // each scripted reply reports 15 tokens (10 in, 5 out)
  Driver d(c);
  d.User("loop");
  d.Reply(OpenAiToolCalls({{"c1", "x=1"}}) );
  // OpenAiToolCalls carries no usage: the first step counts 0 tokens.
  auto a = d.ExecOk("");
  ASSERT_EQ(OfType(a, "http_request").size(), 1u);
  std::string body = OpenAiText({"partial"});
  body = body.substr(0, body.find("data: [DONE]"));  // keep its usage chunk, drop the end
  std::string tools = OpenAiToolCalls({{"c2", "x=2"}});
  // A reply with a tool call AND usage: 15 tokens.
  std::string with_usage = tools.substr(0, tools.find("data: [DONE]")) +
                           SseData(Json{{"id", "u"}, {"object", "chat.completion.chunk"}, {"model", "m"},
                                        {"choices", Json::array()},
                                        {"usage", {{"prompt_tokens", 15}, {"completion_tokens", 6}}}}) +
                           "data: [DONE]\n\n";
  d.Reply(with_usage);
  auto e = d.ExecOk("");
  EXPECT_TRUE(OfType(e, "http_request").empty()) << "21 tokens used, limit 20: no next request";
  ASSERT_EQ(Emitted(e, "turn_done").size(), 1u);
  EXPECT_EQ(Emitted(e, "turn_done")[0]["reason"], "token_limit");
  EXPECT_EQ(Emitted(e, "notice").size(), 1u);
}

TEST(Session, RateLimitRetriesAfterTheAskedWaitAndDropsTheOldRequest) {
  Driver d;
  d.User("hi");
  int64_t first = d.CurrentRequestId();
  auto r = d.Reply(R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})", 1000, 429,
                   Json{{"Retry-After", "2"}});
  auto retry = Emitted(r, "retrying");
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0]["delay_ms"], 2000);
  auto timers = OfType(r, "set_timer");
  ASSERT_FALSE(timers.empty());
  EXPECT_EQ(timers.back()["delay_ms"], 2000);
  EXPECT_EQ(d.session.state_name(), "retry_wait");

  d.now += 2000;
  auto a = d.Send({{"type", "timer_fired"}, {"timer_id", timers.back()["timer_id"]}});
  ASSERT_EQ(OfType(a, "http_request").size(), 1u);
  EXPECT_NE(d.CurrentRequestId(), first);
  EXPECT_EQ(Emitted(a, "model_request")[0]["attempt"], 2);
  // A late chunk of the first request is dropped silently.
  auto late = d.session.FeedLlmBytes(first, OpenAiText({"stale"}), d.now);
  EXPECT_FALSE(late.error.has_value());
  EXPECT_TRUE(late.actions.empty());
  auto f = d.Reply(OpenAiText({"fresh"}));
  EXPECT_EQ(AllText(f), "fresh");
}

TEST(Session, RetryAfterAnHttpDateIsHonoured) {
  Driver d;
  d.now = 784111777000 - 5000;  // 5 s before Sun, 06 Nov 1994 08:49:37 GMT
  d.User("hi");
  auto r = d.Reply("", 1, 503, Json{{"retry-after", "Sun, 06 Nov 1994 08:49:37 GMT"}});
  auto retry = Emitted(r, "retrying");
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0]["delay_ms"], 5000);
}

TEST(Session, ATooLongRetryAfterEndsTheTurnAndSaysTheWait) {
  Driver d;
  d.User("hi");
  auto r = d.Reply(R"({"error":{"message":"slow down","type":"rate_limit"}})", 1000, 429, Json{{"retry-after", "3600"}});
  auto err = Emitted(r, "error");
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0]["error"]["kind"], "rate_limit");
  std::string msg = err[0]["error"]["message"];
  EXPECT_NE(msg.find("3600 s"), std::string::npos) << msg;
  EXPECT_EQ(Emitted(r, "turn_done")[0]["reason"], "error");
}

TEST(Session, ServerErrorsRetryWithBackoffThenGiveUp) {
  SessionConfig c = TestConfig();
  c.limits.max_retries = 2;
  c.limits.retry_base_ms = 100;
  Driver d(c);
  d.User("hi");
  std::vector<int64_t> delays;
  for (int i = 0; i < 3; ++i) {
    auto r = d.Reply("<html><head><title>502 Bad Gateway</title></head></html>", 1000, 502);
    auto retry = Emitted(r, "retrying");
    if (retry.empty()) {
      auto err = Emitted(r, "error");
      ASSERT_EQ(err.size(), 1u);
      EXPECT_EQ(err[0]["error"]["kind"], "server");
      EXPECT_EQ(err[0]["error"]["status"], 502);
      break;
    }
    delays.push_back(retry[0]["delay_ms"]);
    auto t = OfType(r, "set_timer").back();
    d.Send({{"type", "timer_fired"}, {"timer_id", t["timer_id"]}});
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{100, 200})) << "exponential backoff from retry_base_ms";
  EXPECT_EQ(d.CountActions("http_request"), 3);
  EXPECT_EQ(d.session.state_name(), "idle");
}

TEST(Session, UnauthorizedIsNotRetriedAndSaysToCheckTheKey) {
  Driver d;
  d.User("hi");
  auto r = d.Reply(R"({"error":{"message":"Incorrect API key provided: sk-abc***","type":"invalid_request_error","code":"invalid_api_key"}})",
                   1000, 401);
  EXPECT_TRUE(Emitted(r, "retrying").empty());
  auto err = Emitted(r, "error");
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0]["error"]["kind"], "auth");
  std::string msg = err[0]["error"]["message"];
  EXPECT_NE(msg.find("API key"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Incorrect API key provided"), std::string::npos) << "the provider's words are kept: " << msg;
}

TEST(Session, CancelWhileStreamingAbortsKeepsThePartialTextAndDropsLateChunks) {
  Driver d;
  d.User("long story");
  int64_t id = d.CurrentRequestId();
  std::string body = OpenAiText({"Once ", "upon ", "a time"}, /*done=*/false);
  auto r = d.session.FeedLlmBytes(id, body, d.now);
  ASSERT_FALSE(r.error);
  auto a = d.Send({{"type", "cancel"}});
  auto abort = OfType(a, "abort_request");
  ASSERT_EQ(abort.size(), 1u);
  EXPECT_EQ(abort[0]["request_id"], id);
  EXPECT_EQ(Emitted(a, "turn_done")[0]["reason"], "cancelled");
  EXPECT_EQ(d.session.state_name(), "idle");
  EXPECT_EQ(d.session.conversation().entries.back().text, "Once upon a time") << "what the user saw is kept";
  auto late = d.session.FeedLlmBytes(id, "data: [DONE]\n\n", d.now);
  EXPECT_FALSE(late.error);
  EXPECT_TRUE(late.actions.empty());
  auto late_done = d.Send({{"type", "llm_done"}, {"request_id", id}, {"status", 200}});
  EXPECT_TRUE(late_done.empty());
  // A new turn works, and its history has the partial reply.
  d.User("continue");
  EXPECT_EQ(d.LastRequestBody()["messages"][2]["content"], "Once upon a time");
}

TEST(Session, CancelWhileRunningInterruptsAndStillKeepsTheRunsFiles) {
  Driver d;
  d.User("make a file then loop");
  d.Reply(OpenAiToolCalls({{"c1", "open('out.txt','w').write('hi')\nwhile True: pass"}}));
  std::string exec_id = d.CurrentExecId();
  auto a = d.Send({{"type", "cancel"}});
  auto intr = OfType(a, "interrupt");
  ASSERT_EQ(intr.size(), 1u);
  EXPECT_EQ(intr[0]["exec_id"], exec_id);
  EXPECT_EQ(intr[0]["restart"], false);
  EXPECT_EQ(Emitted(a, "turn_done")[0]["reason"], "cancelled");
  EXPECT_EQ(d.session.state_name(), "idle");

  auto late = d.Send({{"type", "exec_result"},
                      {"exec_id", exec_id},
                      {"ok", false},
                      {"error", {{"type", "KeyboardInterrupt"}, {"message", ""}}},
                      {"files", {{"created", Json::array({Json{{"path", "/mnt/data/out.txt"}, {"data", "hi"}}})}}}});
  EXPECT_TRUE(OfType(late, "http_request").empty()) << "a cancelled turn does not go on";
  ASSERT_EQ(Emitted(late, "file_changed").size(), 1u);
  ASSERT_NE(d.session.vfs().Find("out.txt"), nullptr) << "files of a cancelled run are kept";
  EXPECT_EQ(*d.session.vfs().Find("out.txt")->bytes, "hi");
  EXPECT_EQ(Emitted(late, "cell_finished")[0]["exec"]["status"], "cancelled");
  // The next turn's history answers the cancelled call.
  d.User("what happened?");
  Json msgs = d.LastRequestBody()["messages"];
  bool found = false;
  for (const auto& m : msgs)
    if (m["role"] == "tool" && m["tool_call_id"] == "c1")
      found = m["content"].get<std::string>().find("Stopped by the user") != std::string::npos;
  EXPECT_TRUE(found) << msgs.dump(1);
}

TEST(Session, CancelWhenIdleIsHarmless) {
  Driver d;
  auto a = d.Send({{"type", "cancel"}});
  EXPECT_TRUE(a.empty());
}

TEST(Session, IllegalEventsAreProtocolErrorsThatChangeNothing) {
  Driver d;
  EXPECT_NE(d.SendIllegal({{"type", "warp_drive"}}).find("unknown event type"), std::string::npos);
  EXPECT_NE(d.SendIllegal({{"type", "user_message"}}).find("text"), std::string::npos);
  EXPECT_NE(d.SendIllegal(Json{{"type", "user_message"}, {"text", "x"}, {"now_ms", "soon"}}).find("now_ms"),
            std::string::npos);
  d.SendIllegal({{"type", "exec_result"}, {"exec_id", "x99"}, {"ok", true}});
  d.SendIllegal({{"type", "llm_chunk"}, {"request_id", 5}, {"data", "x"}});
  d.SendIllegal({{"type", "timer_fired"}, {"timer_id", 42}});
  d.SendIllegal({{"type", "user_message"}, {"text", "   "}});
  d.User("hi");
  d.SendIllegal({{"type", "user_message"}, {"text", "again"}});
  d.SendIllegal({{"type", "configure"}, {"limits", {{"max_steps", 3}}}});
  d.SendIllegal({{"type", "llm_chunk"}, {"request_id", d.CurrentRequestId()}});  // no bytes
  d.SendIllegal({{"type", "exec_result"}, {"exec_id", 7}});
  auto bad = d.session.Handle(Json::array({1, 2}));
  EXPECT_TRUE(bad.error.has_value());
}

TEST(Session, ConfigureValidatesEverythingBeforeApplyingAnything) {
  Driver d;
  std::string before = d.session.Serialize().dump();
  auto r = d.session.Handle(Json{{"type", "configure"},
                                 {"now_ms", 1},
                                 {"limits", {{"max_steps", 5}}},
                                 {"provider", {{"format", "telepathy"}}}});
  EXPECT_TRUE(r.error.has_value());
  EXPECT_EQ(d.session.Serialize().dump(), before);
  d.Send({{"type", "configure"}, {"limits", {{"max_steps", 5}}}, {"system_prompt_extra", "Answer in French."}});
  EXPECT_EQ(d.session.config().limits.max_steps, 5);
  d.User("hi");
  std::string system = d.LastRequestBody()["messages"][0]["content"];
  EXPECT_NE(system.find("Answer in French."), std::string::npos);
}

TEST(Session, StreamIdleTimeoutRearmsWhileDataFlowsThenFailsKeepingPartialText) {
  SessionConfig c = TestConfig();
  c.limits.request_timeout_ms = 10000;
  c.limits.idle_timeout_ms = 3000;
  Driver d(c);
  auto a = d.User("hi");
  int64_t timer = OfType(a, "set_timer")[0]["timer_id"];
  d.now += 2000;
  d.session.FeedLlmBytes(d.CurrentRequestId(), OpenAiText({"partial "}, false), d.now);
  d.now += 8000;  // request timer fires: 1000 ms after the last data is not yet idle
  d.now = d.now;  // (request deadline reached)
  auto t1 = d.Send({{"type", "timer_fired"}, {"timer_id", timer}});
  // 8000 ms since the last byte > idle 3000: the stream has stalled.
  auto err = Emitted(t1, "error");
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0]["error"]["kind"], "timeout");
  EXPECT_NE(err[0]["error"]["message"].get<std::string>().find("stalled"), std::string::npos);
  EXPECT_EQ(OfType(t1, "abort_request").size(), 1u);
  EXPECT_EQ(d.session.conversation().entries[1].text, "partial ");
}

TEST(Session, RequestTimerRearmsForTheRemainingIdleTime) {
  SessionConfig c = TestConfig();
  c.limits.request_timeout_ms = 10000;
  c.limits.idle_timeout_ms = 3000;
  Driver d(c);
  auto a = d.User("hi");
  int64_t timer = OfType(a, "set_timer")[0]["timer_id"];
  d.now += 9000;
  d.session.FeedLlmBytes(d.CurrentRequestId(), OpenAiText({"x"}, false), d.now);
  d.now += 1000;
  auto t = d.Send({{"type", "timer_fired"}, {"timer_id", timer}});
  auto re = OfType(t, "set_timer");
  ASSERT_EQ(re.size(), 1u) << "data arrived 1 s ago: wait 2 s more, do not fail";
  EXPECT_EQ(re[0]["delay_ms"], 2000);
  EXPECT_TRUE(Emitted(t, "error").empty());
}

TEST(Session, NoFirstByteBeforeTheRequestTimeoutFails) {
  SessionConfig c = TestConfig();
  c.limits.request_timeout_ms = 5000;
  Driver d(c);
  auto a = d.User("hi");
  d.now += 5000;
  auto t = d.Send({{"type", "timer_fired"}, {"timer_id", OfType(a, "set_timer")[0]["timer_id"]}});
  auto err = Emitted(t, "error");
  ASSERT_EQ(err.size(), 1u);
  EXPECT_NE(err[0]["error"]["message"].get<std::string>().find("did not start answering within 5 s"), std::string::npos);
}

TEST(Session, SilentSandboxIsPresumedDeadRestartedAndTheModelIsTold) {
  SessionConfig c = TestConfig();
  c.sandbox.time_limit_ms = 1000;
  c.limits.exec_grace_ms = 500;
  Driver d(c);
  d.Send({{"type", "file_upload"}, {"path", "data.csv"}, {"data", "a,b\n1,2\n"}});
  d.User("go");
  auto r = d.Reply(OpenAiToolCalls({{"c1", "import time; time.sleep(99)"}}));
  auto timer = OfType(r, "set_timer").back();
  EXPECT_EQ(timer["delay_ms"], 1500);
  d.now += 1500;
  auto t = d.Send({{"type", "timer_fired"}, {"timer_id", timer["timer_id"]}});
  auto intr = OfType(t, "interrupt");
  ASSERT_EQ(intr.size(), 1u);
  EXPECT_EQ(intr[0]["restart"], true);
  EXPECT_EQ(Emitted(t, "cell_finished")[0]["exec"]["status"], "timeout");
  ASSERT_EQ(OfType(t, "http_request").size(), 1u) << "the model hears about it and can go on";
  std::string content = d.LastRequestBody()["messages"].back()["content"];
  EXPECT_NE(content.find("restarted"), std::string::npos) << content;
  // The restarted sandbox gets every file again on the next run.
  auto r2 = d.Reply(OpenAiToolCalls({{"c2", "print(open('data.csv').read())"}}));
  auto run = OfType(r2, "run_code");
  ASSERT_EQ(run.size(), 1u);
  ASSERT_EQ(run[0]["files"]["write"].size(), 1u);
  EXPECT_EQ(run[0]["files"]["write"][0]["path"], "data.csv");
}

TEST(Session, LongOutputIsTruncatedForTheModelKeepingHeadAndTail) {
  SessionConfig c = TestConfig();
  c.limits.max_tool_output_bytes = 1000;
  Driver d(c);
  d.User("print a lot");
  d.Reply(OpenAiToolCalls({{"c1", "for i in range(10000): print(i)"}}));
  std::string out;
  for (int i = 0; i < 10000; ++i) out += std::to_string(i) + "\n";
  d.ExecOk(out);
  std::string content = d.LastRequestBody()["messages"].back()["content"];
  EXPECT_LE(content.size(), 1200u);
  EXPECT_EQ(content.rfind("0\n1\n2\n", 0), 0u) << "head kept";
  EXPECT_NE(content.find("9999\n"), std::string::npos) << "tail kept";
  EXPECT_NE(content.find("omitted"), std::string::npos) << "the cut is announced";
  // The full output is still in the record.
  EXPECT_EQ(d.session.conversation().entries[2].exec.stdout_text, out);
}

TEST(Session, OnlyChangedFilesGoToTheSandbox) {
  Driver d;
  auto up = d.Send({{"type", "file_upload"}, {"path", "sales.csv"}, {"data", "x\n1\n"}});
  ASSERT_EQ(Emitted(up, "file_changed").size(), 1u);
  EXPECT_EQ(OfType(up, "persist")[0]["files"]["write"][0], "sales.csv");
  d.User("analyze");
  std::string system = d.LastRequestBody()["messages"][0]["content"];
  EXPECT_NE(system.find("/mnt/data/sales.csv (4 B, text/csv)"), std::string::npos) << system;
  auto r = d.Reply(OpenAiToolCalls({{"c1", "1"}}));
  EXPECT_EQ(OfType(r, "run_code")[0]["files"]["write"].size(), 1u);
  auto e = d.ExecOk("", {{"files", {{"created", Json::array({Json{{"path", "chart.png"}, {"data_base64", "iVBORw0KGgo="}}})}}}});
  auto fc = Emitted(e, "file_changed");
  ASSERT_EQ(fc.size(), 1u);
  EXPECT_EQ(fc[0]["change"], "created");
  EXPECT_EQ(fc[0]["file"]["media_type"], "image/png");
  EXPECT_EQ(fc[0]["file"]["exec_id"], "x1");
  auto r2 = d.Reply(OpenAiToolCalls({{"c2", "2"}}));
  auto run2 = OfType(r2, "run_code")[0];
  EXPECT_TRUE(run2["files"]["write"].empty()) << "nothing changed since the sandbox saw it: " << run2.dump();
  d.ExecOk("", {{"files", {{"deleted", Json::array({"sales.csv"})}}}});
  EXPECT_EQ(d.session.vfs().Find("sales.csv"), nullptr);
  d.Reply(OpenAiText({"done"}));
  d.Send({{"type", "sandbox_restarted"}});
  d.Send({{"type", "user_code"}, {"code", "import os; os.listdir()"}});
  auto run3 = OfType(d.last, "run_code")[0];
  ASSERT_EQ(run3["files"]["write"].size(), 1u);
  EXPECT_EQ(run3["files"]["write"][0]["path"], "chart.png");
}

TEST(Session, RefusedUploadIsAClearErrorAndChangesNothing) {
  SessionConfig c = TestConfig();
  c.vfs_limits.max_total_bytes = 10;
  Driver d(c);
  d.Send({{"type", "file_upload"}, {"path", "a.txt"}, {"data", "12345678"}});
  auto a = d.Send({{"type", "file_upload"}, {"path", "b.txt"}, {"data", "12345"}});
  auto err = Emitted(a, "error");
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0]["error"]["kind"], "file");
  EXPECT_EQ(d.session.vfs().file_count(), 1u);
  auto bad = d.Send({{"type", "file_upload"}, {"path", "../../etc/passwd"}, {"data", "x"}});
  ASSERT_EQ(Emitted(bad, "error").size(), 1u);
  EXPECT_EQ(Emitted(bad, "error")[0]["error"]["type"], "invalid_path");
  EXPECT_TRUE(OfType(bad, "persist").empty());
}

TEST(Session, SandboxFilesOutsideTheRootNeverComeBack) {
  Driver d;
  d.User("x");
  d.Reply(OpenAiToolCalls({{"c1", "1"}}));
  auto e = d.ExecOk("", {{"files", {{"created", Json::array({Json{{"path", "/etc/evil"}, {"data", "x"}},
                                                                 Json{{"path", "ok.txt"}, {"data", "fine"}}})}}}});
  EXPECT_EQ(d.session.vfs().file_count(), 1u);
  EXPECT_NE(d.session.vfs().Find("ok.txt"), nullptr);
  std::string content = d.LastRequestBody()["messages"].back()["content"];
  EXPECT_NE(content.find("[file not kept]"), std::string::npos) << content;
}

TEST(Session, ModelsWithoutToolsRunFencedPythonBlocks) {
  Driver d(TestConfig("openai", /*tools=*/false));
  d.User("sum");
  EXPECT_FALSE(d.LastRequestBody().contains("tools"));
  std::string sys = d.LastRequestBody()["messages"][0]["content"];
  EXPECT_NE(sys.find("```python"), std::string::npos);
  auto r = d.Reply(OpenAiText({"Let me compute.\n```python\nprint(sum([1,2,3]))\n```\n"}));
  auto run = OfType(r, "run_code");
  ASSERT_EQ(run.size(), 1u);
  EXPECT_EQ(run[0]["code"], "print(sum([1,2,3]))");
  EXPECT_EQ(Emitted(r, "cell_started")[0]["source"], "fenced") << "the UI must credit the model, not the user";
  d.ExecOk("6\n");
  Json last = d.LastRequestBody()["messages"].back();
  EXPECT_EQ(last["role"], "user");
  EXPECT_EQ(last["content"], "Output of your code:\n6\n");
  auto f = d.Reply(OpenAiText({"The sum is 6."}));
  EXPECT_EQ(Emitted(f, "turn_done")[0]["reason"], "completed");
}

TEST(Session, AnthropicFormatRunsTheSameLoop) {
  Driver d(TestConfig("anthropic"));
  auto a = d.User("Compute");
  auto req = OfType(a, "http_request")[0];
  EXPECT_EQ(req["url"], "https://anthropic.example.test/v1/messages");
  EXPECT_EQ(req["auth"]["header"], "x-api-key");
  EXPECT_EQ(req["headers"]["anthropic-dangerous-direct-browser-access"], "true");
  auto r = d.Reply(AnthropicToolUse("toolu_01", "print(2**10)", "Computing."), 13);
  EXPECT_EQ(AllText(r), "Computing.");
  ASSERT_EQ(OfType(r, "run_code").size(), 1u);
  EXPECT_EQ(OfType(r, "run_code")[0]["code"], "print(2**10)");
  d.ExecOk("1024\n");
  Json msgs = d.LastRequestBody()["messages"];
  Json last = msgs.back();
  EXPECT_EQ(last["role"], "user");
  EXPECT_EQ(last["content"][0]["type"], "tool_result");
  EXPECT_EQ(last["content"][0]["tool_use_id"], "toolu_01");
  auto f = d.Reply(AnthropicText("2^10 = 1024."));
  EXPECT_EQ(AllText(f), "2^10 = 1024.");
  auto done = Emitted(f, "turn_done")[0];
  EXPECT_EQ(done["usage"]["input_tokens"], 70);
  EXPECT_EQ(done["usage"]["output_tokens"], 39);
}

TEST(Session, UserCodeRunsWithoutAModel) {
  Driver d;
  auto a = d.Send({{"type", "user_code"}, {"code", "print('hi')"}});
  EXPECT_TRUE(OfType(a, "http_request").empty());
  EXPECT_EQ(Emitted(a, "cell_started")[0]["source"], "user");
  ASSERT_EQ(OfType(a, "run_code").size(), 1u);
  auto e = d.ExecOk("hi\n");
  EXPECT_TRUE(OfType(e, "http_request").empty());
  EXPECT_EQ(Emitted(e, "turn_done")[0]["reason"], "completed");
  // The model later hears what the user ran.
  d.User("what did I print?");
  std::string content = d.LastRequestBody()["messages"][1]["content"];
  EXPECT_NE(content.find("I ran this code myself"), std::string::npos) << content;
  EXPECT_NE(content.find("print('hi')"), std::string::npos);
}

TEST(Session, ParallelToolCallsRunInOrderAndAnswerTogether) {
  Driver d;
  d.User("two things");
  auto r = d.Reply(OpenAiToolCalls({{"a1", "print('A')"}, {"b2", "print('B')"}}));
  auto run = OfType(r, "run_code");
  ASSERT_EQ(run.size(), 1u) << "one run at a time";
  EXPECT_EQ(run[0]["code"], "print('A')");
  auto e1 = d.ExecOk("A\n");
  ASSERT_EQ(OfType(e1, "run_code").size(), 1u);
  EXPECT_EQ(OfType(e1, "run_code")[0]["code"], "print('B')");
  EXPECT_TRUE(OfType(e1, "http_request").empty());
  d.ExecOk("B\n");
  Json msgs = d.LastRequestBody()["messages"];
  ASSERT_GE(msgs.size(), 4u);
  EXPECT_EQ(msgs[msgs.size() - 2]["tool_call_id"], "a1");
  EXPECT_EQ(msgs[msgs.size() - 1]["tool_call_id"], "b2");
}

TEST(Session, UnknownToolAndBadArgumentsAreFedBackAsErrors) {
  Driver d;
  d.User("x");
  auto r = d.Reply(OpenAiToolCalls({{"t1", "rm -rf /", "shell"}}));
  EXPECT_TRUE(OfType(r, "run_code").empty());
  ASSERT_EQ(OfType(r, "http_request").size(), 1u);
  std::string content = d.LastRequestBody()["messages"].back()["content"];
  EXPECT_NE(content.find("Unknown tool \"shell\""), std::string::npos) << content;
  EXPECT_EQ(Emitted(r, "cell_finished")[0]["exec"]["status"], "error");
}

TEST(Session, MidStreamProviderErrorEndsTheTurnKeepingText) {
  Driver d;
  d.User("x");
  std::string body = OpenAiText({"Partial answer"}, false) +
                     "data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n";
  auto r = d.Reply(body);
  auto err = Emitted(r, "error");
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0]["error"]["kind"], "stream");
  EXPECT_EQ(d.session.conversation().entries[1].text, "Partial answer");
  EXPECT_EQ(d.session.state_name(), "idle");
}

TEST(Session, CutOffStreamIsAnErrorNotASilentEnd) {
  Driver d;
  d.User("x");
  auto r = d.Reply(OpenAiText({"Half a sen"}, false));
  auto err = Emitted(r, "error");
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0]["error"]["type"], "incomplete_stream");
  EXPECT_EQ(d.session.conversation().entries[1].text, "Half a sen");
}

TEST(Session, NetworkFailureSuggestsTheFix) {
  Driver d;
  d.User("x");
  auto a = d.Send({{"type", "llm_failed"}, {"request_id", d.CurrentRequestId()}, {"message", "Failed to fetch"}});
  auto err = Emitted(a, "error");
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0]["error"]["kind"], "network");
  EXPECT_NE(err[0]["error"]["message"].get<std::string>().find("OLLAMA_ORIGINS"), std::string::npos);
}

TEST(Session, SerializeRestoreRoundTripsAndMarksInFlightRunsCancelled) {
  Driver d;
  d.Send({{"type", "file_upload"}, {"path", "in/data.csv"}, {"data", "a\n1\n"}});
  d.User("go");
  d.Reply(OpenAiToolCalls({{"c1", "print(1)"}}));
  Json state = d.session.Serialize();
  EXPECT_EQ(state["format"], "ci-session");
  EXPECT_EQ(state.dump().find("sk-"), std::string::npos);
  std::vector<std::string> problems;
  auto restored = Session::Restore(state, {{"in/data.csv", "a\n1\n"}}, &problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_NE(restored->vfs().Find("in/data.csv"), nullptr);
  EXPECT_EQ(restored->state_name(), "idle");
  EXPECT_EQ(restored->conversation().entries.back().exec.status, "cancelled");
  // The restored session goes on: new exec ids do not collide.
  auto r = restored->Handle(Json{{"type", "user_code"}, {"code", "1"}, {"now_ms", 5}});
  ASSERT_FALSE(r.error);
  for (const auto& a : r.actions)
    if (a["type"] == "run_code") {
      EXPECT_EQ(a["exec_id"], "x2");
      EXPECT_EQ(a["files"]["write"].size(), 1u) << "a restored session's sandbox is new: files go in again";
    }
  EXPECT_THROW(Session::Restore(Json{{"format", "other"}}, {}, nullptr), std::invalid_argument);
}

TEST(Session, ThinkingIsEmittedSeparately) {
  Driver d(TestConfig("anthropic"));
  d.User("think");
  std::string body =
      AnthropicEvent("message_start", {{"type", "message_start"},
                                       {"message", {{"id", "m"}, {"type", "message"}, {"role", "assistant"}, {"model", "c"},
                                                    {"content", Json::array()}, {"usage", {{"input_tokens", 1}, {"output_tokens", 1}}}}}}) +
      AnthropicEvent("content_block_start", {{"type", "content_block_start"}, {"index", 0}, {"content_block", {{"type", "thinking"}, {"thinking", ""}}}}) +
      AnthropicEvent("content_block_delta", {{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", "thinking_delta"}, {"thinking", "Hmm."}}}}) +
      AnthropicEvent("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}) +
      AnthropicEvent("content_block_start", {{"type", "content_block_start"}, {"index", 1}, {"content_block", {{"type", "text"}, {"text", ""}}}}) +
      AnthropicEvent("content_block_delta", {{"type", "content_block_delta"}, {"index", 1}, {"delta", {{"type", "text_delta"}, {"text", "Done."}}}}) +
      AnthropicEvent("content_block_stop", {{"type", "content_block_stop"}, {"index", 1}}) +
      AnthropicEvent("message_delta", {{"type", "message_delta"}, {"delta", {{"stop_reason", "end_turn"}}}, {"usage", {{"output_tokens", 5}}}}) +
      AnthropicEvent("message_stop", {{"type", "message_stop"}});
  auto r = d.Reply(body, 11);
  std::string thinking;
  for (const auto& e : Emitted(r, "thinking_delta")) thinking += e["text"].get<std::string>();
  EXPECT_EQ(thinking, "Hmm.");
  EXPECT_EQ(AllText(r), "Done.");
}

}  // namespace
}  // namespace ci::testing
