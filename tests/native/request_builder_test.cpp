// The request builders: exact bodies for representative conversations in
// every wire format, Anthropic's merging rules, tools on/off, headers and
// auth, and reading code out of tool-call arguments.
#include "core/request_builder.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ci {
namespace {

ProviderConfig OpenAiConfig() {
  ProviderConfig config;
  config.format = "openai";
  config.base_url = "https://api.openai.com/v1";
  config.model = "gpt-4o-mini";
  return config;
}

ProviderConfig AnthropicConfig() {
  ProviderConfig config;
  config.format = "anthropic";
  config.base_url = "https://api.anthropic.com/v1";
  config.model = "claude-sonnet-4-5";
  config.auth = "x-api-key";
  config.prompt_caching = false;  // the exact-body tests; caching has its own
  return config;
}

ChatMessage User(std::string text) {
  ChatMessage m;
  m.role = ChatMessage::Role::kUser;
  m.text = std::move(text);
  return m;
}

ChatMessage Assistant(std::string text, std::vector<ToolCall> calls = {}) {
  ChatMessage m;
  m.role = ChatMessage::Role::kAssistant;
  m.text = std::move(text);
  m.tool_calls = std::move(calls);
  return m;
}

ChatMessage ToolResult(std::string id, std::string content, bool is_error = false) {
  ChatMessage m;
  m.role = ChatMessage::Role::kTool;
  m.tool_call_id = std::move(id);
  m.text = std::move(content);
  m.is_error = is_error;
  return m;
}

Json Body(const HttpRequest& request) { return Json::parse(request.body); }

Json CodeSchema() {
  return Json::parse(
      R"({"type":"object","properties":{"code":{"type":"string","description":"The Python code to run."}},
                         "required":["code"]})");
}

// A conversation with one tool round trip, used in both formats.
ChatRequest ToolRoundTrip() {
  ChatRequest chat;
  chat.system = "You are a data analyst.";
  chat.messages = {User("Sum 1..10"),
                   Assistant("Let me compute.", {{"call_1", "python", R"j({"code":"print(sum(range(11)))"})j"}}),
                   ToolResult("call_1", "55\n"), Assistant("The sum is 55.")};
  return chat;
}

// ------------------------------------------------------------------ OpenAI

TEST(OpenAiRequest, ToolRoundTripHasExactBody) {
  HttpRequest request = BuildOpenAiRequest(OpenAiConfig(), ToolRoundTrip());
  Json expected = {
      {"model", "gpt-4o-mini"},
      {"messages",
       Json::array({
           {{"role", "system"}, {"content", "You are a data analyst."}},
           {{"role", "user"}, {"content", "Sum 1..10"}},
           {{"role", "assistant"},
            {"content", "Let me compute."},
            {"tool_calls",
             Json::array(
                 {{{"id", "call_1"},
                   {"type", "function"},
                   {"function", {{"name", "python"}, {"arguments", R"j({"code":"print(sum(range(11)))"})j"}}}}})}},
           {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "55\n"}},
           {{"role", "assistant"}, {"content", "The sum is 55."}},
       })},
      {"stream", true},
      {"stream_options", {{"include_usage", true}}},
      {"tools",
       Json::array({{{"type", "function"},
                     {"function",
                      {{"name", "python"}, {"description", kPythonToolDescription}, {"parameters", CodeSchema()}}}}})},
  };
  EXPECT_EQ(Body(request), expected) << "got:\n" << Body(request).dump(2);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "https://api.openai.com/v1/chat/completions");
}

TEST(OpenAiRequest, AssistantWithOnlyToolCallsHasNullContent) {
  ChatRequest chat;
  chat.messages = {User("hi"), Assistant("", {{"c1", "python", "{\"code\":\"1\"}"}}), ToolResult("c1", "1")};
  Json body = Body(BuildOpenAiRequest(OpenAiConfig(), chat));
  ASSERT_EQ(body["messages"].size(), 3u) << "no system message is sent when the system prompt is empty";
  EXPECT_TRUE(body["messages"][1]["content"].is_null()) << body["messages"][1].dump();
}

