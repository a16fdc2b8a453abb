// Middle truncation (see truncate.h).
//
// Budget: the head gets 60% of max_bytes, the tail the rest, so head + tail
// never exceed max_bytes; the note comes on top. Each cut point then moves
// only inwards (the head shrinks, the tail shrinks), never outwards:
//   1. to a UTF-8 character boundary (at most 3 bytes, so malformed input
//      cannot make it wander);
//   2. to a line break, if one lies within a tenth of max_bytes: the head
//      then ends with its "\n" and the tail starts at the beginning of a line.
// The note counts what was cut: characters are Unicode code points (bytes
// that are not UTF-8 continuation bytes), lines are the line breaks ("\n")
// in the cut part, so a cut between whole lines counts exactly those lines.
#include "core/truncate.h"

#include <string>

namespace ci {
namespace {

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Moves pos back to the start of the character it falls in.
size_t BoundaryBackward(std::string_view text, size_t pos) {
  for (int step = 0; step < 3 && pos > 0 && pos < text.size() && IsContinuationByte(text[pos]);
       ++step) {
    --pos;
  }
  return pos;
}

// Moves pos forward to the start of the next character.
size_t BoundaryForward(std::string_view text, size_t pos) {
  for (int step = 0; step < 3 && pos < text.size() && IsContinuationByte(text[pos]); ++step) {
    ++pos;
  }
  return pos;
}

}  // namespace

std::string TruncateMiddle(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);

  const size_t head_budget = max_bytes * 6 / 10;
  const size_t tail_budget = max_bytes - head_budget;
  const size_t slack = max_bytes / 10;  // how far we move a cut to reach a line break

  // Head: text[0, head_end).
  size_t head_end = BoundaryBackward(text, head_budget);
  if (slack > 0 && head_end > 0) {
    size_t from = head_end > slack ? head_end - slack : 0;
    // The last "\n" in text[from, head_end): keep it in the head.
    size_t nl = text.substr(0, head_end).rfind('\n');
    if (nl != std::string_view::npos && nl >= from) head_end = nl + 1;
  }

  // Tail: text[tail_begin, size).
  size_t tail_begin = BoundaryForward(text, text.size() - tail_budget);
  if (slack > 0 && tail_begin < text.size() && text[tail_begin - 1] != '\n') {
    // The first "\n" in text[tail_begin, tail_begin + slack): the tail starts after it.
    size_t nl = text.find('\n', tail_begin);
    if (nl != std::string_view::npos && nl < tail_begin + slack) tail_begin = nl + 1;
  }

  std::string_view cut = text.substr(head_end, tail_begin - head_end);
  size_t chars = 0;
  size_t lines = 0;
  for (char c : cut) {
    if (!IsContinuationByte(c)) ++chars;
    if (c == '\n') ++lines;
  }

  std::string out;
  out.reserve(head_end + (text.size() - tail_begin) + 64);
  out.append(text.substr(0, head_end));
  out.append("\n[... ");
  out.append(std::to_string(chars));
  out.append(" characters (");
  out.append(std::to_string(lines));
  out.append(" lines) omitted ...]\n");
  out.append(text.substr(tail_begin));
  return out;
}

}  // namespace ci
