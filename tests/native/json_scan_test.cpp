// JsonScan (the decoders' fast JSON path) must agree with nlohmann exactly:
// same texts accepted (a leading BOM aside, which it leaves to nlohmann), the
// same values read back, depth bounded in the same pass. And the decoders
// must give the same results whether an event goes the fast way or the
// nlohmann fallback.
#include "core/json_scan.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/stream_decoder.h"

namespace ci {
namespace {

constexpr int kDepth = 256;

bool NlohmannAccepts(std::string_view text) {
  return !Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false).is_discarded();
}

// Rebuilds a DOM from the tape through the public accessors only.
Json ToDom(const JsonScanValue& v) {
  switch (v.type()) {
    case JsonScan::Type::kNull: return nullptr;
    case JsonScan::Type::kTrue: return true;
    case JsonScan::Type::kFalse: return false;
    case JsonScan::Type::kNumber: return Json::parse(v.Raw());
    case JsonScan::Type::kString: return v.GetString();
    case JsonScan::Type::kArray: {
      Json out = Json::array();
      for (JsonScanValue e = v.FirstElement(); e.present(); e = v.NextElement(e)) out.push_back(ToDom(e));
      return out;
    }
    case JsonScan::Type::kObject: {
      Json out = Json::object();
      for (JsonScanValue k = v.FirstKey(); k.present(); k = v.NextKey(k)) out[k.GetString()] = ToDom(v.ValueOf(k));
      return out;
    }
  }
  return nullptr;
}

// Checks that scanner and nlohmann agree on `text` (accept/refuse and value);
// returns whether the scanner accepted.
bool AgreesWithNlohmann(const std::string& text) {
  JsonScan scan;
  bool scanned = scan.Parse(text, kDepth);
  Json dom = Json::parse(text.begin(), text.end(), nullptr, false);
  bool bom = text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0;
  if (scanned) {
    EXPECT_FALSE(dom.is_discarded()) << "the scanner accepted what nlohmann refuses: " << text;
    if (!dom.is_discarded()) {
      Json rebuilt = ToDom(scan.root());
      EXPECT_EQ(rebuilt.dump(-1, ' ', false, Json::error_handler_t::replace),
                dom.dump(-1, ' ', false, Json::error_handler_t::replace))
          << "values differ for " << text;
    }
  } else if (!bom) {
    EXPECT_TRUE(dom.is_discarded()) << "the scanner refused valid JSON: " << text;
  }
  return scanned;
}

TEST(JsonScan, AcceptsValidJsonWithTheValuesNlohmannReads) {
  const char* kValid[] = {
      "{}", "[]", "0", "-0", "1", "-1", "12.5", "-0.0", "1e2", "1E+2", "1e-2", "0.5e10", "true", "false", "null",
      "\"\"", "\"a\"", " \t\r\n{ \"a\" : [ 1 , 2 ] }\n ", "[[[]]]", "[{},{}]", "{\"\":0}",
      R"({"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]})",
      R"({"a":{"b":{"c":[true,false,null,"x",1.25,-7]}}})",
      R"(["\"\\\/\b\f\n\r\t"])", R"("\u0041\u00e9\u65e5\ud83d\ude00")", R"("\u0000")", R"("\uFFFF\uffff")",
      "\"caf\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF\"", "\"\x7F\"",
      "123456789012345678", "-123456789012345678", "9223372036854775807", "-9223372036854775808",
      "18446744073709551615", "18446744073709551616", "-9223372036854775809", "1e-400",
      "1.7976931348623157e308", "[1e308, -1e308]",
  };
  for (const char* text : kValid) {
    SCOPED_TRACE(text);
    EXPECT_TRUE(AgreesWithNlohmann(text)) << "expected the scanner to accept " << text;
  }
}

