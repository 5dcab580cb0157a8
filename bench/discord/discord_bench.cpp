// musicbot_bench_discord: the gateway's receive path.
//
// BM_gateway_inflate_parse (zlib-stream frames -> typed events) against its
// baseline BM_inflate_only (the same frames, inflate only), on
//  - "testdata": the shared connection-1 frames (hello, split READY, guild,
//    voice, interaction, ACK and a 1.1 MiB GUILD_CREATE), and
//  - "small": a stream of 1,000 everyday events (voice state/server updates,
//    interactions, heartbeat ACKs, raw MESSAGE_CREATE) compressed the way
//    Discord does (one zlib context, a sync flush per message), and
//  - "small, varied ids": the same stream with every snowflake replaced by
//    random digits per event (real events differ in ids, so deflate cannot
//    match whole messages and inflating does real work).
#include "musicbot/discord/gateway_payload.hpp"
#include "musicbot/discord/zlib_stream.hpp"

#include <benchmark/benchmark.h>
#include <zlib.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using musicbot::discord::gateway_parser;
using musicbot::discord::gateway_payload;
using musicbot::discord::json_padding;
using musicbot::discord::zlib_stream_inflater;

std::string read(const std::string& rel) {
  std::ifstream in(std::string(MUSICBOT_TESTDATA_DIR) + "/discord/" + rel, std::ios::binary);
  if (!in) throw std::runtime_error("missing test data " + rel);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string compact(std::string json) {
  // The data files are pretty-printed; the gateway sends compact JSON.
  std::string out;
  bool in_string = false;
  bool escaped = false;
  for (char c : json) {
    if (in_string) {
      out += c;
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
      out += c;
    } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      out += c;
    }
  }
  return out;
}

const std::vector<std::string>& testdata_frames() {
  static const std::vector<std::string> frames = [] {
    std::vector<std::string> f;
    for (int i = 0; i <= 8; ++i) f.push_back(read("zlib_stream/frame_00" + std::to_string(i) + ".bin"));
    return f;
  }();
  return frames;
}

// Replaces every run of 17+ digits (a snowflake) with random digits of the
// same length, as ids differ from one real event to the next.
std::string vary_ids(const std::string& msg, std::mt19937_64& rng) {
  std::string out = msg;
  std::size_t i = 0;
  while (i < out.size()) {
    if (out[i] < '0' || out[i] > '9') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < out.size() && out[j] >= '0' && out[j] <= '9') ++j;
    if (j - i >= 17) {
      out[i] = static_cast<char>('1' + rng() % 9);
      for (std::size_t k = i + 1; k < j; ++k) out[k] = static_cast<char>('0' + rng() % 10);
    }
    i = j;
  }
  return out;
}

std::vector<std::string> make_small_frames(bool varied);

const std::vector<std::string>& small_frames(bool varied) {
  static const std::vector<std::string> same = make_small_frames(false);
  static const std::vector<std::string> different = make_small_frames(true);
  return varied ? different : same;
}

std::vector<std::string> make_small_frames(bool varied) {
  {
    const std::vector<std::string> kinds = {
        compact(read("gw_dispatch_voice_state_update.json")),
        compact(read("gw_dispatch_voice_server_update.json")),
        compact(read("gw_dispatch_interaction_create_command.json")),
        compact(read("gw_dispatch_interaction_create_button.json")),
        compact(read("gw_heartbeat_ack.json")),
        R"({"t":"MESSAGE_CREATE","s":1,"op":0,"d":{"id":"1424099393509916672","channel_id":"805739220172931072","content":"!np","author":{"id":"597869602013315072","username":"mira.beats"}}})",
    };
    z_stream zs;
    std::memset(&zs, 0, sizeof zs);
    deflateInit(&zs, Z_DEFAULT_COMPRESSION);
    std::vector<std::string> out;
    std::vector<char> buf(1 << 16);
    std::mt19937_64 rng(42);
    for (int i = 0; i < 1000; ++i) {
      const std::string& kind = kinds[static_cast<std::size_t>(i) % kinds.size()];
      const std::string msg = varied ? vary_ids(kind, rng) : kind;
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(msg.data()));
      zs.avail_in = static_cast<uInt>(msg.size());
      std::string frame;
      do {
        zs.next_out = reinterpret_cast<Bytef*>(buf.data());
        zs.avail_out = static_cast<uInt>(buf.size());
        deflate(&zs, Z_SYNC_FLUSH);
        frame.append(buf.data(), buf.size() - zs.avail_out);
      } while (zs.avail_out == 0);
      out.push_back(std::move(frame));
    }
    deflateEnd(&zs);
    return out;
  }
}

const std::vector<std::string>& frames_for(const benchmark::State& state) {
  return state.range(0) == 0 ? testdata_frames() : small_frames(state.range(0) == 2);
}

void label(benchmark::State& state, std::size_t messages, std::size_t bytes) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(messages));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
  state.SetLabel(state.range(0) == 0 ? "testdata" : state.range(0) == 1 ? "small" : "small, varied ids");
}

// Baseline: inflate every frame of the connection with one context.
void BM_inflate_only(benchmark::State& state) {
  const auto& frames = frames_for(state);
  zlib_stream_inflater inflater;
  std::size_t messages = 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    inflater.reset();
    messages = 0;
    bytes = 0;
    for (const auto& f : frames) {
      auto r = inflater.feed(f);
      if (r && r->has_value()) {
        ++messages;
        bytes += (*r)->size();
        benchmark::DoNotOptimize((*r)->data());
      }
    }
  }
  label(state, messages, bytes);
}

// Inflate + parse into typed events (READY, GUILD_CREATE with voice states,
// VOICE_*, INTERACTION_CREATE; raw for others), reading the inflated text in place.
void BM_gateway_inflate_parse(benchmark::State& state) {
  const auto& frames = frames_for(state);
  zlib_stream_inflater inflater;
  gateway_parser parser;
  gateway_payload payload;
  std::size_t messages = 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    inflater.reset();
    messages = 0;
    bytes = 0;
    for (const auto& f : frames) {
      auto r = inflater.feed(f);
      if (!r || !r->has_value()) continue;
      const auto text = **r;
      if (parser.parse_into(text, payload, text.size() + json_padding)) state.SkipWithError("parse failed");
      ++messages;
      bytes += text.size();
      benchmark::DoNotOptimize(payload.event.index());
    }
  }
  label(state, messages, bytes);
}

BENCHMARK(BM_inflate_only)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_gateway_inflate_parse)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
