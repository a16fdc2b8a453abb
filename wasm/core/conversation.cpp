// JSON form of the conversation record (see conversation.h).
//
// Writing: each entry carries "kind" and "turn" plus only the fields its kind
// uses, so a stored conversation reads naturally and stays small.
// Reading: every field but an entry's "kind" is optional; a field that is
// absent or null takes its default. A field of the wrong type, an unknown
// kind or an out-of-range number throws std::invalid_argument whose message
// starts with the path of the bad field, e.g.
//   entries[3].kind: unknown kind "foo"
//   entries[1].exec.outputs[0].data: expected a string, got number
// ToJson(FromJson(x)) == x for anything ToJson wrote (lossless round trip).
#include "core/conversation.h"

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace ci {
namespace {

const char* KindName(Entry::Kind kind) {
  switch (kind) {
    case Entry::Kind::kUser:
      return "user";
    case Entry::Kind::kAssistant:
      return "assistant";
    case Entry::Kind::kExec:
      return "exec";
    case Entry::Kind::kNotice:
      return "notice";
  }
  return "user";
}

[[noreturn]] void Fail(const std::string& path, const std::string& what) {
  throw std::invalid_argument(path + ": " + what);
}

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// The value at obj[key], or nullptr when the key is absent or null.
const Json* Field(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

void ExpectObject(const Json& j, const std::string& path) {
  if (!j.is_object()) {
    Fail(path.empty() ? "(root)" : path, std::string("expected an object, got ") + j.type_name());
  }
}

std::string ReadString(const Json& obj, const char* key, const std::string& path,
                       std::string fallback = "") {
  const Json* v = Field(obj, key);
  if (v == nullptr) return fallback;
  if (!v->is_string())
    Fail(Join(path, key), std::string("expected a string, got ") + v->type_name());
  return v->get<std::string>();
}

int64_t ReadInt64(const Json& obj, const char* key, const std::string& path, int64_t lo,
                  int64_t hi) {
  const Json* v = Field(obj, key);
  if (v == nullptr) return 0;
  if (!v->is_number_integer()) {
    Fail(Join(path, key), std::string("expected an integer, got ") + v->type_name());
  }
  if (v->is_number_unsigned()) {
    uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(hi)) Fail(Join(path, key), "integer out of range");
    return static_cast<int64_t>(u);
  }
  int64_t n = v->get<int64_t>();
  if (n < lo || n > hi) Fail(Join(path, key), "integer out of range");
  return n;
}

int ReadInt(const Json& obj, const char* key, const std::string& path) {
  return static_cast<int>(
      ReadInt64(obj, key, path, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

int64_t ReadMs(const Json& obj, const char* key, const std::string& path) {
  return ReadInt64(obj, key, path, std::numeric_limits<int64_t>::min(),
                   std::numeric_limits<int64_t>::max());
}

bool ReadBool(const Json& obj, const char* key, const std::string& path) {
  const Json* v = Field(obj, key);
  if (v == nullptr) return false;
  if (!v->is_boolean())
    Fail(Join(path, key), std::string("expected a boolean, got ") + v->type_name());
  return v->get<bool>();
}

// Returns the array at obj[key] (nullptr when absent or null); throws when
// it is something else.
const Json* ReadArray(const Json& obj, const char* key, const std::string& path) {
  const Json* v = Field(obj, key);
  if (v == nullptr) return nullptr;
  if (!v->is_array())
    Fail(Join(path, key), std::string("expected an array, got ") + v->type_name());
  return v;
}

std::vector<std::string> ReadStringList(const Json& obj, const char* key, const std::string& path) {
  std::vector<std::string> out;
  const Json* arr = ReadArray(obj, key, path);
  if (arr == nullptr) return out;
  std::string arr_path = Join(path, key);
  for (size_t i = 0; i < arr->size(); ++i) {
    const Json& item = (*arr)[i];
    if (!item.is_string()) {
      Fail(Index(arr_path, i), std::string("expected a string, got ") + item.type_name());
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

// A field that is either null or a JSON object (error, usage).
Json ReadObjectOrNull(const Json& obj, const char* key, const std::string& path) {
  const Json* v = Field(obj, key);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    Fail(Join(path, key), std::string("expected an object or null, got ") + v->type_name());
  }
  return *v;
}

Json StringArray(const std::vector<std::string>& items) {
  Json arr = Json::array();
  for (const std::string& s : items) arr.push_back(s);
  return arr;
}

Output OutputFromJson(const Json& j, const std::string& path) {
  ExpectObject(j, path);
  Output o;
  o.mime = ReadString(j, "mime", path);
  o.data = ReadString(j, "data", path);
  o.text = ReadString(j, "text", path);
  return o;
}

ExecRecord ExecRecordFromJsonAt(const Json& j, const std::string& path) {
  ExpectObject(j, path);
  ExecRecord e;
  e.exec_id = ReadString(j, "exec_id", path);
  e.tool_call_id = ReadString(j, "tool_call_id", path);
  // Records saved before "source" existed: a tool call id means the model.
  e.source = ReadString(j, "source", path, e.tool_call_id.empty() ? "user" : "tool");
  if (e.source != "tool" && e.source != "fenced" && e.source != "user")
    throw std::invalid_argument(path + ".source: expected \"tool\", \"fenced\" or \"user\", got \"" + e.source + "\"");
  e.code = ReadString(j, "code", path);
  e.status = ReadString(j, "status", path, e.status);
  e.stdout_text = ReadString(j, "stdout", path);
  e.stderr_text = ReadString(j, "stderr", path);
  if (Field(j, "result") != nullptr) e.result = ReadString(j, "result", path);
  e.error = ReadObjectOrNull(j, "error", path);
  if (const Json* outputs = ReadArray(j, "outputs", path)) {
    std::string outputs_path = Join(path, "outputs");
    for (size_t i = 0; i < outputs->size(); ++i) {
      e.outputs.push_back(OutputFromJson((*outputs)[i], Index(outputs_path, i)));
    }
  }
  if (const Json* files = Field(j, "files")) {
    std::string files_path = Join(path, "files");
    ExpectObject(*files, files_path);
    e.files_created = ReadStringList(*files, "created", files_path);
    e.files_modified = ReadStringList(*files, "modified", files_path);
    e.files_deleted = ReadStringList(*files, "deleted", files_path);
  }
  e.restarted = ReadBool(j, "restarted", path);
  e.execution_count = ReadInt(j, "execution_count", path);
  e.started_ms = ReadMs(j, "started_ms", path);
  e.duration_ms = ReadMs(j, "duration_ms", path);
  return e;
}

ToolCall ToolCallFromJson(const Json& j, const std::string& path) {
  ExpectObject(j, path);
  ToolCall call;
  call.id = ReadString(j, "id", path);
  call.name = ReadString(j, "name", path);
  call.arguments = ReadString(j, "arguments", path);
  return call;
}

Entry EntryFromJson(const Json& j, const std::string& path) {
  ExpectObject(j, path);
  Entry e;
  const Json* kind = Field(j, "kind");
  if (kind == nullptr) Fail(Join(path, "kind"), "missing");
  if (!kind->is_string()) {
    Fail(Join(path, "kind"), std::string("expected a string, got ") + kind->type_name());
  }
  const std::string& name = kind->get_ref<const std::string&>();
  if (name == "user") {
    e.kind = Entry::Kind::kUser;
  } else if (name == "assistant") {
    e.kind = Entry::Kind::kAssistant;
  } else if (name == "exec") {
    e.kind = Entry::Kind::kExec;
  } else if (name == "notice") {
    e.kind = Entry::Kind::kNotice;
  } else {
    Fail(Join(path, "kind"), "unknown kind " + Json(name).dump());
  }
  e.turn = ReadInt(j, "turn", path);
  switch (e.kind) {
    case Entry::Kind::kUser:
      e.text = ReadString(j, "text", path);
      e.images = ReadStringList(j, "images", path);
      break;
    case Entry::Kind::kAssistant:
      e.text = ReadString(j, "text", path);
      e.thinking = ReadString(j, "thinking", path);
      if (const Json* calls = ReadArray(j, "tool_calls", path)) {
        std::string calls_path = Join(path, "tool_calls");
        for (size_t i = 0; i < calls->size(); ++i) {
          e.tool_calls.push_back(ToolCallFromJson((*calls)[i], Index(calls_path, i)));
        }
      }
      e.usage = ReadObjectOrNull(j, "usage", path);
      break;
    case Entry::Kind::kNotice:
      e.text = ReadString(j, "text", path);
      e.notice_level = ReadString(j, "level", path);
      break;
    case Entry::Kind::kExec: {
      const Json* exec = Field(j, "exec");
      if (exec != nullptr) e.exec = ExecRecordFromJsonAt(*exec, Join(path, "exec"));
      break;
    }
  }
  return e;
}

}  // namespace

Json OutputToJson(const Output& o) {
  Json j = Json::object();
  j["mime"] = o.mime;
  j["data"] = o.data;
  if (!o.text.empty()) j["text"] = o.text;
  return j;
}

Json ExecRecordToJson(const ExecRecord& e) {
  Json j = Json::object();
  j["exec_id"] = e.exec_id;
  j["tool_call_id"] = e.tool_call_id;
  j["source"] = e.source;
  j["code"] = e.code;
  j["status"] = e.status;
  j["stdout"] = e.stdout_text;
  j["stderr"] = e.stderr_text;
  j["result"] = e.result ? Json(*e.result) : Json(nullptr);
  j["error"] = e.error;
  Json outputs = Json::array();
  for (const Output& o : e.outputs) outputs.push_back(OutputToJson(o));
  j["outputs"] = std::move(outputs);
  Json files = Json::object();
  files["created"] = StringArray(e.files_created);
  files["modified"] = StringArray(e.files_modified);
  files["deleted"] = StringArray(e.files_deleted);
  j["files"] = std::move(files);
  j["restarted"] = e.restarted;
  j["execution_count"] = e.execution_count;
  j["started_ms"] = e.started_ms;
  j["duration_ms"] = e.duration_ms;
  return j;
}

ExecRecord ExecRecordFromJson(const Json& j) { return ExecRecordFromJsonAt(j, ""); }

Json EntryToJson(const Entry& e) {
  Json j = Json::object();
  j["kind"] = KindName(e.kind);
  j["turn"] = e.turn;
  switch (e.kind) {
    case Entry::Kind::kUser:
      j["text"] = e.text;
      if (!e.images.empty()) j["images"] = StringArray(e.images);
      break;
    case Entry::Kind::kAssistant: {
      j["text"] = e.text;
      if (!e.thinking.empty()) j["thinking"] = e.thinking;
      Json calls = Json::array();
      for (const ToolCall& call : e.tool_calls) {
        calls.push_back(Json{{"id", call.id}, {"name", call.name}, {"arguments", call.arguments}});
      }
      j["tool_calls"] = std::move(calls);
      if (!e.usage.is_null()) j["usage"] = e.usage;
      break;
    }
    case Entry::Kind::kNotice:
      j["text"] = e.text;
      j["level"] = e.notice_level;
      break;
    case Entry::Kind::kExec:
      j["exec"] = ExecRecordToJson(e.exec);
      break;
  }
  return j;
}

Json Conversation::ToJson() const {
  Json j = Json::object();
  j["id"] = id;
  j["title"] = title;
  j["custom_title"] = custom_title;
  Json list = Json::array();
  for (const Entry& e : entries) list.push_back(EntryToJson(e));
  j["entries"] = std::move(list);
  return j;
}

Conversation Conversation::FromJson(const Json& j) {
  ExpectObject(j, "");
  Conversation c;
  c.id = ReadString(j, "id", "");
  c.title = ReadString(j, "title", "");
  c.custom_title = ReadBool(j, "custom_title", "");  // absent in states saved before it existed: false
  if (const Json* list = ReadArray(j, "entries", "")) {
    for (size_t i = 0; i < list->size(); ++i) {
      c.entries.push_back(EntryFromJson((*list)[i], Index("entries", i)));
    }
  }
  return c;
}

}  // namespace ci
