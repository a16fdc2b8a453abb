// Reading the fields of incoming events. Each reader returns an error
// message (for a protocol error) or nullopt; none of them throws or changes
// anything, so a session can validate a whole event before acting on it.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/conversation.h"
#include "core/json.h"

namespace ci {

using ParseError = std::optional<std::string>;

ParseError ReadNow(const Json& e, int64_t* now_ms);                    // "now_ms": integer >= 0
ParseError ReadInt(const Json& e, const char* key, int64_t* value);    // required integer
// Bytes given as "data" (UTF-8 text), "data_base64", or "blob" (index into blobs).
ParseError ReadBytes(const Json& e, const std::vector<std::string>& blobs, std::string* bytes);
// Optional "headers": object of string values; names are lower-cased.
ParseError ReadHeaders(const Json& e, std::map<std::string, std::string>* headers);

// An exec_result event, validated.
struct ExecReport {
  struct WrittenFile {
    std::string path;
    std::string bytes;
  };
  std::string exec_id;
  std::string status;  // ok | error | timeout | cancelled | crashed
  std::string stdout_text, stderr_text;
  std::optional<std::string> result;
  Json error;  // null or {"type","message","traceback"}
  std::vector<Output> outputs;
  std::vector<WrittenFile> written;  // files.created + files.modified
  std::vector<std::string> deleted;
  bool restarted = false;
  int64_t duration_ms = -1;
};
ParseError ParseExecReport(const Json& e, const std::vector<std::string>& blobs, ExecReport* report);

}  // namespace ci
