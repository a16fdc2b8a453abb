// The one Embind file: the core's browser API. Everything crosses the
// boundary as JSON text plus raw bytes (Uint8Array), with one integer handle
// per session; no C++ object is exposed to JS, so JS never has to free
// anything but the handle (destroySession).
//
// Contracts (arguments, results, ownership, failure) of every function are in
// wasm/PROTOCOL.md, "Bound functions". In short: every function catches
// inside C++ (an exception escaping a bound function reaches JS as a bare
// number); a function that returns JSON fails with exactly
//   {"error": {"code", "message", "detail"?}}
// (an object whose only key is "error"; no successful answer has that
// shape). The few that return something else (readFile: bytes or null;
// stateName: a name or ""; createDecoder: a handle or 0; mediaTypeFor: a
// media type; destroySession: nothing) say in PROTOCOL.md what their empty answer means.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <map>
#include <memory>

#include "core/api_error.h"
#include "core/json.h"
#include "core/notebook.h"
#include "core/protocol.h"
#include "core/session.h"
#include "core/stream_decoder.h"
#include "core/vfs.h"

using emscripten::val;

namespace {

std::map<int, std::unique_ptr<ci::Session>> g_sessions;
std::map<int, std::unique_ptr<ci::StreamDecoder>> g_decoders;
int g_next_handle = 1;

// Text from providers and Python may hold invalid UTF-8; never let dump() throw.
std::string Dump(const ci::Json& j) { return j.dump(-1, ' ', false, ci::Json::error_handler_t::replace); }

// A failed call: {"error": {"code", "message", "detail"?}}.
std::string Fail(const char* code, const std::string& message, ci::Json detail = nullptr) {
  return Dump(ci::Json{{"error", ci::ApiError(code, message, std::move(detail)).ToJson()}});
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

std::string NoSession(int handle) {
  return Fail(ci::error_code::kBadHandle, "no session with handle " + std::to_string(handle) +
                                              " (never created, or destroyed)",
              ci::Json{{"handle", handle}});
}

std::string Internal(const std::exception& e) { return Fail(ci::error_code::kInternal, e.what()); }

// --- sessions ---------------------------------------------------------------

std::string CreateSession(const std::string& config_json) {
  try {
    auto config = ci::SessionConfig::FromJson(ci::Json::parse(config_json));
    int h = g_next_handle++;
    g_sessions[h] = std::make_unique<ci::Session>(std::move(config));
    return Dump(ci::Json{{"handle", h}});
  } catch (const std::exception& e) {
    return Fail(ci::error_code::kBadConfig, e.what());
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
    return Fail(ci::error_code::kBadState, e.what());
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
                           {"error", ci::ApiError(ci::error_code::kInvalidJson, "event: not valid JSON").ToJson()}});
    return Dump(s->Handle(event, raw).ToJson());
  } catch (const std::exception& e) {
    return Internal(e);
  }
}

std::string FeedLlmBytes(int handle, double request_id, const val& bytes, double now_ms) {
  ci::Session* s = Find(handle);
  if (!s) return NoSession(handle);
  try {
    return Dump(s->FeedLlmBytes(static_cast<int64_t>(request_id), BytesFromVal(bytes), static_cast<int64_t>(now_ms))
                    .ToJson());
  } catch (const std::exception& e) {
    return Internal(e);
  }
}

// null for "no such file" and for an unknown handle alike (bytes have no
// room for an error; CoreSession.readFile in core.mjs tells the two apart).
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
  try {
    return Dump(s->vfs().IndexJson());
  } catch (const std::exception& e) {
    return Internal(e);
  }
}

std::string Serialize(int handle) {
  ci::Session* s = Find(handle);
  if (!s) return NoSession(handle);
  try {
    return Dump(s->Serialize());
  } catch (const std::exception& e) {
    return Internal(e);
  }
}

std::string ConversationJson(int handle) {
  ci::Session* s = Find(handle);
  if (!s) return NoSession(handle);
  try {
    return Dump(s->ConversationJson());
  } catch (const std::exception& e) {
    return Internal(e);
  }
}

std::string ExportNotebook(int handle, const std::string& options_json) {
  ci::Session* s = Find(handle);
  if (!s) return NoSession(handle);
  ci::NotebookOptions options;
  ci::Json o = ci::Json::parse(options_json.empty() ? "{}" : options_json, nullptr, /*allow_exceptions=*/false);
  if (!o.is_object()) return Fail(ci::error_code::kBadOptions, "options: expected a JSON object");
  auto version = o.find("python_version");
  if (version != o.end() && !version->is_string())
    return Fail(ci::error_code::kBadOptions, "options.python_version: expected a string");
  options.python_version = version != o.end() ? version->get<std::string>() : s->config().sandbox.python_version;
  try {
    return Dump(ci::ExportNotebook(s->conversation(), options));
  } catch (const std::exception& e) {
    return Internal(e);
  }
}

// "" for an unknown handle: a plain string, not JSON (see the top).
std::string StateName(int handle) {
  ci::Session* s = Find(handle);
  return s ? s->state_name() : "";
}

// --- stand-alone decoding (ci-decode in the browser; benchmarks) ------------

std::string BadFormat(const std::string& format) {
  return Fail(ci::error_code::kBadFormat, "unknown format \"" + format + "\" (expected openai, anthropic or responses)",
              ci::Json{{"format", format}});
}

std::string NoDecoder(int handle) {
  return Fail(ci::error_code::kBadHandle, "no decoder with handle " + std::to_string(handle) +
                                              " (never created, or finished)",
              ci::Json{{"handle", handle}});
}

std::string DecodeStream(const std::string& format, const val& bytes) {
  auto d = ci::MakeStreamDecoder(format);
  if (!d) return BadFormat(format);
  try {
    std::vector<ci::StreamDelta> deltas;
    d->Feed(BytesFromVal(bytes), &deltas);
    d->Finish(&deltas);
    return Dump(d->result().ToJson());
  } catch (const std::exception& e) {
    return Internal(e);
  }
}

// 0 for an unknown format: an integer, not JSON (see the top).
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
  if (it == g_decoders.end()) return NoDecoder(handle);
  try {
    std::vector<ci::StreamDelta> deltas;
    it->second->Feed(BytesFromVal(bytes), &deltas);
    return Dump(DeltasJson(deltas));
  } catch (const std::exception& e) {
    return Internal(e);
  }
}

// Ends the stream and frees the decoder (its handle is then unknown).
std::string DecoderFinish(int handle) {
  auto it = g_decoders.find(handle);
  if (it == g_decoders.end()) return NoDecoder(handle);
  std::unique_ptr<ci::StreamDecoder> d = std::move(it->second);
  g_decoders.erase(it);
  try {
    std::vector<ci::StreamDelta> deltas;
    d->Finish(&deltas);
    return Dump(d->result().ToJson());
  } catch (const std::exception& e) {
    return Internal(e);
  }
}

std::string ProtocolInfoJson() { return Dump(ci::ProtocolInfo()); }

// The VFS's guess for a file name (plain text, never fails): the one media
// type table, so the UI labels a file as the core stores it.
std::string MediaTypeFor(const std::string& name) { return ci::GuessMediaType(name); }

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
  emscripten::function("mediaTypeFor", &MediaTypeFor);
}
