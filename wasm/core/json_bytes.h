// Eight bytes at a time: which bytes of a JSON string need a look of their
// own ('"', '\\', a control character, or not ASCII). Shared by the scanner
// (json_scan.cpp, reading provider JSON) and the binding's JSON writer
// (wasm/bindings/bindings.cpp, escaping answers): one definition of the rule.
#pragma once
#include <cstdint>
#include <cstring>

namespace ci::json_bytes {

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighs = 0x8080808080808080ull;

inline uint64_t HasZeroByte(uint64_t v) { return (v - kOnes) & ~v & kHighs; }

// A mask with the high bit set in each of the 8 bytes at p that is '"',
// '\\', a control character or not ASCII: the bytes a string scan must look
// at one by one. Bytes above the first flagged one may be flagged wrongly
// (borrows), so only the lowest flag is exact: FirstFlagged() finds it.
// Zero means all 8 bytes are plain.
inline uint64_t StringSpecials(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
  return (w & kHighs) | below_space | HasZeroByte(w ^ (kOnes * '"')) | HasZeroByte(w ^ (kOnes * '\\'));
}

}  // namespace ci::json_bytes
