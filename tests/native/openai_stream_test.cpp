// OpenAI Chat Completions stream decoder, plus hostile input for every
// decoder (MakeStreamDecoder).
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

const char* const kOpenAiFixtures[] = {
    "openai_text",         "openai_tool_call",          "openai_parallel_tool_calls",
    "openai_include_usage", "openai_n2_choices",        "openai_error_midstream",
    "openai_finish_length", "openai_deepseek_reasoning", "openai_ollama_tool_call",
};

class OpenAiFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(OpenAiFixture, MatchesExpectedJsonUnderEverySplit) { CheckFixture("openai", GetParam()); }

INSTANTIATE_TEST_SUITE_P(Recorded, OpenAiFixture, ::testing::ValuesIn(kOpenAiFixtures));

std::string Chunk(const std::string& delta_json, const std::string& finish = "null") {
  return "data: {\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
         "\"choices\":[{\"index\":0,\"delta\":" +
         delta_json + ",\"finish_reason\":" + finish + "}]}\n\n";
}

TEST(OpenAiStream, FixtureDetailsArePinned) {
  Decoded usage = Decode("openai", testing::ReadFixture("streams/openai_include_usage.sse"));
  ASSERT_TRUE(usage.result.usage.is_object()) << "the empty-choices chunk carries usage";
  EXPECT_EQ(usage.result.usage["total_tokens"], 1206);
  EXPECT_TRUE(usage.result.complete);

  Decoded n2 = Decode("openai", testing::ReadFixture("streams/openai_n2_choices.sse"));
  EXPECT_EQ(n2.result.text.value_or(""), "Plot a histogram of `units`.") << "choice 1 must be ignored";

  Decoded ds = Decode("openai", testing::ReadFixture("streams/openai_deepseek_reasoning.sse"));
  EXPECT_EQ(ds.result.thinking, "The user wants the mean: 6 / 3.") << "reasoning_content is thinking";

  Decoded ol = Decode("openai", testing::ReadFixture("streams/openai_ollama_tool_call.sse"));
  EXPECT_EQ(ol.result.thinking, "I should run code to count the rows.") << "`reasoning` is thinking";
}

TEST(OpenAiStream, ToolCallsWithoutIndexAreKeyedById) {
  std::string body =
      Chunk(R"({"tool_calls":[{"id":"call_a","type":"function","function":{"name":"python","arguments":"{\"co"}}]})") +
      Chunk(R"({"tool_calls":[{"id":"call_b","type":"function","function":{"name":"python","arguments":"{}"}}]})") +
      Chunk(R"({"tool_calls":[{"id":"call_a","function":{"arguments":"de\":1}"}}]})") + Chunk("{}", "\"tool_calls\"") +
      "data: [DONE]\n\n";
  Decoded d = Decode("openai", body);
  ASSERT_EQ(d.result.tool_calls.size(), 2u);
  EXPECT_EQ(d.result.tool_calls[0].arguments, "{\"code\":1}");
  EXPECT_EQ(d.result.tool_calls[1].id, "call_b");
  EXPECT_EQ(d.result.tool_calls[1].arguments, "{}");
  EXPECT_FALSE(d.result.error.has_value());
}

TEST(OpenAiStream, FragmentsWithNeitherIndexNorIdExtendTheLatestCall) {
  std::string body = Chunk(R"({"tool_calls":[{"id":"c1","function":{"name":"python","arguments":"{\"a\""}}]})") +
                     Chunk(R"({"tool_calls":[{"function":{"arguments":":2}"}}]})") + Chunk("{}", "\"tool_calls\"");
  Decoded d = Decode("openai", body);
  ASSERT_EQ(d.result.tool_calls.size(), 1u);
  EXPECT_EQ(d.result.tool_calls[0].arguments, "{\"a\":2}");
}

TEST(OpenAiStream, ANewIdOnAUsedIndexStartsANewCall) {
  std::string body =
      Chunk(R"({"tool_calls":[{"index":0,"id":"c1","function":{"name":"python","arguments":"{\"x\":1}"}}]})") +
      Chunk(R"({"tool_calls":[{"index":0,"id":"c2","function":{"name":"python","arguments":"{\"x\":2}"}}]})") +
      Chunk("{}", "\"tool_calls\"");
  Decoded d = Decode("openai", body);
  ASSERT_EQ(d.result.tool_calls.size(), 2u);
  EXPECT_EQ(d.result.tool_calls[0].arguments, "{\"x\":1}");
  EXPECT_EQ(d.result.tool_calls[1].arguments, "{\"x\":2}");
}

TEST(OpenAiStream, ObjectArgumentsAreSerialized) {
  Decoded d = Decode("openai", Chunk(R"({"tool_calls":[{"index":0,"id":"c","function":{"name":"python","arguments":{"code":"1"}}}]})",
                                     "\"tool_calls\""));
  ASSERT_EQ(d.result.tool_calls.size(), 1u);
  EXPECT_EQ(d.result.tool_calls[0].arguments, "{\"code\":\"1\"}");
}

