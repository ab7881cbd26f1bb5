// The protocol-independent request handler with a fake downstream (no HTTP/1 codec, no TLS) and a fake
// upstream (an acceptor on the test's own loop that records the request and answers with canned bytes).
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <cstdlib>
#include <string>

#include "config/loader.h"
#include "request/request_handler.h"
#include "runtime/runtime.h"
#include "runtime/worker_context.h"

namespace certgate::request {
namespace {

namespace bhttp = boost::beast::http;

// The TLS facts of a connection that has no TLS at all.
class FakeTls final : public tls::ConnectionInfo {
 public:
  explicit FakeTls(std::string sni) : sni_(std::move(sni)) {}
  std::string_view sni() const override { return sni_; }
  std::string_view alpn() const override { return "http/1.1"; }
  std::string_view version() const override { return "TLSv1.3"; }
  std::string_view cipher() const override { return "TLS_AES_128_GCM_SHA256"; }
  bool resumed() const override { return false; }
  tls::PeerChain peer_chain() const override { return {}; }
  X509* local_certificate() const override { return nullptr; }
  std::unique_ptr<tls::HandshakeVerification> take_handshake_verification() override { return nullptr; }

 private:
  std::string sni_;
};

// A request body held in memory.
class StringBody final : public http::BodySource {
 public:
  explicit StringBody(std::string text) : text_(std::move(text)) {}
  net::awaitable<std::size_t> read(std::span<char> chunk, bool, net::error_code&) override {
    const auto n = std::min(chunk.size(), text_.size() - offset_);
    std::copy_n(text_.data() + offset_, n, chunk.data());
    offset_ += n;
    co_return n;
  }
  bool done() const override { return offset_ == text_.size(); }

 private:
  std::string text_;
  std::size_t offset_ = 0;
};

// Records what the handler answers.
class FakeDownstream final : public Downstream {
 public:
  FakeDownstream(ClientConnection& client, Request request, std::string target, std::string body = {})
      : client_(client), request_(std::move(request)), target_(std::move(target)), body_(std::move(body)) {}

  ClientConnection& connection() override { return client_; }
  Request& request() override { return request_; }
  std::string_view authority() const override { return request_[bhttp::field::host]; }
  std::string_view origin_target() const override { return target_; }
  RequestFraming request_framing() const override { return {}; }
  bool limit_body(std::uint64_t) override { return true; }
  void set_idle_timeout(std::chrono::milliseconds) override {}
  http::BodySource& body() override { return body_; }
  net::awaitable<void> send_continue(net::error_code&) override { co_return; }
  net::awaitable<bool> respond(http::StringResponse& response, bool keep_open) override {
    status = response.result_int();
    answer = response.body();
    co_return keep_open;
  }
  net::awaitable<RelayOutcome> relay_response(Response& response, const ResponseFraming& framing,
                                              http::BodySource& body) override {
    status = response.result_int();
    for (const auto& field : response)
      relayed_headers[std::string(field.name_string())] = field.value();
    std::array<char, 256> chunk;
    net::error_code ec;
    while (!framing.header_only && !body.done() && !ec) {
      const auto n = co_await body.read(chunk, false, ec);
      answer.append(chunk.data(), n);
    }
    co_return RelayOutcome{ec ? http::RelayFailure::input : http::RelayFailure::none, ec, !ec};
  }
  net::awaitable<void> tunnel(proxy::UpstreamStream&, std::span<const char>) override {
    tunnelled = true;
    co_return;
  }
  std::uint64_t bytes_in() const override { return 0; }
  std::uint64_t bytes_out() const override { return 0; }
  std::span<char> body_chunk() override { return chunk_; }
  boost::beast::flat_buffer& upstream_buffer() override { return upstream_buffer_; }

  unsigned status = 0;
  std::string answer;
  std::map<std::string, std::string> relayed_headers;
  bool tunnelled = false;

