// The metrics port against the real binary: GET /metrics over HTTP/1.1 (keep-alive, HEAD, 404,
// 405, Basic auth when requirepass is set, malformed requests), the series docs/metrics.md
// lists with the values XINFO reports, the series cap, `promtool check metrics` on what is
// served, and a real Prometheus server (Debian's package) scraping it and answering a query
// with the group's lag and pending counts.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "dataset.h"
#include "http_client.h"
#include "server_process.h"

using namespace runnel::testing;

namespace {

void StartLoaded(ServerProcess& server) {
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
}

// A stream with a group: 5 entries, 3 delivered to alice, 1 of them acknowledged.
void Populate(RawClient& c) {
  for (int i = 1; i <= 5; ++i) {
    REQUIRE(c.Call({"XADD", "orders", std::to_string(i) + "-1", "n", std::to_string(i)}).str ==
            std::to_string(i) + "-1");
  }
  REQUIRE(c.Call({"XGROUP", "CREATE", "orders", "billing", "0"}).str == "OK");
  REQUIRE(c.Call({"XREADGROUP", "GROUP", "billing", "alice", "COUNT", "3", "STREAMS", "orders",
                  ">"}).type == runnel::resp::Reply::Type::kArray);
  REQUIRE(c.Call({"XACK", "orders", "billing", "1-1"}).integer == 1);
}

}  // namespace

