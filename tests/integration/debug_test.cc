// DEBUG against the real binary: enable-debug-command's modes, and RELOAD / LOADAOF giving back
// exactly the data clients saw (rendered whole, groups and PELs included), with the log still
// continuing afterwards, and refusing what would make the data and the log disagree.
#include <doctest/doctest.h>

#include <string>

#include "dataset.h"
#include "server_process.h"

using namespace runnel::testing;
using runnel::resp::Reply;

namespace {

void StartLoaded(ServerProcess& server) {
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
}

}  // namespace

TEST_CASE("DEBUG is refused unless enable-debug-command allows it, and the setting is fixed") {
  ServerProcess off({"--save", ""});
  StartLoaded(off);
  RawClient c(off.port());
  Reply r = c.Call({"DEBUG", "SLEEP", "0"});
  CHECK(r.is_error());
  CHECK(r.str.find("ERR DEBUG command not allowed. If the enable-debug-command option is set to "
                   "\"local\"") == 0);
  // Refused before MULTI queues it, so the whole transaction is discarded, as in Redis.
  CHECK(c.Call({"MULTI"}).str == "OK");
  CHECK(c.Call({"SET", "k", "v"}).str == "QUEUED");
  CHECK(c.Call({"DEBUG", "SLEEP", "0"}).str.find("ERR DEBUG command not allowed") == 0);
  CHECK(c.Call({"EXEC"}).str == "EXECABORT Transaction discarded because of previous errors.");
  CHECK(c.Call({"EXISTS", "k"}).integer == 0);
  CHECK(c.Call({"CONFIG", "SET", "enable-debug-command", "yes"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't set "
        "immutable config");
  ServerProcess local({"--save", "", "--enable-debug-command", "local"});
  StartLoaded(local);
  RawClient lc(local.port());  // the tests connect over loopback
  CHECK(lc.Call({"DEBUG", "SLEEP", "0"}).str == "OK");
  CHECK(lc.Call({"CONFIG", "GET", "enable-debug-command"}).elements.at(1).str == "local");
}

TEST_CASE("DEBUG RELOAD and LOADAOF give back exactly the data, and the log goes on") {
  ServerProcess server({"--save", "", "--enable-debug-command", "yes"});
  StartLoaded(server);
  RawClient c(server.port());
  RandomWorkload work(23);
  CHECK(work.Run(c, 2000) == 0);
  const std::string before = DumpKeyspace(c);
  CHECK(before.find("pending") != std::string::npos);
  CHECK(c.Call({"DEBUG", "RELOAD"}).str == "OK");
  CheckSameDump(before, DumpKeyspace(c));
  CHECK(c.Call({"DEBUG", "LOADAOF"}).str == "OK");
  CheckSameDump(before, DumpKeyspace(c), SeenTimes::kCoalesced);
  // Writes after the reloads are logged on top of the same history: a crash keeps them all.
  CHECK(work.Run(c, 500) == 0);
  CHECK(c.Call({"DEBUG", "LOADAOF"}).str == "OK");
  const std::string later = DumpKeyspace(c);
  CHECK(server.Stop(9) == 128 + 9);
  StartLoaded(server);
  RawClient again(server.port());
  CheckSameDump(later, DumpKeyspace(again), SeenTimes::kCoalesced);
  // With the log on, loading the dump file instead would leave the log describing other data.
  Reply r = again.Call({"DEBUG", "RELOAD", "NOSAVE"});
  CHECK(r.str.find("ERR DEBUG RELOAD NOSAVE needs appendonly no") == 0);
}

TEST_CASE("DEBUG RELOAD: WATCH fails, blocked readers go on; LOADAOF needs the log; NOSAVE") {
  ServerProcess server({"--save", "", "--appendonly", "no", "--enable-debug-command", "yes"});
  StartLoaded(server);
  RawClient c(server.port());
  RawClient watcher(server.port());
  RawClient reader(server.port());
  CHECK(c.Call({"SET", "k", "1"}).str == "OK");
  CHECK(c.Call({"XADD", "s", "1-1", "f", "v"}).str == "1-1");
  CHECK(watcher.Call({"WATCH", "k"}).str == "OK");
  reader.SendCommand({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  REQUIRE(WaitBlocked(c, 1));
  CHECK(c.Call({"DEBUG", "RELOAD"}).str == "OK");
  CHECK(watcher.Call({"MULTI"}).str == "OK");
  CHECK(watcher.Call({"SET", "k", "2"}).str == "QUEUED");
  CHECK(watcher.Call({"EXEC"}).is_null());  // the data was replaced under the watch
  // The reader looked again, found nothing new in the reloaded stream, and still waits for it.
  CHECK(InfoField(c, "blocked_clients") == "1");
  CHECK(c.Call({"XADD", "s", "2-1", "f", "w"}).str == "2-1");
  CHECK(reader.Read().elements.at(0).elements.at(1).elements.at(0).elements.at(0).str == "2-1");
  CHECK(c.Call({"GET", "k"}).str == "1");

  Reply r = c.Call({"DEBUG", "LOADAOF"});
  CHECK(r.str == "ERR DEBUG LOADAOF needs appendonly yes: there is no append-only log to load");
  CHECK(c.Call({"GET", "k"}).str == "1");  // refused, not emptied (redis-server 7.0 exits)

  // NOSAVE loads the dump file as it is on disk: the SET after the last save is gone.
  CHECK(c.Call({"SET", "k", "after-save"}).str == "OK");
  CHECK(c.Call({"DEBUG", "RELOAD", "NOSAVE"}).str == "OK");
  CHECK(c.Call({"GET", "k"}).str == "1");
}

// COPY (or RENAME) can give a stream a group whose DEADLETTER names the stream itself, which
// XGROUP SETPOLICY refuses; the snapshot holding it must still load.
TEST_CASE("a stream copied onto its own group's dead-letter key saves and loads") {
  ServerProcess server({"--save", "", "--enable-debug-command", "yes"});
  StartLoaded(server);
  RawClient c(server.port());
  CHECK(c.Call({"XADD", "a", "1-1", "f", "v"}).str == "1-1");
  CHECK(c.Call({"XGROUP", "CREATE", "a", "g", "0"}).str == "OK");
  CHECK(c.Call({"XGROUP", "SETPOLICY", "a", "g", "MAXDELIVERIES", "3", "DEADLETTER", "b"}).str ==
        "OK");
  CHECK(c.Call({"COPY", "a", "b"}).integer == 1);
  CHECK(c.Call({"XGROUP", "SETPOLICY", "b", "g", "DEADLETTER", "b"}).is_error());
  CHECK(c.Call({"DEBUG", "RELOAD"}).str == "OK");
  const std::string before = DumpKeyspace(c);
  CHECK(server.Stop(9) == 128 + 9);
  StartLoaded(server);
  RawClient again(server.port());
  CheckSameDump(before, DumpKeyspace(again), SeenTimes::kCoalesced);
  CHECK(again.Call({"XGROUP", "GETPOLICY", "b", "g"}).elements.size() > 0);
}
