// The virtual filesystem: path validation, quotas, change tracking and
// persistence. The rules are at the top of vfs.h; the decisions made here:
//
// Paths (NormalizePath, the one validator):
// - "/mnt/data/x" and "./x" mean "x"; empty and "." segments (from "a//b",
//   "a/./b") are dropped. "/mnt/data" itself names the root, not a file.
// - Refused: other absolute paths; ".." and any segment of only dots; a
//   segment ending in "." or " " (Windows drops those when the file is
//   downloaded, so "a." and "a" would collide); NUL, C0 and C1 control
//   characters and DEL; backslash (a separator on Windows, and a way to
//   smuggle "..\"); invalid UTF-8 (overlong forms, surrogates, > U+10FFFF);
//   the bidi embedding/override/isolate characters (U+202A..U+202E,
//   U+2066..U+2069), which make "evil\u202Etxt.exe" display as another name.
// - Characters that are merely awkward on Windows (<>:"|?*) and its reserved
//   names (CON, NUL) are allowed: Python on Pyodide handles them, and the
//   browser sanitizes download names itself.
// - Limits apply to the normalized path: bytes of the whole path, bytes of
//   one segment, number of segments.
// - Error messages quote the path with control, invalid and bidi bytes
//   escaped (\xNN, \uNNNN), cut to a readable length.
//
// Files and folders: there are no folder entries; a folder exists while a
// file lies under it. So a file "a" and a file "a/b" cannot both exist
// (either write is refused with "is_directory"), as in a real filesystem.
//
// Sync: sandbox_versions_ maps each path the sandbox holds to the version it
// holds. Version 0 means "the sandbox holds bytes that are no version the VFS
// has": bytes the VFS refused (a sandbox write over quota) or a file the user
// removed since (a new file of that name starts at version 1 again). The
// next plan then replaces or removes them, so the VFS stays the truth. A plan's removes should be applied before its
// writes (a removed file "a" may be replaced by a file "a/b").
#include "core/vfs.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <stdexcept>
#include <utility>

namespace ci {
namespace {

constexpr std::string_view kRootPrefix = "/mnt/data/";
constexpr std::string_view kRoot = "/mnt/data";
constexpr size_t kMaxShownPathBytes = 120;

// Decodes one UTF-8 sequence at s[i]. Returns its length and sets *cp, or
// returns 0 when the sequence is invalid (truncated, overlong, surrogate,
// out of range).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // > U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  uint32_t value = b0 & (0xFF >> (len + 1));
  for (size_t k = 1; k < len; ++k) value = (value << 6) | (byte(i + k) & 0x3F);
  *cp = value;
  return len;
}

bool IsControl(uint32_t cp) { return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F); }

bool IsBidiControl(uint32_t cp) { return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069); }

// The path as it can be shown in a message: valid UTF-8, nothing invisible.
std::string ShowPath(std::string_view path) {
  std::string out;
  char buf[16];
  size_t i = 0;
  while (i < path.size()) {
    if (out.size() >= kMaxShownPathBytes) {
      out += "...";
      break;
    }
    uint32_t cp = 0;
    size_t len = DecodeUtf8(path, i, &cp);
    if (len == 0) {
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned char>(path[i]));
      out += buf;
      ++i;
      continue;
    }
    if (IsControl(cp) || IsBidiControl(cp)) {
      std::snprintf(buf, sizeof buf, cp < 0x100 ? "\\x%02X" : "\\u%04X", static_cast<unsigned>(cp));
      out += buf;
    } else if (cp == '\\') {
      out += "\\\\";
    } else {
      out.append(path.substr(i, len));
    }
    i += len;
  }
  return out;
}

