// Middle truncation of tool output: unchanged under the limit; over it, head +
// note + tail within budget, exact counts in the note, whole UTF-8 characters,
// cuts at nearby line breaks.
#include "core/truncate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace ci {
namespace {

// Strict UTF-8 check (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

struct Parsed {
  std::string head;
  std::string tail;
  size_t chars = 0;
  size_t lines = 0;
  std::string note;
};

// Splits a truncated result at its note; fails the test if there is none.
// (Parsed by hand: std::regex is slow and noisy under sanitizers and wasm.)
Parsed ParseTruncated(const std::string& out) {
  Parsed p;
  const std::string kOpen = "\n[... ";
  const std::string kMiddle = " characters (";
  const std::string kClose = " lines) omitted ...]\n";
  size_t open = out.find(kOpen);
  size_t middle = open == std::string::npos ? open : out.find(kMiddle, open);
  size_t close = middle == std::string::npos ? middle : out.find(kClose, middle);
  if (close == std::string::npos) {
    ADD_FAILURE() << "expected a '[... N characters (M lines) omitted ...]' note in: " << out;
    return p;
  }
  std::string chars = out.substr(open + kOpen.size(), middle - open - kOpen.size());
  std::string lines = out.substr(middle + kMiddle.size(), close - middle - kMiddle.size());
  bool digits = !chars.empty() && !lines.empty() &&
                chars.find_first_not_of("0123456789") == std::string::npos &&
                lines.find_first_not_of("0123456789") == std::string::npos;
  if (!digits) {
    ADD_FAILURE() << "note counts must be decimal numbers in: " << out;
    return p;
  }
  p.head = out.substr(0, open);
  p.tail = out.substr(close + kClose.size());
  p.chars = std::stoul(chars);
  p.lines = std::stoul(lines);
  p.note = out.substr(open, close + kClose.size() - open);
  return p;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Checks every over-the-limit invariant; returns the parsed pieces.
Parsed CheckTruncation(const std::string& text, size_t max_bytes) {
  std::string out = TruncateMiddle(text, max_bytes);
  Parsed p = ParseTruncated(out);
  EXPECT_LE(p.head.size() + p.tail.size(), max_bytes)
      << "head and tail together must fit max_bytes=" << max_bytes;
  EXPECT_EQ(out.size(), p.head.size() + p.note.size() + p.tail.size());
  EXPECT_TRUE(StartsWith(text, p.head)) << "the result must start with the text's head";
  EXPECT_TRUE(EndsWith(text, p.tail)) << "the result must end with the text's tail";
  std::string omitted = text.substr(p.head.size(), text.size() - p.head.size() - p.tail.size());
  EXPECT_EQ(p.chars, CodePoints(omitted)) << "note must count omitted code points exactly";
  EXPECT_EQ(p.lines, static_cast<size_t>(std::count(omitted.begin(), omitted.end(), '\n')))
      << "note must count omitted line breaks exactly";
  return p;
}

TEST(TruncateMiddle, UnderTheLimitIsUnchanged) {
  EXPECT_EQ(TruncateMiddle("hello\nworld", 100), "hello\nworld");
  EXPECT_EQ(TruncateMiddle("", 0), "");
}

TEST(TruncateMiddle, ExactlyAtTheLimitIsUnchanged) {
  std::string text(64, 'x');
  EXPECT_EQ(TruncateMiddle(text, 64), text);
  std::string utf8 = "h\xC3\xA9llo";  // 6 bytes
  EXPECT_EQ(TruncateMiddle(utf8, 6), utf8);
}

TEST(TruncateMiddle, OneByteOverIsTruncated) {
  std::string text(65, 'x');
  std::string out = TruncateMiddle(text, 64);
  EXPECT_NE(out, text);
  Parsed p = CheckTruncation(text, 64);
  EXPECT_EQ(p.chars, 65 - p.head.size() - p.tail.size());
}

TEST(TruncateMiddle, KeepsHeadSixtyTailFortyPercentWithoutLineBreaks) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += static_cast<char>('a' + i % 26);
  Parsed p = CheckTruncation(text, 100);
  EXPECT_EQ(p.head, text.substr(0, 60));
  EXPECT_EQ(p.tail, text.substr(960));
  EXPECT_EQ(p.chars, 900u);
  EXPECT_EQ(p.lines, 0u);
}

TEST(TruncateMiddle, NoteGivesExactCountsForManyLines) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "line " + std::to_string(i) + "\n";
  Parsed p = CheckTruncation(text, 200);
  EXPECT_GT(p.lines, 400u);
}

