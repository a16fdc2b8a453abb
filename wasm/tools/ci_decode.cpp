// ci-decode: decode a raw LLM streaming response body, as the core would.
//
//   ci-decode --format openai|anthropic|responses FILE     (FILE may be "-" for stdin)
//
// Prints StreamResult::ToJson() as one line and exits 0 (a stream error is a
// result, not a failure of the tool). Exit 2: bad arguments; exit 1: the file
// cannot be read. The body is fed in chunks of varying sizes so that the
// streaming path (lines and characters split across chunks) is exercised.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "core/stream_decoder.h"

namespace {

int Usage(const char* problem) {
  std::fprintf(stderr,
               "ci-decode: %s\n"
               "usage: ci-decode --format openai|anthropic|responses FILE   (FILE may be - for stdin)\n",
               problem);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string format;
  std::string path;
  bool have_path = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--format") {
      if (i + 1 >= argc) return Usage("--format needs a value");
      format = argv[++i];
    } else if (arg.rfind("--format=", 0) == 0) {
      format = arg.substr(9);
    } else if (arg == "-h" || arg == "--help") {
      return Usage("help");
    } else if (arg.size() > 1 && arg[0] == '-') {
      return Usage(("unknown option " + arg).c_str());
    } else if (have_path) {
      return Usage("more than one FILE given");
    } else {
      path = arg;
      have_path = true;
    }
  }
  if (format.empty()) return Usage("--format is required");
  if (!have_path) return Usage("FILE is required");
  std::unique_ptr<ci::StreamDecoder> decoder = ci::MakeStreamDecoder(format);
  if (!decoder) return Usage(("unknown format \"" + format + "\" (expected openai, anthropic or responses)").c_str());

  std::string body;
  if (path == "-") {
    body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (std::cin.bad()) {
      std::fprintf(stderr, "ci-decode: cannot read stdin\n");
      return 1;
    }
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "ci-decode: cannot open %s\n", path.c_str());
      return 1;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
      std::fprintf(stderr, "ci-decode: cannot read %s\n", path.c_str());
      return 1;
    }
    body = buffer.str();
  }

  // Chunk sizes chosen to land splits inside CRLF pairs, "data:" prefixes and
  // multi-byte characters of typical streams.
  static const size_t kChunkSizes[] = {1, 7, 2, 64, 3, 509, 13, 1, 4096};
  std::vector<ci::StreamDelta> deltas;
  size_t pos = 0;
  for (size_t k = 0; pos < body.size(); ++k) {
    size_t n = kChunkSizes[k % (sizeof(kChunkSizes) / sizeof(kChunkSizes[0]))];
    decoder->Feed(std::string_view(body).substr(pos, n), &deltas);
    pos += n;
  }
  decoder->Finish(&deltas);
  std::cout << decoder->result().ToJson().dump(-1, ' ', false, ci::Json::error_handler_t::replace) << "\n";
  return 0;
}
