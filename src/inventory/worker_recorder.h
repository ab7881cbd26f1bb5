// A worker's side of the client-certificate inventory: a small batch of sightings, touched only by the
// worker's thread, merged into the shared ClientInventory on the worker's tick (every 100 ms) or when the
// batch is full. Recording a request costs a relaxed load, a few comparisons, and when the request differs
// from the one before it, a shared_ptr copy and two string copies into buffers whose capacity is reused:
// no lock and, after warm-up, no allocation.
#pragma once

#include <array>
#include <cstddef>

#include "inventory/client_inventory.h"

namespace certgate::inventory {

class WorkerRecorder {
 public:
  static constexpr std::size_t kBatch = 128;

  // The server's inventory, which outlives the worker. Until then nothing is recorded.
  void attach(ClientInventory& inventory) { inventory_ = &inventory; }
  bool enabled() const { return inventory_ && inventory_->enabled(); }

  // One request made with the certificate `facts` describe (non-null, fingerprint set).
  void record(const std::shared_ptr<const auth::CertificateFacts>& facts, std::string_view route,
              std::string_view consumer, Reason reason);
  // Hands the batch to the inventory (the worker's tick, and when its loop ends).
  void flush(Clock::time_point now = Clock::now());

 private:
  ClientInventory* inventory_ = nullptr;
  std::array<Sighting, kBatch> batch_;
  std::size_t used_ = 0;
};

}  // namespace certgate::inventory
