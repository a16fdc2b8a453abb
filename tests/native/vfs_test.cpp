// The virtual filesystem: writes and versions, quotas at their boundaries,
// files versus folders, change tracking for the sandbox, persistence.
#include "core/vfs.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ci {
namespace {

using Paths = std::vector<std::string>;

std::string Bytes(size_t n, char c = 'x') { return std::string(n, c); }

// Everything observable about a Vfs, to check that a refused change changed nothing.
std::string Snapshot(const Vfs& vfs) {
  Json j = vfs.IndexJson();
  j["total_bytes"] = vfs.total_bytes();
  Vfs::SyncPlan plan = vfs.PlanSync();
  j["plan_write"] = plan.write;
  j["plan_remove"] = plan.remove;
  for (const FileEntry* entry : vfs.List()) j["bytes"][entry->path] = *entry->bytes;
  return j.dump();
}

// ----------------------------------------------------------- write / read

TEST(Vfs, WriteCreatesAFileWithItsMetadata) {
  Vfs vfs;
  ASSERT_EQ(vfs.Write("/mnt/data/data/sales.csv", "a,b\n1,2\n", "", "upload", "", 1000), std::nullopt);
  const FileEntry* entry = vfs.Find("data/sales.csv");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->path, "data/sales.csv");
  EXPECT_EQ(*entry->bytes, "a,b\n1,2\n");
  EXPECT_EQ(entry->size, 8u);
  EXPECT_EQ(entry->media_type, "text/csv");
  EXPECT_EQ(entry->version, 1u);
  EXPECT_EQ(entry->origin, "upload");
  EXPECT_EQ(entry->exec_id, "");
  EXPECT_EQ(entry->created_ms, 1000);
  EXPECT_EQ(entry->modified_ms, 1000);
  EXPECT_EQ(vfs.total_bytes(), 8u);
  EXPECT_EQ(vfs.file_count(), 1u);
  EXPECT_EQ(vfs.Find("/mnt/data/./data//sales.csv"), entry) << "Find normalizes its path";
  EXPECT_EQ(vfs.Find("../data/sales.csv"), nullptr);
}

TEST(Vfs, ReplaceBumpsVersionKeepsCreatedAndUpdatesOrigin) {
  Vfs vfs;
  ASSERT_EQ(vfs.Write("a.txt", "one", "", "upload", "", 1000), std::nullopt);
  ASSERT_EQ(vfs.Write("a.txt", "three", "text/x-custom", "exec", "exec-7", 2000), std::nullopt);
  const FileEntry* entry = vfs.Find("a.txt");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->version, 2u);
  EXPECT_EQ(entry->created_ms, 1000);
  EXPECT_EQ(entry->modified_ms, 2000);
  EXPECT_EQ(entry->origin, "exec");
  EXPECT_EQ(entry->exec_id, "exec-7");
  EXPECT_EQ(entry->media_type, "text/x-custom") << "a given media type wins over the guess";
  EXPECT_EQ(vfs.total_bytes(), 5u);
  EXPECT_EQ(vfs.file_count(), 1u);
}

TEST(Vfs, BytesAreSharedNotCopied) {
  Vfs vfs;
  ASSERT_EQ(vfs.Write("a.bin", Bytes(1000), "", "upload", "", 0), std::nullopt);
  std::shared_ptr<const std::string> held = vfs.Find("a.bin")->bytes;
  ASSERT_EQ(vfs.Write("a.bin", "new", "", "upload", "", 1), std::nullopt);
  EXPECT_EQ(held->size(), 1000u) << "a reader's bytes stay valid and unchanged after a replace";
}

TEST(Vfs, WriteRefusesInvalidPathWithoutChange) {
  Vfs vfs;
  auto error = vfs.Write("../escape.txt", "x", "", "upload", "", 0);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "invalid_path");
  EXPECT_EQ(vfs.file_count(), 0u);
}

TEST(Vfs, ListIsSortedByPath) {
  Vfs vfs;
  for (const char* path : {"b.csv", "a/z.txt", "a.csv", "c/d/e.png"}) {
    ASSERT_EQ(vfs.Write(path, "x", "", "upload", "", 0), std::nullopt);
  }
  Paths listed;
  for (const FileEntry* entry : vfs.List()) listed.push_back(entry->path);
  EXPECT_EQ(listed, (Paths{"a.csv", "a/z.txt", "b.csv", "c/d/e.png"}));
}

