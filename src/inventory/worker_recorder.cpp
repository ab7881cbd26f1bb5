#include "inventory/worker_recorder.h"

namespace certgate::inventory {

void WorkerRecorder::record(const std::shared_ptr<const auth::CertificateFacts>& facts,
                            std::string_view route, std::string_view consumer, Reason reason) {
  if (!enabled() || !facts) return;
  if (used_ > 0) {
    // Keep-alive requests of one client usually come in a row: fold them into one sighting.
    auto& last = batch_[used_ - 1];
    if (last.facts == facts && last.reason == reason && last.route == route && last.consumer == consumer) {
      ++last.count;
      return;
    }
  }
  if (used_ == kBatch) flush();
  auto& s = batch_[used_++];
  s.facts = facts;
  s.route.assign(route);
  s.consumer.assign(consumer);
  s.reason = reason;
  s.count = 1;
}

void WorkerRecorder::flush(Clock::time_point now) {
  if (used_ == 0 || !inventory_) return;
  inventory_->merge(std::span<const Sighting>(batch_.data(), used_), now);
  for (std::size_t i = 0; i < used_; ++i)
    batch_[i].facts.reset();  // the inventory holds its own reference now
  used_ = 0;
}

}  // namespace certgate::inventory
