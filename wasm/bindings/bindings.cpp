// The one Embind file: the core's browser API. Everything crosses the
// boundary as JSON text plus raw bytes (Uint8Array), with one integer handle
// per session; no C++ object is exposed to JS, so JS never has to free
// anything but the handle (destroySession). The one exception is the hot
// streaming path (feedLlmBytes, decoderFeed, decoderFinish): its texts cross
// as "packed records" (below, and PROTOCOL.md), not as a JSON document per
// chunk.
//
// Contracts (arguments, results, ownership, failure) of every function are in
// wasm/PROTOCOL.md, "Bound functions". In short: every function catches
// inside C++ (an exception escaping a bound function reaches JS as a bare
// number); a function that returns JSON fails with exactly
//   {"error": {"code", "message", "detail"?}}
// (an object whose only key is "error"; no successful answer has that
// shape). The few that return something else (readFile: bytes or null;
// stateName: a name or ""; createDecoder: a handle or 0; mediaTypeFor: a
// media type; destroySession: nothing; feedLlmBytes, decoderFeed and
// decoderFinish: packed records, or JSON text when refused or failed) say in
// PROTOCOL.md what their answers mean.
#include <emscripten/bind.h>
#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string_view>
#include <vector>

#include "core/api_error.h"
#include "core/json.h"
#include "core/json_bytes.h"
#include "core/notebook.h"
#include "core/protocol.h"
#include "core/session.h"
#include "core/sse.h"
#include "core/stream_decoder.h"
#include "core/utf8.h"
#include "core/vfs.h"

using emscripten::val;

namespace {

std::map<int, std::unique_ptr<ci::Session>> g_sessions;
std::map<int, std::unique_ptr<ci::StreamDecoder>> g_decoders;
int g_next_handle = 1;

// --- JSON out ------------------------------------------------------------------
// nlohmann's dump() escapes byte by byte through a UTF-8 state machine; a
// decoded reply's text (decoderFinish, the assistant_message) is most of what
// crosses, so strings are written here in runs: 8 bytes at a time while they
// need no escape, valid UTF-8 copied as is. The output is the same JSON
// value as dump() with the `replace` handler: a string that is not valid
// UTF-8 (text from providers and Python may not be) and every non-string
// scalar are left to nlohmann itself.

void DumpString(const std::string& s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  const size_t start = out->size();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* const end = p + s.size();
  const unsigned char* run = p;  // bytes from here to p go out as they are
  const size_t need = start + s.size() + 2;  // the usual answer: nothing to escape
  if (out->capacity() < need) out->reserve(std::max(need, 2 * out->capacity()));  // geometric: many strings, one buffer
  out->push_back('"');
  while (p < end) {
    if (end - p >= 8 && !ci::json_bytes::StringSpecials(reinterpret_cast<const char*>(p))) {
      p += 8;
      continue;
    }
    unsigned char c = *p;
    if (c >= 0x80) {
      int n = ci::Utf8SequenceLength(p, end);
      if (n == 0) {  // not UTF-8: nlohmann's replacement rules, for exactly its answer
        out->resize(start);
        out->append(ci::Json(s).dump(-1, ' ', false, ci::Json::error_handler_t::replace));
        return;
      }
      p += n;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++p;
      continue;
    }
    out->append(reinterpret_cast<const char*>(run), p - run);
    out->push_back('\\');
    switch (c) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '\n': out->push_back('n'); break;
      case '\r': out->push_back('r'); break;
      case '\t': out->push_back('t'); break;
      case '\b': out->push_back('b'); break;
      case '\f': out->push_back('f'); break;
      default: out->append({'u', '0', '0', kHex[c >> 4], kHex[c & 15]});
    }
    run = ++p;
  }
  out->append(reinterpret_cast<const char*>(run), p - run);
  out->push_back('"');
}

void DumpTo(const ci::Json& j, std::string* out) {
  switch (j.type()) {
    case ci::Json::value_t::string:
      return DumpString(j.get_ref<const std::string&>(), out);
    case ci::Json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& v : j) {
        if (!first) out->push_back(',');
        first = false;
        DumpTo(v, out);
      }
      out->push_back(']');
      return;
    }
    case ci::Json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out->push_back(',');
        first = false;
        DumpString(it.key(), out);
        out->push_back(':');
        DumpTo(it.value(), out);
      }
      out->push_back('}');
      return;
    }
    default:  // null, booleans, numbers: nlohmann's exact spelling
      out->append(j.dump(-1, ' ', false, ci::Json::error_handler_t::replace));
  }
}

std::string Dump(const ci::Json& j) {
  std::string out;
  DumpTo(j, &out);
  return out;
}