TEST(Vfs, RemoveDeletesAndRemoveOfMissingIsNotFound) {
  Vfs vfs;
  ASSERT_EQ(vfs.Write("a.txt", "abc", "", "upload", "", 0), std::nullopt);
  EXPECT_EQ(vfs.Remove("/mnt/data/a.txt"), std::nullopt);
  EXPECT_EQ(vfs.file_count(), 0u);
  EXPECT_EQ(vfs.total_bytes(), 0u);
  auto error = vfs.Remove("a.txt");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "not_found");
  EXPECT_NE(error->message.find("a.txt"), std::string::npos) << error->message;
  EXPECT_EQ(vfs.Remove("/etc/passwd")->code, "invalid_path");
}

TEST(Vfs, FileAndFolderOfTheSameNameCannotCoexist) {
  Vfs vfs;
  ASSERT_EQ(vfs.Write("out/plot.png", "png", "", "exec", "e1", 0), std::nullopt);
  std::string before = Snapshot(vfs);
  auto error = vfs.Write("out", "x", "", "upload", "", 0);
  ASSERT_TRUE(error.has_value()) << "\"out\" is a folder";
  EXPECT_EQ(error->code, "is_directory");
  EXPECT_NE(error->message.find("out/plot.png"), std::string::npos) << error->message;
  error = vfs.Write("out/plot.png/inner", "x", "", "upload", "", 0);
  ASSERT_TRUE(error.has_value()) << "\"out/plot.png\" is a file";
  EXPECT_EQ(error->code, "is_directory");
  EXPECT_EQ(Snapshot(vfs), before);
  EXPECT_EQ(vfs.Write("out2", "x", "", "upload", "", 0), std::nullopt) << "a sibling with a common prefix is fine";
  EXPECT_EQ(vfs.Write("ou", "x", "", "upload", "", 0), std::nullopt);
}

// ------------------------------------------------------------------ quotas

TEST(VfsQuota, FileSizeExactlyAtTheLimitPassesOneOverFails) {
  VfsLimits limits;
  limits.max_file_bytes = 100;
  Vfs vfs(limits);
  EXPECT_EQ(vfs.Write("a.bin", Bytes(100), "", "upload", "", 0), std::nullopt);
  std::string before = Snapshot(vfs);
  auto error = vfs.Write("a.bin", Bytes(101), "", "upload", "", 1);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "file_too_large");
  EXPECT_NE(error->message.find("a.bin"), std::string::npos) << error->message;
  EXPECT_NE(error->message.find("100 bytes"), std::string::npos) << "names the limit: " << error->message;
  EXPECT_EQ(Snapshot(vfs), before) << "a refused replace leaves the old file as it was";
}

TEST(VfsQuota, TotalBytesExactlyAtTheLimitPassesOneOverFails) {
  VfsLimits limits;
  limits.max_total_bytes = 100;
  Vfs vfs(limits);
  ASSERT_EQ(vfs.Write("a.bin", Bytes(60), "", "upload", "", 0), std::nullopt);
  EXPECT_EQ(vfs.Write("b.bin", Bytes(40), "", "upload", "", 0), std::nullopt) << "60 + 40 = 100: at the limit";
  EXPECT_EQ(vfs.total_bytes(), 100u);
  std::string before = Snapshot(vfs);
  auto error = vfs.Write("c.bin", Bytes(1), "", "upload", "", 0);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "quota_bytes");
  EXPECT_EQ(Snapshot(vfs), before);
  error = vfs.Write("b.bin", Bytes(41), "", "upload", "", 0);
  ASSERT_TRUE(error.has_value()) << "replacing 40 with 41 bytes makes 101";
  EXPECT_EQ(error->code, "quota_bytes");
  EXPECT_EQ(Snapshot(vfs), before);
  EXPECT_EQ(vfs.Write("a.bin", Bytes(59), "", "upload", "", 0), std::nullopt) << "a replace counts the old size out";
  EXPECT_EQ(vfs.Write("c.bin", Bytes(1), "", "upload", "", 0), std::nullopt);
  EXPECT_EQ(vfs.total_bytes(), 100u);
}

