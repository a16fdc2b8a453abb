// The context budget: keeps a request under the model's window before it is
// sent. Pure: a ChatRequest in, the same request trimmed and a report out.
//
// Rules (issue "Real models, long conversations"):
// - Tokens are estimated from the characters (about 4 per token, as the
//   providers' tokenizers average on English and code), plus a fixed cost
//   per message and per image, then scaled by a calibration the session
//   learns from the provider's reported usage of the previous request.
// - At most `max_images` images per request, the newest kept: older ones
//   leave a text note in their place (always, whatever the budget).
// - Over budget, the oldest first: a run's output (a tool result or the
//   output of the user's own run) outside the current turn becomes its
//   one-line note (ChatMessage::trim_note) and loses its images.
// - Still over: the oldest whole turns are dropped, and the first message
//   left says so.
// - Never touched: the system prompt and the current turn (the messages of
//   `current_turn`). If those alone are over budget the request is sent as
//   is; the provider's "context length exceeded" then gets one retry with a
//   harder budget (the session's job).
#pragma once
#include <cstdint>

#include "core/json.h"
#include "core/llm_types.h"

namespace ci {

struct BudgetReport {
  int outputs_trimmed = 0;
  int images_omitted = 0;
  int turns_dropped = 0;
  int64_t estimated_tokens = 0;  // after trimming, calibrated
  int64_t budget_tokens = 0;     // 0: no budget (unknown window)

  bool trimmed() const { return outputs_trimmed > 0 || images_omitted > 0 || turns_dropped > 0; }
  Json ToJson() const;
};

// Calibrated token estimate of a whole request (system prompt included).
int64_t EstimateTokens(const ChatRequest& chat, double calibration);

// The budget for a request to a model with this window: the window less
// room for the answer (max_tokens, or 4096, at most a quarter of the window)
// and a 5% margin. 0 when the window is unknown.
int64_t InputBudget(int64_t context_window, int max_output_tokens);

// Trims *chat in place to fit budget_tokens (0 = only the image count).
BudgetReport FitToBudget(ChatRequest* chat, int64_t budget_tokens, double calibration, int current_turn,
                         int max_images);

}  // namespace ci