// JSON answers that can be big (a whole reply in llm_done's actions, the
// saved state, the conversation, a notebook) as a JS string made by one
// TextDecoder call: Embind's std::string return walks every byte in JS first.
val JsText(const std::string& s) {
  static val decoder = val::global("TextDecoder").new_(val("utf-8"));
  return decoder.call<val>("decode", val(emscripten::typed_memory_view(s.size(), reinterpret_cast<const unsigned char*>(s.data()))));
}

// A failed call: {"error": {"code", "message", "detail"?}}.
std::string Fail(const char* code, const std::string& message, ci::Json detail = nullptr) {
  return Dump(ci::Json{{"error", ci::ApiError(code, message, std::move(detail)).ToJson()}});
}

}  // namespace

// Two direct JS calls instead of about five Embind value operations (each a
// trip through Embind's generic, eval-free glue): this runs once per chunk of
// every stream.
EM_JS(size_t, ci_js_byte_length, (emscripten::EM_VAL bytes), { return Emval.toValue(bytes).length; });
EM_JS(void, ci_js_copy_bytes, (emscripten::EM_VAL bytes, unsigned char* to), { HEAPU8.set(Emval.toValue(bytes), to); });

namespace {

// Copies a JS Uint8Array (or other typed array of bytes) into a std::string
// in one memcpy-like step, without going through a JS string.
std::string BytesFromVal(const val& v) {
  size_t n = ci_js_byte_length(v.as_handle());
  std::string s(n, '\0');
  if (n) ci_js_copy_bytes(v.as_handle(), reinterpret_cast<unsigned char*>(&s[0]));
  return s;
}

val BytesToVal(const std::string& s) {
  return val::global("Uint8Array")
      .new_(val(emscripten::typed_memory_view(s.size(), reinterpret_cast<const unsigned char*>(s.data()))));
}

// --- packed records: the streaming answers -----------------------------------
// Per chunk of a stream, JSON would cost a document built, dumped (escaping
// every text byte) and JSON.parse'd again: about 2/3 of the wasm decode time
// (bench/README.md). Instead the texts go out concatenated, as they are, with
// a small table of records; JS decodes all texts with ONE TextDecoder call and
// slices them apart by the UTF-16 lengths given here. Layout (uint32 words,
// little-endian, then bytes); defined here only, JS gets the numbers and the
// kind names from packedLayout() (reader: js_glue/packed.mjs):
//   word 0            n, the number of records
//   word 1            the number of text bytes
//   words 2+3i..4+3i  record i: kind, index, length of its text in UTF-16 units
//   then              the n texts, concatenated, valid UTF-8
// Kinds: the four StreamDelta kinds (index: the tool call), and "json": the
// text is one JSON value (feedLlmBytes: an action that is not a delta emit;
// decoderFinish: the result, see PackResult). The answer is a Uint8Array
// *view* of wasm memory, valid until the next call into the module: read it
// at once. Contracts per function: wasm/PROTOCOL.md.
constexpr uint32_t kHeaderWords = 2;
constexpr uint32_t kRecordWords = 3;
enum PackedKind : uint32_t { kPackedText, kPackedThinking, kPackedToolCallBegin, kPackedToolCallArguments, kPackedJson };
// In PackedKind order; StreamDelta::Kind's four come first, in its order.
constexpr const char* kPackedKinds[] = {"text", "thinking", "tool_call_begin", "tool_call_arguments", "json"};
static_assert(static_cast<uint32_t>(ci::StreamDelta::Kind::kToolCallArguments) == kPackedToolCallArguments);

std::string PackedLayout() {
  ci::Json kinds = ci::Json::array();
  for (const char* k : kPackedKinds) kinds.push_back(k);
  return Dump(ci::Json{{"header_words", kHeaderWords}, {"record_words", kRecordWords}, {"kinds", kinds}});
}

// UTF-16 code units of valid UTF-8 text (what String.length will say after
// TextDecoder), or npos when the text is not valid UTF-8.
size_t Utf16Units(std::string_view s) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* end = p + s.size();
  size_t units = 0;
  while (p < end) {
    if (end - p >= 8) {  // 8 ASCII bytes at once (most model text)
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (!(w & 0x8080808080808080ull)) {
        units += 8;
        p += 8;
        continue;
      }
    }
    if (*p < 0x80) {
      ++units;
      ++p;
      continue;
    }
    int n = ci::Utf8SequenceLength(p, end);
    if (n == 0) return std::string_view::npos;
    units += n == 4 ? 2 : 1;  // above U+FFFF: a surrogate pair
    p += n;
  }
  return units;
}

// Builds one packed answer in buffers reused across calls (no allocation
// per chunk once they have grown).
class PackedWriter {
 public:
  void Clear() {
    records_.clear();
    text_.clear();
  }