TEST(VfsQuota, FileCountExactlyAtTheLimitPassesOneMoreFails) {
  VfsLimits limits;
  limits.max_files = 3;
  Vfs vfs(limits);
  for (const char* path : {"1", "2", "3"}) ASSERT_EQ(vfs.Write(path, "x", "", "upload", "", 0), std::nullopt);
  std::string before = Snapshot(vfs);
  auto error = vfs.Write("4", "x", "", "upload", "", 0);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "quota_files");
  EXPECT_NE(error->message.find("3"), std::string::npos) << error->message;
  EXPECT_EQ(Snapshot(vfs), before);
  EXPECT_EQ(vfs.Write("3", "replaced", "", "upload", "", 0), std::nullopt) << "replacing is not a new file";
  ASSERT_EQ(vfs.Remove("1"), std::nullopt);
  EXPECT_EQ(vfs.Write("4", "x", "", "upload", "", 0), std::nullopt);
}

TEST(VfsQuota, SandboxWriteOverQuotaIsRefusedAndPlannedBack) {
  VfsLimits limits;
  limits.max_file_bytes = 10;
  Vfs vfs(limits);
  ASSERT_EQ(vfs.Write("keep.txt", "old", "", "upload", "", 0), std::nullopt);
  vfs.MarkSynced();
  // The sandbox made a file too large and overwrote keep.txt with one too.
  EXPECT_EQ(vfs.ApplySandboxWrite("big.bin", Bytes(11), "e1", 1)->code, "file_too_large");
  EXPECT_EQ(vfs.ApplySandboxWrite("keep.txt", Bytes(11), "e1", 1)->code, "file_too_large");
  EXPECT_EQ(vfs.Find("big.bin"), nullptr);
  EXPECT_EQ(*vfs.Find("keep.txt")->bytes, "old");
  Vfs::SyncPlan plan = vfs.PlanSync();
  EXPECT_EQ(plan.write, (Paths{"keep.txt"})) << "the sandbox's copy differs from the truth";
  EXPECT_EQ(plan.remove, (Paths{"big.bin"})) << "the sandbox holds a file the VFS refused";
}

TEST(VfsLimits, JsonRoundTripAndDefaults) {
  VfsLimits limits;
  limits.max_total_bytes = 5000;
  limits.max_files = 7;
  EXPECT_EQ(VfsLimits::FromJson(limits.ToJson()).ToJson(), limits.ToJson());
  EXPECT_EQ(limits.ToJson(), (Json{{"max_total_bytes", 5000},
                                   {"max_file_bytes", 512ull << 20},
                                   {"max_files", 7},
                                   {"max_path_bytes", 1024},
                                   {"max_segment_bytes", 255},
                                   {"max_depth", 32}}));
  VfsLimits partial = VfsLimits::FromJson(Json{{"max_files", 9}});
  EXPECT_EQ(partial.max_files, 9u);
  EXPECT_EQ(partial.max_total_bytes, VfsLimits{}.max_total_bytes) << "missing keys keep defaults";
  EXPECT_THROW(VfsLimits::FromJson(Json{{"max_files", -1}}), std::invalid_argument);
  EXPECT_THROW(VfsLimits::FromJson(Json{{"max_files", "9"}}), std::invalid_argument);
  EXPECT_THROW(VfsLimits::FromJson(Json::array()), std::invalid_argument);
}

// ---------------------------------------------------------- change tracking

