// JsonScan: one-pass validating JSON scanner (contract in json_scan.h).
//
// The grammar is RFC 8259's, checked the way nlohmann's strict parser checks
// it: whitespace is space/tab/LF/CR only, strings must be valid UTF-8 with no
// raw control characters, escapes are the eight short ones plus \uXXXX where a
// high surrogate must be followed by a low one (and a low one never stands
// alone), numbers have no leading zeros, and nothing but whitespace may follow
// the value. Numbers nlohmann would refuse as out of range (1e400) are handed
// to nlohmann itself to decide, so both agree exactly.
#include "core/json_scan.h"
#include "core/json_bytes.h"
#include "core/utf8.h"

#include <cstring>
#include <limits>

namespace ci {
namespace {

using json_bytes::StringSpecials;

// Byte offset of the lowest flagged byte of a nonzero mask, in memory order.
inline int FirstFlagged(uint64_t mask) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return __builtin_ctzll(mask) >> 3;
#else
  return 0;  // the caller then steps byte by byte (still correct)
#endif
}

inline bool IsStringSpecial(unsigned char c) { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80; }

inline bool IsWhitespace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

inline void SkipWhitespace(const char*& p, const char* end) {
  while (p != end && IsWhitespace(*p)) ++p;
}

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of the 4 hex digits at p (p + 4 <= end checked by caller), or -1.
inline int32_t Hex4(const char* p) {
  int32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    int h = HexValue(p[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Numbers this long (or with an exponent) might be out of double's range;
// shorter plain ones never are (|x| < 10^300).
constexpr size_t kSurelyFiniteNumberLength = 300;
// Integer literals with at most this many digits fit int64 whatever they are.
constexpr size_t kSurelyInt64Digits = 18;

}  // namespace

bool JsonScan::ParseString(const char*& p, const char* end, uint8_t* flags) {
  // p is just after the opening quote; on success it is left on the closing one.
  for (;;) {
    // Skip plain ASCII 8 bytes at a time, landing on the first special byte.
    for (;;) {
      if (end - p >= 8) {
        uint64_t specials = StringSpecials(p);
        if (specials == 0) {
          p += 8;
          continue;
        }
        p += FirstFlagged(specials);
        if (!IsStringSpecial(static_cast<unsigned char>(*p))) {
          ++p;  // only on big-endian machines (FirstFlagged() returned 0)
          continue;
        }
      } else {
        while (p != end && !IsStringSpecial(static_cast<unsigned char>(*p))) ++p;
      }
      break;
    }
    if (p == end) return false;
    unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"') return true;
    if (c == '\\') {
      *flags |= kHasEscapes;
      if (end - p < 2) return false;
      switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          p += 2;
          break;
        case 'u': {
          if (end - p < 6) return false;
          int32_t unit = Hex4(p + 2);
          if (unit < 0) return false;
          p += 6;
          if (unit >= 0xDC00 && unit <= 0xDFFF) return false;  // a low surrogate alone
          if (unit >= 0xD800 && unit <= 0xDBFF) {
            if (end - p < 6 || p[0] != '\\' || p[1] != 'u') return false;
            int32_t low = Hex4(p + 2);
            if (low < 0xDC00 || low > 0xDFFF) return false;
            p += 6;
          }
          break;
        }
        default:
          return false;
      }
    } else if (c < 0x20) {
      return false;
    } else if (c < 0x80) {
      ++p;
    } else {
      int n = Utf8SequenceLength(reinterpret_cast<const unsigned char*>(p), reinterpret_cast<const unsigned char*>(end));
      if (n == 0) return false;
      p += n;
    }
  }
}

bool JsonScan::ParseNumber(const char*& p, const char* end, uint8_t* flags) {
  const char* start = p;
  bool simple = true;  // no exponent
  if (*p == '-') {
    *flags |= kNegative;
    ++p;
  }
  if (p == end) return false;
  if (*p == '0') {
    ++p;
  } else if (*p >= '1' && *p <= '9') {
    while (p != end && IsDigit(*p)) ++p;
  } else {
    return false;
  }
  bool integer = true;
  if (p != end && *p == '.') {
    ++p;
    if (p == end || !IsDigit(*p)) return false;
    while (p != end && IsDigit(*p)) ++p;
    integer = false;
  }
  if (p != end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p != end && (*p == '+' || *p == '-')) ++p;
    if (p == end || !IsDigit(*p)) return false;
    while (p != end && IsDigit(*p)) ++p;
    integer = false;
    simple = false;
  }
  if (integer) *flags |= kIntegerLiteral;
  if (!simple || static_cast<size_t>(p - start) > kSurelyFiniteNumberLength) {
    // nlohmann refuses numbers that overflow a double: let it decide.
    Json number = Json::parse(start, p, nullptr, /*allow_exceptions=*/false);
    if (number.is_discarded()) return false;
  }
  return true;
}

bool JsonScan::Parse(std::string_view text, int max_depth) {
  text_ = text;
  count_ = 0;
  ok_ = false;
  stack_.clear();
  // Offsets are 32-bit; a leading BOM (which nlohmann skips) is left to nlohmann.
  if (text.size() >= std::numeric_limits<uint32_t>::max()) return false;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") return false;
  const char* const base = text.data();
  const char* p = base;
  const char* const end = base + text.size();
  auto offset = [base](const char* at) { return static_cast<uint32_t>(at - base); };
  // Reads `"key" :` at p (after whitespace) into a key node.
  auto parse_key = [&]() {
    SkipWhitespace(p, end);
    if (p == end || *p != '"') return false;
    const char* start = p++;
    uint8_t flags = 0;
    if (!ParseString(p, end, &flags)) return false;
    ++p;
    uint32_t index = count_;
    Push({Type::kString, flags, offset(start), offset(p), index + 1});
    SkipWhitespace(p, end);
    if (p == end || *p != ':') return false;
    ++p;
    return true;
  };

  for (;;) {
    // A value is expected at p.
    SkipWhitespace(p, end);
    if (p == end) return false;
    const uint32_t index = count_;
    const char* start = p;
    const char c = *p;
    if (c == '{' || c == '[') {
      if (static_cast<int>(stack_.size()) >= max_depth) return false;
      Push({c == '{' ? Type::kObject : Type::kArray, 0, offset(p), 0, 0});
      stack_.push_back(index);
      ++p;
      SkipWhitespace(p, end);
      if (p == end) return false;
      if (*p != (c == '{' ? '}' : ']')) {
        if (c == '{' && !parse_key()) return false;
        continue;  // the first member's value
      }
      // An empty container: the loop below closes it.
    } else if (c == '"') {
      ++p;
      uint8_t flags = 0;
      if (!ParseString(p, end, &flags)) return false;
      ++p;
      Push({Type::kString, flags, offset(start), offset(p), index + 1});
    } else if (c == '-' || IsDigit(c)) {
      uint8_t flags = 0;
      if (!ParseNumber(p, end, &flags)) return false;
      Push({Type::kNumber, flags, offset(start), offset(p), index + 1});
    } else {
      Type type;
      std::string_view word;
      if (c == 't') {
        type = Type::kTrue, word = "true";
      } else if (c == 'f') {
        type = Type::kFalse, word = "false";
      } else if (c == 'n') {
        type = Type::kNull, word = "null";
      } else {
        return false;
      }
      if (static_cast<size_t>(end - p) < word.size() || std::memcmp(p, word.data(), word.size()) != 0) return false;
      p += word.size();
      Push({type, 0, offset(start), offset(p), index + 1});
    }

    // After a value: close containers, or find the comma before the next value.
    for (;;) {
      SkipWhitespace(p, end);
      if (stack_.empty()) {
        ok_ = p == end;
        return ok_;
      }
      if (p == end) return false;
      Node& top = nodes_[stack_.back()];
      const bool in_object = top.type == Type::kObject;
      if (*p == ',') {
        ++p;
        if (in_object && !parse_key()) return false;
        break;
      }
      if (*p != (in_object ? '}' : ']')) return false;
      ++p;
      top.end = offset(p);
      top.next = count_;
      stack_.pop_back();
    }
  }
}

JsonScanValue JsonScan::root() const {
  if (!ok_) return {};
  return JsonScanValue(this, 0);
}

bool JsonScanValue::is_number_integer() const {
  if (!IsType(JsonScan::Type::kNumber) || !(node().flags & JsonScan::kIntegerLiteral)) return false;
  size_t digits = node().end - node().begin - ((node().flags & JsonScan::kNegative) ? 1 : 0);
  if (digits <= kSurelyInt64Digits) return true;
  return ToJson().is_number_integer();  // out of 64-bit range: nlohmann makes it a float
}

int64_t JsonScanValue::GetInt() const {
  std::string_view raw = Raw();
  bool negative = node().flags & JsonScan::kNegative;
  if (raw.size() - (negative ? 1 : 0) > kSurelyInt64Digits) return ToJson().get<int64_t>();
  int64_t value = 0;
  for (char c : raw.substr(negative ? 1 : 0)) value = value * 10 + (c - '0');
  return negative ? -value : value;
}

std::string_view JsonScanValue::Raw() const {
  if (scan_ == nullptr) return {};
  return scan_->text_.substr(node().begin, node().end - node().begin);
}

Json JsonScanValue::ToJson() const {
  std::string_view raw = Raw();
  return Json::parse(raw.begin(), raw.end());
}

std::string JsonScanValue::GetString() const {
  std::string_view raw = Raw();
  std::string_view body = raw.substr(1, raw.size() - 2);
  if (!(node().flags & JsonScan::kHasEscapes)) return std::string(body);
  std::string out;
  out.reserve(body.size());
  AppendUnescapedJsonString(body, &out);
  return out;
}

bool JsonScanValue::KeyEquals(uint32_t key_index, std::string_view key) const {
  const JsonScan::Node& k = scan_->nodes_[key_index];
  const size_t size = k.end - k.begin - 2;
  const char* body_data = scan_->text_.data() + k.begin + 1;
  if (!(k.flags & JsonScan::kHasEscapes)) {
    return size == key.size() && (size == 0 || (body_data[0] == key[0] && std::memcmp(body_data, key.data(), size) == 0));
  }
  std::string_view body(body_data, size);
  std::string decoded;
  AppendUnescapedJsonString(body, &decoded);
  return decoded == key;
}

JsonScanValue JsonScanValue::Find(std::string_view key) const {
  if (!is_object()) return {};
  const std::vector<JsonScan::Node>& nodes = scan_->nodes_;
  const uint32_t stop = node().next;
  JsonScanValue found;
  for (uint32_t i = index_ + 1; i < stop; i = nodes[i + 1].next) {
    if (KeyEquals(i, key)) found = JsonScanValue(scan_, i + 1);  // the last duplicate wins
  }
  return found;
}

JsonScanValue JsonScanValue::FirstKey() const {
  if (!is_object() || index_ + 1 == node().next) return {};
  return JsonScanValue(scan_, index_ + 1);
}

JsonScanValue JsonScanValue::NextKey(JsonScanValue key) const {
  uint32_t next = scan_->nodes_[key.index_ + 1].next;
  if (next >= node().next) return {};
  return JsonScanValue(scan_, next);
}

JsonScanValue JsonScanValue::FirstElement() const {
  if (!is_array() || index_ + 1 == node().next) return {};
  return JsonScanValue(scan_, index_ + 1);
}

JsonScanValue JsonScanValue::NextElement(JsonScanValue element) const {
  uint32_t next = element.node().next;
  if (next >= node().next) return {};
  return JsonScanValue(scan_, next);
}

void AppendUnescapedJsonString(std::string_view body, std::string* out) {
  size_t i = 0;
  const size_t n = body.size();
  while (i < n) {
    const void* found = std::memchr(body.data() + i, '\\', n - i);
    size_t slash = found ? static_cast<size_t>(static_cast<const char*>(found) - body.data()) : n;
    out->append(body.data() + i, slash - i);
    if (slash >= n) break;
    char e = slash + 1 < n ? body[slash + 1] : '\\';
    i = slash + 2;
    switch (e) {
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        int32_t unit = i + 4 <= n ? Hex4(body.data() + i) : -1;
        if (unit < 0) return;  // not validated input: stop rather than guess
        i += 4;
        uint32_t cp = static_cast<uint32_t>(unit);
        if (unit >= 0xD800 && unit <= 0xDBFF && i + 6 <= n && body[i] == '\\' && body[i + 1] == 'u') {
          int32_t low = Hex4(body.data() + i + 2);
          if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((static_cast<uint32_t>(unit) - 0xD800) << 10) + (static_cast<uint32_t>(low) - 0xDC00);
            i += 6;
          }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // lone surrogate (never in validated input)
        AppendUtf8(cp, out);
        break;
      }
      default: out->push_back(e); break;  // '"', '\\', '/'
    }
  }
}

}  // namespace ci