  void Add(uint32_t kind, size_t index, std::string_view text) {
    size_t units = Utf16Units(text);
    if (units == std::string_view::npos) {  // never from the decoders; keep the offsets right anyway
      std::string clean = ci::SanitizeUtf8(text);
      units = Utf16Units(clean);
      text_.append(clean);
    } else {
      text_.append(text);
    }
    records_.insert(records_.end(), {kind, static_cast<uint32_t>(index), static_cast<uint32_t>(units)});
  }

  // The answer: a view of the reused output buffer (see the layout above).
  val View() {
    const size_t head = kHeaderWords + records_.size();
    out_.resize(head + (text_.size() + 3) / 4);
    out_[0] = static_cast<uint32_t>(records_.size() / kRecordWords);
    out_[1] = static_cast<uint32_t>(text_.size());
    std::memcpy(out_.data() + kHeaderWords, records_.data(), records_.size() * sizeof(uint32_t));
    if (!text_.empty()) std::memcpy(out_.data() + head, text_.data(), text_.size());
    return val(emscripten::typed_memory_view(head * sizeof(uint32_t) + text_.size(),
                                             reinterpret_cast<const unsigned char*>(out_.data())));
  }

 private:
  std::vector<uint32_t> records_;
  std::string text_;
  std::vector<uint32_t> out_;  // words: 4-byte aligned for JS's Uint32Array
};

PackedWriter g_packed;

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
val HandleEvent(int handle, const std::string& event_json, const val& blobs) {
  ci::Session* s = Find(handle);
  if (!s) return val(NoSession(handle));
  try {
    std::vector<std::string> raw;
    if (!blobs.isUndefined() && !blobs.isNull()) {
      size_t n = blobs["length"].as<size_t>();
      raw.reserve(n);
      for (size_t i = 0; i < n; ++i) raw.push_back(BytesFromVal(blobs[i]));
    }
    ci::Json event = ci::Json::parse(event_json, nullptr, /*allow_exceptions=*/false);
    if (event.is_discarded())
      return JsText(Dump(ci::Json{{"actions", ci::Json::array()},
                           {"error", ci::ApiError(ci::error_code::kInvalidJson, "event: not valid JSON").ToJson()}}));
    return JsText(Dump(s->Handle(event, raw).ToJson()));
  } catch (const std::exception& e) {
    return val(Internal(e));
  }
}

// The string field `key` of a delta emit, when the event is exactly
// {type, <key>} or {type, index, <key>} (with_index) of those types: only then
// does a packed record say all of it.
const std::string* DeltaText(const ci::Json& event, const char* key, bool with_index) {
  if (!event.is_object() || event.size() != (with_index ? 3u : 2u)) return nullptr;
  auto text = event.find(key);
  if (text == event.end() || !text->is_string()) return nullptr;
  if (with_index) {
    auto index = event.find("index");
    if (index == event.end() || !index->is_number_unsigned() || index->get<uint64_t>() > UINT32_MAX) return nullptr;
  }
  return &text->get_ref<const std::string&>();
}

// One action as a packed record: text_delta, thinking_delta and
// tool_call_delta emits by their text (no JSON), anything else as JSON.
void PackAction(const ci::Json& action) {
  auto type = action.find("type");
  auto event = action.find("event");
  if (type != action.end() && *type == "emit" && event != action.end() && action.size() == 2 && event->is_object()) {
    auto event_type = event->find("type");
    if (event_type != event->end() && event_type->is_string()) {
      const std::string& t = event_type->get_ref<const std::string&>();
      const std::string* text = nullptr;
      if (t == "text_delta" && (text = DeltaText(*event, "text", false))) return g_packed.Add(kPackedText, 0, *text);
      if (t == "thinking_delta" && (text = DeltaText(*event, "text", false)))
        return g_packed.Add(kPackedThinking, 0, *text);
      if (t == "tool_call_delta" && (text = DeltaText(*event, "arguments", true)))
        return g_packed.Add(kPackedToolCallArguments, (*event)["index"].get<uint32_t>(), *text);
    }
  }
  g_packed.Add(kPackedJson, 0, Dump(action));
}