TEST(JsonScan, RefusesWhatNlohmannRefuses) {
  const char* kInvalid[] = {
      "", " ", "{", "}", "[", "]", "[1,]", "[,1]", "{,}", "{\"a\":1,}", "{\"a\"}", "{\"a\" 1}", "{a:1}",
      "{1:1}", "[1 2]", "[1]]", "{}}", "{} {}", "{}x", "tru", "truE", "nul", "nulll", "True", "NaN",
      "Infinity", "-", "+1", "01", "-01", "1.", ".5", "1.e2", "1e", "1e+", "--1", "0x10", "1e400",
      "-1e400", "1e99999", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\\"", "\"a\nb\"",
      "\"a\tb\"", "\"\x01\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\ud800x\"",
      "\"\\ud800\\ud800\"", "\"\\udbff\"", "\"\xC3\"", "\"\xC3\x28\"", "\"\xC0\xAF\"", "\"\xE0\x80\xAF\"",
      "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xF5\x80\x80\x80\"", "\"\xFF\"", "\"\x80\"",
      "\f{}", "\v{}", "\xC2\xA0{}", "{}\f", "[\"a\"\x00]", "\xEF\xBB{}", " \xEF\xBB\xBF{}", "/*c*/{}",
  };
  for (const char* text : kInvalid) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(AgreesWithNlohmann(text)) << "expected the scanner to refuse " << text;
  }
  // A NUL byte inside the text (not a C-string terminator here).
  EXPECT_FALSE(AgreesWithNlohmann(std::string("[1,\0 2]", 7)));
  EXPECT_FALSE(AgreesWithNlohmann(std::string("\"a\0b\"", 5)));
}

TEST(JsonScan, LeavesALeadingBomToNlohmann) {
  JsonScan scan;
  EXPECT_FALSE(scan.Parse("\xEF\xBB\xBF{}", kDepth)) << "a leading BOM is refused (nlohmann skips it)";
  EXPECT_TRUE(NlohmannAccepts("\xEF\xBB\xBF{}")) << "the fallback then accepts it";
}

TEST(JsonScan, DecodesEscapesAndSurrogatePairs) {
  JsonScan scan;
  ASSERT_TRUE(scan.Parse(R"(["\u00e9\u65e5\ud83d\ude00\uD83D\uDE00", "a\"b\\c\/d\b\f\n\r\t", "\u0000z"])", kDepth));
  JsonScanValue first = scan.root().FirstElement();
  EXPECT_EQ(first.GetString(), "\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80\xF0\x9F\x98\x80");
  JsonScanValue second = scan.root().NextElement(first);
  EXPECT_EQ(second.GetString(), "a\"b\\c/d\b\f\n\r\t");
  JsonScanValue third = scan.root().NextElement(second);
  EXPECT_EQ(third.GetString(), std::string("\0z", 2)) << "\\u0000 decodes to a NUL byte, as in nlohmann";
  EXPECT_FALSE(scan.root().NextElement(third).present());
}

TEST(JsonScan, UnescapeHelperAppends) {
  std::string out = "x";
  AppendUnescapedJsonString(R"(\u00e9\n\ud83d\ude00)", &out);
  EXPECT_EQ(out, "x\xC3\xA9\n\xF0\x9F\x98\x80");
}

TEST(JsonScan, FindsKeysAfterUnescapingThem) {
  JsonScan scan;
  ASSERT_TRUE(scan.Parse(R"({"\u0063ontent":"a","c\u006Fntent2":1,"con\"t":2})", kDepth));
  EXPECT_EQ(scan.root().Find("content").GetString(), "a");
  EXPECT_TRUE(scan.root().Find("content2").is_number_integer());
  EXPECT_EQ(scan.root().Find("con\"t").GetInt(), 2);
  EXPECT_FALSE(scan.root().Find("contents").present());
  EXPECT_FALSE(scan.root().Find("").present());
}

TEST(JsonScan, DuplicateKeysTheLastOneWinsLikeNlohmann) {
  const std::string text = R"({"a":1,"b":"x","a":{"c":2},"b":null,"a":"last"})";
  JsonScan scan;
  ASSERT_TRUE(scan.Parse(text, kDepth));
  Json dom = Json::parse(text);
  ASSERT_EQ(dom["a"], "last") << "nlohmann keeps the last duplicate";
  EXPECT_EQ(scan.root().Find("a").GetString(), "last");
  EXPECT_TRUE(scan.root().Find("b").is_null());
  EXPECT_TRUE(AgreesWithNlohmann(text));
  EXPECT_TRUE(AgreesWithNlohmann(R"({"u":{"x":1,"y":2,"x":3}})")) << "key order of the rebuilt DOM, too";
}

TEST(JsonScan, FindOnlyLooksAtTheObjectsOwnMembers) {
  JsonScan scan;
  ASSERT_TRUE(scan.Parse(R"({"inner":{"id":"nested"},"list":[{"id":"x"}],"k":"id"})", kDepth));
  EXPECT_FALSE(scan.root().Find("id").present()) << "nested keys and string values are not members";
  EXPECT_EQ(scan.root().Find("inner").Find("id").GetString(), "nested");
  EXPECT_FALSE(scan.root().Find("list").Find("id").present()) << "Find on an array is absent";
  EXPECT_FALSE(scan.root().Find("k").Find("id").present()) << "Find on a string is absent";
  EXPECT_FALSE(scan.root().Find("nope").Find("id").present()) << "Find on absent is absent";
}

