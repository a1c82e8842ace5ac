// In-memory ByteSink and ByteSource for snapshot code under test: the snapshot tests and the
// fuzz targets write snapshots into a string and load them back from one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "persistence/snapshot.h"

namespace runnel::persistence::testing {

// Collects what is written; with fail_after_ set, a write that would pass that many bytes fails
// (a full disk, for the tests that need one).
class StringSink : public ByteSink {
 public:
  bool Write(std::string_view bytes) override {
    if (fail_after_ && data.size() + bytes.size() > *fail_after_) return false;
    data.append(bytes);
    return true;
  }
  std::string data;
  std::optional<size_t> fail_after_;
};

// Appends to *out, so a loader that forgot to clear its buffer would show it.
class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  bool Read(size_t n, std::string* out) override {
    if (n > data_.size() - pos_) {
      pos_ = data_.size();
      return false;
    }
    out->append(data_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  uint64_t offset() const override { return pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace runnel::persistence::testing
