#include "dispatch/object_info.h"

#include <climits>
#include <string>

#include "streams/numbers.h"

namespace runnel::dispatch {
namespace {

// A string Redis would store as a shared or plain integer object.
bool LooksLikeInteger(const std::string& s) {
  return s.size() <= 20 && streams::ParseStrictInt64(s).has_value();
}

}  // namespace

std::string_view ObjectEncoding(const streams::Record& record) {
  const std::string* s = record.value.string();
  if (s == nullptr) return "stream";
  if (record.string_form == streams::StringForm::kEdited) return "raw";
  if (record.string_form == streams::StringForm::kByContent && LooksLikeInteger(*s)) return "int";
  return s->size() <= 44 ? "embstr" : "raw";
}

int64_t ObjectRefCount(const streams::Record& record) {
  const std::string* s = record.value.string();
  if (s == nullptr || ObjectEncoding(record) != "int") return 1;
  int64_t v = *streams::ParseStrictInt64(*s);
  return v >= 0 && v < 10000 ? INT32_MAX : 1;  // Redis's shared integers
}

}  // namespace runnel::dispatch
