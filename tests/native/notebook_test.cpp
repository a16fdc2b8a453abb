// Notebook export: the nbformat 4.5 structure checked field by field (the
// required keys of the schema per cell and output type, no others), cell ids,
// output order and types, multiline strings, and determinism.
#include "core/notebook.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace ci {
namespace {

const char kPng[] =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+"
    "M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

Conversation SampleConversation() {
  Conversation c;
  c.id = "conv-1";
  c.title = "Sine";

  Entry user;
  user.kind = Entry::Kind::kUser;
  user.turn = 1;
  user.text = "Plot sin(x)\nand print the mean.";
  c.entries.push_back(user);

  Entry assistant;
  assistant.kind = Entry::Kind::kAssistant;
  assistant.turn = 1;
  assistant.text = "Here is the plot:";
  assistant.thinking = "SECRET-THINKING";
  assistant.tool_calls.push_back({"call_1", "python", "{\"code\":\"...\"}"});
  c.entries.push_back(assistant);

  Entry ok;
  ok.kind = Entry::Kind::kExec;
  ok.turn = 1;
  ok.exec.exec_id = "e1";
  ok.exec.tool_call_id = "call_1";
  ok.exec.code = "import numpy as np\nx = np.linspace(0, 6)\nprint(x.mean())\nx.mean()";
  ok.exec.status = "ok";
  ok.exec.stdout_text = "3.0\ndone\n";
  ok.exec.outputs.push_back({"image/png", kPng});
  ok.exec.result = "3.0";
  ok.exec.execution_count = 1;
  c.entries.push_back(ok);

  Entry empty_assistant;  // only tool calls: makes no cell
  empty_assistant.kind = Entry::Kind::kAssistant;
  empty_assistant.turn = 1;
  empty_assistant.tool_calls.push_back({"call_2", "python", "{}"});
  c.entries.push_back(empty_assistant);

  Entry failed;
  failed.kind = Entry::Kind::kExec;
  failed.turn = 1;
  failed.exec.exec_id = "e2";
  failed.exec.code = "1/0";
  failed.exec.status = "error";
  failed.exec.stderr_text = "warning: x\nlast";
  failed.exec.error = Json{{"type", "ZeroDivisionError"},
                           {"message", "division by zero"},
                           {"traceback",
                            "Traceback (most recent call last):\n  File \"<exec>\", line "
                            "1\nZeroDivisionError: division by zero"}};
  failed.exec.execution_count = 2;
  c.entries.push_back(failed);

  Entry notice;
  notice.kind = Entry::Kind::kNotice;
  notice.turn = 2;
  notice.text = "The sandbox restarted.\nVariables were lost.";
  notice.notice_level = "warning";
  c.entries.push_back(notice);
  return c;
}

std::set<std::string> Keys(const Json& obj) {
  std::set<std::string> keys;
  for (auto it = obj.begin(); it != obj.end(); ++it) keys.insert(it.key());
  return keys;
}

// A multiline string as Jupyter writes it: every item a string ending in
// "\n" except possibly the last, and together they spell `expected`.
void ExpectMultiline(const Json& lines, const std::string& expected) {
  ASSERT_TRUE(lines.is_array()) << "expected a list of lines, got " << lines.dump();
  std::string joined;
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_TRUE(lines[i].is_string());
    const std::string& line = lines[i].get_ref<const std::string&>();
    EXPECT_FALSE(line.empty()) << "no empty line items";
    size_t nl = line.find('\n');
    if (i + 1 < lines.size()) {
      EXPECT_EQ(nl, line.size() - 1) << "line " << i << " must end with its one \\n: " << line;
    } else {
      EXPECT_TRUE(nl == std::string::npos || nl == line.size() - 1)
          << "the last line has at most a final \\n: " << line;
    }
    joined += line;
  }
  EXPECT_EQ(joined, expected);
}

void ExpectMarkdownCell(const Json& cell) {
  EXPECT_EQ(Keys(cell), (std::set<std::string>{"cell_type", "id", "metadata", "source"}))
      << "a markdown cell has exactly these keys: " << cell.dump();
  EXPECT_EQ(cell["cell_type"], "markdown");
  EXPECT_EQ(cell["metadata"], Json::object());
}

void ExpectCodeCell(const Json& cell) {
  EXPECT_EQ(Keys(cell), (std::set<std::string>{"cell_type", "id", "metadata", "source", "outputs",
                                               "execution_count"}))
      << "a code cell has exactly these keys: " << cell.dump();
  EXPECT_EQ(cell["cell_type"], "code");
  EXPECT_EQ(cell["metadata"], Json::object());
  EXPECT_TRUE(cell["outputs"].is_array());
}

