// ci-replay: replays transcripts (tests/transcripts/*.json) through the core
// and reports mismatches. With --print, prints the actual actions of each
// step, for writing a new transcript.
//
//   build/native/ci-replay [--print] FILE...
// Exit: 0 all matched, 1 a mismatch, 2 bad usage or unreadable file.
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/transcript.h"

int main(int argc, char** argv) {
  bool print = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--print") print = true;
    else if (a == "-h" || a == "--help") {
      std::cout << "usage: ci-replay [--print] TRANSCRIPT.json...\n";
      return 0;
    } else files.push_back(a);
  }
  if (files.empty()) {
    std::cerr << "usage: ci-replay [--print] TRANSCRIPT.json...\n";
    return 2;
  }
  int status = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::cerr << f << ": cannot read\n";
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    ci::Json t = ci::Json::parse(ss.str(), nullptr, false);
    if (t.is_discarded()) {
      std::cerr << f << ": not valid JSON\n";
      return 2;
    }
    auto report = ci::ReplayTranscript(t);
    if (print) {
      for (size_t i = 0; i < report.actual.size(); ++i)
        std::cout << "step " << i << ": " << report.actual[i].dump(2, ' ', false, ci::Json::error_handler_t::replace)
                  << "\n";
    }
    std::cout << (report.ok ? "ok   " : "FAIL ") << f << "\n";
    for (const auto& why : report.failures) std::cout << "     " << why << "\n";
    if (!report.ok) status = 1;
  }
  return status;
}