TEST(OpenAiRequest, ErrorToolResultIsSentAsPlainContent) {
  ChatRequest chat;
  chat.messages = {User("hi"), Assistant("", {{"c1", "python", "{}"}}), ToolResult("c1", "Traceback ...", true)};
  Json body = Body(BuildOpenAiRequest(OpenAiConfig(), chat));
  EXPECT_EQ(body["messages"][2], (Json{{"role", "tool"}, {"tool_call_id", "c1"}, {"content", "Traceback ..."}}));
}

TEST(OpenAiRequest, OptionalFieldsOnlyWhenSet) {
  ProviderConfig config = OpenAiConfig();
  config.include_usage = false;
  ChatRequest chat;
  chat.messages = {User("hi")};
  Json body = Body(BuildOpenAiRequest(config, chat));
  EXPECT_FALSE(body.contains("stream_options"));
  EXPECT_FALSE(body.contains("temperature"));
  EXPECT_FALSE(body.contains("max_tokens"));
  EXPECT_TRUE(body.contains("tools"));

  config.temperature = 0.25;
  config.max_tokens = 1000;
  body = Body(BuildOpenAiRequest(config, chat));
  EXPECT_EQ(body["temperature"], 0.25);
  EXPECT_EQ(body["max_tokens"], 1000);
}

TEST(OpenAiRequest, ToolsOnlyWhenBothChatAndConfigAllowThem) {
  ChatRequest chat;
  chat.messages = {User("hi")};
  ProviderConfig config = OpenAiConfig();
  chat.offer_tools = false;
  EXPECT_FALSE(Body(BuildOpenAiRequest(config, chat)).contains("tools"));
  chat.offer_tools = true;
  config.tools = false;
  EXPECT_FALSE(Body(BuildOpenAiRequest(config, chat)).contains("tools"));
}

TEST(OpenAiRequest, UrlJoinTrimsTrailingSlashes) {
  ProviderConfig config = OpenAiConfig();
  ChatRequest chat;
  chat.messages = {User("hi")};
  config.base_url = "http://localhost:11434/v1/";
  EXPECT_EQ(BuildOpenAiRequest(config, chat).url, "http://localhost:11434/v1/chat/completions");
  config.base_url = "http://localhost:11434/v1//";
  EXPECT_EQ(BuildOpenAiRequest(config, chat).url, "http://localhost:11434/v1/chat/completions");
  config.base_url = "http://localhost:11434/v1";
  EXPECT_EQ(BuildOpenAiRequest(config, chat).url, "http://localhost:11434/v1/chat/completions");
}

TEST(OpenAiRequest, HeadersAndAuthCarryNoKey) {
  ProviderConfig config = OpenAiConfig();
  config.extra_headers = {{"HTTP-Referer", "https://example.org"},
                          {"Authorization", "Bearer sk-should-not-pass"},
                          {"X-Api-Key", "sk-nor-this"}};
  ChatRequest chat;
  chat.messages = {User("hi")};
  HttpRequest request = BuildOpenAiRequest(config, chat);
  EXPECT_EQ(request.headers, (std::vector<std::pair<std::string, std::string>>{
                                 {"content-type", "application/json"}, {"http-referer", "https://example.org"}}));
  for (const auto& [name, value] : request.headers) {
    EXPECT_NE(name, "authorization");
    EXPECT_EQ(value.find("sk-"), std::string::npos) << name << ": " << value;
  }
  EXPECT_EQ(request.body.find("sk-"), std::string::npos);
  ASSERT_TRUE(request.auth.has_value());
  EXPECT_EQ(request.auth->header, "authorization");
  EXPECT_EQ(request.auth->prefix, "Bearer ");

  config.auth = "none";
  EXPECT_FALSE(BuildOpenAiRequest(config, chat).auth.has_value()) << "auth none: the glue adds nothing";
}

TEST(OpenAiRequest, InvalidUtf8InToolOutputIsReplacedNotThrown) {
  ChatRequest chat;
  chat.messages = {User("hi"), Assistant("", {{"c1", "python", "{}"}}), ToolResult("c1", "cut \xE2\x82")};
  HttpRequest request;
  ASSERT_NO_THROW(request = BuildOpenAiRequest(OpenAiConfig(), chat));
  EXPECT_EQ(Body(request)["messages"][2]["content"], "cut \xEF\xBF\xBD");
}

// --------------------------------------------------------------- Anthropic

