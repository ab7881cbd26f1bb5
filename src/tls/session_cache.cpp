#include "tls/session_cache.h"

#include <ctime>

namespace certgate::tls {
namespace {

std::string key_of(const unsigned char* id, std::size_t length) {
  return std::string(reinterpret_cast<const char*>(id), length);
}

bool expired(const SSL_SESSION* session) {
  return SSL_SESSION_get_time(session) + SSL_SESSION_get_timeout(session) < std::time(nullptr);
}

}  // namespace

void SessionCache::configure(std::size_t capacity) {
  std::lock_guard lock(mutex_);
  capacity_ = capacity;
  while (by_id_.size() > capacity_)
    evict_oldest();
}

void SessionCache::store(SSL_SESSION* session, STACK_OF(X509) * intermediates) {
  SessionPtr owned(session);
  pki::X509StackPtr chain(intermediates && sk_X509_num(intermediates) > 0 ? X509_chain_up_ref(intermediates)
                                                                          : nullptr);
  unsigned int length = 0;
  const unsigned char* id = SSL_SESSION_get_id(session, &length);
  if (length == 0 || capacity_ == 0) return;
  auto key = key_of(id, length);
  std::lock_guard lock(mutex_);
  if (auto it = by_id_.find(key); it != by_id_.end()) {
    order_.erase(it->second.order);
    by_id_.erase(it);
  }
  while (by_id_.size() >= capacity_)
    evict_oldest();
  order_.push_back(key);
  by_id_.emplace(std::move(key), Entry{std::move(owned), std::move(chain), std::prev(order_.end())});
}

SessionCache::Found SessionCache::take(const unsigned char* id, std::size_t id_length, bool single_use) {
  std::lock_guard lock(mutex_);
  auto it = by_id_.find(key_of(id, id_length));
  if (it == by_id_.end()) return {};
  Entry& entry = it->second;
  if (single_use || expired(entry.session.get())) {
    Found found{std::move(entry.session), std::move(entry.intermediates)};
    order_.erase(entry.order);
    by_id_.erase(it);
    if (expired(found.session.get())) return {};
    return found;
  }
  SSL_SESSION_up_ref(entry.session.get());
  return {SessionPtr(entry.session.get()),
          pki::X509StackPtr(entry.intermediates ? X509_chain_up_ref(entry.intermediates.get()) : nullptr)};
}

void SessionCache::remove(const unsigned char* id, std::size_t id_length) {
  std::lock_guard lock(mutex_);
  auto it = by_id_.find(key_of(id, id_length));
  if (it == by_id_.end()) return;
  order_.erase(it->second.order);
  by_id_.erase(it);
}

std::size_t SessionCache::size() const {
  std::lock_guard lock(mutex_);
  return by_id_.size();
}

void SessionCache::evict_oldest() {
  if (order_.empty()) return;
  by_id_.erase(order_.front());
  order_.pop_front();
}

}  // namespace certgate::tls