VfsError InvalidPath(std::string_view path, const std::string& rule) {
  return VfsError{"invalid_path", "Invalid file name \"" + ShowPath(path) + "\": " + rule};
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Checks the characters of the whole input (before any splitting).
std::optional<VfsError> CheckCharacters(std::string_view path) {
  size_t i = 0;
  while (i < path.size()) {
    uint32_t cp = 0;
    size_t len = DecodeUtf8(path, i, &cp);
    if (len == 0) return InvalidPath(path, "it is not valid UTF-8 text");
    if (cp == 0) return InvalidPath(path, "NUL characters are not allowed");
    if (IsControl(cp)) return InvalidPath(path, "control characters are not allowed");
    if (cp == '\\') return InvalidPath(path, "backslashes are not allowed (use \"/\" between folders)");
    if (IsBidiControl(cp)) {
      return InvalidPath(path, "text-direction control characters are not allowed (they disguise the name)");
    }
    i += len;
  }
  return std::nullopt;
}

std::optional<VfsError> CheckSegment(std::string_view path, std::string_view segment, const VfsLimits& limits) {
  if (segment == "..") return InvalidPath(path, "\"..\" is not allowed (files live under /mnt/data)");
  if (segment.find_first_not_of('.') == std::string_view::npos) {
    return InvalidPath(path, "a name of only dots is not allowed");
  }
  if (segment.back() == '.' || segment.back() == ' ') {
    return InvalidPath(path, "a name may not end with a dot or a space");
  }
  if (segment.size() > limits.max_segment_bytes) {
    return InvalidPath(path, "the name \"" + ShowPath(segment) + "\" is longer than " +
                                 std::to_string(limits.max_segment_bytes) + " bytes");
  }
  return std::nullopt;
}

// An integer >= 0, however nlohmann stored it (parsed text gives unsigned,
// C++ literals give signed).
bool IsNonNegative(const Json& j) { return j.is_number_unsigned() || (j.is_number_integer() && j.get<int64_t>() >= 0); }

uint64_t UnsignedOr(const Json& j, const char* key, uint64_t fallback) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!IsNonNegative(*it)) {
    throw std::invalid_argument(std::string("vfs limits: \"") + key + "\" must be a non-negative integer");
  }
  return it->get<uint64_t>();
}

std::string HumanBytes(uint64_t n) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  if (n < 1024) return std::to_string(n) + " bytes";
  double value = static_cast<double>(n);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < sizeof units / sizeof *units) {
    value /= 1024;
    ++unit;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, units[unit]);
  return std::string(buf) + " (" + std::to_string(n) + " bytes)";
}

}  // namespace

// ------------------------------------------------------------------ limits

Json VfsLimits::ToJson() const {
  return Json{{"max_total_bytes", max_total_bytes}, {"max_file_bytes", max_file_bytes},       {"max_files", max_files},
              {"max_path_bytes", max_path_bytes},   {"max_segment_bytes", max_segment_bytes}, {"max_depth", max_depth}};
}

VfsLimits VfsLimits::FromJson(const Json& j) {
  if (!j.is_object()) throw std::invalid_argument("vfs limits must be a JSON object");
  VfsLimits limits;
  limits.max_total_bytes = UnsignedOr(j, "max_total_bytes", limits.max_total_bytes);
  limits.max_file_bytes = UnsignedOr(j, "max_file_bytes", limits.max_file_bytes);
  limits.max_files = static_cast<size_t>(UnsignedOr(j, "max_files", limits.max_files));
  limits.max_path_bytes = static_cast<size_t>(UnsignedOr(j, "max_path_bytes", limits.max_path_bytes));
  limits.max_segment_bytes = static_cast<size_t>(UnsignedOr(j, "max_segment_bytes", limits.max_segment_bytes));
  limits.max_depth = static_cast<size_t>(UnsignedOr(j, "max_depth", limits.max_depth));
  return limits;
}

Json FileEntry::IndexJson() const {
  return Json{{"path", path},
              {"media_type", media_type},
              {"size", size},
              {"version", version},
              {"origin", origin},
              {"exec_id", exec_id},
              {"created_ms", created_ms},
              {"modified_ms", modified_ms}};
}

// ------------------------------------------------------------------- paths

std::optional<VfsError> NormalizePath(std::string_view path, const VfsLimits& limits, std::string* out) {
  if (path.empty()) return InvalidPath(path, "the name is empty");
  if (auto error = CheckCharacters(path)) return error;

  std::string_view rest = path;
  if (rest == kRoot || rest == kRootPrefix) return InvalidPath(path, "/mnt/data is the folder itself, not a file");
  if (StartsWith(rest, kRootPrefix)) {
    rest.remove_prefix(kRootPrefix.size());
  } else if (!rest.empty() && rest.front() == '/') {
    return InvalidPath(path, "absolute paths outside /mnt/data are not allowed");
  }

  std::string normalized;
  size_t depth = 0;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (segment.empty() || segment == ".") continue;
    if (auto error = CheckSegment(path, segment, limits)) return error;
    if (!normalized.empty()) normalized += '/';
    normalized.append(segment);
    ++depth;
  }
  if (normalized.empty()) return InvalidPath(path, "it names no file");
  if (depth > limits.max_depth) {
    return InvalidPath(path, "it is nested deeper than " + std::to_string(limits.max_depth) + " folders");
  }
  if (normalized.size() > limits.max_path_bytes) {
    return InvalidPath(path, "it is longer than " + std::to_string(limits.max_path_bytes) + " bytes");
  }
  *out = std::move(normalized);
  return std::nullopt;
}

