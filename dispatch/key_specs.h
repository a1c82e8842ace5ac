// Key specifications: where a command's keys are among its arguments and what it does to each,
// in the form COMMAND INFO shows (Redis 7's key specs), and the keys a given call names.
//
// One source for both: COMMAND INFO writes KeySpecs, and the ACL check asks FindKeys which keys
// a call touches and whether it reads or changes them, so the two can never disagree.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "dispatch/command.h"
#include "resp/arg_list.h"

namespace runnel::dispatch {

// A key specification: where a command's keys are and what it does to them.
struct KeySpec {
  std::string_view notes;
  std::vector<std::string_view> flags;
  int index = 0;             // begin_search by index ...
  std::string_view keyword;  // ... or after this keyword (XREAD's STREAMS)
  int lastkey = 0, keystep = 1, limit = 0;
  int startfrom = 1;  // with a keyword: the argument the search for it starts at
  // find_keys by a key count (MSETEX's numkeys) instead of a range: where the count is and
  // where the keys start, both from the begin_search index, and the step between keys.
  bool keynum = false;
  int keynumidx = 0, firstkey = 1;
};

std::vector<KeySpec> KeySpecs(const CommandSpec& spec);

// The words of one of CommandSpec's space-separated fields (flags, categories, tips).
std::vector<std::string_view> SpecWords(std::string_view field);

// A key a call names, and what the call does with it.
struct KeyRef {
  std::string_view key;
  size_t arg_index = 0;
  // Its key spec's flags, as COMMAND GETKEYSANDFLAGS shows them (variable_flags resolved for
  // this call's arguments).
  std::vector<std::string_view> flags;
  bool read = false;   // flag "access": the call returns or uses the value
  bool write = false;  // "insert", "update" or "delete": the call changes the key
};

// The keys `args` names, in argument order for each key spec; a malformed call yields the keys
// that are there (the command itself reports the error).
std::vector<KeyRef> FindKeys(const CommandSpec& spec, const resp::ArgList& args);

// Whether any of the command's key specs names keys (shard channels are not_key).
bool HasKeyArguments(const CommandSpec& spec);

}  // namespace runnel::dispatch
