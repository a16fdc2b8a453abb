// The conversation record's JSON: the shape written per entry kind, lossless
// round trips, defaults for missing fields, and errors that name the bad field.
#include "core/conversation.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace ci {
namespace {

const char kArgs[] = R"j({"code":"print(1)"})j";

Conversation SampleConversation() {
  Conversation c;
  c.id = "conv-1";
  c.title = "Plot a sine";

  Entry user;
  user.kind = Entry::Kind::kUser;
  user.turn = 1;
  user.text = "Plot sin(x), please — with ünïcödé";
  c.entries.push_back(user);

  Entry assistant;
  assistant.kind = Entry::Kind::kAssistant;
  assistant.turn = 1;
  assistant.text = "Sure.";
  assistant.thinking = "The user wants a plot.";
  assistant.tool_calls.push_back({"call_1", "python", kArgs});
  assistant.usage = Json{{"prompt_tokens", 12}, {"completion_tokens", 34}};
  c.entries.push_back(assistant);

  Entry exec;
  exec.kind = Entry::Kind::kExec;
  exec.turn = 1;
  exec.exec.exec_id = "exec-7";
  exec.exec.tool_call_id = "call_1";
  exec.exec.code = "import math\nprint(1)\nmath.pi";
  exec.exec.status = "error";
  exec.exec.stdout_text = "1\n";
  exec.exec.stderr_text = "warn\n";
  exec.exec.result = "3.14";
  exec.exec.error = Json{{"type", "ValueError"}, {"message", "bad"}, {"traceback", "line 1"}};
  exec.exec.outputs.push_back({"image/png", "iVBORw0KGgo="});
  exec.exec.outputs.push_back({"text/html", "<b>x</b>"});
  exec.exec.files_created = {"/data/out.csv"};
  exec.exec.files_modified = {"/data/in.csv", "/data/b.txt"};
  exec.exec.files_deleted = {"/data/tmp"};
  exec.exec.restarted = true;
  exec.exec.execution_count = 3;
  exec.exec.started_ms = 1700000000123;
  exec.exec.duration_ms = 456;
  c.entries.push_back(exec);

  Entry notice;
  notice.kind = Entry::Kind::kNotice;
  notice.turn = 2;
  notice.text = "The sandbox restarted.";
  notice.notice_level = "warning";
  c.entries.push_back(notice);
  return c;
}

void ExpectThrowsWith(const Json& j, const std::string& expected_part) {
  try {
    Conversation::FromJson(j);
    FAIL() << "expected std::invalid_argument mentioning '" << expected_part << "' for "
           << j.dump();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(expected_part), std::string::npos)
        << "error message '" << e.what() << "' should contain '" << expected_part << "'";
  }
}

TEST(ConversationJson, WritesOnlyTheFieldsEachKindUses) {
  Json j = SampleConversation().ToJson();
  ASSERT_EQ(j["entries"].size(), 4u);

  EXPECT_EQ(j["id"], "conv-1");
  EXPECT_EQ(j["title"], "Plot a sine");

  Json user = j["entries"][0];
  EXPECT_EQ(user, (Json{{"kind", "user"}, {"turn", 1}, {"text", user["text"]}}))
      << "a user entry has exactly kind, turn, text";

  Json assistant = j["entries"][1];
  EXPECT_EQ(assistant["kind"], "assistant");
  EXPECT_EQ(assistant["text"], "Sure.");
  EXPECT_EQ(assistant["thinking"], "The user wants a plot.");
  EXPECT_EQ(assistant["tool_calls"],
            (Json::array({{{"id", "call_1"}, {"name", "python"}, {"arguments", kArgs}}})));
  EXPECT_EQ(assistant["usage"]["completion_tokens"], 34);

  Json exec = j["entries"][2];
  EXPECT_EQ(exec.size(), 3u) << "an exec entry has exactly kind, turn, exec";
  Json rec = exec["exec"];
  const char* keys[] = {"exec_id",   "tool_call_id", "code",        "status",         "stdout",
                        "stderr",    "result",       "error",       "outputs",        "files",
                        "restarted", "started_ms",   "duration_ms", "execution_count"};
  for (const char* key : keys) EXPECT_TRUE(rec.contains(key)) << "exec record lacks " << key;
  EXPECT_EQ(rec["stdout"], "1\n");
  EXPECT_EQ(rec["result"], "3.14");
  EXPECT_EQ(rec["outputs"][0], (Json{{"mime", "image/png"}, {"data", "iVBORw0KGgo="}}));
  EXPECT_EQ(rec["files"]["modified"], (Json::array({"/data/in.csv", "/data/b.txt"})));
  EXPECT_EQ(rec["started_ms"], 1700000000123);

  Json notice = j["entries"][3];
  EXPECT_EQ(notice, (Json{{"kind", "notice"},
                          {"turn", 2},
                          {"text", "The sandbox restarted."},
                          {"level", "warning"}}));
}