TEST(OpenAiStream, EventsAfterDoneAreIgnored) {
  Decoded d = Decode("openai", Chunk(R"({"content":"a"})") + "data: [DONE]\n\n" + Chunk(R"({"content":"b"})") + "data: junk\n\n");
  EXPECT_EQ(d.result.text.value_or(""), "a");
  EXPECT_FALSE(d.result.error.has_value());
  EXPECT_TRUE(d.result.complete);
}

TEST(OpenAiStream, FinishReasonWithoutDoneIsComplete) {
  Decoded d = Decode("openai", Chunk(R"({"content":"hi"})") + Chunk("{}", "\"stop\""));
  EXPECT_FALSE(d.result.error.has_value()) << d.result.ToJson().dump();
  EXPECT_EQ(d.result.finish_reason.value_or(""), "stop");
}

TEST(OpenAiStream, CutConnectionIsIncompleteAndKeepsThePartialText) {
  Decoded d = Decode("openai", Chunk(R"({"content":"half an ans"})"));
  ASSERT_TRUE(d.result.error.has_value());
  EXPECT_EQ(d.result.error->type, "incomplete_stream");
  EXPECT_EQ(d.result.text.value_or(""), "half an ans");
  EXPECT_FALSE(d.result.complete);
}

TEST(OpenAiStream, EmptyContentLeavesTextNull) {
  Decoded d = Decode("openai", Chunk(R"({"role":"assistant","content":""})") + Chunk("{}", "\"stop\""));
  EXPECT_FALSE(d.result.text.has_value()) << "no text at all is null, not \"\"";
}

TEST(OpenAiStream, ErrorAsAStringAndErrorEventsAreErrors) {
  Decoded s = Decode("openai", Chunk(R"({"content":"a"})") + "data: {\"error\":\"model overloaded\"}\n\n");
  ASSERT_TRUE(s.result.error.has_value());
  EXPECT_EQ(s.result.error->message, "model overloaded");
  EXPECT_EQ(s.result.error->type, "provider_error");

  Decoded e = Decode("openai", "event: error\ndata: upstream timed out\n\n");
  ASSERT_TRUE(e.result.error.has_value());
  EXPECT_EQ(e.result.error->message, "upstream timed out");

  Decoded code = Decode("openai", "data: {\"error\":{\"message\":\"m\",\"code\":\"rate_limit_exceeded\"}}\n\n");
  ASSERT_TRUE(code.result.error.has_value());
  EXPECT_EQ(code.result.error->type, "rate_limit_exceeded") << "code stands in for a missing type";
}

TEST(OpenAiStream, NonJsonDataNamesWhatWasReceived) {
  Decoded d = Decode("openai", "data: <html><head><title>502 Bad Gateway</title></head></html>\n\n");
  ASSERT_TRUE(d.result.error.has_value());
  EXPECT_EQ(d.result.error->type, "stream_error");
  EXPECT_NE(d.result.error->message.find("not JSON"), std::string::npos) << d.result.error->message;
  EXPECT_NE(d.result.error->message.find("<html><head><title>502"), std::string::npos) << d.result.error->message;
}

TEST(OpenAiStream, LongGarbageIsQuotedShortAndSanitized) {
  std::string junk(5000, 'z');
  junk[3] = '\x01';
  junk[10] = '\xFF';
  Decoded d = Decode("openai", "data: " + junk + "\n\n");
  ASSERT_TRUE(d.result.error.has_value());
  EXPECT_LT(d.result.error->message.size(), 200u) << "the excerpt must be short";
  EXPECT_EQ(d.result.error->message.find('\x01'), std::string::npos) << "control characters are not echoed";
  EXPECT_NE(d.result.error->message.find("\xEF\xBF\xBD"), std::string::npos) << "invalid UTF-8 becomes U+FFFD";
}

// ---------------------------------------------------------------- every format

