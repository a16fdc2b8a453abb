// The one error shape of the core's API (wasm/PROTOCOL.md, "Errors"):
//   {"code": "snake_case", "message": "for a person", "detail": any JSON}
// `code` is stable (callers branch on it); `message` may change wording;
// `detail` is optional and only present when it says something the code and
// message do not (the state that refused an event, a limit, a status).
//
// Used for refused events (Session::Result::error) and for failures of the
// bound functions (wrapped as {"error": ApiError} by bindings.cpp).
#pragma once
#include <string>
#include <utility>

#include "core/json.h"

namespace ci {

struct ApiError {
  std::string code = "invalid_event";
  std::string message;
  Json detail = nullptr;  // null: left out of the JSON

  // A bare message is a malformed event: the commonest refusal, and what
  // the field readers (event_parse.h) return.
  ApiError(const char* m) : message(m) {}  // NOLINT(google-explicit-constructor): see above
  ApiError(std::string m) : message(std::move(m)) {}  // NOLINT(google-explicit-constructor)
  ApiError(std::string c, std::string m, Json d = nullptr)
      : code(std::move(c)), message(std::move(m)), detail(std::move(d)) {}

  Json ToJson() const {
    Json j{{"code", code}, {"message", message}};
    if (!detail.is_null()) j["detail"] = detail;
    return j;
  }
};

// The codes, in one place so that PROTOCOL.md and the tests can name them.
namespace error_code {
inline constexpr const char* kInvalidEvent = "invalid_event";    // a field is missing or of the wrong type
inline constexpr const char* kInvalidJson = "invalid_json";      // the event text is not JSON
inline constexpr const char* kUnknownEvent = "unknown_event";    // no such event type
inline constexpr const char* kBusy = "busy";                     // not allowed while a turn runs; detail {state}
inline constexpr const char* kUnknownId = "unknown_id";          // a request, exec or timer id never issued
inline constexpr const char* kQueueFull = "queue_full";          // too much user code queued; detail {limit}
inline constexpr const char* kInternal = "internal_error";       // a bug of ours, caught
inline constexpr const char* kBadHandle = "bad_handle";          // no session or decoder with that handle
inline constexpr const char* kBadConfig = "bad_config";          // createSession's config refused
inline constexpr const char* kBadState = "bad_state";            // restoreSession's state refused
inline constexpr const char* kBadOptions = "bad_options";        // exportNotebook's options refused
inline constexpr const char* kBadFormat = "bad_format";          // unknown stream format
}  // namespace error_code

}  // namespace ci
