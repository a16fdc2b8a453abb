// What a hostile or broken endpoint can no longer do to a turn (found by the
// browser corpus in tests/security/hostile-streams.test.mjs): stall right
// after the first byte, stream without end, send megabytes of text, answer
// 200 with something that is not a stream, or reply with nothing at all.
#include <gtest/gtest.h>

#include "session_harness.h"

using namespace ci;
using namespace ci::testing;

namespace {

std::string ErrorType(const std::vector<Json>& actions) {
  auto err = Emitted(actions, "error");
  return err.empty() ? "" : err[0]["error"].value("type", "");
}

std::string AssistantText(const Session& s) {
  for (const auto& e : s.conversation().entries)
    if (e.kind == Entry::Kind::kAssistant) return e.text;
  return "";
}

std::string ErrorMessage(const std::vector<Json>& actions) {
  auto err = Emitted(actions, "error");
  return err.empty() ? "" : err[0]["error"].value("message", "");
}

}  // namespace

TEST(HostileReply, AStallRightAfterTheFirstByteIsSeenAtTheIdleDeadline) {
  SessionConfig c = TestConfig();
  c.limits.request_timeout_ms = 120000;
  c.limits.idle_timeout_ms = 60000;
  Driver d(c);
  auto a = d.User("hi");
  auto armed = OfType(a, "set_timer");
  ASSERT_EQ(armed.size(), 1u);
  EXPECT_EQ(armed[0]["delay_ms"], 60000) << "never longer than the idle timeout";
  d.now += 1000;
  auto chunk = d.session.FeedLlmBytes(d.CurrentRequestId(), OpenAiText({"par"}, false), d.now);
  EXPECT_TRUE(OfType(chunk.actions, "set_timer").empty()) << "chunks cost no timer actions";
  d.now += 59000;  // 60 s after the request, 59 s after the last byte
  auto t1 = d.Send({{"type", "timer_fired"}, {"timer_id", armed[0]["timer_id"]}});
  auto re = OfType(t1, "set_timer");
  ASSERT_EQ(re.size(), 1u);
  EXPECT_EQ(re[0]["delay_ms"], 1000);
  d.now += 1000;
  auto t2 = d.Send({{"type", "timer_fired"}, {"timer_id", re[0]["timer_id"]}});
  EXPECT_NE(ErrorMessage(t2).find("stalled"), std::string::npos) << "61 s, not the 120 s first-byte timeout";
  EXPECT_EQ(AssistantText(d.session), "par");
}

TEST(HostileReply, KeepAlivesCannotHoldATurnPastTheReplyDeadline) {
  SessionConfig c = TestConfig();
  c.limits.request_timeout_ms = 10000;
  c.limits.idle_timeout_ms = 3000;
  c.limits.max_reply_ms = 8000;
  Driver d(c);
  auto a = d.User("hi");
  int64_t timer = OfType(a, "set_timer")[0]["timer_id"];
  std::vector<Json> last;
  for (int i = 0; i < 20 && Emitted(last, "error").empty(); ++i) {
    d.now += 1000;
    d.session.FeedLlmBytes(d.CurrentRequestId(), ": keep-alive\n\n", d.now);
    if (d.now % 3000 == 0 || d.now >= 8000) {
      last = d.Send({{"type", "timer_fired"}, {"timer_id", timer}});
      auto re = OfType(last, "set_timer");
      if (!re.empty()) timer = re[0]["timer_id"];
    }
  }
  ASSERT_EQ(Emitted(last, "error").size(), 1u);
  EXPECT_NE(ErrorMessage(last).find("took longer than 8 s"), std::string::npos) << ErrorMessage(last);
  EXPECT_LE(d.now, 9000);
  EXPECT_EQ(OfType(last, "abort_request").size(), 1u);
  EXPECT_EQ(d.session.state_name(), "idle");
}

