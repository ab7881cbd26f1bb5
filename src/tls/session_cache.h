// Server-side TLS sessions kept in memory, shared by every worker and kept across config reloads.
//
// Why not stateless tickets by default: with mutual TLS a session contains the client's certificate, and
// OpenSSL 3.0 encodes the session into every ticket it issues and re-parses it right away, then parses it
// again when the ticket comes back. Parsing a certificate is the most expensive step of an OpenSSL 3.0
// handshake, so a ticket costs about as much as the handshake's signatures. Cached sessions stay parsed
// objects: issuing one is an insert, resuming one is a lookup, and the client's intermediates stay with it.
// Stateless tickets remain available (tls.session_resumption: tickets) for several nodes that share keys.
//
// The lock is held only for a hash-map insert or lookup, once per full or resumed handshake.
#pragma once

#include <chrono>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "pki/openssl_ptr.h"

namespace certgate::tls {

struct SessionDeleter {
  void operator()(SSL_SESSION* s) const noexcept { SSL_SESSION_free(s); }
};
using SessionPtr = std::unique_ptr<SSL_SESSION, SessionDeleter>;

class SessionCache {
 public:
  struct Found {
    SessionPtr session;               // null when not found or expired
    pki::X509StackPtr intermediates;  // what the client sent with its certificate (may be null)
  };

  void configure(std::size_t capacity);

  // Keeps `session` (taking the caller's reference) and the client's intermediates (shared); evicts the
  // least recently stored when full.
  void store(SSL_SESSION* session, STACK_OF(X509) * intermediates);
  // TLS 1.3 sessions are single-use (RFC 8446 C.4, no replay): they leave the cache when taken. TLS 1.2
  // sessions may resume several times and stay. Expired sessions are dropped.
  Found take(const unsigned char* id, std::size_t id_length, bool single_use);
  void remove(const unsigned char* id, std::size_t id_length);

  std::size_t size() const;

 private:
  struct Entry {
    SessionPtr session;
    pki::X509StackPtr intermediates;
    std::list<std::string>::iterator order;
  };
  void evict_oldest();  // mutex_ held

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> by_id_;
  std::list<std::string> order_;  // oldest first
  std::size_t capacity_ = 4096;
};

}  // namespace certgate::tls
