// INFO fields that describe live state (blocking, watching, rates) and Runnel's # Streams
// section, against the real binary with several connections.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "dataset.h"
#include "server_process.h"

using namespace runnel::testing;

TEST_CASE("INFO clients counts blocking and watched keys; INFO streams sums the queues") {
  ServerProcess server({"--save", ""});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient c(server.port());
  RawClient reader(server.port()), group_reader(server.port()), watcher(server.port());
  CHECK(c.Call({"XADD", "a", "1-1", "f", "v"}).str == "1-1");
  CHECK(c.Call({"XADD", "b", "1-1", "f", "v"}).str == "1-1");
  CHECK(c.Call({"XGROUP", "CREATE", "b", "g", "$"}).str == "OK");
  CHECK(c.Call({"XGROUP", "CREATE", "a", "g", "0"}).str == "OK");
  CHECK(c.Call({"XREADGROUP", "GROUP", "g", "c1", "STREAMS", "a", ">"}).type ==
        runnel::resp::Reply::Type::kArray);
  reader.SendCommand({"XREAD", "BLOCK", "0", "STREAMS", "a", "x", "$", "$"});
  group_reader.SendCommand(
      {"XREADGROUP", "GROUP", "g", "c2", "BLOCK", "60000", "STREAMS", "b", ">"});
  REQUIRE(WaitBlocked(c, 2));
  CHECK(watcher.Call({"WATCH", "a", "b", "zz"}).str == "OK");
  CHECK(InfoField(c, "total_blocking_keys") == "3");           // a, x, b
  CHECK(InfoField(c, "total_blocking_keys_on_nokey") == "1");  // b: XREADGROUP
  CHECK(InfoField(c, "clients_in_timeout_table") == "1");      // the one with a timeout
  CHECK(InfoField(c, "watching_clients") == "1");
  CHECK(InfoField(c, "total_watched_keys") == "3");
  CHECK(InfoField(c, "cluster_connections") == "0");

  CHECK(InfoField(c, "streams") == "2");
  CHECK(InfoField(c, "stream_entries") == "2");
  CHECK(InfoField(c, "stream_groups") == "2");
  CHECK(InfoField(c, "stream_consumers") == "2");  // c1, and c2 created by its read
  CHECK(InfoField(c, "stream_pending") == "1");
  CHECK(InfoField(c, "stream_max_group_lag") == "0");
  // Not in the default INFO: it walks every stream.
  CHECK(c.Call({"INFO"}).str.find("# Streams") == std::string::npos);
  CHECK(c.Call({"INFO", "everything"}).str.find("# Streams") != std::string::npos);

  // Serving the readers empties the blocking counts.
  CHECK(c.Call({"XADD", "x", "1-1", "f", "v"}).str == "1-1");
  CHECK(c.Call({"XADD", "b", "2-1", "f", "v"}).str == "2-1");
  CHECK(reader.Read().type == runnel::resp::Reply::Type::kArray);
  CHECK(group_reader.Read().type == runnel::resp::Reply::Type::kArray);
  CHECK(InfoField(c, "total_blocking_keys") == "0");
  CHECK(InfoField(c, "total_blocking_keys_on_nokey") == "0");
  CHECK(InfoField(c, "clients_in_timeout_table") == "0");
}

TEST_CASE("instantaneous_ops_per_sec and the kbps rates follow the load, then fall back") {
  ServerProcess server({"--save", "", "--appendonly", "no"});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient c(server.port());
  RawClient load(server.port());
  // A second and a half of pipelined PINGs: the rates are sampled every 100 ms over 16 samples.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (std::chrono::steady_clock::now() < until) {
    std::string batch;
    for (int i = 0; i < 200; ++i) batch += "*1\r\n$4\r\nPING\r\n";
    load.Send(batch);
    for (int i = 0; i < 200; ++i) REQUIRE(load.Read().str == "PONG");
  }
  CHECK(std::stoll(InfoField(c, "instantaneous_ops_per_sec")) > 100);
  CHECK(std::stod(InfoField(c, "instantaneous_input_kbps")) > 0);
  CHECK(std::stod(InfoField(c, "instantaneous_output_kbps")) > 0);
  // Idle for longer than the sampling window: back to 0.
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  CHECK(InfoField(c, "instantaneous_ops_per_sec") == "0");
}

