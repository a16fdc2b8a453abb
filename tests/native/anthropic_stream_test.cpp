// Anthropic Messages stream decoder.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/stream_decoder.h"
#include "stream_test_util.h"

namespace ci {
namespace {

using testing::CheckFixture;
using testing::Decode;
using testing::Decoded;

const char* const kAnthropicFixtures[] = {
    "anthropic_text",       "anthropic_thinking_text", "anthropic_tool_use",
    "anthropic_text_tool_use", "anthropic_pings",      "anthropic_overloaded_error",
    "anthropic_tool_use_empty_input",
};

class AnthropicFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(AnthropicFixture, MatchesExpectedJsonUnderEverySplit) { CheckFixture("anthropic", GetParam()); }

INSTANTIATE_TEST_SUITE_P(Recorded, AnthropicFixture, ::testing::ValuesIn(kAnthropicFixtures));

std::string Event(const std::string& name, const std::string& data) {
  return "event: " + name + "\ndata: " + data + "\n\n";
}
const std::string kStart = Event("message_start",
                                 R"({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",)"
                                 R"("content":[],"model":"claude-x","stop_reason":null,"stop_sequence":null,)"
                                 R"("usage":{"input_tokens":10,"cache_read_input_tokens":4,"output_tokens":1}}})");
const std::string kStop = Event("message_stop", R"({"type":"message_stop"})");
std::string MessageDelta(const std::string& stop, const std::string& usage) {
  return Event("message_delta", R"({"type":"message_delta","delta":{"stop_reason":")" + stop +
                                    R"(","stop_sequence":null},"usage":)" + usage + "}");
}
std::string TextBlock(int index, const std::string& text) {
  std::string i = std::to_string(index);
  return Event("content_block_start", R"({"type":"content_block_start","index":)" + i +
                                          R"(,"content_block":{"type":"text","text":""}})") +
         Event("content_block_delta", R"({"type":"content_block_delta","index":)" + i +
                                          R"(,"delta":{"type":"text_delta","text":)" + Json(text).dump() + "}}") +
         Event("content_block_stop", R"({"type":"content_block_stop","index":)" + i + "}");
}

TEST(AnthropicStream, FixtureDetailsArePinned) {
  Decoded t = Decode("anthropic", testing::ReadFixture("streams/anthropic_thinking_text.sse"));
  EXPECT_EQ(t.result.thinking,
            "The user asks whether the two groups differ. A Welch t-test fits: unequal variances, n≈40 each.")
      << "thinking_delta pieces are thinking; the signature is not";
  EXPECT_TRUE(t.result.complete);
  Decoded u = Decode("anthropic", testing::ReadFixture("streams/anthropic_tool_use.sse"));
  EXPECT_EQ(u.result.usage["output_tokens"], 97) << "message_delta usage overrides";
  EXPECT_EQ(u.result.usage["service_tier"], "standard") << "message_start usage keys are kept";
}

TEST(AnthropicStream, UsageFromMessageStartIsMergedWithMessageDelta) {
  Decoded d = Decode("anthropic", kStart + TextBlock(0, "hi") +
                                      MessageDelta("end_turn", R"({"output_tokens":42,"cache_read_input_tokens":null})") + kStop);
  ASSERT_TRUE(d.result.usage.is_object());
  EXPECT_EQ(d.result.usage.dump(), R"({"input_tokens":10,"cache_read_input_tokens":4,"output_tokens":42})")
      << "output_tokens replaced, a null does not erase a known count";
  EXPECT_EQ(d.result.id, "msg_1");
  EXPECT_EQ(d.result.model, "claude-x");
  EXPECT_EQ(d.result.finish_reason.value_or(""), "end_turn");
}

TEST(AnthropicStream, ToolUseWithoutDeltasTakesTheStartInput) {
  std::string body = kStart +
                     Event("content_block_start", R"({"type":"content_block_start","index":0,"content_block":)"
                                                  R"({"type":"tool_use","id":"toolu_1","name":"python","input":{"code":"1+1"}}})") +
                     Event("content_block_stop", R"({"type":"content_block_stop","index":0})") +
                     MessageDelta("tool_use", R"({"output_tokens":9})") + kStop;
  Decoded d = Decode("anthropic", body);
  ASSERT_EQ(d.result.tool_calls.size(), 1u);
  EXPECT_EQ(d.result.tool_calls[0].arguments, R"({"code":"1+1"})");
  EXPECT_EQ(d.result.tool_calls[0].id, "toolu_1");
}

