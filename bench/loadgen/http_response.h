// Incremental HTTP/1.1 response parser: status line, Content-Length, chunked, read-until-close, keep-alive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace certgate::bench {

class ResponseParser {
 public:
  enum class Result { kNeedMore, kDone, kError };

  void reset();
  // Feeds received bytes. The body is validated and discarded, never stored.
  Result feed(const char* data, size_t size);
  // The peer closed the connection: completes a read-until-close body, anything else is an error.
  Result finish_eof();

  int status() const { return status_; }
  bool keep_alive() const { return keep_alive_; }
  bool done() const { return phase_ == Phase::kDone; }

 private:
  enum class Phase { kHead, kLength, kChunkSize, kChunkData, kChunkDataEnd, kTrailer, kUntilClose, kDone };

  Result parse_head();
  Result body(const char* data, size_t size);
  Result chunk_line_done();

  Phase phase_ = Phase::kHead;
  std::string head_;
  std::string line_;
  int status_ = 0;
  bool keep_alive_ = true;
  uint64_t remaining_ = 0;
};

}  // namespace certgate::bench
