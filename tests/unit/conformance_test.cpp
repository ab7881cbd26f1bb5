// Replays the x509-limbo client-auth vectors (tests/data/x509-limbo-clientauth.json) through the same chain
// verifier the gateway uses. Every vector ends in exactly one verdict:
//   passed          certgate decides as the vector expects;
//   not applicable  the vector cannot test client authentication (host-name matching, a server-only leaf,
//                   a vector that validates for serverAuth); where certgate must still reject the leaf,
//                   the test checks that it does, with the right reason;
//   stricter        a SUCCESS vector certgate rejects on purpose (kStricterByDesign, with the reason);
//   path building   a SUCCESS vector OpenSSL's path builder cannot satisfy (kOpenSslPathBuilding);
//   conflict        a FAILURE vector that x509-limbo itself marks as conflicting with a SUCCESS vector
//                   (`conflicts_with`), where certgate takes the other side (kConflictSide);
//   mismatch        anything else, in particular accepting a vector that expects FAILURE: a defect.
// Deviations are checked against the reason code certgate must give, and a listed deviation that no longer
// happens fails the summary test, so the lists (and docs/conformance.md) stay exact.
// CERTGATE_LIMBO_VERBOSE=1 prints every vector's verdict and reason.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
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
using certgate::Reason;
using nlohmann::json;

namespace {

struct Deviation {
  Reason reason;    // what certgate must answer
  const char* why;  // the documented reason (docs/conformance.md)
};

constexpr const char* kSelfSignedAnchors =
    "the vector's trust anchor is not self-signed and its issuer is not in the bundle. certgate anchors "
    "trust "
    "in the bundle's self-signed roots only; its other CA certificates help build paths (no "
    "X509_V_FLAG_PARTIAL_CHAIN, as nginx, HAProxy and Kong's default allow_partial_chain: false). With "
    "partial chains every bundled intermediate would become an anchor of its own: an intermediate added to "
    "complete paths would keep its whole subtree trusted after its root is removed from the bundle, and the "
    "root's validity and name constraints would no longer apply. (OpenSSL accepts the vector with "
    "X509_V_FLAG_PARTIAL_CHAIN.)";

// (c) SUCCESS vectors certgate rejects on purpose. Never a FAILURE vector.
const std::map<std::string, Deviation, std::less<>> kStricterByDesign = {
    {"rfc5280::ca-as-leaf", {Reason::ca_as_leaf, "a CA certificate is never accepted as a client identity"}},
    {"pathlen::validation-ignores-pathlen-in-leaf",
     {Reason::ca_as_leaf,
      "the 'leaf' is a CA certificate (CA:TRUE, pathlen:0); a CA certificate is never accepted as a client "
      "identity"}},
    {"webpki::nc::permitted-dns-match-noncritical",
     {Reason::invalid_certificate,
      "name constraints must be critical (RFC 5280 4.2.1.10, as rfc5280::nc::permitted-dns-match-noncritical "
      "expects): verifiers without name-constraint support skip a non-critical constraint, so the CA's "
      "restriction is not reliable; the CABF exception exists for legacy web browsers, not client-auth "
      "PKIs"}},
    {"pathlen::max-chain-depth-1-self-issued",
     {Reason::depth_exceeded,
      "max_verify_depth counts every certificate in the path, as nginx's ssl_verify_depth and Pomerium's "
      "max_verify_depth do, so a self-issued (key-rollover) intermediate counts too: the limit bounds the "
      "certificates and signatures an unauthenticated client makes the gateway process. Operators with "
      "rollover certificates raise max_verify_depth by one"}},
    {"cve::cve-2024-0567", {Reason::untrusted_issuer, kSelfSignedAnchors}},
    {"rfc5280::root-and-intermediate-swapped", {Reason::untrusted_issuer, kSelfSignedAnchors}},
};

// (e) Pairs x509-limbo marks as conflicting (`conflicts_with`): no verifier can pass both. Listed here is
// the FAILURE vector of a pair whose SUCCESS side certgate takes, with the reason.
const std::map<std::string, const char*, std::less<>> kConflictSide = {
    {"webpki::eku::ee-without-eku",
     "conflicts with rfc5280::eku::ee-without-eku; certgate takes the RFC 5280 side, as docs/conformance.md "
     "explains "
     "(a leaf must allow clientAuth when it has an EKU): private client PKIs often issue without EKU"},
};

// (d) SUCCESS vectors OpenSSL 3.0's path builder cannot satisfy, and that certgate will not work around
// with a path builder of its own. Never a FAILURE vector.
constexpr const char* kNoBacktracking =
    "two untrusted certificates share the issuing CA's name and key; OpenSSL 3.0 (build_chain) takes the "
    "first "
    "candidate in the order the client sent them and does not backtrack when the path through it fails; its "
    "only retry (alternative chains) swaps untrusted certificates for trust-store ones. With the candidates "
    "in the other order the vector verifies. A client that sends one path (as TLS clients do) is not "
    "affected";
const std::map<std::string, Deviation, std::less<>> kOpenSslPathBuilding = {
    // The first candidate is issued by a different "x509-limbo-root" key: no issuer in the bundle.
    {"rfc5280::nc::nc-forbids-alternate-chain-ica", {Reason::untrusted_issuer, kNoBacktracking}},
    // The first candidate's path runs through a CA whose name constraints exclude it.
    {"rfc5280::nc::nc-forbids-same-chain-ica", {Reason::invalid_certificate, kNoBacktracking}},
};

enum class Verdict { passed, not_applicable, stricter, path_building, conflict, mismatch };

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::passed:
      return "passed";
    case Verdict::not_applicable:
      return "not applicable";
    case Verdict::stricter:
      return "stricter by design";
    case Verdict::path_building:
      return "OpenSSL path building";
    case Verdict::conflict:
      return "conflicting pair";
    case Verdict::mismatch:
      return "MISMATCH";
  }
  return "?";
}