TEST(TruncateMiddle, CountsCodePointsNotBytes) {
  // 300 two-byte characters: 600 bytes, no line breaks.
  std::string text;
  for (int i = 0; i < 300; ++i) text += "\xC3\xA9";  // é
  Parsed p = CheckTruncation(text, 100);
  size_t omitted_bytes = text.size() - p.head.size() - p.tail.size();
  EXPECT_EQ(p.chars * 2, omitted_bytes) << "each omitted é is one character, two bytes";
}

TEST(TruncateMiddle, PrefersCuttingAtANearbyLineBreak) {
  // max_bytes 1000: head cut at 600, tail from 1600 of 2000; slack 100.
  std::string text(2000, 'x');
  text[560] = '\n';   // 40 bytes before the head cut
  text[1650] = '\n';  // 50 bytes after the tail cut
  Parsed p = CheckTruncation(text, 1000);
  EXPECT_EQ(p.head, text.substr(0, 561)) << "head should end with the nearby line break";
  EXPECT_EQ(p.tail, text.substr(1651)) << "tail should start just after the nearby line break";
  EXPECT_EQ(p.lines, 1u) << "exactly the one line between the two breaks was cut";
}

TEST(TruncateMiddle, IgnoresLineBreaksFarFromTheCut) {
  std::string text(2000, 'x');
  text[300] = '\n';   // 300 bytes before the head cut: too far
  text[1900] = '\n';  // 300 bytes after the tail cut: too far
  Parsed p = CheckTruncation(text, 1000);
  EXPECT_EQ(p.head.size(), 600u);
  EXPECT_EQ(p.tail.size(), 400u);
}

TEST(TruncateMiddle, NeverSplitsMultibyteCharactersAtAnyLimit) {
  // Mixed 3-byte (€, 한) and 4-byte (😀, 𝄞) characters, some ASCII and lines.
  std::string text;
  for (int i = 0; i < 20; ++i) {
    text += "\xE2\x82\xAC";      // €
    text += "\xF0\x9F\x98\x80";  // 😀
    text += "\xED\x95\x9C";      // 한
    text += "\xF0\x9D\x84\x9E";  // 𝄞
    if (i % 7 == 3) text += "\n";
  }
  ASSERT_TRUE(IsValidUtf8(text));
  for (size_t max_bytes = 1; max_bytes <= 50; ++max_bytes) {
    SCOPED_TRACE("max_bytes=" + std::to_string(max_bytes));
    std::string out = TruncateMiddle(text, max_bytes);
    EXPECT_TRUE(IsValidUtf8(out)) << "result must be valid UTF-8";
    CheckTruncation(text, max_bytes);
  }
}

TEST(TruncateMiddle, TinyLimitsDoNotCrash) {
  std::string text = "abc\n\xF0\x9F\x98\x80\ndef";
  for (size_t max_bytes : {0u, 1u, 2u}) {
    SCOPED_TRACE("max_bytes=" + std::to_string(max_bytes));
    Parsed p = CheckTruncation(text, max_bytes);
    EXPECT_TRUE(IsValidUtf8(TruncateMiddle(text, max_bytes)));
  }
  Parsed zero = ParseTruncated(TruncateMiddle(text, 0));
  EXPECT_EQ(zero.head, "");
  EXPECT_EQ(zero.tail, "");
  EXPECT_EQ(zero.chars, CodePoints(text)) << "with no budget everything is omitted";
  EXPECT_EQ(zero.lines, 2u);
}

TEST(TruncateMiddle, MalformedUtf8DoesNotCrash) {
  std::string text(200, '\x80');  // continuation bytes only
  std::string out = TruncateMiddle(text, 50);
  EXPECT_LE(out.size(), 50u + 64u);
}

}  // namespace
}  // namespace ci