TEST(HostileReply, AReplyOverTheSizeLimitStopsWithWhatArrivedKept) {
  SessionConfig c = TestConfig();
  c.limits.max_reply_bytes = 4096;
  Driver d(c);
  d.User("write a lot");
  std::vector<std::string> pieces(100, std::string(100, 'a'));
  std::string body = OpenAiText(pieces, false);
  int64_t id = d.CurrentRequestId();
  Session::Result r;
  size_t fed = 0;
  for (; fed < body.size(); fed += 500) {  // as a network delivers it: in pieces
    r = d.session.FeedLlmBytes(id, std::string_view(body).substr(fed, 500), d.now);
    if (!Emitted(r.actions, "error").empty()) break;
  }
  EXPECT_LT(fed + 500, body.size()) << "stopped before the end of the body";
  EXPECT_EQ(ErrorType(r.actions), "reply_too_large");
  EXPECT_NE(ErrorMessage(r.actions).find("4.0 KB"), std::string::npos) << ErrorMessage(r.actions);
  EXPECT_EQ(OfType(r.actions, "abort_request").size(), 1u);
  EXPECT_EQ(d.session.state_name(), "idle");
  const std::string kept = AssistantText(d.session);
  EXPECT_GT(kept.size(), 4096u);
  EXPECT_LT(kept.size(), 4096u + 500u) << "stopped at the chunk that crossed the limit";
}

TEST(HostileReply, AnHtmlPageWithStatus200EndsTheTurnWithoutRetries) {
  Driver d;
  d.User("hi");
  auto r = d.Reply("<!doctype html><html><head><title>Sign in to the Wi-Fi</title></head><body>...</body></html>", 17, 200,
                   Json{{"content-type", "text/html; charset=utf-8"}});
  EXPECT_EQ(ErrorType(r), "not_a_stream");
  EXPECT_NE(ErrorMessage(r).find("web page"), std::string::npos);
  EXPECT_NE(ErrorMessage(r).find("text/html"), std::string::npos);
  EXPECT_TRUE(Emitted(r, "retrying").empty());
  EXPECT_EQ(d.session.state_name(), "idle");
}

TEST(HostileReply, OneJsonDocumentInsteadOfAStreamIsNamed) {
  Driver d;
  d.User("hi");
  auto r = d.Reply(R"({"id":"x","choices":[{"message":{"role":"assistant","content":"hello"}}]})", 17, 200,
                   Json{{"content-type", "application/json"}});
  EXPECT_EQ(ErrorType(r), "not_a_stream");
  EXPECT_NE(ErrorMessage(r).find("may not support streaming"), std::string::npos);
  EXPECT_TRUE(Emitted(r, "retrying").empty());

  d.User("again");
  auto e = d.Reply(R"({"error":{"message":"Model is loading","type":"server_busy"}})", 17, 200);
  EXPECT_EQ(ErrorType(e), "server_busy");
  EXPECT_NE(ErrorMessage(e).find("Model is loading"), std::string::npos);

  d.User("binary");
  auto junk = d.Reply(std::string("\x00\x01\x02 junk \xff", 10), 17, 200, Json{{"content-type", "application/octet-stream"}});
  EXPECT_EQ(ErrorType(junk), "not_a_stream");
  EXPECT_NE(ErrorMessage(junk).find("application/octet-stream"), std::string::npos);

  d.User("and again");
  auto empty = d.Reply("", 17, 200);
  EXPECT_EQ(ErrorType(empty), "empty_response");
  EXPECT_TRUE(Emitted(empty, "retrying").empty());
}

TEST(HostileReply, AnEmptyReplySaysSo) {
  Driver d;
  d.User("hi");
  auto r = d.Reply("data: [DONE]\n\n");
  auto notices = Emitted(r, "notice");
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0]["text"].get<std::string>().find("empty reply"), std::string::npos);
  EXPECT_EQ(Emitted(r, "turn_done")[0]["reason"], "completed");
}
