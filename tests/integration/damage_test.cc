// Damaged files at start-up, through the real server and runnel-check: a torn tail of the log
// (half a record, zeros, random bytes) is cut off and everything before it loads; with
// aof-load-truncated no the server refuses instead; damage followed by valid records stops the
// start with the file and offset, until runnel-check --truncate-at cuts it; a damaged snapshot
// or manifest stops the start too. Nothing here ever loads silently wrong data.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "dataset.h"
#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string LogDir(const ServerProcess& s) { return s.dir() + "/data/appendonlydir"; }

// The log file records are appended to (the last one the manifest names).
std::string CurrentLog(const ServerProcess& s) {
  const std::string manifest = ReadFile(LogDir(s) + "/appendonly.aof.manifest");
  std::string last;
  std::istringstream lines(manifest);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("file ", 0) == 0 && line.find(" type i") != std::string::npos) {
      last = line.substr(5, line.find(' ', 5) - 5);
    }
  }
  return LogDir(s) + "/" + last;
}

struct RunResult {
  int exit_code;
  std::string output;
};

RunResult RunCheck(const std::string& args) {
  const std::string cmd = std::string(RUNNEL_CHECK_PATH) + " " + args + " 2>&1";
  RunResult r{-1, ""};
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A server with some history, killed; returns the rendering before the kill and, through
// *before_last, the rendering before its last write (a SET of "last").
std::string Prepare(ServerProcess& server, std::string* before_last) {
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient c(server.port());
  RandomWorkload work(23);
  CHECK(work.Run(c, 800) == 0);
  *before_last = DumpKeyspace(c);
  CHECK(c.Call({"SET", "last", std::string(300, 'z')}).str == "OK");
  std::string all = DumpKeyspace(c);
  CHECK(server.Stop(9) == 128 + 9);
  return all;
}

// The server listens before it loads, so a refusal may come just after the port opened.
bool RefusesToStart(ServerProcess& server) {
  if (server.Start(5000)) return server.WaitExit(10000) == 1;
  return server.WaitExit() == 1;
}

std::string Restarted(ServerProcess& server) {
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient c(server.port());
  return DumpKeyspace(c);
}

}  // namespace

TEST_CASE("a torn tail is cut off at start-up and everything before it loads") {
  std::mt19937_64 rng(5);
  const std::string kinds[] = {"half of the last record", "zeros", "random bytes"};
  for (const std::string& kind : kinds) {
    CAPTURE(kind);
    ServerProcess server({"--save", ""});
    std::string before_last;
    const std::string all = Prepare(server, &before_last);
    const std::string log = CurrentLog(server);
    std::string bytes = ReadFile(log);
    std::string expected = all;
    if (kind == kinds[0]) {
      // Inside the SET's 300-byte value. Not simply 150 bytes from the end: the cron may have
      // logged consumers' seen times after the SET; the cut drops those too (kCoalesced).
      const size_t value = bytes.rfind(std::string(300, 'z'));
      REQUIRE(value != std::string::npos);
      bytes.resize(value + 150);
      expected = before_last;
    } else if (kind == kinds[1]) {
      bytes.append(4096, '\0');
    } else {
      for (int i = 0; i < 3000; ++i) bytes.push_back(static_cast<char>(rng()));
    }
    WriteFile(log, bytes);
    CheckSameDump(expected, Restarted(server), SeenTimes::kCoalesced);
    CHECK(server.Log().find("Truncated a torn tail of appendonlydir/") != std::string::npos);
    // The cut is durable: the file now ends at the last whole record, and the history goes on.
    CHECK(RunCheck(LogDir(server)).exit_code == 0);
  }
}

TEST_CASE("the log cut at every byte of its last record loads everything before it") {
  ServerProcess server({"--save", ""});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  std::string before_last, log;
  size_t last_start = 0;
  {
    RawClient c(server.port());
    RandomWorkload work(41);
    CHECK(work.Run(c, 300) == 0);
    before_last = DumpKeyspace(c);
    log = CurrentLog(server);
    // Records are written before their replies, so the file's size now is where the next
    // record will start.
    last_start = ReadFile(log).size();
    CHECK(c.Call({"SET", "last", "v"}).str == "OK");
  }
  CHECK(server.Stop(9) == 128 + 9);
  const std::string full = ReadFile(log);
  REQUIRE(full.size() > last_start);
  for (size_t cut = last_start; cut < full.size(); ++cut) {
    CAPTURE(cut);
    WriteFile(log, full.substr(0, cut));
    CheckSameDump(before_last, Restarted(server), SeenTimes::kCoalesced);
    CHECK(server.Stop(9) == 128 + 9);
    CHECK(ReadFile(log).size() == last_start);  // the torn bytes were cut off for good
  }
}

