// How long a provider asks us to wait before retrying, from its headers:
// "retry-after-ms" (OpenAI), "retry-after" as seconds or as an HTTP-date.
// Header names must be lower-case. now_ms is milliseconds since the Unix
// epoch (the glue passes Date.now()), needed only for the HTTP-date form.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace ci {

std::optional<int64_t> RetryAfterMs(const std::map<std::string, std::string>& headers, int64_t now_ms);

// "Sun, 06 Nov 1994 08:49:37 GMT" → ms since the epoch; nullopt if malformed.
std::optional<int64_t> ParseHttpDateMs(const std::string& text);

}  // namespace ci