// Packed records (see above), one per action in order; a refused chunk or a
// failure answers JSON text as handleEvent does.
val FeedLlmBytes(int handle, double request_id, const val& bytes, double now_ms) {
  ci::Session* s = Find(handle);
  if (!s) return val(NoSession(handle));
  try {
    ci::Session::Result r =
        s->FeedLlmBytes(static_cast<int64_t>(request_id), BytesFromVal(bytes), static_cast<int64_t>(now_ms));
    if (r.error) return val(Dump(r.ToJson()));
    g_packed.Clear();
    for (const ci::Json& action : r.actions) PackAction(action);
    return g_packed.View();
  } catch (const std::exception& e) {
    return val(Internal(e));
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

val Serialize(int handle) {
  ci::Session* s = Find(handle);
  if (!s) return val(NoSession(handle));
  try {
    return JsText(Dump(s->Serialize()));
  } catch (const std::exception& e) {
    return val(Internal(e));
  }
}

val ConversationJson(int handle) {
  ci::Session* s = Find(handle);
  if (!s) return val(NoSession(handle));
  try {
    return JsText(Dump(s->ConversationJson()));
  } catch (const std::exception& e) {
    return val(Internal(e));
  }
}

val ExportNotebook(int handle, const std::string& options_json) {
  ci::Session* s = Find(handle);
  if (!s) return val(NoSession(handle));
  ci::NotebookOptions options;
  ci::Json o = ci::Json::parse(options_json.empty() ? "{}" : options_json, nullptr, /*allow_exceptions=*/false);
  if (!o.is_object()) return val(Fail(ci::error_code::kBadOptions, "options: expected a JSON object"));
  auto version = o.find("python_version");
  if (version != o.end() && !version->is_string())
    return val(Fail(ci::error_code::kBadOptions, "options.python_version: expected a string"));
  options.python_version = version != o.end() ? version->get<std::string>() : s->config().sandbox.python_version;
  try {
    return JsText(Dump(ci::ExportNotebook(s->conversation(), options)));
  } catch (const std::exception& e) {
    return val(Internal(e));
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

val DecodeStream(const std::string& format, const val& bytes) {
  auto d = ci::MakeStreamDecoder(format);
  if (!d) return val(BadFormat(format));
  try {
    std::vector<ci::StreamDelta> deltas;
    d->Feed(BytesFromVal(bytes), &deltas);
    d->Finish(&deltas);
    return JsText(Dump(d->result().ToJson()));
  } catch (const std::exception& e) {
    return val(Internal(e));
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

// The deltas of this chunk as packed records (see above; kinds 0-3); a
// failure answers JSON text.
val DecoderFeed(int handle, const val& bytes) {
  auto it = g_decoders.find(handle);
  if (it == g_decoders.end()) return val(NoDecoder(handle));
  try {
    static std::vector<ci::StreamDelta> deltas;  // reused: keeps its capacity
    deltas.clear();
    it->second->Feed(BytesFromVal(bytes), &deltas);
    g_packed.Clear();
    for (const auto& d : deltas) g_packed.Add(static_cast<uint32_t>(d.kind), d.tool_index, d.text);
    return g_packed.View();
  } catch (const std::exception& e) {
    return val(Internal(e));
  }
}

// A whole decoded reply as packed records: first "json", the result with its
// texts (text, thinking, each tool call's arguments) left "", then one record
// per text left out, which JS puts back: the bulk of a reply then skips JSON's
// escaping and JSON.parse.
val PackResult(const ci::StreamResult& r) {
  ci::Json j = r.ToJson();
  std::vector<std::pair<uint32_t, size_t>> kinds;
  std::vector<std::string> texts;
  auto take = [&](ci::Json* field, uint32_t kind, size_t index) {
    if (!field->is_string()) return;
    kinds.emplace_back(kind, index);
    texts.push_back(std::move(field->get_ref<std::string&>()));
    *field = "";
  };
  if (auto it = j.find("text"); it != j.end()) take(&*it, kPackedText, 0);
  if (auto it = j.find("thinking"); it != j.end()) take(&*it, kPackedThinking, 0);
  if (auto calls = j.find("tool_calls"); calls != j.end() && calls->is_array()) {
    for (size_t i = 0; i < calls->size(); ++i) {
      ci::Json& call = (*calls)[i];
      if (auto it = call.find("arguments"); call.is_object() && it != call.end()) take(&*it, kPackedToolCallArguments, i);
    }
  }
  g_packed.Clear();
  g_packed.Add(kPackedJson, 0, Dump(j));
  for (size_t i = 0; i < texts.size(); ++i) g_packed.Add(kinds[i].first, kinds[i].second, texts[i]);
  return g_packed.View();
}

// Ends the stream and frees the decoder (its handle is then unknown).
val DecoderFinish(int handle) {
  auto it = g_decoders.find(handle);
  if (it == g_decoders.end()) return val(NoDecoder(handle));
  std::unique_ptr<ci::StreamDecoder> d = std::move(it->second);
  g_decoders.erase(it);
  try {
    std::vector<ci::StreamDelta> deltas;
    d->Finish(&deltas);
    return PackResult(d->result());
  } catch (const std::exception& e) {
    return val(Internal(e));
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
  emscripten::function("packedLayout", &PackedLayout);
  emscripten::function("mediaTypeFor", &MediaTypeFor);
}
