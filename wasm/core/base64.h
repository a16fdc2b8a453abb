// Standard base64 (RFC 4648, with padding) for byte payloads that travel
// inside JSON (transcripts, data_base64 fields).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace ci {

std::string Base64Encode(std::string_view bytes);
// Returns nullopt on a character outside the alphabet or a bad length.
// Whitespace (e.g. line-wrapped base64) is skipped.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace ci
