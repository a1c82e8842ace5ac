// MasterLink: a replica's connection to its master (REPLICAOF host port) — connecting, the
// handshake, the full sync's snapshot, then the stream — and reconnecting, once a second, for
// as long as the server follows that master.
//
//   connect     resolve the host and connect (ROLE: connect, connecting)
//   handshake   PING; [AUTH]; REPLCONF listening-port; REPLCONF capa psync2; PSYNC <replid>
//               <offset> with what the server holds ("? -1" before its first sync)
//   sync        +FULLRESYNC <replid> <offset>: the snapshot ($<length> and its bytes) goes to a
//               file beside the dump file; loaded whole in place of the data, which the log (if
//               on) then takes as its new base
//   connected   +CONTINUE, or a loaded snapshot: the stream is parsed command by command; each
//               record is applied (Dispatcher::ApplyReplicated), PUBLISH delivered, GETACK
//               answered, and the command's exact bytes passed to Replication::FeedRaw, which
//               moves the offset and feeds this server's own replicas
//
// A Redis master (rather than a Runnel one) is recognised by what it sends: an RDB file (magic
// REDIS) for the sync, loaded through rdb/ (keys of types Runnel lacks are skipped and counted),
// and ordinary commands on the stream rather than RUNNEL-RECORDs. Those run through the
// dispatcher as a MasterClient (master_client.h) in the database the master's SELECTs name,
// with MULTI/EXEC as sent; one that fails (a command or type Runnel lacks) is counted and its
// name logged, and the rest of the stream goes on, as redis-server's replicas go on.
//
// The offset moves only after a command has been applied whole, so a link that breaks inside
// one continues (PSYNC) from its first byte. A record that does not apply means this server no
// longer holds its master's data: the link is dropped and the next sync is a full one.
// REPLCONF ACK <offset> [FACK <offset on disk>] goes to the master every second, when it asks
// (GETACK), and when the log has reached the disk further (the cron looks); a master
// silent for repl-timeout seconds is given up and connected to again.
//
// Every libuv handle is owned here (RAII), and callbacks that may arrive after the attempt
// they belong to ended (a resolution, a connect) carry the attempt's number and are ignored
// when it is not the current one.
#pragma once

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "resp/arg_list.h"
#include "resp/request_parser.h"
#include "server/master_client.h"
#include "server/uv_handle.h"

namespace runnel::server {

class Server;
class Replication;

class MasterLink {
 public:
  MasterLink(Server& server, Replication& replication, std::string host, int port);
  ~MasterLink();
  MasterLink(const MasterLink&) = delete;
  MasterLink& operator=(const MasterLink&) = delete;

  uint64_t attempt() const { return attempt_; }
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  // ROLE's name for where the link is: connect, connecting, handshake, sync, connected.
  std::string_view state_name() const;
  bool up() const { return state_ == State::kConnected; }
  bool syncing() const { return state_ == State::kSync; }
  // Seconds since the master last sent anything (-1 before it ever did).
  int64_t last_io_seconds() const;
  // Seconds since the link went down; -1 while up, and before it was ever up (as redis-server).
  int64_t down_seconds() const;
  uint64_t sync_total_bytes() const { return sync_total_; }
  uint64_t sync_read_bytes() const { return sync_read_; }
  // Whether the master is a redis-server, and what of its data could not be applied here.
  bool redis_master() const { return redis_master_; }
  uint64_t skipped_keys() const { return skipped_keys_; }
  uint64_t rejected_commands() const { return rejected_commands_; }

  // Connects when due, sends the once-a-second ACK, gives up on a silent master.
  void Cron();
  // REPLCONF ACK <offset> now (GETACK).
  void SendAck();
  // Closes the connection; the next Cron connects again (a full sync when `full`).
  void Drop(std::string_view why, bool full = false);
  // The next PSYNC asks for a full sync.
  void RequireFullSync() { force_full_ = true; }

 private:
  enum class State { kConnect, kResolving, kConnecting, kHandshake, kSync, kConnected };
  // Handshake steps: which replies are awaited.
  enum class Step { kPing, kReplconf, kPsync };

  void Connect();
  void OnResolved(int status, addrinfo* result);
  void OnConnected(int status);
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  void Write(std::string bytes);
  void Process();
  // Takes one line (without CRLF) from the input; false when no whole line has arrived.
  bool TakeLine(std::string* line);
  // Each false when the link was dropped or more input is needed.
  bool Handshake();
  bool PsyncReply(const std::string& line);
  bool ReceiveSnapshot();
  bool LoadSnapshot();
  bool Stream();
  bool ApplyCommand(const resp::ArgList& args, std::string_view bytes);
  // Runs a Redis master's command as the master client; counts and logs a failure.
  void RunRedisCommand(const resp::ArgList& args);

  Server& server_;
  Replication& replication_;
  std::string host_;
  int port_;
  State state_ = State::kConnect;
  Step step_ = Step::kPing;
  size_t replies_awaited_ = 0;
  bool auth_pending_ = false;  // the first awaited reply is AUTH's
  uint64_t attempt_ = 0;       // the current connection attempt; stale callbacks carry an older one
  UvHandle<uv_tcp_t> tcp_;
  std::string in_;  // received, not yet processed
  std::string read_buffer_;
  uint64_t last_io_ms_ = 0;     // monotonic; 0 = never
  uint64_t down_since_ms_ = 0;  // monotonic; 0 until the link first went down
  uint64_t last_connect_ms_ = 0;
  uint64_t last_ack_ms_ = 0;
  uint64_t acked_synced_ = 0;  // the FACK last sent
  bool force_full_ = false;  // the next PSYNC asks for a full sync

  // Full sync.
  std::string sync_replid_;
  uint64_t sync_offset_ = 0;
  std::string sync_path_;
  int sync_fd_ = -1;
  uint64_t sync_total_ = 0, sync_read_ = 0;
  bool sync_length_known_ = false;

  // A Redis master: the client its commands run as, and what did not apply.
  MasterClient master_client_;
  bool redis_master_ = false;
  uint64_t skipped_keys_ = 0;
  uint64_t rejected_commands_ = 0;
  std::map<std::string, uint64_t, std::less<>> rejected_by_name_;

  // The stream.
  resp::RequestParser parser_;
  resp::ArgList args_;
  std::string command_bytes_;  // the bytes of the command being parsed
  bool held_ = false;          // args_ is a whole command CLIENT PAUSE holds
};

}  // namespace runnel::server
