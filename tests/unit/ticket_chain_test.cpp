#include "tls/ticket_chain.h"

#include <gtest/gtest.h>

#include "pki/pem.h"

using namespace certgate;

namespace {

pki::X509Ptr self_signed(const char* cn) {
  pki::EvpPkeyPtr key(EVP_EC_gen("P-256"));
  pki::X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  X509_set_pubkey(cert.get(), key.get());
  X509_sign(cert.get(), key.get(), EVP_sha256());
  return cert;
}

}  // namespace

TEST(TicketChain, RoundTripsTheIntermediates) {
  auto a = self_signed("a");
  auto b = self_signed("b");
  pki::X509StackPtr chain(sk_X509_new_null());
  sk_X509_push(chain.get(), a.get());
  sk_X509_push(chain.get(), b.get());
  const auto data = tls::encode_ticket_chain(chain.get());
  sk_X509_zero(chain.get());
  auto decoded = tls::decode_ticket_chain(data.data(), data.size());
  ASSERT_TRUE(decoded);
  ASSERT_EQ(sk_X509_num(decoded->get()), 2);
  EXPECT_EQ(X509_cmp(sk_X509_value(decoded->get(), 0), a.get()), 0);
  EXPECT_EQ(X509_cmp(sk_X509_value(decoded->get(), 1), b.get()), 0);
}

TEST(TicketChain, RejectsMalformedData) {
  auto a = self_signed("a");
  pki::X509StackPtr chain(sk_X509_new_null());
  sk_X509_push(chain.get(), a.get());
  auto data = tls::encode_ticket_chain(chain.get());
  sk_X509_zero(chain.get());
  EXPECT_FALSE(tls::decode_ticket_chain(data.data(), data.size() - 1));  // truncated
  std::string wrong_version = data;
  wrong_version[0] = 9;
  EXPECT_FALSE(tls::decode_ticket_chain(wrong_version.data(), wrong_version.size()));
  std::string garbage = data;
  garbage[10] ^= 0x55;
  auto decoded = tls::decode_ticket_chain(garbage.data(), garbage.size());
  EXPECT_TRUE(!decoded || sk_X509_num(decoded->get()) == 1);  // never a crash; maybe a different cert
  EXPECT_EQ(sk_X509_num(tls::decode_ticket_chain("\x01", 1)->get()), 0);
}
