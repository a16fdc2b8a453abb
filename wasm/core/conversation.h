// The conversation record: the one source of truth for what was said and
// run. The LLM history, the UI's restore and the notebook export are all
// derived from it. Serialisable to JSON (no file bytes, no key).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/llm_types.h"

namespace ci {

struct Output {
  std::string mime;  // "image/png", "image/svg+xml", "text/html", "text/markdown", "application/json", "text/plain"
  std::string data;  // text for text types; base64 for binary types (image/png, image/jpeg, ...)
  std::string text;  // the object's text/plain beside a richer mime ("" if none): what the model reads, .ipynb's fallback
};

struct ExecRecord {
  std::string exec_id;
  std::string tool_call_id;  // "" when run by the user or from a fenced block
  std::string source = "user";  // who asked for the run: "tool" (a tool call), "fenced" (a ```python
                                // block in the model's reply) or "user"
  std::string code;
  std::string status = "running";  // running | ok | error | cancelled | timeout | crashed
  std::string stdout_text;
  std::string stderr_text;
  std::optional<std::string> result;  // text/plain repr of a last bare expression
  Json error;                         // null, or {"type","message","traceback"}
  std::vector<Output> outputs;
  std::vector<std::string> files_created, files_modified, files_deleted;
  bool restarted = false;  // the sandbox was restarted: Python variables were lost
  int execution_count = 0;
  int64_t started_ms = 0;
  int64_t duration_ms = 0;
};

struct Entry {
  enum class Kind { kUser, kAssistant, kExec, kNotice };
  Kind kind = Kind::kUser;
  int turn = 0;
  std::string text;                  // user / assistant / notice text
  std::vector<std::string> images;   // user only: paths of the uploaded images this message brought to the model
  std::string thinking;              // assistant only
  std::vector<ToolCall> tool_calls;  // assistant only
  Json usage;                        // assistant only: provider's usage object
  // assistant only, not saved: the reply's encrypted reasoning items
  // (responses), resent with the same turn's later requests. A saved
  // conversation never resumes a turn, so it has no use for them.
  Json reasoning_items;
  std::string notice_level;          // notice only: "info" | "warning" | "error"
  ExecRecord exec;                   // exec only
};

struct Conversation {
  std::string id;
  std::string title;
  bool custom_title = false;  // the user chose the title: the automatic one never replaces it
  std::vector<Entry> entries;

  Json ToJson() const;
  static Conversation FromJson(const Json& j);  // throws std::invalid_argument on bad input
};

Json OutputToJson(const Output& o);
Json ExecRecordToJson(const ExecRecord& e);
ExecRecord ExecRecordFromJson(const Json& j);
Json EntryToJson(const Entry& e);

}  // namespace ci
