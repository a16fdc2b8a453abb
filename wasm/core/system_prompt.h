// The system prompt: tells the model the truth about its sandbox (Python
// version, /mnt/data and the files there with sizes, which packages load,
// the time limit, no network) and how to hand over code.
#pragma once
#include <string>
#include <vector>

#include "core/vfs.h"

namespace ci {

struct SandboxInfo {
  std::string python_version = "3.14";
  std::string runtime = "Pyodide (CPython compiled to WebAssembly) in the user's browser";
  std::vector<std::string> packages;  // importable beyond the standard library (loaded on import)
  int64_t time_limit_ms = 120000;     // per run
  bool network = false;
  // Packages beyond the list can be installed from a package index the page
  // fetches from, with the user's consent (%pip install, micropip.install).
  bool package_index = false;

  Json ToJson() const;
  static SandboxInfo FromJson(const Json& j);  // missing keys keep defaults
};

// tools: the model calls the python tool (true) or writes ```python blocks (false).
// extra: the user's own addition, appended last.
std::string BuildSystemPrompt(const SandboxInfo& sandbox, const Vfs& vfs, bool tools, const std::string& extra);

// "1.2 MB", "532 B": sizes as people read them.
std::string HumanSize(uint64_t bytes);

}  // namespace ci
