// libFuzzer target over SseDecoder, both stream decoders and ParseErrorBody.
//
// Input: byte 0 picks the format (bit 0), the SSE bound (bit 1) and seeds the
// split points (bits 2..7); the rest is the response body. Besides the
// sanitizers, one property is checked: a stream decoder gives the same result
// however the body is split into chunks (the decoders' first promise).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/sse.h"
#include "core/stream_decoder.h"

namespace {

// Up to 4 cut points, ascending, from a tiny LCG seeded by the first byte.
std::vector<size_t> Cuts(uint8_t seed, size_t size) {
  std::vector<size_t> cuts;
  uint32_t state = seed * 2654435761u + 1;
  size_t pos = 0;
  for (int i = 0; i < 4 && size > 0; ++i) {
    state = state * 1664525u + 1013904223u;
    pos += (state >> 8) % (size / 3 + 2);
    if (pos > size) break;
    cuts.push_back(pos);
  }
  return cuts;
}

std::string Decode(std::string_view format, std::string_view body, const std::vector<size_t>& cuts) {
  auto decoder = ci::MakeStreamDecoder(format);
  std::vector<ci::StreamDelta> deltas;
  size_t pos = 0;
  for (size_t cut : cuts) {
    decoder->Feed(body.substr(pos, cut - pos), &deltas);
    pos = cut;
  }
  decoder->Feed(body.substr(pos), &deltas);
  decoder->Finish(&deltas);
  for (const ci::StreamDelta& d : deltas) {
    if (d.kind != ci::StreamDelta::Kind::kText && d.kind != ci::StreamDelta::Kind::kThinking &&
        d.tool_index >= decoder->result().tool_calls.size()) {
      std::abort();  // a delta names a tool call that does not exist
    }
  }
  return decoder->result().ToJson().dump(-1, ' ', false, ci::Json::error_handler_t::replace);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<size_t> cuts = Cuts(control >> 2, body.size());

  // Raw SSE framing, with a small bound half of the time.
  ci::SseDecoder sse((control & 2) ? 64 : ci::SseDecoder::kDefaultMaxBufferedBytes);
  std::vector<ci::SseEvent> events;
  size_t pos = 0;
  for (size_t cut : cuts) {
    sse.Feed(body.substr(pos, cut - pos), &events);
    pos = cut;
  }
  sse.Feed(body.substr(pos), &events);
  sse.Finish(&events);

  const char* format = (control & 1) ? "anthropic" : "openai";
  const char* other = (control & 1) ? "openai" : "anthropic";
  std::string whole = Decode(format, body, {});
  std::string split = Decode(format, body, cuts);
  if (whole != split) std::abort();  // the result depends on how the body was split
  Decode(other, body, cuts);

  ci::ParseErrorBody(400 + control, body);
  return 0;
}