TEST(VfsSync, ChangeTrackingScenario) {
  Vfs vfs;
  EXPECT_TRUE(vfs.PlanSync().empty()) << "an empty VFS needs nothing";

  ASSERT_EQ(vfs.Write("sales.csv", "a,b\n", "", "upload", "", 1), std::nullopt);
  EXPECT_EQ(vfs.PlanSync().write, (Paths{"sales.csv"})) << "an upload is sent in";

  vfs.MarkSynced();
  EXPECT_TRUE(vfs.PlanSync().empty()) << "after sync nothing is pending";

  ASSERT_EQ(vfs.ApplySandboxWrite("plot.png", "PNG", "exec-1", 2), std::nullopt);
  EXPECT_TRUE(vfs.PlanSync().empty()) << "a file the sandbox wrote is not sent back in";
  const FileEntry* plot = vfs.Find("plot.png");
  ASSERT_NE(plot, nullptr);
  EXPECT_EQ(plot->origin, "exec");
  EXPECT_EQ(plot->exec_id, "exec-1");
  EXPECT_EQ(plot->media_type, "image/png");

  ASSERT_EQ(vfs.ApplySandboxWrite("sales.csv", "a,b\n1,2\n", "exec-1", 3), std::nullopt);
  EXPECT_TRUE(vfs.PlanSync().empty()) << "the sandbox's own change to a file is not sent back";

  ASSERT_EQ(vfs.Write("sales.csv", "new upload", "", "upload", "", 4), std::nullopt);
  EXPECT_EQ(vfs.PlanSync().write, (Paths{"sales.csv"})) << "the user's replacement is sent in";
  EXPECT_TRUE(vfs.PlanSync().remove.empty());

  vfs.ForgetSandbox();
  EXPECT_EQ(vfs.PlanSync().write, (Paths{"plot.png", "sales.csv"})) << "after a restart everything is sent";
  EXPECT_TRUE(vfs.PlanSync().remove.empty()) << "a new sandbox has nothing to remove";
}

TEST(VfsSync, UserRemovalIsPlannedAsRemove) {
  Vfs vfs;
  ASSERT_EQ(vfs.Write("a.txt", "a", "", "upload", "", 0), std::nullopt);
  ASSERT_EQ(vfs.Write("b.txt", "b", "", "upload", "", 0), std::nullopt);
  vfs.MarkSynced();
  ASSERT_EQ(vfs.Remove("a.txt"), std::nullopt);
  Vfs::SyncPlan plan = vfs.PlanSync();
  EXPECT_TRUE(plan.write.empty());
  EXPECT_EQ(plan.remove, (Paths{"a.txt"}));
  vfs.MarkSynced();
  EXPECT_TRUE(vfs.PlanSync().empty()) << "MarkSynced forgets removed files";
}

TEST(VfsSync, RemovingAFileNeverSentPlansNothing) {
  Vfs vfs;
  ASSERT_EQ(vfs.Write("a.txt", "a", "", "upload", "", 0), std::nullopt);
  ASSERT_EQ(vfs.Remove("a.txt"), std::nullopt);
  EXPECT_TRUE(vfs.PlanSync().empty());
}

TEST(VfsSync, SandboxRemoveIsNotPlannedBack) {
  Vfs vfs;
  ASSERT_EQ(vfs.Write("a.txt", "a", "", "upload", "", 0), std::nullopt);
  vfs.MarkSynced();
  EXPECT_EQ(vfs.ApplySandboxRemove("/mnt/data/a.txt"), std::nullopt);
  EXPECT_EQ(vfs.Find("a.txt"), nullptr);
  EXPECT_TRUE(vfs.PlanSync().empty()) << "the sandbox already removed it";
  EXPECT_EQ(vfs.ApplySandboxRemove("a.txt")->code, "not_found");
  EXPECT_TRUE(vfs.PlanSync().empty());
}

TEST(VfsSync, WriteAfterSandboxRemoveIsPlanned) {
  Vfs vfs;
  ASSERT_EQ(vfs.ApplySandboxWrite("a.txt", "a", "e1", 0), std::nullopt);
  ASSERT_EQ(vfs.ApplySandboxRemove("a.txt"), std::nullopt);
  ASSERT_EQ(vfs.Write("a.txt", "again", "", "upload", "", 1), std::nullopt);
  EXPECT_EQ(vfs.PlanSync().write, (Paths{"a.txt"}));
}

TEST(VfsSync, RemovedThenRecreatedFileIsSentAgain) {
  // Versions restart at 1 for a new file: the plan must not mistake the new
  // file for the old one the sandbox still holds.
  Vfs vfs;
  ASSERT_EQ(vfs.Write("a.txt", "old", "", "upload", "", 0), std::nullopt);
  vfs.MarkSynced();
  ASSERT_EQ(vfs.Remove("a.txt"), std::nullopt);
  ASSERT_EQ(vfs.Write("a.txt", "new", "", "upload", "", 1), std::nullopt);
  EXPECT_EQ(vfs.PlanSync().write, (Paths{"a.txt"})) << "the new file's version 1 is not the removed one's";
}