TEST_CASE("with aof-load-truncated no a torn tail stops the start, and runnel-check cuts it") {
  ServerProcess server({"--save", "", "--aof-load-truncated", "no"});
  std::string before_last;
  Prepare(server, &before_last);
  const std::string log = CurrentLog(server);
  std::string bytes = ReadFile(log);
  // Inside the SET's value, not a fixed count from the end: a record the cron wrote after the
  // SET (consumers' seen times) may be longer than that count, and the SET would survive.
  const size_t value = bytes.rfind(std::string(300, 'z'));
  REQUIRE(value != std::string::npos);
  bytes.resize(value + 150);
  WriteFile(log, bytes);
  CHECK(RefusesToStart(server));
  CHECK(server.Log().find("a torn tail") != std::string::npos);

  RunResult check = RunCheck(LogDir(server));
  CHECK(check.exit_code == 1);
  CHECK(check.output.find("TORN TAIL at offset") != std::string::npos);
  CHECK(RunCheck("--truncate " + LogDir(server)).exit_code == 0);
  CHECK(RunCheck(LogDir(server)).exit_code == 0);
  CheckSameDump(before_last, Restarted(server), SeenTimes::kCoalesced);
}

TEST_CASE("damage with valid records after it stops the start with file and offset") {
  ServerProcess server({"--save", ""});
  std::string before_last;
  Prepare(server, &before_last);
  const std::string log = CurrentLog(server);
  std::string bytes = ReadFile(log);
  bytes[bytes.size() / 2] ^= 0x01;  // one bit in the middle
  WriteFile(log, bytes);
  CHECK(RefusesToStart(server));
  const std::string text = server.Log();
  CHECK(text.find("appendonly.aof.1.incr.aof at offset") != std::string::npos);
  CHECK(text.find("valid records follow") != std::string::npos);

  RunResult check = RunCheck(LogDir(server));
  CHECK(check.exit_code == 1);
  CHECK(check.output.find("DAMAGED at offset") != std::string::npos);
  // --truncate only cuts torn tails; --truncate-at needs --yes.
  CHECK(RunCheck("--truncate " + LogDir(server)).exit_code == 1);
  CHECK(RunCheck("--truncate-at " + LogDir(server)).exit_code == 2);
  CHECK(RunCheck("--truncate-at --yes " + LogDir(server)).exit_code == 0);
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
}

TEST_CASE("a damaged base snapshot or manifest stops the start; so does a damaged dump file") {
  SUBCASE("base snapshot") {
    ServerProcess server({"--save", ""});
    REQUIRE(server.Start());
    REQUIRE(WaitLoaded(server.port()));
    RawClient c(server.port());
    RandomWorkload work(29);
    CHECK(work.Run(c, 500) == 0);
    CHECK(c.Call({"BGREWRITEAOF"}).str == "Background append only file rewriting started");
    REQUIRE(WaitFor([&] { return InfoField(c, "aof_rewrite_in_progress") == "0"; }, 20000));
    CHECK(server.Stop(9) == 128 + 9);
    std::string base;
    for (const char* name : {"appendonly.aof.3.base.rnl", "appendonly.aof.2.base.rnl"}) {
      if (ReadFile(LogDir(server) + "/" + name).size() > 0) base = LogDir(server) + "/" + name;
    }
    REQUIRE(!base.empty());
    std::string bytes = ReadFile(base);
    bytes[bytes.size() / 3] ^= 0x40;
    WriteFile(base, bytes);
    CHECK(RefusesToStart(server));
    CHECK(server.Log().find("base.rnl: offset") != std::string::npos);
    CHECK(RunCheck(LogDir(server)).output.find("DAMAGED snapshot") != std::string::npos);
  }
  SUBCASE("manifest") {
    ServerProcess server({"--save", ""});
    std::string ignored;
    Prepare(server, &ignored);
    const std::string manifest = LogDir(server) + "/appendonly.aof.manifest";
    std::string bytes = ReadFile(manifest);
    bytes[6] ^= 0x01;
    WriteFile(manifest, bytes);
    CHECK(RefusesToStart(server));
    CHECK(server.Log().find("checksum mismatch") != std::string::npos);
  }
  SUBCASE("dump file") {
    ServerProcess server({"--appendonly", "no", "--save", ""});
    REQUIRE(server.Start());
    REQUIRE(WaitLoaded(server.port()));
    RawClient c(server.port());
    RandomWorkload work(31);
    CHECK(work.Run(c, 500) == 0);
    CHECK(c.Call({"SAVE"}).str == "OK");
    CHECK(server.Stop(9) == 128 + 9);
    const std::string dump = server.dir() + "/data/dump.rnl";
    std::string bytes = ReadFile(dump);
    CHECK(RunCheck(dump).exit_code == 0);
    bytes.resize(bytes.size() - 1);
    WriteFile(dump, bytes);
    CHECK(RunCheck(dump).exit_code == 1);
    CHECK(RefusesToStart(server));
    CHECK(server.Log().find("dump.rnl") != std::string::npos);
  }
}
