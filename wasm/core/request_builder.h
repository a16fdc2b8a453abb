// Request builders, one per wire format. Pure functions: config + chat in,
// an HttpRequest out (URL, headers, JSON body). Never include a key.
#pragma once
#include "core/llm_types.h"

namespace ci {

// OpenAI Chat Completions: POST {base_url}/chat/completions, stream: true,
// stream_options.include_usage, tools = [python] when offered.
HttpRequest BuildOpenAiRequest(const ProviderConfig& config, const ChatRequest& chat);

// Anthropic Messages: POST {base_url}/messages, stream: true, max_tokens,
// anthropic-version, anthropic-dangerous-direct-browser-access: true,
// tools = [python] when offered. Adjacent messages of one role are merged
// (tool results go in one user message) as the API requires.
HttpRequest BuildAnthropicRequest(const ProviderConfig& config, const ChatRequest& chat);

// Dispatches on config.format. Throws std::invalid_argument on an unknown one.
HttpRequest BuildRequest(const ProviderConfig& config, const ChatRequest& chat);

// The one tool we offer: run Python. Its name and its argument key.
constexpr const char* kPythonToolName = "python";
constexpr const char* kPythonToolArg = "code";
// Tool description sent to the model.
extern const char* const kPythonToolDescription;

// Extracts the code from a python tool call's argument string. Accepts
// {"code": "..."}; for weak local models also a bare code string that is not
// JSON. Returns nullopt (with *error set) when no code can be found.
std::optional<std::string> CodeFromToolArguments(const std::string& arguments, std::string* error);

}  // namespace ci