TEST(JsonScan, IntegersAreWhatNlohmannStoresAsIntegers) {
  const char* kNumbers[] = {"0",  "-0", "7", "-7", "0.0", "1e0", "1E2", "-1.5", "123456789012345678",
                            "9223372036854775807", "9223372036854775808", "18446744073709551615",
                            "18446744073709551616", "-9223372036854775808", "-9223372036854775809",
                            "99999999999999999999999"};
  for (const char* text : kNumbers) {
    SCOPED_TRACE(text);
    JsonScan scan;
    ASSERT_TRUE(scan.Parse(text, kDepth));
    Json dom = Json::parse(text);
    ASSERT_EQ(scan.root().is_number_integer(), dom.is_number_integer());
    if (dom.is_number_integer()) {
      EXPECT_EQ(scan.root().GetInt(), dom.get<int64_t>());
    }
  }
  JsonScan scan;
  ASSERT_TRUE(scan.Parse("[\"1\", null, true]", kDepth));
  for (JsonScanValue e = scan.root().FirstElement(); e.present(); e = scan.root().NextElement(e))
    EXPECT_FALSE(e.is_number_integer()) << e.Raw();
}

TEST(JsonScan, DepthIsBoundedInTheSamePass) {
  JsonScan scan;
  std::string at_limit = std::string(kDepth, '[') + std::string(kDepth, ']');
  EXPECT_TRUE(scan.Parse(at_limit, kDepth)) << "256 levels are allowed";
  std::string over = std::string(kDepth + 1, '[') + std::string(kDepth + 1, ']');
  EXPECT_FALSE(scan.Parse(over, kDepth)) << "257 levels are refused";
  std::string objects;
  for (int i = 0; i < kDepth + 1; ++i) objects += "{\"a\":";
  objects += "1" + std::string(kDepth + 1, '}');
  EXPECT_FALSE(scan.Parse(objects, kDepth)) << "objects count as levels too";
  std::string hostile(100000, '[');
  EXPECT_FALSE(scan.Parse(hostile, kDepth)) << "deep garbage is refused without recursion";
  EXPECT_TRUE(scan.Parse("[\"" + std::string(1000, '[') + "\"]", kDepth)) << "brackets in strings do not count";
  EXPECT_TRUE(scan.Parse("[[1],[2],[[3]]]", 3));
  EXPECT_FALSE(scan.Parse("[[1],[2],[[3]]]", 2));
}

TEST(JsonScan, RootIsAbsentAfterAFailedParseAndValuesFollowTheLatestText) {
  JsonScan scan;
  ASSERT_TRUE(scan.Parse(R"({"a":"first"})", kDepth));
  EXPECT_EQ(scan.root().Find("a").GetString(), "first");
  EXPECT_FALSE(scan.Parse(R"({"a":"second")", kDepth));
  EXPECT_FALSE(scan.root().present()) << "no root after a failed parse";
  std::string big = "[";
  for (int i = 0; i < 1000; ++i) big += std::to_string(i) + ",";
  big += "{\"a\":\"third\"}]";
  ASSERT_TRUE(scan.Parse(big, kDepth)) << "the tape grows as needed";
  JsonScanValue last;
  for (JsonScanValue e = scan.root().FirstElement(); e.present(); e = scan.root().NextElement(e)) last = e;
  EXPECT_EQ(last.Find("a").GetString(), "third");
  EXPECT_EQ(scan.root().Raw(), big);
}

TEST(JsonScan, ToJsonAndRawGiveTheValuesOwnText) {
  JsonScan scan;
  ASSERT_TRUE(scan.Parse(R"( {"usage": {"b":2, "a":[1,2.5,"x"]}, "n": -3 } )", kDepth));
  EXPECT_EQ(scan.root().Find("usage").Raw(), R"({"b":2, "a":[1,2.5,"x"]})");
  EXPECT_EQ(scan.root().Find("usage").ToJson().dump(), R"({"b":2,"a":[1,2.5,"x"]})") << "key order kept";
  EXPECT_EQ(scan.root().Find("n").Raw(), "-3");
}

