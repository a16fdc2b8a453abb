// A small validating JSON scanner for the streaming decoders' hot path
// (internal to wasm/core; not part of the JS wire).
//
// JsonScan::Parse() checks a whole text as JSON in one pass and records every
// value as a flat "tape" of nodes (type + byte span), reusing its buffers, so
// an SSE event costs no allocation per value. Strings are decoded only when a
// caller asks for one. Callers look up the few fields they need through
// JsonScanValue and skip the rest.
//
// Contract (what makes it a drop-in for nlohmann on the fast path):
// - Parse() accepts ONLY texts that nlohmann::ordered_json::parse (strict)
//   accepts too, and whose nesting depth is at most max_depth. It may refuse
//   rare valid texts that it does not bother to handle (a leading UTF-8 BOM,
//   texts of 4 GiB or more); callers then fall back to nlohmann, which also
//   gives the error message for texts that really are invalid.
// - What an accessor returns equals what the nlohmann DOM of the same text
//   gives: object lookup finds the LAST of duplicate keys (nlohmann keeps the
//   last value), keys and strings are compared/decoded after unescaping
//   (\uXXXX with surrogate pairs; a lone surrogate makes the text invalid,
//   as in nlohmann), a number is an integer exactly when nlohmann stores it as
//   one, and ToJson() is nlohmann's own parse of the value's text.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace ci {

class JsonScanValue;

class JsonScan {
 public:
  enum class Type : uint8_t { kNull, kFalse, kTrue, kNumber, kString, kArray, kObject };

  // Validates `text` (which must outlive the values read from it) and builds
  // the tape. Returns false when the text is not JSON, is nested deeper than
  // max_depth, or is one of the rare forms left to nlohmann (see above).
  // Never throws except std::bad_alloc.
  bool Parse(std::string_view text, int max_depth);

  // The top-level value after a successful Parse(); absent after a failed one.
  JsonScanValue root() const;

 private:
  friend class JsonScanValue;

  struct Node {
    Type type;
    uint8_t flags;   // kHasEscapes (strings), kIntegerLiteral / kNegative (numbers)
    uint32_t begin;  // strings: first byte after the quote; others: first byte
    uint32_t end;    // strings: the closing quote; others: one past the last byte
    uint32_t next;   // index of the node after this value and all it contains
  };
  static constexpr uint8_t kHasEscapes = 1;
  static constexpr uint8_t kIntegerLiteral = 2;  // no fraction, no exponent
  static constexpr uint8_t kNegative = 4;

  bool ParseString(const char*& p, const char* end, uint8_t* flags);
  bool ParseNumber(const char*& p, const char* end, uint8_t* flags);

  // Appends a node; nodes_ only grows (its size is the capacity in use), so
  // Parse() reuses it without clearing or per-push capacity checks in std::vector.
  void Push(const Node& node) {
    if (count_ == nodes_.size()) nodes_.resize(nodes_.size() * 2 + 32);
    nodes_[count_++] = node;
  }

  std::string_view text_;
  std::vector<Node> nodes_;
  uint32_t count_ = 0;           // nodes of the current text
  bool ok_ = false;              // the last Parse() succeeded
  std::vector<uint32_t> stack_;  // open containers while parsing
};

// A value on a JsonScan tape, or "absent" (what Find() gives for a missing
// key). Cheap to copy; valid until the next Parse() of its JsonScan.
class JsonScanValue {
 public:
  JsonScanValue() = default;

  bool present() const { return scan_ != nullptr; }
  // Precondition: present().
  JsonScan::Type type() const { return node().type; }
  bool is_null() const { return IsType(JsonScan::Type::kNull); }
  bool is_string() const { return IsType(JsonScan::Type::kString); }
  bool is_array() const { return IsType(JsonScan::Type::kArray); }
  bool is_object() const { return IsType(JsonScan::Type::kObject); }
  // nlohmann's is_number_integer(): an integer literal that fits int64 (or
  // uint64 when not negative).
  bool is_number_integer() const;

  // Object member `key` (compared after unescaping; the last of duplicates),
  // or an absent value when this is not an object or has no such key.
  JsonScanValue Find(std::string_view key) const;

  // Elements of an array in order: for (auto e = v.FirstElement(); e.present(); e = v.NextElement(e)).
  JsonScanValue FirstElement() const;
  JsonScanValue NextElement(JsonScanValue element) const;

  // Members of an object in text order (duplicates included), as key values
  // (strings): for (auto k = v.FirstKey(); k.present(); k = v.NextKey(k)) use
  // k.GetString() and v.ValueOf(k).
  JsonScanValue FirstKey() const;
  JsonScanValue NextKey(JsonScanValue key) const;
  JsonScanValue ValueOf(JsonScanValue key) const { return JsonScanValue(scan_, key.index_ + 1); }

  // The decoded string. Precondition: is_string().
  std::string GetString() const;
  // nlohmann's get<int64_t>() (a uint64 above INT64_MAX wraps, as there).
  // Precondition: is_number_integer().
  int64_t GetInt() const;
  // The value's JSON text exactly as it appears in the input.
  std::string_view Raw() const;
  // The value as a nlohmann DOM (equal to the same subtree of a whole parse).
  Json ToJson() const;

 private:
  friend class JsonScan;
  JsonScanValue(const JsonScan* scan, uint32_t index) : scan_(scan), index_(index) {}
  bool IsType(JsonScan::Type type) const { return scan_ != nullptr && node().type == type; }
  const JsonScan::Node& node() const { return scan_->nodes_[index_]; }
  bool KeyEquals(uint32_t key_index, std::string_view key) const;

  const JsonScan* scan_ = nullptr;
  uint32_t index_ = 0;
};

// Appends the decoded contents of a JSON string body (the bytes between the
// quotes, already validated by JsonScan) to *out. Exposed for tests.
void AppendUnescapedJsonString(std::string_view body, std::string* out);

}  // namespace ci