TEST(ConversationJson, OmitsEmptyThinkingAndNullUsage) {
  Entry e;
  e.kind = Entry::Kind::kAssistant;
  e.text = "hi";
  Json j = EntryToJson(e);
  EXPECT_FALSE(j.contains("thinking")) << "empty thinking should be omitted";
  EXPECT_FALSE(j.contains("usage")) << "null usage should be omitted";
  EXPECT_EQ(j["tool_calls"], Json::array()) << "tool_calls is always written, possibly empty";
}

TEST(ConversationJson, NullResultAndErrorAreWrittenAsNull) {
  ExecRecord e;
  Json j = ExecRecordToJson(e);
  EXPECT_TRUE(j["result"].is_null());
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_EQ(j["status"], "running");
}

TEST(ConversationJson, RoundTripIsLossless) {
  Conversation original = SampleConversation();
  Json first = original.ToJson();
  Conversation back = Conversation::FromJson(first);
  EXPECT_EQ(back.ToJson(), first);
  // Through text as well, as it is stored.
  Conversation reparsed = Conversation::FromJson(Json::parse(first.dump()));
  EXPECT_EQ(reparsed.ToJson().dump(), first.dump());

  // Field by field on the struct side, for the fields easiest to lose.
  ASSERT_EQ(back.entries.size(), 4u);
  EXPECT_EQ(back.entries[1].kind, Entry::Kind::kAssistant);
  EXPECT_EQ(back.entries[1].thinking, "The user wants a plot.");
  ASSERT_EQ(back.entries[1].tool_calls.size(), 1u);
  EXPECT_EQ(back.entries[1].tool_calls[0].arguments, kArgs);
  const ExecRecord& rec = back.entries[2].exec;
  EXPECT_EQ(rec.code, "import math\nprint(1)\nmath.pi");
  ASSERT_TRUE(rec.result.has_value());
  EXPECT_EQ(*rec.result, "3.14");
  EXPECT_EQ(rec.error["type"], "ValueError");
  EXPECT_TRUE(rec.restarted);
  EXPECT_EQ(rec.started_ms, 1700000000123);
  EXPECT_EQ(rec.files_deleted, std::vector<std::string>{"/data/tmp"});
  EXPECT_EQ(back.entries[3].notice_level, "warning");
}

TEST(ConversationJson, RoundTripKeepsEmptyStringResultDistinctFromNull) {
  ExecRecord with_empty;
  with_empty.result = "";
  ExecRecord back = ExecRecordFromJson(ExecRecordToJson(with_empty));
  ASSERT_TRUE(back.result.has_value()) << "an empty-string result must not become null";
  EXPECT_EQ(*back.result, "");

  ExecRecord without;
  EXPECT_FALSE(ExecRecordFromJson(ExecRecordToJson(without)).result.has_value());
}

TEST(ConversationJson, EmptyConversationRoundTrips) {
  Conversation c;
  Json j = c.ToJson();
  EXPECT_EQ(j, (Json{{"id", ""}, {"title", ""}, {"custom_title", false}, {"entries", Json::array()}}));
  EXPECT_EQ(Conversation::FromJson(j).ToJson(), j);
}

TEST(ConversationJson, MissingOptionalFieldsTakeDefaults) {
  Json j =
      Json::parse(R"({"entries":[{"kind":"exec","exec":{"code":"1+1"}},{"kind":"assistant"}]})");
  Conversation c = Conversation::FromJson(j);
  EXPECT_EQ(c.id, "");
  ASSERT_EQ(c.entries.size(), 2u);
  EXPECT_EQ(c.entries[0].turn, 0);
  const ExecRecord& rec = c.entries[0].exec;
  EXPECT_EQ(rec.code, "1+1");
  EXPECT_EQ(rec.status, "running") << "a missing status keeps the struct default";
  EXPECT_FALSE(rec.result.has_value());
  EXPECT_TRUE(rec.error.is_null());
  EXPECT_TRUE(rec.outputs.empty());
  EXPECT_FALSE(rec.restarted);
  EXPECT_EQ(rec.execution_count, 0);
  EXPECT_TRUE(c.entries[1].tool_calls.empty());
  EXPECT_TRUE(c.entries[1].usage.is_null());

  EXPECT_TRUE(Conversation::FromJson(Json::object()).entries.empty())
      << "an object without entries is an empty conversation";
}

TEST(ConversationJson, NullFieldsAreTreatedAsMissing) {
  Json j = Json::parse(
      R"({"id":null,"entries":[{"kind":"user","text":null,"turn":null},
          {"kind":"exec","exec":{"result":null,"error":null,"outputs":null,"files":null}}]})");
  Conversation c = Conversation::FromJson(j);
  EXPECT_EQ(c.entries[0].text, "");
  EXPECT_FALSE(c.entries[1].exec.result.has_value());
}

