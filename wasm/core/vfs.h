// The virtual filesystem: the truth about the conversation's files. Python
// sees it as /mnt/data. Paths here are relative to that root, normalized,
// '/'-separated ("data/sales.csv").
//
// Rules:
// - Every path from outside goes through NormalizePath (the one validator).
// - Quotas (total bytes, file count, file size) are checked before any
//   change; a refused write changes nothing.
// - Change tracking: the VFS remembers which version of each file the
//   sandbox holds. PlanSync() says what to send in before a run (only what
//   changed); ApplySandboxWrite/Remove record what the sandbox changed (so
//   it is not sent back in); ForgetSandbox() after a sandbox restart makes
//   the next plan send every file again. Files are never lost by a restart.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace ci {

struct VfsLimits {
  uint64_t max_total_bytes = 1024ull << 20;  // 1 GiB
  uint64_t max_file_bytes = 512ull << 20;    // 512 MiB
  size_t max_files = 2000;
  size_t max_path_bytes = 1024;
  size_t max_segment_bytes = 255;
  size_t max_depth = 32;

  Json ToJson() const;
  static VfsLimits FromJson(const Json& j);  // missing keys keep defaults
};

struct VfsError {
  std::string code;     // "invalid_path" | "file_too_large" | "quota_bytes" | "quota_files" | "not_found" | "is_directory"
  std::string message;  // clear, names the path and the limit
};

struct FileEntry {
  std::string path;
  std::string media_type;
  std::shared_ptr<const std::string> bytes;  // immutable; shared, never copied on read
  uint64_t size = 0;
  uint32_t version = 0;     // 1 when created, +1 on each change
  std::string origin;       // "upload" | "exec"
  std::string exec_id;      // execution that last wrote it ("" for uploads)
  int64_t created_ms = 0;
  int64_t modified_ms = 0;

  Json IndexJson() const;  // everything but the bytes
};

// Accepts "a/b.csv", "./a/b.csv", "/mnt/data/a/b.csv"; rejects empty paths,
// other absolute paths, "..", NUL and control characters, backslashes,
// invalid UTF-8, names of only dots, and paths over the length/depth limits.
// On success writes the normalized path to *out.
std::optional<VfsError> NormalizePath(std::string_view path, const VfsLimits& limits, std::string* out);

// Media type from the file extension (case-insensitive); "application/octet-stream" if unknown.
// The one table: the UI asks for it through the bound mediaTypeFor(name), and
// an upload with media_type "" gets this guess.
std::string GuessMediaType(std::string_view path);

class Vfs {
 public:
  explicit Vfs(VfsLimits limits = {});

  // Creates or replaces a file. media_type "" means guess from the name.
  std::optional<VfsError> Write(std::string_view path, std::string bytes, std::string_view media_type,
                                std::string_view origin, std::string_view exec_id, int64_t now_ms);
  std::optional<VfsError> Remove(std::string_view path);

  // The same, for changes the sandbox itself made and reported: recorded as
  // already present in the sandbox.
  std::optional<VfsError> ApplySandboxWrite(std::string_view path, std::string bytes, std::string_view exec_id,
                                            int64_t now_ms);
  std::optional<VfsError> ApplySandboxRemove(std::string_view path);

  const FileEntry* Find(std::string_view path) const;  // path is normalized first
  std::vector<const FileEntry*> List() const;           // sorted by path
  uint64_t total_bytes() const { return total_bytes_; }
  size_t file_count() const { return files_.size(); }
  const VfsLimits& limits() const { return limits_; }
  void set_limits(const VfsLimits& limits) { limits_ = limits; }

  struct SyncPlan {
    std::vector<std::string> write;   // paths whose current version the sandbox lacks
    std::vector<std::string> remove;  // paths the sandbox has that no longer exist
    bool empty() const { return write.empty() && remove.empty(); }
  };
  SyncPlan PlanSync() const;
  void MarkSynced();      // the sandbox applied the last PlanSync
  void ForgetSandbox();   // the sandbox restarted with an empty /mnt/data

  // Index of every file (no bytes) for persistence; restore takes the index
  // and the bytes of each path. A file whose bytes are missing is skipped and
  // reported in *problems; one whose size differs from the index is kept as
  // stored (what exists) and reported.
  Json IndexJson() const;
  static Vfs Restore(const Json& index, const std::map<std::string, std::string>& bytes, VfsLimits limits,
                     std::vector<std::string>* problems);

 private:
  std::optional<VfsError> WriteInternal(const std::string& path, std::string bytes, std::string_view media_type,
                                        std::string_view origin, std::string_view exec_id, int64_t now_ms);
  VfsLimits limits_;
  std::map<std::string, FileEntry> files_;
  std::map<std::string, uint32_t> sandbox_versions_;  // what the sandbox holds
  uint64_t total_bytes_ = 0;
};

}  // namespace ci
