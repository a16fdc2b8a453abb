// The agent loop: one sans-I/O state machine per conversation.
//
// Rules of the machine (read these before the code):
// - JS hands in EVENTS (JSON objects with a "type" and "now_ms"); the session
//   answers with ACTIONS (JSON objects with a "type"). It never does I/O,
//   never reads a clock, never blocks. Time arrives as now_ms.
// - States: idle → waiting_model (a request in flight, maybe streaming)
//   → running_code (one run_code in flight) → waiting_model ... → idle.
//   retry_wait sits between two attempts of one model request.
// - A turn: user_message → http_request → llm_* events (text deltas are
//   emitted as they arrive) → the reply's python tool calls (or ```python
//   blocks for models without tools) run one by one via run_code → their
//   results go back to the model → next request ... until the model answers
//   without code, the step limit is hit, an environment error happens, or
//   cancel.
// - user_code (the user's own "Run") is a turn of its own; sent during a
//   turn it queues (bounded) and runs after it. cancel drops the queue; a
//   queue restored from a saved state waits for run_queued.
// - Every request gets at most one answer: events for a request or an
//   execution that is no longer current are dropped silently (late answers
//   to cancelled work). The one exception: an exec_result of a cancelled run
//   still applies its file changes (files are never lost).
// - Three kinds of error: the model's (its code failed: fed back to the
//   model, the loop goes on); the environment's (HTTP failure, stream cut,
//   timeout, crashed sandbox: the turn ends with an "error" emit, nothing
//   already received is lost); the glue's (an event that is malformed or
//   illegal in this state: Handle() returns a protocol error {code, message,
//   detail?} (core/api_error.h) and the session is unchanged).
// - The API key never enters the session: http_request carries an "auth"
//   description; the glue adds the key for that request only.
//
// The full list of events, actions and emitted UI events is in
// wasm/PROTOCOL.md; js_glue/protocol.mjs mirrors it and a test keeps the two
// in step.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/api_error.h"
#include "core/conversation.h"
#include "core/json.h"
#include "core/llm_types.h"
#include "core/stream_decoder.h"
#include "core/system_prompt.h"
#include "core/usage.h"
#include "core/vfs.h"

namespace ci {

struct SessionLimits {
  int max_steps = 12;                    // model requests per turn
  int64_t max_turn_tokens = 0;           // TokenUsage::total() of a turn (input incl. cache + output); 0: no limit
  int64_t request_timeout_ms = 120000;   // request sent → first byte
  int64_t idle_timeout_ms = 60000;       // longest silence inside a stream
  int64_t max_reply_ms = 600000;         // request sent → end of stream (keep-alives can't hold a turn forever)
  size_t max_reply_bytes = 1 << 20;      // text + thinking + tool arguments of one reply
  int max_retries = 3;                   // on 408/409/429/5xx/529 and overloaded errors
  int64_t retry_base_ms = 1000;          // backoff: base * 2^attempt
  int64_t max_retry_wait_ms = 60000;     // a longer Retry-After ends the turn instead
  int64_t exec_grace_ms = 15000;         // sandbox silent this long past its time limit: presumed dead
  size_t max_tool_output_bytes = 12000;  // what the model sees of one run's output
  size_t max_error_body_bytes = 65536;   // body kept to explain an HTTP error

  Json ToJson() const;
  static SessionLimits FromJson(const Json& j, const SessionLimits& base);  // missing keys keep base
};

struct SessionConfig {
  ProviderConfig provider;
  SessionLimits limits;
  VfsLimits vfs_limits;
  SandboxInfo sandbox;
  std::string system_prompt_extra;
  std::string conversation_id;

  Json ToJson() const;
  static SessionConfig FromJson(const Json& j);  // throws std::invalid_argument
};

class Session {
 public:
  // A refused event: {"code","message","detail"?} (core/api_error.h).
  using Refused = std::optional<ApiError>;

  struct Result {
    std::vector<Json> actions;
    std::optional<Json> error;  // {"code","message","detail"?}; then actions is empty and nothing changed
    Json ToJson() const;        // {"actions":[...]} or {"actions":[],"error":{...}}
  };

  explicit Session(SessionConfig config);

  // Handles one event. Byte payloads (llm_chunk data, file contents) may be
  // given inline ("data": UTF-8 text, or "data_base64") or by index into
  // blobs ("blob": i). Never throws.
  Result Handle(const Json& event, const std::vector<std::string>& blobs = {});

  // Fast path for llm_chunk without JSON around the bytes.
  Result FeedLlmBytes(int64_t request_id, std::string_view bytes, int64_t now_ms);

