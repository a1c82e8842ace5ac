// What the server does when the disk fails under it, with failures injected by an LD_PRELOAD
// library (fail_io_shim.cc) that is switched on and off by a trigger file:
//   - appendfsync always: the server exits before acknowledging the write it could not log; the
//     unacknowledged write is absent after a restart, everything acknowledged is there;
//   - appendfsync everysec: writes are refused with Redis's -MISCONF until the log can be written
//     again, reads go on, and the write acknowledged as the failure began is kept and logged
//     once the disk recovers;
//   - a failed background save refuses writes (stop-writes-on-bgsave-error) until a save works;
//   - SHUTDOWN and SIGTERM stay up when the final save fails, FORCE or a second SIGINT insist.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "dataset.h"
#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

namespace {

constexpr const char* kAofMisconf =
    "MISCONF Errors writing to the AOF file: No space left on device";
constexpr const char* kBgsaveMisconf =
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to "
    "disk. Commands that may modify the data set are disabled, because this instance is "
    "configured to report errors during writes if RDB snapshotting fails "
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
    "RDB error.";

// Arms `server` with the shim: calls on files whose path contains `path_part` fail while the
// returned trigger file exists.
std::string ArmShim(ServerProcess& server, const std::string& path_part) {
  const std::string trigger = server.dir() + "/fail-now";
  server.SetEnv("LD_PRELOAD", RUNNEL_FAIL_SHIM_PATH);
  server.SetEnv("RUNNEL_FAIL_PATH", path_part);
  server.SetEnv("RUNNEL_FAIL_TRIGGER", trigger);
  // An ASan build wants its runtime first in the library list; the shim is loaded before it.
  const char* asan = std::getenv("ASAN_OPTIONS");
  server.SetEnv("ASAN_OPTIONS",
                std::string(asan != nullptr ? asan : "") + ":verify_asan_link_order=0");
  return trigger;
}

void SetTrigger(const std::string& trigger, bool on) {
  if (on) {
    close(open(trigger.c_str(), O_CREAT | O_WRONLY, 0644));
  } else {
    unlink(trigger.c_str());
  }
}

void StartLoaded(ServerProcess& server) {
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
}

}  // namespace

TEST_CASE("appendfsync always: a write that cannot be logged is never acknowledged") {
  ServerProcess server({"--appendfsync", "always", "--save", ""});
  const std::string trigger = ArmShim(server, ".incr.aof");
  StartLoaded(server);
  RawClient c(server.port());
  CHECK(c.Call({"XADD", "s", "1-1", "f", "acknowledged"}).str == "1-1");
  SetTrigger(trigger, true);
  c.SendCommand({"XADD", "s", "1-2", "f", "never acknowledged"});
  CHECK(c.WaitClosed());
  CHECK(server.WaitExit() == 1);
  CHECK(server.Log().find("exiting to acknowledge nothing that is not durable") !=
        std::string::npos);
  SetTrigger(trigger, false);
  StartLoaded(server);
  RawClient after(server.port());
  Reply r = after.Call({"XRANGE", "s", "-", "+"});
  REQUIRE(r.elements.size() == 1);
  CHECK(r.elements[0].elements[0].str == "1-1");
}

TEST_CASE("appendfsync everysec: -MISCONF while the log cannot be written, then recovery") {
  ServerProcess server({"--appendfsync", "everysec", "--save", ""});
  const std::string trigger = ArmShim(server, ".incr.aof");
  StartLoaded(server);
  RawClient c(server.port());
  CHECK(c.Call({"XADD", "s", "1-1", "f", "before"}).str == "1-1");
  SetTrigger(trigger, true);
  // The write that meets the failure was applied in memory and is acknowledged, as in Redis;
  // its record stays buffered for the next attempt.
  CHECK(c.Call({"XADD", "s", "1-2", "f", "during"}).str == "1-2");
  CHECK(c.Call({"XADD", "s", "1-3", "f", "refused"}).str == kAofMisconf);
  CHECK(c.Call({"SET", "k", "v"}).str == kAofMisconf);
  CHECK(c.Call({"XLEN", "s"}).integer == 2);  // reads go on
  CHECK(InfoField(c, "aof_last_write_status") == "err");
  SetTrigger(trigger, false);
  REQUIRE(WaitFor([&] { return c.Call({"XADD", "s", "1-3", "f", "after"}).str == "1-3"; }));
  CHECK(InfoField(c, "aof_last_write_status") == "ok");
  CHECK(server.Log().find("Writing to the append-only log works again") != std::string::npos);

  CHECK(server.Stop(9) == 128 + 9);
  StartLoaded(server);
  RawClient after(server.port());
  Reply r = after.Call({"XRANGE", "s", "-", "+"});
  REQUIRE(r.elements.size() == 3);
  CHECK(r.elements[1].elements[1].elements[1].str == "during");
}