// Every position of every special byte inside strings of every length around
// the 8-byte scanning step: the word-at-a-time skip must never miss one.
TEST(JsonScan, SpecialBytesAreFoundAtEveryPositionOfTheWordScan) {
  const std::string kSpecials[] = {"\\\"", "\\\\", "\\n", "\\u00e9", "\xC3\xA9", "\xF0\x9F\x98\x80",
                                   "\"",   "\n",   "\x1F", "\xC3",     "\xFF",     "\x7F"};
  for (size_t length = 0; length < 20; ++length) {
    for (size_t at = 0; at <= length; ++at) {
      for (const std::string& special : kSpecials) {
        std::string body = std::string(at, 'a') + special + std::string(length - at, 'b');
        SCOPED_TRACE(body);
        AgreesWithNlohmann("\"" + body + "\"");
        AgreesWithNlohmann("{\"" + body + "\":1}");
        AgreesWithNlohmann("[\"" + body + "\",\"" + body + "\"]");
      }
    }
  }
}

// Random edits of real-looking events: the scanner accepts exactly what
// nlohmann accepts (BOM aside) and reads the same values.
TEST(JsonScan, AgreesWithNlohmannOnRandomlyMutatedEvents) {
  const std::string kSeeds[] = {
      R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1752148330,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":" caf\u00e9 \"q\" \\ \n"},"logprobs":null,"finish_reason":null}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"python","arguments":"{\"code\": \"print(1)\"}"}}]}}],"usage":{"prompt_tokens":10,"completion_tokens":-2.5e3}})",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"日本 😀 \ud83d\ude00"}})",
      R"({"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":1,"output_tokens":[true,false,null]}}})",
  };
  const char kAlphabet[] = "{}[],:\"\\ntrufalsel0123456789.-+eEu \t\r\xC3\xA9\x80\xFF";
  uint32_t state = 12345;
  auto next = [&state]() {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  int accepted = 0, total = 0;
  for (const std::string& seed : kSeeds) {
    ASSERT_TRUE(AgreesWithNlohmann(seed)) << "seed must be valid: " << seed;
    for (int round = 0; round < 6000; ++round) {
      std::string text = seed;
      int edits = 1 + next() % 3;
      for (int e = 0; e < edits && !text.empty(); ++e) {
        size_t pos = next() % text.size();
        char c = kAlphabet[next() % (sizeof(kAlphabet) - 1)];
        switch (next() % 3) {
          case 0: text[pos] = c; break;
          case 1: text.insert(text.begin() + pos, c); break;
          default: text.erase(pos, 1); break;
        }
      }
      ++total;
      if (AgreesWithNlohmann(text)) ++accepted;
      if (HasFailure()) return;
    }
  }
  // Both outcomes must be exercised for the comparison to mean something.
  EXPECT_GT(accepted, total / 20) << accepted << " of " << total << " mutants were valid";
  EXPECT_LT(accepted, total - total / 20) << accepted << " of " << total << " mutants were valid";
}

// --- the decoders: fast path and nlohmann fallback agree --------------------
// An event's data led by a BOM is valid for nlohmann (it skips the BOM) but
// refused by the scanner, so it takes the fallback: the same events with and
// without a BOM must decode to the same result and deltas.

std::string DecodeAll(std::string_view format, const std::vector<std::string>& datas, bool bom) {
  std::string body;
  for (const std::string& data : datas) {
    bool lead = bom && data != "[DONE]";  // [DONE] is not JSON: it stays as is
    body += "data: " + std::string(lead ? "\xEF\xBB\xBF" : "") + data + "\n\n";
  }
  auto decoder = MakeStreamDecoder(format);
  std::vector<StreamDelta> deltas;
  decoder->Feed(body, &deltas);
  decoder->Finish(&deltas);
  Json out = decoder->result().ToJson();
  for (const StreamDelta& d : deltas)
    out["deltas"].push_back({static_cast<int>(d.kind), d.text, d.tool_index});
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

TEST(JsonScanDecoders, OpenAiFastPathAndFallbackGiveTheSameResult) {
  const std::vector<std::vector<std::string>> kStreams = {
      {R"({"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})",
       R"({"id":"c2","choices":[{"index":0,"delta":{"content":"caf\u00e9 \ud83d\ude00","reasoning_content":"hmm"}}]})",
       R"({"choices":[{"index":1,"delta":{"content":"other choice"}},{"index":0,"delta":{"content":"!"}}]})",
       R"({"choices":[{"delta":{"content":[{"type":"text","text":"parts"},{"type":"image"},"x"]}}]})",
       R"({"choices":[{"index":0.0,"delta":{"content":"float index: skipped"}}]})",
       R"({"choices":[{"index":0,"delta":{"content":"dup","content":"last wins","refusal":" no"}}]})",
       R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"python","arguments":"{\"c"}}]}}]})",
       R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ode\":1}"}},{"index":18446744073709551615,"id":"b","function":{"name":"n","arguments":{"k":[1,2e0]}}}]}}]})",
       R"({"choices":[{"index":0,"delta":{"tool_calls":[{"id":"c","function":{"name":"noindex","arguments":null}},{"function":{"arguments":"tail"}}]}}]})",
       R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":null})",
       R"({"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"x":1e2,"prompt_tokens":3}})", "[DONE]"},
      {R"({"choices":[{"index":0,"delta":{"content":"before"}}]})", R"({"error":{"message":"overloaded","type":"server_error"}})"},
      {R"({"choices":[{"index":0,"delta":{"content":"a"}}]})", R"({"error":"plain text error"})"},
      {R"({"choices":[{"index":0,"delta":{"content":"a"}}]})", R"({"error":{"code":429,"detail":[1,2]}})"},
      {R"({"choices":[{"index":0,"delta":{"content":"no end"}}],"error":null})"},
  };
  for (const auto& stream : kStreams) {
    std::string fast = DecodeAll("openai", stream, false);
    std::string fallback = DecodeAll("openai", stream, true);
    EXPECT_EQ(fast, fallback);
    EXPECT_EQ(fast.find("stream_error"), std::string::npos) << "expected valid events: " << fast;
  }
}