  // Whole-session state for persistence: conversation, file index, counters,
  // config (which holds no key). File bytes are persisted separately.
  Json Serialize() const;
  // Throws std::invalid_argument on bad input. Runs that were in flight when
  // the state was saved are marked cancelled; the sandbox is presumed new.
  static std::unique_ptr<Session> Restore(const Json& state, const std::map<std::string, std::string>& file_bytes,
                                          std::vector<std::string>* problems);

  // What the bound conversation() returns: the record (id, title,
  // custom_title, entries) plus usage_by_turn {"<turn>": TokenUsage JSON} for
  // turns that reported usage, queued [code...] and queue_held.
  Json ConversationJson() const;

  const Vfs& vfs() const { return vfs_; }
  const Conversation& conversation() const { return conversation_; }
  const SessionConfig& config() const { return config_; }
  std::string state_name() const;

 private:
  enum class State { kIdle, kWaitingModel, kRetryWait, kRunningCode };
  enum class TimerPurpose { kRequest, kRetry, kExec };
  struct PendingExec {
    std::string code;
    std::string tool_call_id;
    std::string problem;  // non-empty: not runnable (bad arguments, unknown tool); fed back as an error
    std::string source = "tool";  // "tool" | "fenced" | "user", as in ExecRecord
  };

  class Out;  // collects actions for one Handle call

  // The end of every Handle/FeedLlmBytes: a protocol error, or the actions
  // plus one persist action when something durable changed.
  Result Conclude(const Refused& err, Out& out);

  Refused Dispatch(const std::string& type, const Json& event, const std::vector<std::string>& blobs, int64_t now,
                   Out& out);
  ApiError Busy(const std::string& what) const;  // "not now: a turn is running", with the state as detail

  // Event handlers. Each validates fully before changing anything and
  // returns a protocol error message on bad input.
  Refused OnConfigure(const Json& e, Out& out);
  Refused OnUserMessage(const Json& e, int64_t now, Out& out);
  Refused OnUserCode(const Json& e, int64_t now, Out& out);
  Refused OnLlmHeaders(const Json& e, int64_t now, Out& out);
  Refused OnLlmChunk(int64_t request_id, std::string_view bytes, int64_t now, Out& out);
  Refused OnLlmDone(const Json& e, int64_t now, Out& out);
  Refused OnLlmFailed(const Json& e, int64_t now, Out& out);
  Refused OnExecResult(const Json& e, const std::vector<std::string>& blobs, int64_t now,
                                          Out& out);
  Refused OnFileUpload(const Json& e, const std::vector<std::string>& blobs, int64_t now,
                                          Out& out);
  Refused OnFileDelete(const Json& e, int64_t now, Out& out);
  Refused OnSandboxRestarted(const Json& e, int64_t now, Out& out);
  Refused OnTimer(const Json& e, int64_t now, Out& out);
  Refused OnCancel(int64_t now, Out& out);
  Refused OnSetTitle(const Json& e, Out& out);
  Refused OnRunQueued(Out& out);
  Refused OnClearQueue(Out& out);
  Refused OnListModels(const Json& e, Out& out);

  // The model list (a request beside the turn; see session.cpp).
  bool IsModelsRequest(int64_t request_id) const;
  void OnModelsBytes(std::string_view bytes, Out& out);
  void OnModelsDone(Out& out);
  void FailModels(const std::string& code, const std::string& message, Out& out, Json detail = nullptr);
  void EndModels(Out& out);  // clears its timer and forgets the request

  // Steps of the loop.
  void StartUserCodeTurn(const std::string& code, int64_t now, Out& out);
  void StartQueuedIfDue(int64_t now, Out& out);  // idle, queue not held: the next queued code starts
  void EmitQueue(Out& out);                      // emit queue {count}
  void DropQueue(Out& out);
  void StartTurn(int64_t now, Out& out);
  void SendModelRequest(int64_t now, Out& out);
  void FinishModelReply(int64_t now, Out& out);
  void HandleHttpError(int status, int64_t now, Out& out);
  void ScheduleRetry(int64_t delay_ms, const std::string& reason, int64_t now, Out& out);
  void StartNextExec(int64_t now, Out& out);
  void AfterExecs(int64_t now, Out& out);
  void EndTurn(const std::string& reason, int64_t now, Out& out);
  void FailTurn(const std::string& kind, const StreamError& err, int status, int64_t now, Out& out);
  void RecordPartialReply(Out& out);
  void AbortCurrentRequest(Out& out);
  int64_t SetTimer(TimerPurpose purpose, int64_t delay_ms, Out& out);
  int64_t RequestDeadline() const;
  void ArmRequestTimer(int64_t now, Out& out);  // when the request in flight times out (first byte, idle, whole reply)
  void ClearTimer(Out& out);

