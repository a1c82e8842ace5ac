// EffectRecorder: collects what one command (or one MULTI/EXEC) changed, as RESP commands,
// into the payload of one append-only-log record.
//
// Effects carry the database they apply to; when consecutive effects are for different
// databases a SELECT is written between them, so replay needs no other state. The record's
// own database is the first effect's. Commands add effects through CommandContext::Propagate;
// the dispatcher turns the collected payload into a record after the top-level command.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "resp/arg_list.h"

namespace runnel::server {

class EffectRecorder {
 public:
  void Add(int db, std::initializer_list<std::string_view> args);
  void Add(int db, const resp::ArgList& args);
  bool empty() const { return payload_.empty(); }
  int first_db() const { return first_db_; }
  const std::string& payload() const { return payload_; }
  size_t count() const { return count_; }
  void Clear();

 private:
  void SwitchTo(int db);

  std::string payload_;
  int first_db_ = -1;
  int current_db_ = -1;
  size_t count_ = 0;
};

}  // namespace runnel::server