TEST(AnthropicRequest, ToolRoundTripHasExactBody) {
  HttpRequest request = BuildAnthropicRequest(AnthropicConfig(), ToolRoundTrip());
  Json expected = {
      {"model", "claude-sonnet-4-5"},
      {"max_tokens", 4096},
      {"system", "You are a data analyst."},
      {"messages",
       Json::array({
           {{"role", "user"}, {"content", Json::array({{{"type", "text"}, {"text", "Sum 1..10"}}})}},
           {{"role", "assistant"},
            {"content", Json::array({{{"type", "text"}, {"text", "Let me compute."}},
                                     {{"type", "tool_use"},
                                      {"id", "call_1"},
                                      {"name", "python"},
                                      {"input", {{"code", "print(sum(range(11)))"}}}}})}},
           {{"role", "user"},
            {"content", Json::array({{{"type", "tool_result"}, {"tool_use_id", "call_1"}, {"content", "55\n"}}})}},
           {{"role", "assistant"}, {"content", Json::array({{{"type", "text"}, {"text", "The sum is 55."}}})}},
       })},
      {"stream", true},
      {"tools",
       Json::array({{{"name", "python"}, {"description", kPythonToolDescription}, {"input_schema", CodeSchema()}}})},
  };
  EXPECT_EQ(Body(request), expected) << "got:\n" << Body(request).dump(2);
  EXPECT_EQ(request.url, "https://api.anthropic.com/v1/messages");
}

TEST(AnthropicRequest, HeadersAndAuth) {
  ProviderConfig config = AnthropicConfig();
  config.base_url = "https://api.anthropic.com/v1/";
  config.extra_headers = {{"Anthropic-Beta", "x"}, {"x-api-key", "sk-ant-secret"}};
  ChatRequest chat;
  chat.messages = {User("hi")};
  HttpRequest request = BuildAnthropicRequest(config, chat);
  EXPECT_EQ(request.url, "https://api.anthropic.com/v1/messages");
  EXPECT_EQ(request.headers,
            (std::vector<std::pair<std::string, std::string>>{{"content-type", "application/json"},
                                                              {"anthropic-version", "2023-06-01"},
                                                              {"anthropic-dangerous-direct-browser-access", "true"},
                                                              {"anthropic-beta", "x"}}));
  ASSERT_TRUE(request.auth.has_value());
  EXPECT_EQ(request.auth->header, "x-api-key");
  EXPECT_EQ(request.auth->prefix, "");

  config.auth = "bearer";
  request = BuildAnthropicRequest(config, chat);
  ASSERT_TRUE(request.auth.has_value());
  EXPECT_EQ(request.auth->header, "authorization");
  EXPECT_EQ(request.auth->prefix, "Bearer ");
}

TEST(AnthropicRequest, OptionalFields) {
  ProviderConfig config = AnthropicConfig();
  ChatRequest chat;
  chat.messages = {User("hi")};
  Json body = Body(BuildAnthropicRequest(config, chat));
  EXPECT_FALSE(body.contains("system")) << "an empty system prompt is omitted";
  EXPECT_FALSE(body.contains("temperature"));
  EXPECT_EQ(body["max_tokens"], 4096);
  config.max_tokens = 512;
  config.temperature = 0.0;
  body = Body(BuildAnthropicRequest(config, chat));
  EXPECT_EQ(body["max_tokens"], 512);
  EXPECT_EQ(body["temperature"], 0.0);
}

TEST(AnthropicRequest, ParallelToolResultsAndUserTextMergeIntoOneUserMessage) {
  ChatRequest chat;
  chat.messages = {User("go"), Assistant("", {{"a", "python", R"({"code":"1"})"}, {"b", "python", R"({"code":"2"})"}}),
                   ToolResult("a", "1"), ToolResult("b", "boom", true), User("and then?")};
  Json messages = Body(BuildAnthropicRequest(AnthropicConfig(), chat))["messages"];
  ASSERT_EQ(messages.size(), 3u) << messages.dump(2);
  EXPECT_EQ(messages[1]["content"].size(), 2u) << "empty assistant text is omitted: " << messages[1].dump();
  EXPECT_EQ(messages[1]["content"][0]["type"], "tool_use");
  Json expected_user = {
      {"role", "user"},
      {"content", Json::array({
                      {{"type", "tool_result"}, {"tool_use_id", "a"}, {"content", "1"}},
                      {{"type", "tool_result"}, {"tool_use_id", "b"}, {"content", "boom"}, {"is_error", true}},
                      {{"type", "text"}, {"text", "and then?"}},
                  })}};
  EXPECT_EQ(messages[2], expected_user) << messages[2].dump(2);
}