TEST_CASE("GET /metrics: the series, their values, and HTTP's rules") {
  const int mport = FreePort();
  ServerProcess server({"--save", "", "--metrics-port", std::to_string(mport)});
  StartLoaded(server);
  RawClient c(server.port());
  Populate(c);
  CHECK(c.Call({"GET", "nokey", "extra"}).is_error());

  const std::string response = Get(mport, "/metrics");
  CHECK(response.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(Has(response, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  const std::string body = Body(response);
  CHECK(Has(body, "# TYPE runnel_stream_length gauge\n"));
  CHECK(Has(body, "runnel_stream_length{db=\"0\",stream=\"orders\"} 5\n"));
  CHECK(Has(body, "runnel_stream_entries_added_total{db=\"0\",stream=\"orders\"} 5\n"));
  CHECK(Has(body, "runnel_group_lag{db=\"0\",stream=\"orders\",group=\"billing\"} 2\n"));
  CHECK(Has(body, "runnel_group_pending{db=\"0\",stream=\"orders\",group=\"billing\"} 2\n"));
  CHECK(Has(body, "runnel_consumer_pending{db=\"0\",stream=\"orders\",group=\"billing\","
                  "consumer=\"alice\"} 2\n"));
  const std::string billing = "{db=\"0\",stream=\"orders\",group=\"billing\"} ";
  CHECK(Has(body, "runnel_group_delivered_total" + billing + "3\n"));
  CHECK(Has(body, "runnel_group_read_total" + billing + "3\n"));
  CHECK(Has(body, "runnel_group_acknowledged_total" + billing + "1\n"));
  CHECK(Has(body, "runnel_group_claimed_total" + billing + "0\n"));
  // A claim is a delivery too; an XNACK release is counted apart.
  CHECK(c.Call({"XCLAIM", "orders", "billing", "bob", "0", "2-1"}).elements.size() == 1);
  CHECK(c.Call({"XNACK", "orders", "billing", "FAIL", "IDS", "1", "3-1"}).integer == 1);
  const std::string after = Body(Get(mport, "/metrics"));
  CHECK(Has(after, "runnel_group_claimed_total" + billing + "1\n"));
  CHECK(Has(after, "runnel_group_delivered_total" + billing + "4\n"));
  CHECK(Has(after, "runnel_group_nacks_total" + billing + "1\n"));
  CHECK(Has(body, "runnel_commands_total{command=\"xadd\"} 5\n"));
  CHECK(Has(body, "runnel_command_rejections_total{command=\"get\"} 1\n"));
  CHECK(Has(body, "runnel_errors_total{code=\"ERR\"} 1\n"));
  CHECK(Has(body, "runnel_keys{db=\"0\"} 1\n"));
  CHECK(Has(body, "runnel_metrics_streams_summed 0\n"));

  // promtool, from Debian's prometheus package, accepts the exposition as it is served.
  const std::string file = server.dir() + "/metrics.txt";
  std::ofstream(file) << body;
  std::string out;
  CHECK_MESSAGE(Shell("promtool check metrics < " + file, &out) == 0, out);

  // HEAD has the headers only; other paths, methods and broken requests get their status.
  const std::string head =
      Http(mport, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(Body(head).empty());
  CHECK(Get(mport, "/nope").rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
  CHECK(Http(mport, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "\r\n\r\n")
            .rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0) == 0);
  CHECK(Http(mport, "NOT HTTP AT ALL\r\n\r\n").rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(Http(mport, "GET /metrics HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n")
            .rfind("HTTP/1.1 431", 0) == 0);
  // Keep-alive: two requests on one connection, two answers.
  const std::string two = Http(mport,
                               "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                               "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(Has(two, "HTTP/1.1 404 Not Found\r\n"));
  CHECK(Has(two, "HTTP/1.1 200 OK\r\n"));
  CHECK(c.Call({"PING"}).str == "PONG");  // the commands' port never noticed
}

// The memory limits' series follow INFO: maxmemory, the clients' memory, evictions, refusals.
TEST_CASE("the memory-limit series: maxmemory, client memory, evicted clients") {
  const int mport = FreePort();
  ServerProcess server({"--save", "", "--metrics-port", std::to_string(mport), "--maxmemory",
                        "64mb", "--maxmemory-clients", "1mb"});
  REQUIRE(server.Start());
  REQUIRE(WaitLoaded(server.port()));
  RawClient admin(server.port()), sender(server.port());
  // A 20 MB value announced and 5 MB of it sent: past maxmemory-clients, so closed.
  sender.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$20000000\r\n" + std::string(5 << 20, 'v'));
  REQUIRE(sender.WaitClosed(10000));
  const std::string body = Body(Get(mport, "/metrics"));
  CHECK(Has(body, "runnel_memory_max_bytes 67108864\n"));
  CHECK(Has(body, "runnel_evicted_clients_total 1\n"));
  CHECK(Has(body, "runnel_rejected_connections_total 0\n"));
  CHECK(Has(body, "# TYPE runnel_memory_clients_bytes gauge\n"));
}

TEST_CASE("the metrics port needs requirepass's password when one is set") {
  const int mport = FreePort();
  ServerProcess server(
      {"--save", "", "--metrics-port", std::to_string(mport), "--requirepass", "s3cret"});
  REQUIRE(server.Start());  // (WaitLoaded's PING would need the password)
  const std::string denied = Get(mport, "/metrics");
  CHECK(denied.rfind("HTTP/1.1 401 Unauthorized\r\n", 0) == 0);
  CHECK(Has(denied, "WWW-Authenticate: Basic realm=\"runnel\"\r\n"));
  // "prometheus:s3cret" and "prometheus:wrong" in base64.
  CHECK(Get(mport, "/metrics", "Authorization: Basic cHJvbWV0aGV1czpzM2NyZXQ=\r\n")
            .rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(Get(mport, "/metrics", "Authorization: Basic cHJvbWV0aGV1czp3cm9uZw==\r\n")
            .rfind("HTTP/1.1 401", 0) == 0);
  // The right credentials with something after the padding are not the right credentials.
  CHECK(Get(mport, "/metrics", "Authorization: Basic cHJvbWV0aGV1czpzM2NyZXQ=junk\r\n")
            .rfind("HTTP/1.1 401", 0) == 0);
}

TEST_CASE("metrics-max-series sums the streams past the cap into stream=\"other\"") {
  const int mport = FreePort();
  ServerProcess server({"--save", "", "--metrics-port", std::to_string(mport),
                        "--metrics-max-series", "3"});
  StartLoaded(server);
  RawClient c(server.port());
  for (int i = 0; i < 10; ++i) {
    REQUIRE(c.Call({"XADD", "s" + std::to_string(i), "1-1", "f", "v"}).str == "1-1");
  }
  const std::string body = Body(Get(mport, "/metrics"));
  CHECK(Has(body, "runnel_metrics_streams_summed 7\n"));
  CHECK(Has(body, "runnel_stream_length{db=\"\",stream=\"other\"} 7\n"));
  size_t rows = 0;
  for (size_t at = 0; (at = body.find("\nrunnel_stream_length{", at)) != std::string::npos; ++at) {
    ++rows;
  }
  CHECK(rows == 4);  // three streams of their own, and "other"
}

TEST_CASE("a real Prometheus server scrapes the group's lag and pending counts") {
  std::string out;
  if (Shell("command -v prometheus", &out) != 0) {
    MESSAGE("prometheus is not installed: skipped");  // tools/test installs it
    return;
  }
  const int mport = FreePort(), pport = FreePort();
  ServerProcess server({"--save", "", "--metrics-port", std::to_string(mport)});
  StartLoaded(server);
  RawClient c(server.port());
  Populate(c);
  const std::string dir = server.dir() + "/prometheus";
  REQUIRE(std::system(("mkdir -p '" + dir + "'").c_str()) == 0);
  std::ofstream(dir + "/prometheus.yml")
      << "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: runnel\n"
         "    static_configs:\n      - targets: ['127.0.0.1:" << mport << "']\n";
  const std::string cmd = "cd '" + dir + "' && exec prometheus --config.file=prometheus.yml "
                          "--storage.tsdb.path=data --web.listen-address=127.0.0.1:" +
                          std::to_string(pport) + " > prometheus.log 2>&1";
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
    _exit(127);
  }
  // Ask Prometheus's HTTP API until a scrape has landed.
  bool found = false;
  for (int i = 0; i < 300 && !found; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    out = Get(pport, "/api/v1/query?query=runnel_group_lag%2Brunnel_group_pending");
    // lag 2 + pending 2, for the billing group of orders.
    found = Has(out, "\"group\":\"billing\"") && Has(out, "\"value\":[") && Has(out, ",\"4\"]");
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  CHECK_MESSAGE(found, out);
}

// A scrape of many streams is built a slice at a time: commands sent meanwhile are answered
// before it is, and it still describes every stream once.
TEST_CASE("a large scrape leaves room for commands, and describes every stream once") {
  constexpr int kStreams = 40000;
  const int mport = FreePort();
  ServerProcess server({"--save", "", "--appendonly", "no", "--metrics-port",
                        std::to_string(mport), "--metrics-max-series", "1000000"});
  StartLoaded(server);
  RawClient c(server.port());
  std::string batch;
  for (int i = 0; i < kStreams; ++i) {
    const std::string key = "s" + std::to_string(i);
    batch += "*5\r\n$4\r\nXADD\r\n$" + std::to_string(key.size()) + "\r\n" + key +
             "\r\n$3\r\n1-1\r\n$1\r\nf\r\n$1\r\nv\r\n";
  }
  c.Send(batch);
  for (int i = 0; i < kStreams; ++i) REQUIRE(c.Read().str == "1-1");

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(mport));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  REQUIRE(write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  // The scrape has started; PING is answered while it is being built.
  CHECK(c.Call({"PING"}).str == "PONG");
  char probe;
  const bool scrape_pending = recv(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT) < 0;
  CHECK_MESSAGE(scrape_pending, "the scrape was answered before a PING sent after it");

  std::string response;
  char buf[65536];
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
    response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  size_t rows = 0;
  for (size_t at = 0; (at = response.find("\nrunnel_stream_length{", at)) != std::string::npos;
       ++at) {
    ++rows;
  }
  CHECK(rows == kStreams);

  // Scrapers that hang up mid-scrape (a scrape_timeout) leave nothing behind: their work
  // stops, and the next scrape is whole.
  for (int i = 0; i < 3; ++i) {
    int quitter = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(connect(quitter, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(write(quitter, request.data(), request.size()) ==
            static_cast<ssize_t>(request.size()));
    close(quitter);
  }
  CHECK(c.Call({"PING"}).str == "PONG");
  const std::string again = Get(mport, "/metrics");
  CHECK(again.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(again.find("runnel_metrics_streams_summed 0\n") != std::string::npos);

  // A request that cannot be parsed, pipelined behind a scrape still being built, is answered
  // after it: the scrape's 200 first, then the 400, then the connection closes.
  const std::string both =
      Http(mport, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\x01 /x HTTP/1.1\r\n\r\n");
  const size_t ok = both.find("HTTP/1.1 200 OK\r\n");
  const size_t bad = both.find("HTTP/1.1 400 Bad Request\r\n");
  CHECK(ok == 0);
  CHECK(bad != std::string::npos);
  CHECK(bad > ok);
  CHECK(both.find("\nrunnel_stream_length{") < bad);
}

namespace {

// The value of an unlabelled sample (or one with exactly these labels), -1 when absent.
double Sample(const std::string& body, const std::string& series) {
  size_t at = body.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("the log's write and fsync histograms and the snapshot's state") {
  const int mport = FreePort();
  ServerProcess server({"--save", "", "--appendonly", "yes", "--appendfsync", "always",
                        "--metrics-port", std::to_string(mport)});
  StartLoaded(server);
  RawClient c(server.port());
  const std::string before = Body(Get(mport, "/metrics"));
  for (int i = 1; i <= 5; ++i) {
    REQUIRE(c.Call({"XADD", "s", std::to_string(i) + "-1", "f", "v"}).str ==
            std::to_string(i) + "-1");
  }
  const std::string body = Body(Get(mport, "/metrics"));
  CHECK(Has(body, "# TYPE runnel_aof_write_seconds histogram\n"));
  // Under always, each XADD's reply waited for one write and one fsync.
  CHECK(Sample(body, "runnel_aof_write_seconds_count") -
            Sample(before, "runnel_aof_write_seconds_count") == 5);
  CHECK(Sample(body, "runnel_aof_fsync_seconds_count") -
            Sample(before, "runnel_aof_fsync_seconds_count") == 5);
  CHECK(Sample(body, "runnel_aof_fsync_seconds_bucket{le=\"+Inf\"}") ==
        Sample(body, "runnel_aof_fsync_seconds_count"));
  CHECK(Sample(body, "runnel_aof_fsync_seconds_bucket{le=\"10\"}") <=
        Sample(body, "runnel_aof_fsync_seconds_count"));
  CHECK(Sample(body, "runnel_aof_fsync_seconds_sum") > 0);
  CHECK(Sample(body, "runnel_aof_size_bytes") > 0);
  CHECK(Sample(body, "runnel_aof_last_write_ok") == 1);
  CHECK(Sample(body, "runnel_last_save_ok") == 1);
  CHECK(Sample(body, "runnel_save_in_progress") == 0);
  std::string out;
  const std::string file = server.dir() + "/metrics.txt";
  std::ofstream(file) << body;
  CHECK_MESSAGE(Shell("promtool check metrics < " + file, &out) == 0, out);

  // everysec: the fsync moves to the background, about once a second.
  CHECK(c.Call({"CONFIG", "SET", "appendfsync", "everysec"}).str == "OK");
  const double fsyncs = Sample(body, "runnel_aof_fsync_seconds_count");
  CHECK(c.Call({"XADD", "s", "6-1", "f", "v"}).str == "6-1");
  double now = fsyncs;
  for (int i = 0; i < 40 && now == fsyncs; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    now = Sample(Body(Get(mport, "/metrics")), "runnel_aof_fsync_seconds_count");
  }
  CHECK(now == fsyncs + 1);

  // A snapshot resets the age.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CHECK(Sample(Body(Get(mport, "/metrics")), "runnel_last_save_age_seconds") >= 1);
  CHECK(c.Call({"SAVE"}).str == "OK");
  CHECK(Sample(Body(Get(mport, "/metrics")), "runnel_last_save_age_seconds") < 1);
}
