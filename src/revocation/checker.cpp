#include "revocation/checker.h"

#include <algorithm>

#include "config/http_url.h"
#include "pki/cert_info.h"
#include "revocation/metrics.h"
#include "revocation/ocsp.h"
#include "revocation/worker_client.h"

namespace certgate::revocation {
namespace {

constexpr auto kForever = WallClock::time_point::max();

// The first http:// URL that parses; https://, ldap:// and others are skipped.
std::string first_http_url(const std::vector<std::string>& urls) {
  for (const auto& url : urls) {
    if (config::parse_http_url(url)) return url;
  }
  return {};
}

std::string issuer_digest(const X509* issuer) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(issuer, EVP_sha1(), md, &len);  // cached by OpenSSL: no hashing here
  return std::string(reinterpret_cast<char*>(md), len);
}

void add_reason(std::string& to, const std::string& reason) {
  if (reason.empty()) return;
  if (!to.empty()) to += "; ";
  to += reason;
}

Question question_for(const PathCheck& c, Source source, std::string url_text, X509* cert, X509* issuer) {
  const auto& settings = c.mtls.revocation;
  Question q;
  q.source = source;
  q.url = *config::parse_http_url(url_text);
  q.url_text = std::move(url_text);
  q.serial = pki::serial_hex(cert);
  q.issuer = pki::share(issuer);
  q.bundle = c.bundle;
  q.timeout = settings.timeout;
  q.cache_ttl = settings.cache_ttl;
  q.max_size = settings.max_crl_size;
  return q;
}

class CertificateCheck {
 public:
  CertificateCheck(const PathCheck& c, X509* cert, X509* issuer, WallClock::time_point now)
      : c_(c), cert_(cert), issuer_(issuer), now_(now), now_t_(WallClock::to_time_t(now)) {}

  net::awaitable<Verdict> run(const CrlSet* crls) {
    if (crls) {
      if (const VerifiedCrl* crl = crls->find(issuer_)) {
        auto st = crl->status_of(cert_, now_t_);
        if (st.status != Status::unknown && crl->next_update())
          limit(WallClock::from_time_t(*crl->next_update()));
        if (st.status == Status::revoked) co_return Verdict{Status::revoked, st.detail, valid_until_};
        if (st.status == Status::good) good_ = true;
        add_reason(why_, st.detail);
      } else {
        add_reason(why_, "no CRL from '" + pki::issuer_dn(cert_) + "' in " + c_.crl_file->path());
      }
    }
    const auto& settings = c_.mtls.revocation;
    if (settings.ocsp || settings.crl_distribution_points) {
      const Status online = co_await ask_online();
      if (online == Status::revoked) co_return Verdict{Status::revoked, revoked_detail_, valid_until_};
      good_ = good_ || online == Status::good;
    }
    if (good_) co_return Verdict{Status::good, {}, valid_until_};
    co_return Verdict{Status::unknown, why_, valid_until_};
  }

 private:
  void limit(WallClock::time_point t) { valid_until_ = std::min(valid_until_, t); }

  // OCSP first; the CRL distribution point when OCSP has no answer.
  net::awaitable<Status> ask_online() {
    const auto& settings = c_.mtls.revocation;
    if (settings.ocsp) {
      const auto status = co_await ask_ocsp();
      if (status != Status::unknown) co_return status;
    }
    if (!settings.crl_distribution_points) co_return Status::unknown;
    const auto status = co_await ask_crl_distribution_point();
    co_return status;
  }

  net::awaitable<Status> ask_ocsp() {
    const auto& responder = c_.mtls.revocation.ocsp_responder;
    auto url = responder.empty() ? first_http_url(pki::ocsp_urls(cert_)) : responder;
    if (url.empty()) {
      add_reason(why_, "OCSP: the certificate names no http:// responder");
      co_return Status::unknown;
    }
    auto q = question_for(c_, Source::ocsp, std::move(url), cert_, issuer_);
    q.cert_id = make_cert_id(cert_, issuer_);
    q.ocsp_request = make_request(q.cert_id.get());
    q.key = "ocsp\n" + q.url_text + "\n" + der_of(q.cert_id.get());
    const Answer answer = co_await c_.client.ask(std::move(q));
    co_return settle(answer, [](const Answer& a) { return CertStatus{a.status, a.detail}; });
  }

  net::awaitable<Status> ask_crl_distribution_point() {
    auto url = first_http_url(pki::crl_distribution_point_urls(cert_));
    if (url.empty()) {
      add_reason(why_, "CRL: the certificate names no http:// distribution point");
      co_return Status::unknown;
    }
    auto q = question_for(c_, Source::crl_dp, std::move(url), cert_, issuer_);
    q.key = "crl\n" + q.url_text + "\n" + issuer_digest(issuer_);
    const Answer answer = co_await c_.client.ask(std::move(q));
    co_return settle(answer, [this](const Answer& a) { return a.crl->status_of(cert_, now_t_); });
  }

  template <class StatusOf>
  Status settle(const Answer& answer, StatusOf status_of) {
    if (answer.failed) {
      limit(now_);  // a network failure is never reused: the next request asks again
      add_reason(why_, answer.detail);
      return Status::unknown;
    }
    limit(answer.expires);
    const auto st = status_of(answer);
    if (st.status == Status::revoked) revoked_detail_ = st.detail;
    if (st.status == Status::unknown) add_reason(why_, st.detail);
    return st.status;
  }

  const PathCheck& c_;
  X509* cert_;
  X509* issuer_;
  WallClock::time_point now_;
  std::time_t now_t_;
  WallClock::time_point valid_until_ = kForever;
  bool good_ = false;
  std::string why_;             // why the status is unknown
  std::string revoked_detail_;  // from the online source that said revoked
};

}  // namespace

bool checks_revocation(const config::EffectiveMtls& mtls, bool has_crl_file) {
  const auto& r = mtls.revocation;
  return r.mode != config::RevocationMode::skip && (has_crl_file || r.ocsp || r.crl_distribution_points);
}

net::awaitable<Verdict> check_path(PathCheck check) {
  const auto now = WallClock::now();
  const auto crls = check.crl_file ? check.crl_file->current() : nullptr;
  Verdict out{Status::good, {}, now + check.mtls.revocation.cache_ttl};
  const std::size_t in_scope = check.mtls.crl_scope == config::CrlScope::chain ? check.chain.size() - 1 : 1;
  for (std::size_t i = 0; i < in_scope && i + 1 < check.chain.size(); ++i) {
    X509* cert = check.chain[i].get();
    CertificateCheck certificate(check, cert, check.chain[i + 1].get(), now);
    auto one = co_await certificate.run(crls.get());
    out.valid_until = std::min(out.valid_until, one.valid_until);
    if (one.status == Status::good) continue;
    if (i > 0) one.detail = "CA certificate '" + pki::subject_dn(cert) + "': " + one.detail;
    if (one.status == Status::revoked) {
      out.status = Status::revoked;
      out.detail = std::move(one.detail);
      break;
    }
    if (out.status == Status::good) {
      out.status = Status::unknown;
      out.detail = std::move(one.detail);
    }
  }
  check.client.count(out.status == Status::good      ? Counter::checks_good
                     : out.status == Status::revoked ? Counter::checks_revoked
                                                     : Counter::checks_unknown);
  co_return out;
}

}  // namespace certgate::revocation
