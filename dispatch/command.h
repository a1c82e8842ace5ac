// How a command is described: its name, arity, flags, key positions and handler (CommandSpec),
// as each family registers it (commands/*/register functions) and COMMAND INFO / DOCS show it.
//
// Specs are written with designated initializers, so a registration reads as what it says:
//   {.name = "xlen", .arity = 2, .flags = kCmdReadOnly | kCmdFast, .handler = CmdXLen,
//    .keys = {1, 1, 1}, .acl_categories = "@read @stream @fast", .key_flags = "RO"}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace runnel::dispatch {

class CommandContext;
using CommandHandler = void (*)(CommandContext&);

// Command flags; the names COMMAND INFO shows are in command_table.cc.
enum CommandFlag : uint32_t {
  kCmdWrite = 1 << 0,
  kCmdReadOnly = 1 << 1,
  kCmdDenyOom = 1 << 2,
  kCmdAdmin = 1 << 3,
  kCmdNoScript = 1 << 4,
  kCmdBlocking = 1 << 5,
  kCmdLoading = 1 << 6,  // allowed while the dataset is loading
  kCmdStale = 1 << 7,
  kCmdFast = 1 << 8,
  kCmdNoAuth = 1 << 9,  // allowed before AUTH
  kCmdMayReplicate = 1 << 10,
  kCmdAllowBusy = 1 << 11,
  kCmdSkipSlowlog = 1 << 12,
  kCmdSkipMonitor = 1 << 13,
  kCmdNoMulti = 1 << 14,
  kCmdSentinel = 1 << 15,
  kCmdMovableKeys = 1 << 16,
  kCmdNoMandatoryKeys = 1 << 17,
  kCmdNoAsyncLoading = 1 << 18,  // Redis shows it; Runnel never loads asynchronously
  kCmdPubSub = 1 << 19,          // a Pub/Sub command (COMMAND INFO shows it)
};

// Where a command's keys are (COMMAND INFO's first key, last key, step; 0 0 0 = none).
struct KeyPositions {
  int first = 0, last = 0, step = 0;
};

struct CommandSpec {
  std::string name;      // lowercase: "xadd", or "get" under "config"
  std::string fullname;  // "xadd", "config|get" (the table fills it in)
  int arity = 0;         // > 0: exactly this many args; < 0: at least -arity
  uint32_t flags = 0;
  CommandHandler handler = nullptr;  // nullptr for containers (CONFIG, CLIENT ...)
  KeyPositions keys;
  std::string_view acl_categories;  // "@write @stream @fast"
  std::string_view tips;            // COMMAND INFO tips: "nondeterministic_output ..."
  std::string_view key_flags;       // key-spec flags when not the default ("RW delete")
  std::string_view key_notes;       // key-spec notes, as Redis gives them
  std::vector<CommandSpec> subcommands;
  int acl_id = -1;  // its id in the ACL command catalog (the table fills it in)

  bool is_container() const { return !subcommands.empty(); }
  const CommandSpec* FindSubcommand(std::string_view name) const;
};

}  // namespace runnel::dispatch
