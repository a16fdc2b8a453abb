// Request builders for the three wire formats.
//
// Shapes follow the providers' API references (OpenAI Chat Completions,
// Anthropic Messages, OpenAI Responses). Choices made here, and why:
// - The key never passes through the core: requests carry an HttpAuth that
//   names the header, and the glue adds the key. Extra headers named
//   "authorization" or "x-api-key" are dropped for the same reason (and so
//   they cannot clash with the one the glue adds).
// - Bodies are serialized with invalid UTF-8 replaced by U+FFFD: tool output
//   truncated mid-character must not make the request unbuildable.
// - Anthropic:
//   * every message's content is an array of blocks (one shape, so merging
//     adjacent messages of one role is a concatenation);
//   * empty text blocks are left out (the API rejects them) and a message
//     left with no blocks is dropped (the API rejects empty content);
//   * adjacent messages of one role are merged; in a merged user message
//     the tool_result blocks come first (the API wants them at the start of
//     the message that follows the tool_use);
//   * the conversation starts at the first user message that carries
//     content: anything before it (an assistant turn, orphan tool results,
//     e.g. after the history was trimmed at the front) is dropped, because
//     the API requires the first message to be the user's and a tool_result
//     without its tool_use is rejected;
//   * when tools are not offered but the history holds tool_use/tool_result
//     blocks, the tool is still declared with tool_choice {"type":"none"}:
//     the API rejects tool blocks in a request that defines no tools.
// - Images (only with config.vision; the session leaves them out otherwise):
//   each goes with a text part naming it (which file, which cell). Chat
//   Completions and Responses take images only in user messages, so the
//   images of tool results follow them in one user message; Anthropic takes
//   them inside the tool_result block.
// - Anthropic prompt caching (config.prompt_caching): cache_control
//   breakpoints on the system prompt, on the last block of the request and
//   on the last block of the user message before it (3 of the 4 allowed), so
//   each step reads the prefix the previous one wrote.
// - Responses:
//   * store: false (the conversation lives here, not on the provider's
//     servers), so every request carries the whole history as input items,
//     and no item ids (there is nothing stored to refer to);
//   * the system prompt is `instructions`;
//   * as for Anthropic, the input starts at the first user message with
//     content, and a history with function calls but no tools offered
//     still declares the tool, with tool_choice "none";
//   * a reasoning model (config.reasoning) is asked for its reasoning
//     encrypted (include: reasoning.encrypted_content), and an assistant
//     message's reasoning items go back before its text and calls, so the
//     model keeps its reasoning across the tool calls of a turn.
#include "core/request_builder.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <utility>

#include "core/fenced_code.h"

