#include "tls/tls_stream.h"

#include <sys/socket.h>
#include <array>

#include <cerrno>

namespace certgate::tls {
namespace {

constexpr std::size_t kRecordPayload = 16 * 1024;

class TlsCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "tls"; }
  std::string message(int) const override { return "TLS protocol error"; }
};

}  // namespace

const boost::system::error_category& tls_category() {
  static const TlsCategory category;
  return category;
}

TlsStream::TlsStream(net::tcp::socket socket, pki::SslPtr ssl)
    : socket_(std::move(socket)), ssl_(std::move(ssl)) {
  socket_.non_blocking(true);
  SSL_set_fd(ssl_.get(), socket_.native_handle());
}

awaitable<bool> TlsStream::settle(int rc, error_code& ec) {
  const int err = SSL_get_error(ssl_.get(), rc);
  switch (err) {
    case SSL_ERROR_WANT_READ: {
      auto [e] = co_await socket_.async_wait(net::tcp::socket::wait_read, net::use_nothrow);
      ec = e;
      co_return !e;
    }
    case SSL_ERROR_WANT_WRITE: {
      auto [e] = co_await socket_.async_wait(net::tcp::socket::wait_write, net::use_nothrow);
      ec = e;
      co_return !e;
    }
    case SSL_ERROR_ZERO_RETURN:
      ec = net::asio::error::eof;
      co_return false;
    case SSL_ERROR_SYSCALL: {
      const int saved = errno;
      record_error();
      ec = saved == 0 ? error_code(net::asio::error::eof)
                      : error_code(saved, boost::system::system_category());
      co_return false;
    }
    default:
      record_error();
      ec = error_code(err, tls_category());
      co_return false;
  }
}

TlsStream::ErrorTexts& TlsStream::error_texts() {
  if (!error_texts_) error_texts_ = std::make_unique<ErrorTexts>();
  return *error_texts_;
}

std::string_view TlsStream::verification_error() const {
  const long result = SSL_get_verify_result(ssl_.get());
  return result == X509_V_OK ? std::string_view() : X509_verify_cert_error_string(result);
}

const std::string& TlsStream::last_error() const {
  static const std::string none;
  return error_texts_ ? error_texts_->last : none;
}

void TlsStream::record_error() {
  auto& texts = error_texts();
  last_error_code_ = ERR_peek_error();
  texts.last = pki::take_openssl_errors();
  if (last_error_code_ == 0) {
    last_error_code_ = first_error_code_;
    texts.last = texts.first;
  }
}

bool TlsStream::retry_after_clearing(int rc, bool& retried) {
  if (retried) return false;
  const int err = SSL_get_error(ssl_.get(), rc);
  if (err != SSL_ERROR_SSL && err != SSL_ERROR_SYSCALL) return false;
  retried = true;
  // Kept for the log in case the retry fails the same way without saying why again.
  first_error_code_ = ERR_peek_error();
  error_texts().first = pki::take_openssl_errors();
  return true;
}

awaitable<void> TlsStream::handshake(error_code& ec) {
  ec = {};
  for (;;) {
    ERR_clear_error();  // once per handshake step: its failure reason must be exact (alerts, logs)
    const int rc = SSL_do_handshake(ssl_.get());
    if (rc == 1) co_return;
    if (!co_await settle(rc, ec)) co_return;
  }
}

awaitable<std::size_t> TlsStream::read_some(net::asio::mutable_buffer buffer, error_code& ec) {
  ec = {};
  for (bool retried = false;;) {
    std::size_t n = 0;
    const int rc = SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &n);
    if (rc == 1) {
      bytes_read_ += n;
      co_return n;
    }
    if (retry_after_clearing(rc, retried)) continue;
    if (!co_await settle(rc, ec)) co_return 0;
    retried = false;
  }
}

awaitable<void> TlsStream::write_all(const void* data, std::size_t size, error_code& ec) {
  ec = {};
  bool retried = false;
  while (size > 0) {
    std::size_t n = 0;
    const int rc = SSL_write_ex(ssl_.get(), data, size, &n);
    if (rc == 1) {
      bytes_written_ += n;
      data = static_cast<const char*>(data) + n;
      size -= n;
      retried = false;
      continue;
    }
    if (retry_after_clearing(rc, retried)) continue;
    if (!co_await settle(rc, ec)) co_return;
    retried = false;
  }
}

awaitable<void> TlsStream::write(std::span<const net::asio::const_buffer> buffers, error_code& ec) {
  ec = {};
  staging_.clear();
  for (const auto& b : buffers) {
    if (b.size() == 0) continue;
    if (staging_.size() + b.size() <= kRecordPayload) {
      staging_.append(static_cast<const char*>(b.data()), b.size());
      continue;
    }
    if (!staging_.empty()) {
      co_await write_all(staging_.data(), staging_.size(), ec);
      staging_.clear();
      if (ec) co_return;
    }
    if (b.size() >= kRecordPayload) {
      co_await write_all(b.data(), b.size(), ec);
      if (ec) co_return;
    } else {
      staging_.append(static_cast<const char*>(b.data()), b.size());
    }
  }
  if (!staging_.empty()) {
    co_await write_all(staging_.data(), staging_.size(), ec);
    staging_.clear();
  }
}

bool TlsStream::sent_alert(const error_code& ec) {
  return ec.category() == tls_category();
}

awaitable<void> TlsStream::linger_after_failure() {
  error_code ec;
  socket_.shutdown(net::tcp::socket::shutdown_send, ec);
  std::array<char, 4096> sink;
  for (std::size_t discarded = 0; !ec && discarded < kLingerBytes;) {
    auto [e, n] = co_await socket_.async_read_some(net::asio::buffer(sink), net::use_nothrow);
    ec = e;
    discarded += n;
  }
}

void TlsStream::release_buffers() {
  std::string().swap(staging_);
  release_record_buffers();
}

void TlsStream::release_record_buffers() {
  SSL_free_buffers(ssl_.get());
}

TlsStream::Input TlsStream::poll_input() {
  if (SSL_has_pending(ssl_.get())) return Input::ready;
  char probe;
  const ssize_t n = ::recv(socket_.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return Input::ready;
  if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return Input::closed;
  return Input::none;
}

void TlsStream::shutdown() {
  if (ssl_ && SSL_is_init_finished(ssl_.get())) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
}

}  // namespace certgate::tls
