// "A log Runnel wrote always loads": append-only logs written by earlier versions, frozen as
// fixtures with the keyspace they held, must load in this version and give that keyspace back.
//
// fixtures/log-v0 (see its README.md) was written by the server of commit 19e80a9, whose log
// holds effects as RESP commands that replay ran through the command handlers: client commands
// as sent, rewritten ones (SET ... PXAT, PEXPIREAT, exact XTRIM, XCLAIM ... LASTID for a
// delivery, XGROUP SETID for a group's position) and Runnel's own RUNNEL-TRIM,
// RUNNEL-CONSUMER-TIMES, RUNNEL-IDMP, RUNNEL-IDMP-DUP and RUNNEL-IDMP-EXPIRE. The workload below
// makes that server write every form it knows, and on purpose also the records it cannot load
// itself: a write command that failed after lazily expiring its key was logged in one record with
// the DEL ("DEL lock" then "RENAME lock lock2", which fails again on replay and stops the load).
// A loader must apply such a record as clients saw it: the key gone, nothing else changed.
//
// Environment (all optional):
//   RUNNEL_WRITE_LEGACY_FIXTURE=<dir>  run the generator, writing <dir>/appendonlydir/* and
//                                      <dir>/expected.dump; without it the generator case
//                                      returns at once with a MESSAGE, so no normal run writes
//   RUNNEL_LEGACY_SERVER=<binary>      run that server instead of the build's (both cases)
//   RUNNEL_LEGACY_FIXTURE_DIR=<dir>    load that fixture instead of fixtures/log-v0
//   RUNNEL_LEGACY_WITHOUT_BUG=1        generate without the records the old server cannot load,
//                                      to check a fixture and its dump against that server
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dataset.h"
#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

