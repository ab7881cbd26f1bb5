#include "tls/ticket_keys.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <stdexcept>
#include <string>

#include "tls/handshake_verification.h"

using certgate::tls::parse_ticket_keys;
using certgate::tls::TicketKeys;
using namespace std::chrono_literals;

namespace {

std::string bytes(std::size_t n, unsigned char first) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>(first + i * 7);  // contains non-printable bytes
  return s;
}

std::string base64(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string name_of(const certgate::tls::TicketKey& k) {
  return std::string(k.name.begin(), k.name.end());
}

}  // namespace

TEST(TicketKeyFile, RawNginxKeys) {
  const auto one = bytes(80, 1);
  auto keys = parse_ticket_keys(one);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_TRUE(keys[0].aes256);
  EXPECT_EQ(name_of(keys[0]), one.substr(0, 16));
  EXPECT_EQ(std::string(keys[0].hmac_secret.begin(), keys[0].hmac_secret.end()), one.substr(16, 32));
  EXPECT_EQ(std::string(keys[0].aes_key.begin(), keys[0].aes_key.end()), one.substr(48, 32));

  keys = parse_ticket_keys(bytes(80, 1) + bytes(80, 2));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(name_of(keys[1]), bytes(80, 2).substr(0, 16));

  const auto legacy = bytes(48, 3);
  keys = parse_ticket_keys(legacy);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_FALSE(keys[0].aes256);
  EXPECT_EQ(std::string(keys[0].aes_key.begin(), keys[0].aes_key.begin() + 16), legacy.substr(32, 16));
}

TEST(TicketKeyFile, Base64Lines) {
  const auto text = "# current key first\n" + base64(bytes(80, 5)) + "\n\n  " + base64(bytes(80, 9)) +
                    "  \r\n" + base64(bytes(48, 11)) + "\n";
  const auto keys = parse_ticket_keys(text);
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(name_of(keys[0]), bytes(80, 5).substr(0, 16));
  EXPECT_EQ(name_of(keys[1]), bytes(80, 9).substr(0, 16));
  EXPECT_FALSE(keys[2].aes256);
}

TEST(TicketKeyFile, RejectsBadContent) {
  EXPECT_THROW(parse_ticket_keys(""), std::invalid_argument);
  EXPECT_THROW(parse_ticket_keys("# only a comment\n"), std::invalid_argument);
  EXPECT_THROW(parse_ticket_keys(bytes(79, 1)), std::invalid_argument);
  EXPECT_THROW(parse_ticket_keys(base64(bytes(64, 1)) + "\n"), std::invalid_argument);
  EXPECT_THROW(parse_ticket_keys("not base64 at all!\n"), std::invalid_argument);
  try {
    parse_ticket_keys(base64(bytes(80, 1)) + "\n" + base64(bytes(80, 1)) + "\n");
    FAIL() << "duplicate key names accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("same name"), std::string::npos) << e.what();
  }
  try {
    parse_ticket_keys(base64(bytes(80, 1)) + "\nshort\n");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
}

TEST(TicketKeys, GeneratedKeysRotateAndKeepThePreviousOne) {
  TicketKeys keys;
  keys.configure(std::nullopt, 1h);
  const auto start = keys.key_names();
  ASSERT_EQ(start.size(), 1u);
  const auto now = TicketKeys::Clock::now();
  EXPECT_EQ(keys.key_names(), start) << "not due yet";
  const auto next = keys.rotate_if_due(now);
  EXPECT_GT(next, now);
  EXPECT_EQ(keys.key_names(), start);

  keys.rotate_if_due(now + 2h);
  auto names = keys.key_names();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_NE(names[0], start[0]);
  EXPECT_EQ(names[1], start[0]) << "the previous key still decrypts";

  keys.rotate_if_due(now + 4h);
  const auto later = keys.key_names();
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[1], names[0]);
  EXPECT_NE(later[0], names[0]);
}

TEST(TicketKeys, ReloadKeepsGeneratedKeys) {
  TicketKeys keys;
  const auto before = keys.key_names();
  keys.configure(std::nullopt, 30min);
  EXPECT_EQ(keys.key_names(), before);
}

TEST(TicketKeys, FileKeysReplaceAndDoNotRotate) {
  TicketKeys keys;
  keys.configure(parse_ticket_keys(bytes(80, 1) + bytes(80, 2)), 1h);
  auto names = keys.key_names();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(std::string(names[0].begin(), names[0].end()), bytes(80, 1).substr(0, 16));
  EXPECT_EQ(keys.rotate_if_due(TicketKeys::Clock::now() + 100h), TicketKeys::Clock::time_point::max());
  EXPECT_EQ(keys.key_names(), names);

  keys.configure(std::nullopt, 1h);  // the file was removed from the config: generated keys again
  names = keys.key_names();
  ASSERT_EQ(names.size(), 1u);
  EXPECT_NE(std::string(names[0].begin(), names[0].end()), bytes(80, 1).substr(0, 16));
}

TEST(HandshakeAlerts, PreciseWhereTheyCanBe) {
  using certgate::Reason;
  using certgate::tls::alert_for;
  using certgate::tls::x509_error_for;
  EXPECT_EQ(alert_for(Reason::untrusted_issuer), 48);
  EXPECT_EQ(alert_for(Reason::depth_exceeded), 48);
  EXPECT_EQ(alert_for(Reason::expired), 45);
  EXPECT_EQ(alert_for(Reason::revoked), 44);
  EXPECT_EQ(alert_for(Reason::bad_purpose), 42);
  EXPECT_EQ(alert_for(Reason::ca_as_leaf), 42);
  EXPECT_EQ(alert_for(Reason::not_yet_valid), 42);
  EXPECT_EQ(x509_error_for(Reason::expired), X509_V_ERR_CERT_HAS_EXPIRED);
  EXPECT_EQ(x509_error_for(Reason::revoked), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(x509_error_for(Reason::untrusted_issuer), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_EQ(x509_error_for(Reason::weak_key), X509_V_ERR_CERT_REJECTED);
}