class HostileStream : public ::testing::TestWithParam<const char*> {
 protected:
  std::string format() const { return GetParam(); }
  // A valid text event for this format.
  std::string TextEvent(const std::string& text) const {
    if (format() == "openai") return Chunk("{\"content\":" + Json(text).dump() + "}");
    if (format() == "responses")
      return "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_x\","
             "\"output_index\":0,\"content_index\":0,\"delta\":" +
             Json(text).dump() + "}\n\n";
    return "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
           "\"text_delta\",\"text\":" +
           Json(text).dump() + "}}\n\n";
  }
  std::string Start() const {
    if (format() == "openai") return "";
    if (format() == "responses")
      return "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_x\","
             "\"status\":\"in_progress\",\"model\":\"m\",\"output\":[]}}\n\n";
    return "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_x\",\"model\":\"m\","
           "\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\nevent: content_block_start\ndata: "
           "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
  }
  std::string End() const {
    if (format() == "openai") return Chunk("{}", "\"stop\"") + "data: [DONE]\n\n";
    if (format() == "responses")
      return "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_x\","
             "\"status\":\"completed\",\"model\":\"m\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n";
    return "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
           "\"usage\":{\"output_tokens\":5}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  }
};

TEST_P(HostileStream, RandomGarbageEndsInAnErrorWithoutCrashing) {
  uint32_t state = 99;
  for (int round = 0; round < 50; ++round) {
    std::string junk;
    for (int i = 0; i < 2000; ++i) {
      state = state * 1103515245u + 12345u;
      junk.push_back(static_cast<char>(state >> 16));
    }
    Decoded d = Decode(format(), junk);
    EXPECT_TRUE(d.result.error.has_value()) << "round " << round;
  }
}

TEST_P(HostileStream, HtmlPageServedAs200IsAClearError) {
  Decoded d = Decode(format(),
                     "<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head><body>checking your "
                     "browser</body></html>\n");
  ASSERT_TRUE(d.result.error.has_value());
  // No "data:" line at all: nothing was decoded, and the stream never ended.
  EXPECT_EQ(d.result.error->type, "incomplete_stream");
}

TEST_P(HostileStream, TruncatedJsonIsAStreamError) {
  Decoded d = Decode(format(), Start() + TextEvent("ok") + "data: {\"type\":\"content_block_delta\",\"ind\n\n");
  ASSERT_TRUE(d.result.error.has_value());
  EXPECT_EQ(d.result.error->type, "stream_error");
  EXPECT_NE(d.result.error->message.find("not JSON"), std::string::npos) << d.result.error->message;
  EXPECT_EQ(d.result.text.value_or(""), "ok") << "what arrived before the error is kept";
}

TEST_P(HostileStream, EndlessLineOverTheBoundIsAStreamError) {
  auto decoder = MakeStreamDecoder(format());
  std::vector<StreamDelta> deltas;
  decoder->Feed(Start() + TextEvent("before") + "data: ", &deltas);
  std::string mb(1 << 20, 'a');
  for (int i = 0; i < 17 && !decoder->result().error; ++i) decoder->Feed(mb, &deltas);
  decoder->Finish(&deltas);
  ASSERT_TRUE(decoder->result().error.has_value());
  EXPECT_EQ(decoder->result().error->type, "stream_error");
  EXPECT_NE(decoder->result().error->message.find("without completing an event"), std::string::npos)
      << decoder->result().error->message;
}

TEST_P(HostileStream, DeeplyNestedJsonIsRejectedWithoutRecursion) {
  std::string deep = "data: {\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}\n\n";
  Decoded d = Decode(format(), Start() + deep);
  ASSERT_TRUE(d.result.error.has_value());
  EXPECT_NE(d.result.error->message.find("deeper than 256"), std::string::npos) << d.result.error->message;
}

TEST_P(HostileStream, BracketsInsideStringsDoNotCountAsNesting) {
  std::string text = std::string(1000, '[') + "\\\"{";
  Decoded d = Decode(format(), Start() + TextEvent(text) + End());
  EXPECT_FALSE(d.result.error.has_value()) << d.result.ToJson().dump();
  EXPECT_EQ(d.result.text.value_or(""), text);
}

TEST_P(HostileStream, InvalidUtf8BecomesReplacementCharacters) {
  std::string body = Start() + TextEvent("caf") + End();
  size_t at = body.find("caf") + 3;
  body.insert(at, "\xC3");  // a lead byte with no continuation
  Decoded d = Decode(format(), body);
  EXPECT_FALSE(d.result.error.has_value()) << d.result.ToJson().dump();
  EXPECT_EQ(d.result.text.value_or(""), "caf\xEF\xBF\xBD");
}

TEST_P(HostileStream, NulBytesEndInAnError) {
  std::string body = Start() + TextEvent("a") + std::string("data: {\"x\":\0}\n\n", 15) + End();
  Decoded d = Decode(format(), body);
  ASSERT_TRUE(d.result.error.has_value());
  EXPECT_EQ(d.result.error->type, "stream_error");
}

TEST_P(HostileStream, FiftyMegabytesOfSmallEventsWork) {
  auto decoder = MakeStreamDecoder(format());
  std::vector<StreamDelta> deltas;
  decoder->Feed(Start(), &deltas);
  std::string block;
  std::string event = TextEvent("x");
  while (block.size() < (1u << 20)) block += event;
  size_t events_per_block = block.size() / event.size();
  size_t total = 0, count = 0;
  while (total < (50u << 20)) {
    decoder->Feed(block, &deltas);
    total += block.size();
    count += events_per_block;
    deltas.clear();  // a UI consumes these as they come
  }
  decoder->Feed(End(), &deltas);
  decoder->Finish(&deltas);
  const StreamResult& r = decoder->result();
  EXPECT_FALSE(r.error.has_value()) << r.error->message;
  EXPECT_EQ(r.text.value_or("").size(), count);
  EXPECT_TRUE(r.complete);
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, HostileStream, ::testing::Values("openai", "anthropic", "responses"));

TEST(MakeStreamDecoder, UnknownFormatIsNull) {
  EXPECT_EQ(MakeStreamDecoder("gemini"), nullptr);
  EXPECT_NE(MakeStreamDecoder("openai"), nullptr);
  EXPECT_NE(MakeStreamDecoder("anthropic"), nullptr);
  EXPECT_NE(MakeStreamDecoder("responses"), nullptr);
}

}  // namespace
}  // namespace ci
