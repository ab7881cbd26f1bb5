#include "config/admin_loader.h"

#include <fstream>
#include <sstream>

#include "config/url.h"

namespace certgate::config {
namespace {

// The token is the file's content without surrounding whitespace (a trailing newline from `echo` is
// not part of it). A short token is a config error: it would be guessable.
std::string read_token(const YamlReader& r, const YAML::Node& node, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  auto token = text.str();
  const auto first = token.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) r.fail(node, "admin.token_file " + path + " is empty");
  token = token.substr(first, token.find_last_not_of(" \t\r\n") - first + 1);
  if (token.size() < 16) r.fail(node, "admin.token_file: the token must have at least 16 characters");
  if (token.find_first_of(" \t\r\n") != std::string::npos)
    r.fail(node, "admin.token_file: the token must be one word");
  return token;
}

}  // namespace

AdminSettings load_admin_settings(const YamlReader& r, const YAML::Node& n) {
  r.expect_map(n, "admin", {"address", "token_file", "client_ca_file", "cert_file", "key_file"});
  AdminSettings s;
  s.enabled = true;
  s.mark = r.mark(n);
  const auto address = n["address"];
  if (!address) r.fail(n, "admin needs 'address' (host:port)");
  s.address = r.scalar(address, "admin.address");
  if (!split_host_port(s.address, s.host, s.port))
    r.fail(address, "admin.address must be host:port (got '" + s.address + "')");
  if (auto t = n["token_file"]) {
    s.token_file = r.readable_file(t, "admin.token_file");
    s.token = read_token(r, t, s.token_file);
  }
  if (auto c = n["client_ca_file"]) s.client_ca_file = r.readable_file(c, "admin.client_ca_file");
  if (auto c = n["cert_file"]) s.cert_file = r.readable_file(c, "admin.cert_file");
  if (auto k = n["key_file"]) s.key_file = r.readable_file(k, "admin.key_file");
  if (s.token_file.empty() && s.client_ca_file.empty())
    r.fail(n, "admin needs token_file, client_ca_file or both: the admin API is never open");
  if (!s.client_ca_file.empty() && (s.cert_file.empty() || s.key_file.empty()))
    r.fail(n, "admin.client_ca_file needs cert_file and key_file: the admin listener then speaks TLS");
  if (s.client_ca_file.empty() && (!s.cert_file.empty() || !s.key_file.empty()))
    r.fail(n, "admin.cert_file and key_file are only used with client_ca_file");
  return s;
}

}  // namespace certgate::config