TEST_CASE("INFO keysizes: per database, strings by bytes and streams by entries, in 2^n bins") {
  ServerProcess server({"--save", ""});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient c(server.port());
  CHECK(c.Call({"INFO", "keysizes"}).str == "# Keysizes\r\n");
  CHECK(c.Call({"SET", "empty", ""}).str == "OK");
  CHECK(c.Call({"SET", "three", "abc"}).str == "OK");
  CHECK(c.Call({"SET", "big", std::string(2048 + 5, 'x')}).str == "OK");
  for (int i = 1; i <= 5; ++i) {
    CHECK(c.Call({"XADD", "five", std::to_string(i) + "-1", "f", "v"}).type ==
          runnel::resp::Reply::Type::kBulk);
  }
  CHECK(c.Call({"XGROUP", "CREATE", "none", "g", "$", "MKSTREAM"}).str == "OK");
  CHECK(c.Call({"SELECT", "3"}).str == "OK");
  CHECK(c.Call({"XADD", "one", "1-1", "f", "v"}).str == "1-1");
  CHECK(InfoField(c, "db0_distrib_strings_sizes") == "0=1,2=1,2K=1");
  CHECK(InfoField(c, "db0_distrib_streams_items") == "0=1,4=1");
  CHECK(InfoField(c, "db3_distrib_streams_items") == "1=1");
  CHECK(c.Call({"INFO", "keysizes"}).str.find("db3_distrib_strings_sizes") == std::string::npos);

  // Lengths move keys between bins; deleted keys leave them.
  CHECK(c.Call({"XTRIM", "one", "MAXLEN", "0"}).integer == 1);
  CHECK(InfoField(c, "db3_distrib_streams_items") == "0=1");
  CHECK(c.Call({"SELECT", "0"}).str == "OK");
  CHECK(c.Call({"DEL", "big", "five"}).integer == 2);
  CHECK(InfoField(c, "db0_distrib_strings_sizes") == "0=1,2=1");
  CHECK(InfoField(c, "db0_distrib_streams_items") == "0=1");
  // Not in the default INFO: it walks every key.
  CHECK(c.Call({"INFO"}).str.find("# Keysizes") == std::string::npos);
  CHECK(c.Call({"INFO", "all"}).str.find("# Keysizes") != std::string::npos);
}

TEST_CASE("client_recent_max_input_buffer and _output_buffer follow the largest recent buffers") {
  ServerProcess server({"--save", ""});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient c(server.port());
  CHECK(std::stoull(InfoField(c, "client_recent_max_input_buffer")) < 1000);
  const std::string big(200000, 'x');
  CHECK(c.Call({"SET", "k", big}).str == "OK");
  CHECK(c.Call({"GET", "k"}).str == big);
  // The whole SET arrived in one buffer at some point; the GET's reply sat in one.
  CHECK(std::stoull(InfoField(c, "client_recent_max_input_buffer")) >= 65536);
  CHECK(std::stoull(InfoField(c, "client_recent_max_output_buffer")) >= 200000);
}

TEST_CASE("used_memory follows the data: stream blocks and strings count, and come back off") {
  ServerProcess server({"--save", "", "--appendonly", "no"});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient c(server.port());
  const uint64_t empty = std::stoull(InfoField(c, "used_memory"));
  REQUIRE(empty > 0);  // in the sanitizer build too, where the sanitizer's count is used
  std::string batch;
  constexpr int kEntries = 20000;
  for (int i = 0; i < kEntries; ++i) {
    batch += "*5\r\n$4\r\nXADD\r\n$1\r\ns\r\n$1\r\n*\r\n$1\r\nf\r\n$100\r\n" +
             std::string(100, 'v') + "\r\n";
  }
  c.Send(batch);
  for (int i = 0; i < kEntries; ++i) REQUIRE(c.Read().type == runnel::resp::Reply::Type::kBulk);
  const uint64_t full = std::stoull(InfoField(c, "used_memory"));
  CHECK(full - empty >= uint64_t{kEntries} * 100);  // at least the values themselves
  CHECK(full - empty < uint64_t{kEntries} * 400);   // and not wildly more
  CHECK(c.Call({"DEL", "s"}).integer == 1);
  const uint64_t after = std::stoull(InfoField(c, "used_memory"));
  CHECK(after < empty + (full - empty) / 10);  // freed again
  // A connection that once sent a 4 MB argument and read a 4 MB reply does not keep the buffers.
  const std::string big(4 << 20, 'b');
  CHECK(c.Call({"SET", "big", big}).str == "OK");
  CHECK(c.Call({"GET", "big"}).str.size() == big.size());
  CHECK(c.Call({"DEL", "big"}).integer == 1);
  CHECK(std::stoull(InfoField(c, "used_memory")) < after + (1 << 20));
}

// What Redis Sentinel and clients read to identify a server: run_id (new at each start) and the
// replication section of a master with no replicas.
TEST_CASE("INFO run_id and replication: 40 hex digits, a new run ID after a restart") {
  ServerProcess server({"--save", ""});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  auto hex40 = [](const std::string& s) {
    return s.size() == 40 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
  };
  std::string first_run;
  {
    RawClient c(server.port());
    first_run = InfoField(c, "run_id");
    CHECK(hex40(first_run));
    CHECK(hex40(InfoField(c, "master_replid")));
    CHECK(InfoField(c, "role") == "master");
    CHECK(InfoField(c, "master_replid2") == std::string(40, '0'));
    runnel::resp::Reply role = c.Call({"ROLE"});
    REQUIRE(role.elements.size() == 3);
    CHECK(role.elements[0].str == "master");
  }
  REQUIRE(server.Stop() == 0);
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient again(server.port());
  const std::string second_run = InfoField(again, "run_id");
  CHECK(hex40(second_run));
  CHECK(second_run != first_run);
}
