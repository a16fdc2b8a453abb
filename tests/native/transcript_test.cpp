// Every transcript under tests/transcripts replays cleanly (the wasm build
// runs this same test under Node; tests/js/transcripts.test.mjs replays them
// through the JS API too).
#include "core/transcript.h"

#include <gtest/gtest.h>

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace ci {
namespace {

std::vector<std::string> TranscriptFiles() {
  std::string dir = std::string(CI_SOURCE_DIR) + "/tests/transcripts";
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 5 && n.substr(n.size() - 5) == ".json") out.push_back(dir + "/" + n);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Transcripts, EveryTranscriptReplaysCleanly) {
  auto files = TranscriptFiles();
  ASSERT_GE(files.size(), 3u) << "transcripts not found under tests/transcripts";
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    Json t = Json::parse(ss.str(), nullptr, false);
    ASSERT_FALSE(t.is_discarded()) << f << " is not valid JSON";
    auto report = ReplayTranscript(t);
    std::string all;
    for (const auto& w : report.failures) all += "\n  " + w;
    EXPECT_TRUE(report.ok) << f << ":" << all;
  }
}

TEST(Transcripts, AMismatchIsReportedWithItsPlace) {
  Json t = {{"config", {{"provider", {{"format", "openai"}, {"base_url", "http://x/v1"}, {"model", "m"}}}}},
            {"steps", Json::array({Json{{"event", {{"type", "cancel"}}}, {"expect", Json::array({Json{{"type", "emit"}}})}},
                                   Json{{"event", {{"type", "user_message"}, {"text", ""}}}, {"expect", Json::array()}}})}};
  auto report = ReplayTranscript(t);
  EXPECT_FALSE(report.ok);
  ASSERT_EQ(report.failures.size(), 2u);
  EXPECT_NE(report.failures[0].find("step 0: actions: expected 1 items"), std::string::npos) << report.failures[0];
  EXPECT_NE(report.failures[1].find("step 1: unexpected protocol error"), std::string::npos) << report.failures[1];
}

TEST(Transcripts, PartialMatchRules) {
  std::string why;
  EXPECT_TRUE(JsonMatches(Json{{"a", 1}}, Json{{"a", 1}, {"b", 2}}, "x", &why));
  EXPECT_FALSE(JsonMatches(Json{{"c", 1}}, Json{{"a", 1}}, "x", &why));
  EXPECT_EQ(why, "x.c: missing");
  EXPECT_TRUE(JsonMatches(Json::array({"*", 2}), Json::array({Json::object(), 2}), "x", &why));
  EXPECT_FALSE(JsonMatches(Json::array({1}), Json::array({1, 2}), "x", &why));
  EXPECT_TRUE(JsonMatches(Json{{"body_json", {{"k", "v"}}}}, Json{{"body", "{\"k\":\"v\",\"z\":1}"}}, "x", &why));
}

}  // namespace
}  // namespace ci