TEST(ExportNotebook, TopLevelIsNbformat45WithKernelMetadata) {
  NotebookOptions options;
  options.python_version = "3.12.1";
  Json nb = ExportNotebook(SampleConversation(), options);
  EXPECT_EQ(Keys(nb), (std::set<std::string>{"cells", "metadata", "nbformat", "nbformat_minor"}));
  EXPECT_EQ(nb["nbformat"], 4);
  EXPECT_EQ(nb["nbformat_minor"], 5);
  EXPECT_EQ(
      nb["metadata"]["kernelspec"],
      (Json{{"name", "python3"}, {"display_name", "Python 3 (Pyodide)"}, {"language", "python"}}));
  EXPECT_EQ(nb["metadata"]["language_info"], (Json{{"name", "python"}, {"version", "3.12.1"}}));
}

TEST(ExportNotebook, CellsFollowTheConversation) {
  Json cells = ExportNotebook(SampleConversation())["cells"];
  // user, assistant, exec, (empty assistant: none), exec, notice
  ASSERT_EQ(cells.size(), 5u) << cells.dump(2);
  ExpectMarkdownCell(cells[0]);
  ExpectMarkdownCell(cells[1]);
  ExpectCodeCell(cells[2]);
  ExpectCodeCell(cells[3]);
  ExpectMarkdownCell(cells[4]);

  ExpectMultiline(cells[0]["source"], "**User:**\n\nPlot sin(x)\nand print the mean.");
  EXPECT_EQ(cells[0]["source"],
            (Json::array({"**User:**\n", "\n", "Plot sin(x)\n", "and print the mean."})));
  ExpectMultiline(cells[1]["source"], "Here is the plot:");
  ExpectMultiline(cells[4]["source"], "> The sandbox restarted.\n> Variables were lost.");

  EXPECT_EQ(ExportNotebook(SampleConversation()).dump().find("SECRET-THINKING"), std::string::npos)
      << "thinking must not be exported";
}