// ------------------------------------------------------------- persistence

TEST(VfsPersistence, IndexJsonHasEveryFieldButTheBytes) {
  Vfs vfs;
  ASSERT_EQ(vfs.Write("a.csv", "1,2", "", "upload", "", 100), std::nullopt);
  ASSERT_EQ(vfs.ApplySandboxWrite("a.csv", "1,2,3", "exec-9", 200), std::nullopt);
  Json expected = {{"files", Json::array({{{"path", "a.csv"},
                                           {"media_type", "text/csv"},
                                           {"size", 5},
                                           {"version", 2},
                                           {"origin", "exec"},
                                           {"exec_id", "exec-9"},
                                           {"created_ms", 100},
                                           {"modified_ms", 200}}})}};
  EXPECT_EQ(vfs.IndexJson(), expected) << vfs.IndexJson().dump(2);
}

TEST(VfsPersistence, RestoreRoundTrip) {
  Vfs vfs;
  ASSERT_EQ(vfs.Write("data/sales.csv", "a,b\n1,2\n", "", "upload", "", 100), std::nullopt);
  ASSERT_EQ(vfs.Write("data/sales.csv", "a,b\n3,4\n", "", "upload", "", 150), std::nullopt);
  ASSERT_EQ(vfs.ApplySandboxWrite("out/plot.png", std::string("\x89PNG\0\1", 6), "exec-1", 200), std::nullopt);
  ASSERT_EQ(vfs.Write("日本語.txt", "こんにちは", "text/plain", "upload", "", 300), std::nullopt);
  vfs.MarkSynced();

  std::map<std::string, std::string> bytes;
  for (const FileEntry* entry : vfs.List()) bytes[entry->path] = *entry->bytes;
  // Through text, as IndexedDB would keep it.
  Json index = Json::parse(vfs.IndexJson().dump());

  std::vector<std::string> problems;
  Vfs restored = Vfs::Restore(index, bytes, vfs.limits(), &problems);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(restored.IndexJson(), vfs.IndexJson());
  EXPECT_EQ(restored.total_bytes(), vfs.total_bytes());
  ASSERT_NE(restored.Find("out/plot.png"), nullptr);
  EXPECT_EQ(*restored.Find("out/plot.png")->bytes, *vfs.Find("out/plot.png")->bytes);
  EXPECT_EQ(restored.PlanSync().write, (Paths{"data/sales.csv", "out/plot.png", "日本語.txt"}))
      << "restored files are not in the (new, empty) sandbox";
  EXPECT_TRUE(restored.PlanSync().remove.empty());
}

TEST(VfsPersistence, RestoreSkipsWhatIsMissingKeepsWhatExistsAndSaysWhy) {
  Vfs vfs;
  ASSERT_EQ(vfs.Write("ok.txt", "fine", "", "upload", "", 1), std::nullopt);
  ASSERT_EQ(vfs.Write("missing.txt", "gone", "", "upload", "", 1), std::nullopt);
  ASSERT_EQ(vfs.Write("short.txt", "12345", "", "upload", "", 1), std::nullopt);
  Json index = vfs.IndexJson();
  index["files"].push_back({{"path", "../evil"}, {"size", 1}});
  index["files"].push_back({{"no_path", true}});
  index["files"].push_back({{"path", "nosize.txt"}});
  std::map<std::string, std::string> bytes = {
      {"ok.txt", "fine"}, {"short.txt", "123"}, {"../evil", "x"}, {"nosize.txt", "abc"}};

  std::vector<std::string> problems;
  Vfs restored = Vfs::Restore(index, bytes, VfsLimits{}, &problems);
  Paths kept;
  for (const FileEntry* entry : restored.List()) kept.push_back(entry->path);
  EXPECT_EQ(kept, (Paths{"nosize.txt", "ok.txt", "short.txt"})) << "bytes that exist are kept, whatever the index says";
  EXPECT_EQ(*restored.Find("short.txt")->bytes, "123") << "the stored bytes, not the index's size";
  EXPECT_EQ(restored.Find("short.txt")->size, 3u);
  EXPECT_EQ(restored.total_bytes(), 4u + 3u + 3u);
  ASSERT_EQ(problems.size(), 5u);
  const std::string all = Json(problems).dump();
  EXPECT_NE(all.find("missing.txt"), std::string::npos) << all;
  EXPECT_NE(all.find("contents are missing"), std::string::npos) << all;
  EXPECT_NE(all.find("Kept \\\"short.txt\\\" as it was stored (3 bytes), though the file list says 5 bytes"), std::string::npos) << all;
  EXPECT_NE(all.find("nosize.txt"), std::string::npos) << all;
  EXPECT_NE(all.find("\\\"..\\\" is not allowed"), std::string::npos) << all;
}

