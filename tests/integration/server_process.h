// Test fixture: runs the built runnel-server as a child process and talks to it.
//
// ServerProcess picks a free port and a fresh temporary data directory, starts the binary,
// and waits (polling, no fixed sleeps) until the port accepts connections. RawClient speaks
// bytes and parses replies with the project's own ReplyParser, so RESP3 can be checked
// (Debian's hiredis 0.14 cannot parse it); Hiredis() gives a hiredis context for everything
// else. WaitFor polls a condition until a deadline; WaitBlocked, until n clients block.
#pragma once

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resp/reply_parser.h"

namespace runnel::testing {

int FreePort();
bool WaitFor(const std::function<bool()>& condition, int timeout_ms = 5000);

class ServerProcess {
 public:
  // Extra arguments go after the generated --port and --dir (so they can override them); a
  // config file, if given, goes first, as runnel-server expects.
  explicit ServerProcess(std::vector<std::string> extra_args = {}, std::string config_file = "");
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // The binary to run (the build's runnel-server unless set; from the next Start on). The
  // legacy-log fixture generator runs an older build through this.
  void SetBinary(std::string path) { binary_ = std::move(path); }
  // An environment variable for the server process (from the next Start on).
  void SetEnv(std::string name, std::string value) {
    env_.emplace_back(std::move(name), std::move(value));
  }
  // Starts the server; false if it exited or did not accept connections within the timeout.
  bool Start(int timeout_ms = 10000);
  // Sends `signal` and waits for the exit; returns the exit status (or 128 + signal).
  int Stop(int signal = 15);
  // Waits for the process to exit by itself; returns the exit status (or 128 + signal), or -1
  // on timeout. After a Start that failed because the process died, returns how it died.
  int WaitExit(int timeout_ms = 10000);
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string Log() const;  // what the server printed (stdout and stderr)

  // A hiredis connection (freed automatically).
  using Context = std::unique_ptr<redisContext, void (*)(redisContext*)>;
  Context Hiredis() const;

 private:
  std::string binary_ = RUNNEL_SERVER_PATH;
  std::vector<std::string> args_;
  std::vector<std::pair<std::string, std::string>> env_;
  std::string config_file_;
  int port_ = 0;
  pid_t pid_ = -1;
  int exit_status_ = -1;
  std::string dir_;
  std::string log_path_;
};

// A hiredis reply that frees itself.
using ReplyPtr = std::unique_ptr<redisReply, void (*)(void*)>;
ReplyPtr Command(redisContext* c, const std::vector<std::string>& args);

class RawClient {
 public:
  explicit RawClient(int port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  void Send(std::string_view bytes);
  // Encodes and sends a command.
  void SendCommand(const std::vector<std::string>& args);
  // Reads one whole reply; fails the test (returns an error reply) after timeout_ms.
  resp::Reply Read(int timeout_ms = 5000);
  // Reads one reply and returns its raw bytes.
  std::string ReadRaw(int timeout_ms = 5000);
  // Sends a command and reads its reply.
  resp::Reply Call(const std::vector<std::string>& args, int timeout_ms = 5000);
  // True if the server closes the connection within timeout_ms (after any pending replies).
  bool WaitClosed(int timeout_ms = 5000);
  // True if no bytes arrive for `ms` (the reply is still pending, e.g. a blocked read).
  bool Silent(int ms);

 private:
  bool Fill(int timeout_ms);
  int fd_ = -1;
  std::string buffer_;
};

// INFO's blocked_clients, or -1 if the field is missing.
int64_t BlockedClients(RawClient& admin);
// Polls until exactly n clients are blocked: tests wait on that, never on a fixed sleep.
bool WaitBlocked(RawClient& admin, int64_t n);
int64_t MsSince(std::chrono::steady_clock::time_point t);

}  // namespace runnel::testing
