#include "core/transcript.h"

#include "core/session.h"

namespace ci {

bool JsonMatches(const Json& expected, const Json& actual, const std::string& where, std::string* why) {
  if (expected.is_string() && expected == "*") return true;
  if (expected.is_object()) {
    if (!actual.is_object()) {
      *why = where + ": expected an object, got " + actual.dump();
      return false;
    }
    for (const auto& [key, value] : expected.items()) {
      if (key == "body_json" && actual.contains("body") && actual["body"].is_string()) {
        Json body = Json::parse(actual["body"].get<std::string>(), nullptr, false);
        if (!JsonMatches(value, body, where + ".body", why)) return false;
        continue;
      }
      if (!actual.contains(key)) {
        *why = where + "." + key + ": missing";
        return false;
      }
      if (!JsonMatches(value, actual[key], where + "." + key, why)) return false;
    }
    return true;
  }
  if (expected.is_array()) {
    if (!actual.is_array() || actual.size() != expected.size()) {
      *why = where + ": expected " + std::to_string(expected.size()) + " items, got " + actual.dump();
      return false;
    }
    for (size_t i = 0; i < expected.size(); ++i)
      if (!JsonMatches(expected[i], actual[i], where + "[" + std::to_string(i) + "]", why)) return false;
    return true;
  }
  if (expected != actual) {
    *why = where + ": expected " + expected.dump() + ", got " + actual.dump();
    return false;
  }
  return true;
}

TranscriptReport ReplayTranscript(const Json& t) {
  TranscriptReport report;
  auto fail = [&](const std::string& msg) {
    report.ok = false;
    report.failures.push_back(msg);
  };
  std::unique_ptr<Session> session;
  try {
    session = std::make_unique<Session>(SessionConfig::FromJson(t.value("config", Json::object())));
  } catch (const std::exception& e) {
    fail(std::string("config: ") + e.what());
    return report;
  }
  const Json steps = t.value("steps", Json::array());
  for (size_t i = 0; i < steps.size(); ++i) {
    const Json& step = steps[i];
    std::string where = "step " + std::to_string(i);
    Json event = step.value("event", Json::object());
    if (!event.contains("now_ms")) event["now_ms"] = static_cast<int64_t>(i) * 1000;
    auto result = session->Handle(event);
    if (step.contains("expect_error")) {
      report.actual.push_back(result.error ? *result.error : Json(nullptr));
      if (!result.error) fail(where + ": expected a protocol error");
      else if (result.error->value("message", "").find(step["expect_error"].get<std::string>()) == std::string::npos)
        fail(where + ": error \"" + result.error->value("message", "") + "\" lacks \"" +
             step["expect_error"].get<std::string>() + "\"");
      continue;
    }
    Json actual = result.actions;
    report.actual.push_back(actual);
    if (result.error) {
      fail(where + ": unexpected protocol error: " + result.error->dump());
      continue;
    }
    if (!step.contains("expect")) continue;  // actions not checked at this step
    std::string why;
    if (!JsonMatches(step["expect"], actual, where + ": actions", &why)) fail(why);
  }
  return report;
}

}  // namespace ci
