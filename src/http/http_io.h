// Coroutine versions of Beast's read/write loops over certgate's ByteStream (TLS or plain TCP), with
// Beast doing all HTTP/1.1 parsing and serializing. Bodies move through a caller-owned chunk buffer, so
// memory stays bounded whatever the body size (the relay pattern from Beast's documentation).
#pragma once

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/container/small_vector.hpp>

#include "net/byte_stream.h"

namespace certgate::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using net::awaitable;
using net::error_code;

inline constexpr std::size_t kReadChunk = 16 * 1024;

// Reads until the parser has a complete header (it stops there; the body is left in `buffer`).
template <net::ByteStream Stream, class Parser>
awaitable<void> read_header(Stream& stream, beast::flat_buffer& buffer, Parser& parser, error_code& ec) {
  ec = {};
  for (;;) {
    if (buffer.size() > 0) {
      const auto used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (!ec && parser.is_header_done()) co_return;
      if (ec && ec != bhttp::error::need_more) co_return;
      ec = {};
      if (used > 0) continue;
    }
    const auto n = co_await stream.read_some(buffer.prepare(kReadChunk), ec);
    if (ec) {
      if (ec == net::asio::error::eof && parser.got_some()) ec = bhttp::error::partial_message;
      co_return;
    }
    buffer.commit(n);
  }
}

// Moves body bytes into the parser's buffer_body (body().data/size set by the caller). Returns as
// soon as some bytes arrived, the chunk buffer is full or the message is complete. With
// `buffered_only` it never reads from the stream, only from what `buffer` already holds.
template <net::ByteStream Stream, bool isRequest>
awaitable<void> read_body_some(Stream& stream, beast::flat_buffer& buffer,
                               bhttp::parser<isRequest, bhttp::buffer_body>& parser, bool buffered_only,
                               error_code& ec) {
  ec = {};
  const auto room = parser.get().body().size;
  for (;;) {
    std::size_t used = 0;
    if (buffer.size() > 0) {
      used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == bhttp::error::need_buffer) {
        ec = {};
        co_return;
      }
      if (ec && ec != bhttp::error::need_more) co_return;
      ec = {};
    }
    if (parser.is_done() || parser.get().body().size < room) co_return;
    // put() may stop after a chunk header: parse on while it makes progress on buffered bytes.
    if (used > 0 && buffer.size() > 0) continue;
    if (buffered_only) co_return;
    const auto n = co_await stream.read_some(buffer.prepare(kReadChunk), ec);
    if (ec == net::asio::error::eof) {
      parser.put_eof(ec);  // ends a body delimited by connection close; an error otherwise
      co_return;
    }
    if (ec) co_return;
    buffer.commit(n);
  }
}

// A response head is a few buffers per header field: sized so that a typical one needs no allocation.
using Pieces = boost::container::small_vector<net::asio::const_buffer, 64>;

// The serializer's next output as a list of buffers; returns their total size.
template <class Serializer>
std::size_t next_pieces(Serializer& serializer, Pieces& pieces, error_code& ec) {
  std::size_t total = 0;
  serializer.next(ec, [&](error_code&, const auto& buffers) {
    for (auto b : beast::buffers_range_ref(buffers)) {
      pieces.push_back(b);
      total += b.size();
    }
  });
  return total;
}

// Writes what the serializer has ready: stops when it needs more body, is done, or (with
// `header_only`) has written the header.
template <net::ByteStream Stream, class Serializer>
awaitable<void> write_ready(Stream& stream, Serializer& serializer, error_code& ec,
                            bool header_only = false) {
  ec = {};
  while (!serializer.is_done() && !(header_only && serializer.is_header_done())) {
    Pieces pieces;
    const auto total = next_pieces(serializer, pieces, ec);
    if (ec == bhttp::error::need_buffer) {
      ec = {};
      co_return;
    }
    if (ec) co_return;
    co_await stream.write(pieces, ec);
    if (ec) co_return;
    serializer.consume(total);
  }
}

// A message body read in pieces, whatever it comes from: a Beast parser on a connection (below), or a
// stream of a multiplexed connection. The relay reads from it without knowing which.
class BodySource {
 public:
  // Reads body bytes into `chunk`. With `buffered_only`, uses only bytes that have already arrived (and
  // may return 0 with done() still false).
  virtual awaitable<std::size_t> read(std::span<char> chunk, bool buffered_only, error_code& ec) = 0;
  virtual bool done() const = 0;

 protected:
  ~BodySource() = default;
};

// The body of a message a Beast parser reads from a ByteStream, its header already parsed.
template <net::ByteStream Stream, bool isRequest>
class ParserBodySource final : public BodySource {
 public:
  ParserBodySource(Stream& stream, beast::flat_buffer& buffer,
                   bhttp::parser<isRequest, bhttp::buffer_body>& parser)
      : stream_(stream), buffer_(buffer), parser_(parser) {}

  awaitable<std::size_t> read(std::span<char> chunk, bool buffered_only, error_code& ec) override {
    auto& body = parser_.get().body();
    body.data = chunk.data();
    body.size = chunk.size();
    co_await read_body_some(stream_, buffer_, parser_, buffered_only, ec);
    co_return chunk.size() - body.size;
  }
  bool done() const override { return parser_.is_done(); }

 private:
  Stream& stream_;
  beast::flat_buffer& buffer_;
  bhttp::parser<isRequest, bhttp::buffer_body>& parser_;
};

// Where a relay stopped, so the caller can answer correctly (502 vs. a dropped client).
enum class RelayFailure { none, input, output };

// Streams `message` (its header already edited) to `out` with the body read from `in`. The header leaves
// together with whatever body has already arrived, so small messages cost one write.
template <net::ByteStream Out, bool isRequest>
awaitable<RelayFailure> relay_message(BodySource& in, bhttp::message<isRequest, bhttp::buffer_body>& message,
                                      Out& out, std::span<char> chunk, error_code& ec) {
  bhttp::serializer<isRequest, bhttp::buffer_body> serializer{message};
  bool first = true;
  do {
    auto& body = message.body();
    if (!in.done()) {
      const auto n = co_await in.read(chunk, /*buffered_only=*/first, ec);
      if (ec) co_return RelayFailure::input;
      // An empty piece must be "no data", not a zero-size buffer: Beast would write the chunked
      // terminator for it and end the body early.
      body.data = n > 0 ? chunk.data() : nullptr;
      body.size = n;
      body.more = !in.done();
    } else {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    }
    first = false;
    co_await write_ready(out, serializer, ec);
    if (ec) co_return RelayFailure::output;
  } while (!serializer.is_done());
  co_return RelayFailure::none;
}

// Writes only the header of a message that has no body (HEAD responses, 204, 304).
template <net::ByteStream Out, bool isRequest>
awaitable<void> write_header_only(Out& out, bhttp::message<isRequest, bhttp::buffer_body>& message,
                                  error_code& ec) {
  message.body().data = nullptr;
  message.body().size = 0;
  message.body().more = false;
  bhttp::serializer<isRequest, bhttp::buffer_body> serializer{message};
  serializer.split(true);
  co_await write_ready(out, serializer, ec, /*header_only=*/true);
}

}  // namespace certgate::http
