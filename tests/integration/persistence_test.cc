// Restart round trips: what a client saw before a crash or a shutdown is what it sees after the
// restart. Every test drives a random workload (dataset.h), renders the whole keyspace, stops the
// server (SIGKILL unless the test is about shutdown), restarts it on the same directory, and
// compares the rendering byte for byte: streams, entries, groups, consumers with their seen and
// active times, pending entries with delivery times and counts, lag, TTLs.
//
// Covered: the log alone under each fsync policy; a rewrite started and finished while writes
// continue; several rewrites in a row; snapshots alone (SAVE, BGSAVE, shutdown saves, what is
// lost after the last save); a dump file adopted as the log's base when the log is turned on;
// CONFIG SET appendonly at run time, inside EXEC and while loading; BGSAVE and BGREWRITEAOF
// inside EXEC; TTLs that run out while the server is down; -LOADING while a large log loads.
#include <dirent.h>
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataset.h"
#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

namespace {

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Gives `to` (not started) a copy of `from`'s data directory, to start on different settings.
void CopyData(const ServerProcess& from, const ServerProcess& to) {
  const std::string cmd = "cp -r '" + from.dir() + "/data' '" + to.dir() + "/'";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

// Starts `server` and waits until its data is loaded.
void StartLoaded(ServerProcess& server) {
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
}

// Restarts after SIGKILL and returns the new rendering.
std::string KillAndReload(ServerProcess& server) {
  CHECK(server.Stop(9) == 128 + 9);
  StartLoaded(server);
  RawClient c(server.port());
  return DumpKeyspace(c);
}

bool WaitChildDone(RawClient& c) {
  return WaitFor(
      [&] {
        return InfoField(c, "aof_rewrite_in_progress") == "0" &&
               InfoField(c, "rdb_bgsave_in_progress") == "0";
      },
      20000);
}

}  // namespace

TEST_CASE("the log alone brings everything back after SIGKILL, under every fsync policy") {
  for (std::string policy : {"always", "everysec", "no"}) {
    CAPTURE(policy);
    ServerProcess server({"--appendfsync", policy, "--save", ""});
    StartLoaded(server);
    RawClient c(server.port());
    RandomWorkload work(7);
    CHECK(work.Run(c, 3000) == 0);
    const std::string before = DumpKeyspace(c);
    CHECK(before.find("pending") != std::string::npos);
    CheckSameDump(before, KillAndReload(server), SeenTimes::kCoalesced);
    // The history continues: more writes after the restart survive a second crash.
    RawClient again(server.port());
    CHECK(work.Run(again, 500) == 0);
    const std::string later = DumpKeyspace(again);
    CheckSameDump(later, KillAndReload(server), SeenTimes::kCoalesced);
  }
}

TEST_CASE("a log rewrite while writes continue loses nothing, and old files go away") {
  ServerProcess server({"--save", ""});
  StartLoaded(server);
  RawClient c(server.port());
  RandomWorkload work(11);
  CHECK(work.Run(c, 2000) == 0);
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    Reply r = c.Call({"BGREWRITEAOF"});
    CHECK(r.str == "Background append only file rewriting started");
    CHECK(work.Run(c, 700) == 0);  // some of these land while the child writes the base
    REQUIRE(WaitChildDone(c));
    CHECK(InfoField(c, "aof_last_bgrewrite_status") == "ok");
    CHECK(work.Run(c, 300) == 0);
  }
  CHECK(InfoField(c, "aof_rewrites") == "3");
  // One base, one log file and the manifest: the files of older histories were removed.
  const auto files = ListDir(server.dir() + "/data/appendonlydir");
  CHECK(files.size() == 3);
  const std::string before = DumpKeyspace(c);
  CheckSameDump(before, KillAndReload(server), SeenTimes::kCoalesced);
}

TEST_CASE("BGREWRITEAOF with the log off writes a base-only history, as Redis does") {
  ServerProcess server({"--appendonly", "no", "--save", ""});
  StartLoaded(server);
  RawClient c(server.port());
  RandomWorkload work(37);
  CHECK(work.Run(c, 500) == 0);
  const std::string before = DumpKeyspace(c);
  CHECK(c.Call({"BGREWRITEAOF"}).str == "Background append only file rewriting started");
  REQUIRE(WaitChildDone(c));
  CHECK(InfoField(c, "aof_last_bgrewrite_status") == "ok");
  CHECK(ListDir(server.dir() + "/data/appendonlydir") ==
        std::vector<std::string>{"appendonly.aof.1.base.rnl", "appendonly.aof.manifest"});
  CHECK(c.Call({"BGSAVE", "NOW"}).str == "ERR syntax error");
  CHECK(c.Call({"BGSAVE"}).str == "Background saving started");
  REQUIRE(WaitChildDone(c));
  CHECK(InfoField(c, "rdb_last_bgsave_status") == "ok");
  CHECK(InfoField(c, "rdb_saves") == "1");
  // That history is what a start with the log on loads.
  CHECK(server.Stop(9) == 128 + 9);
  ServerProcess with_log({"--appendonly", "yes", "--save", ""});
  CopyData(server, with_log);
  REQUIRE(std::remove((with_log.dir() + "/data/dump.rnl").c_str()) == 0);
  StartLoaded(with_log);
  RawClient d(with_log.port());
  CheckSameDump(before, DumpKeyspace(d));
}