// The one table of media types (the UI asks for it through the bound
// mediaTypeFor, so an upload's type and a download's type agree). Keyed by
// the last extension, lower-case; compound names (.tar.gz) take the last one.
std::string GuessMediaType(std::string_view path) {
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      // text and data
      {"csv", "text/csv"},
      {"tsv", "text/tab-separated-values"},
      {"tab", "text/tab-separated-values"},
      {"txt", "text/plain"},
      {"text", "text/plain"},
      {"log", "text/plain"},
      {"md", "text/markdown"},
      {"markdown", "text/markdown"},
      {"rst", "text/x-rst"},
      {"json", "application/json"},
      {"geojson", "application/geo+json"},
      {"topojson", "application/json"},
      {"jsonl", "application/x-ndjson"},
      {"ndjson", "application/x-ndjson"},
      {"xml", "application/xml"},
      {"kml", "application/vnd.google-earth.kml+xml"},
      {"gpx", "application/gpx+xml"},
      {"html", "text/html"},
      {"htm", "text/html"},
      {"css", "text/css"},
      {"js", "text/javascript"},
      {"mjs", "text/javascript"},
      {"yaml", "application/yaml"},
      {"yml", "application/yaml"},
      {"toml", "application/toml"},
      {"ini", "text/plain"},
      {"cfg", "text/plain"},
      {"sql", "application/sql"},
      {"tex", "application/x-tex"},
      {"bib", "text/plain"},
      {"rtf", "application/rtf"},
      // code
      {"py", "text/x-python"},
      {"ipynb", "application/x-ipynb+json"},
      {"r", "text/x-r"},
      {"sh", "text/x-shellscript"},
      {"c", "text/x-c"},
      {"h", "text/x-c"},
      {"cpp", "text/x-c++"},
      {"java", "text/x-java"},
      {"ts", "text/plain"},  // not video/mp2t: people upload TypeScript, not MPEG streams
      // images
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"avif", "image/avif"},
      {"bmp", "image/bmp"},
      {"ico", "image/vnd.microsoft.icon"},
      {"tif", "image/tiff"},
      {"tiff", "image/tiff"},
      {"svg", "image/svg+xml"},
      {"heic", "image/heic"},
      // documents
      {"pdf", "application/pdf"},
      {"epub", "application/epub+zip"},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"xlsm", "application/vnd.ms-excel.sheet.macroEnabled.12"},
      {"xls", "application/vnd.ms-excel"},
      {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
      {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {"doc", "application/msword"},
      {"odt", "application/vnd.oasis.opendocument.text"},
      {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
      {"ppt", "application/vnd.ms-powerpoint"},
      // archives
      {"zip", "application/zip"},
      {"gz", "application/gzip"},
      {"tgz", "application/gzip"},
      {"bz2", "application/x-bzip2"},
      {"xz", "application/x-xz"},
      {"zst", "application/zstd"},
      {"7z", "application/x-7z-compressed"},
      {"tar", "application/x-tar"},
      {"whl", "application/zip"},  // a wheel is a zip
      // data formats of the Python stack
      {"parquet", "application/vnd.apache.parquet"},
      {"feather", "application/vnd.apache.arrow.file"},
      {"arrow", "application/vnd.apache.arrow.file"},
      {"avro", "application/avro"},
      {"h5", "application/x-hdf5"},
      {"hdf5", "application/x-hdf5"},
      {"nc", "application/x-netcdf"},
      {"sqlite", "application/vnd.sqlite3"},
      {"sqlite3", "application/vnd.sqlite3"},
      {"db", "application/vnd.sqlite3"},
      {"npy", "application/x-npy"},
      {"npz", "application/zip"},  // an .npz is a zip of .npy files
      {"pkl", "application/x-pickle"},
      {"pickle", "application/x-pickle"},
      {"dta", "application/x-stata-dta"},
      {"sav", "application/x-spss-sav"},
      {"sas7bdat", "application/x-sas-data"},
      {"shp", "application/vnd.shp"},
      {"dbf", "application/vnd.dbf"},
      // audio and video
      {"wav", "audio/wav"},
      {"mp3", "audio/mpeg"},
      {"ogg", "audio/ogg"},
      {"flac", "audio/flac"},
      {"m4a", "audio/mp4"},
      {"mp4", "video/mp4"},
      {"webm", "video/webm"},
      {"mov", "video/quicktime"},
  };
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "application/octet-stream";  // ".env" has no extension
  std::string ext(name.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = kTypes.find(ext);
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

// --------------------------------------------------------------------- Vfs

Vfs::Vfs(VfsLimits limits) : limits_(limits) {}

std::optional<VfsError> Vfs::Write(std::string_view path, std::string bytes, std::string_view media_type,
                                   std::string_view origin, std::string_view exec_id, int64_t now_ms) {
  std::string normalized;
  if (auto error = NormalizePath(path, limits_, &normalized)) return error;
  return WriteInternal(normalized, std::move(bytes), media_type, origin, exec_id, now_ms);
}

std::optional<VfsError> Vfs::WriteInternal(const std::string& path, std::string bytes, std::string_view media_type,
                                           std::string_view origin, std::string_view exec_id, int64_t now_ms) {
  // A file under this path makes it a folder.
  const std::string as_folder = path + "/";
  auto below = files_.lower_bound(as_folder);
  if (below != files_.end() && StartsWith(below->first, as_folder)) {
    return VfsError{"is_directory", "Cannot write \"" + ShowPath(path) + "\": it is a folder (it holds \"" +
                                        ShowPath(below->first) + "\")"};
  }
  // A file at a parent of this path would have to be a folder.
  for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    std::string parent = path.substr(0, slash);
    if (files_.count(parent)) {
      return VfsError{"is_directory",
                      "Cannot write \"" + ShowPath(path) + "\": \"" + ShowPath(parent) + "\" is a file, not a folder"};
    }
  }

  const uint64_t size = bytes.size();
  if (size > limits_.max_file_bytes) {
    return VfsError{"file_too_large", "Cannot write \"" + ShowPath(path) + "\": its size, " + HumanBytes(size) +
                                          ", is over the limit of " + HumanBytes(limits_.max_file_bytes) + " per file"};
  }
  auto existing = files_.find(path);
  const uint64_t old_size = existing == files_.end() ? 0 : existing->second.size;
  const uint64_t new_total = total_bytes_ - old_size + size;
  if (new_total > limits_.max_total_bytes) {
    return VfsError{"quota_bytes", "Cannot write \"" + ShowPath(path) + "\" (" + HumanBytes(size) +
                                       "): all files together would take " + HumanBytes(new_total) +
                                       ", over the limit of " + HumanBytes(limits_.max_total_bytes)};
  }
  if (existing == files_.end() && files_.size() >= limits_.max_files) {
    return VfsError{"quota_files", "Cannot create \"" + ShowPath(path) + "\": there are already " +
                                       std::to_string(files_.size()) + " files, the limit is " +
                                       std::to_string(limits_.max_files)};
  }

  // Checks passed: from here on nothing fails.
  FileEntry& entry = files_[path];
  if (existing == files_.end()) {
    entry.path = path;
    entry.version = 1;
    entry.created_ms = now_ms;
  } else {
    ++entry.version;
  }
  entry.media_type = media_type.empty() ? GuessMediaType(path) : std::string(media_type);
  entry.bytes = std::make_shared<const std::string>(std::move(bytes));
  entry.size = size;
  entry.origin = std::string(origin);
  entry.exec_id = std::string(exec_id);
  entry.modified_ms = now_ms;
  total_bytes_ = new_total;
  return std::nullopt;
}

std::optional<VfsError> Vfs::Remove(std::string_view path) {
  std::string normalized;
  if (auto error = NormalizePath(path, limits_, &normalized)) return error;
  auto it = files_.find(normalized);
  if (it == files_.end()) {
    return VfsError{"not_found", "Cannot remove \"" + ShowPath(normalized) + "\": there is no such file"};
  }
  total_bytes_ -= it->second.size;
  files_.erase(it);
  // The sandbox may still hold it: mark its copy stale (version 0), so a new
  // file of this name (version 1 again) is not mistaken for it.
  auto held = sandbox_versions_.find(normalized);
  if (held != sandbox_versions_.end()) held->second = 0;
  return std::nullopt;
}

std::optional<VfsError> Vfs::ApplySandboxWrite(std::string_view path, std::string bytes, std::string_view exec_id,
                                               int64_t now_ms) {
  std::string normalized;
  if (auto error = NormalizePath(path, limits_, &normalized)) return error;
  auto error = WriteInternal(normalized, std::move(bytes), "", "exec", exec_id, now_ms);
  // Refused: the sandbox still holds bytes the VFS does not (version 0), so
  // the next plan puts the VFS's version back or removes them.
  sandbox_versions_[normalized] = error ? 0 : files_.at(normalized).version;
  return error;
}

std::optional<VfsError> Vfs::ApplySandboxRemove(std::string_view path) {
  std::string normalized;
  if (auto error = NormalizePath(path, limits_, &normalized)) return error;
  sandbox_versions_.erase(normalized);  // the sandbox no longer has it, whatever we had
  return Remove(normalized);
}

const FileEntry* Vfs::Find(std::string_view path) const {
  std::string normalized;
  if (NormalizePath(path, limits_, &normalized)) return nullptr;
  auto it = files_.find(normalized);
  return it == files_.end() ? nullptr : &it->second;
}

std::vector<const FileEntry*> Vfs::List() const {
  std::vector<const FileEntry*> out;
  out.reserve(files_.size());
  for (const auto& [path, entry] : files_) out.push_back(&entry);
  return out;
}

Vfs::SyncPlan Vfs::PlanSync() const {
  SyncPlan plan;
  for (const auto& [path, entry] : files_) {
    auto held = sandbox_versions_.find(path);
    if (held == sandbox_versions_.end() || held->second != entry.version) plan.write.push_back(path);
  }
  for (const auto& [path, version] : sandbox_versions_) {
    if (!files_.count(path)) plan.remove.push_back(path);
  }
  return plan;
}

void Vfs::MarkSynced() {
  sandbox_versions_.clear();
  for (const auto& [path, entry] : files_) sandbox_versions_[path] = entry.version;
}

void Vfs::ForgetSandbox() { sandbox_versions_.clear(); }

Json Vfs::IndexJson() const {
  Json files = Json::array();
  for (const auto& [path, entry] : files_) files.push_back(entry.IndexJson());
  return Json{{"files", std::move(files)}};
}

Vfs Vfs::Restore(const Json& index, const std::map<std::string, std::string>& bytes, VfsLimits limits,
                 std::vector<std::string>* problems) {
  Vfs vfs(limits);
  auto report = [problems](std::string problem) {
    if (problems) problems->push_back(std::move(problem));
  };
  const Json* files = nullptr;
  if (index.is_object()) {
    auto it = index.find("files");
    if (it != index.end() && it->is_array()) files = &*it;
  }
  if (!files) {
    report("The file index is damaged (no \"files\" list): no files were restored");
    return vfs;
  }
  for (const Json& item : *files) {
    if (!item.is_object() || !item.contains("path") || !item["path"].is_string()) {
      report("Skipped an entry of the file index without a path");
      continue;
    }
    const std::string stored_path = item["path"].get<std::string>();
    const auto number = [&item](const char* key) -> const Json* {
      auto it = item.find(key);
      return it != item.end() && it->is_number_integer() ? &*it : nullptr;
    };
    const auto text = [&item](const char* key) {
      auto it = item.find(key);
      return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string path;
    if (auto error = NormalizePath(stored_path, limits, &path)) {
      report("Skipped a file: " + error->message);
      continue;
    }
    auto found = bytes.find(stored_path);
    if (found == bytes.end()) {
      report("Skipped \"" + ShowPath(path) + "\": its contents are missing");
      continue;
    }
    // Bytes whose length the index does not expect are kept, not dropped:
    // they are what exists (a file is never lost silently); the user is told.
    const Json* size = number("size");
    if (!size || !IsNonNegative(*size) || size->get<uint64_t>() != found->second.size()) {
      report("Kept \"" + ShowPath(path) + "\" as it was stored (" + std::to_string(found->second.size()) +
             " bytes), though the file list says " + (size ? size->dump() + " bytes" : std::string("no size")) +
             ": it may be older or newer than the rest of this conversation");
    }
    if (vfs.files_.count(path)) {
      report("Skipped \"" + ShowPath(path) + "\": it appears twice in the file index");
      continue;
    }
    const Json* created = number("created_ms");
    const Json* modified = number("modified_ms");
    const int64_t modified_ms = modified ? modified->get<int64_t>() : 0;
    if (auto error =
            vfs.WriteInternal(path, found->second, text("media_type"), text("origin"), text("exec_id"), modified_ms)) {
      report("Skipped a file: " + error->message);
      continue;
    }
    FileEntry& entry = vfs.files_.at(path);
    const Json* version = number("version");
    if (version && IsNonNegative(*version) && version->get<uint64_t>() > 0 && version->get<uint64_t>() <= UINT32_MAX) {
      entry.version = version->get<uint32_t>();
    }
    entry.created_ms = created ? created->get<int64_t>() : modified_ms;
  }
  // A restored VFS pairs with a new, empty sandbox: sandbox_versions_ stays empty.
  return vfs;
}

}  // namespace ci
