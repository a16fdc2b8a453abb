// NormalizePath, the one validator of file names from outside, and
// GuessMediaType.
#include <gtest/gtest.h>

#include <string>

#include "core/vfs.h"

namespace ci {
namespace {

struct HostileCase {
  const char* label;
  std::string path;
};

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::vector<HostileCase> HostileNames() {
  return {
      // Traversal in many spellings.
      {"dotdot", ".."},
      {"dotdot slash", "../x"},
      {"dotdot deep", "a/../../etc/passwd"},
      {"dotdot middle", "a/../b"},
      {"dotdot trailing", "a/.."},
      {"dotdot after root", "/mnt/data/../secret"},
      {"dotdot after dot", "./../x"},
      {"dotdot double slash", "a//..//b"},
      {"backslash traversal", "..\\x"},
      {"backslash separator", "a\\b.csv"},
      {"triple dot", "..."},
      {"triple dot segment", "a/.../b"},
      {"four dots", "a/...."},
      // Absolute paths outside the root.
      {"etc passwd", "/etc/passwd"},
      {"root only", "/"},
      {"mnt data lookalike", "/mnt/datax/file"},
      {"mnt only", "/mnt/x"},
      {"double slash absolute", "//server/share"},
      {"root itself", "/mnt/data"},
      {"root itself slash", "/mnt/data/"},
      {"root dot", "/mnt/data/."},
      // Empty.
      {"empty", ""},
      {"only dot", "."},
      {"only dot slash", "./"},
      {"only slashes", "///"},
      // Control characters.
      {"nul", std::string("a\0b.csv", 7)},
      {"nul at end", std::string("a.csv\0.png", 10)},
      {"newline", "a\nb.csv"},
      {"carriage return", "a\rb"},
      {"tab", "a\tb"},
      {"escape", "a\x1b[31mred"},
      {"del", "a\x7f"},
      {"c1 control", "a\xc2\x85"},
      {"c1 csi", "a\xc2\x9b"},
      // Windows download trouble.
      {"trailing dot", "report."},
      {"trailing dot in folder", "dir./x.csv"},
      {"trailing space", "report.csv "},
      {"only space", " "},
      // Bidi tricks.
      {"rlo", "invoice\xe2\x80\xaeslx.exe"},
      {"lro", "a\xe2\x80\xad"},
      {"lre", "a\xe2\x80\xaa"},
      {"rle", "a\xe2\x80\xab"},
      {"pdf", "a\xe2\x80\xac"},
      {"lri", "a\xe2\x81\xa6"},
      {"rli", "a\xe2\x81\xa7"},
      {"fsi", "a\xe2\x81\xa8"},
      {"pdi", "a\xe2\x81\xa9"},
      // Invalid UTF-8.
      {"lone continuation", "a\x80.csv"},
      {"truncated sequence", "a\xe6\x97"},
      {"overlong slash", "a\xc0\xaf..\xc0\xafx"},
      {"overlong dot", "\xc0\xae\xc0\xae/x"},
      {"overlong three byte", "\xe0\x80\xaf"},
      {"overlong four byte", "\xf0\x80\x80\xaf"},
      {"surrogate", "\xed\xa0\x80.csv"},
      {"beyond unicode", "\xf4\x90\x80\x80"},
      {"invalid lead byte", "\xff.csv"},
      {"latin1 text", "caf\xe9.csv"},
      // Too long or too deep.
      {"segment too long", std::string(256, 'a')},
      {"path too long", Repeat(std::string(250, 'p') + "/", 4) + std::string(30, 'q')},
      {"too deep", Repeat("d/", 32) + "f"},
  };
}

TEST(NormalizePath, RejectsHostileNames) {
  const VfsLimits limits;
  const auto cases = HostileNames();
  ASSERT_GE(cases.size(), 40u);
  for (const HostileCase& c : cases) {
    std::string out = "untouched";
    auto error = NormalizePath(c.path, limits, &out);
    ASSERT_TRUE(error.has_value()) << c.label << ": expected a refusal, got \"" << out << "\"";
    EXPECT_EQ(error->code, "invalid_path") << c.label;
    EXPECT_EQ(out, "untouched") << c.label << ": *out is written only on success";
    EXPECT_EQ(error->message.rfind("Invalid file name \"", 0), 0u) << c.label << ": " << error->message;
    // The message is safe to show and to put in JSON: valid UTF-8, no
    // control or bidi characters.
    EXPECT_NO_THROW((void)Json(error->message).dump()) << c.label;
    for (unsigned char ch : error->message) {
      EXPECT_TRUE(ch >= 0x20 && ch != 0x7f) << c.label << ": raw control byte in " << error->message;
    }
    EXPECT_EQ(error->message.find("\xe2\x80\xae"), std::string::npos) << c.label;
  }
}

TEST(NormalizePath, MessagesNameThePathAndTheRule) {
  const VfsLimits limits;
  std::string out;
  EXPECT_EQ(NormalizePath("../x", limits, &out)->message,
            "Invalid file name \"../x\": \"..\" is not allowed (files live under /mnt/data)");
  EXPECT_EQ(NormalizePath("/etc/passwd", limits, &out)->message,
            "Invalid file name \"/etc/passwd\": absolute paths outside /mnt/data are not allowed");
  EXPECT_EQ(NormalizePath(std::string("a\0b", 3), limits, &out)->message,
            "Invalid file name \"a\\x00b\": NUL characters are not allowed");
  EXPECT_EQ(NormalizePath("a\xe2\x80\xae"
                          "b",
                          limits, &out)
                ->message,
            "Invalid file name \"a\\u202Eb\": text-direction control characters are not allowed (they disguise "
            "the name)");
  EXPECT_EQ(NormalizePath("a\xff", limits, &out)->message, "Invalid file name \"a\\xFF\": it is not valid UTF-8 text");
  EXPECT_NE(NormalizePath(std::string(300, 'a'), limits, &out)->message.find("longer than 255 bytes"),
            std::string::npos);
}

TEST(NormalizePath, VeryLongPathMessageIsShortened) {
  std::string out;
  auto error = NormalizePath(std::string(100000, 'a'), VfsLimits{}, &out);
  ASSERT_TRUE(error.has_value());
  EXPECT_LT(error->message.size(), 400u) << "the message should not carry a 100 kB name";
}

TEST(NormalizePath, NormalizesAcceptedSpellings) {
  const VfsLimits limits;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a.csv", "a.csv"},
      {"data/sales.csv", "data/sales.csv"},
      {"./a/b.csv", "a/b.csv"},
      {"/mnt/data/a/b.csv", "a/b.csv"},
      {"/mnt/data//a///b.csv", "a/b.csv"},
      {"a/./b/./c", "a/b/c"},
      {"a/b/", "a/b"},
      {"mnt/data/x", "mnt/data/x"},
      {".hidden", ".hidden"},
      {"..hidden", "..hidden"},
      {"a..b", "a..b"},
      {" leading space.txt", " leading space.txt"},
      {"日本語.csv", "日本語.csv"},
      {"/mnt/data/レポート/グラフ.png", "レポート/グラフ.png"},
      {"emoji \xf0\x9f\x93\x8a chart.png", "emoji \xf0\x9f\x93\x8a chart.png"},
      {"naïve café.txt", "naïve café.txt"},
      {"עברית.txt", "עברית.txt"},
      {"what?<>|:*.txt", "what?<>|:*.txt"},
  };
  for (const auto& [input, expected] : cases) {
    std::string out;
    auto error = NormalizePath(input, limits, &out);
    EXPECT_FALSE(error.has_value()) << input << ": " << (error ? error->message : "");
    EXPECT_EQ(out, expected) << "input: " << input;
  }
}

TEST(NormalizePath, LimitsAreExactAtTheBoundary) {
  VfsLimits limits;
  limits.max_segment_bytes = 10;
  limits.max_path_bytes = 21;
  limits.max_depth = 3;
  std::string out;
  EXPECT_FALSE(NormalizePath(std::string(10, 's'), limits, &out).has_value()) << "a segment of exactly the limit";
  EXPECT_TRUE(NormalizePath(std::string(11, 's'), limits, &out).has_value()) << "a segment one byte over";
  EXPECT_FALSE(NormalizePath("aaaaaaaaaa/bbbbbbbbbb", limits, &out).has_value()) << "21 bytes: at the limit";
  EXPECT_TRUE(NormalizePath("aaaaaaaaaa/bbbbbbbbbb1", limits, &out).has_value()) << "22 bytes: over";
  EXPECT_FALSE(NormalizePath("/mnt/data/aaaaaaaaaa/bbbbbbbbbb", limits, &out).has_value())
      << "the limit applies to the normalized path";
  EXPECT_FALSE(NormalizePath("a/b/c", limits, &out).has_value()) << "depth 3: at the limit";
  EXPECT_TRUE(NormalizePath("a/b/c/d", limits, &out).has_value()) << "depth 4: over";
}

TEST(NormalizePath, SegmentLimitCountsBytesNotCharacters) {
  VfsLimits limits;
  limits.max_segment_bytes = 9;
  std::string out;
  EXPECT_FALSE(NormalizePath("日本語", limits, &out).has_value()) << "9 bytes";
  EXPECT_TRUE(NormalizePath("日本語x", limits, &out).has_value()) << "10 bytes";
}

TEST(GuessMediaType, KnowsCommonDataScienceTypes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a.csv", "text/csv"},
      {"a.tsv", "text/tab-separated-values"},
      {"a.txt", "text/plain"},
      {"a.md", "text/markdown"},
      {"a.json", "application/json"},
      {"a.jsonl", "application/x-ndjson"},
      {"a.xml", "application/xml"},
      {"a.html", "text/html"},
      {"a.htm", "text/html"},
      {"a.py", "text/x-python"},
      {"a.ipynb", "application/x-ipynb+json"},
      {"a.png", "image/png"},
      {"a.jpg", "image/jpeg"},
      {"a.jpeg", "image/jpeg"},
      {"a.gif", "image/gif"},
      {"a.webp", "image/webp"},
      {"a.svg", "image/svg+xml"},
      {"a.pdf", "application/pdf"},
      {"a.zip", "application/zip"},
      {"a.tar.gz", "application/gzip"},
      {"a.tar", "application/x-tar"},
      {"a.parquet", "application/vnd.apache.parquet"},
      {"a.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"a.xls", "application/vnd.ms-excel"},
      {"a.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {"a.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
      {"a.sqlite", "application/vnd.sqlite3"},
      {"a.db", "application/vnd.sqlite3"},
      {"a.npy", "application/x-npy"},
      {"a.npz", "application/zip"},
      {"a.pkl", "application/x-pickle"},
      {"a.wav", "audio/wav"},
      {"a.mp3", "audio/mpeg"},
      {"a.mp4", "video/mp4"},
      {"numpy-2.0-cp312-none-any.whl", "application/zip"},
      {"dir/Chart.PNG", "image/png"},
      {"DATA.CSV", "text/csv"},
  };
  for (const auto& [path, expected] : cases) EXPECT_EQ(GuessMediaType(path), expected) << path;
}

TEST(GuessMediaType, UnknownOrMissingExtensionIsOctetStream) {
  for (const char* path : {"a.xyz", "Makefile", ".env", "dir.csv/file", "a.", ""}) {
    EXPECT_EQ(GuessMediaType(path), "application/octet-stream") << path;
  }
}

}  // namespace
}  // namespace ci
