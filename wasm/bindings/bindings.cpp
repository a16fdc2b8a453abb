// The one Embind file: the core's browser API. Everything crosses the
// boundary as JSON text plus raw bytes (Uint8Array), with one integer handle
// per session; no C++ object is exposed to JS, so JS never has to free
// anything but the handle (destroySession).
//
// Every function catches inside C++ (an exception escaping a bound function
// reaches JS as a bare number) and answers JSON of the form
// {"error": {"type", "message"}} when it fails.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <map>
#include <memory>

#include "core/json.h"
#include "core/notebook.h"
#include "core/protocol.h"
#include "core/session.h"
#include "core/stream_decoder.h"

using emscripten::val;

namespace {

std::map<int, std::unique_ptr<ci::Session>> g_sessions;
std::map<int, std::unique_ptr<ci::StreamDecoder>> g_decoders;
int g_next_handle = 1;

// Text from providers and Python may hold invalid UTF-8; never let dump() throw.
std::string Dump(const ci::Json& j) { return j.dump(-1, ' ', false, ci::Json::error_handler_t::replace); }

std::string ErrorJson(const std::string& type, const std::string& message) {
  return Dump(ci::Json{{"error", {{"type", type}, {"message", message}}}});
}

// Copies a JS Uint8Array (or ArrayBuffer view) into a std::string in one
// memcpy-like step, without going through a JS string.
std::string BytesFromVal(const val& v) {
  size_t n = v["length"].as<size_t>();
  std::string s(n, '\0');
  if (n) val(emscripten::typed_memory_view(n, reinterpret_cast<unsigned char*>(&s[0]))).call<void>("set", v);
  return s;
}

val BytesToVal(const std::string& s) {
  return val::global("Uint8Array")
      .new_(val(emscripten::typed_memory_view(s.size(), reinterpret_cast<const unsigned char*>(s.data()))));
}

ci::Session* Find(int handle) {
  auto it = g_sessions.find(handle);
  return it == g_sessions.end() ? nullptr : it->second.get();
}

std::string NoSession(int handle) { return ErrorJson("bad_handle", "no session with handle " + std::to_string(handle)); }

// --- sessions ---------------------------------------------------------------

std::string CreateSession(const std::string& config_json) {
  try {
    auto config = ci::SessionConfig::FromJson(ci::Json::parse(config_json));
    int h = g_next_handle++;
    g_sessions[h] = std::make_unique<ci::Session>(std::move(config));
    return Dump(ci::Json{{"handle", h}});
  } catch (const std::exception& e) {
    return ErrorJson("bad_config", e.what());
  }
}

// files: a JS object {path: Uint8Array} with the bytes of each saved file.
std::string RestoreSession(const std::string& state_json, const val& files) {
  try {
    std::map<std::string, std::string> bytes;
    val keys = val::global("Object").call<val>("keys", files);
    size_t n = keys["length"].as<size_t>();
    for (size_t i = 0; i < n; ++i) {
      std::string key = keys[i].as<std::string>();
      bytes[key] = BytesFromVal(files[key]);
    }
    std::vector<std::string> problems;
    auto session = ci::Session::Restore(ci::Json::parse(state_json), bytes, &problems);
    int h = g_next_handle++;
    g_sessions[h] = std::move(session);
    return Dump(ci::Json{{"handle", h}, {"problems", problems}});
  } catch (const std::exception& e) {
    return ErrorJson("bad_state", e.what());
  }
}

void DestroySession(int handle) { g_sessions.erase(handle); }

// blobs: a JS array of Uint8Array referenced by "blob": i in the event.
std::string HandleEvent(int handle, const std::string& event_json, const val& blobs) {
  ci::Session* s = Find(handle);
  if (!s) return NoSession(handle);
  try {
    std::vector<std::string> raw;
    if (!blobs.isUndefined() && !blobs.isNull()) {
      size_t n = blobs["length"].as<size_t>();
      raw.reserve(n);
      for (size_t i = 0; i < n; ++i) raw.push_back(BytesFromVal(blobs[i]));
    }
    ci::Json event = ci::Json::parse(event_json, nullptr, /*allow_exceptions=*/false);
    if (event.is_discarded())
      return Dump(ci::Json{{"actions", ci::Json::array()},
                           {"error", {{"type", "protocol_error"}, {"message", "event: not valid JSON"}}}});
    return Dump(s->Handle(event, raw).ToJson());
  } catch (const std::exception& e) {
    return ErrorJson("internal_error", e.what());
  }
}

std::string FeedLlmBytes(int handle, double request_id, const val& bytes, double now_ms) {
  ci::Session* s = Find(handle);
  if (!s) return NoSession(handle);
  try {
    return Dump(s->FeedLlmBytes(static_cast<int64_t>(request_id), BytesFromVal(bytes), static_cast<int64_t>(now_ms))
                    .ToJson());
  } catch (const std::exception& e) {
    return ErrorJson("internal_error", e.what());
  }
}

val ReadFile(int handle, const std::string& path) {
  ci::Session* s = Find(handle);
  if (!s) return val::null();
  const ci::FileEntry* f = s->vfs().Find(path);
  if (!f || !f->bytes) return val::null();
  return BytesToVal(*f->bytes);
}

std::string ListFiles(int handle) {
  ci::Session* s = Find(handle);
  if (!s) return NoSession(handle);
  return Dump(s->vfs().IndexJson());
}

std::string Serialize(int handle) {
  ci::Session* s = Find(handle);
  if (!s) return NoSession(handle);
  try {
    return Dump(s->Serialize());
  } catch (const std::exception& e) {
    return ErrorJson("internal_error", e.what());
  }
}

std::string ConversationJson(int handle) {
  ci::Session* s = Find(handle);
  if (!s) return NoSession(handle);
  return Dump(s->conversation().ToJson());
}

std::string ExportNotebook(int handle, const std::string& options_json) {
  ci::Session* s = Find(handle);
  if (!s) return NoSession(handle);
  try {
    ci::NotebookOptions options;
    ci::Json o = ci::Json::parse(options_json.empty() ? "{}" : options_json);
    options.python_version = o.value("python_version", s->config().sandbox.python_version);
    return Dump(ci::ExportNotebook(s->conversation(), options));
  } catch (const std::exception& e) {
    return ErrorJson("internal_error", e.what());
  }
}

std::string StateName(int handle) {
  ci::Session* s = Find(handle);
  return s ? s->state_name() : "";
}

// --- stand-alone decoding (ci-decode in the browser; benchmarks) ------------

std::string DecodeStream(const std::string& format, const val& bytes) {
  auto d = ci::MakeStreamDecoder(format);
  if (!d) return ErrorJson("bad_format", "unknown format \"" + format + "\" (expected openai or anthropic)");
  std::vector<ci::StreamDelta> deltas;
  d->Feed(BytesFromVal(bytes), &deltas);
  d->Finish(&deltas);
  return Dump(d->result().ToJson());
}

int CreateDecoder(const std::string& format) {
  auto d = ci::MakeStreamDecoder(format);
  if (!d) return 0;
  int h = g_next_handle++;
  g_decoders[h] = std::move(d);
  return h;
}

ci::Json DeltasJson(const std::vector<ci::StreamDelta>& deltas) {
  static const char* kKinds[] = {"text", "thinking", "tool_call_begin", "tool_call_arguments"};
  ci::Json out = ci::Json::array();
  for (const auto& d : deltas)
    out.push_back(ci::Json{{"kind", kKinds[static_cast<int>(d.kind)]}, {"text", d.text}, {"index", d.tool_index}});
  return out;
}

// Returns the deltas of this chunk as a JSON array.
std::string DecoderFeed(int handle, const val& bytes) {
  auto it = g_decoders.find(handle);
  if (it == g_decoders.end()) return "[]";
  std::vector<ci::StreamDelta> deltas;
  it->second->Feed(BytesFromVal(bytes), &deltas);
  return Dump(DeltasJson(deltas));
}

std::string DecoderFinish(int handle) {
  auto it = g_decoders.find(handle);
  if (it == g_decoders.end()) return ErrorJson("bad_handle", "no decoder");
  std::vector<ci::StreamDelta> deltas;
  it->second->Finish(&deltas);
  std::string result = Dump(it->second->result().ToJson());
  g_decoders.erase(it);
  return result;
}

std::string ProtocolInfoJson() { return Dump(ci::ProtocolInfo()); }

}  // namespace

EMSCRIPTEN_BINDINGS(ci_core) {
  emscripten::function("createSession", &CreateSession);
  emscripten::function("restoreSession", &RestoreSession);
  emscripten::function("destroySession", &DestroySession);
  emscripten::function("handleEvent", &HandleEvent);
  emscripten::function("feedLlmBytes", &FeedLlmBytes);
  emscripten::function("readFile", &ReadFile);
  emscripten::function("listFiles", &ListFiles);
  emscripten::function("serialize", &Serialize);
  emscripten::function("conversation", &ConversationJson);
  emscripten::function("exportNotebook", &ExportNotebook);
  emscripten::function("stateName", &StateName);
  emscripten::function("decodeStream", &DecodeStream);
  emscripten::function("createDecoder", &CreateDecoder);
  emscripten::function("decoderFeed", &DecoderFeed);
  emscripten::function("decoderFinish", &DecoderFinish);
  emscripten::function("protocolInfo", &ProtocolInfoJson);
}