TEST(VfsPersistence, RestoreAppliesTheLimitsGiven) {
  Vfs vfs;
  ASSERT_EQ(vfs.Write("a.bin", Bytes(10), "", "upload", "", 1), std::nullopt);
  ASSERT_EQ(vfs.Write("b.bin", Bytes(10), "", "upload", "", 1), std::nullopt);
  std::map<std::string, std::string> bytes = {{"a.bin", Bytes(10)}, {"b.bin", Bytes(10)}};
  VfsLimits small;
  small.max_total_bytes = 15;
  std::vector<std::string> problems;
  Vfs restored = Vfs::Restore(vfs.IndexJson(), bytes, small, &problems);
  EXPECT_EQ(restored.file_count(), 1u);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("b.bin"), std::string::npos) << problems[0];
}

TEST(VfsPersistence, RestoreOfDamagedIndexIsEmptyWithAProblem) {
  std::vector<std::string> problems;
  Vfs restored = Vfs::Restore(Json{{"files", "nope"}}, {}, VfsLimits{}, &problems);
  EXPECT_EQ(restored.file_count(), 0u);
  EXPECT_EQ(problems.size(), 1u);
  EXPECT_NO_THROW(Vfs::Restore(Json(), {}, VfsLimits{}, nullptr));
}

// The one media type table covers what people upload for analysis.
TEST(MediaType, CoversWhatUsersUpload) {
  const std::pair<const char*, const char*> cases[] = {
      {"a.jsonl", "application/x-ndjson"},
      {"a.ndjson", "application/x-ndjson"},
      {"a.yaml", "application/yaml"},
      {"a.yml", "application/yaml"},
      {"a.tsv", "text/tab-separated-values"},
      {"a.parquet", "application/vnd.apache.parquet"},
      {"a.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"a.xls", "application/vnd.ms-excel"},
      {"a.md", "text/markdown"},
      {"a.py", "text/x-python"},
      {"a.ipynb", "application/x-ipynb+json"},
      {"a.zip", "application/zip"},
      {"a.csv.gz", "application/gzip"},
      {"a.webp", "image/webp"},
      {"a.gif", "image/gif"},
      {"a.pdf", "application/pdf"},
      {"a.svg", "image/svg+xml"},
      {"a.html", "text/html"},
      {"a.txt", "text/plain"},
      {"a.csv", "text/csv"},
      {"a.json", "application/json"},
      {"a.xml", "application/xml"},
      {"a.geojson", "application/geo+json"},
      {"a.sqlite", "application/vnd.sqlite3"},
      {"a.db", "application/vnd.sqlite3"},
      {"a.png", "image/png"},
      {"a.jpeg", "image/jpeg"},
  };
  for (const auto& [name, type] : cases) EXPECT_EQ(GuessMediaType(name), type) << name;
  EXPECT_EQ(GuessMediaType("data/Sales.XLSX"), GuessMediaType("sales.xlsx")) << "case and folders do not matter";
  EXPECT_EQ(GuessMediaType("/mnt/data/x.CSV"), "text/csv");
  EXPECT_EQ(GuessMediaType("Makefile"), "application/octet-stream");
  EXPECT_EQ(GuessMediaType(".env"), "application/octet-stream");
  EXPECT_EQ(GuessMediaType("a.unknownext"), "application/octet-stream");
  EXPECT_EQ(GuessMediaType(""), "application/octet-stream");
}

}  // namespace
}  // namespace ci
