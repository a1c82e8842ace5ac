// What a key is, without changing it: TOUCH, RANDOMKEY, OBJECT (ENCODING, REFCOUNT, IDLETIME,
// FREQ, HELP), with redis-server's replies and errors. OBJECT ENCODING
// and REFCOUNT answer what redis-server would for the same value (dispatch/object_info.h).
#include <random>
#include <string>
#include <vector>

#include "commands/keys/register.h"
#include "dispatch/args.h"
#include "dispatch/help.h"
#include "dispatch/object_info.h"
#include "streams/numbers.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using streams::Database;
namespace errors = dispatch::errors;

void CmdTouch(CommandContext& ctx) {
  int64_t found = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (ctx.db().Find(ctx.arg(i), ctx.now_ms) != nullptr) ++found;  // Find marks the access
  }
  ctx.reply.Integer(found);
}

void CmdRandomKey(CommandContext& ctx) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const Database::Node* node = ctx.db().RandomNode(rng(), ctx.now_ms);
  if (node == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(node->key);
}

// The key's record for OBJECT: looked up without counting as an access (Redis's NOTOUCH),
// nullptr when absent; a key past its TTL is expired by the lookup, as any read does.
const Database::Node* Inspect(CommandContext& ctx) {
  return ctx.db().FindNoTouch(ctx.arg(2), ctx.now_ms);
}

void CmdObjectEncoding(CommandContext& ctx) {
  const Database::Node* node = Inspect(ctx);
  if (node == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(dispatch::ObjectEncoding(node->value));
}

void CmdObjectRefCount(CommandContext& ctx) {
  const Database::Node* node = Inspect(ctx);
  if (node == nullptr) return ctx.reply.Null();
  ctx.reply.Integer(dispatch::ObjectRefCount(node->value));
}

void CmdObjectIdleTime(CommandContext& ctx) {
  const Database::Node* node = Inspect(ctx);
  if (node == nullptr) return ctx.reply.Null();
  const int64_t now_s = ctx.now_ms / 1000;
  ctx.reply.Integer(std::max<int64_t>(now_s - node->value.access_s, 0));
}

void CmdObjectFreq(CommandContext& ctx) {
  if (Inspect(ctx) == nullptr) return ctx.reply.Null();
  ctx.Error(errors::kNoLfuPolicy);  // no maxmemory-policy here counts frequencies
}

void CmdObjectHelp(CommandContext& ctx) {
  dispatch::WriteHelp(
      ctx.reply, "OBJECT",
      {"ENCODING <key>",
       "    Return the kind of internal representation used in order to store the value",
       "    associated with a <key>.", "FREQ <key>",
       "    Return the access frequency index of the <key>. The returned integer is",
       "    proportional to the logarithm of the recent access frequency of the key.",
       "IDLETIME <key>",
       "    Return the idle time of the <key>, that is the approximated number of",
       "    seconds elapsed since the last access to the key.", "REFCOUNT <key>",
       "    Return the number of references of the value associated with the specified",
       "    <key>."});
}

}  // namespace

void RegisterKeyInfoCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  out.push_back({.name = "touch",
                 .arity = -2,
                 .flags = kCmdReadOnly | kCmdFast,
                 .handler = CmdTouch,
                 .keys = {1, -1, 1},
                 .acl_categories = "@keyspace @read @fast",
                 .tips = "request_policy:multi_shard response_policy:agg_sum",
                 .key_flags = "RO"});
  out.push_back({.name = "randomkey",
                 .arity = 1,
                 .flags = kCmdReadOnly,
                 .handler = CmdRandomKey,
                 .acl_categories = "@keyspace @read @slow",
                 .tips = "request_policy:all_shards nondeterministic_output"});
  std::vector<CommandSpec> object;
  const KeyPositions key2 = {2, 2, 1};
  using Handler = void (*)(CommandContext&);
  const std::pair<const char*, Handler> kObject[] = {{"encoding", CmdObjectEncoding},
                                                     {"freq", CmdObjectFreq},
                                                     {"idletime", CmdObjectIdleTime},
                                                     {"refcount", CmdObjectRefCount}};
  for (auto [name, handler] : kObject) {
    object.push_back({.name = name,
                      .arity = 3,
                      .flags = kCmdReadOnly,
                      .handler = handler,
                      .keys = key2,
                      .acl_categories = "@keyspace @read @slow",
                      .tips = "nondeterministic_output",
                      .key_flags = "RO"});
  }
  object.push_back({.name = "help",
                    .arity = 2,
                    .flags = kCmdLoading | kCmdStale,
                    .handler = CmdObjectHelp,
                    .acl_categories = "@keyspace @slow"});
  out.push_back(
      {.name = "object", .arity = -2, .acl_categories = "@slow", .subcommands = std::move(object)});
}

}  // namespace runnel::commands
