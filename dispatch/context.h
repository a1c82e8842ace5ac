// CommandContext: what a command handler sees while it runs.
//
// A data command parses its arguments, runs data operations on its database (db()), writes its
// reply (reply, Error) and says what it changed: the effects for the log (effects()), how many
// changes count toward the save rules (Changed, Redis's "dirty" accounting), which keys changed
// for WATCH and blocked readers (db().NotifyChanged, WakeReaders). It never writes to a socket,
// never decides RESP2 vs RESP3, and never sees the server.
//
// Rules the dispatcher holds every command to:
//   - a command that replies with an error (Error) changed nothing: its effects are dropped and
//     its changes not counted;
//   - a command that changed nothing writes no effect;
//   - a command that wants to wait (XREAD BLOCK) calls Block(); the dispatcher registers the
//     wait after the handler returns.
// Session and administration commands (MULTI, SELECT, CONFIG ...) also use client(),
// dispatcher() and admin().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dispatch/blocking.h"
#include "dispatch/command.h"
#include "dispatch/host.h"
#include "effects/writer.h"
#include "resp/arg_list.h"
#include "resp/reply_writer.h"
#include "streams/keyspace.h"

namespace runnel::dispatch {

class Client;
class Dispatcher;

class CommandContext {
 public:
  CommandContext(Dispatcher& dispatcher, Client& client, const resp::ArgList& args,
                 const CommandSpec& spec, int64_t now_ms, std::string* effects_out);

  // ---- the command ----
  const resp::ArgList& args;
  const CommandSpec& spec;
  const int64_t now_ms;  // wall-clock time of this command (IDs, TTLs, delivery times)
  resp::ReplyWriter& reply;
  bool in_exec = false;  // inside EXEC: a command that would block answers as if timed out
  bool rerun = false;    // re-run of a blocked command after one of its keys changed
  bool timed_out = false;  // the re-run answers its deadline (BlockRequest::answers_timeout)
  std::string_view arg(size_t i) const { return args[i]; }
  size_t argc() const { return args.size(); }
  // Replies an error (the full text, code first). The command then changed nothing.
  // A keyspace notification for `key` in the client's database (config::NotifyFlag `type`).
  void Notify(uint32_t type, std::string_view event, std::string_view key);
  // Redis's checkAlreadyExpired: whether an expiry time the command sets has passed, so the key
  // goes at once. Never for a Redis master's commands: its replica keeps the key until the
  // master's DEL, whatever the clocks say.
  bool AlreadyExpired(int64_t expire_ms) const;
  void Error(std::string_view message);
  bool failed() const { return failed_; }

  // ---- data ----
  streams::Database& db();  // the client's selected database
  streams::Keyspace& keyspace();
  const Limits& limits() const;

  // ---- what the command changed ----
  effects::Writer& effects() { return effects_; }
  // Changes toward the save rules (INFO rdb_changes_since_last_save), as Redis counts them.
  void Changed(uint64_t n = 1) { changes_ += n; }
  uint64_t changes() const { return changes_; }
  // Blocked readers of `key` look again, though the key itself did not change for WATCH (a
  // group was dropped, a pending entry became claimable).
  void WakeReaders(std::string_view key);
  // A consumer's seen time moved and no effect of this command implies it: it is written
  // later, coalesced with others (Dispatcher::FlushConsumerTimes).
  void NoteConsumerSeen(std::string_view key, std::string_view group, std::string_view consumer);

  // ---- blocking ----
  // Asks the dispatcher to block this client. Only valid when !in_exec.
  void Block(BlockRequest request) { block_ = std::move(request); }
  std::optional<BlockRequest>& block() { return block_; }

  // ---- sessions and administration ----
  Client& client() { return client_; }
  Dispatcher& dispatcher() { return dispatcher_; }
  // A warning for the operator, in the server's log.
  void Warn(std::string_view message);
  AdminHost& admin();

 private:
  Dispatcher& dispatcher_;
  Client& client_;
  effects::Writer effects_;
  uint64_t changes_ = 0;
  bool failed_ = false;
  std::optional<BlockRequest> block_;
};

}  // namespace runnel::dispatch
