#include "core/context_budget.h"

#include <algorithm>
#include <cmath>

namespace ci {

namespace {

constexpr int64_t kTokensPerMessage = 4;   // role and framing
constexpr int64_t kTokensPerImage = 1600;  // about what a 1568 px image costs at Anthropic and OpenAI (high detail)

int64_t RawChars(const ChatMessage& m) {
  int64_t n = static_cast<int64_t>(m.text.size());
  for (const ToolCall& c : m.tool_calls) n += static_cast<int64_t>(c.arguments.size() + c.name.size() + c.id.size());
  for (const ImagePart& i : m.images) n += static_cast<int64_t>(i.label.size());
  return n;
}

int64_t RawTokens(const ChatMessage& m) {
  return (RawChars(m) + 3) / 4 + kTokensPerMessage + kTokensPerImage * static_cast<int64_t>(m.images.size());
}

int64_t Scaled(int64_t raw, double calibration) { return static_cast<int64_t>(std::ceil(raw * calibration)); }

// The images of a message become one note in its text.
void DropImages(ChatMessage* m, const char* why) {
  if (m->images.empty()) return;
  std::string note = "[" + std::to_string(m->images.size()) + (m->images.size() == 1 ? " image" : " images") +
                     " not resent (" + why + "):";
  for (const ImagePart& i : m->images) note += " " + (i.label.empty() ? std::string("image") : i.label) + ";";
  note.back() = ']';
  m->text += (m->text.empty() ? "" : "\n") + note;
  m->images.clear();
}

}  // namespace

Json BudgetReport::ToJson() const {
  return Json{{"outputs_trimmed", outputs_trimmed}, {"images_omitted", images_omitted},
              {"turns_dropped", turns_dropped},     {"estimated_tokens", estimated_tokens},
              {"budget_tokens", budget_tokens}};
}

int64_t EstimateTokens(const ChatRequest& chat, double calibration) {
  int64_t raw = (static_cast<int64_t>(chat.system.size()) + 3) / 4 + kTokensPerMessage;
  for (const ChatMessage& m : chat.messages) raw += RawTokens(m);
  return Scaled(raw, calibration);
}

int64_t InputBudget(int64_t context_window, int max_output_tokens) {
  if (context_window <= 0) return 0;
  int64_t answer = std::min<int64_t>(max_output_tokens > 0 ? max_output_tokens : 4096, context_window / 4);
  return std::max<int64_t>(1, (context_window - answer) * 95 / 100);
}

BudgetReport FitToBudget(ChatRequest* chat, int64_t budget_tokens, double calibration, int current_turn,
                         int max_images) {
  BudgetReport report;
  report.budget_tokens = budget_tokens;
  auto& msgs = chat->messages;

  // 1. The image count, newest kept.
  int seen = 0;
  for (size_t i = msgs.size(); i-- > 0;) {
    int n = static_cast<int>(msgs[i].images.size());
    if (seen + n <= max_images) {
      seen += n;
      continue;
    }
    int keep = std::max(0, max_images - seen);
    seen += keep;
    // Keep the last `keep` of this message's images.
    std::vector<ImagePart> kept(msgs[i].images.end() - keep, msgs[i].images.end());
    msgs[i].images.erase(msgs[i].images.end() - keep, msgs[i].images.end());
    report.images_omitted += static_cast<int>(msgs[i].images.size());
    DropImages(&msgs[i], "only the newest images are sent");
    msgs[i].images = std::move(kept);
  }

  int64_t total = EstimateTokens(*chat, calibration);
  if (budget_tokens > 0 && total > budget_tokens) {
    // 2. Old outputs become their notes, oldest first.
    for (ChatMessage& m : msgs) {
      if (total <= budget_tokens) break;
      if (m.turn >= current_turn || m.trim_note.empty()) continue;
      if (m.text.size() <= m.trim_note.size() && m.images.empty()) continue;
      int64_t before = Scaled(RawTokens(m), calibration);
      report.images_omitted += static_cast<int>(m.images.size());
      m.images.clear();
      m.text = m.trim_note;
      m.trim_note.clear();
      ++report.outputs_trimmed;
      total -= before - Scaled(RawTokens(m), calibration);
    }
    // 3. The oldest whole turns go.
    while (total > budget_tokens && !msgs.empty() && msgs.front().turn < current_turn) {
      int oldest = msgs.front().turn;
      auto end = std::find_if(msgs.begin(), msgs.end(), [&](const ChatMessage& m) { return m.turn != oldest; });
      for (auto it = msgs.begin(); it != end; ++it) report.images_omitted += static_cast<int>(it->images.size());
      msgs.erase(msgs.begin(), end);
      ++report.turns_dropped;
      total = EstimateTokens(*chat, calibration);
    }
    if (report.turns_dropped > 0 && !msgs.empty() && msgs.front().role == ChatMessage::Role::kUser) {
      msgs.front().text = "[Earlier parts of this conversation (" + std::to_string(report.turns_dropped) +
                          (report.turns_dropped == 1 ? " turn" : " turns") +
                          ") were left out to fit the model's context window.]\n\n" + msgs.front().text;
      total = EstimateTokens(*chat, calibration);
    }
  }
  report.estimated_tokens = total;
  return report;
}

}  // namespace ci
