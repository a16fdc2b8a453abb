// MakeStreamDecoder, ParseErrorBody and the JSON helpers the decoders share.
#include "core/stream_decoder.h"

#include <cctype>
#include <exception>

#include "core/anthropic_stream.h"
#include "core/openai_stream.h"
#include "core/responses_stream.h"
#include "core/sse.h"
#include "core/stream_common.h"

namespace ci {
namespace {

// Error messages built from a response body stay readable in the UI.
constexpr size_t kMaxErrorMessageBytes = 500;

std::string_view Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Collapses runs of whitespace to one space (titles of HTML pages span lines).
std::string CollapseSpaces(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : Trim(s)) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// The few entities that appear in error-page titles.
std::string DecodeBasicEntities(std::string_view s) {
  static const std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&nbsp;", ' '}};
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool matched = false;
    if (s[i] == '&') {
      for (const auto& [name, c] : kEntities) {
        if (s.substr(i, name.size()) == name) {
          out.push_back(c);
          i += name.size();
          matched = true;
          break;
        }
      }
    }
    if (!matched) out.push_back(s[i++]);
  }
  return out;
}

bool LooksLikeHtml(std::string_view body) {
  std::string head = Lower(body.substr(0, 1024));
  return !head.empty() && head[0] == '<' &&
         (head.find("<html") != std::string::npos || head.find("<!doctype") != std::string::npos ||
          head.find("<head") != std::string::npos || head.find("<body") != std::string::npos ||
          head.find("<title") != std::string::npos);
}

std::string HtmlTitle(std::string_view body) {
  std::string lower = Lower(body);
  size_t open = lower.find("<title");
  if (open == std::string::npos) return "";
  size_t start = lower.find('>', open);
  if (start == std::string::npos) return "";
  ++start;
  size_t end = lower.find("</title", start);
  if (end == std::string::npos) return "";
  return CollapseSpaces(DecodeBasicEntities(body.substr(start, end - start)));
}

// FastAPI (vLLM and other Python servers) answers {"detail": "..."} or, for
// validation errors, {"detail": [{"loc": [...], "msg": "...", "type": ...}]}.
std::string DetailText(const Json& detail) {
  if (detail.is_string()) return detail.get<std::string>();
  if (detail.is_array()) {
    std::string out;
    for (const Json& item : detail) {
      std::string msg = StringField(item, "msg");
      if (msg.empty()) msg = item.is_string() ? item.get<std::string>() : DumpJson(item);
      if (!out.empty()) out += "; ";
      out += msg;
    }
    return out;
  }
  return DumpJson(detail);
}

}  // namespace

bool ParseJsonBounded(std::string_view text, Json* out, std::string* error) {
  // Depth pre-scan: brackets inside strings do not count.
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        *error = "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
        return false;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  try {
    Json parsed = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      *error = "not JSON: \"" + Excerpt(text) + "\"";
      return false;
    }
    *out = std::move(parsed);
    return true;
  } catch (const std::exception& e) {
    *error = std::string("JSON could not be parsed (") + e.what() + ")";
    return false;
  }
}

std::string Excerpt(std::string_view bytes, size_t max_bytes) {
  size_t n = bytes.size();
  bool cut = n > max_bytes;
  if (cut) {
    // Cut on a character boundary: back off continuation bytes (at most 3).
    n = max_bytes;
    for (int k = 0; k < 3 && n > 0 && (static_cast<unsigned char>(bytes[n]) & 0xC0) == 0x80; ++k) --n;
  }
  std::string text = SanitizeUtf8(bytes.substr(0, n));
  for (char& c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) c = ' ';
  }
  if (cut) text += "...";
  return text;
}

std::string DumpJson(const Json& j) {
  try {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
  } catch (const std::exception&) {
    return "(unprintable JSON)";
  }
}

std::string StringField(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::unique_ptr<StreamDecoder> MakeStreamDecoder(std::string_view format) {
  if (format == "openai") return std::make_unique<OpenAiStreamDecoder>();
  if (format == "anthropic") return std::make_unique<AnthropicStreamDecoder>();
  if (format == "responses") return std::make_unique<ResponsesStreamDecoder>();
  return nullptr;
}

StreamError ParseErrorBody(int status, std::string_view body) {
  StreamError error;
  error.type = "http_error";
  const std::string prefix = "HTTP " + std::to_string(status);
  std::string_view trimmed = Trim(body);
  if (trimmed.empty()) {
    error.message = prefix + " with an empty body";
    return error;
  }

  std::string detail;
  Json j;
  std::string parse_error;
  if ((trimmed[0] == '{' || trimmed[0] == '[') && ParseJsonBounded(trimmed, &j, &parse_error)) {
    try {
      if (j.is_object()) {
        auto err = j.find("error");
        if (err != j.end() && err->is_object()) {
          // OpenAI (Chat Completions and Responses)
          // {"error":{"message","type","param","code"}}, Anthropic
          // {"type":"error","error":{"type","message"}}, llama.cpp and
          // Ollama's /v1 use the OpenAI shape.
          detail = StringField(*err, "message");
          std::string type = StringField(*err, "type");
          if (!type.empty()) error.type = type;
          if (detail.empty()) detail = DumpJson(*err);
        } else if (err != j.end() && err->is_string()) {
          detail = err->get<std::string>();  // Ollama's native API: {"error":"..."}
        } else if (j.contains("detail")) {
          detail = DetailText(j["detail"]);
        } else if (j.contains("message") && j["message"].is_string()) {
          // vLLM: {"object":"error","message","type","param","code"}.
          detail = j["message"].get<std::string>();
          std::string type = StringField(j, "type");
          if (!type.empty()) error.type = type;
        }
      }
      if (detail.empty()) detail = DumpJson(j);
    } catch (const std::exception&) {
      detail.clear();
    }
  }
  if (detail.empty() && LooksLikeHtml(trimmed)) {
    std::string title = HtmlTitle(trimmed);
    error.message = prefix + ": the server returned an HTML page";
    if (!title.empty()) error.message += " (\"" + Excerpt(title, 200) + "\")";
    return error;
  }
  if (detail.empty()) detail = std::string(trimmed);
  error.message = prefix + ": " + Excerpt(Trim(detail), kMaxErrorMessageBytes);
  return error;
}

}  // namespace ci