TEST(AnthropicRequest, ToolResultsGoFirstInAMergedUserMessage) {
  // Text that somehow precedes the results in our history still follows them
  // on the wire: the API wants tool_result blocks at the start.
  ChatRequest chat;
  chat.messages = {User("go"), Assistant("", {{"a", "python", R"({"code":"1"})"}}), User("note"), ToolResult("a", "1")};
  Json messages = Body(BuildAnthropicRequest(AnthropicConfig(), chat))["messages"];
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[2]["content"][0]["type"], "tool_result");
  EXPECT_EQ(messages[2]["content"][1]["text"], "note");
}

TEST(AnthropicRequest, AdjacentSameRoleMessagesMerge) {
  ChatRequest chat;
  chat.messages = {User("one"), User("two"), Assistant("a"), Assistant("b"), User("three")};
  Json messages = Body(BuildAnthropicRequest(AnthropicConfig(), chat))["messages"];
  Json expected = Json::array({
      {{"role", "user"},
       {"content", Json::array({{{"type", "text"}, {"text", "one"}}, {{"type", "text"}, {"text", "two"}}})}},
      {{"role", "assistant"},
       {"content", Json::array({{{"type", "text"}, {"text", "a"}}, {{"type", "text"}, {"text", "b"}}})}},
      {{"role", "user"}, {"content", Json::array({{{"type", "text"}, {"text", "three"}}})}},
  });
  EXPECT_EQ(messages, expected) << messages.dump(2);
}

TEST(AnthropicRequest, EmptyMessagesAreDroppedAndNeighboursMerge) {
  ChatRequest chat;
  chat.messages = {User("one"), Assistant(""), User("two")};
  Json messages = Body(BuildAnthropicRequest(AnthropicConfig(), chat))["messages"];
  ASSERT_EQ(messages.size(), 1u) << "an empty assistant turn vanishes, its neighbours merge: " << messages.dump();
  EXPECT_EQ(messages[0]["content"].size(), 2u);
  for (const Json& message : messages) EXPECT_FALSE(message["content"].empty());
}

TEST(AnthropicRequest, ConversationStartsAtTheFirstUserMessage) {
  // E.g. a history trimmed at the front: a leading assistant turn and the
  // orphan tool result that followed it are dropped.
  ChatRequest chat;
  chat.messages = {Assistant("", {{"a", "python", R"({"code":"1"})"}}), ToolResult("a", "1"), User(""),
                   User("question"), Assistant("answer")};
  Json messages = Body(BuildAnthropicRequest(AnthropicConfig(), chat))["messages"];
  ASSERT_EQ(messages.size(), 2u) << messages.dump(2);
  EXPECT_EQ(messages[0]["role"], "user");
  EXPECT_EQ(messages[0]["content"], Json::array({{{"type", "text"}, {"text", "question"}}}));
  EXPECT_EQ(messages[1]["role"], "assistant");
}

TEST(AnthropicRequest, ToolUseInputFallsBackToRawCode) {
  ChatRequest chat;
  chat.messages = {User("go"), Assistant("", {{"a", "python", "print(1)"}}), ToolResult("a", "1")};
  Json messages = Body(BuildAnthropicRequest(AnthropicConfig(), chat))["messages"];
  EXPECT_EQ(messages[1]["content"][0]["input"], (Json{{"code", "print(1)"}}));
}

TEST(AnthropicRequest, ToolsOffWithoutToolHistoryHasNoTools) {
  ChatRequest chat;
  chat.messages = {User("hi")};
  chat.offer_tools = false;
  Json body = Body(BuildAnthropicRequest(AnthropicConfig(), chat));
  EXPECT_FALSE(body.contains("tools"));
  EXPECT_FALSE(body.contains("tool_choice"));
}

TEST(AnthropicRequest, ToolsOffWithToolHistoryDeclaresToolWithChoiceNone) {
  // The API rejects tool_use/tool_result blocks in a request without tools.
  ChatRequest chat = ToolRoundTrip();
  chat.offer_tools = false;
  Json body = Body(BuildAnthropicRequest(AnthropicConfig(), chat));
  ASSERT_TRUE(body.contains("tools"));
  EXPECT_EQ(body["tool_choice"], (Json{{"type", "none"}}));
}

