// Client: one client as the dispatcher sees it — its session (database, protocol, AUTH, MULTI,
// WATCH, a blocked command) and the replies it has not been sent yet.
//
// The shell's Connection derives from it and does the I/O; the in-process test harness derives
// one that keeps replies in memory. The dispatcher and the session commands read and write the
// session fields directly; what only the shell can do (send, close, describe the socket) is a
// virtual call. Anything that can outlive a client refers to it by id, never by pointer.
#pragma once

#include <strings.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "acl/user.h"
#include "dispatch/blocking.h"
#include "resp/arg_list.h"
#include "resp/reply_writer.h"

namespace runnel::dispatch {

// MULTI state: the queued commands and whether queueing hit an error.
struct MultiState {
  bool active = false;
  bool aborted = false;  // a command failed to queue: EXEC answers EXECABORT
  bool deny_oom = false;  // a queued command is deny-oom: EXEC is refused above maxmemory
  std::vector<resp::ArgList> queued;
};

// WATCH state: what this client watches, and whether any of it changed since.
struct WatchState {
  struct Watched {
    int db;
    std::string key;
    bool expired_at_watch;  // the key was already past its TTL when watched
  };
  std::vector<Watched> keys;
  bool dirty = false;
};

// What a client is subscribed to (Pub/Sub; dispatch/pubsub.h keeps the other direction).
struct Subscriptions {
  std::set<std::string, std::less<>> channels, patterns, shard_channels;
  // The count SUBSCRIBE and PSUBSCRIBE report (Redis counts both together), and SSUBSCRIBE's.
  size_t count() const { return channels.size() + patterns.size(); }
  bool any() const { return count() > 0 || !shard_channels.empty(); }
};

// A client waiting in a blocking command.
struct BlockedState {
  BlockRequest request;
  int db = 0;
  BlockingRegistry::Registration registration;
  uint64_t usec = 0;  // time its runs took so far (command_stats.h)
};

// The client types CLIENT LIST and CLIENT KILL filter by. A replica is a connection that sent
// PSYNC or SYNC; Runnel's own link to its master is not a client (server/master_link.h), so no
// client is of type master.
enum class ClientType { kNormal, kReplica, kMaster, kPubSub };
// "normal", "replica" (or its old name "slave"), "master", "pubsub", in any case.
inline std::optional<ClientType> ParseClientType(std::string_view name) {
  auto is = [&](std::string_view want) {
    return name.size() == want.size() && strncasecmp(name.data(), want.data(), want.size()) == 0;
  };
  if (is("normal")) return ClientType::kNormal;
  if (is("replica") || is("slave")) return ClientType::kReplica;
  if (is("master")) return ClientType::kMaster;
  if (is("pubsub")) return ClientType::kPubSub;
  return std::nullopt;
}

class Client {
 public:
  explicit Client(uint64_t id) : id_(id) {}
  virtual ~Client() = default;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  uint64_t id() const { return id_; }
  resp::ReplyWriter& reply() { return writer_; }
  // Replies written since `mark` (a size of the buffer, taken before a command) are dropped:
  // CLIENT REPLY OFF / SKIP.
  size_t reply_mark() const { return out_.size(); }
  void DropRepliesSince(size_t mark) { out_.resize(std::min(mark, out_.size())); }
  int protocol() const { return writer_.protocol(); }
  void set_protocol(int p) { writer_.set_protocol(p); }

  // ---- session state ----
  int db = 0;
  bool authenticated = false;
  // The ACL user its commands run as: the default user until AUTH; null once its user was
  // deleted (the client is being closed, and may run nothing more). Dispatcher::StartSession
  // sets it; the users registry keeps it valid.
  const acl::User* user = nullptr;
  std::string name;
  std::string lib_name, lib_ver;
  MultiState multi;
  WatchState watch;
  std::optional<BlockedState> blocked;
  // CLIENT PAUSE holds this client's command (the dispatcher keeps it and runs it at the end).
  bool postponed = false;
  // Its commands wait: the ones it pipelined behind must not run yet.
  bool waiting() const { return blocked.has_value() || postponed; }
  Subscriptions subscriptions;
  // Redis's client type (CLIENT LIST / KILL TYPE): pubsub while subscribed to anything, in
  // either protocol, as redis-server counts it.
  ClientType type() const {
    if (master) return ClientType::kMaster;
    if (replica) return ClientType::kReplica;
    return subscriptions.any() ? ClientType::kPubSub : ClientType::kNormal;
  }
  // What a replica said of itself before PSYNC (REPLCONF), and whether it has sent PSYNC or
  // SYNC: from then on it is sent the replication stream (server/replicas.h).
  struct ReplicaHello {
    int64_t listening_port = 0;
    std::string ip_address;  // REPLCONF ip-address; empty: the peer's address
    bool capa_eof = false, capa_psync2 = false;
  } replica_hello;
  bool replica = false;
  // The commands of this replica's Redis master (server/master_client.h): trusted as Redis
  // trusts its master client — no ACL, memory, read-only or stale-data refusals; keys past their
  // TTL are still found; the replies go nowhere. CLIENT PAUSE holds them (the link waits).
  bool master = false;
  // The replication offset just after this client's last command that changed data: what WAIT
  // waits for replicas to acknowledge.
  uint64_t woff = 0;
  std::string last_command = "NULL";
  // CLIENT REPLY: OFF sends no reply at all; SKIP, none to the next command.
  enum class ReplyMode { kOn, kOff, kSkipNext };
  ReplyMode reply_mode = ReplyMode::kOn;
  bool no_evict = false;  // CLIENT NO-EVICT: maxmemory-clients never closes this client
  bool no_touch = false;  // CLIENT NO-TOUCH: its lookups leave keys' access times alone
  bool monitor = false;   // MONITOR: sent every command run (Dispatcher::StartMonitoring)

  // ---- what only the shell can do ----
  // Replies were written to this client outside its own command (a served waiter, a timeout):
  // send them before the next poll.
  virtual void ScheduleFlush() = 0;
  // The client was unblocked: the commands it pipelined behind the blocked one may run.
  virtual void ScheduleResume() = 0;
  // Runs the commands it pipelined behind a held one now, before the dispatcher goes on to the
  // next client CLIENT PAUSE held: each held client's buffer runs whole, in turn.
  virtual void RunPendingInput() = 0;
  // Closes once the buffered replies are sent (QUIT, CLIENT KILL of itself).
  virtual void CloseAfterReply() = 0;
  // Closes now (CLIENT KILL of another client).
  virtual void Close() = 0;
  // AUTH succeeded or was reset: the request parser's pre-AUTH limits follow.
  virtual void SetAuthenticated(bool yes) { authenticated = yes; }
  // For CLIENT LIST, INFO and KILL.
  virtual std::string Describe() const = 0;  // one CLIENT LIST line, without the newline
  virtual std::string_view addr() const = 0;
  virtual std::string_view laddr() const = 0;
  virtual int64_t age_seconds() const = 0;

 protected:
  std::string out_;  // replies not yet sent

 private:
  uint64_t id_;
  resp::ReplyWriter writer_{&out_};
};

}  // namespace runnel::dispatch
