#include "pki/pem.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace certgate::pki {
namespace {

BioPtr memory_bio(const std::string& data) {
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) throw std::runtime_error("out of memory");
  return bio;
}

std::string with_openssl_reason(const std::string& message) {
  auto detail = take_openssl_errors();
  return detail.empty() ? message : message + " (" + detail + ")";
}

// Every PEM block of one kind in `pem`, in order; other kinds of blocks are skipped.
template <class Ptr, class Reader>
std::vector<Ptr> read_all(const std::string& pem, const std::string& what, const char* kind, Reader read) {
  ERR_clear_error();
  auto bio = memory_bio(pem);
  std::vector<Ptr> items;
  while (auto* item = read(bio.get(), nullptr, nullptr, nullptr))
    items.emplace_back(item);
  const auto err = ERR_peek_last_error();
  if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
    ERR_clear_error();  // the normal end of the input
  } else if (err != 0) {
    throw std::runtime_error(with_openssl_reason(what + " holds a " + kind + " that cannot be parsed"));
  }
  if (items.empty()) throw std::runtime_error(what + " holds no PEM " + kind);
  return items;
}

}  // namespace

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<X509Ptr> parse_certificates(const std::string& pem, const std::string& what) {
  return read_all<X509Ptr>(pem, what, "certificate", PEM_read_bio_X509);
}

std::vector<X509Ptr> load_certificates(const std::string& path) {
  return parse_certificates(read_file(path), path);
}

X509Ptr parse_certificate_any(const std::string& data, const std::string& what) {
  if (data.find("-----BEGIN") != std::string::npos) return std::move(parse_certificates(data, what).front());
  ERR_clear_error();
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(data.size())));
  if (!cert) throw std::runtime_error(with_openssl_reason(what + " is neither a PEM nor a DER certificate"));
  return cert;
}

EvpPkeyPtr parse_private_key(const std::string& pem, const std::string& what) {
  ERR_clear_error();
  auto bio = memory_bio(pem);
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key)
    throw std::runtime_error(with_openssl_reason(what + " holds no readable (unencrypted PEM) private key"));
  return key;
}

EvpPkeyPtr load_private_key(const std::string& path) {
  return parse_private_key(read_file(path), path);
}

std::vector<X509CrlPtr> parse_crls(const std::string& pem, const std::string& what) {
  return read_all<X509CrlPtr>(pem, what, "CRL", PEM_read_bio_X509_CRL);
}

std::string to_pem(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), const_cast<X509*>(cert));
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string to_der(const X509* cert) {
  const int len = i2d_X509(cert, nullptr);
  if (len <= 0) return {};
  std::string out(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  i2d_X509(cert, &p);
  return out;
}

}  // namespace certgate::pki
