// ProviderConfig and StreamResult JSON forms (the JS wire).
#include "core/llm_types.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ci {
namespace {

TEST(ProviderConfig, RoundTripsThroughJson) {
  ProviderConfig c;
  c.format = "anthropic";
  c.base_url = "https://api.anthropic.com/v1";
  c.model = "claude-sonnet-4-5";
  c.temperature = 0.25;
  c.max_tokens = 8192;
  c.tools = false;
  c.include_usage = false;
  c.auth = "x-api-key";
  c.extra_headers["anthropic-version"] = "2023-06-01";
  Json j = c.ToJson();
  ProviderConfig back = ProviderConfig::FromJson(j);
  EXPECT_EQ(back.ToJson(), j);
  EXPECT_EQ(back.max_tokens.value_or(0), 8192);
  EXPECT_EQ(back.extra_headers.at("anthropic-version"), "2023-06-01");
}

TEST(ProviderConfig, ResponsesFormatAndReasoningSummary) {
  ProviderConfig c = ProviderConfig::FromJson(
      Json::parse(R"({"format":"responses","base_url":"https://api.openai.com/v1","model":"gpt-5","reasoning_summary":"auto"})"));
  EXPECT_EQ(c.format, "responses");
  EXPECT_EQ(c.reasoning_summary.value_or(""), "auto");
  EXPECT_EQ(ProviderConfig::FromJson(c.ToJson()).ToJson(), c.ToJson());
  ProviderConfig plain = ProviderConfig::FromJson(Json::parse(R"({"format":"responses","reasoning_summary":null})"));
  EXPECT_FALSE(plain.reasoning_summary.has_value());
  EXPECT_FALSE(plain.ToJson().contains("reasoning_summary")) << "absent when unset";
  EXPECT_THROW(ProviderConfig::FromJson(Json::parse(R"({"reasoning_summary":"lots"})")), std::invalid_argument);
  EXPECT_THROW(ProviderConfig::FromJson(Json::parse(R"({"reasoning_summary":true})")), std::invalid_argument);
}

TEST(ProviderConfig, MissingKeysKeepDefaults) {
  ProviderConfig c = ProviderConfig::FromJson(Json::parse(R"({"base_url":"http://localhost:11434/v1","model":"qwen3"})"));
  EXPECT_EQ(c.format, "openai");
  EXPECT_EQ(c.auth, "bearer");
  EXPECT_TRUE(c.tools);
  EXPECT_TRUE(c.include_usage);
  EXPECT_FALSE(c.temperature.has_value());
  EXPECT_EQ(c.model, "qwen3");
}

TEST(ProviderConfig, BadConfigsThrowWithAClearMessage) {
  auto message_of = [](const char* text) -> std::string {
    try {
      ProviderConfig::FromJson(Json::parse(text));
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(no exception)";
  };
  EXPECT_NE(message_of(R"({"format":"gemini"})").find("unknown format \"gemini\""), std::string::npos);
  EXPECT_NE(message_of(R"({"auth":"basic"})").find("unknown auth \"basic\""), std::string::npos);
  EXPECT_NE(message_of(R"({"base_url":42})").find("\"base_url\" must be a string"), std::string::npos);
  EXPECT_NE(message_of(R"({"max_tokens":-1})").find("max_tokens"), std::string::npos);
  EXPECT_NE(message_of(R"({"temperature":"hot"})").find("temperature"), std::string::npos);
  EXPECT_NE(message_of(R"({"tools":"yes"})").find("\"tools\""), std::string::npos);
  EXPECT_NE(message_of(R"({"extra_headers":{"x":1}})").find("extra header \"x\""), std::string::npos);
  EXPECT_NE(message_of("[1]").find("expected a JSON object"), std::string::npos);
}

TEST(StreamResult, ToJsonHasExactlyTheWireKeys) {
  StreamResult empty;
  EXPECT_EQ(empty.ToJson().dump(),
            R"({"text":null,"tool_calls":[],"finish_reason":null,"usage":null,"model":"","id":"","error":null})");
  StreamResult r;
  r.text = "hi";
  r.thinking = "not on the wire";
  r.tool_calls.push_back({"call_1", "python", "{\"code\":\"1\"}"});
  r.finish_reason = "tool_calls";
  r.usage = Json{{"total_tokens", 3}};
  r.model = "m";
  r.id = "i";
  r.error = StreamError{"incomplete_stream", "cut"};
  EXPECT_EQ(r.ToJson().dump(),
            R"({"text":"hi","tool_calls":[{"id":"call_1","name":"python","arguments":"{\"code\":\"1\"}"}],)"
            R"("finish_reason":"tool_calls","usage":{"total_tokens":3},"model":"m","id":"i",)"
            R"("error":{"type":"incomplete_stream","message":"cut"}})");
}

}  // namespace
}  // namespace ci
