#include "tls/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "common/base64.h"

namespace certgate::tls {
namespace {

constexpr std::size_t kKeySize = 80;        // name 16 + HMAC secret 32 + AES-256 key 32
constexpr std::size_t kLegacyKeySize = 48;  // name 16 + HMAC secret 16 + AES-128 key 16

// Ring generations are unique across all TicketKeys objects, so a thread's snapshot can never be
// mistaken for another object's.
std::atomic<uint64_t> next_generation{1};

// Fetched once: implicit fetches per ticket would take OpenSSL's method-store lock on every handshake.
const EVP_CIPHER* cbc_cipher(bool aes256) {
  static EVP_CIPHER* const aes256_cbc = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  static EVP_CIPHER* const aes128_cbc = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
  return aes256 ? aes256_cbc : aes128_cbc;
}

TicketKey key_from_bytes(const unsigned char* p, std::size_t size) {
  TicketKey key;
  key.aes256 = size == kKeySize;
  const std::size_t secret = key.aes256 ? 32 : 16;
  std::memcpy(key.name.data(), p, 16);
  std::memcpy(key.hmac_secret.data(), p + 16, secret);
  std::memcpy(key.aes_key.data(), p + 16 + secret, secret);
  return key;
}

// A random binary key is printable with probability (96/256)^48 at most: text means base64 lines.
bool looks_like_text(std::string_view content) {
  return std::all_of(content.begin(), content.end(), [](unsigned char c) {
    return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t';
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

std::vector<TicketKey> parse_text(std::string_view content) {
  std::vector<TicketKey> keys;
  int line_number = 0;
  while (!content.empty()) {
    const auto end = content.find('\n');
    const auto line = trim(content.substr(0, end));
    content = end == std::string_view::npos ? std::string_view() : content.substr(end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    const auto bytes = base64_decode(line);
    if (!bytes || (bytes->size() != kKeySize && bytes->size() != kLegacyKeySize)) {
      throw std::invalid_argument("line " + std::to_string(line_number) +
                                  " is not a base64-encoded 80-byte (or 48-byte) key");
    }
    keys.push_back(key_from_bytes(reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size()));
  }
  return keys;
}

void check_distinct_names(const std::vector<TicketKey>& keys) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (std::size_t j = i + 1; j < keys.size(); ++j) {
      if (keys[i].name == keys[j].name) {
        throw std::invalid_argument("keys " + std::to_string(i + 1) + " and " + std::to_string(j + 1) +
                                    " have the same name (first 16 bytes)");
      }
    }
  }
}

int ctx_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

struct Snapshot {
  const void* owner = nullptr;
  uint64_t generation = 0;
  std::shared_ptr<const void> ring;
};
// Per thread on purpose (docs/architecture.md, section 2): OpenSSL calls on_ticket_key with only the SSL*,
// whose SSL_CTX all workers share, so there is no per-worker object to reach from the callback; a
// per-thread snapshot keeps the handshake free of the mutex and of a shared reference count.
thread_local Snapshot tls_snapshot;

}  // namespace

struct TicketKeys::Ring {
  std::vector<TicketKey> keys;  // the first encrypts
};

std::vector<TicketKey> parse_ticket_keys(std::string_view content) {
  std::vector<TicketKey> keys;
  if (content.empty()) throw std::invalid_argument("the file is empty");
  const bool binary_size = content.size() == kLegacyKeySize || content.size() % kKeySize == 0;
  if (binary_size && !looks_like_text(content)) {
    const auto* p = reinterpret_cast<const unsigned char*>(content.data());
    if (content.size() == kLegacyKeySize) {
      keys.push_back(key_from_bytes(p, kLegacyKeySize));
    } else {
      for (std::size_t off = 0; off < content.size(); off += kKeySize)
        keys.push_back(key_from_bytes(p + off, kKeySize));
    }
  } else {
    keys = parse_text(content);
  }
  if (keys.empty()) throw std::invalid_argument("the file holds no key");
  check_distinct_names(keys);
  return keys;
}

TicketKey generate_ticket_key() {
  TicketKey key;
  if (RAND_bytes(key.name.data(), key.name.size()) != 1 ||
      RAND_bytes(key.hmac_secret.data(), key.hmac_secret.size()) != 1 ||
      RAND_bytes(key.aes_key.data(), key.aes_key.size()) != 1) {
    throw std::runtime_error("cannot generate a session ticket key: " + pki::take_openssl_errors());
  }
  return key;
}

TicketKeys::TicketKeys() {
  std::lock_guard lock(mutex_);
  install({generate_ticket_key()});
  next_rotation_ = Clock::now() + rotation_;
}

void TicketKeys::install(std::vector<TicketKey> keys) {
  auto ring = std::make_shared<Ring>();
  ring->keys = std::move(keys);
  ring_ = std::move(ring);
  generation_.store(next_generation.fetch_add(1), std::memory_order_release);
}

void TicketKeys::configure(std::optional<std::vector<TicketKey>> file_keys, Clock::duration rotation) {
  std::lock_guard lock(mutex_);
  const auto last_rotation = next_rotation_ - rotation_;
  rotation_ = rotation;
  if (file_keys) {
    install(std::move(*file_keys));
    from_file_ = true;
    next_rotation_ = Clock::time_point::max();
  } else if (from_file_) {
    install({generate_ticket_key()});
    from_file_ = false;
    next_rotation_ = Clock::now() + rotation_;
  } else {
    next_rotation_ = last_rotation + rotation_;
  }
}

TicketKeys::Clock::time_point TicketKeys::rotate_if_due(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (from_file_) return Clock::time_point::max();
  if (now >= next_rotation_) {
    install({generate_ticket_key(), ring_->keys.front()});
    next_rotation_ = now + rotation_;
  }
  return next_rotation_;
}

TicketKeys::Clock::time_point TicketKeys::next_rotation() const {
  std::lock_guard lock(mutex_);
  return next_rotation_;
}

std::vector<TicketKeys::KeyName> TicketKeys::key_names() const {
  std::vector<KeyName> names;
  for (const auto& key : snapshot().keys)
    names.push_back(key.name);
  return names;
}

const TicketKeys::Ring& TicketKeys::snapshot() const {
  auto& cached = tls_snapshot;
  if (cached.owner != this || cached.generation != generation_.load(std::memory_order_acquire)) {
    std::lock_guard lock(mutex_);
    cached.owner = this;
    cached.generation = generation_.load(std::memory_order_relaxed);
    cached.ring = ring_;
  }
  return *static_cast<const Ring*>(cached.ring.get());
}

void TicketKeys::attach(SSL_CTX* ctx) {
  SSL_CTX_set_ex_data(ctx, ctx_index(), this);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, on_ticket_key);
}

int TicketKeys::on_ticket_key(SSL* ssl, unsigned char* key_name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                              EVP_MAC_CTX* hmac, int encrypt) {
  const auto* self = static_cast<const TicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index()));
  if (!self) return -1;
  const Ring& ring = self->snapshot();
  auto use = [&](const TicketKey& key) {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(
            OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key.hmac_secret.data()), key.aes256 ? 32 : 16),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
        OSSL_PARAM_construct_end()};
    return EVP_MAC_CTX_set_params(hmac, params) == 1;
  };
  if (encrypt) {
    const TicketKey& key = ring.keys.front();
    const EVP_CIPHER* c = cbc_cipher(key.aes256);
    if (!c || RAND_bytes(iv, EVP_CIPHER_get_iv_length(c)) != 1) return -1;
    std::memcpy(key_name, key.name.data(), key.name.size());
    if (EVP_EncryptInit_ex(cipher, c, nullptr, key.aes_key.data(), iv) != 1 || !use(key)) return -1;
    return 1;
  }
  for (std::size_t i = 0; i < ring.keys.size(); ++i) {
    const TicketKey& key = ring.keys[i];
    if (std::memcmp(key_name, key.name.data(), key.name.size()) != 0) continue;
    const EVP_CIPHER* c = cbc_cipher(key.aes256);
    if (!c || !use(key) || EVP_DecryptInit_ex(cipher, c, nullptr, key.aes_key.data(), iv) != 1) return -1;
    return i == 0 ? 1 : 2;  // 2: valid, but re-issue the ticket under the current key
  }
  return 0;  // unknown key (rotated out, or another cluster's): full handshake
}

}  // namespace certgate::tls
