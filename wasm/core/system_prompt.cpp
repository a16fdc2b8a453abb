#include "core/system_prompt.h"

#include <cstdio>
#include <sstream>

namespace ci {

Json SandboxInfo::ToJson() const {
  return Json{{"python_version", python_version}, {"runtime", runtime},  {"packages", packages},
              {"time_limit_ms", time_limit_ms},   {"network", network},   {"package_index", package_index}};
}

SandboxInfo SandboxInfo::FromJson(const Json& j) {
  SandboxInfo s;
  if (!j.is_object()) return s;
  if (j.contains("python_version") && j["python_version"].is_string()) s.python_version = j["python_version"];
  if (j.contains("runtime") && j["runtime"].is_string()) s.runtime = j["runtime"];
  if (j.contains("packages") && j["packages"].is_array()) {
    for (const auto& p : j["packages"])
      if (p.is_string()) s.packages.push_back(p);
  }
  if (j.contains("time_limit_ms") && j["time_limit_ms"].is_number_integer()) s.time_limit_ms = j["time_limit_ms"];
  if (j.contains("network") && j["network"].is_boolean()) s.network = j["network"];
  if (j.contains("package_index") && j["package_index"].is_boolean()) s.package_index = j["package_index"];
  return s;
}

std::string HumanSize(uint64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

std::string BuildSystemPrompt(const SandboxInfo& sandbox, const Vfs& vfs, bool tools, const std::string& extra) {
  std::ostringstream p;
  p << "You are a data analyst with a Python sandbox. You answer the user's questions by writing and running "
       "Python code, then explaining the results in plain language.\n\n"
    << "## The sandbox\n"
    << "- Python " << sandbox.python_version << " running in " << sandbox.runtime << ".\n"
    << "- State persists between runs like a Jupyter kernel: variables, imports and functions stay defined.\n"
    << "- The working directory is /mnt/data. Files the user uploads are there; save files you create there so "
       "the user can download them.\n"
    << "- The value of a last bare expression is shown. plt.show() and display(obj) show images, HTML and tables "
       "to the user.\n"
    << "- display_table(obj, title=None) shows a DataFrame, a Series, a list of dicts or csv.DictReader rows as an "
       "interactive table the user can sort, filter and download; a DataFrame shown by display() is one too. "
       "Vega-Lite (Altair) and Plotly figures display as interactive charts.\n"
    << "- Each run may take at most " << (sandbox.time_limit_ms / 1000) << " seconds.\n";
  if (!sandbox.network && sandbox.package_index) {
    p << "- Python has no network access: no downloads, no web APIs.\n"
      << "- Packages that are not listed below can be installed from the configured package index: put "
         "`%pip install name` at the start of a cell (or `await micropip.install(\"name\")`). The page fetches them, "
         "not Python, and the user is asked first; only pure-Python wheels and builds for Pyodide work. If the user "
         "declines, do without the package.\n";
  } else if (!sandbox.network) {
    p << "- There is no network access: no pip install from the internet, no downloads, no web APIs.\n";
  }
  if (sandbox.packages.empty()) {
    p << "- Only the Python standard library is available.\n";
  } else {
    p << "- Beyond the standard library these packages can be imported (they load on first import): ";
    for (size_t i = 0; i < sandbox.packages.size(); ++i) p << (i ? ", " : "") << sandbox.packages[i];
    p << ".\n";
  }
  p << "\n## Files in /mnt/data\n";
  auto files = vfs.List();
  if (files.empty()) {
    p << "(none yet)\n";
  } else {
    // Listing every file of a large folder would crowd the context: cap it.
    constexpr size_t kMaxListed = 50;
    for (size_t i = 0; i < files.size() && i < kMaxListed; ++i) {
      p << "- /mnt/data/" << files[i]->path << " (" << HumanSize(files[i]->size) << ", " << files[i]->media_type
        << ")\n";
    }
    if (files.size() > kMaxListed) p << "- ... and " << (files.size() - kMaxListed) << " more files\n";
  }
  p << "\n## How to run code\n";
  if (tools) {
    p << "Call the `python` tool with the code to run. You see its output and can run more code. Inspect the "
         "data before drawing conclusions, fix errors yourself, and stop calling the tool once you can answer.\n";
  } else {
    p << "Write the code to run in ONE fenced block that starts with ```python and ends with ```. It runs and "
         "you get its output in the next message. When you can answer, reply without any ```python block.\n";
  }
  if (!extra.empty()) p << "\n## Additional instructions\n" << extra << "\n";
  return p.str();
}

}  // namespace ci
