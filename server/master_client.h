// MasterClient: the client a replica runs a Redis master's commands as (Client::master), as
// redis-server runs its master's stream through a "master client". Commands come from the
// master link, never from a socket of their own; replies are collected and read back by the
// link (an error means the command did not apply, which the link counts and logs) and never
// sent. Being no connection, it is not in CLIENT LIST.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dispatch/client.h"

namespace runnel::server {

class MasterClient : public dispatch::Client {
 public:
  MasterClient(uint64_t id, std::string addr) : Client(id), addr_(std::move(addr)) {
    master = true;
    authenticated = true;
  }

  // The replies written since the last call, which are then dropped.
  std::string TakeReplies() {
    std::string replies = std::move(out_);
    out_.clear();
    return replies;
  }

  void ScheduleFlush() override {}
  void ScheduleResume() override {}
  void RunPendingInput() override {}
  void CloseAfterReply() override {}
  void Close() override {}
  std::string Describe() const override { return "id=" + std::to_string(id()) + " flags=M"; }
  std::string_view addr() const override { return addr_; }
  std::string_view laddr() const override { return {}; }
  int64_t age_seconds() const override { return 0; }

 private:
  std::string addr_;
};

}  // namespace runnel::server