struct Outcome {
  bool accepted = false;
  Reason reason = Reason::invalid_certificate;
  std::string detail;
};

struct Result {
  Verdict verdict = Verdict::mismatch;
  std::string explanation;
  Outcome outcome;
};

// The XKU_* bits a vector's extended_key_usage asks for.
uint32_t requested_purposes(const json& tc) {
  uint32_t mask = 0;
  for (const auto& eku : tc["extended_key_usage"]) {
    if (eku == "serverAuth") mask |= XKU_SSL_SERVER;
    if (eku == "clientAuth") mask |= XKU_SSL_CLIENT;
  }
  return mask;
}

struct NotApplicable {
  std::string why;
  std::optional<Reason> must_reject_with;  // certgate must still reject the leaf, for this reason
};

std::optional<NotApplicable> not_applicable(const json& tc, X509* leaf) {
  const std::string id = tc["id"];
  if (id.starts_with("webpki::san::") || id.starts_with("webpki::cn::")) {
    return NotApplicable{"host-name matching does not apply to client authentication", std::nullopt};
  }
  const uint32_t flags = X509_get_extension_flags(leaf);
  const uint32_t xku = (flags & EXFLAG_XKUSAGE) ? X509_get_extended_key_usage(leaf) : 0;
  if ((xku & XKU_SSL_SERVER) && !(xku & (XKU_SSL_CLIENT | XKU_ANYEKU))) {
    // The regeneration added clientAuth to most serverAuth-only leaves but not these (crl::*, most
    // online::* web server chains, webpki::eku::ee-critical-eku): what they test cannot be reached.
    return NotApplicable{
        "the leaf is a server certificate (EKU serverAuth only, not regenerated for client auth); "
        "a client-auth verifier must reject it for its purpose",
        Reason::bad_purpose};
  }
  const uint32_t requested = requested_purposes(tc);
  if (requested && !(requested & XKU_SSL_CLIENT) && (xku & XKU_SSL_CLIENT) && !(xku & requested)) {
    return NotApplicable{
        "the vector validates for serverAuth, which the leaf lacks; certgate validates client "
        "certificates for clientAuth only, which the leaf carries",
        std::nullopt};
  }
  return std::nullopt;
}

// RFC 3339 ("2024-04-01T00:00:00.005+00:00"). Fractions of a second are dropped: certificate times have
// one-second granularity, so the comparison is at that granularity (x509-limbo's interpretation 1 for
// rfc5280::validity::notafter-fractional).
std::optional<std::time_t> parse_time(const json& value) {
  if (value.is_null()) return std::nullopt;
  const std::string text = value;
  struct tm tm {};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return std::nullopt;
  if (*rest == '.') {
    ++rest;
    while (*rest >= '0' && *rest <= '9')
      ++rest;
  }
  std::time_t t = timegm(&tm);
  if (*rest == '+' || *rest == '-') {
    int hours = 0, minutes = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hours, &minutes) != 2) return std::nullopt;
    const std::time_t offset = (hours * 60 + minutes) * 60;
    t += *rest == '+' ? -offset : offset;
  } else if (*rest != 'Z' && *rest != '\0') {
    return std::nullopt;
  }
  return t;
}