TEST_CASE("a failed background save refuses writes until a save works again") {
  ServerProcess server({"--appendonly", "no", "--save", "3600 1"});
  const std::string trigger = ArmShim(server, "dump.rnl");
  StartLoaded(server);
  RawClient c(server.port());
  CHECK(c.Call({"SET", "k", "v"}).str == "OK");
  SetTrigger(trigger, true);
  CHECK(c.Call({"BGSAVE"}).str == "Background saving started");
  REQUIRE(WaitFor([&] { return InfoField(c, "rdb_bgsave_in_progress") == "0"; }));
  CHECK(InfoField(c, "rdb_last_bgsave_status") == "err");
  CHECK(c.Call({"SET", "k", "v2"}).str == kBgsaveMisconf);
  CHECK(c.Call({"GET", "k"}).str == "v");
  CHECK(c.Call({"SAVE"}).str == "ERR");  // as Redis: the reason is in the log
  CHECK(server.Log().find("Error saving the snapshot: ") != std::string::npos);

  // The operator's way out, as in Redis: allow writes anyway ...
  CHECK(c.Call({"CONFIG", "SET", "stop-writes-on-bgsave-error", "no"}).str == "OK");
  CHECK(c.Call({"SET", "k", "v2"}).str == "OK");
  CHECK(c.Call({"CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"}).str == "OK");
  CHECK(c.Call({"SET", "k", "v3"}).str == kBgsaveMisconf);
  // ... or fix the disk: one successful save lifts the refusal.
  SetTrigger(trigger, false);
  CHECK(c.Call({"SAVE"}).str == "OK");
  CHECK(c.Call({"SET", "k", "v3"}).str == "OK");
}

TEST_CASE("SHUTDOWN and SIGTERM stay up when the final save fails; FORCE and SIGINT insist") {
  ServerProcess server({"--appendonly", "no", "--save", "3600 1"});
  const std::string trigger = ArmShim(server, "dump.rnl");
  StartLoaded(server);
  RawClient c(server.port());
  CHECK(c.Call({"SET", "k", "v"}).str == "OK");
  SetTrigger(trigger, true);
  CHECK(c.Call({"SHUTDOWN"}).str == "ERR Errors trying to SHUTDOWN. Check logs.");
  // Still up (reads work; PING is refused while saving fails, as in Redis).
  CHECK(c.Call({"GET", "k"}).str == "v");
  CHECK(c.Call({"PING"}).str == kBgsaveMisconf);

  kill(server.pid(), SIGTERM);
  REQUIRE(WaitFor([&] {
    return server.Log().find("SIGTERM received but errors trying to shut down") !=
           std::string::npos;
  }));
  CHECK(c.Call({"GET", "k"}).str == "v");
  kill(server.pid(), SIGINT);  // after a failed attempt, SIGINT insists
  CHECK(server.WaitExit() == 1);
  CHECK(server.Log().find("You insist... exiting now.") != std::string::npos);

  StartLoaded(server);
  RawClient d(server.port());
  CHECK(d.Call({"SET", "k", "v"}).str == "OK");
  d.SendCommand({"SHUTDOWN", "FORCE"});
  CHECK(d.WaitClosed());
  CHECK(server.WaitExit() == 0);
}

TEST_CASE("a rewrite whose manifest cannot be written fails cleanly; the log goes on") {
  ServerProcess server({"--save", ""});
  const std::string trigger = ArmShim(server, ".manifest");
  StartLoaded(server);
  RawClient c(server.port());
  CHECK(c.Call({"XADD", "s", "1-1", "f", "before"}).str == "1-1");
  SetTrigger(trigger, true);
  CHECK(c.Call({"BGREWRITEAOF"}).str ==
        "ERR Can't execute an AOF background rewriting. Please check the server logs for more "
        "information.");
  CHECK(server.Log().find("Can't rewrite the append-only log: ") != std::string::npos);
  CHECK(c.Call({"XADD", "s", "1-2", "f", "after"}).str == "1-2");
  SetTrigger(trigger, false);
  CHECK(server.Stop(9) == 128 + 9);
  // Only the first log file and the manifest: the file made for the rewrite was removed.
  StartLoaded(server);
  RawClient after(server.port());
  CHECK(after.Call({"XLEN", "s"}).integer == 2);
  CHECK(server.Log().find("left by an interrupted rewrite") == std::string::npos);
}
