// The context budget: the image count, old outputs to notes first, then old
// turns, never the system prompt or the current turn; and the session's use
// of it (the trimmed emit, the retry after "context length exceeded",
// images reaching the request).
#include "core/context_budget.h"

#include <gtest/gtest.h>

#include "core/base64.h"
#include "session_harness.h"

namespace ci {
namespace {

using testing::Driver;
using testing::Emitted;
using testing::OfType;
using testing::OpenAiText;
using testing::OpenAiToolCalls;
using testing::TestConfig;

ChatMessage Msg(ChatMessage::Role role, int turn, std::string text, std::string note = "") {
  ChatMessage m;
  m.role = role;
  m.turn = turn;
  m.text = std::move(text);
  m.trim_note = std::move(note);
  return m;
}

// n turns, each: user question, assistant call, a tool result of `out` bytes.
ChatRequest Turns(int n, size_t out) {
  ChatRequest chat;
  chat.system = "system prompt";
  for (int t = 1; t <= n; ++t) {
    chat.messages.push_back(Msg(ChatMessage::Role::kUser, t, "question " + std::to_string(t)));
    ChatMessage a = Msg(ChatMessage::Role::kAssistant, t, "");
    a.tool_calls.push_back({"c" + std::to_string(t), "python", R"j({"code":"print(x)"})j"});
    chat.messages.push_back(a);
    ChatMessage r = Msg(ChatMessage::Role::kTool, t, std::string(out, 'x'), "[Output of cell " + std::to_string(t) + " trimmed]");
    r.tool_call_id = "c" + std::to_string(t);
    chat.messages.push_back(r);
  }
  return chat;
}

TEST(ContextBudget, UnderBudgetNothingChanges) {
  ChatRequest chat = Turns(3, 400);
  BudgetReport r = FitToBudget(&chat, 100000, 1.0, 3, 4);
  EXPECT_FALSE(r.trimmed());
  EXPECT_EQ(chat.messages.size(), 9u);
  EXPECT_EQ(r.estimated_tokens, EstimateTokens(chat, 1.0));
}

TEST(ContextBudget, OldestOutputsBecomeNotesFirstAndTheCurrentTurnIsKept) {
  ChatRequest chat = Turns(10, 4000);  // ~1000 tokens per output
  BudgetReport r = FitToBudget(&chat, 6000, 1.0, 10, 4);
  EXPECT_GT(r.outputs_trimmed, 0);
  EXPECT_EQ(r.turns_dropped, 0) << "notes were enough";
  EXPECT_LE(r.estimated_tokens, 6000);
  EXPECT_EQ(chat.messages[2].text, "[Output of cell 1 trimmed]") << "the oldest first";
  EXPECT_EQ(chat.messages.back().text.size(), 4000u) << "the current turn is never trimmed";
  EXPECT_EQ(chat.system, "system prompt");
  // The newest old outputs are kept while the budget allows.
  EXPECT_EQ(chat.messages[chat.messages.size() - 4].text.size(), 4000u);
}

TEST(ContextBudget, ThenWholeOldTurnsAreDroppedAndTheFirstMessageSaysSo) {
  ChatRequest chat = Turns(40, 4000);
  BudgetReport r = FitToBudget(&chat, 1500, 1.0, 40, 4);
  EXPECT_EQ(r.outputs_trimmed, 39);
  EXPECT_GT(r.turns_dropped, 0);
  EXPECT_LE(r.estimated_tokens, 1500 + 1100) << "only the current turn may stay over";
  ASSERT_FALSE(chat.messages.empty());
  EXPECT_EQ(chat.messages.front().role, ChatMessage::Role::kUser) << "a request starts with the user";
  EXPECT_NE(chat.messages.front().text.find("were left out to fit the model's context window"), std::string::npos);
  EXPECT_EQ(chat.messages.back().turn, 40);
  EXPECT_EQ(chat.messages.back().text.size(), 4000u);
}

TEST(ContextBudget, TheCurrentTurnAloneOverBudgetIsSentAsIs) {
  ChatRequest chat = Turns(1, 40000);
  BudgetReport r = FitToBudget(&chat, 1000, 1.0, 1, 4);
  EXPECT_EQ(chat.messages.size(), 3u);
  EXPECT_GT(r.estimated_tokens, 1000);
  EXPECT_FALSE(r.trimmed());
}

TEST(ContextBudget, OnlyTheNewestImagesAreSent) {
  ChatRequest chat = Turns(3, 10);
  for (auto& m : chat.messages)
    if (m.role == ChatMessage::Role::kTool) m.images = {{"image/png", "AAAA", "img a"}, {"image/png", "BBBB", "img b"}};
  BudgetReport r = FitToBudget(&chat, 0, 1.0, 3, 4);
  EXPECT_EQ(r.images_omitted, 2);
  EXPECT_TRUE(chat.messages[2].images.empty());
  EXPECT_NE(chat.messages[2].text.find("2 images not resent (only the newest images are sent): img a; img b]"), std::string::npos)
      << chat.messages[2].text;
  EXPECT_EQ(chat.messages[5].images.size(), 2u);
  EXPECT_EQ(chat.messages[8].images.size(), 2u);
}

TEST(ContextBudget, CalibrationScalesTheEstimate) {
  ChatRequest chat = Turns(2, 4000);
  EXPECT_NEAR(EstimateTokens(chat, 2.0), 2 * EstimateTokens(chat, 1.0), 2);
  EXPECT_EQ(InputBudget(0, 0), 0) << "unknown window: no budget";
  EXPECT_EQ(InputBudget(128000, 0), (128000 - 4096) * 95 / 100);
  EXPECT_EQ(InputBudget(8000, 4096), (8000 - 2000) * 95 / 100) << "the answer's room is at most a quarter";
}

// ------------------------------------------------------------ the session --

SessionConfig WindowConfig(int64_t window) {
  SessionConfig c = TestConfig();
  c.provider.context_window = window;
  return c;
}

TEST(SessionBudget, ALongConversationStaysUnderTheWindowAndSaysWhenItTrimmed) {
  Driver d(WindowConfig(8000));
  int trims = 0;
  size_t max_body = 0;
  for (int t = 1; t <= 60; ++t) {
    d.User("turn " + std::to_string(t));
    d.Reply(OpenAiToolCalls({{"c" + std::to_string(t), "print('x' * 8000)"}}));
    auto r = d.ExecOk(std::string(8000, 'x'));
    trims += static_cast<int>(Emitted(r, "context_trimmed").size());
    max_body = std::max(max_body, d.LastRequestBody()["messages"].dump().size());
    // No usage in this reply: the harness's canned usage (10 tokens) would
    // teach the calibration a count no real provider reports.
    d.Reply(OpenAiText({"done"}, false) + testing::SseData(testing::OpenAiChunk(Json::object(), "stop")) + "data: [DONE]\n\n");
  }
  EXPECT_GT(trims, 0);
  // chars/4 of the body, the way the strict test server counts, stays under the window.
  EXPECT_LT(max_body / 4, 8000u) << max_body;
}

TEST(SessionBudget, ContextLengthExceededIsRetriedOnceWithAHarderBudget) {
  Driver d;  // window unknown: nothing trimmed ahead of time
  for (int t = 1; t <= 3; ++t) {
    d.User("turn " + std::to_string(t));
    d.Reply(OpenAiToolCalls({{"c" + std::to_string(t), "print(1)"}}));
    d.ExecOk(std::string(6000, 'y'));
    d.Reply(OpenAiText({"ok"}));
  }
  d.User("and now?");
  size_t before = d.LastRequestBody().dump().size();
  std::string refusal = R"({"error":{"message":"This model's maximum context length is 4000 tokens. However, your messages resulted in 5000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})";
  auto r = d.Reply(refusal, 4096, 400);
  ASSERT_EQ(Emitted(r, "retrying").size(), 1u) << "one retry";
  auto timer = OfType(r, "set_timer");
  ASSERT_FALSE(timer.empty());
  auto fired = d.Send({{"type", "timer_fired"}, {"timer_id", timer.back()["timer_id"]}});
  ASSERT_EQ(OfType(fired, "http_request").size(), 1u);
  auto trimmed = Emitted(fired, "context_trimmed");
  ASSERT_EQ(trimmed.size(), 1u);
  EXPECT_EQ(trimmed[0]["retried"], true);
  EXPECT_GT(trimmed[0]["outputs_trimmed"].get<int>(), 0);
  EXPECT_LT(d.LastRequestBody().dump().size(), before * 7 / 10);
  // Refused again: no second retry, the turn fails with the provider's words.
  auto again = d.Reply(refusal, 4096, 400);
  EXPECT_TRUE(Emitted(again, "retrying").empty());
  auto errors = Emitted(again, "error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0]["error"]["message"].get<std::string>().find("maximum context length"), std::string::npos);
}

TEST(SessionBudget, UploadedImagesAndDisplayedChartsReachAVisionModel) {
  SessionConfig c = TestConfig();
  c.provider.vision = true;
  Driver d(c);
  std::string png = "\x89PNG\r\n\x1a\nsmall";
  std::string preview = "\x89PNG\r\n\x1a\npreview";
  d.Send({{"type", "file_upload"}, {"path", "photo.png"}, {"media_type", "image/png"}, {"blob", 0u}, {"preview_media_type", "image/jpeg"}},
         {png, preview});
  d.User("What does this show?");
  Json first = d.LastRequestBody()["messages"][1];
  ASSERT_TRUE(first["content"].is_array()) << first.dump();
  EXPECT_EQ(first["content"][2]["image_url"]["url"], "data:image/jpeg;base64," + Base64Encode(preview)) << "the preview, not the original";
  EXPECT_EQ(first["content"][1]["text"], "Image /mnt/data/photo.png (uploaded by the user):");
  d.Reply(OpenAiToolCalls({{"c1", "plot()"}}));
  d.ExecOk("", {{"outputs", Json::array({{{"mime", "image/png"}, {"data", "iVBORw0KGgo="}}})}});
  Json msgs = d.LastRequestBody()["messages"];
  Json last = msgs.back();
  EXPECT_EQ(last["role"], "user");
  EXPECT_EQ(last["content"][1]["text"], "Image 1 displayed by cell 1:");
  EXPECT_EQ(last["content"][2]["image_url"]["url"], "data:image/png;base64,iVBORw0KGgo=");
  d.Reply(OpenAiText({"A chart."}));
  d.User("Thanks");
  Json again = d.LastRequestBody()["messages"];
  EXPECT_EQ(again.back()["content"], "Thanks") << "an upload goes with one message only";

  // Without vision: text only, the tool result says what was shown.
  Driver blind;
  blind.Send({{"type", "file_upload"}, {"path", "p.png"}, {"media_type", "image/png"}, {"blob", 0u}}, {png});
  blind.User("What does this show?");
  EXPECT_TRUE(blind.LastRequestBody()["messages"][1]["content"].is_string());
}

}  // namespace
}  // namespace ci
