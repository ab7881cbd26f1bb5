// Replays the x509-limbo client-auth vectors (../shared/conformance) through the same chain verifier the
// gateway uses. A vector that expects FAILURE must never be accepted; a vector that expects SUCCESS may
// be rejected only when listed in kStricterByDesign with the reason.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "config/config_error.h"
#include "pki/cert_info.h"
#include "pki/chain_verifier.h"
#include "pki/pem.h"
#include "pki/trust_bundle.h"

using namespace certgate;
using nlohmann::json;

namespace {

// Where certgate deliberately rejects what the vector accepts.
const std::map<std::string, std::string> kStricterByDesign = {
    {"rfc5280::ca-as-leaf", "a CA certificate is never accepted as a client identity"},
    {"rfc5280::ca-as-leaf-wrong-san", "a CA certificate is never accepted as a client identity"},
};

bool not_applicable(const json& tc, std::string& why) {
  const std::string id = tc["id"];
  if (id.rfind("webpki::san::", 0) == 0 || id.rfind("webpki::cn::", 0) == 0) {
    why = "host-name matching does not apply to client authentication";
    return true;
  }
  if (id.rfind("online::", 0) == 0) {
    why = "a real web server chain: the leaf carries only serverAuth, a client certificate needs clientAuth";
    return true;
  }
  return false;
}

std::optional<std::time_t> parse_time(const json& value) {
  if (value.is_null()) return std::nullopt;
  std::string text = value;
  struct tm tm {};
  if (!strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return std::nullopt;
  return timegm(&tm);
}

struct Outcome {
  bool accepted = false;
  std::string detail;
};

Outcome run_case(const json& tc) {
  std::string trusted;
  for (const auto& pem : tc["trusted_certs"]) trusted += pem.get<std::string>() + "\n";
  std::shared_ptr<const pki::TrustBundle> bundle;
  try {
    config::CaSource source;
    source.inline_pem = trusted;
    bundle = pki::TrustBundle::load(source);
  } catch (const config::ConfigError& e) {
    return {false, std::string("refused at config load: ") + e.what()};
  }
  if (!tc["crls"].empty()) {
    for (const auto& pem : tc["crls"]) {
      for (auto& crl : pki::parse_crls(pem, "crl")) X509_STORE_add_crl(bundle->store(), crl.get());
    }
    X509_STORE_set_flags(bundle->store(), X509_V_FLAG_CRL_CHECK);
  }
  pki::X509StackPtr untrusted(sk_X509_new_null());
  std::vector<pki::X509Ptr> keep;
  for (const auto& pem : tc["untrusted_intermediates"]) {
    for (auto& c : pki::parse_certificates(pem, "intermediate")) {
      sk_X509_push(untrusted.get(), c.get());
      X509_up_ref(c.get());
      keep.push_back(std::move(c));
    }
  }
  auto leaf = pki::parse_certificates(tc["peer_certificate"], "leaf");
  pki::VerifyRequest request;
  request.leaf = leaf.front().get();
  request.untrusted = untrusted.get();
  request.max_verify_depth = tc["max_chain_depth"].is_null() ? 32 : tc["max_chain_depth"].get<int>() + 1;
  request.at = parse_time(tc["validation_time"]);
  auto outcome = pki::verify_client_chain(*bundle, request);
  return {outcome.ok, std::string(auth::to_string(outcome.reason)) + ": " + outcome.detail};
}

const std::vector<json>& vectors() {
  static const std::vector<json> all = [] {
    std::ifstream in(std::string(CERTGATE_SHARED_DIR) + "/conformance/x509-limbo-clientauth.json");
    if (!in) return std::vector<json>{};
    return json::parse(in)["testcases"].get<std::vector<json>>();
  }();
  return all;
}

class Limbo : public ::testing::TestWithParam<std::size_t> {};

TEST_P(Limbo, MatchesExpectedResult) {
  const json& tc = vectors()[GetParam()];
  std::string why;
  if (not_applicable(tc, why)) GTEST_SKIP() << why;
  const bool expect_success = tc["expected_result"] == "SUCCESS";
  const auto outcome = run_case(tc);
  const std::string id = tc["id"];
  if (expect_success && !outcome.accepted && kStricterByDesign.count(id)) {
    GTEST_SKIP() << "stricter by design: " << kStricterByDesign.at(id);
  }
  EXPECT_EQ(outcome.accepted, expect_success) << id << " — " << outcome.detail;
}

std::string case_name(const ::testing::TestParamInfo<std::size_t>& info) {
  std::string name = vectors()[info.param]["id"];
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(X509Limbo, Limbo, ::testing::Range<std::size_t>(0, vectors().size()),
                         case_name);

}  // namespace