Outcome run_case(const json& tc, X509* leaf) {
  std::string trusted;
  for (const auto& pem : tc["trusted_certs"])
    trusted += pem.get<std::string>() + "\n";
  std::shared_ptr<const pki::TrustBundle> bundle;
  try {
    config::CaSource source;
    source.inline_pem = trusted;
    bundle = pki::TrustBundle::load(source);
  } catch (const config::ConfigError& e) {
    return {false, Reason::untrusted_issuer, std::string("refused at config load: ") + e.what()};
  }
  if (!tc["crls"].empty()) {
    // As a CRL file configured for the CA: X509_V_FLAG_CRL_CHECK checks the leaf (the crl::* vectors are
    // root -> EE). Test-only: the gateway never changes a shared bundle's store.
    for (const auto& pem : tc["crls"]) {
      for (auto& crl : pki::parse_crls(pem, "crl"))
        X509_STORE_add_crl(bundle->store(), crl.get());
    }
    X509_STORE_set_flags(bundle->store(), X509_V_FLAG_CRL_CHECK);
  }
  pki::X509StackPtr untrusted(sk_X509_new_null());
  for (const auto& pem : tc["untrusted_intermediates"]) {
    for (auto& c : pki::parse_certificates(pem, "intermediate"))
      sk_X509_push(untrusted.get(), c.release());
  }
  pki::VerifyRequest request;
  request.leaf = leaf;
  request.untrusted = untrusted.get();
  // x509-limbo's max_chain_depth counts intermediates; max_verify_depth counts issuers above the leaf.
  request.max_verify_depth = tc["max_chain_depth"].is_null() ? 32 : tc["max_chain_depth"].get<int>() + 1;
  request.at = parse_time(tc["validation_time"]);
  const auto verified = pki::verify_client_chain(*bundle, request);
  return {verified.ok, verified.reason,
          std::string(certgate::to_string(verified.reason)) + ": " + verified.detail};
}

Result evaluate(const json& tc) {
  const std::string id = tc["id"];
  std::vector<pki::X509Ptr> leaf;
  try {
    leaf = pki::parse_certificates(tc["peer_certificate"], "leaf");
  } catch (const std::exception& e) {
    // A TLS stack refuses a Certificate message it cannot parse.
    const bool expected = tc["expected_result"] == "FAILURE";
    return {expected ? Verdict::passed : Verdict::mismatch,
            e.what(),
            {false, Reason::invalid_certificate, e.what()}};
  }
  Result result;
  result.outcome = run_case(tc, leaf.front().get());
  const Outcome& out = result.outcome;
  const bool expect_success = tc["expected_result"] == "SUCCESS";

  if (auto na = not_applicable(tc, leaf.front().get())) {
    result.explanation = na->why;
    result.verdict = Verdict::not_applicable;
    if (na->must_reject_with && (out.accepted || out.reason != *na->must_reject_with)) {
      result.verdict = Verdict::mismatch;
      result.explanation +=
          "; expected a rejection for " + std::string(certgate::to_string(*na->must_reject_with));
    }
    return result;
  }
  if (out.accepted == expect_success) {
    result.verdict = Verdict::passed;
    return result;
  }
  if (expect_success) {
    for (const auto* list : {&kStricterByDesign, &kOpenSslPathBuilding}) {
      const auto it = list->find(id);
      if (it == list->end()) continue;
      result.explanation = it->second.why;
      if (out.reason == it->second.reason) {
        result.verdict = list == &kStricterByDesign ? Verdict::stricter : Verdict::path_building;
      } else {
        result.explanation = "documented as a rejection for " +
                             std::string(certgate::to_string(it->second.reason)) +
                             ", rejected for another reason";
      }
      return result;
    }
    result.explanation = "a SUCCESS vector rejected without a documented reason";
  } else if (const auto it = kConflictSide.find(id);
             it != kConflictSide.end() && !tc["conflicts_with"].empty()) {
    result.verdict = Verdict::conflict;
    result.explanation = it->second;
  } else {
    result.explanation = "a FAILURE vector accepted: a defect";
  }
  return result;
}