TEST(JsonScanDecoders, AnthropicFastPathAndFallbackGiveTheSameResult) {
  const std::vector<std::vector<std::string>> kStreams = {
      {R"({"type":"message_start","message":{"id":"msg_1","model":"claude","usage":{"input_tokens":5,"output_tokens":1}}})",
       R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"t0"}})",
       R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"think \u00e9"}})",
       R"({"type":"content_block_start","index":1,"content_block":{"type":"text","text":"start "}})",
       R"({"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"hello \ud83d\ude00"}})",
       R"({"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"x","text":"dup last"}})",
       R"({"type": "ping"})",
       R"({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"tu_1","name":"python","input":{}}})",
       R"({"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"code\":"}})",
       R"({"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"\"1\"}"}})",
       R"({"type":"content_block_stop","index":2})",
       R"({"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"tu_2","name":"n","input":{"b":1,"a":[1.5e1]}}})",
       R"({"type":"content_block_stop","index":3})",
       R"({"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9,"input_tokens":null,"new":2}})",
       R"({"type":"message_stop"})"},
      {R"({"type":"message_start","message":{"id":"m"}})", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"},
      {R"({"type":"error","error":"odd"})"},
      {R"({"type":"content_block_delta","index":-0,"delta":{"type":"text_delta","text":"no block, still text"}})"},
  };
  for (const auto& stream : kStreams) {
    std::string fast = DecodeAll("anthropic", stream, false);
    std::string fallback = DecodeAll("anthropic", stream, true);
    EXPECT_EQ(fast, fallback);
    EXPECT_EQ(fast.find("stream_error"), std::string::npos) << "expected valid events: " << fast;
  }
}

TEST(JsonScanDecoders, InvalidEventsStillFailWithNlohmannsMessages) {
  struct Case {
    const char* format;
    std::string data;
    const char* expected_message_start;
  };
  const Case kCases[] = {
      {"openai", R"({"choices":[}])", "OpenAI stream: event data is not JSON: \""},
      {"openai", R"("\ud800")", "OpenAI stream: event data is not JSON: \""},
      {"openai", std::string(300, '[') + std::string(300, ']'), "OpenAI stream: event data is JSON nested deeper than 256 levels"},
      {"openai", "[1]", "OpenAI stream: expected a JSON object, got: \"[1]\""},
      {"anthropic", R"({"type":"content_block_delta",)", "Anthropic stream: event data is not JSON: \""},
      {"anthropic", "1e400", "Anthropic stream: event data is not JSON: \""},
      {"anthropic", "\"text\"", "Anthropic stream: expected a JSON object, got: \"\"text\"\""},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.data);
    auto decoder = MakeStreamDecoder(c.format);
    std::vector<StreamDelta> deltas;
    decoder->Feed("data: " + c.data + "\n\n", &deltas);
    decoder->Finish(&deltas);
    ASSERT_TRUE(decoder->result().error.has_value());
    EXPECT_EQ(decoder->result().error->type, "stream_error");
    EXPECT_EQ(decoder->result().error->message.rfind(c.expected_message_start, 0), 0u)
        << "got: " << decoder->result().error->message;
  }
}

}  // namespace
}  // namespace ci
