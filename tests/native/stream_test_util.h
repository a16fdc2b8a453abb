// Test helpers shared by the stream decoder tests: fixture loading and
// decoding a body fed in given pieces.
#pragma once
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/stream_decoder.h"

namespace ci::testing {

inline std::string ReadFixture(const std::string& relative) {
  std::string path = std::string(CI_SOURCE_DIR) + "/tests/fixtures/" + relative;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "fixture missing: " << path;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct Decoded {
  StreamResult result;
  std::vector<StreamDelta> deltas;
};

// Feeds `body` cut at the (ascending) byte offsets in `cuts`, then Finish().
inline Decoded DecodeWithCuts(std::string_view format, std::string_view body, const std::vector<size_t>& cuts) {
  auto decoder = MakeStreamDecoder(format);
  Decoded out;
  size_t pos = 0;
  for (size_t cut : cuts) {
    decoder->Feed(body.substr(pos, cut - pos), &out.deltas);
    pos = cut;
  }
  decoder->Feed(body.substr(pos), &out.deltas);
  decoder->Finish(&out.deltas);
  out.result = decoder->result();
  return out;
}

inline Decoded Decode(std::string_view format, std::string_view body) { return DecodeWithCuts(format, body, {}); }

inline std::string ResultJson(const StreamResult& r) { return r.ToJson().dump(); }

// The deltas, put back together, must tell the same story as the result.
inline void ExpectDeltasMatchResult(const Decoded& d, const std::string& context) {
  std::string text, thinking;
  std::vector<std::string> names(d.result.tool_calls.size()), args(d.result.tool_calls.size());
  std::vector<int> begins(d.result.tool_calls.size(), 0);
  for (const StreamDelta& delta : d.deltas) {
    switch (delta.kind) {
      case StreamDelta::Kind::kText: text += delta.text; break;
      case StreamDelta::Kind::kThinking: thinking += delta.text; break;
      case StreamDelta::Kind::kToolCallBegin:
        ASSERT_LT(delta.tool_index, names.size()) << context;
        names[delta.tool_index] = delta.text;
        ++begins[delta.tool_index];
        break;
      case StreamDelta::Kind::kToolCallArguments:
        ASSERT_LT(delta.tool_index, args.size()) << context;
        EXPECT_EQ(begins[delta.tool_index], 1) << context << ": argument delta before its tool call began";
        args[delta.tool_index] += delta.text;
        break;
    }
  }
  EXPECT_EQ(text, d.result.text.value_or("")) << context << ": text deltas should add up to the text";
  EXPECT_EQ(thinking, d.result.thinking) << context << ": thinking deltas should add up to the thinking";
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(begins[i], 1) << context << ": each tool call should begin exactly once";
    EXPECT_EQ(names[i], d.result.tool_calls[i].name) << context;
    // Anthropic fills a delta-less call from its start input at the end.
    if (!args[i].empty()) {
      EXPECT_EQ(args[i], d.result.tool_calls[i].arguments) << context;
    }
  }
}

// Every 2-way split, a sample of 3-way splits, and byte-at-a-time feeding
// must all give `expected_json`.
inline void ExpectSplitInvariant(std::string_view format, const std::string& body, const std::string& expected_json,
                                 const std::string& name) {
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    Decoded d = DecodeWithCuts(format, body, {cut});
    ASSERT_EQ(ResultJson(d.result), expected_json) << name << ": differs when split at byte " << cut;
  }
  // 3-way: a deterministic sample of cut pairs (a small LCG, no <random>
  // differences between builds).
  uint32_t state = 12345;
  auto next = [&state](size_t n) {
    state = state * 1664525u + 1013904223u;
    return static_cast<size_t>(state >> 8) % (n + 1);
  };
  for (int k = 0; k < 300; ++k) {
    size_t a = next(body.size()), b = next(body.size());
    if (a > b) std::swap(a, b);
    Decoded d = DecodeWithCuts(format, body, {a, b});
    ASSERT_EQ(ResultJson(d.result), expected_json) << name << ": differs when split at bytes " << a << " and " << b;
  }
  std::vector<size_t> every_byte;
  for (size_t i = 1; i < body.size(); ++i) every_byte.push_back(i);
  Decoded d = DecodeWithCuts(format, body, every_byte);
  EXPECT_EQ(ResultJson(d.result), expected_json) << name << ": differs when fed one byte at a time";
  ExpectDeltasMatchResult(d, name + " (byte at a time)");
}

// Runs the whole fixture check for tests/fixtures/streams/<name>.sse.
inline void CheckFixture(std::string_view format, const std::string& name) {
  std::string body = ReadFixture("streams/" + name + ".sse");
  std::string expected_text = ReadFixture("streams/" + name + ".expected.json");
  ASSERT_FALSE(body.empty()) << name;
  Json expected = Json::parse(expected_text);
  Decoded whole = Decode(format, body);
  ASSERT_EQ(whole.result.ToJson(), expected) << name << ": unsplit decode differs from " << name << ".expected.json";
  ExpectDeltasMatchResult(whole, name);
  ExpectSplitInvariant(format, body, expected.dump(), name);
}

}  // namespace ci::testing
