#include "http_response.h"

#include <strings.h>

#include <charconv>
#include <string_view>

namespace certgate::bench {
namespace {

constexpr size_t kMaxHead = 64 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool contains_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

void ResponseParser::reset() {
  phase_ = Phase::kHead;
  head_.clear();
  line_.clear();
  status_ = 0;
  keep_alive_ = true;
  remaining_ = 0;
}

ResponseParser::Result ResponseParser::feed(const char* data, size_t size) {
  if (phase_ == Phase::kDone) return Result::kDone;  // trailing bytes after a response are ignored
  if (phase_ != Phase::kHead) return body(data, size);
  const size_t old = head_.size();
  head_.append(data, size);
  const size_t from = old >= 3 ? old - 3 : 0;
  const size_t end = head_.find("\r\n\r\n", from);
  if (end == std::string::npos) return head_.size() > kMaxHead ? Result::kError : Result::kNeedMore;
  const size_t body_start = end + 4;
  const size_t extra = head_.size() - body_start;
  head_.resize(end + 2);  // keep the last header line's CRLF
  const Result r = parse_head();
  if (r != Result::kNeedMore) return r;
  if (phase_ == Phase::kHead) {  // a 1xx interim response: parse what follows as a new response
    std::string rest(data + (size - extra), extra);
    head_.clear();
    return rest.empty() ? Result::kNeedMore : feed(rest.data(), rest.size());
  }
  return extra == 0 ? (phase_ == Phase::kDone ? Result::kDone : Result::kNeedMore)
                    : body(data + (size - extra), extra);
}

ResponseParser::Result ResponseParser::parse_head() {
  std::string_view head(head_);
  size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  // HTTP/1.x SP 3DIGIT SP reason
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1.") return Result::kError;
  const bool http10 = status_line[7] == '0';
  keep_alive_ = !http10;
  int code = 0;
  auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, code);
  if (ec != std::errc() || p != status_line.data() + 12) return Result::kError;
  status_ = code;

  bool chunked = false;
  bool have_length = false;
  uint64_t length = 0;
  head.remove_prefix(eol + 2);
  while (!head.empty()) {
    eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Result::kError;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      auto [q, e] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (e != std::errc() || q != value.data() + value.size()) return Result::kError;
      have_length = true;
    } else if (iequals(name, "transfer-encoding")) {
      chunked = contains_token(value, "chunked");
    } else if (iequals(name, "connection")) {
      if (contains_token(value, "close")) keep_alive_ = false;
      if (contains_token(value, "keep-alive")) keep_alive_ = true;
    }
  }

  if (status_ >= 100 && status_ < 200) {
    phase_ = Phase::kHead;
    return Result::kNeedMore;
  }
  if (status_ == 204 || status_ == 304) {
    phase_ = Phase::kDone;
  } else if (chunked) {
    phase_ = Phase::kChunkSize;
    line_.clear();
  } else if (have_length) {
    remaining_ = length;
    phase_ = length == 0 ? Phase::kDone : Phase::kLength;
  } else {
    phase_ = Phase::kUntilClose;
    keep_alive_ = false;
  }
  return phase_ == Phase::kDone ? Result::kDone : Result::kNeedMore;
}

ResponseParser::Result ResponseParser::body(const char* data, size_t size) {
  size_t i = 0;
  while (i < size) {
    switch (phase_) {
      case Phase::kLength: {
        const uint64_t take = std::min<uint64_t>(remaining_, size - i);
        remaining_ -= take;
        i += static_cast<size_t>(take);
        if (remaining_ == 0) phase_ = Phase::kDone;
        break;
      }
      case Phase::kUntilClose:
        return Result::kNeedMore;
      case Phase::kChunkSize:
      case Phase::kTrailer: {
        const char c = data[i++];
        if (c != '\n') {
          if (line_.size() > 4096) return Result::kError;
          line_.push_back(c);
          break;
        }
        const Result r = chunk_line_done();
        if (r == Result::kError) return r;
        break;
      }
      case Phase::kChunkData: {
        const uint64_t take = std::min<uint64_t>(remaining_, size - i);
        remaining_ -= take;
        i += static_cast<size_t>(take);
        if (remaining_ == 0) {
          phase_ = Phase::kChunkDataEnd;
          line_.clear();
        }
        break;
      }
      case Phase::kChunkDataEnd: {
        const char c = data[i++];
        if (c == '\n') {
          if (!(line_.empty() || line_ == "\r")) return Result::kError;
          phase_ = Phase::kChunkSize;
          line_.clear();
        } else {
          line_.push_back(c);
          if (line_.size() > 1) return Result::kError;
        }
        break;
      }
      case Phase::kDone:
        return Result::kDone;
      case Phase::kHead:
        return Result::kError;
    }
    if (phase_ == Phase::kDone) return Result::kDone;
  }
  return phase_ == Phase::kDone ? Result::kDone : Result::kNeedMore;
}

ResponseParser::Result ResponseParser::chunk_line_done() {
  std::string_view line = trim(line_);
  if (phase_ == Phase::kTrailer) {
    line_.clear();
    if (line.empty()) phase_ = Phase::kDone;
    return Result::kNeedMore;
  }
  const size_t semi = line.find(';');
  line = trim(line.substr(0, semi));
  uint64_t size = 0;
  auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
  if (line.empty() || ec != std::errc() || p != line.data() + line.size()) return Result::kError;
  line_.clear();
  if (size == 0) {
    phase_ = Phase::kTrailer;
  } else {
    remaining_ = size;
    phase_ = Phase::kChunkData;
  }
  return Result::kNeedMore;
}

ResponseParser::Result ResponseParser::finish_eof() {
  if (phase_ == Phase::kUntilClose || phase_ == Phase::kDone) {
    phase_ = Phase::kDone;
    keep_alive_ = false;
    return Result::kDone;
  }
  return Result::kError;
}

}  // namespace certgate::bench
