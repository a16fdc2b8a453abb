// SseDecoder and SanitizeUtf8: WHATWG event-stream framing under any split.
#include "core/sse.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ci {
namespace {

std::vector<SseEvent> FeedAll(const std::vector<std::string>& chunks, SseDecoder* decoder = nullptr) {
  SseDecoder local;
  SseDecoder* d = decoder ? decoder : &local;
  std::vector<SseEvent> out;
  for (const std::string& c : chunks) d->Feed(c, &out);
  d->Finish(&out);
  return out;
}

std::vector<SseEvent> FeedOne(const std::string& body) { return FeedAll({body}); }

// "event|id|data" per event, for compact comparisons.
std::string Describe(const std::vector<SseEvent>& events) {
  std::string s;
  for (const SseEvent& e : events) s += "[" + e.event + "|" + e.id + "|" + e.data + "]";
  return s;
}

TEST(SseDecoder, LfCrAndCrlfLineEndsGiveTheSameEvents) {
  std::string lf = "event: a\ndata: one\ndata: two\n\ndata: three\n\n";
  std::string cr = "event: a\rdata: one\rdata: two\r\rdata: three\r\r";
  std::string crlf = "event: a\r\ndata: one\r\ndata: two\r\n\r\ndata: three\r\n\r\n";
  std::string expected = "[a||one\ntwo][||three]";
  EXPECT_EQ(Describe(FeedOne(lf)), expected);
  EXPECT_EQ(Describe(FeedOne(cr)), expected);
  EXPECT_EQ(Describe(FeedOne(crlf)), expected);
}

TEST(SseDecoder, CrAtChunkEndAndLfAtNextStartAreOneLineEnd) {
  // Were the pair counted twice, the empty "line" would dispatch "a" alone.
  auto events = FeedAll({"data: a\r", "\ndata: b\r", "\n\r", "\n"});
  EXPECT_EQ(Describe(events), "[||a\nb]");
}

TEST(SseDecoder, CrFollowedByCrIsTwoLineEnds) {
  auto events = FeedAll({"data: a\r", "\rdata: b\r\r"});
  EXPECT_EQ(Describe(events), "[||a][||b]");
}

TEST(SseDecoder, EverySplitOfAMixedStreamGivesTheSameEvents) {
  std::string body =
      "\xEF\xBB\xBF: comment\r\nevent: delta\r\nid: 7\r\ndata: caf\xC3\xA9 \xF0\x9F\x93\x88\r\n\r\n"
      "data:no-space\rdata\r\r"
      "retry: 2500\nevent: end\ndata: {\"a\": 1}\n\n";
  std::string expected = Describe(FeedOne(body));
  ASSERT_EQ(expected, "[delta|7|caf\xC3\xA9 \xF0\x9F\x93\x88][|7|no-space\n][end|7|{\"a\": 1}]");
  for (size_t i = 0; i <= body.size(); ++i) {
    for (size_t j = i; j <= body.size(); j += 5) {
      auto events = FeedAll({body.substr(0, i), body.substr(i, j - i), body.substr(j)});
      ASSERT_EQ(Describe(events), expected) << "split at " << i << " and " << j;
    }
  }
}

TEST(SseDecoder, CharacterSplitAcrossChunksIsReassembled) {
  auto events = FeedAll({"data: caf\xC3", "\xA9 \xE2\x82", "\xAC\n\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "caf\xC3\xA9 \xE2\x82\xAC");
}

TEST(SseDecoder, LeadingBomIsDroppedOnceEvenWhenSplit) {
  auto events = FeedAll({"\xEF", "\xBB", "\xBF" "data: x\n\n"});
  EXPECT_EQ(Describe(events), "[||x]");
  // A second BOM is not a BOM: the field name becomes "\uFEFFdata", unknown.
  auto twice = FeedOne("\xEF\xBB\xBF\xEF\xBB\xBF" "data: x\n\n");
  EXPECT_TRUE(twice.empty()) << Describe(twice);
}

TEST(SseDecoder, PartialBomAloneIsContentNotSilence) {
  auto events = FeedOne("\xEF\xBB");  // a line "\xEF\xBB": a field with no colon
  EXPECT_TRUE(events.empty());
  auto data = FeedOne("data: \xEF\xBB\n\n");
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].data, "\xEF\xBF\xBD") << "a truncated sequence becomes one U+FFFD";
}

TEST(SseDecoder, CommentsAndUnknownFieldsAreIgnored) {
  auto events = FeedOne(": OPENROUTER PROCESSING\n\nfoo: bar\ndata: x\n: keep-alive\n\n");
  EXPECT_EQ(Describe(events), "[||x]");
}

TEST(SseDecoder, EventWithoutDataIsNotDispatchedAndItsTypeIsReset) {
  auto events = FeedOne("event: ping\n\ndata: x\n\n");
  EXPECT_EQ(Describe(events), "[||x]") << "the type of a data-less event must not leak into the next";
}

TEST(SseDecoder, EmptyDataLineDispatchesAnEmptyEvent) {
  auto events = FeedOne("data\n\ndata:\n\n");
  EXPECT_EQ(Describe(events), "[||][||]");
}

TEST(SseDecoder, IdPersistsAndIdWithNulIsIgnored) {
  SseDecoder d;
  auto events = FeedAll({"id: 1\ndata: a\n\ndata: b\n\nid: x", std::string("\0y", 2), "\ndata: c\n\n"}, &d);
  EXPECT_EQ(Describe(events), "[|1|a][|1|b][|1|c]");
  EXPECT_EQ(d.last_event_id(), "1");
}

TEST(SseDecoder, RetryAcceptsOnlyDigits) {
  SseDecoder d;
  FeedAll({"retry: 3000\n\nretry: 12x\n\nretry: -5\n\n"}, &d);
  ASSERT_TRUE(d.retry_ms().has_value());
  EXPECT_EQ(*d.retry_ms(), 3000);
}

TEST(SseDecoder, UnterminatedLastEventIsDispatchedOnFinish) {
  EXPECT_EQ(Describe(FeedOne("data: a\n\ndata: [DONE]")), "[||a][||[DONE]]");
  EXPECT_EQ(Describe(FeedOne("data: a\n\ndata: [DONE]\n")), "[||a][||[DONE]]");
  EXPECT_EQ(Describe(FeedOne("data: a\n\ndata: [DONE]\r")), "[||a][||[DONE]]");
}

TEST(SseDecoder, EndlessLineFailsAtTheBoundWithAClearError) {
  SseDecoder d(1024);
  std::vector<SseEvent> out;
  EXPECT_TRUE(d.Feed("data: ok\n\n", &out));
  std::string piece(100, 'x');
  bool ok = true;
  for (int i = 0; i < 20 && ok; ++i) ok = d.Feed(piece, &out);
  EXPECT_FALSE(ok) << "2000 bytes without a line end must exceed a 1024-byte bound";
  EXPECT_TRUE(d.failed());
  EXPECT_NE(d.error().find("1024"), std::string::npos) << d.error();
  EXPECT_NE(d.error().find("without completing an event"), std::string::npos) << d.error();
  EXPECT_FALSE(d.Feed("\n\ndata: later\n\n", &out)) << "input after a failure is ignored";
  EXPECT_FALSE(d.Finish(&out));
  EXPECT_EQ(Describe(out), "[||ok]");
}

TEST(SseDecoder, EndlessEventOfManyLinesFailsAtTheBound) {
  SseDecoder d(1024);
  std::vector<SseEvent> out;
  bool ok = true;
  for (int i = 0; i < 100 && ok; ++i) ok = d.Feed("data: 0123456789abcdef\n", &out);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(d.failed());
  EXPECT_TRUE(out.empty());
}

TEST(SseDecoder, OneHugeChunkOfSmallEventsIsWithinTheBound) {
  // The bound is on what is held between events, not on the chunk size.
  SseDecoder d(1024);
  std::string body;
  for (int i = 0; i < 1000; ++i) body += "data: event number " + std::to_string(i) + "\n\n";
  std::vector<SseEvent> out;
  EXPECT_TRUE(d.Feed(body, &out)) << d.error();
  EXPECT_TRUE(d.Finish(&out));
  ASSERT_EQ(out.size(), 1000u);
  EXPECT_EQ(out[999].data, "event number 999");
}

TEST(SseDecoder, InvalidUtf8BecomesReplacementCharacters) {
  auto events = FeedOne("event: \xFF" "a\ndata: \xC3(x\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "\xEF\xBF\xBD" "a");
  EXPECT_EQ(events[0].data, "\xEF\xBF\xBD(x");
}

TEST(SseDecoder, NulBytesInDataArePassedThrough) {
  auto events = FeedOne(std::string("data: a\0b\n\n", 11));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, std::string("a\0b", 3));
}

TEST(SanitizeUtf8, FollowsTheWhatwgDecoderForIllFormedInput) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(SanitizeUtf8("plain ascii"), "plain ascii");
  EXPECT_EQ(SanitizeUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_EQ(SanitizeUtf8("\xC0\xAF"), r + r) << "overlong lead bytes are each invalid";
  EXPECT_EQ(SanitizeUtf8("\xE0\x80\x80"), r + r + r) << "E0 needs A0..BF next";
  EXPECT_EQ(SanitizeUtf8("\xED\xA0\x80"), r + r + r) << "surrogates are invalid";
  EXPECT_EQ(SanitizeUtf8("\xF4\x90\x80\x80"), r + r + r + r) << "above U+10FFFF";
  EXPECT_EQ(SanitizeUtf8("\xE2\x82"), r) << "a truncated sequence is one U+FFFD";
  EXPECT_EQ(SanitizeUtf8("\xE2\x82x"), r + "x") << "the breaking byte is decoded afresh";
  EXPECT_EQ(SanitizeUtf8("\xF0\x9F\x98"), r);
  EXPECT_EQ(SanitizeUtf8("\x80"), r);
  EXPECT_EQ(SanitizeUtf8(std::string("\0", 1)), std::string("\0", 1));
}

}  // namespace
}  // namespace ci
