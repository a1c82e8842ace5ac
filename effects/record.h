// Record: the effects of one command (or one MULTI/EXEC, or one cron pass) — the payload of one
// append-only-log record, applied whole or not at all.
//
// Effects come already encoded (Writer), each batch for one database; when consecutive batches
// are for different databases a SELECT goes between them, so the payload applies with no state
// from outside but the database of its first effect, which the record's header carries.
#pragma once

#include <string>
#include <string_view>

namespace runnel::effects {

class Record {
 public:
  // Appends encoded effects (whole RESP commands) that apply to database `db`.
  void Append(int db, std::string_view encoded);
  bool empty() const { return payload_.empty(); }
  int first_db() const { return first_db_; }
  const std::string& payload() const { return payload_; }
  void Clear();

 private:
  std::string payload_;
  int first_db_ = -1;
  int current_db_ = -1;
};

}  // namespace runnel::effects
