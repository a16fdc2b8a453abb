// What the core owns and answers for (issue 11): the one error shape of
// refused events, per-turn token usage, the title, the queue of user code,
// and the model list. Driven like session_test.cpp.
#include <gtest/gtest.h>

#include "core/api_error.h"
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

}  // namespace
}  // namespace ci::testing