  ChatRequest BuildChat() const;
  void GiveToolCallsUsableIds(std::vector<ToolCall>* calls) const;
  // The request's history under the context budget (context_budget.h);
  // emits context_trimmed when what was trimmed changed.
  ChatRequest BuildBudgetedChat(Out& out);
  std::vector<ImagePart> OutputImages(const ExecRecord& rec) const;  // the images a run displayed
  std::optional<ImagePart> UploadedImage(const std::string& path) const;
  std::string TrimNote(const ExecRecord& rec) const;
  std::string ToolResultText(const ExecRecord& rec) const;
  ExecRecord* FindExec(const std::string& exec_id);
  void AddNotice(const std::string& level, const std::string& text, Out& out);
  void EmitFileChange(const std::string& path, const std::string& change, Out& out);
  std::string AutoTitle() const;  // from the first user message; "" before there is one
  void SetTitle(const std::string& title, bool custom, Out& out);  // stores, emits `title`, persists
  void AccumulateUsage(const Json& usage);  // adds a reply's usage to the current turn's
  TokenUsage TurnUsage() const;             // the current turn's so far
  Json TurnTotalJson() const;               // {input_tokens (all), output_tokens}: the usage/turn_done emits
  Json UsageByTurnJson() const;

  SessionConfig config_;
  Vfs vfs_;
  Conversation conversation_;
  State state_ = State::kIdle;
  int turn_ = 0;
  int steps_ = 0;
  bool turn_from_user_code_ = false;

  // Current model request.
  int64_t request_id_ = 0;  // 0: none
  int64_t next_request_id_ = 1;
  int retries_ = 0;
  int http_status_ = 0;  // 0 until known
  std::map<std::string, std::string> http_headers_;
  std::string body_head_;  // first bytes of the body, to explain errors
  std::unique_ptr<StreamDecoder> decoder_;
  int64_t request_sent_ms_ = 0;
  int64_t last_activity_ms_ = 0;
  bool got_bytes_ = false;
  bool emitted_content_ = false;
  size_t reply_bytes_ = 0;  // content decoded from the current reply (max_reply_bytes)

  // Executions.
  std::deque<PendingExec> pending_execs_;
  std::string running_exec_id_;
  int64_t exec_counter_ = 0;
  int execution_count_ = 0;
  std::vector<std::string> cancelled_exec_ids_;  // still accept their file changes

  // User code sent while a turn ran: each runs as its own turn once the
  // running one ends (cancel drops them). Saved with the state; after a
  // restore they are held until run_queued.
  std::deque<std::string> queued_code_;
  bool queue_held_ = false;

  // The model list request in flight (0: none). Not saved: a reload asks again.
  int64_t models_request_id_ = 0;
  int64_t models_timer_id_ = 0;  // its own timer, beside the turn's
  int64_t models_timeout_ms_ = 0;
  int models_status_ = 0;
  std::string models_body_;
  std::string models_url_;

  // The turn's timer: one at a time, identified by id; stale ids are ignored.
  // (The model list has its own, models_timer_id_.)
  int64_t timer_id_ = 0;
  int64_t next_timer_id_ = 1;
  TimerPurpose timer_purpose_ = TimerPurpose::kRequest;

  // The context budget. Not saved: a reload starts from the defaults.
  double calibration_ = 1.2;         // provider's input tokens / our raw estimate, learned per reply
  int64_t last_raw_estimate_ = 0;    // of the request in flight, uncalibrated
  int64_t last_estimate_ = 0;        // the same, calibrated
  int64_t learned_budget_ = 0;       // after a "context length exceeded": at most this (0: none)
  bool context_retry_used_ = false;  // one harder-trimmed retry per step
  Json last_trim_ = nullptr;         // the last context_trimmed emitted (emitted again only when it changes)

  // Uploaded images: a smaller copy for the model (the glue's downscale, not
  // saved), and which upload versions a user message has taken already.
  struct Preview {
    uint32_t version = 0;
    std::string media_type;
    std::string bytes;
  };
  std::map<std::string, Preview> previews_;
  std::set<std::string> attached_uploads_;  // "path\nversion"

  std::map<int, TokenUsage> usage_by_turn_;  // turn → summed usage of its replies; the token limit reads it
  std::vector<std::string> persist_write_, persist_delete_;
};

}  // namespace ci