// --------------------------------------------------------------- Responses

ProviderConfig ResponsesConfig() {
  ProviderConfig config;
  config.format = "responses";
  config.base_url = "https://api.openai.com/v1/";
  config.model = "gpt-5-mini";
  return config;
}

TEST(ResponsesRequest, ToolRoundTripHasExactBody) {
  HttpRequest request = BuildResponsesRequest(ResponsesConfig(), ToolRoundTrip());
  Json expected = {
      {"model", "gpt-5-mini"},
      {"instructions", "You are a data analyst."},
      {"input",
       Json::array({
           {{"type", "message"}, {"role", "user"}, {"content", Json::array({{{"type", "input_text"}, {"text", "Sum 1..10"}}})}},
           {{"type", "message"},
            {"role", "assistant"},
            {"content", Json::array({{{"type", "output_text"}, {"text", "Let me compute."}}})}},
           {{"type", "function_call"},
            {"call_id", "call_1"},
            {"name", "python"},
            {"arguments", R"j({"code":"print(sum(range(11)))"})j"}},
           {{"type", "function_call_output"}, {"call_id", "call_1"}, {"output", "55\n"}},
           {{"type", "message"},
            {"role", "assistant"},
            {"content", Json::array({{{"type", "output_text"}, {"text", "The sum is 55."}}})}},
       })},
      {"stream", true},
      {"store", false},
      {"tools",
       Json::array({{{"type", "function"},
                     {"name", "python"},
                     {"description", kPythonToolDescription},
                     {"parameters", CodeSchema()}}})},
  };
  EXPECT_EQ(Body(request), expected) << "got:\n" << Body(request).dump(2);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "https://api.openai.com/v1/responses");
  ASSERT_TRUE(request.auth.has_value());
  EXPECT_EQ(request.auth->header, "authorization");
  EXPECT_EQ(request.auth->prefix, "Bearer ");
  for (const auto& [name, value] : request.headers) EXPECT_NE(name, "authorization");
}

TEST(ResponsesRequest, OptionalFieldsOnlyWhenSet) {
  ChatRequest chat;
  chat.messages = {User("hi")};
  Json plain = Body(BuildResponsesRequest(ResponsesConfig(), chat));
  for (const char* key : {"instructions", "temperature", "max_output_tokens", "max_tokens", "reasoning", "tool_choice"}) {
    EXPECT_FALSE(plain.contains(key)) << key;
  }
  ProviderConfig config = ResponsesConfig();
  config.temperature = 0.5;
  config.max_tokens = 2048;
  config.reasoning_summary = "auto";
  Json body = Body(BuildResponsesRequest(config, chat));
  EXPECT_EQ(body["temperature"], 0.5);
  EXPECT_EQ(body["max_output_tokens"], 2048);
  EXPECT_FALSE(body.contains("max_tokens"));
  EXPECT_EQ(body["reasoning"], (Json{{"summary", "auto"}}));
}

TEST(ResponsesRequest, ToolsOffAndToolHistory) {
  ChatRequest chat;
  chat.messages = {User("hi")};
  chat.offer_tools = false;
  EXPECT_FALSE(Body(BuildResponsesRequest(ResponsesConfig(), chat)).contains("tools"));
  ChatRequest history = ToolRoundTrip();
  history.offer_tools = false;
  Json body = Body(BuildResponsesRequest(ResponsesConfig(), history));
  ASSERT_TRUE(body.contains("tools")) << "earlier calls in the input: the tool is still declared";
  EXPECT_EQ(body["tool_choice"], "none");
}

TEST(ResponsesRequest, InputStartsAtTheFirstUserMessage) {
  ChatRequest chat;
  chat.messages = {ToolResult("call_0", "orphan"), Assistant("", {{"call_9", "python", "{}"}}), User("again"),
                   Assistant("", {{"call_2", "python", "{\"code\":\"1\"}"}}), ToolResult("call_2", "1", true)};
  Json input = Body(BuildResponsesRequest(ResponsesConfig(), chat))["input"];
  ASSERT_EQ(input.size(), 3u) << input.dump(2);
  EXPECT_EQ(input[0]["role"], "user");
  EXPECT_EQ(input[1], (Json{{"type", "function_call"}, {"call_id", "call_2"}, {"name", "python"}, {"arguments", "{\"code\":\"1\"}"}}))
      << "an assistant turn with only calls has no empty message item";
  EXPECT_EQ(input[2]["type"], "function_call_output");
}