TEST(ConversationJson, UnknownKindIsRejectedWithItsIndex) {
  Json j = SampleConversation().ToJson();
  j["entries"].push_back(Json{{"kind", "foo"}});
  ExpectThrowsWith(j, "entries[4].kind: unknown kind \"foo\"");
}

TEST(ConversationJson, MissingKindIsRejected) {
  ExpectThrowsWith(Json::parse(R"({"entries":[{"turn":1,"text":"x"}]})"), "entries[0].kind");
}

TEST(ConversationJson, WrongTypesNameTheField) {
  ExpectThrowsWith(Json::array(), "expected an object");
  ExpectThrowsWith(Json::parse(R"({"id":5})"), "id: expected a string");
  ExpectThrowsWith(Json::parse(R"({"entries":{}})"), "entries: expected an array");
  ExpectThrowsWith(Json::parse(R"({"entries":["user"]})"), "entries[0]: expected an object");
  ExpectThrowsWith(Json::parse(R"({"entries":[{"kind":7}]})"),
                   "entries[0].kind: expected a string");
  ExpectThrowsWith(Json::parse(R"({"entries":[{"kind":"user","turn":"1"}]})"),
                   "entries[0].turn: expected an integer");
  ExpectThrowsWith(Json::parse(R"({"entries":[{"kind":"user","turn":1.5}]})"),
                   "entries[0].turn: expected an integer");
  ExpectThrowsWith(Json::parse(R"({"entries":[{"kind":"user","turn":99999999999}]})"),
                   "entries[0].turn: integer out of range");
  ExpectThrowsWith(Json::parse(R"({"entries":[{"kind":"assistant","tool_calls":[{"id":1}]}]})"),
                   "entries[0].tool_calls[0].id: expected a string");
  ExpectThrowsWith(Json::parse(R"({"entries":[{"kind":"assistant","usage":"lots"}]})"),
                   "entries[0].usage: expected an object or null");
  ExpectThrowsWith(Json::parse(R"({"entries":[{"kind":"notice","level":[]}]})"),
                   "entries[0].level: expected a string");
}

TEST(ConversationJson, WrongTypesInsideExecNameTheNestedPath) {
  auto with_exec = [](const char* exec_json) {
    Json j = Json::parse(R"({"entries":[{"kind":"user"},{"kind":"exec"}]})");
    j["entries"][1]["exec"] = Json::parse(exec_json);
    return j;
  };
  ExpectThrowsWith(with_exec(R"("code")"), "entries[1].exec: expected an object");
  ExpectThrowsWith(with_exec(R"({"result":3})"), "entries[1].exec.result: expected a string");
  ExpectThrowsWith(with_exec(R"({"error":"boom"})"),
                   "entries[1].exec.error: expected an object or null");
  ExpectThrowsWith(with_exec(R"({"outputs":[{"mime":"text/plain","data":1}]})"),
                   "entries[1].exec.outputs[0].data: expected a string");
  ExpectThrowsWith(with_exec(R"({"files":{"created":["a",2]}})"),
                   "entries[1].exec.files.created[1]: expected a string");
  ExpectThrowsWith(with_exec(R"({"files":[]})"), "entries[1].exec.files: expected an object");
  ExpectThrowsWith(with_exec(R"({"restarted":"yes"})"),
                   "entries[1].exec.restarted: expected a boolean");
  ExpectThrowsWith(with_exec(R"({"started_ms":"now"})"),
                   "entries[1].exec.started_ms: expected an integer");
}

TEST(ConversationJson, ExecRecordFromJsonAloneNamesTopLevelFields) {
  try {
    ExecRecordFromJson(Json::parse(R"({"stdout":false})"));
    FAIL() << "expected std::invalid_argument for a boolean stdout";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("stdout: expected a string", 0), 0u)
        << "message was: " << e.what();
  }
}

TEST(ConversationJson, LargeMillisecondTimesSurvive) {
  ExecRecord e;
  e.started_ms = 4102444800000;  // 2100-01-01
  e.duration_ms = -1;            // not meaningful, but must not be mangled
  ExecRecord back = ExecRecordFromJson(Json::parse(ExecRecordToJson(e).dump()));
  EXPECT_EQ(back.started_ms, 4102444800000);
  EXPECT_EQ(back.duration_ms, -1);
}

TEST(ConversationJson, SourceSaysWhoAskedForTheRunAndDefaultsForOldRecords) {
  ExecRecord e;
  e.source = "fenced";
  EXPECT_EQ(ExecRecordFromJson(Json::parse(ExecRecordToJson(e).dump())).source, "fenced");
  // Saved before "source" existed: a tool call id means the model asked.
  EXPECT_EQ(ExecRecordFromJson(Json::parse(R"({"tool_call_id":"call_1"})")).source, "tool");
  EXPECT_EQ(ExecRecordFromJson(Json::parse(R"({})")).source, "user");
  EXPECT_THROW(ExecRecordFromJson(Json::parse(R"({"source":"martians"})")), std::invalid_argument);
}

}  // namespace
}  // namespace ci
