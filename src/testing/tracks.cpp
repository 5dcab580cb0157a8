#include <musicbot/testing/tracks.hpp>

#include <utility>

namespace musicbot::testing {

lavalink::track make_track(const lavalink::decoded_track& decoded) {
  lavalink::track t;
  t.encoded = lavalink::encode_track(decoded).value();
  t.info.identifier = decoded.identifier;
  t.info.is_seekable = !decoded.is_stream;
  t.info.author = decoded.author;
  t.info.length_ms = decoded.length_ms;
  t.info.is_stream = decoded.is_stream;
  t.info.title = decoded.title;
  t.info.uri = decoded.uri;
  t.info.artwork_url = decoded.artwork_url;
  t.info.isrc = decoded.isrc;
  t.info.source_name = decoded.source_name;
  return t;
}

lavalink::track make_track(std::string title, std::string author, std::chrono::milliseconds length,
                           std::string identifier) {
  lavalink::decoded_track d;
  d.title = std::move(title);
  d.author = std::move(author);
  d.length_ms = length.count();
  d.uri = "https://media.example.org/tracks/" + identifier;
  d.identifier = std::move(identifier);
  d.source_name = "http";
  return make_track(d);
}

}  // namespace musicbot::testing