TEST(ExportNotebook, CellIdsAreUniqueAndMatchTheSchemaPattern) {
  Json cells = ExportNotebook(SampleConversation())["cells"];
  // The schema's pattern ^[a-zA-Z0-9-_]+$, checked by hand.
  auto matches_pattern = [](const std::string& id) {
    return !id.empty() && id.find_first_not_of(
                              "abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "0123456789-_") == std::string::npos;
  };
  std::set<std::string> ids;
  for (const Json& cell : cells) {
    ASSERT_TRUE(cell["id"].is_string());
    std::string id = cell["id"].get<std::string>();
    EXPECT_TRUE(matches_pattern(id)) << "bad id " << id;
    EXPECT_GE(id.size(), 1u);
    EXPECT_LE(id.size(), 64u);
    EXPECT_TRUE(ids.insert(id).second) << "duplicate id " << id;
  }
}

TEST(ExportNotebook, SuccessfulExecHasStdoutDisplayAndResultInOrder) {
  Json cell = ExportNotebook(SampleConversation())["cells"][2];
  EXPECT_EQ(cell["execution_count"], 1);
  ExpectMultiline(cell["source"],
                  "import numpy as np\nx = np.linspace(0, 6)\nprint(x.mean())\nx.mean()");
  EXPECT_EQ(cell["source"].size(), 4u);

  Json outputs = cell["outputs"];
  ASSERT_EQ(outputs.size(), 3u) << outputs.dump(2);

  EXPECT_EQ(Keys(outputs[0]), (std::set<std::string>{"output_type", "name", "text"}));
  EXPECT_EQ(outputs[0]["output_type"], "stream");
  EXPECT_EQ(outputs[0]["name"], "stdout");
  EXPECT_EQ(outputs[0]["text"], (Json::array({"3.0\n", "done\n"})))
      << "a text ending in \\n keeps it on its last line";

  EXPECT_EQ(Keys(outputs[1]), (std::set<std::string>{"output_type", "data", "metadata"}));
  EXPECT_EQ(outputs[1]["output_type"], "display_data");
  EXPECT_EQ(outputs[1]["data"], (Json{{"image/png", kPng}})) << "PNG stays base64 as stored";
  EXPECT_EQ(outputs[1]["metadata"], Json::object());

  EXPECT_EQ(Keys(outputs[2]),
            (std::set<std::string>{"output_type", "execution_count", "data", "metadata"}));
  EXPECT_EQ(outputs[2]["output_type"], "execute_result");
  EXPECT_EQ(outputs[2]["execution_count"], 1);
  EXPECT_EQ(outputs[2]["data"], (Json{{"text/plain", "3.0"}}));
  EXPECT_EQ(outputs[2]["metadata"], Json::object());
}

TEST(ExportNotebook, FailedExecHasStderrThenError) {
  Json cell = ExportNotebook(SampleConversation())["cells"][3];
  EXPECT_EQ(cell["execution_count"], 2);
  EXPECT_EQ(cell["source"], Json::array({"1/0"}));
  Json outputs = cell["outputs"];
  ASSERT_EQ(outputs.size(), 2u) << outputs.dump(2);

  EXPECT_EQ(outputs[0]["output_type"], "stream");
  EXPECT_EQ(outputs[0]["name"], "stderr");
  EXPECT_EQ(outputs[0]["text"], (Json::array({"warning: x\n", "last"})))
      << "the last line keeps no \\n it did not have";

  EXPECT_EQ(Keys(outputs[1]),
            (std::set<std::string>{"output_type", "ename", "evalue", "traceback"}));
  EXPECT_EQ(outputs[1]["output_type"], "error");
  EXPECT_EQ(outputs[1]["ename"], "ZeroDivisionError");
  EXPECT_EQ(outputs[1]["evalue"], "division by zero");
  EXPECT_EQ(outputs[1]["traceback"],
            (Json::array({"Traceback (most recent call last):", "  File \"<exec>\", line 1",
                          "ZeroDivisionError: division by zero"})));
}

TEST(ExportNotebook, RichOutputsKeepTheirTypes) {
  Conversation c;
  Entry e;
  e.kind = Entry::Kind::kExec;
  e.exec.code = "show()";
  e.exec.outputs = {{"image/svg+xml", "<svg>\n</svg>"},
                    {"text/html", "<b>hi</b>"},
                    {"application/json", R"({"a":[1,2]})"},
                    {"application/json", "not json"}};
  c.entries.push_back(e);
  Json outputs = ExportNotebook(c)["cells"][0]["outputs"];
  ASSERT_EQ(outputs.size(), 4u);
  EXPECT_EQ(outputs[0]["data"]["image/svg+xml"], "<svg>\n</svg>");
  EXPECT_EQ(outputs[1]["data"]["text/html"], "<b>hi</b>");
  EXPECT_EQ(outputs[2]["data"]["application/json"], Json::parse(R"({"a":[1,2]})"))
      << "application/json is exported as a JSON value";
  EXPECT_EQ(outputs[3]["data"]["application/json"], "not json")
      << "unparsable JSON falls back to the string";
}

TEST(ExportNotebook, RichOutputsKeepTheirTextPlainFallback) {
  Conversation c;
  Entry e;
  e.kind = Entry::Kind::kExec;
  e.exec.code = "display_table(rows)";
  e.exec.outputs = {{"application/vnd.dataresource+json", R"({"data":[{"a":1}]})", "   a\n0  1"},
                    {"image/png", "iVBORw0KGgo=", ""}};
  c.entries.push_back(e);
  Json outputs = ExportNotebook(c)["cells"][0]["outputs"];
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[0]["data"]["application/vnd.dataresource+json"], Json::parse(R"({"data":[{"a":1}]})"));
  EXPECT_EQ(outputs[0]["data"]["text/plain"], Json::array({"   a\n", "0  1"}));
  EXPECT_FALSE(outputs[1]["data"].contains("text/plain")) << "no fallback invented";
}

TEST(ExportNotebook, UnrunExecHasNullExecutionCountAndNoOutputs) {
  Conversation c;
  Entry e;
  e.kind = Entry::Kind::kExec;
  e.exec.code = "";
  c.entries.push_back(e);
  Json cell = ExportNotebook(c)["cells"][0];
  ExpectCodeCell(cell);
  EXPECT_TRUE(cell["execution_count"].is_null());
  EXPECT_EQ(cell["outputs"], Json::array());
  EXPECT_EQ(cell["source"], Json::array()) << "empty source is an empty list of lines";
}

TEST(ExportNotebook, NoticeIsABlockQuoteWithoutATrailingEmptyLine) {
  Conversation c;
  Entry n;
  n.kind = Entry::Kind::kNotice;
  n.text = "first\n\nsecond\n";
  c.entries.push_back(n);
  Json cell = ExportNotebook(c)["cells"][0];
  ExpectMarkdownCell(cell);
  EXPECT_EQ(cell["source"], (Json::array({"> first\n", ">\n", "> second"})));
}

TEST(ExportNotebook, EmptyConversationIsAValidEmptyNotebook) {
  Json nb = ExportNotebook(Conversation{});
  EXPECT_EQ(nb["cells"], Json::array());
  EXPECT_EQ(nb["nbformat"], 4);
}

TEST(ExportNotebook, IsDeterministic) {
  std::string first = ExportNotebook(SampleConversation()).dump(1);
  std::string second = ExportNotebook(SampleConversation()).dump(1);
  EXPECT_EQ(first, second) << "two exports of one conversation must be byte-identical";
}

}  // namespace
}  // namespace ci
