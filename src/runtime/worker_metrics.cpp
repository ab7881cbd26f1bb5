#include "runtime/worker_metrics.h"

namespace certgate::runtime {

static_assert(static_cast<std::size_t>(Reason::bad_signature_algorithm) < kReasonSlots - 1,
              "kReasonSlots must have room for every reason code");

void HandshakeCounters::count(HandshakeResult result, std::string_view version, bool resumed) {
  auto label = TlsVersionLabel::other;
  if (version.empty()) {
    label = TlsVersionLabel::none;
  } else if (version == "TLSv1.3") {
    label = TlsVersionLabel::tls1_3;
  } else if (version == "TLSv1.2") {
    label = TlsVersionLabel::tls1_2;
  }
  handshakes[static_cast<std::size_t>(result)][static_cast<std::size_t>(label)][resumed ? 1 : 0].add();
}

void RefusalRing::push(Refusal refusal) {
  std::lock_guard lock(mutex_);
  if (entries_.size() == kRefusalRing) entries_.pop_front();
  entries_.push_back(std::move(refusal));
}

std::vector<Refusal> RefusalRing::snapshot() const {
  std::lock_guard lock(mutex_);
  return {entries_.begin(), entries_.end()};
}

// The first request of a route on this worker: its block is published with a release store, so a
// scrape that sees the pointer sees a constructed block.
RouteCounters& WorkerMetrics::allocate(std::size_t slot) {
  owned_.push_back(std::make_unique<RouteCounters>());
  auto* block = owned_.back().get();
  routes_[slot].store(block, std::memory_order_release);
  return *block;
}

}  // namespace certgate::runtime
