// BufferPeaks: the largest client input and output buffers of the last few seconds, for INFO's
// client_recent_max_input_buffer and client_recent_max_output_buffer.
//
// As redis-server keeps them: one slot per second in a ring of kSeconds, each the largest size
// noted in that second; the answer is the largest slot. A slot is cleared when its second comes
// round again, so a burst is forgotten kSeconds after it ended. Noting is one comparison, cheap
// enough for every read and every flush.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

namespace runnel::server {

class BufferPeaks {
 public:
  static constexpr size_t kSeconds = 8;

  void NoteInput(uint64_t bytes, uint64_t now_s) {
    Slot(now_s).input = std::max(Slot(now_s).input, bytes);
  }
  void NoteOutput(uint64_t bytes, uint64_t now_s) {
    Slot(now_s).output = std::max(Slot(now_s).output, bytes);
  }
  uint64_t MaxInput(uint64_t now_s) const { return Max(now_s, &Peak::input); }
  uint64_t MaxOutput(uint64_t now_s) const { return Max(now_s, &Peak::output); }

 private:
  struct Peak {
    uint64_t second = 0;
    uint64_t input = 0;
    uint64_t output = 0;
  };

  Peak& Slot(uint64_t now_s) {
    Peak& p = slots_[now_s % kSeconds];
    if (p.second != now_s) p = Peak{now_s, 0, 0};
    return p;
  }
  uint64_t Max(uint64_t now_s, uint64_t Peak::*field) const {
    uint64_t m = 0;
    for (const Peak& p : slots_) {
      if (p.second + kSeconds > now_s) m = std::max(m, p.*field);  // only the recent ones
    }
    return m;
  }

  std::array<Peak, kSeconds> slots_{};
};

}  // namespace runnel::server