namespace {

namespace fs = std::filesystem;

// Absolute TTLs far enough ahead (2100-01-01) that the fixture's keys outlive any test run, and
// relative ones as long (95 years), because the log records them as absolute times.
constexpr const char* kForeverMs = "4102444800000";
constexpr const char* kForeverS = "4102444800";
constexpr const char* kLongS = "3000000000";
constexpr const char* kLongMs = "3000000000000";

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// The server as the fixture was written: small blocks, so that entries span several.
const std::vector<std::string> kServerArgs = {
    "--appendonly", "yes", "--appendfsync", "always", "--stream-node-max-entries", "3"};

void UseLegacyBinary(ServerProcess& server) {
  if (!Env("RUNNEL_LEGACY_SERVER").empty()) server.SetBinary(Env("RUNNEL_LEGACY_SERVER"));
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Join(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

// Runs commands and checks their replies; failed() tells the generator not to write a fixture
// from a run that went differently than planned.
class Script {
 public:
  using Step = std::pair<std::vector<std::string>, std::string>;  // command, expected reply

  explicit Script(RawClient& c) : c_(c) {}

  // A command that must not fail; returns its reply.
  Reply Run(const std::vector<std::string>& args) {
    Reply r = c_.Call(args);
    Check(!r.is_error(), args, r, "no error");
    return r;
  }
  // A command whose reply must render (Reply::ToString) as `expected`.
  void Expect(const std::vector<std::string>& args, const std::string& expected) {
    Reply r = c_.Call(args);
    Check(r.ToString() == expected, args, r, expected);
  }
  // XADD with a generated ID: returns the ID.
  std::string Add(const std::vector<std::string>& args) {
    Reply r = Run(args);
    Check(r.type == Reply::Type::kBulk, args, r, "an ID");
    return r.str;
  }
  // Sends every command before reading any reply: one loop iteration of the server runs them
  // all, where timing matters (keys just past their TTL, before the expiry cron sees them).
  void Pipeline(const std::vector<Step>& steps) {
    for (const auto& [args, expected] : steps) c_.SendCommand(args);
    for (const auto& [args, expected] : steps) {
      Reply r = c_.Read();
      Check(r.ToString() == expected, args, r, expected);
    }
  }
  // A condition the plan relies on (the generator writes nothing if one failed).
  void Verify(bool ok, const std::string& what) {
    if (ok) return;
    failed_ = true;
    FAIL_CHECK(what);
  }
  int64_t InfoInt(const std::string& field) { return std::stoll(InfoField(c_, field)); }
  RawClient& client() { return c_; }
  bool failed() const { return failed_; }

 private:
  void Check(bool ok, const std::vector<std::string>& args, const Reply& r,
             const std::string& expected) {
    if (ok) return;
    failed_ = true;
    FAIL_CHECK(Join(args) << "\n  replied  " << r.ToString() << "\n  expected " << expected);
  }

  RawClient& c_;
  bool failed_ = false;
};

// ---- the workload: each part leaves the client in database 0 ----

// Strings and keyspace commands, in database 0. FLUSHALL first, so it is logged with keys to
// remove (an empty flush changes nothing and is not logged).
void Strings(Script& s) {
  s.Expect({"SET", "scratch", "1"}, "OK");
  s.Expect({"FLUSHALL"}, "OK");
  s.Expect({"SET", "str:plain", "hello"}, "OK");
  s.Expect({"SET", "str:ex", "v", "EX", kLongS}, "OK");   // logged SET ... PXAT
  s.Expect({"set", "str:px", "v", "px", kLongMs}, "OK");  // as sent in lowercase
  s.Expect({"SET", "str:exat", "v", "EXAT", kForeverS}, "OK");
  s.Expect({"SET", "str:pxat", "v", "PXAT", kForeverMs}, "OK");
  s.Expect({"SET", "str:ex", "v2", "KEEPTTL"}, "OK");    // logged SET ... KEEPTTL
  s.Expect({"SET", "str:get", "new", "GET"}, "nil");     // logged without GET
  s.Expect({"SET", "str:plain", "never", "NX"}, "nil");  // no change, not logged
  s.Expect({"SET", std::string("str:\0bin", 8), std::string("\r\n\0\xff", 4)}, "OK");
  s.Expect({"SET", "", "the empty key"}, "OK");
  s.Expect({"INCR", "counter"}, "(integer) 1");
  s.Expect({"incr", "counter"}, "(integer) 2");
  s.Expect({"DECR", "counter"}, "(integer) 1");
  s.Expect({"INCRBY", "counter", "40"}, "(integer) 41");
  s.Expect({"DECRBY", "counter", "2"}, "(integer) 39");
  s.Expect({"decrby", "counter", "1"}, "(integer) 38");
  s.Expect({"MSET", "m:1", "a", "m:2", "b", "m:3", "c"}, "OK");
  s.Expect({"mset", "m:4", "d", "m:5", "e", "m:6", "f"}, "OK");
  s.Expect({"EXPIRE", "m:1", kLongS}, "(integer) 1");  // logged PEXPIREAT
  s.Expect({"pexpire", "m:2", kLongMs}, "(integer) 1");
  s.Expect({"EXPIREAT", "m:3", kForeverS}, "(integer) 1");
  s.Expect({"PEXPIREAT", "m:4", kForeverMs}, "(integer) 1");
  s.Expect({"EXPIRE", "m:5", kLongS, "NX"}, "(integer) 1");
  s.Expect({"EXPIRE", "m:5", "10", "GT"}, "(integer) 0");  // refused, not logged
  s.Expect({"PERSIST", "m:1"}, "(integer) 1");
  s.Expect({"persist", "m:2"}, "(integer) 1");
  s.Expect({"EXPIRE", "m:6", "-1"}, "(integer) 1");  // a past time: logged DEL
  s.Expect({"SET", "gone", "v"}, "OK");
  s.Expect({"pexpireat", "gone", "1"}, "(integer) 1");
  s.Expect({"MSET", "d:1", "1", "d:2", "2", "d:3", "3", "u:1", "1", "u:2", "2"}, "OK");
  s.Expect({"DEL", "d:1", "d:2", "d:missing"}, "(integer) 2");
  s.Expect({"del", "d:3"}, "(integer) 1");
  s.Expect({"UNLINK", "u:1", "u:missing", "u:2"}, "(integer) 2");
  s.Expect({"SET", "r:1", "one", "PXAT", kForeverMs}, "OK");
  s.Expect({"RENAME", "r:1", "r:2"}, "OK");  // the TTL moves along
  s.Expect({"SET", "r:3", "three"}, "OK");
  s.Expect({"rename", "r:3", "r:2"}, "OK");  // over an existing key
  s.Expect({"RENAMENX", "r:2", "r:4"}, "(integer) 1");
  s.Expect({"renamenx", "r:4", "str:plain"}, "(integer) 0");  // not logged
}

// FLUSHDB in its three spellings, in database 2, and what is left there afterwards.
void Database2(Script& s) {
  s.Expect({"SELECT", "2"}, "OK");
  s.Expect({"SET", "f:1", "1"}, "OK");
  s.Expect({"FLUSHDB"}, "OK");
  s.Expect({"SET", "f:2", "2"}, "OK");
  s.Add({"XADD", "f:s", "*", "a", "1"});
  s.Expect({"FLUSHDB", "ASYNC"}, "OK");
  s.Expect({"SET", "f:3", "3"}, "OK");
  s.Expect({"flushdb", "async"}, "OK");
  s.Expect({"SET", "db2:str", "two", "PXAT", kForeverMs}, "OK");
  s.Add({"XADD", "db2:s", "*", "a", "1"});
  s.Add({"XADD", "db2:s", "*", "a", "2", "b", "3"});
  s.Expect({"XGROUP", "CREATE", "db2:s", "g", "0"}, "OK");
  s.Run({"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "db2:s", ">"});
  s.Expect({"SELECT", "0"}, "OK");
}

// Stream entries, trims, deletions and XSETID, in database 0.
void Streams(Script& s) {
  std::vector<std::string> auto_ids;
  for (int i = 0; i < 6; ++i) {
    auto_ids.push_back(s.Add({"XADD", "s:auto", "*", "f", std::to_string(i), "g", "x"}));
  }
  s.Expect({"PEXPIREAT", "s:auto", kForeverMs}, "(integer) 1");  // a stream with a TTL
  s.Expect({"XDEL", "s:auto", auto_ids[1], auto_ids[2], "9-9"}, "(integer) 2");
  s.Expect({"xdel", "s:auto", auto_ids[4]}, "(integer) 1");
  s.Expect({"XADD", "s:ids", "1-1", "a", "1"}, "\"1-1\"");
  s.Expect({"XADD", "s:ids", "1-2", "a", "2"}, "\"1-2\"");
  s.Expect({"XADD", "s:ids", "2-*", "a", "3"}, "\"2-0\"");
  s.Expect({"xadd", "s:ids", "3-*", "a", "4"}, "\"3-0\"");
  s.Expect({"XADD", "s:ids", "3-*", "a", "5"}, "\"3-1\"");
  s.Expect({"XADD", "s:ids", "NOMKSTREAM", "4-1", "a", "6"}, "\"4-1\"");
  s.Expect({"XADD", "s:none", "NOMKSTREAM", "*", "a", "1"}, "nil");  // not logged
  s.Expect({"XSETID", "s:ids", "100-0", "ENTRIESADDED", "50", "MAXDELETEDID", "3-0"}, "OK");
  s.Expect({"xsetid", "s:ids", "200-0", "entriesadded", "60", "maxdeletedid", "150-0"}, "OK");
  s.Expect({"XSETID", "s:ids", "300-0"}, "OK");
  s.Expect({"XADD", "s:empty", "1-1", "a", "1"}, "\"1-1\"");
  s.Expect({"XDEL", "s:empty", "1-1"}, "(integer) 1");  // an empty stream stays
  s.Expect({"XSETID", "s:empty", "5-5"}, "OK");
  for (int i = 1; i <= 10; ++i) {
    const std::string id = "1-" + std::to_string(i);
    s.Expect({"XADD", "s:trim", id, "f", std::to_string(i)}, "\"" + id + "\"");
  }
  // Approximate trims remove whole blocks (of 3); all are logged as exact XTRIMs.
  s.Expect({"XADD", "s:trim", "MAXLEN", "~", "4", "1-11", "f", "11"}, "\"1-11\"");
  s.Expect({"XADD", "s:trim", "MAXLEN", "=", "4", "1-12", "f", "12"}, "\"1-12\"");
  s.Expect({"XADD", "s:trim", "MINID", "~", "1-11", "1-13", "f", "13"}, "\"1-13\"");
  s.Expect({"XADD", "s:trim", "MINID", "1-11", "1-14", "f", "14"}, "\"1-14\"");
  s.Expect({"xadd", "s:trim", "maxlen", "~", "1", "limit", "3", "1-15", "f", "15"}, "\"1-15\"");
  s.Expect({"XADD", "s:trim", "MAXLEN", "2", "1-16", "f", "16"}, "\"1-16\"");
  for (int i = 17; i <= 24; ++i) {
    const std::string id = "1-" + std::to_string(i);
    s.Expect({"XADD", "s:trim", id, "f", std::to_string(i)}, "\"" + id + "\"");
  }
  s.Run({"XTRIM", "s:trim", "MAXLEN", "7"});
  s.Run({"xtrim", "s:trim", "maxlen", "~", "2"});
  s.Run({"XTRIM", "s:trim", "MINID", "=", "1-0"});  // removes nothing: not logged
}

// Deleting and trimming under Redis 8.2's reference policies, in database 0: DELREF logs an XACK
// per reference dropped, DELREF and ACKED trims log RUNNEL-TRIM with the IDs removed (ACKED
// leaves gaps), deletions log XDEL.
void References(Script& s) {
  for (int i = 1; i <= 12; ++i) {
    const std::string id = "1-" + std::to_string(i);
    s.Expect({"XADD", "s:refs", id, "f", std::to_string(i)}, "\"" + id + "\"");
  }
  s.Expect({"XGROUP", "CREATE", "s:refs", "ga", "0"}, "OK");
  s.Expect({"XGROUP", "CREATE", "s:refs", "gb", "0"}, "OK");
  s.Run({"XREADGROUP", "GROUP", "ga", "c1", "COUNT", "6", "STREAMS", "s:refs", ">"});
  s.Run({"XREADGROUP", "GROUP", "gb", "c2", "COUNT", "3", "STREAMS", "s:refs", ">"});
  s.Expect({"XACK", "s:refs", "ga", "1-1", "1-2"}, "(integer) 2");
  s.Expect({"XACK", "s:refs", "gb", "1-1"}, "(integer) 1");
  // Removes 1-1 and 1-2, dropping gb's pending 1-2.
  s.Expect({"XADD", "s:refs", "DELREF", "MAXLEN", "11", "1-13", "f", "13"}, "\"1-13\"");
  s.Expect({"XGROUP", "SETID", "s:refs", "gb", "1-8"}, "OK");
  s.Expect({"XACK", "s:refs", "ga", "1-3", "1-5"}, "(integer) 2");
  s.Expect({"XACK", "s:refs", "gb", "1-3"}, "(integer) 1");
  // 1-3 and 1-5 go; 1-4 and 1-6 (pending in ga) and 1-7 on (not read by ga) stay: a gap.
  s.Expect({"XTRIM", "s:refs", "ACKED", "MAXLEN", "8"}, "(integer) 2");
  s.Expect({"XDELEX", "s:refs", "KEEPREF", "IDS", "1", "1-4"}, "[(integer) 1]");
  s.Expect({"XDELEX", "s:refs", "DELREF", "IDS", "2", "1-6", "1-99"},
           "[(integer) 1, (integer) -1]");
  s.Run({"XREADGROUP", "GROUP", "ga", "c1", "COUNT", "2", "NOACK", "STREAMS", "s:refs", ">"});
  s.Expect({"xdelex", "s:refs", "acked", "ids", "2", "1-7", "1-9"}, "[(integer) 1, (integer) 2]");
  s.Run({"XREADGROUP", "GROUP", "gb", "c2", "COUNT", "2", "STREAMS", "s:refs", ">"});
  s.Expect({"XACKDEL", "s:refs", "ga", "KEEPREF", "IDS", "1", "1-4"}, "[(integer) 1]");
  s.Expect({"XACKDEL", "s:refs", "gb", "DELREF", "IDS", "1", "1-9"}, "[(integer) 1]");
  s.Run({"XREADGROUP", "GROUP", "ga", "c1", "COUNT", "1", "STREAMS", "s:refs", ">"});
  s.Expect({"xackdel", "s:refs", "gb", "acked", "ids", "1", "1-10"}, "[(integer) 2]");
  s.Expect({"XACKDEL", "s:refs", "ga", "ACKED", "IDS", "1", "1-10"}, "[(integer) 1]");
  s.Expect({"XADD", "s:refs", "ACKED", "MAXLEN", "1", "1-14", "f", "14"}, "\"1-14\"");
  s.Run({"XREADGROUP", "GROUP", "gb", "c2", "COUNT", "1", "STREAMS", "s:refs", ">"});
  s.Expect({"XTRIM", "s:refs", "DELREF", "MINID", "1-12"}, "(integer) 1");
}

// XCLAIM, XAUTOCLAIM, XREADGROUP CLAIM and XNACK on g:s in database 1 (called by Groups).
// Logged as delivery records (XCLAIM ... TIME RETRYCOUNT FORCE JUSTID LASTID), purge records
// (XCLAIM key group consumer 0 id, for a pending entry whose entry is gone), XGROUP SETID for a
// LASTID that moves the group, and XNACK as sent.
void Claims(Script& s) {
  s.Run({"XCLAIM", "g:s", "grp", "carol", "0", "1-3"});
  s.Expect({"XCLAIM", "g:s", "grp", "carol", "0", "1-6", "JUSTID"}, "[\"1-6\"]");
  s.Run({"XCLAIM", "g:s", "grp", "carol", "0", "1-7", "IDLE", "5000"});
  s.Run({"xclaim", "g:s", "grp", "carol", "0", "1-8", "time", "1700000000000", "retrycount", "9"});
  s.Run({"XCLAIM", "g:s", "grp", "dave", "0", "1-9", "FORCE"});  // never delivered
  s.Expect({"XCLAIM", "g:s", "grp", "dave", "0", "1-10", "FORCE", "JUSTID", "LASTID", "1-10"},
           "[\"1-10\"]");
  s.Expect({"XCLAIM", "g:s", "grp", "dave", "0", "1-2"}, "[]");  // deleted: purged
  s.Expect({"XDEL", "g:s", "1-6", "1-7"}, "(integer) 2");        // pending for carol
  s.Run({"XAUTOCLAIM", "g:s", "grp", "erin", "0", "0-0", "COUNT", "3"});
  s.Run({"xautoclaim", "g:s", "grp", "erin", "0", "0-0", "count", "2", "justid"});
  s.Run({"XREADGROUP", "GROUP", "grp", "frank", "COUNT", "5", "STREAMS", "g:s", ">"});
  s.Expect({"XREADGROUP", "GROUP", "grp", "frank", "STREAMS", "g:s", ">"}, "nil");
  s.Expect({"XREADGROUP", "GROUP", "grp", "newbie", "STREAMS", "g:s", ">"}, "nil");
  // Idle times, for claims with a min-idle-time.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  s.Run({"XCLAIM", "g:s", "grp", "gina", "20", "1-11"});
  s.Run({"XAUTOCLAIM", "g:s", "grp", "gina", "20", "0-0", "COUNT", "1"});
  s.Run({"XREADGROUP", "GROUP", "grp", "hank", "CLAIM", "20", "COUNT", "2", "STREAMS", "g:s", ">"});
  s.Expect({"XNACK", "g:s", "grp", "SILENT", "IDS", "1", "1-8"}, "(integer) 1");
  s.Expect({"XNACK", "g:s", "grp", "FAIL", "IDS", "2", "1-9", "1-10"}, "(integer) 2");
  s.Expect({"XNACK", "g:s", "grp", "FATAL", "IDS", "1", "1-12"}, "(integer) 1");
  s.Expect({"xnack", "g:s", "grp", "fail", "ids", "1", "1-11", "retrycount", "5"}, "(integer) 1");
  s.Expect({"XNACK", "g:s", "grp", "FAIL", "IDS", "1", "1-5", "FORCE"}, "(integer) 1");
  s.Expect({"xnack", "g:s", "grp", "silent", "ids", "1", "1-4", "force", "retrycount", "2"},
           "(integer) 1");
  s.Expect({"XNACK", "g:s", "grp", "FAIL", "IDS", "1", "1-99"}, "(integer) 0");
  // Released entries are taken first, whatever their idle time.
  s.Run({"XREADGROUP", "GROUP", "grp", "ivan", "CLAIM", "1000000", "COUNT", "2", "STREAMS", "g:s",
         ">"});
  s.Run({"XAUTOCLAIM", "g:s", "grp", "judy", "1000000", "0-0", "COUNT", "1"});
}

// Consumer groups, in database 1: creation, positions, consumers, reads (new, NOACK, history
// with a deleted entry, empty), acknowledgements, XCLAIM in every form, XAUTOCLAIM, XNACK.
void Groups(Script& s) {
  s.Expect({"SELECT", "1"}, "OK");
  for (int i = 1; i <= 12; ++i) {
    const std::string id = "1-" + std::to_string(i);
    s.Expect({"XADD", "g:s", id, "f", std::to_string(i)}, "\"" + id + "\"");
  }
  s.Expect({"XGROUP", "CREATE", "g:s", "grp", "0"}, "OK");
  s.Expect({"XGROUP", "CREATE", "g:s", "late", "$"}, "OK");
  s.Expect({"xgroup", "create", "g:s", "lower", "0", "entriesread", "3"}, "OK");
  s.Expect({"XGROUP", "CREATE", "g:s", "er", "1-5", "ENTRIESREAD", "5"}, "OK");
  s.Expect({"XGROUP", "CREATE", "g:mk", "grp", "$", "MKSTREAM"}, "OK");
  s.Expect({"XGROUP", "SETID", "g:s", "late", "1-2"}, "OK");
  s.Expect({"xgroup", "setid", "g:s", "er", "$", "entriesread", "12"}, "OK");
  s.Expect({"XGROUP", "CREATECONSUMER", "g:s", "grp", "spare"}, "(integer) 1");
  s.Expect({"xgroup", "createconsumer", "g:s", "grp", "idle2"}, "(integer) 1");
  s.Expect({"XGROUP", "CREATECONSUMER", "g:s", "late", "gone"}, "(integer) 1");
  s.Expect({"XGROUP", "DELCONSUMER", "g:s", "late", "gone"}, "(integer) 0");
  s.Expect({"xgroup", "delconsumer", "g:s", "grp", "idle2"}, "(integer) 0");
  s.Expect({"XGROUP", "CREATE", "g:s", "doomed", "0"}, "OK");
  s.Expect({"XGROUP", "DESTROY", "g:s", "doomed"}, "(integer) 1");
  s.Expect({"xgroup", "destroy", "g:s", "lower"}, "(integer) 1");
  s.Expect({"RENAME", "g:mk", "g:renamed"}, "OK");
  s.Run({"XREADGROUP", "GROUP", "grp", "alice", "COUNT", "3", "STREAMS", "g:s", ">"});
  s.Run({"XREADGROUP", "GROUP", "grp", "bob", "COUNT", "2", "NOACK", "STREAMS", "g:s", ">"});
  s.Run({"xreadgroup", "group", "grp", "bob", "count", "3", "streams", "g:s", ">"});
  s.Expect({"XDEL", "g:s", "1-2"}, "(integer) 1");  // pending for alice
  // History: 1-1 and 1-3 delivered again, 1-2 answered as [1-2, nil].
  s.Run({"XREADGROUP", "GROUP", "grp", "alice", "STREAMS", "g:s", "0"});
  s.Run({"XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", "g:s", "1-1"});
  s.Expect({"XACK", "g:s", "grp", "1-1"}, "(integer) 1");
  s.Expect({"xack", "g:s", "grp", "1-99"}, "(integer) 0");  // not logged
  Claims(s);
  s.Expect({"SELECT", "0"}, "OK");
}

// A blocked XREADGROUP served by another client's XADD: its deliveries are logged by the re-run.
void Blocked(Script& s, int port) {
  RawClient reader(port);
  reader.SendCommand({"SELECT", "1"});
  s.Verify(reader.Read().str == "OK", "SELECT 1 on the blocking client");
  reader.SendCommand(
      {"XREADGROUP", "GROUP", "grp", "sleeper", "BLOCK", "10000", "STREAMS", "g:s", ">"});
  s.Verify(WaitBlocked(s.client(), 1), "the XREADGROUP blocks");
  s.Expect({"SELECT", "1"}, "OK");
  s.Expect({"XADD", "g:s", "1-13", "f", "13"}, "\"1-13\"");
  s.Expect({"SELECT", "0"}, "OK");
  s.Verify(reader.Read().ToString() == "[[\"g:s\", [[\"1-13\", [\"f\", \"13\"]]]]]",
           "the blocked XREADGROUP gets the new entry");
}

// A transaction over two databases (the record switches with SELECT), with a read that
// delivers inside it.
void Transaction(Script& s) {
  s.Expect({"SELECT", "2"}, "OK");
  s.Expect({"XGROUP", "CREATE", "tx:s2", "g", "$", "MKSTREAM"}, "OK");
  s.Expect({"SELECT", "0"}, "OK");
  s.Expect({"MULTI"}, "OK");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"SET", "tx:a", "1"},
           {"XADD", "tx:s", "1-1", "f", "v"},
           {"INCR", "tx:n"},
           {"SELECT", "2"},
           {"SET", "tx:b", "2", "PXAT", kForeverMs},
           {"XADD", "tx:s2", "7-7", "f", "v"},
           {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "tx:s2", ">"},
           {"xdel", "tx:s2", "7-7"}}) {
    s.Expect(args, "QUEUED");
  }
  s.Run({"EXEC"});
  s.Expect({"SELECT", "0"}, "OK");
}

// Idempotent production (XADD IDMP / IDMPAUTO) and XCFGSET, in databases 0 and 1. Every stream
// with iids gets IDMP-DURATION 1, so the cron expires them all (RUNNEL-IDMP-EXPIRE) before the
// keyspace is rendered: an iid still remembered would expire by the clock while the test
// renders the loaded keyspace, years after the fixture was written.
void Idempotency(Script& s) {
  s.Expect({"XADD", "idmp:a", "1-1", "seed", "0"}, "\"1-1\"");
  s.Expect({"XCFGSET", "idmp:a", "IDMP-DURATION", "1", "IDMP-MAXSIZE", "2"}, "OK");
  const std::string first = s.Add({"XADD", "idmp:a", "IDMP", "p1", "i1", "*", "f", "1"});
  s.Expect({"XADD", "idmp:a", "IDMP", "p1", "i1", "*", "f", "1"}, "\"" + first + "\"");
  s.Add({"XADD", "idmp:a", "IDMP", "p1", "i2", "*", "f", "2"});
  s.Add({"xadd", "idmp:a", "idmp", "p1", "i3", "maxlen", "3", "*", "f", "3"});  // evicts i1
  const std::string auto_id = s.Add({"XADD", "idmp:a", "IDMPAUTO", "p2", "*", "a", "1", "b", "2"});
  s.Expect({"XADD", "idmp:a", "IDMPAUTO", "p2", "*", "b", "2", "a", "1"}, "\"" + auto_id + "\"");
  s.Expect({"XADD", "idmp:b", "1-1", "x", "1"}, "\"1-1\"");
  s.Expect({"xcfgset", "idmp:b", "idmp-duration", "1", "idmp-maxsize", "50"}, "OK");
  s.Expect({"XCFGSET", "idmp:b", "IDMP-MAXSIZE", "50"}, "OK");  // unchanged: not logged
  s.Add({"XADD", "idmp:b", "IDMP", "p", "i", "*", "f", "v"});
  s.Expect({"RENAME", "idmp:b", "idmp:c"}, "OK");  // its iids expire under the new name
  // XCFGSET that changes a value forgets the iids (default IDMP-DURATION 100 s here).
  s.Add({"XADD", "idmp:e", "IDMP", "p", "i", "*", "f", "v"});
  s.Expect({"XCFGSET", "idmp:e", "IDMP-DURATION", "1"}, "OK");
  s.Expect({"SELECT", "1"}, "OK");
  s.Expect({"XADD", "idmp:d", "1-1", "x", "1"}, "\"1-1\"");
  s.Expect({"XCFGSET", "idmp:d", "IDMP-DURATION", "1"}, "OK");
  s.Add({"XADD", "idmp:d", "IDMPAUTO", "p", "*", "f", "v"});
  s.Expect({"SELECT", "0"}, "OK");
}

// Polls until the cron has expired every iid of the streams Idempotency left them in.
bool IdempotencyExpired(Script& s) {
  auto tracked = [&](const std::string& db, const std::string& key) {
    s.client().Call({"SELECT", db});
    Reply info = s.client().Call({"XINFO", "STREAM", key});
    for (size_t i = 0; i + 1 < info.elements.size(); i += 2) {
      if (info.elements[i].str == "iids-tracked") return info.elements[i + 1].integer;
    }
    return int64_t{-1};
  };
  bool done = WaitFor(
      [&] {
        return tracked("0", "idmp:a") == 0 && tracked("0", "idmp:c") == 0 &&
               tracked("1", "idmp:d") == 0;
      },
      10000);
  s.client().Call({"SELECT", "0"});
  return done;
}

// Waits for the server's cron to run (it runs every 100 ms), seen by the expiry of a key that
// nothing reads. Returns the expired-keys count after it.
int64_t AfterCronTick(Script& s) {
  const int64_t before = s.InfoInt("expired_keys");
  s.Expect({"SET", "tick", "1", "PX", "1"}, "OK");
  s.Verify(WaitFor([&] { return s.InfoInt("expired_keys") > before; }), "the cron runs");
  return s.InfoInt("expired_keys");
}

// What Expiry arms (TTLs of 20 ms) and what then meets the expired keys, with the replies.
struct ExpiryPlan {
  std::vector<Script::Step> arm, meet;
  int64_t met = 0;  // keys the meeting commands find expired (EXISTS meets two)
};

ExpiryPlan PlanExpiry(bool bug) {
  ExpiryPlan p;
  p.arm = {{{"SET", "exp:get", "v", "PX", "20"}, "OK"},
           {{"SET", "exp:exists", "v", "PX", "20"}, "OK"},
           {{"SET", "exp:exists2", "v", "PX", "20"}, "OK"},
           {{"SET", "exp:set", "old", "PX", "20"}, "OK"},
           {{"SET", "exp:incr", "5", "PX", "20"}, "OK"},
           {{"PEXPIRE", "exp:stream", "20"}, "(integer) 1"},
           {{"PEXPIRE", "exp:xack", "20"}, "(integer) 1"},
           {{"pexpire", "exp:xdel", "20"}, "(integer) 1"},
           {{"SET", "exp:cron0", "v", "PX", "20"}, "OK"},  // left to the cron
           {{"SELECT", "1"}, "OK"},
           {{"SET", "exp:cron1", "v", "PX", "20"}, "OK"},
           {{"SELECT", "0"}, "OK"}};
  p.meet = {{{"GET", "exp:get"}, "nil"},
            {{"EXISTS", "exp:exists", "exp:exists2"}, "(integer) 0"},
            {{"SET", "exp:set", "new"}, "OK"},
            {{"INCR", "exp:incr"}, "(integer) 1"},
            {{"XADD", "exp:stream", "1-1", "f", "new"}, "\"1-1\""},  // a new stream, no group
            {{"XACK", "exp:xack", "g", "5-1"}, "(integer) 0"},
            {{"XDEL", "exp:xdel", "5-1"}, "(integer) 0"}};
  p.met = 8;
  if (!bug) return p;
  for (const char* key :
       {"bug:cc", "bug:setid", "bug:destroy", "bug:delconsumer", "bug:xcfgset", "bug:xnack"}) {
    p.arm.push_back({{"PEXPIRE", key, "20"}, "(integer) 1"});
  }
  for (const char* key : {"lock", "lock3", "lock5"}) {
    p.arm.push_back({{"SET", key, "x", "PX", "20"}, "OK"});
  }
  const std::string needs_key =
      "(error) ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
      "want to use the MKSTREAM option to create an empty stream automatically.";
  p.meet.insert(p.meet.end(),
                {{{"RENAME", "lock", "lock2"}, "(error) ERR no such key"},
                 {{"renamenx", "lock3", "lock4"}, "(error) ERR no such key"},
                 {{"XGROUP", "CREATECONSUMER", "bug:cc", "g", "c2"}, needs_key},
                 {{"XSETID", "bug:setid", "9-0"}, "(error) ERR no such key"},
                 {{"XGROUP", "DESTROY", "bug:destroy", "g"}, needs_key},
                 {{"xgroup", "delconsumer", "bug:delconsumer", "g", "c"}, needs_key},
                 {{"XCFGSET", "bug:xcfgset", "IDMP-DURATION", "5"}, "(error) ERR no such key"},
                 {{"XNACK", "bug:xnack", "g", "FAIL", "IDS", "1", "5-1"},
                  "(error) NOGROUP No such key 'bug:xnack' or consumer group 'g'"},
                 // In a transaction the record goes on after the failed command.
                 {{"MULTI"}, "OK"},
                 {{"RENAME", "lock5", "lock6"}, "QUEUED"},
                 {{"SET", "after", "the failed rename"}, "QUEUED"},
                 {{"EXEC"}, "[(error) ERR no such key, OK]"}});
  p.met += 9;
  return p;
}

// Keys that expire during the run, in databases 0 and 1: removed when a command meets them
// (logged as a DEL in that command's record, before its own effects) or by the cron (a record
// of DELs alone, with a SELECT between databases). With `bug`, also the commands that fail after
// meeting an expired key, which the old server logged with the DEL and could not replay.
//
// The keys get their TTLs just after a cron run and are met 40 ms later, in one pipeline, well
// before the next run (100 ms apart) could remove them first; the expired-keys count proves it.
void Expiry(Script& s, bool bug) {
  for (const char* key : {"exp:stream", "exp:xack", "exp:xdel", "bug:cc", "bug:setid",
                          "bug:destroy", "bug:delconsumer", "bug:xcfgset", "bug:xnack"}) {
    s.Expect({"XADD", key, "5-1", "f", "v"}, "\"5-1\"");
    s.Expect({"XGROUP", "CREATE", key, "g", "0"}, "OK");
    s.Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", key, ">"});
  }
  s.Expect({"SET", "lock2", "keep", "PXAT", kForeverMs}, "OK");
  const ExpiryPlan plan = PlanExpiry(bug);
  const int64_t expired = AfterCronTick(s);
  s.Pipeline(plan.arm);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  s.Pipeline(plan.meet);
  s.Verify(s.InfoInt("expired_keys") == expired + plan.met,
           "the commands, not the cron, met the expired keys");
  s.Verify(WaitFor([&] { return s.InfoInt("expired_keys") == expired + plan.met + 2; }),
           "the cron expires exp:cron0 and exp:cron1");
  if (bug) {  // the failed commands changed nothing but the expiry
    s.Expect({"GET", "lock2"}, "\"keep\"");
    s.Expect({"XADD", "bug:setid", "1-1", "f", "again"}, "\"1-1\"");
  }
}

fs::path FixtureDir() {
  return Env("RUNNEL_LEGACY_FIXTURE_DIR").empty() ? fs::path(RUNNEL_FIXTURES_DIR) / "log-v0"
                                                  : fs::path(Env("RUNNEL_LEGACY_FIXTURE_DIR"));
}

// Copies the fixture's log into `server`'s directory, starts it and waits for the load. A server
// that cannot load its data exits (maybe before Start sees it listen): stop waiting then.
void StartOnFixture(ServerProcess& server) {
  fs::create_directories(server.dir() + "/data");
  fs::copy(FixtureDir() / "appendonlydir", server.dir() + "/data/appendonlydir",
           fs::copy_options::recursive);
  const bool loaded = server.Start() && WaitFor([&] {
                        RawClient c(server.port());
                        if (c.connected()) return c.Call({"PING"}).str == "PONG";
                        return server.WaitExit(0) != -1;
                      });
  REQUIRE_MESSAGE((loaded && server.running()), "the log did not load:\n" << server.Log());
}

// XINFO STREAM's radix-tree-keys: how many blocks the entries fell into.
int64_t BlockCount(RawClient& c, const std::string& key) {
  const Reply info = c.Call({"XINFO", "STREAM", key});
  for (size_t i = 0; i + 1 < info.elements.size(); i += 2) {
    if (info.elements[i].str == "radix-tree-keys") return info.elements[i + 1].integer;
  }
  return -1;
}

}  // namespace

TEST_CASE("fixtures/log-v0, a log written by commit 19e80a9, loads as the keyspace it held") {
  const std::string expected = ReadFile(FixtureDir() / "expected.dump");
  REQUIRE(!expected.empty());
  ServerProcess server(kServerArgs);
  UseLegacyBinary(server);
  StartOnFixture(server);
  RawClient c(server.port());
  CheckSameDump(expected, DumpKeyspace(c));
}

// A legacy log states no block limits; the records this version appends to it must, or they
// would replay under whatever limits the configuration holds at the next start. (The legacy
// records themselves can only replay under the configured limits: nothing says which they were
// written under. So only the appended stream is compared.)
TEST_CASE("records appended to a legacy log replay under the block limits they were made with") {
  ServerProcess server(kServerArgs);  // stream-node-max-entries 3
  StartOnFixture(server);
  RawClient c(server.port());
  for (int i = 1; i <= 10; ++i) {
    CHECK(c.Call({"XADD", "appended", std::to_string(i) + "-1", "f", "v"}).str ==
          std::to_string(i) + "-1");
  }
  CHECK(BlockCount(c, "appended") == 4);
  CHECK(server.Stop(9) == 128 + 9);
  std::vector<std::string> args = kServerArgs;
  args.back() = "100";
  ServerProcess wider(args);
  fs::create_directories(wider.dir() + "/data");
  fs::copy(server.dir() + "/data/appendonlydir", wider.dir() + "/data/appendonlydir",
           fs::copy_options::recursive);
  REQUIRE(wider.Start());
  REQUIRE(WaitLoaded(wider.port()));
  RawClient after(wider.port());
  CHECK(BlockCount(after, "appended") == 4);
  CHECK(after.Call({"XLEN", "appended"}).integer == 10);
}

// The generator: see the top of the file. Returns at once unless RUNNEL_WRITE_LEGACY_FIXTURE
// names the directory to write to, so that ordinary test runs never write a fixture.
TEST_CASE("generator of fixtures/log-v0 (runs only with RUNNEL_WRITE_LEGACY_FIXTURE=<dir>)") {
  const std::string out = Env("RUNNEL_WRITE_LEGACY_FIXTURE");
  if (out.empty()) {
    MESSAGE("not writing a legacy log fixture: RUNNEL_WRITE_LEGACY_FIXTURE is not set");
    return;
  }
  const bool bug = Env("RUNNEL_LEGACY_WITHOUT_BUG").empty();
  ServerProcess server(kServerArgs);
  UseLegacyBinary(server);
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient c(server.port());
  Script s(c);
  Strings(s);
  Idempotency(s);  // early: its iids take a second to expire, while the rest runs
  Database2(s);
  Streams(s);
  References(s);
  Groups(s);
  Blocked(s, server.port());
  Transaction(s);
  Expiry(s, bug);
  REQUIRE(IdempotencyExpired(s));
  const std::string dump = DumpKeyspace(c);
  REQUIRE_MESSAGE(!s.failed(), "the workload went differently than planned: nothing written");
  REQUIRE(server.Stop(9) == 128 + 9);  // a crash: the log is all there is
  const fs::path dir(out);
  fs::remove_all(dir / "appendonlydir");
  fs::create_directories(dir);
  fs::copy(server.dir() + "/data/appendonlydir", dir / "appendonlydir",
           fs::copy_options::recursive);
  std::ofstream(dir / "expected.dump", std::ios::binary) << dump;
  MESSAGE("wrote " << (dir / "appendonlydir").string() << " and expected.dump"
                   << (bug ? std::string() : " (without the records the old server cannot load)"));
}
