// JSON forms of ProviderConfig and StreamResult (the JS wire).
#include "core/llm_types.h"

#include <stdexcept>

namespace ci {
namespace {

[[noreturn]] void Bad(const std::string& message) {
  throw std::invalid_argument("provider config: " + message);
}

std::string TypeName(const Json& j) { return j.type_name(); }

std::string RequireString(const Json& j, const char* key) {
  const Json& v = j.at(key);
  if (!v.is_string()) Bad(std::string("\"") + key + "\" must be a string, got " + TypeName(v));
  return v.get<std::string>();
}

bool RequireBool(const Json& j, const char* key) {
  const Json& v = j.at(key);
  if (!v.is_boolean()) Bad(std::string("\"") + key + "\" must be true or false, got " + TypeName(v));
  return v.get<bool>();
}

}  // namespace

Json ProviderConfig::ToJson() const {
  Json j = Json::object();
  j["format"] = format;
  j["base_url"] = base_url;
  j["model"] = model;
  j["temperature"] = temperature ? Json(*temperature) : Json(nullptr);
  j["max_tokens"] = max_tokens ? Json(*max_tokens) : Json(nullptr);
  j["tools"] = tools;
  j["include_usage"] = include_usage;
  if (reasoning_summary) j["reasoning_summary"] = *reasoning_summary;  // absent when unset (older readers)
  j["reasoning"] = reasoning;
  j["vision"] = vision;
  j["context_window"] = context_window;
  j["prompt_caching"] = prompt_caching;
  j["auth"] = auth;
  Json headers = Json::object();
  for (const auto& [name, value] : extra_headers) headers[name] = value;
  j["extra_headers"] = std::move(headers);
  return j;
}

// Missing keys keep their defaults; unknown keys are ignored (a config saved
// by a newer version still loads).
ProviderConfig ProviderConfig::FromJson(const Json& j) {
  if (!j.is_object()) Bad("expected a JSON object, got " + TypeName(j));
  ProviderConfig c;
  if (j.contains("format")) {
    c.format = RequireString(j, "format");
    if (c.format != "openai" && c.format != "anthropic" && c.format != "responses") {
      Bad("unknown format \"" + c.format + "\" (expected \"openai\", \"anthropic\" or \"responses\")");
    }
  }
  if (j.contains("base_url")) c.base_url = RequireString(j, "base_url");
  if (j.contains("model")) c.model = RequireString(j, "model");
  if (j.contains("temperature") && !j["temperature"].is_null()) {
    const Json& t = j["temperature"];
    if (!t.is_number()) Bad("\"temperature\" must be a number or null, got " + TypeName(t));
    c.temperature = t.get<double>();
  }
  if (j.contains("max_tokens") && !j["max_tokens"].is_null()) {
    const Json& m = j["max_tokens"];
    if (!m.is_number_integer() || m.get<int64_t>() <= 0 || m.get<int64_t>() > 0x7fffffff) {
      Bad("\"max_tokens\" must be a positive integer or null, got " + m.dump());
    }
    c.max_tokens = static_cast<int>(m.get<int64_t>());
  }
  if (j.contains("tools")) c.tools = RequireBool(j, "tools");
  if (j.contains("include_usage")) c.include_usage = RequireBool(j, "include_usage");
  if (j.contains("reasoning_summary") && !j["reasoning_summary"].is_null()) {
    std::string summary = RequireString(j, "reasoning_summary");
    if (summary != "auto" && summary != "concise" && summary != "detailed") {
      Bad("unknown reasoning_summary \"" + summary + "\" (expected \"auto\", \"concise\", \"detailed\" or null)");
    }
    c.reasoning_summary = summary;
  }
  if (j.contains("reasoning")) c.reasoning = RequireBool(j, "reasoning");
  if (j.contains("vision")) c.vision = RequireBool(j, "vision");
  if (j.contains("prompt_caching")) c.prompt_caching = RequireBool(j, "prompt_caching");
  if (j.contains("context_window") && !j["context_window"].is_null()) {
    const Json& w = j["context_window"];
    if (!w.is_number_integer() || w.get<int64_t>() < 0 || w.get<int64_t>() > (int64_t{1} << 40)) {
      Bad("\"context_window\" must be a token count (0 = unknown) or null, got " + w.dump());
    }
    c.context_window = w.get<int64_t>();
  }
  if (j.contains("auth")) {
    c.auth = RequireString(j, "auth");
    if (c.auth != "bearer" && c.auth != "x-api-key" && c.auth != "none") {
      Bad("unknown auth \"" + c.auth + "\" (expected \"bearer\", \"x-api-key\" or \"none\")");
    }
  }
  if (j.contains("extra_headers") && !j["extra_headers"].is_null()) {
    const Json& h = j["extra_headers"];
    if (!h.is_object()) Bad("\"extra_headers\" must be an object of strings, got " + TypeName(h));
    for (auto it = h.begin(); it != h.end(); ++it) {
      if (!it.value().is_string()) Bad("extra header \"" + it.key() + "\" must be a string");
      c.extra_headers[it.key()] = it.value().get<std::string>();
    }
  }
  return c;
}

Json StreamResult::ToJson() const {
  Json j = Json::object();
  j["text"] = text ? Json(*text) : Json(nullptr);
  Json calls = Json::array();
  for (const ToolCall& call : tool_calls) {
    calls.push_back(Json{{"id", call.id}, {"name", call.name}, {"arguments", call.arguments}});
  }
  j["tool_calls"] = std::move(calls);
  j["finish_reason"] = finish_reason ? Json(*finish_reason) : Json(nullptr);
  j["usage"] = usage;
  j["model"] = model;
  j["id"] = id;
  j["error"] = error ? Json{{"type", error->type}, {"message", error->message}} : Json(nullptr);
  if (!reasoning_items.is_null()) j["reasoning_items"] = reasoning_items;  // responses only, when there are any
  return j;
}

}  // namespace ci