 private:
  ClientConnection& client_;
  Request request_;
  std::string target_;
  StringBody body_;
  std::array<char, 1024> chunk_{};
  boost::beast::flat_buffer upstream_buffer_;
};

// One connection's worth of upstream: reads a request header, keeps it, answers `response`.
class FakeUpstream {
 public:
  FakeUpstream(net::asio::io_context& io, std::string response)
      : acceptor_(io, {net::asio::ip::make_address("127.0.0.1"), 0}), response_(std::move(response)) {
    net::asio::co_spawn(io, serve(), net::asio::detached);
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string request;

 private:
  net::awaitable<void> serve() {
    auto [ec, socket] = co_await acceptor_.async_accept(net::use_nothrow);
    if (ec) co_return;
    boost::asio::streambuf buffer;
    auto [read_ec, n] = co_await boost::asio::async_read_until(socket, buffer, "\r\n\r\n", net::use_nothrow);
    request.assign(static_cast<const char*>(buffer.data().data()), n);
    co_await boost::asio::async_write(socket, boost::asio::buffer(response_), net::use_nothrow);
  }
  net::tcp::acceptor acceptor_;
  std::string response_;
};

class RequestHandlerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = ::testing::TempDir() + "/handler-" + std::to_string(::getpid());
    const std::string command = "mkdir -p " + dir_ + " && cd " + dir_ +
                                " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
                                " -subj /CN=handler-test -days 2 -keyout k.pem -out c.pem"
                                " -addext subjectAltName=DNS:open.test,DNS:req.test,DNS:echo.test"
                                " >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }

  void build(uint16_t upstream_port) {
    const std::string up = "http://127.0.0.1:" + std::to_string(upstream_port);
    const std::string yaml =
        "listeners:\n"
        "  - address: 127.0.0.1:8443\n"
        "    certificates: [{cert_file: c.pem, key_file: k.pem}]\n"
        "client_ca_file: c.pem\n"
        "routes:\n"
        "  - {from: 'https://open.test', to: '" +
        up +
        "', mtls: {mode: 'off'}}\n"
        "  - {from: 'https://req.test', to: '" +
        up +
        "'}\n"
        "  - {from: 'https://echo.test', to: 'echo://', mtls: {mode: 'off'}}\n";
    runtime_ = runtime::Runtime::build(config::load_config_text(yaml, dir_ + "/certgate.yaml"));
  }

  // Runs one request through the handler; returns whether the connection stays open.
  bool handle(FakeDownstream& downstream, ExchangeRecord& record) {
    RequestHandler handler(worker_, *runtime_, runtime_->listeners().front());
    bool keep_open = false;
    bool done = false;
    net::asio::co_spawn(
        worker_.io,
        [&]() -> net::awaitable<void> {
          keep_open = co_await handler.handle(downstream, record);
          done = true;
        },
        net::asio::detached);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done && std::chrono::steady_clock::now() < give_up)
      worker_.io.run_one_for(std::chrono::milliseconds(100));
    EXPECT_TRUE(done) << "the handler did not finish";
    return keep_open;
  }

  static Request get(std::string host, std::string target) {
    Request req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, host);
    return req;
  }

  static inline std::string dir_;
  revocation::Service revocation_;
  runtime::WorkerContext worker_{nullptr, revocation_};
  std::shared_ptr<const runtime::Runtime> runtime_;
  ClientConnection client_{net::tcp::endpoint(net::asio::ip::make_address("192.0.2.7"), 50000)};
};

