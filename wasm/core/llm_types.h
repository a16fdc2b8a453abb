// Provider-neutral types shared by the request builders, the streaming
// decoders and the agent loop.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace ci {

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // the raw argument string as streamed (JSON text)
};

// Where to send requests and how. The API key is NOT here: the core never
// holds it. Requests carry an `auth` description and the JS glue adds the
// key for that endpoint only (so no state, log or export of the core can
// contain it).
struct ProviderConfig {
  std::string format = "openai";  // "openai" (Chat Completions) | "anthropic" (Messages) | "responses" (OpenAI Responses)
  std::string base_url;           // e.g. "https://api.openai.com/v1", "http://localhost:11434/v1"
  std::string model;
  std::optional<double> temperature;
  std::optional<int> max_tokens;  // anthropic requires one: 4096 when unset
  bool tools = true;              // false: the model cannot call tools; code comes as ```python blocks
  bool include_usage = true;      // openai: stream_options.include_usage
  // responses: ask for reasoning summaries ("auto", "concise" or "detailed";
  // unset: none, as models without reasoning refuse the parameter).
  std::optional<std::string> reasoning_summary;
  // responses: the model reasons (o-series, gpt-5, ...). Its reasoning comes
  // back encrypted (include: reasoning.encrypted_content) and goes back with
  // the turn's later requests, as store: false leaves nothing on the server:
  // without it the model starts its reasoning over after every tool call.
  // Off by default: a model without reasoning refuses the include.
  bool reasoning = false;
  // The model sees images (uploads, the charts its runs display): sent as
  // image parts in the provider's format. Off by default: a text-only model
  // rejects image parts.
  bool vision = false;
  // The model's context window in tokens; 0 = unknown (no trimming ahead of
  // time, only after the provider answers "context length exceeded").
  int64_t context_window = 0;
  // Anthropic: cache_control breakpoints on the system prompt and the history.
  bool prompt_caching = true;
  std::string auth = "bearer";    // "bearer" | "x-api-key" | "none"
  std::map<std::string, std::string> extra_headers;

  Json ToJson() const;
  // Throws std::invalid_argument with a clear message on a bad config.
  static ProviderConfig FromJson(const Json& j);
};

struct HttpAuth {
  std::string header;  // "authorization" | "x-api-key"
  std::string prefix;  // "Bearer " | ""
};

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::string body;
  std::optional<HttpAuth> auth;  // the glue adds the key here, or nothing
};

// An image for the model: base64 bytes and a label saying which file or
// cell it is ("/mnt/data/photo.png", "image 1 shown by cell 3").
struct ImagePart {
  std::string media_type;  // image/png | image/jpeg | image/gif | image/webp
  std::string base64;
  std::string label;
};

struct ChatMessage {
  enum class Role { kUser, kAssistant, kTool };
  Role role = Role::kUser;
  std::string text;                  // user / assistant text; tool: result content
  std::vector<ToolCall> tool_calls;  // assistant only
  std::string tool_call_id;          // tool only
  bool is_error = false;             // tool only
  std::vector<ImagePart> images;     // user and tool only (sent only when the provider has vision)
  Json reasoning_items;              // assistant only, responses only: the reply's reasoning items (null: none)
  // For the context budget (context_budget.h): the turn the message belongs
  // to, and the one-line note that may replace a run's output.
  int turn = 0;
  std::string trim_note;
};

struct ChatRequest {
  std::string system;
  std::vector<ChatMessage> messages;
  bool offer_tools = true;  // offer the python tool (only when the provider supports tools)
};

// A streamed text piece, in arrival order, for the UI.
struct StreamDelta {
  enum class Kind { kText, kThinking, kToolCallBegin, kToolCallArguments };
  Kind kind = Kind::kText;
  std::string text;       // text / thinking / argument fragment; tool name for kToolCallBegin
  size_t tool_index = 0;  // index into StreamResult::tool_calls
};

struct StreamError {
  std::string type;     // provider's error type, or ours: "stream_error", "incomplete_stream", "http_error", ...
  std::string message;  // human-readable
};

// What a whole streamed reply amounted to (choice 0 only for OpenAI).
struct StreamResult {
  std::optional<std::string> text;  // null when the reply had no text at all
  std::string thinking;
  std::vector<ToolCall> tool_calls;
  std::optional<std::string> finish_reason;  // the provider's own value
  Json usage;                                // the provider's object, null when none
  std::string model;
  std::string id;
  std::optional<StreamError> error;
  bool complete = false;  // the provider signalled a normal end
  // responses: the reply's reasoning items that carry encrypted_content,
  // each {type, id, summary, encrypted_content}, in output order (null: none).
  Json reasoning_items;

  // {"text","tool_calls":[{"id","name","arguments"}],"finish_reason","usage","model","id","error"}
  Json ToJson() const;
};

}  // namespace ci
