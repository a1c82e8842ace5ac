#include "effects/record.h"

#include "resp/command_encoder.h"

namespace runnel::effects {

void Record::Append(int db, std::string_view encoded) {
  if (encoded.empty()) return;
  if (first_db_ < 0) {
    first_db_ = current_db_ = db;
  } else if (db != current_db_) {
    resp::CommandWriter(&payload_, 2).Arg("SELECT").Int(db);
    current_db_ = db;
  }
  payload_.append(encoded);
}

void Record::Clear() {
  payload_.clear();
  first_db_ = current_db_ = -1;
}

}  // namespace runnel::effects
