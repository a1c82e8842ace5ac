// The COMMAND DOCS table's entries, as written (see command_docs.cc for the argument DSL and
// how entries are parsed and checked). One entry per command fullname; adding a command's
// documentation is adding one entry to command_docs_table.cc.
#pragma once

#include <array>
#include <span>
#include <string_view>

namespace runnel::commands {

struct DocEntry {
  std::string_view name;   // fullname: "xadd", "config|get"
  std::string_view group;  // one of kGroups
  std::string_view since;
  std::string_view summary;
  std::string_view complexity = {};
  std::string_view history = {};  // "VERSION: change" lines separated by '\n'
  std::string_view args = {};     // the DSL above
  // A deprecated command (GETSET): the version, and what replaces it, as Redis documents it.
  std::string_view deprecated_since = {};
  std::string_view replaced_by = {};
  bool syscmd = false;  // Redis's "syscmd" doc flag: a system command, not for applications
};

// The groups redis-cli knows (`help @stream`), as redis-server names them.
inline constexpr std::array<std::string_view, 18> kDocGroups = {
    "generic", "string",       "list",       "set",    "sorted-set", "hash",
    "pubsub",  "transactions", "connection", "server", "scripting",  "hyperloglog",
    "cluster", "sentinel",     "geo",        "stream", "bitmap",     "module"};

// Every entry, in the order COMMAND DOCS lists them.
std::span<const DocEntry> DocTable();

}  // namespace runnel::commands