TEST(AnthropicStream, ToolUseCutBeforeItsStopStillGetsArguments) {
  std::string body = kStart + Event("content_block_start", R"({"type":"content_block_start","index":0,"content_block":)"
                                                           R"({"type":"tool_use","id":"toolu_1","name":"python","input":{}}})");
  Decoded d = Decode("anthropic", body);
  ASSERT_EQ(d.result.tool_calls.size(), 1u);
  EXPECT_EQ(d.result.tool_calls[0].arguments, "{}");
  ASSERT_TRUE(d.result.error.has_value());
  EXPECT_EQ(d.result.error->type, "incomplete_stream");
}

TEST(AnthropicStream, StopReasonWithoutMessageStopIsComplete) {
  Decoded d = Decode("anthropic", kStart + TextBlock(0, "ok") + MessageDelta("max_tokens", R"({"output_tokens":3})"));
  EXPECT_FALSE(d.result.error.has_value()) << d.result.ToJson().dump();
  EXPECT_EQ(d.result.finish_reason.value_or(""), "max_tokens");
}

TEST(AnthropicStream, NoEndIsIncompleteAndKeepsThePartialText) {
  Decoded d = Decode("anthropic", kStart + TextBlock(0, "partial"));
  ASSERT_TRUE(d.result.error.has_value());
  EXPECT_EQ(d.result.error->type, "incomplete_stream");
  EXPECT_EQ(d.result.text.value_or(""), "partial");
}

TEST(AnthropicStream, ErrorEventTakesTheProviderTypeAndIgnoresTheRest) {
  Decoded d = Decode("anthropic", kStart + TextBlock(0, "a") +
                                      Event("error", R"({"type": "error", "error": {"type": "api_error", "message": "Internal server error"}})") +
                                      TextBlock(1, "b") + kStop);
  ASSERT_TRUE(d.result.error.has_value());
  EXPECT_EQ(d.result.error->type, "api_error");
  EXPECT_EQ(d.result.error->message, "Internal server error");
  EXPECT_EQ(d.result.text.value_or(""), "a") << "nothing after an error counts";
  EXPECT_FALSE(d.result.finish_reason.has_value());
}

TEST(AnthropicStream, UnknownEventsAndBlocksAreIgnored) {
  std::string body = kStart +
                     Event("content_block_start", R"({"type":"content_block_start","index":0,"content_block":)"
                                                  R"({"type":"redacted_thinking","data":"EmwKAhgB"}})") +
                     Event("content_block_stop", R"({"type":"content_block_stop","index":0})") +
                     Event("some_future_event", R"({"type":"some_future_event","x":1})") + TextBlock(1, "fine") +
                     MessageDelta("end_turn", R"({"output_tokens":2})") + kStop;
  Decoded d = Decode("anthropic", body);
  EXPECT_FALSE(d.result.error.has_value()) << d.result.ToJson().dump();
  EXPECT_EQ(d.result.text.value_or(""), "fine");
}

TEST(AnthropicStream, EventsAfterMessageStopAreIgnored) {
  Decoded d = Decode("anthropic", kStart + TextBlock(0, "a") + kStop + TextBlock(1, "b") + "data: junk\n\n");
  EXPECT_FALSE(d.result.error.has_value());
  EXPECT_EQ(d.result.text.value_or(""), "a");
}

TEST(AnthropicStream, NonJsonErrorEventIsAProviderError) {
  Decoded d = Decode("anthropic", kStart + "event: error\ndata: upstream connect error\n\n");
  ASSERT_TRUE(d.result.error.has_value());
  EXPECT_EQ(d.result.error->type, "provider_error");
  EXPECT_EQ(d.result.error->message, "upstream connect error");
}

TEST(AnthropicStream, NoTextBlocksLeaveTextNull) {
  Decoded d = Decode("anthropic", testing::ReadFixture("streams/anthropic_tool_use.sse"));
  EXPECT_FALSE(d.result.text.has_value());
}

}  // namespace
}  // namespace ci
