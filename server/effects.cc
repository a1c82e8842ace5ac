#include "server/effects.h"

#include <vector>

#include "resp/command_encoder.h"

namespace runnel::server {

void EffectRecorder::SwitchTo(int db) {
  if (first_db_ < 0) {
    first_db_ = current_db_ = db;
    return;
  }
  if (db == current_db_) return;
  std::string index = std::to_string(db);
  resp::EncodeCommand(&payload_, {"SELECT", index});
  current_db_ = db;
}

void EffectRecorder::Add(int db, std::initializer_list<std::string_view> args) {
  SwitchTo(db);
  resp::EncodeCommand(&payload_, args);
  ++count_;
}

void EffectRecorder::Add(int db, const resp::ArgList& args) {
  SwitchTo(db);
  std::vector<std::string_view> views;
  views.reserve(args.size());
  for (size_t i = 0; i < args.size(); ++i) views.push_back(args[i]);
  resp::EncodeCommand(&payload_, views);
  ++count_;
}

void EffectRecorder::Clear() {
  payload_.clear();
  first_db_ = current_db_ = -1;
  count_ = 0;
}

}  // namespace runnel::server
