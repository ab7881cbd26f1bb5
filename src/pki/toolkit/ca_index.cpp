#include "pki/toolkit/ca_index.h"

#include <array>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "pki/cert_info.h"
#include "pki/toolkit/serial_number.h"

namespace certgate::pki::toolkit {
namespace {

using json = nlohmann::ordered_json;  // keeps "serial" first: the file is read by people too

constexpr int kIndexVersion = 1;

constexpr std::array<std::pair<RevocationReason, const char*>, 7> kReasons = {{
    {RevocationReason::unspecified, "unspecified"},
    {RevocationReason::key_compromise, "keyCompromise"},
    {RevocationReason::ca_compromise, "cACompromise"},
    {RevocationReason::affiliation_changed, "affiliationChanged"},
    {RevocationReason::superseded, "superseded"},
    {RevocationReason::cessation_of_operation, "cessationOfOperation"},
    {RevocationReason::certificate_hold, "certificateHold"},
}};

json entry_to_json(const IndexEntry& entry) {
  json out = {{"serial", entry.serial},
              {"subject", entry.subject},
              {"profile", entry.profile},
              {"not_before", entry.not_before},
              {"not_after", entry.not_after},
              {"sha256_fingerprint", entry.sha256_fingerprint},
              {"status", entry.revocation ? "revoked" : "valid"}};
  if (entry.revocation) {
    out["revoked_at"] = rfc3339(entry.revocation->time);
    out["revocation_reason"] = revocation_reason_name(entry.revocation->reason);
  }
  return out;
}

std::optional<Revocation> revocation_from_json(const json& in) {
  if (in.at("status").get<std::string>() == "valid") return std::nullopt;
  if (in.at("status").get<std::string>() != "revoked") throw std::runtime_error("unknown status");
  const auto time = parse_rfc3339(in.at("revoked_at").get<std::string>());
  const auto reason = parse_revocation_reason(in.at("revocation_reason").get<std::string>());
  if (!time || !reason) throw std::runtime_error("bad revocation of " + in.at("serial").get<std::string>());
  return Revocation{*time, *reason};
}

IndexEntry entry_from_json(const json& in) {
  IndexEntry entry;
  const auto serial = normalize_serial_hex(in.at("serial").get<std::string>());
  if (!serial) throw std::runtime_error("bad serial " + in.at("serial").dump());
  entry.serial = *serial;
  entry.subject = in.at("subject").get<std::string>();
  entry.profile = in.value("profile", "");
  entry.not_before = in.value("not_before", "");
  entry.not_after = in.value("not_after", "");
  entry.sha256_fingerprint = in.value("sha256_fingerprint", "");
  entry.revocation = revocation_from_json(in);
  return entry;
}

}  // namespace

std::optional<RevocationReason> parse_revocation_reason(const std::string& name) {
  for (const auto& [reason, text] : kReasons) {
    if (name == text) return reason;
  }
  return std::nullopt;
}

std::string revocation_reason_name(RevocationReason reason) {
  for (const auto& [candidate, text] : kReasons) {
    if (candidate == reason) return text;
  }
  return "unspecified";
}

std::vector<std::string> revocation_reason_names() {
  std::vector<std::string> out;
  for (const auto& entry : kReasons)
    out.emplace_back(entry.second);
  return out;
}

std::optional<std::time_t> parse_rfc3339(const std::string& text) {
  struct tm tm {};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return timegm(&tm);
}

IndexEntry index_entry_for(const X509* cert, const std::string& profile) {
  IndexEntry entry;
  entry.serial = serial_to_hex(X509_get0_serialNumber(cert));
  entry.subject = subject_dn(cert);
  entry.profile = profile;
  entry.not_before = not_before_rfc3339(cert);
  entry.not_after = not_after_rfc3339(cert);
  entry.sha256_fingerprint = sha256_fingerprint_hex(cert);
  return entry;
}

CaIndex CaIndex::from_json(const std::string& text, const std::string& what) {
  CaIndex index;
  try {
    const json doc = json::parse(text);
    if (doc.at("version").get<int>() != kIndexVersion) throw std::runtime_error("unsupported version");
    for (const auto& item : doc.at("certificates"))
      index.add(entry_from_json(item));
  } catch (const std::exception& e) {
    throw std::runtime_error(what + " is not a valid certgate CA index: " + e.what());
  }
  return index;
}

std::string CaIndex::to_json() const {
  json certificates = json::array();
  for (const auto& entry : entries_)
    certificates.push_back(entry_to_json(entry));
  const json doc = {{"version", kIndexVersion}, {"certificates", std::move(certificates)}};
  return doc.dump(2) + "\n";
}

IndexEntry* CaIndex::find(const std::string& serial) {
  for (auto& entry : entries_) {
    if (entry.serial == serial) return &entry;
  }
  return nullptr;
}

void CaIndex::add(IndexEntry entry) {
  if (find(entry.serial)) throw std::runtime_error("serial " + entry.serial + " is already in the index");
  entries_.push_back(std::move(entry));
}

std::vector<IndexEntry> CaIndex::revoked() const {
  std::vector<IndexEntry> out;
  for (const auto& entry : entries_) {
    if (entry.revocation) out.push_back(entry);
  }
  return out;
}

}  // namespace certgate::pki::toolkit
