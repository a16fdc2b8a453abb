// Native throughput of ci::MakeStreamDecoder: reads a recorded-shape SSE
// body, feeds it in fixed-size chunks (like network reads), collects every
// delta, and repeats. Prints one JSON line:
//   {"format","bytes","chunk","runs","deltas","seconds_best","mb_per_s"}
// (MB = 1e6 bytes). With --dump PATH it also writes what the deltas of the
// last run reconstruct, {"text","tool_calls":[{"name","arguments"}],
// "result":<StreamResult::ToJson()>}, so bench/run.mjs can check that every
// decoder measured gives the same answer.
//
// Usage: decode_bench FORMAT FILE [--runs N] [--chunk BYTES] [--dump PATH]
// Built and run by bench/run.mjs; exits 1 with a message on bad input.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/stream_decoder.h"

namespace {

struct Options {
  std::string format;
  std::string file;
  int runs = 5;
  size_t chunk = 4096;
  std::string dump_path;
};

bool ParseOptions(int argc, char** argv, Options* options) {
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--runs" && has_value) {
      options->runs = std::atoi(argv[++i]);
    } else if (arg == "--chunk" && has_value) {
      options->chunk = static_cast<size_t>(std::atol(argv[++i]));
    } else if (arg == "--dump" && has_value) {
      options->dump_path = argv[++i];
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2 || options->runs < 1 || options->chunk < 1) return false;
  options->format = positional[0];
  options->file = positional[1];
  return true;
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

// One complete decode of `body`, as the glue does it: chunked Feed, then
// Finish. The decoder and the deltas live until the caller drops them, so
// their cost (allocation and freeing) is part of what is measured.
std::unique_ptr<ci::StreamDecoder> DecodeOnce(const Options& options, std::string_view body,
                                              std::vector<ci::StreamDelta>* deltas) {
  auto decoder = ci::MakeStreamDecoder(options.format);
  for (size_t offset = 0; offset < body.size(); offset += options.chunk)
    decoder->Feed(body.substr(offset, options.chunk), deltas);
  decoder->Finish(deltas);
  return decoder;
}

// What the deltas say, reassembled the way a UI would: text deltas appended,
// tool calls opened by kToolCallBegin (name) and grown by their fragments.
ci::Json Reconstruct(const std::vector<ci::StreamDelta>& deltas) {
  std::string text;
  std::vector<std::pair<std::string, std::string>> tools;  // name, arguments
  for (const auto& d : deltas) {
    switch (d.kind) {
      case ci::StreamDelta::Kind::kText:
        text += d.text;
        break;
      case ci::StreamDelta::Kind::kThinking:
        break;
      case ci::StreamDelta::Kind::kToolCallBegin:
        if (tools.size() <= d.tool_index) tools.resize(d.tool_index + 1);
        tools[d.tool_index].first = d.text;
        break;
      case ci::StreamDelta::Kind::kToolCallArguments:
        if (tools.size() <= d.tool_index) tools.resize(d.tool_index + 1);
        tools[d.tool_index].second += d.text;
        break;
    }
  }
  ci::Json calls = ci::Json::array();
  for (const auto& [name, arguments] : tools) calls.push_back({{"name", name}, {"arguments", arguments}});
  return ci::Json{{"text", text}, {"tool_calls", calls}};
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseOptions(argc, argv, &options)) {
    std::cerr << "usage: decode_bench openai|anthropic FILE [--runs N] [--chunk BYTES] [--dump PATH]\n";
    return 1;
  }
  if (!ci::MakeStreamDecoder(options.format)) {
    std::cerr << "decode_bench: unknown format \"" << options.format << "\"\n";
    return 1;
  }
  std::string body;
  if (!ReadFile(options.file, &body)) {
    std::cerr << "decode_bench: cannot read " << options.file << "\n";
    return 1;
  }

  using Clock = std::chrono::steady_clock;
  double best = 1e300;
  std::vector<ci::StreamDelta> last_deltas;
  std::unique_ptr<ci::StreamDecoder> last_decoder;
  // One warm-up run (page faults, allocator growth), then the timed runs.
  for (int run = -1; run < options.runs; ++run) {
    std::vector<ci::StreamDelta> deltas;
    auto start = Clock::now();
    auto decoder = DecodeOnce(options, body, &deltas);
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (run >= 0 && seconds < best) best = seconds;
    last_deltas = std::move(deltas);
    last_decoder = std::move(decoder);
  }

  if (!options.dump_path.empty()) {
    ci::Json dump = Reconstruct(last_deltas);
    dump["result"] = last_decoder->result().ToJson();
    std::ofstream out(options.dump_path, std::ios::binary);
    out << dump.dump(-1, ' ', false, ci::Json::error_handler_t::replace);
    if (!out) {
      std::cerr << "decode_bench: cannot write " << options.dump_path << "\n";
      return 1;
    }
  }

  ci::Json report{{"format", options.format},
                  {"bytes", body.size()},
                  {"chunk", options.chunk},
                  {"runs", options.runs},
                  {"deltas", last_deltas.size()},
                  {"seconds_best", best},
                  {"mb_per_s", body.size() / 1e6 / best}};
  std::cout << report.dump() << "\n";
  return 0;
}