TEST(ResponsesRequest, ModelListIsTheOpenAiOne) {
  HttpRequest request = BuildModelsRequest(ResponsesConfig());
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, "https://api.openai.com/v1/models");
  ASSERT_TRUE(request.auth.has_value());
  EXPECT_EQ(request.auth->header, "authorization");
}

// ---------------------------------------------------------------- dispatch

TEST(BuildRequest, DispatchesOnFormat) {
  ChatRequest chat;
  chat.messages = {User("hi")};
  EXPECT_EQ(BuildRequest(OpenAiConfig(), chat).url, "https://api.openai.com/v1/chat/completions");
  EXPECT_EQ(BuildRequest(AnthropicConfig(), chat).url, "https://api.anthropic.com/v1/messages");
  EXPECT_EQ(BuildRequest(ResponsesConfig(), chat).url, "https://api.openai.com/v1/responses");
  ProviderConfig bad = OpenAiConfig();
  bad.format = "gemini";
  try {
    BuildRequest(bad, chat);
    FAIL() << "expected std::invalid_argument for an unknown format";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown format"), std::string::npos) << e.what();
  }
}

TEST(PythonToolDescription, MentionsTheEssentials) {
  std::string d = kPythonToolDescription;
  for (const char* word : {"Pyodide", "/mnt/data", "last expression", "plt.show()", "network"}) {
    EXPECT_NE(d.find(word), std::string::npos) << "description should mention " << word;
  }
}

// ------------------------------------------------------- tool-call arguments

TEST(CodeFromToolArguments, ReadsCodeKey) {
  std::string error;
  EXPECT_EQ(CodeFromToolArguments(R"({"code": "print(1)\nx = 2"})", &error), "print(1)\nx = 2");
}

TEST(CodeFromToolArguments, AcceptsAlternativeKeysWhenCodeIsAbsent) {
  std::string error;
  EXPECT_EQ(CodeFromToolArguments(R"({"source": "a"})", &error), "a");
  EXPECT_EQ(CodeFromToolArguments(R"({"python": "b"})", &error), "b");
  EXPECT_EQ(CodeFromToolArguments(R"({"script": "c"})", &error), "c");
  EXPECT_EQ(CodeFromToolArguments(R"({"script": "c", "code": "d"})", &error), "d") << "\"code\" wins";
}

TEST(CodeFromToolArguments, AcceptsJsonStringAndRawText) {
  std::string error;
  EXPECT_EQ(CodeFromToolArguments(R"j("print(2)")j", &error), "print(2)");
  EXPECT_EQ(CodeFromToolArguments("import pandas as pd\npd.read_csv('x.csv')", &error),
            "import pandas as pd\npd.read_csv('x.csv')");
}

TEST(CodeFromToolArguments, RawTextInAPythonFenceLosesTheFence) {
  std::string error;
  EXPECT_EQ(CodeFromToolArguments("```python\nprint(3)\n```", &error), "print(3)");
}

TEST(CodeFromToolArguments, RefusesEmptyOrCodelessArguments) {
  for (const char* args : {"", "   ", R"({"code": ""})", R"({})", R"({"code": 5})", "[1,2]", R"("")"}) {
    std::string error;
    EXPECT_EQ(CodeFromToolArguments(args, &error), std::nullopt) << "arguments: " << args;
    EXPECT_FALSE(error.empty()) << "an error should say why, for: " << args;
  }
}


// ------------------------------------------------------------- images --

ImagePart Png(std::string label) { return ImagePart{"image/png", "iVBORw0KGgo=", std::move(label)}; }

ChatRequest ImageConversation() {
  ChatRequest chat;
  chat.system = "sys";
  ChatMessage user = User("What is in this photo?");
  user.images.push_back(Png("Image: /mnt/data/photo.png (uploaded)"));
  chat.messages.push_back(user);
  chat.messages.push_back(Assistant("", {{"call_1", "python", R"j({"code":"plot()"})j"}, {"call_2", "python", R"({"code":"1"})"}}));
  ChatMessage r1 = ToolResult("call_1", "[Shown to the user: 1 × image/png]");
  r1.images.push_back(Png("Image 1 shown by cell 1"));
  chat.messages.push_back(r1);
  chat.messages.push_back(ToolResult("call_2", "1"));
  return chat;
}