TEST_F(RequestHandlerTest, ForwardsAnAllowedRequestWithGatewayHeadersOnly) {
  FakeUpstream upstream(worker_.io, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Up: yes\r\n\r\nhello");
  build(upstream.port());
  FakeTls tls("open.test");
  client_.established(tls, worker_.auth.chains);
  auto req = get("open.test", "/a/../b?q=1");
  req.set("X-Client-Cert-Verify", "SUCCESS");  // spoofed: never reaches the upstream
  FakeDownstream downstream(client_, std::move(req), "/a/../b?q=1");
  ExchangeRecord record;
  EXPECT_TRUE(handle(downstream, record));
  EXPECT_EQ(downstream.status, 200u);
  EXPECT_EQ(downstream.answer, "hello");
  EXPECT_EQ(downstream.relayed_headers["X-Up"], "yes");
  EXPECT_EQ(record.reason, auth::Reason::allowed);
  EXPECT_NE(upstream.request.find("GET /b?q=1 HTTP/1.1\r\n"), std::string::npos) << upstream.request;
  EXPECT_NE(upstream.request.find("X-Forwarded-For: 192.0.2.7\r\n"), std::string::npos) << upstream.request;
  EXPECT_NE(upstream.request.find("Host: 127.0.0.1:"), std::string::npos) << upstream.request;
  EXPECT_EQ(upstream.request.find("SUCCESS"), std::string::npos) << upstream.request;
}

TEST_F(RequestHandlerTest, RefusesWithoutACertificateBeforeAnyUpstreamContact) {
  FakeUpstream upstream(worker_.io, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  build(upstream.port());
  FakeTls tls("req.test");
  client_.established(tls, worker_.auth.chains);
  FakeDownstream downstream(client_, get("req.test", "/"), "/");
  ExchangeRecord record;
  EXPECT_TRUE(handle(downstream, record));  // a refusal without a body keeps the connection
  EXPECT_EQ(downstream.status, 401u);
  EXPECT_EQ(record.reason, auth::Reason::no_certificate);
  EXPECT_TRUE(upstream.request.empty());
  EXPECT_EQ(downstream.answer.find("no_certificate"), std::string::npos) << "a reason reached the client";
}

TEST_F(RequestHandlerTest, AnswersUnknownHostsAndMisdirectedRequests) {
  build(1);
  FakeTls tls("open.test");
  client_.established(tls, worker_.auth.chains);
  FakeDownstream unknown(client_, get("nowhere.test", "/"), "/");
  ExchangeRecord record;
  handle(unknown, record);
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(record.reason, auth::Reason::unknown_host);

  // req.test asks for a certificate; the handshake's SNI was open.test.
  FakeDownstream misdirected(client_, get("req.test", "/"), "/");
  ExchangeRecord record2;
  handle(misdirected, record2);
  EXPECT_EQ(misdirected.status, 421u);
  EXPECT_EQ(record2.reason, auth::Reason::misdirected_request);
}

TEST_F(RequestHandlerTest, AnUnreachableUpstreamIs502AndClosesTheConnection) {
  net::tcp::acceptor closed(worker_.io, {net::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = closed.local_endpoint().port();
  closed.close();  // nothing listens there now: connect is refused
  build(port);
  FakeTls tls("open.test");
  client_.established(tls, worker_.auth.chains);
  FakeDownstream downstream(client_, get("open.test", "/"), "/");
  ExchangeRecord record;
  EXPECT_FALSE(handle(downstream, record));
  EXPECT_EQ(downstream.status, 502u);
  EXPECT_EQ(record.reason, auth::Reason::upstream_unavailable);
}

TEST_F(RequestHandlerTest, EchoDescribesTheRequestAndReadsItsBody) {
  build(1);
  FakeTls tls("echo.test");
  client_.established(tls, worker_.auth.chains);
  Request req{bhttp::verb::post, "/e", 11};
  req.set(bhttp::field::host, "echo.test");
  FakeDownstream downstream(client_, std::move(req), "/e", std::string(3000, 'x'));
  ExchangeRecord record;
  EXPECT_TRUE(handle(downstream, record));
  EXPECT_EQ(downstream.status, 200u);
  EXPECT_TRUE(downstream.body().done());
  EXPECT_NE(downstream.answer.find("\"method\": \"POST\""), std::string::npos) << downstream.answer;
}

TEST_F(RequestHandlerTest, AWebSocketUpgradeNeedsAllowWebsockets) {
  build(1);
  FakeTls tls("open.test");
  client_.established(tls, worker_.auth.chains);
  auto req = get("open.test", "/ws");
  req.set(bhttp::field::connection, "Upgrade");
  req.set(bhttp::field::upgrade, "websocket");
  req.set(bhttp::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  req.set(bhttp::field::sec_websocket_version, "13");
  FakeDownstream downstream(client_, std::move(req), "/ws");
  ExchangeRecord record;
  handle(downstream, record);
  EXPECT_EQ(downstream.status, 403u);
  EXPECT_EQ(record.reason, auth::Reason::websocket_not_allowed);
  EXPECT_FALSE(downstream.tunnelled);
}

}  // namespace
}  // namespace certgate::request