TEST_CASE("snapshots alone: SAVE and BGSAVE keep what they saw, later writes die with SIGKILL") {
  ServerProcess server({"--appendonly", "no", "--save", ""});
  StartLoaded(server);
  RawClient c(server.port());
  RandomWorkload work(13);
  CHECK(work.Run(c, 2000) == 0);
  CHECK(c.Call({"SAVE"}).str == "OK");
  const std::string saved = DumpKeyspace(c);
  CHECK(InfoField(c, "rdb_changes_since_last_save") == "0");
  CHECK(work.Run(c, 300) == 0);
  CHECK(InfoField(c, "rdb_changes_since_last_save") != "0");
  CheckSameDump(saved, KillAndReload(server));

  RawClient c2(server.port());
  CHECK(work.Run(c2, 500) == 0);
  const int64_t last = c2.Call({"LASTSAVE"}).integer;
  CHECK(c2.Call({"BGSAVE"}).str == "Background saving started");
  REQUIRE(WaitChildDone(c2));
  CHECK(c2.Call({"LASTSAVE"}).integer >= last);
  const std::string bgsaved = DumpKeyspace(c2);
  CheckSameDump(bgsaved, KillAndReload(server));
}

TEST_CASE("SIGTERM and SHUTDOWN save a snapshot when save rules exist, and not with NOSAVE") {
  ServerProcess server({"--appendonly", "no", "--save", "3600 1"});
  StartLoaded(server);
  {
    RawClient c(server.port());
    RandomWorkload work(17);
    CHECK(work.Run(c, 1000) == 0);
    const std::string before = DumpKeyspace(c);
    CHECK(server.Stop(15) == 0);
    StartLoaded(server);
    RawClient after(server.port());
    CheckSameDump(before, DumpKeyspace(after));
  }
  {
    RawClient c(server.port());
    CHECK(c.Call({"SET", "shutdown-save", "1"}).str == "OK");
    c.Call({"SHUTDOWN", "SAVE"});
    CHECK(server.WaitExit() == 0);
    StartLoaded(server);
    RawClient after(server.port());
    CHECK(after.Call({"GET", "shutdown-save"}).str == "1");
    CHECK(after.Call({"SET", "nosave", "1"}).str == "OK");
    after.Call({"SHUTDOWN", "NOSAVE"});
    CHECK(server.WaitExit() == 0);
    StartLoaded(server);
    RawClient last(server.port());
    CHECK(last.Call({"GET", "nosave"}).is_null());
    CHECK(last.Call({"GET", "shutdown-save"}).str == "1");
  }
}

TEST_CASE("turning the log on adopts the data: from a dump file at start, or by CONFIG SET") {
  ServerProcess server({"--appendonly", "no", "--save", ""});
  StartLoaded(server);
  RandomWorkload work(19);
  {
    RawClient c(server.port());
    CHECK(work.Run(c, 1000) == 0);
    CHECK(c.Call({"SAVE"}).str == "OK");
  }
  CHECK(server.Stop(9) == 128 + 9);

  // Restarted with the log on: the dump file is loaded and becomes the log's base.
  ServerProcess with_log({"--appendonly", "yes", "--save", ""});
  CopyData(server, with_log);
  StartLoaded(with_log);
  RawClient c(with_log.port());
  CHECK(work.Run(c, 500) == 0);
  std::string before = DumpKeyspace(c);
  CheckSameDump(before, KillAndReload(with_log), SeenTimes::kCoalesced);

  // CONFIG SET appendonly yes on a server that started without it.
  StartLoaded(server);
  RawClient d(server.port());
  CHECK(work.Run(d, 300) == 0);
  CHECK(d.Call({"CONFIG", "SET", "appendonly", "yes"}).str == "OK");
  CHECK(InfoField(d, "aof_enabled") == "1");
  CHECK(work.Run(d, 300) == 0);
  before = DumpKeyspace(d);
  // The restart must also have the log on, as a config file would say.
  CHECK(server.Stop(9) == 128 + 9);
  ServerProcess reopened({"--appendonly", "yes", "--save", ""});
  CopyData(server, reopened);
  StartLoaded(reopened);
  RawClient e(reopened.port());
  CheckSameDump(before, DumpKeyspace(e));
}

