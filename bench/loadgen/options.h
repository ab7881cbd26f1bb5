// Command-line options of certgate-loadgen.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace certgate::bench {

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 8443;
  std::string sni = "localhost";
  int connections = 16;
  int threads = 0;  // 0: min(connections, hardware threads)
  double duration_s = 10;
  double warmup_s = 0;
  uint64_t requests_per_conn = 0;  // 0: keep-alive until the end; 1: a full handshake per request
  std::string tls = "1.3";
  bool resume = false;
  bool no_tickets = false;  // SSL_OP_NO_TICKET: do not advertise session ticket support
  std::string cert_file;
  std::string key_file;
  std::string chain_file;
  std::string ca_file;
  bool verify_server = true;
  std::string path = "/";
  std::vector<std::string> headers;
  uint64_t idle = 0;
  double timeout_s = 10;
  bool json = false;
  std::string label;
  std::vector<int> server_pids;
  std::vector<int> upstream_pids;  // reported separately: the shared upstream's own cost
  std::string ready_file;
  double idle_open_timeout_s = 180;
};

// "500ms", "5s", "2m", "1h" or a bare number of seconds.
bool parse_duration(const std::string& text, double& seconds);

}  // namespace certgate::bench
