// Output truncation for what is fed back to the model: keep the head and the
// tail, cut the middle, and say what was cut. Never splits a UTF-8 character.
#pragma once
#include <string>
#include <string_view>

namespace ci {

// If text is longer than max_bytes, returns head + note + tail where the note
// reads "\n[... 12345 characters (67 lines) omitted ...]\n" and head and tail
// together fill about max_bytes (head 60%, tail 40%, cut at line breaks when
// one is near). Otherwise returns text unchanged.
std::string TruncateMiddle(std::string_view text, size_t max_bytes);

}  // namespace ci
