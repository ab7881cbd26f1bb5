// The client side of one request, as the request handler sees it whatever the HTTP version: the request
// header (Beast's fields, editable in place), its body as a stream, and the ways to answer. The HTTP/1.1
// connection (session/http1_connection.h) implements it today; an HTTP/2 stream implements the same
// interface, so the handler, the routing, the authorization and the upstream exchange are shared.
//
// Framing, keep-alive, timeouts on the client side and the connection's buffers are the implementation's
// business: the handler only says whether the request may be followed by another on this connection.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/message.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

#include "http/error_response.h"
#include "http/http_io.h"
#include "proxy/upstream_stream.h"
#include "request/client_connection.h"

namespace certgate::request {

using Request = boost::beast::http::request<boost::beast::http::buffer_body>;
using Response = boost::beast::http::response<boost::beast::http::buffer_body>;

// How the upstream response's body is delimited, for the downstream to frame it its own way.
struct ResponseFraming {
  bool header_only = false;  // no body at all (HEAD, 1xx, 204, 304)
  std::optional<std::uint64_t> content_length;
  bool chunked = false;  // neither: the body ends when the upstream closes
};

// How the request's body is delimited, for the upstream request (HTTP/1.1).
struct RequestFraming {
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
};

struct RelayOutcome {
  http::RelayFailure failure = http::RelayFailure::none;
  net::error_code ec;      // why it failed
  bool keep_open = false;  // the connection may carry another request
};

class Downstream {
 public:
  virtual ~Downstream() = default;

  virtual ClientConnection& connection() = 0;
  virtual Request& request() = 0;
  // The request's host and target in origin form, as the protocol states them (HTTP/1.1: an absolute-form
  // target's authority, else the Host header; empty when the request names no host).
  virtual std::string_view authority() const = 0;
  virtual std::string_view origin_target() const = 0;

  // The route's idle_timeout: replaces timeouts.idle for this request's waits on the client (and its tunnel).
  virtual void set_idle_timeout(std::chrono::milliseconds timeout) = 0;

  // --- the request body
  virtual RequestFraming request_framing() const = 0;
  // max_request_body: false when the declared length is already above it; later reads fail with
  // http::error::body_limit once the body grows above it.
  virtual bool limit_body(std::uint64_t max) = 0;
  // Read with the client-side timeouts and the body's minimum pace (timeouts.request_body).
  virtual http::BodySource& body() = 0;
  // `Expect: 100-continue` is answered by the gateway once the request is authorized.
  virtual net::awaitable<void> send_continue(net::error_code& ec) = 0;

  // --- the answer. `keep_open`: whether the handler lets another request follow on this connection
  // (false when the request's body was not read, or after an upstream failure). Each returns whether the
  // connection stays open.
  virtual net::awaitable<bool> respond(http::StringResponse& response, bool keep_open) = 0;
  virtual net::awaitable<RelayOutcome> relay_response(Response& response, const ResponseFraming& framing,
                                                      http::BodySource& body) = 0;
  // After a 101 Switching Protocols (written by relay_response with header_only): the bytes flow both
  // ways between the client and `upstream` until either closes or the idle timeout. `upstream_early`:
  // bytes the upstream sent after its 101 that were already read.
  virtual net::awaitable<void> tunnel(proxy::UpstreamStream& upstream,
                                      std::span<const char> upstream_early) = 0;

  // Bytes moved on the client side so far (for the access log: the difference over the request).
  virtual std::uint64_t bytes_in() const = 0;
  virtual std::uint64_t bytes_out() const = 0;

  // Buffers the connection lends to the request's upstream exchange: reused by keep-alive requests,
  // released while the connection idles.
  virtual std::span<char> body_chunk() = 0;
  virtual boost::beast::flat_buffer& upstream_buffer() = 0;
};

}  // namespace certgate::request