TEST_CASE("keys whose TTL ran out while the server was down are gone after the restart") {
  ServerProcess server({"--save", ""});
  StartLoaded(server);
  RawClient c(server.port());
  CHECK(c.Call({"SET", "short", "v", "PX", "300"}).str == "OK");
  CHECK(c.Call({"XADD", "s", "1-1", "f", "v"}).str == "1-1");
  CHECK(c.Call({"PEXPIRE", "s", "300"}).integer == 1);
  // Replay must find the stream alive at the time of this record, or it would create a new
  // stream without the TTL that outlives the restart.
  CHECK(c.Call({"XADD", "s", "1-2", "f", "v"}).str == "1-2");
  CHECK(c.Call({"SET", "long", "v", "EX", "3600"}).str == "OK");
  const int64_t long_at = c.Call({"PEXPIRETIME", "long"}).integer;
  CHECK(server.Stop(9) == 128 + 9);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  StartLoaded(server);
  RawClient after(server.port());
  CHECK(after.Call({"EXISTS", "short", "s"}).integer == 0);
  // Absolute expiry survives as it was, not restarted from the load time.
  CHECK(after.Call({"PEXPIRETIME", "long"}).integer == long_at);
}

TEST_CASE("while the log loads the server answers -LOADING, then serves the data") {
  ServerProcess server({"--save", "", "--appendfsync", "no"});
  StartLoaded(server);
  {
    RawClient c(server.port());
    std::string batch;
    for (int i = 0; i < 8000; ++i) {
      const std::string v = std::to_string(i);
      batch += "*5\r\n$4\r\nXADD\r\n$1\r\ns\r\n$1\r\n*\r\n$5\r\nfield\r\n$" +
               std::to_string(v.size()) + "\r\n" + v + "\r\n";
    }
    c.Send(batch);
    for (int j = 0; j < 8000; ++j) REQUIRE(c.Read().type == Reply::Type::kBulk);
  }
  CHECK(server.Stop(9) == 128 + 9);
  // 200 us per record: the load takes over 1.5 s, long enough to watch, and to log progress.
  ServerProcess slow({"--save", "", "--key-load-delay", "200", "--enable-debug-command", "yes"});
  CopyData(server, slow);
  REQUIRE(slow.Start());
  RawClient early(slow.port());
  CHECK(early.Call({"PING"}).str == "LOADING Redis is loading the dataset in memory");
  CHECK(early.Call({"XLEN", "s"}).str == "LOADING Redis is loading the dataset in memory");
  // INFO is allowed while loading, and says so. DEBUG is too, but not a second load.
  CHECK(InfoField(early, "loading") == "1");
  CHECK(early.Call({"DEBUG", "RELOAD"}).str == "LOADING Redis is loading the dataset in memory");
  CHECK(early.Call({"DEBUG", "LOADAOF"}).str == "LOADING Redis is loading the dataset in memory");
  REQUIRE(WaitLoaded(slow.port()));
  CHECK(early.Call({"XLEN", "s"}).integer == 8000);
  CHECK(InfoField(early, "loading") == "0");
  // 8000 XADDs, after the record every log file starts with: the block limits in force.
  CHECK(slow.Log().find("Data loaded from disk: 1 keys, 8001 log records") != std::string::npos);
  CHECK(slow.Log().find("Loading: ") != std::string::npos);  // progress, once a second
}

TEST_CASE("files an interrupted rewrite or save left behind are removed at start-up") {
  ServerProcess server({"--save", ""});
  StartLoaded(server);
  {
    RawClient c(server.port());
    CHECK(c.Call({"XADD", "s", "1-1", "f", "v"}).str == "1-1");
  }
  CHECK(server.Stop(9) == 128 + 9);
  const std::string data = server.dir() + "/data";
  const std::string logs = data + "/appendonlydir";
  const std::vector<std::string> strays = {
      logs + "/appendonly.aof.99.base.rnl", logs + "/appendonly.aof.98.incr.aof",
      logs + "/appendonly.aof.97.base.rnl.tmp-12345", data + "/dump.rnl.tmp-678"};
  for (const std::string& path : strays) {
    CHECK(std::system(("echo junk > '" + path + "'").c_str()) == 0);
  }
  CHECK(std::system(("echo keep > '" + logs + "/notes.txt'").c_str()) == 0);
  StartLoaded(server);
  RawClient c(server.port());
  CHECK(c.Call({"XLEN", "s"}).integer == 1);
  for (const std::string& path : strays) {
    CAPTURE(path);
    CHECK(access(path.c_str(), F_OK) != 0);
  }
  CHECK(access((logs + "/notes.txt").c_str(), F_OK) == 0);  // not ours: left alone
  CHECK(server.Log().find("left by an interrupted rewrite") != std::string::npos);
}

