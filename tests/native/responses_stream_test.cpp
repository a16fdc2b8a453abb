// OpenAI Responses API stream decoder ("responses").
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/stream_decoder.h"
#include "core/usage.h"
#include "stream_test_util.h"

namespace ci {
namespace {

using testing::CheckFixture;
using testing::Decode;
using testing::Decoded;

const char* const kResponsesFixtures[] = {
    "responses_text",       "responses_function_call", "responses_text_two_calls", "responses_reasoning_text",
    "responses_incomplete", "responses_failed",        "responses_error_event",   "responses_encrypted_reasoning",
};

class ResponsesFixture : public ::testing::TestWithParam<const char*> {};

// Every 2-way split, a sample of 3-way splits and byte-at-a-time feeding.
TEST_P(ResponsesFixture, MatchesExpectedJsonUnderEverySplit) { CheckFixture("responses", GetParam()); }

INSTANTIATE_TEST_SUITE_P(Recorded, ResponsesFixture, ::testing::ValuesIn(kResponsesFixtures));

std::string Event(const Json& data) { return "event: " + data["type"].get<std::string>() + "\ndata: " + data.dump() + "\n\n"; }

std::string Created(const std::string& id = "resp_1", const std::string& model = "gpt-test") {
  return Event({{"type", "response.created"},
                {"response", {{"id", id}, {"object", "response"}, {"status", "in_progress"}, {"model", model}, {"output", Json::array()}, {"usage", nullptr}}}});
}

std::string TextDelta(const std::string& text, const std::string& item = "msg_1", int content_index = 0) {
  return Event({{"type", "response.output_text.delta"}, {"item_id", item}, {"output_index", 0}, {"content_index", content_index}, {"delta", text}});
}

std::string Completed(const Json& output = Json::array(), const Json& usage = nullptr, const std::string& status = "completed") {
  return Event({{"type", "response." + status},
                {"response", {{"id", "resp_1"}, {"status", status}, {"model", "gpt-test"}, {"output", output}, {"usage", usage}}}});
}

std::string CallAdded(const std::string& item, const std::string& call_id, int output_index, const std::string& name = "python") {
  return Event({{"type", "response.output_item.added"},
                {"output_index", output_index},
                {"item", {{"id", item}, {"type", "function_call"}, {"status", "in_progress"}, {"arguments", ""}, {"call_id", call_id}, {"name", name}}}});
}

std::string ArgsDelta(const std::string& item, int output_index, const std::string& piece) {
  return Event({{"type", "response.function_call_arguments.delta"}, {"item_id", item}, {"output_index", output_index}, {"delta", piece}});
}

TEST(ResponsesStream, FixtureDetailsArePinned) {
  Decoded r = Decode("responses", testing::ReadFixture("streams/responses_reasoning_text.sse"));
  EXPECT_EQ(r.result.thinking,
            "**Computing the mean**\n\nThe user wants the mean of 2, 4 and 6: 12 / 3.\n\n**Answering**\n\nIt is 4.")
      << "summary parts are thinking, one paragraph each";

  Decoded calls = Decode("responses", testing::ReadFixture("streams/responses_text_two_calls.sse"));
  ASSERT_EQ(calls.result.tool_calls.size(), 2u);
  EXPECT_EQ(calls.result.tool_calls[1].id, "call_EEEEffffGGGGhhhh33334444") << "a call's id is its call_id";

  // Cached input is counted apart: input_tokens include the cached ones.
  Decoded fc = Decode("responses", testing::ReadFixture("streams/responses_function_call.sse"));
  TokenUsage u = TokenUsage::FromProvider(fc.result.usage);
  EXPECT_EQ(u.input, 1305 - 1152);
  EXPECT_EQ(u.cache_read, 1152);
  EXPECT_EQ(u.output, 88);
  EXPECT_EQ(u.total(), 1393);

  Decoded inc = Decode("responses", testing::ReadFixture("streams/responses_incomplete.sse"));
  EXPECT_EQ(inc.result.finish_reason.value_or(""), "incomplete:max_output_tokens");
  EXPECT_FALSE(inc.result.error.has_value()) << "an incomplete response is a normal end";
  EXPECT_TRUE(inc.result.complete);
}

TEST(ResponsesStream, OnlyWholeItemsDecodeTheSame) {
  // A server that streams no deltas, only finished items (and the final response).
  Json call{{"id", "fc_1"}, {"type", "function_call"}, {"status", "completed"}, {"arguments", "{\"code\":\"1+1\"}"},
            {"call_id", "call_1"}, {"name", "python"}};
  Json message{{"id", "msg_1"}, {"type", "message"}, {"role", "assistant"},
               {"content", Json::array({Json{{"type", "output_text"}, {"text", "Running it."}}})}};
  std::string body = Created() + Event({{"type", "response.output_item.done"}, {"output_index", 0}, {"item", message}}) +
                     Event({{"type", "response.output_item.done"}, {"output_index", 1}, {"item", call}}) +
                     Completed(Json::array({message, call}));
  Decoded d = Decode("responses", body);
  EXPECT_EQ(d.result.text.value_or(""), "Running it.");
  ASSERT_EQ(d.result.tool_calls.size(), 1u) << d.result.ToJson().dump();
  EXPECT_EQ(d.result.tool_calls[0].id, "call_1");
  EXPECT_EQ(d.result.tool_calls[0].arguments, "{\"code\":\"1+1\"}");
  testing::ExpectDeltasMatchResult(d, "whole items");

  // Only the final response: its output is the reply.
  Decoded f = Decode("responses", Created() + Completed(Json::array({message, call})));
  EXPECT_EQ(f.result.ToJson(), d.result.ToJson());
  testing::ExpectDeltasMatchResult(f, "final response only");
}

TEST(ResponsesStream, DeltasWithoutItemIdsAreNotRepeatedByTheWholeItems) {
  // A server that names no item in its deltas, only the output_index.
  Json message{{"id", "msg_1"}, {"type", "message"}, {"role", "assistant"},
               {"content", Json::array({Json{{"type", "output_text"}, {"text", "Hello there"}}})}};
  Json reasoning{{"id", "rs_1"}, {"type", "reasoning"}, {"summary", Json::array({Json{{"type", "summary_text"}, {"text", "Greet."}}})}};
  std::string body =
      Created() +
      Event({{"type", "response.reasoning_summary_text.delta"}, {"output_index", 0}, {"summary_index", 0}, {"delta", "Greet."}}) +
      Event({{"type", "response.output_text.delta"}, {"output_index", 1}, {"content_index", 0}, {"delta", "Hello"}}) +
      Event({{"type", "response.output_text.delta"}, {"output_index", 1}, {"content_index", 0}, {"delta", " there"}}) +
      Event({{"type", "response.output_item.done"}, {"output_index", 0}, {"item", reasoning}}) +
      Event({{"type", "response.output_item.done"}, {"output_index", 1}, {"item", message}}) +
      Completed(Json::array({reasoning, message}));
  Decoded d = Decode("responses", body);
  EXPECT_EQ(d.result.text.value_or(""), "Hello there");
  EXPECT_EQ(d.result.thinking, "Greet.");
  testing::ExpectDeltasMatchResult(d, "no item ids");
}

TEST(ResponsesStream, DoneEventsAddOnlyWhatTheDeltasMissed) {
  std::string body = Created() + TextDelta("Hel") +
                     Event({{"type", "response.output_text.done"}, {"item_id", "msg_1"}, {"output_index", 0}, {"content_index", 0}, {"text", "Hello"}}) +
                     CallAdded("fc_1", "call_1", 1) + ArgsDelta("fc_1", 1, "{\"code\":") +
                     Event({{"type", "response.function_call_arguments.done"}, {"item_id", "fc_1"}, {"output_index", 1}, {"arguments", "{\"code\":\"x\"}"}}) +
                     Completed();
  Decoded d = Decode("responses", body);
  EXPECT_EQ(d.result.text.value_or(""), "Hello");
  ASSERT_EQ(d.result.tool_calls.size(), 1u);
  EXPECT_EQ(d.result.tool_calls[0].arguments, "{\"code\":\"x\"}");
  testing::ExpectDeltasMatchResult(d, "tails");

  // Arguments the whole string contradicts are replaced by it.
  std::string odd = Created() + CallAdded("fc_1", "call_1", 0) + ArgsDelta("fc_1", 0, "{\"cod") +
                    Event({{"type", "response.function_call_arguments.done"}, {"item_id", "fc_1"}, {"output_index", 0}, {"arguments", "{\"code\":\"y\"}"}}) +
                    Completed();
  EXPECT_EQ(Decode("responses", odd).result.tool_calls[0].arguments, "{\"code\":\"y\"}");
}

TEST(ResponsesStream, ArgumentDeltasFindTheirCallByOutputIndexWithoutItemId) {
  std::string body = Created() + CallAdded("fc_a", "call_a", 0) + CallAdded("fc_b", "call_b", 1) +
                     Event({{"type", "response.function_call_arguments.delta"}, {"output_index", 1}, {"delta", "{}"}}) +
                     ArgsDelta("fc_a", 0, "{\"code\":\"1\"}") + Completed();
  Decoded d = Decode("responses", body);
  ASSERT_EQ(d.result.tool_calls.size(), 2u);
  EXPECT_EQ(d.result.tool_calls[0].arguments, "{\"code\":\"1\"}");
  EXPECT_EQ(d.result.tool_calls[1].arguments, "{}");
}

TEST(ResponsesStream, ErrorsInAllTheirShapes) {
  Decoded nested = Decode("responses", Created() + TextDelta("a") +
                                           Event({{"type", "error"}, {"sequence_number", 3},
                                                  {"error", {{"type", "invalid_request_error"}, {"code", "context_length_exceeded"}, {"message", "too long"}}}}));
  ASSERT_TRUE(nested.result.error.has_value());
  EXPECT_EQ(nested.result.error->type, "invalid_request_error");
  EXPECT_EQ(nested.result.error->message, "too long");
  EXPECT_EQ(nested.result.text.value_or(""), "a") << "what arrived before the error is kept";

  Decoded flat = Decode("responses", Event({{"type", "error"}, {"code", "server_error"}, {"message", "oops"}, {"param", nullptr}}));
  ASSERT_TRUE(flat.result.error.has_value());
  EXPECT_EQ(flat.result.error->type, "server_error");
  EXPECT_EQ(flat.result.error->message, "oops");

  Decoded text = Decode("responses", "event: error\ndata: upstream timed out\n\n");
  ASSERT_TRUE(text.result.error.has_value());
  EXPECT_EQ(text.result.error->message, "upstream timed out");

  Decoded failed = Decode("responses", Created() + Event({{"type", "response.failed"}, {"response", {{"id", "resp_1"}, {"status", "failed"}, {"error", nullptr}}}}));
  ASSERT_TRUE(failed.result.error.has_value()) << "a failed response is an error even without one";
  EXPECT_EQ(failed.result.finish_reason.value_or(""), "failed");

  // Events after an error are ignored.
  Decoded after = Decode("responses", Event({{"type", "error"}, {"code", "x"}, {"message", "m"}}) + TextDelta("late") + Completed());
  EXPECT_FALSE(after.result.text.has_value());
}

TEST(ResponsesStream, EndsAndLeftovers) {
  Decoded cut = Decode("responses", Created() + TextDelta("half an ans"));
  ASSERT_TRUE(cut.result.error.has_value());
  EXPECT_EQ(cut.result.error->type, "incomplete_stream");
  EXPECT_EQ(cut.result.text.value_or(""), "half an ans");

  Decoded after = Decode("responses", Created() + TextDelta("a") + Completed() + TextDelta("b") + "data: junk\n\n");
  EXPECT_EQ(after.result.text.value_or(""), "a") << "events after the final response are ignored";
  EXPECT_FALSE(after.result.error.has_value());

  Decoded done = Decode("responses", Created() + TextDelta("a") + Completed() + "data: [DONE]\n\n");
  EXPECT_FALSE(done.result.error.has_value()) << "[DONE] (sent by some servers) is harmless";

  Decoded unknown = Decode("responses", Created() + Event({{"type", "response.web_search_call.searching"}, {"item_id", "ws"}}) +
                                            Event({{"type", "response.future_thing"}, {"x", Json::array({1, 2})}}) + TextDelta("ok") + Completed());
  EXPECT_FALSE(unknown.result.error.has_value()) << "unknown events are ignored";
  EXPECT_EQ(unknown.result.text.value_or(""), "ok");

  Decoded empty = Decode("responses", Created() + Completed());
  EXPECT_FALSE(empty.result.text.has_value()) << "no text at all is null";
  EXPECT_EQ(empty.result.id, "resp_1");
  EXPECT_EQ(empty.result.model, "gpt-test");
}

TEST(ResponsesStream, RefusalsAndRawReasoning) {
  std::string body = Created() +
                     Event({{"type", "response.reasoning_text.delta"}, {"item_id", "rs_1"}, {"output_index", 0}, {"content_index", 0}, {"delta", "think"}}) +
                     Event({{"type", "response.refusal.delta"}, {"item_id", "msg_1"}, {"output_index", 1}, {"content_index", 0}, {"delta", "I can't help with that."}}) +
                     Completed();
  Decoded d = Decode("responses", body);
  EXPECT_EQ(d.result.thinking, "think");
  EXPECT_EQ(d.result.text.value_or(""), "I can't help with that.");
}

TEST(ResponsesStream, UsageWithoutDetailsCountsAllInputAsUncached) {
  TokenUsage u = TokenUsage::FromProvider(Json{{"input_tokens", 10}, {"output_tokens", 3}, {"total_tokens", 13}});
  EXPECT_EQ(u.input, 10);
  EXPECT_EQ(u.cache_read, 0);
  EXPECT_EQ(u.total(), 13);
}

}  // namespace
}  // namespace ci
