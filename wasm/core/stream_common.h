// Helpers shared by the streaming decoders and ParseErrorBody (internal to
// wasm/core; not part of the JS wire).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/json_scan.h"

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

// JsonScanValue's interface over a nlohmann DOM, so that a decoder's field
// logic is written once (as a template over the value type) and runs on the
// scanner's tape (the fast path) or on a DOM (the fallback) with the same
// results.
class JsonDomValue {
 public:
  JsonDomValue() = default;
  explicit JsonDomValue(const Json* j, size_t position = 0) : j_(j), position_(position) {}

  bool present() const { return j_ != nullptr; }
  bool is_null() const { return j_ != nullptr && j_->is_null(); }
  bool is_string() const { return j_ != nullptr && j_->is_string(); }
  bool is_array() const { return j_ != nullptr && j_->is_array(); }
  bool is_object() const { return j_ != nullptr && j_->is_object(); }
  bool is_number_integer() const { return j_ != nullptr && j_->is_number_integer(); }

  JsonDomValue Find(std::string_view key) const {
    if (!is_object()) return {};
    auto it = j_->find(std::string(key));
    return it == j_->end() ? JsonDomValue() : JsonDomValue(&*it);
  }
  JsonDomValue FirstElement() const {
    return is_array() && !j_->empty() ? JsonDomValue(&(*j_)[0], 0) : JsonDomValue();
  }
  JsonDomValue NextElement(JsonDomValue element) const {
    size_t next = element.position_ + 1;
    return next < j_->size() ? JsonDomValue(&(*j_)[next], next) : JsonDomValue();
  }
  std::string GetString() const { return j_->get<std::string>(); }
  int64_t GetInt() const { return j_->get<int64_t>(); }
  const Json& ToJson() const { return *j_; }

 private:
  const Json* j_ = nullptr;
  size_t position_ = 0;  // index in the parent array (FirstElement/NextElement)
};

// StringField for JsonScanValue / JsonDomValue.
template <class Value>
std::string StringAt(const Value& object, std::string_view key) {
  Value v = object.Find(key);
  return v.is_string() ? v.GetString() : std::string();
}

}  // namespace ci