TEST_CASE("a write that fails after its key expired is not logged: the server restarts") {
  // The durability bug of issue 11, as it was reproduced by hand: the failed RENAME was logged
  // behind the expiry's DEL, and the next start refused to replay it.
  ServerProcess server({"--appendfsync", "always", "--save", ""});
  StartLoaded(server);
  RawClient c(server.port());
  REQUIRE(c.Call({"SET", "lock", "x", "PX", "20"}).str == "OK");
  REQUIRE(c.Call({"XADD", "s", "1-1", "f", "v"}).str == "1-1");
  REQUIRE(c.Call({"XGROUP", "CREATE", "s", "g", "0"}).str == "OK");
  REQUIRE(c.Call({"PEXPIRE", "s", "20"}).integer == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));  // let the TTLs run out
  CHECK(c.Call({"RENAME", "lock", "lock2"}).str == "ERR no such key");
  CHECK(c.Call({"XGROUP", "CREATECONSUMER", "s", "g", "c"}).is_error());
  CHECK(c.Call({"XSETID", "s", "5-5"}).str == "ERR no such key");
  REQUIRE(server.Stop(9) == 128 + 9);
  StartLoaded(server);
  RawClient after(server.port());
  CHECK(after.Call({"EXISTS", "lock", "lock2", "s"}).integer == 0);
  CHECK(server.Log().find("found nothing to change") == std::string::npos);
}

TEST_CASE("consumer-group changes count for the save rules, so the log can be off") {
  // Before issue 11 no group change counted: with appendonly no, a save rule never fired for
  // them and group state was lost at restart.
  ServerProcess server({"--appendonly", "no", "--save", ""});
  StartLoaded(server);
  RawClient c(server.port());
  REQUIRE(c.Call({"XADD", "s", "1-1", "f", "v"}).str == "1-1");
  REQUIRE(c.Call({"SAVE"}).str == "OK");
  REQUIRE(c.Call({"XGROUP", "CREATE", "s", "g", "0"}).str == "OK");
  CHECK(InfoField(c, "rdb_changes_since_last_save") == "1");
  REQUIRE(c.Call({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}).elements.size() == 1);
  CHECK(InfoField(c, "rdb_changes_since_last_save") == "3");  // the read, and its consumer
  // A save rule that group changes alone satisfy.
  REQUIRE(c.Call({"CONFIG", "SET", "save", "1 3"}).str == "OK");
  REQUIRE(WaitFor([&] { return InfoField(c, "rdb_changes_since_last_save") == "0"; }, 10000));
  REQUIRE(WaitFor([&] { return InfoField(c, "rdb_bgsave_in_progress") == "0"; }, 10000));
  REQUIRE(server.Stop(9) == 128 + 9);
  StartLoaded(server);
  RawClient after(server.port());
  Reply pending = after.Call({"XPENDING", "s", "g"});
  REQUIRE(pending.elements.size() == 4);
  CHECK(pending.elements[0].integer == 1);
}

// A child forked, or the log switched files, in the middle of EXEC would split the
// transaction: the new base would hold its first effects and the new log file then its whole
// record, which replay would apply twice (an XADD's ID is then not above the last: no load).
TEST_CASE("BGREWRITEAOF and BGSAVE inside EXEC are scheduled, as Redis does, and the log loads") {
  ServerProcess server({"--appendfsync", "always", "--save", ""});
  StartLoaded(server);
  RawClient c(server.port());
  CHECK(c.Call({"XADD", "s", "1-1", "f", "v"}).str == "1-1");
  CHECK(c.Call({"MULTI"}).str == "OK");
  for (auto cmd : std::vector<std::vector<std::string>>{
           {"XADD", "s", "2-1", "f", "v"}, {"INCR", "n"}, {"BGREWRITEAOF"}, {"BGSAVE"}}) {
    CHECK(c.Call(cmd).str == "QUEUED");
  }
  Reply exec = c.Call({"EXEC"});
  REQUIRE(exec.elements.size() == 4);
  CHECK(exec.elements[2].str == "Background append only file rewriting scheduled");
  CHECK(exec.elements[3].str == "Background saving scheduled");
  // The cron starts them, one child at a time.
  REQUIRE(WaitFor([&] { return InfoField(c, "aof_rewrites") == "1"; }, 20000));
  REQUIRE(WaitFor([&] { return InfoField(c, "rdb_saves") == "1"; }, 20000));
  REQUIRE(WaitChildDone(c));
  CHECK(InfoField(c, "aof_rewrite_scheduled") == "0");
  CHECK(c.Call({"INCR", "n"}).integer == 2);
  const std::string before = DumpKeyspace(c);
  CheckSameDump(before, KillAndReload(server));
  RawClient after(server.port());
  CHECK(after.Call({"GET", "n"}).str == "2");
}

