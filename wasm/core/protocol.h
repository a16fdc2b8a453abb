// The names on the wire between JS and the core, in one place. The JS
// mirror (js_glue/protocol.mjs) must list exactly these; tests/js checks it
// against the built module's protocolInfo(), and the native session tests
// check that every action and emitted event uses a name listed here.
// Field-level documentation: wasm/PROTOCOL.md.
#pragma once
#include "core/json.h"

namespace ci {

inline constexpr const char* kEventTypes[] = {
    "configure",   "user_message", "user_code",   "llm_headers", "llm_chunk",         "llm_done", "llm_failed",
    "exec_result", "file_upload",  "file_delete", "timer_fired", "sandbox_restarted", "cancel",
    "set_title",   "run_queued",   "clear_queue", "list_models"};

inline constexpr const char* kActionTypes[] = {"http_request", "abort_request", "run_code", "interrupt",
                                               "set_timer",    "clear_timer",   "emit",     "persist"};

inline constexpr const char* kEmitTypes[] = {
    "turn_started",  "title",         "model_request", "text_delta",   "thinking_delta", "tool_call_started",
    "tool_call_delta", "assistant_message", "usage",   "retrying",     "cell_started",   "cell_finished",
    "file_changed",  "notice",        "error",         "turn_done",    "queue",          "models",
    "context_trimmed"};

inline Json ProtocolInfo() {
  Json j{{"version", 1}, {"events", Json::array()}, {"actions", Json::array()}, {"emits", Json::array()}};
  for (const char* t : kEventTypes) j["events"].push_back(t);
  for (const char* t : kActionTypes) j["actions"].push_back(t);
  for (const char* t : kEmitTypes) j["emits"].push_back(t);
  return j;
}

}  // namespace ci