TEST(Images, OpenAiPutsUploadsInTheUserMessageAndToolImagesInAUserMessageAfterTheResults) {
  Json m = Body(BuildOpenAiRequest(OpenAiConfig(), ImageConversation()))["messages"];
  ASSERT_EQ(m.size(), 6u) << m.dump(2);
  EXPECT_EQ(m[1]["content"], Json::parse(R"j([{"type":"text","text":"What is in this photo?"},
    {"type":"text","text":"Image: /mnt/data/photo.png (uploaded)"},
    {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}])j"));
  EXPECT_EQ(m[3]["role"], "tool");
  EXPECT_EQ(m[3]["content"], "[Shown to the user: 1 × image/png]") << "tool messages stay text";
  EXPECT_EQ(m[4]["role"], "tool") << "every tool result right after its call";
  EXPECT_EQ(m[5]["role"], "user");
  EXPECT_EQ(m[5]["content"][1]["text"], "Image 1 shown by cell 1");
  EXPECT_EQ(m[5]["content"][2]["image_url"]["url"], "data:image/png;base64,iVBORw0KGgo=");
}

TEST(Images, ResponsesUsesInputImagePartsAfterTheOutputs) {
  Json in = Body(BuildResponsesRequest(OpenAiConfig(), ImageConversation()))["input"];
  ASSERT_EQ(in.size(), 6u) << in.dump(2);
  EXPECT_EQ(in[0]["content"][2], Json::parse(R"({"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo="})"));
  EXPECT_EQ(in[3]["type"], "function_call_output");
  EXPECT_EQ(in[4]["type"], "function_call_output");
  EXPECT_EQ(in[5]["role"], "user");
  EXPECT_EQ(in[5]["content"][2]["type"], "input_image");
}

TEST(Images, AnthropicPutsImageBlocksInsideTheToolResult) {
  Json m = Body(BuildAnthropicRequest(AnthropicConfig(), ImageConversation()))["messages"];
  ASSERT_EQ(m.size(), 3u) << m.dump(2);
  EXPECT_EQ(m[0]["content"][1], Json::parse(R"({"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}})"));
  EXPECT_EQ(m[0]["content"][2]["text"], "What is in this photo?");
  Json result = m[2]["content"][0];
  EXPECT_EQ(result["type"], "tool_result");
  EXPECT_EQ(result["content"][0]["text"], "[Shown to the user: 1 × image/png]");
  EXPECT_EQ(result["content"][1]["text"], "Image 1 shown by cell 1");
  EXPECT_EQ(result["content"][2]["type"], "image");
  EXPECT_EQ(m[2]["content"][1]["content"], "1") << "a result without images stays a string";
}

// ------------------------------------------------------ prompt caching --

TEST(AnthropicCaching, BreakpointsOnTheSystemPromptTheLastBlockAndThePreviousUserMessage) {
  ProviderConfig config = AnthropicConfig();
  config.prompt_caching = true;
  ChatRequest chat = ToolRoundTrip();
  chat.messages.push_back(User("And 1..20?"));
  Json body = Body(BuildAnthropicRequest(config, chat));
  Json ephemeral = {{"type", "ephemeral"}};
  ASSERT_TRUE(body["system"].is_array());
  EXPECT_EQ(body["system"][0]["cache_control"], ephemeral);
  Json m = body["messages"];
  int marks = 0;
  for (const Json& msg : m)
    for (const Json& block : msg["content"]) marks += block.contains("cache_control") ? 1 : 0;
  EXPECT_EQ(marks, 2) << m.dump(2);
  EXPECT_EQ(m.back()["content"].back()["cache_control"], ephemeral) << "the whole request is written";
  EXPECT_EQ(m[m.size() - 3]["role"], "user");
  EXPECT_EQ(m[m.size() - 3]["content"].back()["cache_control"], ephemeral) << "the previous step's prefix is read";
}

TEST(AnthropicCaching, OffSendsThePlainSystemString) {
  Json body = Body(BuildAnthropicRequest(AnthropicConfig(), ToolRoundTrip()));
  EXPECT_TRUE(body["system"].is_string());
  EXPECT_EQ(body.dump().find("cache_control"), std::string::npos);
}

}  // namespace
}  // namespace ci