const std::vector<json>& vectors() {
  static const std::vector<json> all = [] {
    std::ifstream in(std::string(CERTGATE_TEST_DATA_DIR) + "/x509-limbo-clientauth.json");
    if (!in) return std::vector<json>{};
    return json::parse(in)["testcases"].get<std::vector<json>>();
  }();
  return all;
}

class Limbo : public ::testing::TestWithParam<std::size_t> {};

TEST_P(Limbo, MatchesExpectedResult) {
  const json& tc = vectors()[GetParam()];
  const Result r = evaluate(tc);
  switch (r.verdict) {
    case Verdict::passed:
      return;
    case Verdict::not_applicable:
    case Verdict::stricter:
    case Verdict::path_building:
    case Verdict::conflict:
      GTEST_SKIP() << to_string(r.verdict) << ": " << r.explanation;
    case Verdict::mismatch:
      ADD_FAILURE() << tc["id"].get<std::string>() << " (expects " << tc["expected_result"].get<std::string>()
                    << "): " << r.explanation << " — " << r.outcome.detail;
  }
}

std::string case_name(const ::testing::TestParamInfo<std::size_t>& info) {
  std::string name = vectors()[info.param]["id"];
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(X509Limbo, Limbo, ::testing::Range<std::size_t>(0, vectors().size()), case_name);
// Without the data file there are no instances; the summary test below then fails.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Limbo);

TEST(X509LimboSummary, EveryVectorHasAVerdict) {
  if (vectors().empty()) {
    FAIL() << "x509-limbo-clientauth.json not found or empty under " << CERTGATE_TEST_DATA_DIR;
  }
  const bool verbose = std::getenv("CERTGATE_LIMBO_VERBOSE") != nullptr;
  std::map<Verdict, int> counts;
  std::map<std::string, Verdict> verdicts;
  for (const auto& tc : vectors()) {
    const std::string id = tc["id"];
    const Result r = evaluate(tc);
    ++counts[r.verdict];
    verdicts[id] = r.verdict;
    if (verbose) {
      std::cout << id << " [" << tc["expected_result"].get<std::string>() << "] " << to_string(r.verdict)
                << " — " << (r.outcome.accepted ? "accepted" : r.outcome.detail)
                << (r.explanation.empty() ? "" : " — " + r.explanation) << "\n";
    }
    EXPECT_NE(r.verdict, Verdict::mismatch) << id << ": " << r.explanation << " — " << r.outcome.detail;
  }
  // Every listed deviation names a SUCCESS vector that still deviates in the documented way.
  std::map<std::string, std::string> expected_results;
  for (const auto& tc : vectors())
    expected_results[tc["id"]] = tc["expected_result"];
  for (const auto& [list, verdict] : {std::pair{&kStricterByDesign, Verdict::stricter},
                                      std::pair{&kOpenSslPathBuilding, Verdict::path_building}}) {
    for (const auto& [id, deviation] : *list) {
      ASSERT_TRUE(expected_results.count(id)) << "deviation list names an unknown vector " << id;
      EXPECT_EQ(expected_results[id], "SUCCESS") << id << ": only SUCCESS vectors may be rejected by design";
      EXPECT_EQ(verdicts[id], verdict) << id << " no longer deviates as documented; update the list and "
                                       << "docs/conformance.md";
    }
  }
  for (const auto& [id, why] : kConflictSide) {
    EXPECT_EQ(expected_results[id], "FAILURE")
        << id << ": the conflict list names the FAILURE side of a pair";
    EXPECT_EQ(verdicts[id], Verdict::conflict) << id << " no longer deviates as documented";
  }
  std::cout << "x509-limbo client-auth: " << vectors().size() << " vectors: " << counts[Verdict::passed]
            << " passed, " << counts[Verdict::not_applicable] << " not applicable, "
            << counts[Verdict::stricter] << " stricter by design, " << counts[Verdict::path_building]
            << " OpenSSL path-building limits, " << counts[Verdict::conflict] << " conflicting pair(s), "
            << counts[Verdict::mismatch] << " mismatches\n";
}

}  // namespace
