// A server-side TLS connection driven directly on the socket: OpenSSL reads and writes the file
// descriptor itself and the coroutine only waits for readiness. Compared with asio::ssl::stream this
// saves the copy through a memory BIO and completes inline, without a scheduler round trip, whenever
// OpenSSL already has the data.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>

#include "net/asio.h"
#include "pki/openssl_ptr.h"

namespace certgate::tls {

using net::awaitable;
using net::error_code;

// How long a connection whose handshake failed with an alert waits for the client to close.
inline constexpr std::chrono::milliseconds kLingerAfterAlert{1000};

class TlsStream {
 public:
  TlsStream(net::tcp::socket socket, pki::SslPtr ssl);

  awaitable<void> handshake(error_code& ec);
  awaitable<std::size_t> read_some(net::asio::mutable_buffer buffer, error_code& ec);
  // Coalesces small buffers so that a response head and its body leave in one TLS record.
  awaitable<void> write(std::span<const net::asio::const_buffer> buffers, error_code& ec);
  // Sends close_notify without waiting for the peer's (what nginx does with lingering off).
  void shutdown();
  // After a failed handshake: lets the alert OpenSSL wrote reach the client. Closing with unread input
  // makes the kernel answer with a reset that can overtake the alert (a TLS 1.3 client has often sent its
  // Finished and even its request by then). So stop sending (FIN after the alert) and discard what the
  // client still sends until it closes, up to kLingerBytes; the caller bounds the time with its deadline.
  awaitable<void> linger_after_failure();
  static constexpr std::size_t kLingerBytes = 64 * 1024;
  // True for a failure the handshake answered with an alert (not a timeout or a vanished peer).
  static bool sent_alert(const error_code& ec);

  net::tcp::socket& socket() { return socket_; }
  SSL* ssl() const { return ssl_.get(); }
  // OpenSSL's description of the last TLS failure, for the log.
  const std::string& last_error() const;
  // Why the peer's certificate did not verify (client side: the upstream's), or "" when it did.
  std::string_view verification_error() const;
  // OpenSSL's first error code of the last TLS failure (0 when none), e.g. to tell why a handshake failed.
  unsigned long last_error_code() const { return last_error_code_; }
  // Application bytes moved so far, for the access log.
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }
  // Between requests: frees the write staging buffer and OpenSSL's record buffers (never while a write
  // is in flight: the staging buffer is the write's).
  void release_buffers();
  // Frees OpenSSL's record buffers when no record is half read (safe at any time).
  void release_record_buffers();

  // Whether the next bytes from the client are here: decrypted or buffered by OpenSSL, or unread on the
  // socket (ready); the client closed or the socket failed (closed); nothing yet (none). A peek that
  // finds nothing also re-arms the edge-triggered poll, so a wait that follows cannot miss data.
  enum class Input { ready, closed, none };
  Input poll_input();

 private:
  // After an SSL call returned `rc`: waits when OpenSSL needs the socket, else sets `ec`.
  // Returns true when the call should be retried.
  awaitable<bool> settle(int rc, error_code& ec);
  // Calls run without clearing OpenSSL's error queue first (a thread-local lookup every time). An error a
  // call reports is trusted only after the queue was cleared and the call retried once, so a stale entry
  // left by unrelated code cannot fail a healthy connection. True: retry now.
  bool retry_after_clearing(int rc, bool& retried);
  void record_error();
  awaitable<void> write_all(const void* data, std::size_t size, error_code& ec);

  net::tcp::socket socket_;
  pki::SslPtr ssl_;
  std::string staging_;
  // Rare, and every connection carries this class: the texts live on the heap once there is an error.
  struct ErrorTexts {
    std::string first;
    std::string last;
  };
  ErrorTexts& error_texts();
  std::unique_ptr<ErrorTexts> error_texts_;
  unsigned long first_error_code_ = 0;
  unsigned long last_error_code_ = 0;
  uint64_t bytes_read_ = 0;
  uint64_t bytes_written_ = 0;
};

// The error category for TLS protocol failures (a bad record, a failed handshake...).
const boost::system::error_category& tls_category();

}  // namespace certgate::tls
