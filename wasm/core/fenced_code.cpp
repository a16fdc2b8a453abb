// Fenced code blocks, following CommonMark's rules closely enough for model
// replies:
// - An opening fence is up to 3 spaces, then 3 or more ` or ~, then an info
//   string (for backtick fences, one without backticks). The language is the
//   info string's first word, matched case-insensitively against
//   python / py / python3.
// - The block closes at a line of up to 3 spaces, then a run of the same
//   character at least as long as the opening one, then only whitespace. So a
//   ```` fence can hold ``` lines; a block left open runs to the end.
// - Every fence is parsed, python or not, so a python fence quoted inside
//   another block is not mistaken for code.
// - Body lines lose as many leading spaces (up to the opening fence's
//   indentation) as CommonMark removes; "\r\n" and "\r" are read as line
//   ends. Bodies are returned without a final newline; a block whose body is
//   only whitespace is skipped.
#include "core/fenced_code.h"

#include <algorithm>
#include <cctype>

namespace ci {
namespace {

struct Fence {
  char ch = 0;
  size_t length = 0;
  size_t indent = 0;
  std::string_view info;  // after the fence run, trimmed
};

// Splits into lines without their line ends ("\n", "\r\n" or a lone "\r").
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || text[i] == '\r') {
      lines.push_back(text.substr(start, i - start));
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

size_t LeadingSpaces(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A fence run at the start of the line (after up to 3 spaces), or nothing.
bool ParseFenceRun(std::string_view line, Fence* fence) {
  size_t indent = LeadingSpaces(line);
  if (indent > 3 || indent >= line.size()) return false;
  char ch = line[indent];
  if (ch != '`' && ch != '~') return false;
  size_t end = indent;
  while (end < line.size() && line[end] == ch) ++end;
  if (end - indent < 3) return false;
  fence->ch = ch;
  fence->length = end - indent;
  fence->indent = indent;
  fence->info = Trim(line.substr(end));
  return true;
}

bool ParseOpening(std::string_view line, Fence* fence) {
  if (!ParseFenceRun(line, fence)) return false;
  return fence->ch != '`' || fence->info.find('`') == std::string_view::npos;
}

bool IsClosing(std::string_view line, const Fence& open) {
  Fence close;
  return ParseFenceRun(line, &close) && close.ch == open.ch && close.length >= open.length && close.info.empty();
}

bool IsPythonInfo(std::string_view info) {
  size_t end = 0;
  while (end < info.size() && !std::isspace(static_cast<unsigned char>(info[end]))) ++end;
  std::string lang(info.substr(0, end));
  for (char& c : lang) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lang == "python" || lang == "py" || lang == "python3";
}

}  // namespace

std::vector<std::string> ExtractPythonBlocks(std::string_view markdown) {
  std::vector<std::string> blocks;
  const std::vector<std::string_view> lines = SplitLines(markdown);
  size_t i = 0;
  while (i < lines.size()) {
    Fence open;
    if (!ParseOpening(lines[i], &open)) {
      ++i;
      continue;
    }
    const bool wanted = IsPythonInfo(open.info);
    std::string body;
    bool first = true;
    ++i;
    for (; i < lines.size() && !IsClosing(lines[i], open); ++i) {
      if (!wanted) continue;
      std::string_view line = lines[i];
      line.remove_prefix(std::min(open.indent, LeadingSpaces(line)));
      if (!first) body += '\n';
      body.append(line);
      first = false;
    }
    if (i < lines.size()) ++i;  // the closing fence
    if (wanted && !Trim(body).empty()) blocks.push_back(std::move(body));
  }
  return blocks;
}

}  // namespace ci
