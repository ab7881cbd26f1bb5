// Session ticket keys, one set per process: shared by every SSL_CTX of every listener and worker, and kept
// across config reloads, so a reload never invalidates the tickets clients hold. Keys are either generated
// and rotated in memory, or read from a file that several nodes share (docs/tls.md has the format).
//
// The handshake path never takes a lock: each thread keeps a snapshot of the key ring and only refreshes
// it (under the mutex) when the ring's generation number changed, i.e. once per rotation.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "pki/openssl_ptr.h"

namespace certgate::tls {

struct TicketKey {
  std::array<unsigned char, 16> name{};
  std::array<unsigned char, 32> hmac_secret{};
  std::array<unsigned char, 32> aes_key{};
  bool aes256 = true;  // false: a 48-byte key (AES-128-CBC, 16-byte HMAC-SHA256 secret)
};

// A ticket key file: raw binary (one or more 80-byte keys, or a single 48-byte key: nginx's
// ssl_session_ticket_key format) or text with one base64-encoded 80- or 48-byte key per line (HAProxy's
// tls-ticket-keys format; blank lines and '#' comments allowed). The first key encrypts new tickets; the
// others only decrypt. Throws std::invalid_argument with the reason.
std::vector<TicketKey> parse_ticket_keys(std::string_view content);

TicketKey generate_ticket_key();

class TicketKeys {
 public:
  using Clock = std::chrono::steady_clock;
  using KeyName = std::array<unsigned char, 16>;

  TicketKeys();  // starts with one generated key, rotating every hour
  TicketKeys(const TicketKeys&) = delete;
  TicketKeys& operator=(const TicketKeys&) = delete;

  // Applies an accepted config: keys from a file replace the ring (no automatic rotation); without a
  // file, generated keys carry on from before and rotate every `rotation`.
  void configure(std::optional<std::vector<TicketKey>> file_keys, Clock::duration rotation);
  // Generated keys: when due, a new key starts encrypting and the previous one still decrypts for one
  // more period (a ticket lives one period). Returns when to call again (max() with file keys).
  Clock::time_point rotate_if_due(Clock::time_point now);
  Clock::time_point next_rotation() const;

  // Makes `ctx` encrypt and decrypt its tickets with these keys.
  void attach(SSL_CTX* ctx);

  // The names of the keys in use, the encrypting key first.
  std::vector<KeyName> key_names() const;

 private:
  struct Ring;
  const Ring& snapshot() const;
  void install(std::vector<TicketKey> keys);  // mutex_ held
  static int on_ticket_key(SSL* ssl, unsigned char* key_name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                           EVP_MAC_CTX* hmac, int encrypt);

  mutable std::mutex mutex_;
  std::shared_ptr<const Ring> ring_;     // guarded by mutex_
  std::atomic<uint64_t> generation_{0};  // changes whenever ring_ does
  bool from_file_ = false;
  Clock::duration rotation_ = std::chrono::hours(1);
  Clock::time_point next_rotation_;
};

}  // namespace certgate::tls
