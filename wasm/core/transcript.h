// Transcripts: readable records of "events in → actions out" (the way
// llhttp's tests are written), replayed by the native tests, the ci-replay
// tool and the JS tests against the wasm build.
//
// A transcript: {"description", "config": SessionConfig JSON, "steps": [
//   {"event": {...}, "expect": [partial action, ...]}        actions, in order, same count
//   {"event": {...}, "expect_error": "substring"}           a protocol error
// ]}
// An expected value matches when every key it names matches (objects are
// partial, arrays exact in length, "*" matches anything). On http_request a
// "body_json" key is matched against the parsed body. now_ms defaults to the
// step index × 1000.
#pragma once
#include <string>
#include <vector>

#include "core/json.h"

namespace ci {

struct TranscriptReport {
  bool ok = true;
  std::vector<std::string> failures;  // "step 3: actions[1].type: expected \"run_code\", got \"emit\""
  std::vector<Json> actual;           // the actions of each step (or the error)
};

TranscriptReport ReplayTranscript(const Json& transcript);

// Partial match; on a mismatch returns false and describes it in *why.
bool JsonMatches(const Json& expected, const Json& actual, const std::string& where, std::string* why);

}  // namespace ci
