// Helpers shared by the streaming decoders and ParseErrorBody (internal to
// wasm/core; not part of the JS wire).
#pragma once
#include <string>
#include <string_view>

#include "core/json.h"

namespace ci {

// Parses `text` as JSON. The nesting depth is checked BEFORE nlohmann sees the
// text, so hostile input (100000 nested brackets) never recurses deeply.
// Returns false and sets *error ("not JSON: ...", "nested deeper than ...")
// on any failure. Never throws.
bool ParseJsonBounded(std::string_view text, Json* out, std::string* error);

// A short, printable excerpt of what a provider sent, for error messages:
// valid UTF-8, control characters shown as spaces, at most max_bytes bytes
// (cut on a character boundary, "..." appended when cut).
std::string Excerpt(std::string_view bytes, size_t max_bytes = 80);

// Serializes JSON for messages and results without ever throwing (invalid
// UTF-8 in strings is replaced).
std::string DumpJson(const Json& j);

// The string at j[key] when j is an object holding a string there, else "".
std::string StringField(const Json& j, const char* key);

}  // namespace ci
