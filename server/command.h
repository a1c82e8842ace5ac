// How commands are described (CommandSpec) and what a handler sees when it runs
// (CommandContext).
//
// A handler parses its arguments, calls data operations in streams/, and writes its reply
// through ctx.reply. It never writes to a socket and never decides RESP2 vs RESP3. A handler
// that wants to wait (XREAD BLOCK) calls ctx.Block(); the dispatcher registers the wait after
// the handler returns, and later re-runs the stored command when a watched key changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resp/arg_list.h"
#include "resp/reply_writer.h"
#include "streams/keyspace.h"
#include "streams/stream_id.h"

namespace runnel::server {

class Server;
class Connection;
struct CommandContext;

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
  // Not a Redis flag: the handler logs its own effects (CommandContext::Propagate) and the
  // dispatcher never logs the command as sent.
  kCmdCustomEffects = 1 << 24,
};

struct CommandSpec {
  std::string name;      // lowercase: "xadd", or "get" under "config"
  std::string fullname;  // "xadd", "config|get"
  int arity = 0;         // > 0: exactly this many args; < 0: at least -arity
  uint32_t flags = 0;
  CommandHandler handler = nullptr;  // nullptr for containers (CONFIG, CLIENT ...)
  int first_key = 0, last_key = 0, key_step = 0;
  std::string_view acl_categories;  // "@write @stream @fast"
  std::string_view tips;            // COMMAND INFO tips: "nondeterministic_output ..."
  std::string_view key_flags;       // key-spec flags when not the default ("RW delete")
  std::string_view key_notes;       // key-spec notes, as Redis gives them
  std::vector<CommandSpec> subcommands;

  CommandSpec& Tips(std::string_view t) {
    tips = t;
    return *this;
  }
  CommandSpec& KeyFlags(std::string_view flags, std::string_view notes = {}) {
    key_flags = flags;
    key_notes = notes;
    return *this;
  }

  bool is_container() const { return !subcommands.empty(); }
  const CommandSpec* FindSubcommand(std::string_view name) const;
};

// A key a blocked client waits on, and when a change to it could let the client proceed.
struct WaitKey {
  std::string key;
  streams::StreamId after;  // serve once the stream's last ID passes this (XREAD)
  std::string group;        // XREADGROUP: serve once this group has undelivered entries
  bool claim = false;       // XREADGROUP CLAIM: or once a pending entry may be claimable
};

struct BlockRequest {
  std::vector<WaitKey> keys;
  uint64_t timeout_ms = 0;  // 0 = forever
  // Wall-clock ms at which to re-run even if no key changed (XREADGROUP CLAIM: when the
  // oldest pending entry becomes idle enough); 0 = none.
  int64_t wake_at_ms = 0;
  resp::ArgList rerun;      // the command to run again when a key changes ($ resolved)
};

struct CommandContext {
  CommandContext(Server& s, Connection& c, const resp::ArgList& a, resp::ReplyWriter& r,
                 const CommandSpec& sp, int64_t now)
      : server(s), conn(c), args(a), reply(r), spec(sp), now_ms(now) {}

  Server& server;
  Connection& conn;
  const resp::ArgList& args;
  resp::ReplyWriter& reply;
  const CommandSpec& spec;
  int64_t now_ms;        // wall-clock time of this command (IDs, TTLs)
  bool in_exec = false;  // inside EXEC: a command that would block answers as if timed out
  bool rerun = false;    // re-run of a blocked command after one of its keys changed
  std::optional<BlockRequest> block;  // set by Block()

  // ---- effects for the append-only log (docs/durability.md) ----
  // A write command that changes nothing logs nothing; one that changes something is logged
  // as sent. Commands flagged kCmdCustomEffects instead Propagate exactly their effects (a
  // concrete ID for "*", an exact trim for "~", XCLAIMs for deliveries ...).
  void Propagate(std::initializer_list<std::string_view> effect);
  void Propagate(const resp::ArgList& effect);
  // The command changed state that no key-change notification reported (group bookkeeping).
  void MarkDirty() { dirty = true; }
  bool dirty = false;

  streams::Database& db();
  std::string_view arg(size_t i) const { return args[i]; }
  size_t argc() const { return args.size(); }
  // Asks the dispatcher to block this client. Only valid when !in_exec.
  void Block(BlockRequest request) { block = std::move(request); }
  // Replies with an error string (the full text, code first).
  void Error(std::string_view message) { reply.Error(message); }
};

}  // namespace runnel::server
