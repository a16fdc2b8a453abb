// The agent loop. The rules are at the top of session.h; the wire is in
// wasm/PROTOCOL.md. Handlers validate an event completely before they change
// anything, so a protocol error leaves the session as it was.
#include "core/session.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

#include "core/base64.h"
#include "core/context_budget.h"
#include "core/event_parse.h"
#include "core/fenced_code.h"
#include "core/request_builder.h"
#include "core/sse.h"
#include "core/retry_after.h"
#include "core/truncate.h"

namespace ci {

// Collects the actions of one Handle call. `dirty` asks for a persist
// action at the end.
class Session::Out {
 public:
  void Action(Json a) { actions.push_back(std::move(a)); }
  void Emit(Json event) { actions.push_back(Json{{"type", "emit"}, {"event", std::move(event)}}); }
  std::vector<Json> actions;
  bool dirty = false;
};

namespace {

constexpr int64_t kMaxExecGraceMs = 10 * 60 * 1000;
constexpr size_t kAutoTitleBytes = 80;   // the first line of the first message, cut here
constexpr size_t kMaxTitleBytes = 300;   // a title the user sets
constexpr size_t kMaxQueuedCode = 100;   // user code waiting for the running turn; more is refused
constexpr size_t kMaxModelsBytes = 8u << 20;    // a /models answer (OpenRouter's, with descriptions, is ~2 MB)
constexpr int64_t kDefaultModelsTimeoutMs = 15000;

// One line of valid UTF-8: control characters become spaces, the ends are
// trimmed, and it is cut to max_bytes at a character boundary.
std::string CleanTitle(std::string_view raw, size_t max_bytes) {
  std::string s = SanitizeUtf8(raw);
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  size_t begin = s.find_first_not_of(' ');
  if (begin == std::string::npos) return "";
  s = s.substr(begin);
  if (s.size() > max_bytes) {
    size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    s.resize(cut);
  }
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

bool IsVisionMediaType(const std::string& t) {
  return t == "image/png" || t == "image/jpeg" || t == "image/gif" || t == "image/webp";
}

// Larger images are not sent (5 MB of base64 is Anthropic's limit per image;
// the glue sends a downscaled preview of big uploads).
constexpr size_t kMaxImageBytes = 3750000;
constexpr int kMaxImagesPerRequest = 4;

std::string LowerAscii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// OpenAI's code context_length_exceeded, Anthropic's "prompt is too long",
// and the wordings of llama.cpp, vLLM, Ollama, Gemini and OpenRouter.
bool IsContextLengthError(const StreamError& err) {
  std::string text = LowerAscii(err.type + " " + err.message);
  for (const char* needle : {"context_length_exceeded", "context length", "context window", "prompt is too long",
                             "maximum context", "too many tokens", "exceeds the context", "input is too long",
                             "reduce the length"})
    if (text.find(needle) != std::string::npos) return true;
  return false;
}

bool IsRetryableStatus(int status) {
  return status == 408 || status == 409 || status == 429 || status >= 500;
}

bool IsRetryableStreamError(const std::string& type) {
  // rate_limit_exceeded: OpenAI's error code (the Responses API's error
  // events and failed responses carry a code, not a type).
  return type == "overloaded_error" || type == "rate_limit_error" || type == "api_error" ||
         type == "server_error" || type == "rate_limit_exceeded" || type == "incomplete_stream";
}

// The reply stopped at the output token limit: Chat Completions "length",
// Anthropic "max_tokens", Responses "incomplete:max_output_tokens".
bool CutAtTokenLimit(const std::optional<std::string>& finish_reason) {
  return finish_reason == "length" || finish_reason == "max_tokens" ||
         finish_reason == "incomplete:max_output_tokens";
}

std::string StateName(int s) {
  static const char* names[] = {"idle", "waiting_model", "retry_wait", "running_code"};
  return names[s];
}

const Json* Field(const Json& e, const char* key) {
  auto it = e.find(key);
  return it == e.end() ? nullptr : &*it;
}

// A 2xx answer with no event in it: a web page (a captive portal, a wrong
// base URL), one JSON document (a server that does not stream, or an error
// sent with status 200), or nothing. Retrying would get the same again, so
// this ends the turn with what it is. nullopt: it looks like a cut stream.
std::optional<StreamError> DescribeNonStream(const std::string& head, const std::map<std::string, std::string>& headers,
                                             int status) {
  std::string_view body = head;
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  while (!body.empty() && (body.front() == ' ' || body.front() == '\n' || body.front() == '\r' || body.front() == '\t'))
    body.remove_prefix(1);
  std::string type;
  for (const auto& [k, v] : headers) {
    std::string key = k;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    if (key == "content-type") type = v;
  }
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  const std::string where = " (HTTP " + std::to_string(status) + (type.empty() ? "" : ", " + type) + ")";
  if (body.empty())
    return StreamError{"empty_response", "The model endpoint answered with an empty body" + where +
                                             ". Check the base URL and that the server supports streaming."};
  if (body.front() == '<' || type.find("text/html") != std::string::npos)
    return StreamError{"not_a_stream", "The model endpoint answered with a web page, not a stream of events" + where +
                                           ". Check the base URL (it usually ends in /v1)."};
  if (body.front() == '{' || body.front() == '[') {
    StreamError parsed = ParseErrorBody(status, body);
    std::string msg = "The model endpoint answered with one JSON document instead of a stream" + where;
    if (parsed.type != "http_error") return StreamError{parsed.type, msg + ": " + parsed.message};
    return StreamError{"not_a_stream", msg + ". The server may not support streaming."};
  }
  if (!type.empty() && type.find("event-stream") == std::string::npos && type.find("text/plain") == std::string::npos)
    return StreamError{"not_a_stream", "The model endpoint answered with something that is not a stream of events" +
                                           where + ". Check the base URL."};
  return std::nullopt;
}

// The http_request action for a built request. purpose: "chat" (the turn's
// model request) or "models" (the model list); a GET carries no body.
Json HttpRequestAction(int64_t request_id, const HttpRequest& req, const char* purpose) {
  Json headers = Json::object();
  for (const auto& [k, v] : req.headers) headers[k] = v;
  Json auth = nullptr;
  if (req.auth) auth = Json{{"header", req.auth->header}, {"prefix", req.auth->prefix}};
  return Json{{"type", "http_request"},
              {"request_id", request_id},
              {"method", req.method},
              {"url", req.url},
              {"headers", headers},
              {"body", req.method == "GET" ? Json(nullptr) : Json(req.body)},
              {"auth", auth},
              {"purpose", purpose}};
}

// Saved per-turn usage; entries that do not parse are left out (a record
// for the user, never a reason to refuse a saved conversation).
std::map<int, TokenUsage> UsageByTurnFromJson(const Json& j) {
  std::map<int, TokenUsage> out;
  if (!j.is_object()) return out;
  for (const auto& [key, value] : j.items()) {
    if (key.empty() || key.size() > 9 || key.find_first_not_of("0123456789") != std::string::npos) continue;
    out[std::stoi(key)] = TokenUsage::FromJson(value);
  }
  return out;
}

std::deque<std::string> QueuedCodeFromJson(const Json& j) {
  if (j.is_null()) return {};
  if (!j.is_array()) throw std::invalid_argument("queued: expected an array of code strings");
  std::deque<std::string> out;
  for (const Json& code : j) {
    if (!code.is_string()) throw std::invalid_argument("queued: expected an array of code strings");
    out.push_back(code.get<std::string>());
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------- config --

Json SessionLimits::ToJson() const {
  return Json{{"max_steps", max_steps},
              {"max_turn_tokens", max_turn_tokens},
              {"request_timeout_ms", request_timeout_ms},
              {"idle_timeout_ms", idle_timeout_ms},
              {"max_reply_ms", max_reply_ms},
              {"max_reply_bytes", max_reply_bytes},
              {"max_retries", max_retries},
              {"retry_base_ms", retry_base_ms},
              {"max_retry_wait_ms", max_retry_wait_ms},
              {"exec_grace_ms", exec_grace_ms},
              {"max_tool_output_bytes", max_tool_output_bytes},
              {"max_error_body_bytes", max_error_body_bytes}};
}

SessionLimits SessionLimits::FromJson(const Json& j, const SessionLimits& base) {
  SessionLimits l = base;
  if (!j.is_object()) throw std::invalid_argument("limits: expected an object");
  auto get_int = [&](const char* key, auto* dst, int64_t lo, int64_t hi) {
    const Json* v = Field(j, key);
    if (!v) return;
    if (!v->is_number_integer() || v->get<int64_t>() < lo || v->get<int64_t>() > hi)
      throw std::invalid_argument(std::string("limits.") + key + ": expected an integer in [" + std::to_string(lo) +
                                  ", " + std::to_string(hi) + "]");
    *dst = static_cast<std::remove_pointer_t<decltype(dst)>>(v->get<int64_t>());
  };
  get_int("max_steps", &l.max_steps, 1, 1000);
  get_int("max_turn_tokens", &l.max_turn_tokens, 0, int64_t{1} << 40);
  get_int("request_timeout_ms", &l.request_timeout_ms, 1, 3600000);
  get_int("idle_timeout_ms", &l.idle_timeout_ms, 1, 3600000);
  get_int("max_reply_ms", &l.max_reply_ms, 1, int64_t{24} * 3600000);
  get_int("max_reply_bytes", &l.max_reply_bytes, 1024, int64_t{1} << 30);
  get_int("max_retries", &l.max_retries, 0, 20);
  get_int("retry_base_ms", &l.retry_base_ms, 0, 600000);
  get_int("max_retry_wait_ms", &l.max_retry_wait_ms, 0, 3600000);
  get_int("exec_grace_ms", &l.exec_grace_ms, 0, kMaxExecGraceMs);
  get_int("max_tool_output_bytes", &l.max_tool_output_bytes, 200, 10000000);
  get_int("max_error_body_bytes", &l.max_error_body_bytes, 256, 10000000);
  return l;
}

Json SessionConfig::ToJson() const {
  return Json{{"provider", provider.ToJson()},       {"limits", limits.ToJson()},
              {"vfs_limits", vfs_limits.ToJson()},   {"sandbox", sandbox.ToJson()},
              {"system_prompt_extra", system_prompt_extra}, {"conversation_id", conversation_id}};
}

SessionConfig SessionConfig::FromJson(const Json& j) {
  if (!j.is_object()) throw std::invalid_argument("config: expected a JSON object");
  SessionConfig c;
  if (const Json* p = Field(j, "provider")) c.provider = ProviderConfig::FromJson(*p);
  if (const Json* l = Field(j, "limits")) c.limits = SessionLimits::FromJson(*l, c.limits);
  if (const Json* v = Field(j, "vfs_limits")) c.vfs_limits = VfsLimits::FromJson(*v);
  if (const Json* s = Field(j, "sandbox")) c.sandbox = SandboxInfo::FromJson(*s);
  if (const Json* x = Field(j, "system_prompt_extra")) {
    if (!x->is_string()) throw std::invalid_argument("system_prompt_extra: expected a string");
    c.system_prompt_extra = *x;
  }
  if (const Json* id = Field(j, "conversation_id")) {
    if (!id->is_string()) throw std::invalid_argument("conversation_id: expected a string");
    c.conversation_id = *id;
  }
  return c;
}

// --------------------------------------------------------------- session --

Session::Session(SessionConfig config) : config_(std::move(config)), vfs_(config_.vfs_limits) {
  conversation_.id = config_.conversation_id;
}

std::string Session::state_name() const { return StateName(static_cast<int>(state_)); }

ApiError Session::Busy(const std::string& what) const {
  return ApiError(error_code::kBusy, what + " (state is " + state_name() + ")", Json{{"state", state_name()}});
}

Json Session::Result::ToJson() const {
  Json j{{"actions", actions}};
  if (error) j["error"] = *error;
  return j;
}

Session::Result Session::Handle(const Json& event, const std::vector<std::string>& blobs) {
  Out out;
  if (!event.is_object()) return Conclude("event: expected a JSON object", out);
  const Json* type = Field(event, "type");
  if (!type || !type->is_string()) return Conclude("event.type: expected a string", out);
  int64_t now = 0;
  if (auto err = ReadNow(event, &now)) return Conclude(err, out);
  const std::string t = *type;

  Refused err;
  try {
    err = Dispatch(t, event, blobs, now, out);
    if (!err) StartQueuedIfDue(now, out);
  } catch (const std::exception& ex) {
    // Handlers validate before they mutate, so this is a bug of ours; report
    // it as a protocol error rather than letting it escape into JS.
    err = ApiError(error_code::kInternal, std::string("internal error while handling ") + t + ": " + ex.what());
  }
  // Name the event in the error: the glue often logs it far from the event.
  if (err && (err->detail.is_null() || err->detail.is_object())) err->detail["event"] = t;
  return Conclude(err, out);
}

Session::Refused Session::Dispatch(const std::string& t, const Json& event, const std::vector<std::string>& blobs,
                                   int64_t now, Out& out) {
  if (t == "configure") return OnConfigure(event, out);
  if (t == "user_message") return OnUserMessage(event, now, out);
  if (t == "user_code") return OnUserCode(event, now, out);
  if (t == "llm_headers") return OnLlmHeaders(event, now, out);
  if (t == "llm_chunk") {
    int64_t request_id = 0;
    std::string bytes;
    if (auto e = ReadInt(event, "request_id", &request_id)) return e;
    if (auto e = ReadBytes(event, blobs, &bytes)) return e;
    return OnLlmChunk(request_id, bytes, now, out);
  }
  if (t == "llm_done") return OnLlmDone(event, now, out);
  if (t == "llm_failed") return OnLlmFailed(event, now, out);
  if (t == "exec_result") return OnExecResult(event, blobs, now, out);
  if (t == "file_upload") return OnFileUpload(event, blobs, now, out);
  if (t == "file_delete") return OnFileDelete(event, now, out);
  if (t == "sandbox_restarted") return OnSandboxRestarted(event, now, out);
  if (t == "timer_fired") return OnTimer(event, now, out);
  if (t == "cancel") return OnCancel(now, out);
  if (t == "set_title") return OnSetTitle(event, out);
  if (t == "run_queued") return OnRunQueued(out);
  if (t == "clear_queue") return OnClearQueue(out);
  if (t == "list_models") return OnListModels(event, out);
  return ApiError(error_code::kUnknownEvent, "unknown event type \"" + t + "\"");
}

Session::Result Session::FeedLlmBytes(int64_t request_id, std::string_view bytes, int64_t now_ms) {
  Out out;
  Refused err;
  if (now_ms < 0) err = "now_ms: expected a non-negative integer";
  else {
    try {
      err = OnLlmChunk(request_id, bytes, now_ms, out);
      if (!err) StartQueuedIfDue(now_ms, out);
    } catch (const std::exception& ex) {
      err = ApiError(error_code::kInternal, std::string("internal error while handling llm_chunk: ") + ex.what());
    }
  }
  if (err && (err->detail.is_null() || err->detail.is_object())) err->detail["event"] = "llm_chunk";
  return Conclude(err, out);
}

Session::Result Session::Conclude(const Refused& err, Out& out) {
  Result result;
  if (err) {
    result.error = err->ToJson();
    return result;  // no actions: a refused event changed nothing
  }
  if (out.dirty) {
    out.Action(Json{{"type", "persist"}, {"files", {{"write", persist_write_}, {"delete", persist_delete_}}}});
    persist_write_.clear();
    persist_delete_.clear();
  }
  result.actions = std::move(out.actions);
  return result;
}

// ------------------------------------------------------------ handlers --

Session::Refused Session::OnConfigure(const Json& e, Out& out) {
  if (state_ != State::kIdle) return Busy("configure: only allowed between turns");
  // Build the whole new config first; apply only if every part is valid.
  SessionConfig next = config_;
  try {
    if (const Json* p = Field(e, "provider")) next.provider = ProviderConfig::FromJson(*p);
    if (const Json* l = Field(e, "limits")) next.limits = SessionLimits::FromJson(*l, next.limits);
    if (const Json* v = Field(e, "vfs_limits")) next.vfs_limits = VfsLimits::FromJson(*v);
    if (const Json* s = Field(e, "sandbox")) next.sandbox = SandboxInfo::FromJson(*s);
    if (const Json* x = Field(e, "system_prompt_extra")) {
      if (!x->is_string()) return "configure.system_prompt_extra: expected a string";
      next.system_prompt_extra = *x;
    }
  } catch (const std::exception& ex) {
    return std::string("configure: ") + ex.what();
  }
  config_ = std::move(next);
  vfs_.set_limits(config_.vfs_limits);
  out.dirty = true;
  return std::nullopt;
}

Session::Refused Session::OnUserMessage(const Json& e, int64_t now, Out& out) {
  const Json* text = Field(e, "text");
  if (!text || !text->is_string()) return "user_message.text: expected a string";
  if (state_ != State::kIdle) return Busy("user_message: a turn is already running");
  std::string t = SanitizeUtf8(text->get<std::string>());
  if (t.find_first_not_of(" \t\r\n") == std::string::npos) return "user_message.text: empty message";
  turn_from_user_code_ = false;
  ++turn_;
  Entry entry;
  entry.kind = Entry::Kind::kUser;
  entry.turn = turn_;
  entry.text = t;
  // Images uploaded since the last message go with this one (sent when the
  // model has vision; the budget bounds how many reach a request).
  for (const FileEntry* f : vfs_.List()) {
    if (f->origin != "upload" || !IsVisionMediaType(f->media_type)) continue;
    if (attached_uploads_.insert(f->path + "\n" + std::to_string(f->version)).second) entry.images.push_back(f->path);
  }
  conversation_.entries.push_back(std::move(entry));
  if (!conversation_.custom_title && conversation_.title.empty()) {
    std::string title = AutoTitle();
    if (!title.empty()) SetTitle(title, false, out);
  }
  StartTurn(now, out);
  SendModelRequest(now, out);
  return std::nullopt;
}

Session::Refused Session::OnUserCode(const Json& e, int64_t now, Out& out) {
  const Json* code = Field(e, "code");
  if (!code || !code->is_string()) return "user_code.code: expected a string";
  if (state_ == State::kIdle) {
    StartUserCodeTurn(code->get<std::string>(), now, out);
    return std::nullopt;
  }
  // A turn is running: the code waits for it (and survives a reload).
  if (queued_code_.size() >= kMaxQueuedCode)
    return ApiError(error_code::kQueueFull,
                    "user_code: " + std::to_string(kMaxQueuedCode) +
                        " runs are already waiting for the current turn; wait for them or clear the queue",
                    Json{{"limit", kMaxQueuedCode}});
  queued_code_.push_back(code->get<std::string>());
  EmitQueue(out);
  out.dirty = true;
  return std::nullopt;
}

// After a restore the queue waits for the user: this lets it run (now when
// idle, else after the running turn). Harmless when nothing is queued.
Session::Refused Session::OnRunQueued(Out& out) {
  (void)out;
  queue_held_ = false;
  return std::nullopt;  // Handle starts the next run when idle (StartQueuedIfDue)
}

Session::Refused Session::OnClearQueue(Out& out) {
  DropQueue(out);
  EmitQueue(out);  // always: the glue asked, it gets the count to show
  return std::nullopt;
}

// Any time, even during a turn: naming a conversation never disturbs it.
Session::Refused Session::OnSetTitle(const Json& e, Out& out) {
  const Json* title = Field(e, "title");
  if (!title || !title->is_string()) return "set_title.title: expected a string (\"\" for the automatic title)";
  std::string clean = CleanTitle(title->get<std::string>(), kMaxTitleBytes);
  if (clean.empty()) SetTitle(AutoTitle(), false, out);
  else SetTitle(clean, true, out);
  return std::nullopt;
}

Session::Refused Session::OnLlmHeaders(const Json& e, int64_t now, Out& out) {
  int64_t request_id = 0, status = 0;
  if (auto err = ReadInt(e, "request_id", &request_id)) return err;
  if (auto err = ReadInt(e, "status", &status)) return err;
  std::map<std::string, std::string> headers;
  if (auto err = ReadHeaders(e, &headers)) return err;
  if (request_id <= 0 || request_id >= next_request_id_)
    return ApiError(error_code::kUnknownId, "llm_headers: unknown request_id");
  if (IsModelsRequest(request_id)) {
    models_status_ = static_cast<int>(status);
    return std::nullopt;
  }
  if (request_id != request_id_ || state_ != State::kWaitingModel) return std::nullopt;  // late: drop
  http_status_ = static_cast<int>(status);
  http_headers_ = std::move(headers);
  last_activity_ms_ = now;
  (void)out;
  return std::nullopt;
}

Session::Refused Session::OnLlmChunk(int64_t request_id, std::string_view bytes, int64_t now, Out& out) {
  if (request_id <= 0 || request_id >= next_request_id_)
    return ApiError(error_code::kUnknownId, "llm_chunk: unknown request_id");
  if (IsModelsRequest(request_id)) {
    OnModelsBytes(bytes, out);
    return std::nullopt;
  }
  if (request_id != request_id_ || state_ != State::kWaitingModel) return std::nullopt;  // late: drop
  last_activity_ms_ = now;
  got_bytes_ = true;
  if (body_head_.size() < config_.limits.max_error_body_bytes) {
    body_head_.append(bytes.substr(0, config_.limits.max_error_body_bytes - body_head_.size()));
  }
  if (http_status_ != 0 && (http_status_ < 200 || http_status_ > 299)) return std::nullopt;  // error body: keep only

  std::vector<StreamDelta> deltas;
  decoder_->Feed(bytes, &deltas);
  // Coalesce consecutive deltas of one kind: one emit per kind run per chunk.
  for (size_t i = 0; i < deltas.size();) {
    const StreamDelta& d = deltas[i];
    if (d.kind == StreamDelta::Kind::kToolCallBegin) {
      const auto& calls = decoder_->result().tool_calls;
      std::string id = d.tool_index < calls.size() ? calls[d.tool_index].id : "";
      out.Emit(Json{{"type", "tool_call_started"}, {"index", d.tool_index}, {"id", id}, {"name", d.text}});
      emitted_content_ = true;
      ++i;
      continue;
    }
    std::string joined = d.text;
    size_t j = i + 1;
    while (j < deltas.size() && deltas[j].kind == d.kind && deltas[j].tool_index == d.tool_index) {
      joined += deltas[j].text;
      ++j;
    }
    if (!joined.empty()) {
      emitted_content_ = true;
      reply_bytes_ += joined.size();
      if (d.kind == StreamDelta::Kind::kText) out.Emit(Json{{"type", "text_delta"}, {"text", joined}});
      else if (d.kind == StreamDelta::Kind::kThinking) out.Emit(Json{{"type", "thinking_delta"}, {"text", joined}});
      else out.Emit(Json{{"type", "tool_call_delta"}, {"index", d.tool_index}, {"arguments", joined}});
    }
    i = j;
  }
  if (reply_bytes_ > config_.limits.max_reply_bytes) {
    AbortCurrentRequest(out);
    RecordPartialReply(out);
    FailTurn("stream",
             StreamError{"reply_too_large", "The model's reply passed " + HumanSize(config_.limits.max_reply_bytes) +
                                                ", so it was stopped. What arrived is kept."},
             200, now, out);
    return std::nullopt;
  }
  if (const auto& err = decoder_->result().error) {
    StreamError e = *err;
    if (IsRetryableStreamError(e.type) && !emitted_content_ && retries_ < config_.limits.max_retries) {
      AbortCurrentRequest(out);
      ScheduleRetry(config_.limits.retry_base_ms << retries_, e.message, now, out);
    } else {
      AbortCurrentRequest(out);
      RecordPartialReply(out);
      FailTurn("stream", e, 200, now, out);
    }
  }
  return std::nullopt;
}

Session::Refused Session::OnLlmDone(const Json& e, int64_t now, Out& out) {
  int64_t request_id = 0;
  if (auto err = ReadInt(e, "request_id", &request_id)) return err;
  std::optional<int64_t> status;
  if (Field(e, "status")) {
    int64_t s = 0;
    if (auto err = ReadInt(e, "status", &s)) return err;
    status = s;
  }
  std::map<std::string, std::string> headers;
  if (auto err = ReadHeaders(e, &headers)) return err;
  if (request_id <= 0 || request_id >= next_request_id_)
    return ApiError(error_code::kUnknownId, "llm_done: unknown request_id");
  if (IsModelsRequest(request_id)) {
    if (status) models_status_ = static_cast<int>(*status);
    OnModelsDone(out);
    return std::nullopt;
  }
  if (request_id != request_id_ || state_ != State::kWaitingModel) return std::nullopt;  // late: drop
  if (status) http_status_ = static_cast<int>(*status);
  for (auto& [k, v] : headers) http_headers_[k] = v;
  if (http_status_ == 0) http_status_ = 200;  // glue that never told us: the body decides
  last_activity_ms_ = now;

  if (http_status_ < 200 || http_status_ > 299) {
    HandleHttpError(http_status_, now, out);
    return std::nullopt;
  }
  std::vector<StreamDelta> deltas;
  decoder_->Finish(&deltas);
  for (const auto& d : deltas) {
    if (d.text.empty()) continue;
    emitted_content_ = true;
    if (d.kind == StreamDelta::Kind::kText) out.Emit(Json{{"type", "text_delta"}, {"text", d.text}});
    else if (d.kind == StreamDelta::Kind::kThinking) out.Emit(Json{{"type", "thinking_delta"}, {"text", d.text}});
    else if (d.kind == StreamDelta::Kind::kToolCallArguments)
      out.Emit(Json{{"type", "tool_call_delta"}, {"index", d.tool_index}, {"arguments", d.text}});
  }
  if (const auto& err = decoder_->result().error) {
    StreamError se = *err;
    if (se.type == "incomplete_stream" && !emitted_content_) {
      if (auto what = DescribeNonStream(body_head_, http_headers_, http_status_)) {
        request_id_ = 0;
        ClearTimer(out);
        FailTurn("stream", *what, http_status_, now, out);
        return std::nullopt;
      }
    }
    if (IsRetryableStreamError(se.type) && !emitted_content_ && retries_ < config_.limits.max_retries) {
      request_id_ = 0;
      ScheduleRetry(config_.limits.retry_base_ms << retries_, se.message, now, out);
    } else {
      request_id_ = 0;
      RecordPartialReply(out);
      FailTurn("stream", se, http_status_, now, out);
    }
    return std::nullopt;
  }
  FinishModelReply(now, out);
  return std::nullopt;
}

Session::Refused Session::OnLlmFailed(const Json& e, int64_t now, Out& out) {
  int64_t request_id = 0;
  if (auto err = ReadInt(e, "request_id", &request_id)) return err;
  std::string message = "network error", kind = "network";
  if (const Json* m = Field(e, "message")) {
    if (!m->is_string()) return "llm_failed.message: expected a string";
    message = SanitizeUtf8(m->get<std::string>());
  }
  if (const Json* k = Field(e, "kind")) {
    if (!k->is_string()) return "llm_failed.kind: expected a string";
    kind = *k;
  }
  if (request_id <= 0 || request_id >= next_request_id_)
    return ApiError(error_code::kUnknownId, "llm_failed: unknown request_id");
  if (IsModelsRequest(request_id)) {
    FailModels(kind == "offline" ? "offline" : "network",
               "Could not reach " + models_url_ + " (" + message + "): a network error or a CORS refusal.", out);
    return std::nullopt;
  }
  if (request_id != request_id_ || state_ != State::kWaitingModel) return std::nullopt;  // late: drop
  request_id_ = 0;
  RecordPartialReply(out);
  std::string text;
  if (kind == "offline") {
    text = "You are offline, so the model at " + config_.provider.base_url +
           " cannot be reached. Python still runs; a local model server (Ollama, llama.cpp) works offline.";
  } else if (got_bytes_) {
    text = "The connection to the model broke mid-answer (" + message + "). What arrived is kept.";
  } else {
    text = "Could not reach the model at " + config_.provider.base_url + " (" + message +
           "). Check the base URL and your connection. For a local server, make sure it is running and allows "
           "this page's origin (Ollama: set OLLAMA_ORIGINS; llama.cpp: it allows all origins by default).";
  }
  FailTurn(kind == "offline" ? "offline" : "network", StreamError{kind, text}, 0, now, out);
  return std::nullopt;
}

Session::Refused Session::OnExecResult(const Json& e, const std::vector<std::string>& blobs, int64_t now,
                                                 Out& out) {
  ExecReport report;
  if (auto err = ParseExecReport(e, blobs, &report)) return err;
  ExecRecord* rec = FindExec(report.exec_id);
  if (!rec) return ApiError(error_code::kUnknownId, "exec_result: unknown exec_id \"" + report.exec_id + "\"");
  bool current = state_ == State::kRunningCode && report.exec_id == running_exec_id_;
  bool cancelled =
      std::find(cancelled_exec_ids_.begin(), cancelled_exec_ids_.end(), report.exec_id) != cancelled_exec_ids_.end();
  if (!current && !cancelled) return std::nullopt;  // a duplicate answer: drop

  // Files first: whatever else happened, what the code wrote is kept.
  std::vector<std::string> file_problems;
  for (auto& f : report.written) {
    bool existed = vfs_.Find(f.path) != nullptr;
    if (auto verr = vfs_.ApplySandboxWrite(f.path, std::move(f.bytes), report.exec_id, now)) {
      file_problems.push_back(verr->message);
      continue;
    }
    std::string norm = vfs_.Find(f.path) ? vfs_.Find(f.path)->path : f.path;
    (existed ? rec->files_modified : rec->files_created).push_back(norm);
    persist_write_.push_back(norm);
    EmitFileChange(norm, existed ? "modified" : "created", out);
  }
  for (const auto& path : report.deleted) {
    std::string norm;
    if (NormalizePath(path, vfs_.limits(), &norm) || !vfs_.Find(norm)) continue;  // nothing we know of
    vfs_.ApplySandboxRemove(norm);
    rec->files_deleted.push_back(norm);
    persist_delete_.push_back(norm);
    EmitFileChange(norm, "deleted", out);
  }
  if (report.restarted) vfs_.ForgetSandbox();

  rec->stdout_text = report.stdout_text;
  rec->stderr_text = report.stderr_text;
  rec->result = report.result;
  rec->error = report.error;
  rec->outputs = std::move(report.outputs);
  rec->restarted = rec->restarted || report.restarted;
  rec->duration_ms = report.duration_ms >= 0 ? report.duration_ms : now - rec->started_ms;
  if (!cancelled) rec->status = report.status;
  for (const auto& p : file_problems) {
    rec->stderr_text += (rec->stderr_text.empty() || rec->stderr_text.back() == '\n' ? "" : "\n");
    rec->stderr_text += "[file not kept] " + p + "\n";
  }
  out.Emit(Json{{"type", "cell_finished"}, {"exec", ExecRecordToJson(*rec)}});
  out.dirty = true;
  if (cancelled) {
    cancelled_exec_ids_.erase(std::find(cancelled_exec_ids_.begin(), cancelled_exec_ids_.end(), report.exec_id));
    return std::nullopt;
  }
  running_exec_id_.clear();
  ClearTimer(out);
  StartNextExec(now, out);
  return std::nullopt;
}

Session::Refused Session::OnFileUpload(const Json& e, const std::vector<std::string>& blobs, int64_t now,
                                                 Out& out) {
  const Json* path = Field(e, "path");
  if (!path || !path->is_string()) return "file_upload.path: expected a string";
  std::string media_type;
  if (const Json* m = Field(e, "media_type")) {
    if (!m->is_string()) return "file_upload.media_type: expected a string";
    media_type = *m;
  }
  std::string bytes;
  if (auto err = ReadBytes(e, blobs, &bytes)) return err;
  // A smaller copy of an image for the model (the glue downscales; see
  // wasm/PROTOCOL.md): preview_media_type, its bytes in blob preview_blob (default 1).
  std::optional<Preview> preview;
  if (const Json* pm = Field(e, "preview_media_type"); pm && !pm->is_null()) {
    if (!pm->is_string() || !IsVisionMediaType(pm->get<std::string>()))
      return "file_upload.preview_media_type: expected image/png, image/jpeg, image/gif or image/webp";
    size_t index = 1;
    if (const Json* pb = Field(e, "preview_blob")) {
      if (!pb->is_number_unsigned()) return "file_upload.preview_blob: expected an index into the blobs";
      index = pb->get<size_t>();
    }
    if (index >= blobs.size()) return "file_upload.preview_blob: no such blob was passed with the event";
    preview = Preview{0, pm->get<std::string>(), blobs[index]};
  }
  std::string norm;
  bool existed = false;
  if (!NormalizePath(path->get<std::string>(), vfs_.limits(), &norm)) existed = vfs_.Find(norm) != nullptr;
  // A refused upload is the user's problem, not the glue's: answer with an
  // emitted error and change nothing.
  if (auto verr = vfs_.Write(path->get<std::string>(), std::move(bytes), media_type, "upload", "", now)) {
    out.Emit(Json{{"type", "error"},
                  {"error", {{"kind", "file"}, {"type", verr->code}, {"message", verr->message}}}});
    return std::nullopt;
  }
  persist_write_.push_back(norm);
  previews_.erase(norm);
  if (preview) {
    if (const FileEntry* f = vfs_.Find(norm)) {
      preview->version = f->version;
      previews_[norm] = std::move(*preview);
    }
  }
  EmitFileChange(norm, existed ? "modified" : "created", out);
  out.dirty = true;
  return std::nullopt;
}

Session::Refused Session::OnFileDelete(const Json& e, int64_t now, Out& out) {
  (void)now;
  const Json* path = Field(e, "path");
  if (!path || !path->is_string()) return "file_delete.path: expected a string";
  std::string norm;
  if (auto verr = NormalizePath(path->get<std::string>(), vfs_.limits(), &norm)) {
    out.Emit(Json{{"type", "error"}, {"error", {{"kind", "file"}, {"type", verr->code}, {"message", verr->message}}}});
    return std::nullopt;
  }
  if (auto verr = vfs_.Remove(norm)) {
    out.Emit(Json{{"type", "error"}, {"error", {{"kind", "file"}, {"type", verr->code}, {"message", verr->message}}}});
    return std::nullopt;
  }
  persist_delete_.push_back(norm);
  EmitFileChange(norm, "deleted", out);
  out.dirty = true;
  return std::nullopt;
}

Session::Refused Session::OnSandboxRestarted(const Json& e, int64_t now, Out& out) {
  (void)e;
  (void)now;
  vfs_.ForgetSandbox();
  AddNotice("warning", "The Python session was restarted: variables were reset. Files in /mnt/data are kept.", out);
  return std::nullopt;
}

Session::Refused Session::OnTimer(const Json& e, int64_t now, Out& out) {
  int64_t timer_id = 0;
  if (auto err = ReadInt(e, "timer_id", &timer_id)) return err;
  if (timer_id <= 0 || timer_id >= next_timer_id_)
    return ApiError(error_code::kUnknownId, "timer_fired: unknown timer_id");
  if (timer_id == models_timer_id_) {
    models_timer_id_ = 0;
    if (models_request_id_ != 0) {
      out.Action(Json{{"type", "abort_request"}, {"request_id", models_request_id_}});
      FailModels("timeout", "No model list from " + models_url_ + " within " +
                                std::to_string(models_timeout_ms_ / 1000) + " s.", out);
    }
    return std::nullopt;
  }
  if (timer_id != timer_id_) return std::nullopt;  // stale
  timer_id_ = 0;
  switch (timer_purpose_) {
    case TimerPurpose::kRequest: {
      if (state_ != State::kWaitingModel) return std::nullopt;
      // One timer covers every deadline (first byte, stream idle, whole
      // reply); chunks only move last_activity_ms_, so a live stream costs no
      // timer actions: the timer re-arms itself when it fires early.
      int64_t deadline = RequestDeadline();
      if (now < deadline) {
        ArmRequestTimer(now, out);
        return std::nullopt;
      }
      AbortCurrentRequest(out);
      RecordPartialReply(out);
      bool too_long = now >= request_sent_ms_ + config_.limits.max_reply_ms;
      int64_t limit = got_bytes_ ? config_.limits.idle_timeout_ms : config_.limits.request_timeout_ms;
      std::string secs = std::to_string(limit / 1000);
      std::string msg = too_long ? "The model's answer took longer than " +
                                       std::to_string(config_.limits.max_reply_ms / 1000) +
                                       " s, so it was stopped. What arrived is kept."
                        : got_bytes_ ? "The model's stream stalled: no data for " + secs + " s. What arrived is kept."
                                     : "The model did not start answering within " + secs + " s.";
      FailTurn("timeout", StreamError{"timeout", msg}, 0, now, out);
      return std::nullopt;
    }
    case TimerPurpose::kRetry:
      if (state_ != State::kRetryWait) return std::nullopt;
      SendModelRequest(now, out);
      return std::nullopt;
    case TimerPurpose::kExec: {
      if (state_ != State::kRunningCode) return std::nullopt;
      // The sandbox enforces the time limit itself; this fires only when it
      // stayed silent well past it. Presume it dead: restart it.
      ExecRecord* rec = FindExec(running_exec_id_);
      out.Action(Json{{"type", "interrupt"}, {"exec_id", running_exec_id_}, {"restart", true}});
      vfs_.ForgetSandbox();
      if (rec) {
        rec->status = "timeout";
        rec->restarted = true;
        rec->duration_ms = now - rec->started_ms;
        rec->error = Json{{"type", "TimeoutError"},
                          {"message", "The sandbox did not answer " +
                                          std::to_string((now - rec->started_ms) / 1000) +
                                          " s after the run started; it was restarted. Variables were reset; "
                                          "files in /mnt/data are kept."},
                          {"traceback", ""}};
        out.Emit(Json{{"type", "cell_finished"}, {"exec", ExecRecordToJson(*rec)}});
      }
      cancelled_exec_ids_.push_back(running_exec_id_);
      running_exec_id_.clear();
      out.dirty = true;
      StartNextExec(now, out);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

Session::Refused Session::OnCancel(int64_t now, Out& out) {
  switch (state_) {
    case State::kIdle:
      // Nothing to stop (Esc on an idle page is fine) but code held back
      // after a reload, which a stop drops as it would during a turn.
      if (!queued_code_.empty()) {
        DropQueue(out);
        EmitQueue(out);
      }
      return std::nullopt;
    case State::kWaitingModel:
      AbortCurrentRequest(out);
      RecordPartialReply(out);
      break;
    case State::kRetryWait:
      break;
    case State::kRunningCode:
      out.Action(Json{{"type", "interrupt"}, {"exec_id", running_exec_id_}, {"restart", false}});
      if (ExecRecord* rec = FindExec(running_exec_id_)) rec->status = "cancelled";
      cancelled_exec_ids_.push_back(running_exec_id_);
      running_exec_id_.clear();
      break;
  }
  pending_execs_.clear();
  // Stop means stop: nothing queued behind the turn runs either.
  if (!queued_code_.empty()) {
    DropQueue(out);
    EmitQueue(out);
  }
  EndTurn("cancelled", now, out);
  return std::nullopt;
}

// ------------------------------------------------------- model list --
// A request beside the turn, never touching it: its own request id (from
// the same counter, so ids stay unique) and its own timer. One at a time: a
// new list_models aborts the one in flight.

Session::Refused Session::OnListModels(const Json& e, Out& out) {
  ProviderConfig provider = config_.provider;
  int64_t timeout_ms = kDefaultModelsTimeoutMs;
  if (const Json* p = Field(e, "provider")) {
    try {
      provider = ProviderConfig::FromJson(*p);
    } catch (const std::exception& ex) {
      return std::string("list_models.provider: ") + ex.what();
    }
  }
  if (const Json* t = Field(e, "timeout_ms")) {
    if (!t->is_number_integer() || t->get<int64_t>() < 1 || t->get<int64_t>() > 600000)
      return "list_models.timeout_ms: expected an integer in [1, 600000]";
    timeout_ms = t->get<int64_t>();
  }
  if (provider.base_url.empty()) return "list_models: no base_url to ask (configure a provider, or pass one)";
  HttpRequest req;
  try {
    req = BuildModelsRequest(provider);
  } catch (const std::exception& ex) {
    return std::string("list_models: ") + ex.what();
  }
  if (models_request_id_ != 0) out.Action(Json{{"type", "abort_request"}, {"request_id", models_request_id_}});
  models_request_id_ = next_request_id_++;
  models_status_ = 0;
  models_body_.clear();
  models_url_ = req.url;
  models_timeout_ms_ = timeout_ms;
  out.Action(HttpRequestAction(models_request_id_, req, "models"));
  if (models_timer_id_ != 0) out.Action(Json{{"type", "clear_timer"}, {"timer_id", models_timer_id_}});
  models_timer_id_ = next_timer_id_++;
  out.Action(Json{{"type", "set_timer"}, {"timer_id", models_timer_id_}, {"delay_ms", timeout_ms}});
  return std::nullopt;
}

bool Session::IsModelsRequest(int64_t request_id) const {
  return models_request_id_ != 0 && request_id == models_request_id_;
}

void Session::OnModelsBytes(std::string_view bytes, Out& out) {
  if (models_body_.size() + bytes.size() > kMaxModelsBytes) {
    out.Action(Json{{"type", "abort_request"}, {"request_id", models_request_id_}});
    FailModels("too_large", "The model list from " + models_url_ + " is over " + HumanSize(kMaxModelsBytes) + ".",
               out);
    return;
  }
  models_body_.append(bytes);
}

void Session::OnModelsDone(Out& out) {
  int status = models_status_ == 0 ? 200 : models_status_;
  if (status < 200 || status > 299) {
    std::string code = status == 401 || status == 403 ? "auth" : status == 404 ? "not_found" : "http";
    std::string why = status == 401   ? " (the key was refused)"
                      : status == 403 ? " (the key lacks access)"
                      : status == 404 ? " (check the base URL)"
                                      : "";
    StreamError err = ParseErrorBody(status, models_body_);
    FailModels(code, models_url_ + " answered HTTP " + std::to_string(status) + why + ": " + err.message, out,
               Json{{"status", status}});
    return;
  }
  std::string why;
  auto ids = ParseModelList(models_body_, &why);
  if (!ids) {
    FailModels("bad_response", models_url_ + " did not return a model list: " + why + ".", out,
               Json{{"status", status}});
    return;
  }
  Json models{{"type", "models"}, {"request_id", models_request_id_}, {"models", *ids}};
  if (Json info = ParseModelInfo(models_body_); !info.empty()) models["info"] = std::move(info);
  out.Emit(std::move(models));
  EndModels(out);
}

void Session::FailModels(const std::string& code, const std::string& message, Out& out, Json detail) {
  out.Emit(Json{{"type", "models"},
                {"request_id", models_request_id_},
                {"models", Json::array()},
                {"error", ApiError(code, message, std::move(detail)).ToJson()}});
  EndModels(out);
}

void Session::EndModels(Out& out) {
  if (models_timer_id_ != 0) out.Action(Json{{"type", "clear_timer"}, {"timer_id", models_timer_id_}});
  models_timer_id_ = 0;
  models_request_id_ = 0;
  models_body_.clear();
  models_body_.shrink_to_fit();
}

// ------------------------------------------------------------ the loop --

void Session::StartUserCodeTurn(const std::string& code, int64_t now, Out& out) {
  turn_from_user_code_ = true;
  ++turn_;
  StartTurn(now, out);
  pending_execs_.push_back(PendingExec{code, "", "", "user"});
  StartNextExec(now, out);
}

// The end of every accepted event: a turn that just ended (not by cancel,
// which empties the queue) hands over to the next queued code, as its own
// turn. A queue restored from a saved state waits for run_queued.
void Session::StartQueuedIfDue(int64_t now, Out& out) {
  if (state_ != State::kIdle || queue_held_ || queued_code_.empty()) return;
  std::string code = std::move(queued_code_.front());
  queued_code_.pop_front();
  EmitQueue(out);
  StartUserCodeTurn(code, now, out);
}

void Session::EmitQueue(Out& out) {
  out.Emit(Json{{"type", "queue"}, {"count", queued_code_.size()}});
}

void Session::DropQueue(Out& out) {
  if (!queued_code_.empty()) out.dirty = true;
  queued_code_.clear();
  queue_held_ = false;
}

void Session::StartTurn(int64_t now, Out& out) {
  (void)now;
  steps_ = 0;
  out.Emit(Json{{"type", "turn_started"}, {"turn", turn_}});
  out.dirty = true;
}

void Session::SendModelRequest(int64_t now, Out& out) {
  bool is_retry = state_ == State::kRetryWait;
  if (!is_retry) {
    int64_t used = TurnUsage().total();  // the figure usage_by_turn reports as total_tokens
    if (config_.limits.max_turn_tokens > 0 && used >= config_.limits.max_turn_tokens) {
      AddNotice("warning",
                "Stopped after " + std::to_string(used) + " tokens in this turn (the limit is " +
                    std::to_string(config_.limits.max_turn_tokens) +
                    " in Settings). Ask the model to continue if needed.",
                out);
      EndTurn("token_limit", now, out);
      return;
    }
    if (steps_ >= config_.limits.max_steps) {
      AddNotice("warning",
                "Stopped after " + std::to_string(steps_) +
                    " model steps in this turn (the limit set in Settings). Ask the model to continue if needed.",
                out);
      EndTurn("step_limit", now, out);
      return;
    }
    ++steps_;
    retries_ = 0;
    context_retry_used_ = false;
  }
  HttpRequest req;
  try {
    req = BuildRequest(config_.provider, BuildBudgetedChat(out));
  } catch (const std::exception& ex) {
    FailTurn("config", StreamError{"config_error", std::string("Cannot build the request: ") + ex.what()}, 0, now,
             out);
    return;
  }
  request_id_ = next_request_id_++;
  decoder_ = MakeStreamDecoder(config_.provider.format);
  http_status_ = 0;
  http_headers_.clear();
  body_head_.clear();
  got_bytes_ = false;
  emitted_content_ = false;
  reply_bytes_ = 0;
  request_sent_ms_ = now;
  last_activity_ms_ = now;
  out.Action(HttpRequestAction(request_id_, req, "chat"));
  state_ = State::kWaitingModel;
  ArmRequestTimer(now, out);
  out.Emit(Json{{"type", "model_request"}, {"request_id", request_id_}, {"step", steps_}, {"attempt", retries_ + 1}});
}

void Session::FinishModelReply(int64_t now, Out& out) {
  ClearTimer(out);
  request_id_ = 0;
  const StreamResult& r = decoder_->result();
  // The provider's count of what we sent calibrates the next estimate.
  if (int64_t reported = TokenUsage::FromProvider(r.usage).all_input(); reported > 0 && last_raw_estimate_ > 0)
    calibration_ = std::clamp(static_cast<double>(reported) / static_cast<double>(last_raw_estimate_), 0.8, 4.0);
  Entry entry;
  entry.kind = Entry::Kind::kAssistant;
  entry.turn = turn_;
  entry.text = r.text.value_or("");
  entry.thinking = r.thinking;
  entry.usage = r.usage;
  entry.reasoning_items = r.reasoning_items;
  if (config_.provider.tools) {
    entry.tool_calls = r.tool_calls;
    GiveToolCallsUsableIds(&entry.tool_calls);
  }
  AccumulateUsage(r.usage);
  out.Emit(Json{{"type", "assistant_message"},
                {"text", entry.text},
                {"tool_calls", EntryToJson(entry)["tool_calls"]},
                {"finish_reason", r.finish_reason ? Json(*r.finish_reason) : Json(nullptr)},
                {"usage", r.usage}});
  if (!r.usage.is_null()) out.Emit(Json{{"type", "usage"}, {"usage", r.usage}, {"turn_total", TurnTotalJson()}});

  pending_execs_.clear();
  if (config_.provider.tools) {
    for (const auto& call : entry.tool_calls) {
      PendingExec p;
      p.tool_call_id = call.id;
      if (call.name != kPythonToolName) {
        p.code = call.arguments;
        p.problem = "Unknown tool \"" + call.name + "\": the only tool is \"python\".";
      } else {
        std::string why;
        auto code = CodeFromToolArguments(call.arguments, &why);
        if (code) p.code = *code;
        else {
          p.code = call.arguments;
          p.problem = "Could not read the code from the tool call: " + why;
          if (CutAtTokenLimit(r.finish_reason))
            p.problem += " (the reply was cut off at the output token limit; write shorter code)";
        }
      }
      pending_execs_.push_back(std::move(p));
    }
  } else {
    for (auto& block : ExtractPythonBlocks(entry.text)) pending_execs_.push_back(PendingExec{block, "", "", "fenced"});
  }
  bool has_content = !entry.text.empty() || !entry.tool_calls.empty() || !entry.thinking.empty();
  if (has_content) conversation_.entries.push_back(std::move(entry));
  out.dirty = true;
  if (pending_execs_.empty()) {
    if (CutAtTokenLimit(r.finish_reason))
      AddNotice("warning", "The reply was cut off at the model's output token limit.", out);
    else if (!has_content)
      AddNotice("warning", "The model sent an empty reply. Ask again, or try another model.", out);
    EndTurn("completed", now, out);
    return;
  }
  StartNextExec(now, out);
}

void Session::StartNextExec(int64_t now, Out& out) {
  while (!pending_execs_.empty()) {
    PendingExec p = std::move(pending_execs_.front());
    pending_execs_.pop_front();
    Entry entry;
    entry.kind = Entry::Kind::kExec;
    entry.turn = turn_;
    ExecRecord& rec = entry.exec;
    rec.exec_id = "x" + std::to_string(++exec_counter_);
    rec.tool_call_id = p.tool_call_id;
    rec.source = p.source;
    rec.code = p.code;
    rec.started_ms = now;
    if (!p.problem.empty()) {
      // Not runnable: recorded as a failed cell so the user sees what the
      // model sent, and fed back to the model as an error.
      rec.status = "error";
      rec.error = Json{{"type", "InvalidToolCall"}, {"message", p.problem}, {"traceback", ""}};
      out.Emit(Json{{"type", "cell_finished"}, {"exec", ExecRecordToJson(rec)}});
      conversation_.entries.push_back(std::move(entry));
      out.dirty = true;
      continue;
    }
    rec.execution_count = ++execution_count_;
    Vfs::SyncPlan plan = vfs_.PlanSync();
    Json writes = Json::array();
    for (const auto& path : plan.write) {
      const FileEntry* f = vfs_.Find(path);
      writes.push_back(Json{{"path", path}, {"version", f->version}, {"size", f->size}, {"media_type", f->media_type}});
    }
    out.Emit(Json{{"type", "cell_started"},
                  {"exec_id", rec.exec_id},
                  {"code", rec.code},
                  {"execution_count", rec.execution_count},
                  {"tool_call_id", rec.tool_call_id},
                  {"source", rec.source}});
    out.Action(Json{{"type", "run_code"},
                    {"exec_id", rec.exec_id},
                    {"code", rec.code},
                    {"timeout_ms", config_.sandbox.time_limit_ms},
                    {"files", {{"write", writes}, {"delete", plan.remove}}}});
    // The glue applies the plan before it runs the code; a sandbox that
    // dies before that reports `restarted`, which makes us resend everything.
    vfs_.MarkSynced();
    running_exec_id_ = rec.exec_id;
    conversation_.entries.push_back(std::move(entry));
    state_ = State::kRunningCode;
    SetTimer(TimerPurpose::kExec, config_.sandbox.time_limit_ms + config_.limits.exec_grace_ms, out);
    out.dirty = true;
    return;
  }
  AfterExecs(now, out);
}

void Session::AfterExecs(int64_t now, Out& out) {
  if (turn_from_user_code_) {
    EndTurn("completed", now, out);
    return;
  }
  state_ = State::kIdle;  // between steps; SendModelRequest moves on
  SendModelRequest(now, out);
}

void Session::HandleHttpError(int status, int64_t now, Out& out) {
  StreamError err = ParseErrorBody(status, body_head_);
  request_id_ = 0;
  // Over the model's window after all: remember a harder budget (60% of what
  // was refused) and try once more. Bounded: one such retry per step.
  if ((status == 400 || status == 413) && IsContextLengthError(err) && !context_retry_used_ && last_estimate_ > 0) {
    context_retry_used_ = true;
    learned_budget_ = std::max<int64_t>(1, last_estimate_ * 6 / 10);
    ScheduleRetry(0, "the request was over the model's context window: trimming older outputs", now, out);
    return;
  }
  if (IsRetryableStatus(status) && retries_ < config_.limits.max_retries) {
    std::optional<int64_t> wait = RetryAfterMs(http_headers_, now);
    int64_t delay = wait ? *wait : (config_.limits.retry_base_ms << retries_);
    if (delay <= config_.limits.max_retry_wait_ms) {
      ScheduleRetry(delay, "HTTP " + std::to_string(status) + ": " + err.message, now, out);
      return;
    }
    err.message += " (the provider asks to wait " + std::to_string((delay + 999) / 1000) + " s)";
  }
  std::string kind = "http";
  std::string lead;
  const std::string& model = config_.provider.model;
  if (status == 401) {
    kind = "auth";
    lead = "The API key was refused (HTTP 401). Check the key in Settings. ";
  } else if (status == 403) {
    kind = "auth";
    lead = "Access denied (HTTP 403): the key may lack access to \"" + model + "\". ";
  } else if (status == 404) {
    kind = "not_found";
    lead = "Not found (HTTP 404): check the base URL and the model name \"" + model + "\". ";
  } else if (status == 429) {
    kind = "rate_limit";
    lead = "Rate limited (HTTP 429). ";
  } else if (status == 400 || status == 413 || status == 422) {
    kind = "bad_request";
    lead = "The provider rejected the request (HTTP " + std::to_string(status) + "). ";
  } else if (status >= 500) {
    kind = "server";
    lead = "The provider had a server error (HTTP " + std::to_string(status) + "). ";
  }
  StreamError shown{err.type, lead + err.message};
  FailTurn(kind, shown, status, now, out);
}

void Session::ScheduleRetry(int64_t delay_ms, const std::string& reason, int64_t now, Out& out) {
  (void)now;
  ++retries_;
  state_ = State::kRetryWait;
  out.Emit(Json{{"type", "retrying"},
                {"attempt", retries_ + 1},
                {"max_attempts", config_.limits.max_retries + 1},
                {"delay_ms", delay_ms},
                {"reason", reason}});
  SetTimer(TimerPurpose::kRetry, delay_ms, out);
}

void Session::EndTurn(const std::string& reason, int64_t now, Out& out) {
  (void)now;
  ClearTimer(out);
  state_ = State::kIdle;
  request_id_ = 0;
  decoder_.reset();
  pending_execs_.clear();
  out.Emit(Json{{"type", "turn_done"}, {"turn", turn_}, {"reason", reason}, {"usage", TurnTotalJson()}});
  out.dirty = true;
}

void Session::FailTurn(const std::string& kind, const StreamError& err, int status, int64_t now, Out& out) {
  Json e{{"kind", kind}, {"type", err.type}, {"message", err.message}};
  if (status) e["status"] = status;
  out.Emit(Json{{"type", "error"}, {"error", e}});
  Entry notice;
  notice.kind = Entry::Kind::kNotice;
  notice.turn = turn_;
  notice.notice_level = "error";
  notice.text = err.message;
  conversation_.entries.push_back(std::move(notice));
  EndTurn("error", now, out);
}

void Session::RecordPartialReply(Out& out) {
  // Keep what the user already saw. Tool calls of an unfinished reply are
  // dropped: they never ran.
  if (!decoder_) return;
  const StreamResult& r = decoder_->result();
  if (r.text.value_or("").empty() && r.thinking.empty()) return;
  Entry entry;
  entry.kind = Entry::Kind::kAssistant;
  entry.turn = turn_;
  entry.text = r.text.value_or("");
  entry.thinking = r.thinking;
  entry.usage = r.usage;
  conversation_.entries.push_back(std::move(entry));
  out.dirty = true;
}

int64_t Session::RequestDeadline() const {
  int64_t first_or_idle = got_bytes_ ? last_activity_ms_ + config_.limits.idle_timeout_ms
                                     : request_sent_ms_ + config_.limits.request_timeout_ms;
  return std::min(first_or_idle, request_sent_ms_ + config_.limits.max_reply_ms);
}

// Never longer than the idle timeout: a stall right after the first byte is
// then seen on time although chunks never touch the timer (it re-arms itself
// for what is left when it fires early).
void Session::ArmRequestTimer(int64_t now, Out& out) {
  SetTimer(TimerPurpose::kRequest, std::min(RequestDeadline() - now, config_.limits.idle_timeout_ms), out);
}

void Session::AbortCurrentRequest(Out& out) {
  if (request_id_ != 0) out.Action(Json{{"type", "abort_request"}, {"request_id", request_id_}});
  request_id_ = 0;
}

int64_t Session::SetTimer(TimerPurpose purpose, int64_t delay_ms, Out& out) {
  ClearTimer(out);
  timer_id_ = next_timer_id_++;
  timer_purpose_ = purpose;
  out.Action(Json{{"type", "set_timer"}, {"timer_id", timer_id_}, {"delay_ms", std::max<int64_t>(0, delay_ms)}});
  return timer_id_;
}

void Session::ClearTimer(Out& out) {
  if (timer_id_ != 0) out.Action(Json{{"type", "clear_timer"}, {"timer_id", timer_id_}});
  timer_id_ = 0;
}

// ------------------------------------------------------------- history --

ChatRequest Session::BuildChat() const {
  ChatRequest chat;
  chat.system = BuildSystemPrompt(config_.sandbox, vfs_, config_.provider.tools, config_.system_prompt_extra);
  chat.offer_tools = config_.provider.tools;
  const auto& entries = conversation_.entries;
  // Execs that answer a tool call, by tool_call_id.
  std::map<std::string, const ExecRecord*> by_call;
  for (const auto& e : entries)
    if (e.kind == Entry::Kind::kExec && !e.exec.tool_call_id.empty()) by_call[e.exec.tool_call_id] = &e.exec;

  const bool vision = config_.provider.vision;
  for (const auto& e : entries) {
    switch (e.kind) {
      case Entry::Kind::kUser: {
        ChatMessage m{ChatMessage::Role::kUser, e.text, {}, "", false};
        m.turn = e.turn;
        for (const std::string& path : e.images) {
          if (!vision) break;
          if (auto image = UploadedImage(path)) {
            m.images.push_back(std::move(*image));
          } else {
            m.text += "\n[The image /mnt/data/" + path + " is not sent: it is gone, or too large to send.]";
          }
        }
        chat.messages.push_back(std::move(m));
        break;
      }
      case Entry::Kind::kAssistant: {
        if (e.text.empty() && e.tool_calls.empty()) break;
        ChatMessage assistant{ChatMessage::Role::kAssistant, e.text, e.tool_calls, "", false};
        assistant.turn = e.turn;
        // Reasoning goes back only within its own turn (the model drops
        // earlier turns' anyway) and only to a model that asked for it.
        if (e.turn == turn_ && config_.provider.reasoning) assistant.reasoning_items = e.reasoning_items;
        chat.messages.push_back(std::move(assistant));
        // Every tool call gets exactly one result, right after the call, or
        // the provider rejects the history.
        for (const auto& call : e.tool_calls) {
          ChatMessage result{ChatMessage::Role::kTool, "", {}, call.id, false};
          result.turn = e.turn;
          auto it = by_call.find(call.id);
          if (it == by_call.end()) {
            result.text = "Not run: the user stopped the turn before this code ran.";
            result.is_error = true;
          } else {
            result.text = ToolResultText(*it->second);
            result.is_error = it->second->status != "ok";
            result.trim_note = TrimNote(*it->second);
            if (vision) result.images = OutputImages(*it->second);
          }
          chat.messages.push_back(std::move(result));
        }
        break;
      }
      case Entry::Kind::kExec: {
        if (!e.exec.tool_call_id.empty()) break;  // sent with its call above
        // Fenced-block runs and the user's own runs reach the model as user text.
        bool by_user = e.exec.source == "user";
        std::string text;
        if (by_user)
          text = "I ran this code myself:\n```python\n" + e.exec.code + "\n```\nOutput:\n" + ToolResultText(e.exec);
        else
          text = "Output of your code:\n" + ToolResultText(e.exec);
        ChatMessage m{ChatMessage::Role::kUser, text, {}, "", false};
        m.turn = e.turn;
        m.trim_note = (by_user ? "I ran code myself; its output: " : "Output of your code: ") + TrimNote(e.exec);
        if (vision) m.images = OutputImages(e.exec);
        chat.messages.push_back(std::move(m));
        break;
      }
      case Entry::Kind::kNotice:
        break;
    }
  }
  return chat;
}

// A call's id goes back to the provider with its result, so it must be one
// every format accepts (OpenAI: 1..40 characters; Anthropic: [a-zA-Z0-9_-]+)
// and unique in the conversation (results pair with calls by id). A stream
// that never carried an id, or an id a server reuses (some local servers
// number calls from 0 in every reply), gets one of ours.
void Session::GiveToolCallsUsableIds(std::vector<ToolCall>* calls) const {
  std::set<std::string> used;
  for (const auto& e : conversation_.entries)
    for (const auto& c : e.tool_calls) used.insert(c.id);
  auto usable = [](const std::string& id) {
    if (id.empty() || id.size() > 40) return false;
    return std::all_of(id.begin(), id.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_' || ch == '-';
    });
  };
  for (size_t i = 0; i < calls->size(); ++i) {
    ToolCall& call = (*calls)[i];
    if (!usable(call.id) || used.count(call.id) > 0) {
      std::string id;
      for (int n = 0; id.empty() || used.count(id) > 0; ++n)
        id = "call_ci_" + std::to_string(turn_) + "_" + std::to_string(steps_) + "_" + std::to_string(i) + (n ? "_" + std::to_string(n) : "");
      call.id = id;
    }
    used.insert(call.id);
  }
}

ChatRequest Session::BuildBudgetedChat(Out& out) {
  ChatRequest chat = BuildChat();
  int64_t budget = InputBudget(config_.provider.context_window, config_.provider.max_tokens.value_or(0));
  if (learned_budget_ > 0) budget = budget > 0 ? std::min(budget, learned_budget_) : learned_budget_;
  BudgetReport report = FitToBudget(&chat, budget, calibration_, turn_, kMaxImagesPerRequest);
  last_estimate_ = report.estimated_tokens;
  last_raw_estimate_ = EstimateTokens(chat, 1.0);
  if (report.trimmed()) {
    Json trim = report.ToJson();
    trim["retried"] = context_retry_used_;
    Json key = trim;
    key.erase("estimated_tokens");  // changes with every request; the trim itself may not
    if (key != last_trim_) {
      last_trim_ = key;
      trim["type"] = "context_trimmed";
      out.Emit(std::move(trim));
    }
  }
  return chat;
}

std::string Session::TrimNote(const ExecRecord& rec) const {
  size_t bytes = rec.stdout_text.size() + rec.stderr_text.size() + (rec.result ? rec.result->size() : 0);
  for (const auto& o : rec.outputs) bytes += o.text.size();
  std::string cell = rec.execution_count > 0 ? "cell " + std::to_string(rec.execution_count) : std::string("a cell");
  return "[Output of " + cell + " trimmed to fit the context window (" + HumanSize(bytes) + ", " +
         (rec.status == "ok" ? "ran without error" : "status: " + rec.status) +
         "); re-run the code to see it again.]";
}

std::vector<ImagePart> Session::OutputImages(const ExecRecord& rec) const {
  std::vector<ImagePart> images;
  int n = 0;
  for (const auto& o : rec.outputs) {
    if (!IsVisionMediaType(o.mime)) continue;
    ++n;
    // Stored as base64 already; its decoded size is about 3/4 of it.
    if (o.data.size() / 4 * 3 > kMaxImageBytes) continue;
    std::string label = "Image " + std::to_string(n) + " displayed by " +
                        (rec.execution_count > 0 ? "cell " + std::to_string(rec.execution_count) : std::string("the code")) + ":";
    images.push_back(ImagePart{o.mime, o.data, std::move(label)});
  }
  return images;
}

std::optional<ImagePart> Session::UploadedImage(const std::string& path) const {
  const FileEntry* f = vfs_.Find(path);
  if (!f || !f->bytes) return std::nullopt;
  std::string label = "Image /mnt/data/" + path + " (uploaded by the user):";
  auto p = previews_.find(path);
  if (p != previews_.end() && p->second.version == f->version)
    return ImagePart{p->second.media_type, Base64Encode(p->second.bytes), label};
  if (!IsVisionMediaType(f->media_type) || f->bytes->size() > kMaxImageBytes) return std::nullopt;
  return ImagePart{f->media_type, Base64Encode(*f->bytes), label};
}

std::string Session::ToolResultText(const ExecRecord& rec) const {
  std::string t;
  auto section = [&](const std::string& s) {
    if (!t.empty() && t.back() != '\n') t += '\n';
    t += s;
  };
  if (rec.restarted)
    section("[The Python session was restarted: variables from earlier runs are gone; files in /mnt/data are kept.]\n");
  if (!rec.stdout_text.empty()) section(rec.stdout_text);
  if (!rec.stderr_text.empty()) section("[stderr]\n" + rec.stderr_text);
  if (rec.result) section("Out: " + *rec.result);
  if (!rec.outputs.empty()) {
    // An output with a text fallback (a table's preview, a chart's title)
    // is read by the model; the rest are counted by type.
    constexpr size_t kOutputTextLimit = 2000;
    std::map<std::string, int> counts;
    for (const auto& o : rec.outputs) {
      if (o.text.empty()) {
        counts[o.mime]++;
        continue;
      }
      section("[Shown to the user as " + o.mime + ":]\n" + TruncateMiddle(o.text, kOutputTextLimit));
    }
    if (!counts.empty()) {
      std::string s = "[Shown to the user:";
      for (const auto& [mime, n] : counts) s += " " + std::to_string(n) + " × " + mime;
      section(s + "]");
    }
  }
  auto list = [&](const char* what, const std::vector<std::string>& paths) {
    if (paths.empty()) return;
    std::string s = std::string("[Files ") + what + ":";
    for (const auto& p : paths) {
      s += " /mnt/data/" + p;
      if (const FileEntry* f = vfs_.Find(p)) s += " (" + HumanSize(f->size) + ")";
    }
    section(s + "]");
  };
  list("created", rec.files_created);
  list("modified", rec.files_modified);
  list("deleted", rec.files_deleted);
  if (rec.error.is_object()) {
    std::string tb = rec.error.value("traceback", "");
    if (!tb.empty()) section(tb);
    else section(rec.error.value("type", "Error") + ": " + rec.error.value("message", ""));
  }
  if (rec.status == "cancelled") section("[Stopped by the user.]");
  if (rec.status == "timeout" && !rec.error.is_object()) section("[Stopped: the run exceeded its time limit.]");
  if (t.empty()) t = "(no output)";
  return TruncateMiddle(t, config_.limits.max_tool_output_bytes);
}

ExecRecord* Session::FindExec(const std::string& exec_id) {
  for (auto it = conversation_.entries.rbegin(); it != conversation_.entries.rend(); ++it)
    if (it->kind == Entry::Kind::kExec && it->exec.exec_id == exec_id) return &it->exec;
  return nullptr;
}

void Session::AddNotice(const std::string& level, const std::string& text, Out& out) {
  Entry e;
  e.kind = Entry::Kind::kNotice;
  e.turn = turn_;
  e.notice_level = level;
  e.text = text;
  conversation_.entries.push_back(std::move(e));
  out.Emit(Json{{"type", "notice"}, {"level", level}, {"text", text}});
  out.dirty = true;
}

// The automatic title: the first line of the first user message that has
// one, cut at a character boundary.
std::string Session::AutoTitle() const {
  for (const auto& e : conversation_.entries) {
    if (e.kind != Entry::Kind::kUser) continue;
    std::string title = CleanTitle(e.text.substr(0, e.text.find('\n')), kAutoTitleBytes);
    if (!title.empty()) return title;
  }
  return "";
}

void Session::SetTitle(const std::string& title, bool custom, Out& out) {
  conversation_.title = title;
  conversation_.custom_title = custom;
  out.Emit(Json{{"type", "title"}, {"title", title}, {"custom", custom}});
  out.dirty = true;
}

void Session::EmitFileChange(const std::string& path, const std::string& change, Out& out) {
  Json ev{{"type", "file_changed"}, {"path", path}, {"change", change}};
  if (const FileEntry* f = vfs_.Find(path)) ev["file"] = f->IndexJson();
  out.Emit(std::move(ev));
}

void Session::AccumulateUsage(const Json& usage) {
  if (!usage.is_object()) return;
  usage_by_turn_[turn_] += TokenUsage::FromProvider(usage);
}

TokenUsage Session::TurnUsage() const {
  auto it = usage_by_turn_.find(turn_);
  return it == usage_by_turn_.end() ? TokenUsage{} : it->second;
}

// The usage and turn_done emits keep their first shape: input counts every
// input token, cached or not.
Json Session::TurnTotalJson() const {
  TokenUsage u = TurnUsage();
  return Json{{"input_tokens", u.all_input()}, {"output_tokens", u.output}};
}

Json Session::UsageByTurnJson() const {
  Json j = Json::object();
  for (const auto& [turn, usage] : usage_by_turn_) j[std::to_string(turn)] = usage.ToJson();
  return j;
}

// -------------------------------------------------------- persistence --

Json Session::ConversationJson() const {
  Json j = conversation_.ToJson();
  j["usage_by_turn"] = UsageByTurnJson();
  j["queued"] = queued_code_;
  j["queue_held"] = queue_held_;
  return j;
}

Json Session::Serialize() const {
  return Json{{"format", "ci-session"},
              {"version", 1},
              {"config", config_.ToJson()},
              {"conversation", conversation_.ToJson()},
              {"files", vfs_.IndexJson()},
              {"usage_by_turn", UsageByTurnJson()},
              {"queued", queued_code_},
              {"counters",
               {{"turn", turn_}, {"exec_counter", exec_counter_}, {"execution_count", execution_count_}}}};
}

std::unique_ptr<Session> Session::Restore(const Json& state, const std::map<std::string, std::string>& file_bytes,
                                          std::vector<std::string>* problems) {
  if (!state.is_object() || state.value("format", "") != "ci-session")
    throw std::invalid_argument("not a saved session (format != \"ci-session\")");
  if (state.value("version", 0) != 1)
    throw std::invalid_argument("unsupported saved session version " + state.value("version", Json(0)).dump());
  auto s = std::make_unique<Session>(SessionConfig::FromJson(state.value("config", Json::object())));
  s->conversation_ = Conversation::FromJson(state.value("conversation", Json::object()));
  std::vector<std::string> local;
  s->vfs_ = Vfs::Restore(state.value("files", Json::object()), file_bytes, s->config_.vfs_limits,
                         problems ? problems : &local);
  const Json counters = state.value("counters", Json::object());
  s->turn_ = counters.value("turn", 0);
  s->exec_counter_ = counters.value("exec_counter", int64_t{0});
  s->execution_count_ = counters.value("execution_count", 0);
  s->usage_by_turn_ = UsageByTurnFromJson(state.value("usage_by_turn", Json::object()));
  // Queued code is kept but not run: the user decides (run_queued, clear_queue).
  s->queued_code_ = QueuedCodeFromJson(state.value("queued", Json::array()));
  s->queue_held_ = !s->queued_code_.empty();
  // Uploaded images a message already brought to the model are not attached again.
  for (const auto& e : s->conversation_.entries) {
    for (const std::string& path : e.images)
      if (const FileEntry* f = s->vfs_.Find(path)) s->attached_uploads_.insert(path + "\n" + std::to_string(f->version));
  }
  // Work in flight when the tab closed did not finish; say so honestly.
  for (auto& e : s->conversation_.entries) {
    if (e.kind == Entry::Kind::kExec && e.exec.status == "running") {
      e.exec.status = "cancelled";
      e.exec.stderr_text += "[The page was closed while this ran.]\n";
    }
  }
  return s;
}

}  // namespace ci
