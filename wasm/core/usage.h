// Token usage in one provider-neutral form, per model reply and per turn.
//
// Providers count differently: OpenAI's prompt_tokens include the cached
// ones (prompt_tokens_details.cached_tokens), and so do the Responses API's
// input_tokens (input_tokens_details.cached_tokens); Anthropic's input_tokens leave
// out what was read from or written to the cache (cache_read_input_tokens,
// cache_creation_input_tokens). Here the four parts never overlap:
//   input_tokens                  input neither read from nor written to a cache
//   cache_read_input_tokens       input read from the cache
//   cache_creation_input_tokens   input written to the cache (Anthropic only)
//   output_tokens                 the reply
// and total_tokens is their sum: every token the provider counted, the figure
// the per-turn token limit (SessionLimits::max_turn_tokens) is checked against.
#pragma once
#include <cstdint>

#include "core/json.h"

namespace ci {

struct TokenUsage {
  int64_t input = 0;
  int64_t output = 0;
  int64_t cache_read = 0;
  int64_t cache_creation = 0;

  int64_t total() const { return input + output + cache_read + cache_creation; }
  // All input, cached or not (what "input_tokens" meant in the usage and
  // turn_done emits before cache tokens were counted apart).
  int64_t all_input() const { return input + cache_read + cache_creation; }
  TokenUsage& operator+=(const TokenUsage& o);

  // The provider's usage object (any wire format); zeros for null or junk.
  static TokenUsage FromProvider(const Json& usage);
  // {input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens, total_tokens}
  Json ToJson() const;
  // Reads what ToJson wrote; missing or malformed counts are 0 (usage is a
  // record for the user, never a reason to refuse a saved conversation).
  static TokenUsage FromJson(const Json& j);
};

}  // namespace ci
