// See usage.h for what each count means.
#include "core/usage.h"

#include <algorithm>

namespace ci {
namespace {

// A non-negative integer at obj[key], else 0.
int64_t Count(const Json& obj, const char* key) {
  if (!obj.is_object()) return 0;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return 0;
  return std::max<int64_t>(0, it->get<int64_t>());
}

}  // namespace

TokenUsage& TokenUsage::operator+=(const TokenUsage& o) {
  input += o.input;
  output += o.output;
  cache_read += o.cache_read;
  cache_creation += o.cache_creation;
  return *this;
}

TokenUsage TokenUsage::FromProvider(const Json& usage) {
  TokenUsage u;
  if (!usage.is_object()) return u;
  if (usage.contains("prompt_tokens") || usage.contains("completion_tokens")) {
    // OpenAI and compatible servers: the cached part is inside prompt_tokens.
    int64_t prompt = Count(usage, "prompt_tokens");
    int64_t cached = Count(usage.value("prompt_tokens_details", Json::object()), "cached_tokens");
    if (cached == 0) cached = Count(usage, "prompt_cache_hit_tokens");  // DeepSeek's name
    cached = std::min(cached, prompt);  // so that total() is what prompt + completion always was
    u.input = prompt - cached;
    u.cache_read = cached;
    u.output = Count(usage, "completion_tokens");
    return u;
  }
  if (usage.contains("input_tokens_details") || usage.contains("output_tokens_details")) {
    // OpenAI Responses: input_tokens include the cached ones
    // (input_tokens_details.cached_tokens), as prompt_tokens do above.
    int64_t input = Count(usage, "input_tokens");
    int64_t cached = std::min(Count(usage.value("input_tokens_details", Json::object()), "cached_tokens"), input);
    u.input = input - cached;
    u.cache_read = cached;
    u.output = Count(usage, "output_tokens");
    return u;
  }
  // Anthropic: the three input counts are disjoint already. (A Responses
  // server that leaves out the details has no cached count either: the same.)
  u.input = Count(usage, "input_tokens");
  u.cache_read = Count(usage, "cache_read_input_tokens");
  u.cache_creation = Count(usage, "cache_creation_input_tokens");
  u.output = Count(usage, "output_tokens");
  return u;
}

Json TokenUsage::ToJson() const {
  return Json{{"input_tokens", input},
              {"output_tokens", output},
              {"cache_read_input_tokens", cache_read},
              {"cache_creation_input_tokens", cache_creation},
              {"total_tokens", total()}};
}

TokenUsage TokenUsage::FromJson(const Json& j) {
  TokenUsage u;
  u.input = Count(j, "input_tokens");
  u.output = Count(j, "output_tokens");
  u.cache_read = Count(j, "cache_read_input_tokens");
  u.cache_creation = Count(j, "cache_creation_input_tokens");
  return u;
}

}  // namespace ci