TEST_CASE("CONFIG SET appendonly inside EXEC: the calls after it are logged, or not, exactly") {
  ServerProcess server({"--appendonly", "no", "--save", ""});
  StartLoaded(server);
  auto transaction = [](RawClient& c, const std::vector<std::vector<std::string>>& calls) {
    CHECK(c.Call({"MULTI"}).str == "OK");
    for (const auto& call : calls) CHECK(c.Call(call).str == "QUEUED");
    CHECK(c.Call({"EXEC"}).elements.size() == calls.size());
  };
  // The restarts have the log on, as a config file would say.
  auto restart = [&](ServerProcess& from, const std::string& before) {
    CHECK(from.Stop(9) == 128 + 9);
    auto reopened = std::make_unique<ServerProcess>(
        std::vector<std::string>{"--appendonly", "yes", "--save", ""});
    CopyData(from, *reopened);
    StartLoaded(*reopened);
    RawClient after(reopened->port());
    CheckSameDump(before, DumpKeyspace(after));
    return reopened;
  };
  // Turned on half-way: the base holds a, the log b, then c.
  RawClient c(server.port());
  transaction(c, {{"SET", "a", "1"}, {"CONFIG", "SET", "appendonly", "yes"}, {"SET", "b", "2"}});
  CHECK(c.Call({"SET", "c", "3"}).str == "OK");
  auto second = restart(server, DumpKeyspace(c));
  RawClient d(second->port());
  CHECK(d.Call({"MGET", "a", "b", "c"}).ToString() == R"(["1", "2", "3"])");
  // Off and on again: the first XADD goes to the old history and is in the new base; the second
  // goes to the new log. Neither may replay twice.
  transaction(d, {{"XADD", "s", "1-1", "f", "v"},
                  {"CONFIG", "SET", "appendonly", "no"},
                  {"CONFIG", "SET", "appendonly", "yes"},
                  {"XADD", "s", "2-1", "f", "v"}});
  auto third = restart(*second, DumpKeyspace(d));
  RawClient e(third->port());
  CHECK(e.Call({"XLEN", "s"}).integer == 2);
}

TEST_CASE("CONFIG SET appendonly while loading takes effect once the data is loaded") {
  ServerProcess server({"--appendonly", "no", "--save", ""});
  StartLoaded(server);
  {
    RawClient c(server.port());
    std::string batch;
    for (int i = 0; i < 2000; ++i) {
      const std::string k = "k" + std::to_string(i);
      batch += "*3\r\n$3\r\nSET\r\n$" + std::to_string(k.size()) + "\r\n" + k + "\r\n$1\r\nv\r\n";
    }
    c.Send(batch);
    for (int j = 0; j < 2000; ++j) REQUIRE(c.Read().str == "OK");
    CHECK(c.Call({"SAVE"}).str == "OK");
  }
  CHECK(server.Stop(9) == 128 + 9);
  // 1 ms a key: two seconds of loading.
  ServerProcess slow({"--appendonly", "no", "--save", "", "--key-load-delay", "1000"});
  CopyData(server, slow);
  REQUIRE(slow.Start());
  RawClient c(slow.port());
  REQUIRE(InfoField(c, "loading") == "1");
  CHECK(c.Call({"CONFIG", "SET", "appendonly", "yes"}).str == "OK");
  REQUIRE(WaitLoaded(slow.port()));
  CHECK(InfoField(c, "aof_enabled") == "1");
  CHECK(c.Call({"SET", "after", "1"}).str == "OK");
  // The dump file is gone from the copy: what comes back, comes from the log.
  CHECK(slow.Stop(9) == 128 + 9);
  ServerProcess reopened({"--appendonly", "yes", "--save", ""});
  CopyData(slow, reopened);
  REQUIRE(std::remove((reopened.dir() + "/data/dump.rnl").c_str()) == 0);
  StartLoaded(reopened);
  RawClient after(reopened.port());
  CHECK(after.Call({"DBSIZE"}).integer == 2001);
}
