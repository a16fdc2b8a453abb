// Request builders, one per wire format. Pure functions: config + chat in,
// an HttpRequest out (URL, headers, JSON body). Never include a key.
//
// The wire details of each provider (paths, API versions, the headers a
// browser needs) live here and nowhere else: the glue sends what it is
// given, adding only the key where `auth` says.
#pragma once
#include <string_view>
#include <vector>

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

// OpenAI Responses: POST {base_url}/responses, stream: true, store: false,
// instructions (the system prompt), input items (messages, function_call,
// function_call_output), tools = [python] as a flat function tool when
// offered, max_output_tokens, reasoning.summary when configured.
HttpRequest BuildResponsesRequest(const ProviderConfig& config, const ChatRequest& chat);

// Dispatches on config.format. Throws std::invalid_argument on an unknown one.
HttpRequest BuildRequest(const ProviderConfig& config, const ChatRequest& chat);

// The model list: GET {base_url}/models with the provider's headers and
// auth, no body (Anthropic: ?limit=1000, one page holds them all; Responses:
// the same list as Chat Completions). Throws
// std::invalid_argument on an unknown format or auth.
HttpRequest BuildModelsRequest(const ProviderConfig& config);

// The model ids in a /models answer, sorted and without duplicates:
// {"data": [{"id"}]} (OpenAI, Anthropic, OpenAI-compatible servers such as
// Ollama's /v1, llama.cpp, LM Studio) or {"models": [{"name"} | "id"]}
// (Ollama's own /api/tags). nullopt, with *error set, when the body is not
// such a list.
std::optional<std::vector<std::string>> ParseModelList(std::string_view body, std::string* error);

// What a /models answer says of each model, where it says it: id →
// {context_window?, vision?, reasoning?}. Read from OpenRouter and Together
// (context_length, architecture.input_modalities, supported_parameters),
// Groq (context_window), Mistral (max_context_length, capabilities.vision),
// vLLM (max_model_len) and OpenAI (reasoning: the o-series and gpt-5 ids).
// An empty object when the answer says nothing (Anthropic, Ollama).
Json ParseModelInfo(std::string_view body);

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
