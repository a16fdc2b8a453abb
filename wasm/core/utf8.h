// UTF-8 validation rules in one place (RFC 3629 / WHATWG): no overlong
// forms, no surrogates, nothing above U+10FFFF. Used by the SSE decoder's
// sanitizer and the JSON scanner.
#pragma once
#include <cstddef>

namespace ci {

// For a lead byte of a multi-byte sequence: how many continuation bytes
// follow, and the allowed range of the FIRST continuation byte (the later
// ones are 0x80..0xBF). Returns false for a byte that cannot start one.
inline bool Utf8Lead(unsigned char c, int* needed, unsigned char* lower, unsigned char* upper) {
  *lower = 0x80;
  *upper = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    *needed = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    *needed = 2;
    if (c == 0xE0) *lower = 0xA0;  // no overlongs
    if (c == 0xED) *upper = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    *needed = 3;
    if (c == 0xF0) *lower = 0x90;  // no overlongs
    if (c == 0xF4) *upper = 0x8F;  // nothing above U+10FFFF
  } else {
    return false;
  }
  return true;
}

// Length (2-4) of the valid multi-byte sequence starting at p, or 0 when the
// bytes there are not one (including a sequence cut off by `end`).
inline int Utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  int needed;
  unsigned char lower, upper;
  if (!Utf8Lead(p[0], &needed, &lower, &upper)) return 0;
  if (end - p <= needed) return 0;
  for (int k = 1; k <= needed; ++k) {
    if (p[k] < lower || p[k] > upper) return 0;
    lower = 0x80;
    upper = 0xBF;
  }
  return needed + 1;
}

}  // namespace ci