namespace ci {

const char* const kPythonToolDescription =
    "Run Python code in a persistent, Jupyter-like session (Pyodide, in the user's browser). "
    "Variables and imports persist between calls. The working directory is /mnt/data: the user's "
    "files are there, and files you save there are shown to the user. The value of the last "
    "expression is displayed; plt.show() and display() show charts and images. There is no "
    "network access.";

namespace {

constexpr const char* kCodeArgDescription = "The Python code to run.";
constexpr const char* kAnthropicVersion = "2023-06-01";
constexpr int kAnthropicDefaultMaxTokens = 4096;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string JoinUrl(const std::string& base, const char* suffix) {
  std::string url = base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + suffix;
}

// Sets a header (lower-case name), replacing one of the same name.
void SetHeader(HttpRequest* request, const std::string& name, const std::string& value) {
  for (auto& header : request->headers) {
    if (header.first == name) {
      header.second = value;
      return;
    }
  }
  request->headers.emplace_back(name, value);
}

void AddExtraHeaders(const ProviderConfig& config, HttpRequest* request) {
  for (const auto& [name, value] : config.extra_headers) {
    std::string lower = Lower(name);
    if (lower.empty() || lower == "authorization" || lower == "x-api-key") continue;
    SetHeader(request, lower, value);
  }
}

// Throws std::invalid_argument on an unknown auth kind (a config that
// ProviderConfig::FromJson would have refused).
std::optional<HttpAuth> AuthFor(const std::string& auth) {
  if (auth == "bearer") return HttpAuth{"authorization", "Bearer "};
  if (auth == "x-api-key") return HttpAuth{"x-api-key", ""};
  if (auth == "none") return std::nullopt;
  throw std::invalid_argument("unknown auth \"" + auth + "\" (expected bearer, x-api-key or none)");
}

// Every Anthropic request: the API version, and the opt-in without which the
// API refuses a request from a browser (CORS).
void AddAnthropicHeaders(HttpRequest* request) {
  SetHeader(request, "anthropic-version", kAnthropicVersion);
  SetHeader(request, "anthropic-dangerous-direct-browser-access", "true");
}

Json CodeInputSchema() {
  return Json{{"type", "object"},
              {"properties", {{kPythonToolArg, {{"type", "string"}, {"description", kCodeArgDescription}}}}},
              {"required", Json::array({kPythonToolArg})}};
}

std::string Serialize(const Json& body) { return body.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string DataUrl(const ImagePart& image) { return "data:" + image.media_type + ";base64," + image.base64; }

// ---------------------------------------------------------------- OpenAI

Json OpenAiImageParts(const std::vector<ImagePart>& images) {
  Json parts = Json::array();
  for (const ImagePart& image : images) {
    if (!image.label.empty()) parts.push_back({{"type", "text"}, {"text", image.label}});
    parts.push_back({{"type", "image_url"}, {"image_url", {{"url", DataUrl(image)}}}});
  }
  return parts;
}

Json OpenAiMessage(const ChatMessage& message) {
  switch (message.role) {
    case ChatMessage::Role::kUser: {
      if (message.images.empty()) return Json{{"role", "user"}, {"content", message.text}};
      Json parts = Json::array();
      if (!message.text.empty()) parts.push_back({{"type", "text"}, {"text", message.text}});
      for (Json& part : OpenAiImageParts(message.images)) parts.push_back(std::move(part));
      return Json{{"role", "user"}, {"content", std::move(parts)}};
    }
    case ChatMessage::Role::kTool:
      // No error flag in this format: the content says what happened.
      return Json{{"role", "tool"}, {"tool_call_id", message.tool_call_id}, {"content", message.text}};
    case ChatMessage::Role::kAssistant: {
      Json out{{"role", "assistant"}};
      if (message.text.empty() && !message.tool_calls.empty()) {
        out["content"] = nullptr;
      } else {
        out["content"] = message.text;
      }
      if (!message.tool_calls.empty()) {
        Json calls = Json::array();
        for (const ToolCall& call : message.tool_calls) {
          calls.push_back({{"id", call.id},
                           {"type", "function"},
                           {"function", {{"name", call.name}, {"arguments", call.arguments}}}});
        }
        out["tool_calls"] = std::move(calls);
      }
      return out;
    }
  }
  return Json{};
}

// ------------------------------------------------------------- Anthropic

Json ToolUseInput(const std::string& arguments) {
  Json parsed = Json::parse(arguments, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) return parsed;
  return Json{{kPythonToolArg, arguments}};
}

Json AnthropicImageBlocks(const std::vector<ImagePart>& images) {
  Json blocks = Json::array();
  for (const ImagePart& image : images) {
    if (!image.label.empty()) blocks.push_back({{"type", "text"}, {"text", image.label}});
    blocks.push_back({{"type", "image"},
                      {"source", {{"type", "base64"}, {"media_type", image.media_type}, {"data", image.base64}}}});
  }
  return blocks;
}

// Breakpoints on the last block of the last message and of the last user
// message before it (see the top). The system prompt's is set by the caller.
void AddCacheBreakpoints(Json* messages) {
  const Json ephemeral = {{"type", "ephemeral"}};
  int marked = 0;
  for (size_t i = messages->size(); i-- > 0 && marked < 2;) {
    Json& m = (*messages)[i];
    if (marked == 1 && m.value("role", "") != "user") continue;
    Json& content = m["content"];
    if (!content.is_array() || content.empty()) continue;
    content.back()["cache_control"] = ephemeral;
    ++marked;
  }
}

struct AnthropicTurn {
  std::string role;  // "user" | "assistant"
  Json content;      // array of blocks, never empty once built
};

Json AnthropicBlocks(const ChatMessage& message) {
  Json blocks = Json::array();
  switch (message.role) {
    case ChatMessage::Role::kUser:
      for (Json& block : AnthropicImageBlocks(message.images)) blocks.push_back(std::move(block));
      if (!message.text.empty()) blocks.push_back({{"type", "text"}, {"text", message.text}});
      break;
    case ChatMessage::Role::kAssistant:
      if (!message.text.empty()) blocks.push_back({{"type", "text"}, {"text", message.text}});
      for (const ToolCall& call : message.tool_calls) {
        blocks.push_back(
            {{"type", "tool_use"}, {"id", call.id}, {"name", call.name}, {"input", ToolUseInput(call.arguments)}});
      }
      break;
    case ChatMessage::Role::kTool: {
      Json block{{"type", "tool_result"}, {"tool_use_id", message.tool_call_id}, {"content", message.text}};
      if (!message.images.empty()) {
        Json content = Json::array();
        if (!message.text.empty()) content.push_back({{"type", "text"}, {"text", message.text}});
        for (Json& b : AnthropicImageBlocks(message.images)) content.push_back(std::move(b));
        block["content"] = std::move(content);
      }
      if (message.is_error) block["is_error"] = true;
      blocks.push_back(std::move(block));
      break;
    }
  }
  return blocks;
}

bool IsToolResult(const Json& block) { return block.value("type", "") == "tool_result"; }

// Tool results first, the rest after, each group in its original order.
void ToolResultsFirst(Json* content) {
  Json ordered = Json::array();
  for (const Json& block : *content) {
    if (IsToolResult(block)) ordered.push_back(block);
  }
  for (const Json& block : *content) {
    if (!IsToolResult(block)) ordered.push_back(block);
  }
  *content = std::move(ordered);
}

// Returns the merged messages and whether any tool block remains.
Json AnthropicMessages(const std::vector<ChatMessage>& messages, bool* has_tool_blocks) {
  std::vector<AnthropicTurn> turns;
  for (const ChatMessage& message : messages) {
    Json blocks = AnthropicBlocks(message);
    if (blocks.empty()) continue;
    std::string role = message.role == ChatMessage::Role::kAssistant ? "assistant" : "user";
    // Start at the first plain user message with content (see the top).
    if (turns.empty() && message.role != ChatMessage::Role::kUser) continue;
    if (!turns.empty() && turns.back().role == role) {
      for (Json& block : blocks) turns.back().content.push_back(std::move(block));
    } else {
      turns.push_back({role, std::move(blocks)});
    }
  }
  *has_tool_blocks = false;
  Json out = Json::array();
  for (AnthropicTurn& turn : turns) {
    if (turn.role == "user") ToolResultsFirst(&turn.content);
    for (const Json& block : turn.content) {
      const std::string type = block.value("type", "");
      if (type == "tool_use" || type == "tool_result") *has_tool_blocks = true;
    }
    out.push_back({{"role", turn.role}, {"content", std::move(turn.content)}});
  }
  return out;
}

// ------------------------------------------------------------- Responses

// The conversation as Responses input items. Like Anthropic's, it starts at
// the first user message that carries content: a function_call_output
// without its function_call is rejected ("No tool call found ..."), and the
// history may have been trimmed at the front. Returns whether any
// function_call / function_call_output item remains.
Json ResponsesImageParts(const std::vector<ImagePart>& images) {
  Json parts = Json::array();
  for (const ImagePart& image : images) {
    if (!image.label.empty()) parts.push_back({{"type", "input_text"}, {"text", image.label}});
    parts.push_back({{"type", "input_image"}, {"image_url", DataUrl(image)}});
  }
  return parts;
}

Json ResponsesInput(const std::vector<ChatMessage>& messages, bool* has_tool_items) {
  Json input = Json::array();
  std::vector<ImagePart> pending_images;
  *has_tool_items = false;
  bool started = false;
  for (const ChatMessage& message : messages) {
    if (!started && (message.role != ChatMessage::Role::kUser || message.text.empty())) continue;
    started = true;
    switch (message.role) {
      case ChatMessage::Role::kUser: {
        Json content = Json::array();
        if (!message.text.empty()) content.push_back({{"type", "input_text"}, {"text", message.text}});
        for (Json& part : ResponsesImageParts(message.images)) content.push_back(std::move(part));
        input.push_back({{"type", "message"}, {"role", "user"}, {"content", std::move(content)}});
        break;
      }
      case ChatMessage::Role::kAssistant:
        // The reply's reasoning first, as the model produced it.
        if (message.reasoning_items.is_array())
          for (const Json& item : message.reasoning_items) input.push_back(item);
        if (!message.text.empty()) {
          input.push_back({{"type", "message"},
                           {"role", "assistant"},
                           {"content", Json::array({Json{{"type", "output_text"}, {"text", message.text}}})}});
        }
        for (const ToolCall& call : message.tool_calls) {
          // No item id: with store: false the server has nothing to look it up in.
          input.push_back(
              {{"type", "function_call"}, {"call_id", call.id}, {"name", call.name}, {"arguments", call.arguments}});
          *has_tool_items = true;
        }
        break;
      case ChatMessage::Role::kTool:
        // No error flag in this format: the output says what happened.
        input.push_back({{"type", "function_call_output"}, {"call_id", message.tool_call_id}, {"output", message.text}});
        *has_tool_items = true;
        for (const ImagePart& image : message.images) pending_images.push_back(image);
        break;
    }
    // Images of tool results: one user message after the last of them.
    bool next_is_tool = &message != &messages.back() && (&message + 1)->role == ChatMessage::Role::kTool;
    if (!pending_images.empty() && !next_is_tool) {
      Json content = Json::array({Json{{"type", "input_text"}, {"text", "Images the code displayed:"}}});
      for (Json& part : ResponsesImageParts(pending_images)) content.push_back(std::move(part));
      input.push_back({{"type", "message"}, {"role", "user"}, {"content", std::move(content)}});
      pending_images.clear();
    }
  }
  return input;
}

}  // namespace

HttpRequest BuildOpenAiRequest(const ProviderConfig& config, const ChatRequest& chat) {
  HttpRequest request;
  request.url = JoinUrl(config.base_url, "/chat/completions");
  SetHeader(&request, "content-type", "application/json");
  AddExtraHeaders(config, &request);
  request.auth = AuthFor(config.auth);

  Json messages = Json::array();
  if (!chat.system.empty()) messages.push_back({{"role", "system"}, {"content", chat.system}});
  std::vector<ImagePart> pending_images;  // of tool results: one user message after the last of them
  for (size_t i = 0; i < chat.messages.size(); ++i) {
    const ChatMessage& message = chat.messages[i];
    messages.push_back(OpenAiMessage(message));
    if (message.role != ChatMessage::Role::kTool) continue;
    for (const ImagePart& image : message.images) pending_images.push_back(image);
    bool next_is_tool = i + 1 < chat.messages.size() && chat.messages[i + 1].role == ChatMessage::Role::kTool;
    if (!pending_images.empty() && !next_is_tool) {
      Json parts = Json::array({Json{{"type", "text"}, {"text", "Images the code displayed:"}}});
      for (Json& part : OpenAiImageParts(pending_images)) parts.push_back(std::move(part));
      messages.push_back({{"role", "user"}, {"content", std::move(parts)}});
      pending_images.clear();
    }
  }

  Json body{{"model", config.model}, {"messages", std::move(messages)}, {"stream", true}};
  if (config.include_usage) body["stream_options"] = {{"include_usage", true}};
  if (config.temperature) body["temperature"] = *config.temperature;
  if (config.max_tokens) body["max_tokens"] = *config.max_tokens;
  if (chat.offer_tools && config.tools) {
    body["tools"] = Json::array(
        {{{"type", "function"},
          {"function",
           {{"name", kPythonToolName}, {"description", kPythonToolDescription}, {"parameters", CodeInputSchema()}}}}});
  }
  request.body = Serialize(body);
  return request;
}

HttpRequest BuildAnthropicRequest(const ProviderConfig& config, const ChatRequest& chat) {
  HttpRequest request;
  request.url = JoinUrl(config.base_url, "/messages");
  SetHeader(&request, "content-type", "application/json");
  AddAnthropicHeaders(&request);
  AddExtraHeaders(config, &request);
  request.auth = AuthFor(config.auth);

  bool has_tool_blocks = false;
  Json messages = AnthropicMessages(chat.messages, &has_tool_blocks);

  Json body{{"model", config.model}, {"max_tokens", config.max_tokens.value_or(kAnthropicDefaultMaxTokens)}};
  if (config.prompt_caching) {
    if (!chat.system.empty())
      body["system"] = Json::array(
          {{{"type", "text"}, {"text", chat.system}, {"cache_control", {{"type", "ephemeral"}}}}});
    AddCacheBreakpoints(&messages);
  } else if (!chat.system.empty()) {
    body["system"] = chat.system;
  }
  body["messages"] = std::move(messages);
  body["stream"] = true;
  if (config.temperature) body["temperature"] = *config.temperature;
  const bool offer = chat.offer_tools && config.tools;
  if (offer || has_tool_blocks) {
    body["tools"] = Json::array(
        {{{"name", kPythonToolName}, {"description", kPythonToolDescription}, {"input_schema", CodeInputSchema()}}});
    if (!offer) body["tool_choice"] = {{"type", "none"}};
  }
  request.body = Serialize(body);
  return request;
}

HttpRequest BuildResponsesRequest(const ProviderConfig& config, const ChatRequest& chat) {
  HttpRequest request;
  request.url = JoinUrl(config.base_url, "/responses");
  SetHeader(&request, "content-type", "application/json");
  AddExtraHeaders(config, &request);
  request.auth = AuthFor(config.auth);

  bool has_tool_items = false;
  Json input = ResponsesInput(chat.messages, &has_tool_items);

  Json body{{"model", config.model}};
  if (!chat.system.empty()) body["instructions"] = chat.system;
  body["input"] = std::move(input);
  body["stream"] = true;
  body["store"] = false;
  if (config.temperature) body["temperature"] = *config.temperature;
  if (config.max_tokens) body["max_output_tokens"] = *config.max_tokens;
  if (config.reasoning_summary) body["reasoning"] = {{"summary", *config.reasoning_summary}};
  if (config.reasoning) body["include"] = Json::array({"reasoning.encrypted_content"});
  const bool offer = chat.offer_tools && config.tools;
  if (offer || has_tool_items) {
    // Flat: no "function" object as in Chat Completions.
    body["tools"] = Json::array({{{"type", "function"},
                                  {"name", kPythonToolName},
                                  {"description", kPythonToolDescription},
                                  {"parameters", CodeInputSchema()}}});
    // Earlier calls in the history, but no tools now: declared, not offered.
    if (!offer) body["tool_choice"] = "none";
  }
  request.body = Serialize(body);
  return request;
}

HttpRequest BuildRequest(const ProviderConfig& config, const ChatRequest& chat) {
  if (config.format == "openai") return BuildOpenAiRequest(config, chat);
  if (config.format == "anthropic") return BuildAnthropicRequest(config, chat);
  if (config.format == "responses") return BuildResponsesRequest(config, chat);
  throw std::invalid_argument("unknown format \"" + config.format + "\" (expected openai, anthropic or responses)");
}

HttpRequest BuildModelsRequest(const ProviderConfig& config) {
  HttpRequest request;
  request.method = "GET";
  if (config.format == "anthropic") {
    request.url = JoinUrl(config.base_url, "/models?limit=1000");
    AddAnthropicHeaders(&request);
  } else if (config.format == "openai" || config.format == "responses") {
    request.url = JoinUrl(config.base_url, "/models");
  } else {
    throw std::invalid_argument("unknown format \"" + config.format + "\" (expected openai, anthropic or responses)");
  }
  // No content-type: a GET has no body (and one header fewer to preflight).
  AddExtraHeaders(config, &request);
  request.auth = AuthFor(config.auth);
  return request;
}

std::optional<std::vector<std::string>> ParseModelList(std::string_view body, std::string* error) {
  auto fail = [error](std::string message) -> std::optional<std::vector<std::string>> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail("the answer is not JSON");
  const Json* list = nullptr;
  if (j.is_object() && j.contains("data") && j["data"].is_array()) list = &j["data"];
  else if (j.is_object() && j.contains("models") && j["models"].is_array()) list = &j["models"];
  if (!list) return fail("the answer has no model list (expected {\"data\": [{\"id\": ...}]})");
  std::vector<std::string> ids;
  for (const Json& m : *list) {
    const Json* id = nullptr;
    if (m.is_string()) id = &m;
    else if (m.is_object() && m.contains("id") && m["id"].is_string()) id = &m["id"];
    else if (m.is_object() && m.contains("name") && m["name"].is_string()) id = &m["name"];
    if (id && !id->get_ref<const std::string&>().empty()) ids.push_back(id->get<std::string>());
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// OpenAI's /models names its reasoning models only by their ids: the
// o-series and gpt-5 (not its "-chat" variants, which do not reason).
static bool IsOpenAiReasoningModel(const Json& m) {
  auto owner = m.find("owned_by");
  if (owner == m.end() || !owner->is_string()) return false;
  const std::string& by = owner->get_ref<const std::string&>();
  if (by != "openai" && by != "system" && by != "openai-internal") return false;
  const std::string& id = m["id"].get_ref<const std::string&>();
  if (id.find("-chat") != std::string::npos) return false;
  bool o_series = id.size() >= 2 && id[0] == 'o' && std::isdigit(static_cast<unsigned char>(id[1]));
  return o_series || id.rfind("gpt-5", 0) == 0;
}

Json ParseModelInfo(std::string_view body) {
  Json info = Json::object();
  Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("data") || !j["data"].is_array()) return info;
  auto positive = [](const Json& v) -> std::optional<int64_t> {
    if (v.is_number_integer() && v.get<int64_t>() > 0) return v.get<int64_t>();
    return std::nullopt;
  };
  for (const Json& m : j["data"]) {
    if (!m.is_object() || !m.contains("id") || !m["id"].is_string()) continue;
    Json entry = Json::object();
    for (const char* key : {"context_length", "context_window", "max_context_length", "max_model_len"}) {
      if (auto it = m.find(key); it != m.end())
        if (auto n = positive(*it)) {
          entry["context_window"] = *n;
          break;
        }
    }
    if (!entry.contains("context_window")) {
      if (auto tp = m.find("top_provider"); tp != m.end() && tp->is_object())
        if (auto it = tp->find("context_length"); it != tp->end())
          if (auto n = positive(*it)) entry["context_window"] = *n;
    }
    if (auto arch = m.find("architecture"); arch != m.end() && arch->is_object()) {
      if (auto mods = arch->find("input_modalities"); mods != arch->end() && mods->is_array()) {
        bool image = false;
        for (const Json& x : *mods) image = image || (x.is_string() && x.get<std::string>() == "image");
        entry["vision"] = image;
      }
    }
    if (auto caps = m.find("capabilities"); caps != m.end() && caps->is_object()) {
      if (auto v = caps->find("vision"); v != caps->end() && v->is_boolean()) entry["vision"] = v->get<bool>();
    }
    if (auto params = m.find("supported_parameters"); params != m.end() && params->is_array()) {
      bool reasoning = false;  // OpenRouter
      for (const Json& x : *params) reasoning = reasoning || (x.is_string() && x.get<std::string>() == "reasoning");
      entry["reasoning"] = reasoning;
    } else if (IsOpenAiReasoningModel(m)) {
      entry["reasoning"] = true;  // OpenAI's own list says nothing but the name
    }
    if (!entry.empty()) info[m["id"].get<std::string>()] = std::move(entry);
  }
  return info;
}

std::optional<std::string> CodeFromToolArguments(const std::string& arguments, std::string* error) {
  auto fail = [error](std::string message) -> std::optional<std::string> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  const bool blank = std::all_of(arguments.begin(), arguments.end(),
                                 [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
  if (blank) return fail("the python tool call has no arguments: expected {\"code\": \"...\"}");

  Json parsed = Json::parse(arguments, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    // Weak local models sometimes send the code itself instead of JSON,
    // now and then inside a ```python fence.
    std::vector<std::string> blocks = ExtractPythonBlocks(arguments);
    if (blocks.empty()) return arguments;
    std::string code;
    for (const std::string& block : blocks) code += (code.empty() ? "" : "\n\n") + block;
    return code;
  }
  if (parsed.is_string()) {
    std::string code = parsed.get<std::string>();
    if (code.empty()) return fail("the python tool call's code is empty");
    return code;
  }
  if (parsed.is_object()) {
    for (const char* key : {kPythonToolArg, "source", "python", "script"}) {
      auto it = parsed.find(key);
      if (it == parsed.end()) continue;
      if (!it->is_string()) {
        return fail(std::string("the python tool call's \"") + key + "\" is not a string");
      }
      std::string code = it->get<std::string>();
      if (code.empty()) return fail("the python tool call's code is empty");
      return code;
    }
    return fail("the python tool call has no \"code\" argument: expected {\"code\": \"...\"}");
  }
  return fail("the python tool call's arguments are not an object: expected {\"code\": \"...\"}");
}

}  // namespace ci
