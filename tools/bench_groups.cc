// runnel-bench-groups: consumer-group workloads that redis-benchmark cannot express, run the
// same way against any Redis-protocol server (tools/bench.py runs it against Runnel and
// redis-server in turn). Each mode prints one line of "name=value" results.
//
//   consume  --entries N --consumers K   fill a stream, then K connections loop
//            [--policy 1]                (--policy: under XGROUP SETPOLICY with every rule)
//            XREADGROUP COUNT 10 > / XACK of what they got until the stream is drained:
//            entries per second end to end
//   pel      --entries N                 deliver N entries to 10 consumers without acking:
//            bytes per pending entry (INFO used_memory), then the cost of XPENDING (summary
//            and a 10-entry range) and XAUTOCLAIM COUNT 10 on that PEL
//   idle     --entries N --idle K [--claim 0|1]   a PEL of N entries of which only the K with
//            the highest IDs are idle (delivered 2 s earlier): how long, and how many calls,
//            finding and claiming those K takes with XAUTOCLAIM COUNT 10 (which walks the PEL
//            in ID order) and, with --claim 1, with XREADGROUP COUNT 10 CLAIM (Redis 8.4, which
//            takes the longest idle first)
//   blocked  --waiters W --adds A         W consumers blocked in XREADGROUP BLOCK 0 on one
//            group; each XADD must wake exactly one: XADD round-trip p50/p99/max, and
//            duplicate or missing deliveries (both must be 0)
//
// Server CPU per operation is measured by tools/bench.py from /proc, around each mode.
#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode;
  int port = 6379;
  long entries = 100000;
  int consumers = 4;
  int waiters = 10000;
  int adds = 2000;
  long idle = 100;
  bool claim = false;
  bool policy = false;  // consume: under a group policy with every rule set (docs/queues.md)
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "runnel-bench-groups: %s\n", what.c_str());
  std::exit(1);
}

redisContext* Connect(int port) {
  redisContext* c = redisConnect("127.0.0.1", port);
  if (c == nullptr || c->err) Die("cannot connect");
  return c;
}

redisReply* Call(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
  if (r == nullptr) Die("connection lost");
  if (r->type == REDIS_REPLY_ERROR) Die(std::string("server error: ") + r->str);
  return r;
}

void Run(redisContext* c, const std::vector<std::string>& args) { freeReplyObject(Call(c, args)); }

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

long long UsedMemory(redisContext* c) {
  redisReply* r = Call(c, {"INFO", "memory"});
  const char* at = std::strstr(r->str, "used_memory:");
  long long v = at ? std::atoll(at + 12) : -1;
  freeReplyObject(r);
  return v;
}

// Adds `n` entries of three small fields with pipelined XADDs.
void Fill(redisContext* c, const std::string& key, long n) {
  const long batch = 1000;
  for (long done = 0; done < n;) {
    long now = std::min(batch, n - done);
    for (long i = 0; i < now; ++i) {
      std::string v = std::to_string(done + i);
      const char* argv[] = {"XADD", key.c_str(), "*", "sensor", v.c_str(), "temp", "21",
                            "status", "ok"};
      redisAppendCommandArgv(c, 9, argv, nullptr);
    }
    for (long i = 0; i < now; ++i) {
      void* r = nullptr;
      if (redisGetReply(c, &r) != REDIS_OK) Die("fill failed");
      freeReplyObject(r);
    }
    done += now;
  }
}

// The IDs of a XREADGROUP reply for one stream.
std::vector<std::string> DeliveredIds(redisReply* r) {
  std::vector<std::string> ids;
  if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) return ids;
  redisReply* entries = r->element[0]->element[1];
  for (size_t i = 0; i < entries->elements; ++i) ids.emplace_back(entries->element[i]->element[0]->str);
  return ids;
}

void Consume(const Options& o) {
  redisContext* admin = Connect(o.port);
  Run(admin, {"DEL", "bench"});
  Fill(admin, "bench", o.entries);
  Run(admin, {"XGROUP", "CREATE", "bench", "g", "0"});
  // Every rule on, none of them firing: what the checks cost a consume loop that succeeds.
  if (o.policy) {
    Run(admin, {"XGROUP", "SETPOLICY", "bench", "g", "MAXDELIVERIES", "5", "DEADLETTER",
                "bench:dead", "BACKOFF", "1000", "5000", "MAXPENDING", "10", "CONSUMER-EXPIRE",
                "3600000"});
  }
  std::atomic<long> consumed{0};
  auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < o.consumers; ++w) {
    workers.emplace_back([&, w] {
      redisContext* c = Connect(o.port);
      std::string name = "c" + std::to_string(w);
      while (true) {
        redisReply* r = Call(c, {"XREADGROUP", "GROUP", "g", name, "COUNT", "10", "STREAMS",
                                 "bench", ">"});
        std::vector<std::string> ids = DeliveredIds(r);
        freeReplyObject(r);
        if (ids.empty()) break;
        std::vector<std::string> ack = {"XACK", "bench", "g"};
        ack.insert(ack.end(), ids.begin(), ids.end());
        Run(c, ack);
        consumed += static_cast<long>(ids.size());
      }
      redisFree(c);
    });
  }
  for (auto& t : workers) t.join();
  double secs = Seconds(start);
  std::printf("consumed=%ld seconds=%.3f entries_per_sec=%.0f\n", consumed.load(), secs,
              consumed.load() / secs);
  redisFree(admin);
}

// Runs `args` n times on one connection; returns microseconds per call.
double TimeCalls(redisContext* c, const std::vector<std::string>& args, int n) {
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) Run(c, args);
  return Seconds(start) * 1e6 / n;
}

void Pel(const Options& o) {
  redisContext* c = Connect(o.port);
  Run(c, {"DEL", "bench"});
  Fill(c, "bench", o.entries);
  Run(c, {"XGROUP", "CREATE", "bench", "g", "0"});
  long long before = UsedMemory(c);
  long delivered = 0;
  for (int round = 0; delivered < o.entries; ++round) {
    std::string name = "c" + std::to_string(round % 10);
    redisReply* r =
        Call(c, {"XREADGROUP", "GROUP", "g", name, "COUNT", "10", "STREAMS", "bench", ">"});
    long n = static_cast<long>(DeliveredIds(r).size());
    freeReplyObject(r);
    if (n == 0) break;
    delivered += n;
  }
  long long after = UsedMemory(c);
  std::printf("pending=%ld bytes_per_pending=%.1f", delivered,
              static_cast<double>(after - before) / static_cast<double>(delivered));
  std::printf(" xpending_summary_us=%.1f", TimeCalls(c, {"XPENDING", "bench", "g"}, 20000));
  std::printf(" xpending_range_us=%.1f",
              TimeCalls(c, {"XPENDING", "bench", "g", "-", "+", "10"}, 20000));
  std::printf(" xautoclaim_us=%.1f\n",
              TimeCalls(c, {"XAUTOCLAIM", "bench", "g", "reclaimer", "0", "0", "COUNT", "10"},
                        20000));
  redisFree(c);
}

// ---- idle: finding the few idle entries of a large PEL ----

constexpr int kMinIdleMs = 2000;

// A PEL of `entries` on `key`, group g: the last `idle` entries delivered now to "old", the
// rest delivered later (by PrepareYoung) to "young".
void PrepareOld(redisContext* c, const std::string& key, long entries, long idle) {
  Run(c, {"DEL", key});
  Fill(c, key, entries);
  redisReply* r = Call(c, {"XREVRANGE", key, "+", "-", "COUNT", std::to_string(idle + 1)});
  std::string before_old = r->element[r->elements - 1]->element[0]->str;
  freeReplyObject(r);
  Run(c, {"XGROUP", "CREATE", key, "g", before_old});
  Run(c, {"XREADGROUP", "GROUP", "g", "old", "COUNT", std::to_string(idle), "STREAMS", key, ">"});
}

void PrepareYoung(redisContext* c, const std::string& key, long entries, long idle) {
  Run(c, {"XGROUP", "SETID", key, "g", "0"});
  Run(c, {"XREADGROUP", "GROUP", "g", "young", "COUNT", std::to_string(entries - idle), "STREAMS",
          key, ">"});
}

// Claims until `idle` entries were taken; returns the number of calls.
long SweepAutoClaim(redisContext* c, const std::string& key, long idle) {
  std::string cursor = "0-0";
  long calls = 0, claimed = 0;
  do {
    redisReply* r = Call(c, {"XAUTOCLAIM", key, "g", "rescuer", std::to_string(kMinIdleMs), cursor,
                             "COUNT", "10", "JUSTID"});
    ++calls;
    cursor = r->element[0]->str;
    claimed += static_cast<long>(r->element[1]->elements);
    freeReplyObject(r);
  } while (claimed < idle && cursor != "0-0");
  if (claimed != idle) Die("XAUTOCLAIM claimed " + std::to_string(claimed));
  return calls;
}

long SweepClaim(redisContext* c, const std::string& key, long idle) {
  long calls = 0, claimed = 0;
  while (claimed < idle) {
    redisReply* r = Call(c, {"XREADGROUP", "GROUP", "g", "rescuer", "COUNT", "10", "CLAIM",
                             std::to_string(kMinIdleMs), "STREAMS", key, ">"});
    ++calls;
    long n = static_cast<long>(DeliveredIds(r).size());
    freeReplyObject(r);
    if (n == 0) break;
    claimed += n;
  }
  if (claimed != idle) Die("CLAIM claimed " + std::to_string(claimed));
  return calls;
}

void Idle(const Options& o) {
  redisContext* c = Connect(o.port);
  PrepareOld(c, "bench-auto", o.entries, o.idle);
  if (o.claim) PrepareOld(c, "bench-claim", o.entries, o.idle);
  std::this_thread::sleep_for(std::chrono::milliseconds(kMinIdleMs + 100));
  auto young = Clock::now();
  PrepareYoung(c, "bench-auto", o.entries, o.idle);
  if (o.claim) PrepareYoung(c, "bench-claim", o.entries, o.idle);
  auto t0 = Clock::now();
  long auto_calls = SweepAutoClaim(c, "bench-auto", o.idle);
  double auto_s = Seconds(t0);
  std::printf("pending=%ld idle=%ld xautoclaim_ms=%.2f xautoclaim_calls=%ld", o.entries, o.idle,
              auto_s * 1e3, auto_calls);
  if (o.claim) {
    t0 = Clock::now();
    long claim_calls = SweepClaim(c, "bench-claim", o.idle);
    double claim_s = Seconds(t0);
    std::printf(" claim_ms=%.3f claim_calls=%ld", claim_s * 1e3, claim_calls);
  }
  std::printf("\n");
  // Had the young entries aged into eligibility, the sweeps would have taken them too.
  if (Seconds(young) * 1e3 >= kMinIdleMs) Die("the sweeps outlasted min-idle-time");
  redisFree(c);
}

// ---- blocked: W raw sockets, each waiting in XREADGROUP BLOCK 0 ----

std::string Encode(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

int RawConnect(int port) {
  redisContext* c = redisConnect("127.0.0.1", port);
  if (c == nullptr || c->err) Die("cannot open waiter connection (raise ulimit -n?)");
  int fd = dup(c->fd);
  redisFree(c);
  return fd;
}

void SendAll(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) Die("send failed");
    off += static_cast<size_t>(n);
  }
}

long long BlockedClients(redisContext* c) {
  redisReply* r = Call(c, {"INFO", "clients"});
  const char* at = std::strstr(r->str, "blocked_clients:");
  long long v = at ? std::atoll(at + 16) : -1;
  freeReplyObject(r);
  return v;
}

void Blocked(const Options& o) {
  redisContext* admin = Connect(o.port);
  Run(admin, {"DEL", "bench"});
  Run(admin, {"XGROUP", "CREATE", "bench", "g", "$", "MKSTREAM"});
  std::vector<int> fds;
  std::vector<std::string> requests;
  for (int i = 0; i < o.waiters; ++i) {
    fds.push_back(RawConnect(o.port));
    requests.push_back(Encode({"XREADGROUP", "GROUP", "g", "c" + std::to_string(i), "BLOCK",
                               "0", "STREAMS", "bench", ">"}));
    SendAll(fds.back(), requests.back());
  }
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (BlockedClients(admin) < o.waiters) {
    if (Clock::now() > deadline) Die("waiters did not all block");
  }
  std::vector<double> latencies;
  std::set<std::string> seen;
  long duplicates = 0, missing = 0;
  std::vector<pollfd> polls(fds.size());
  char buf[65536];
  for (int i = 0; i < o.adds; ++i) {
    auto t0 = Clock::now();
    redisReply* r = Call(admin, {"XADD", "bench", "*", "n", std::to_string(i)});
    latencies.push_back(Seconds(t0) * 1e6);
    std::string id = r->str;
    freeReplyObject(r);
    // Exactly one waiter must receive it; collect every reply that arrives for a while.
    int woken = 0;
    for (int round = 0; round < 50 && woken == 0; ++round) {
      for (size_t k = 0; k < fds.size(); ++k) polls[k] = {fds[k], POLLIN, 0};
      int ready = poll(polls.data(), polls.size(), 20);
      for (size_t k = 0; ready > 0 && k < fds.size(); ++k) {
        if (!(polls[k].revents & POLLIN)) continue;
        ssize_t n = recv(fds[k], buf, sizeof(buf), 0);
        if (n <= 0) Die("waiter connection closed");
        std::string got(buf, static_cast<size_t>(n));
        if (got.find(id) == std::string::npos) Die("waiter got an unexpected reply");
        if (!seen.insert(id).second) ++duplicates;
        ++woken;
        SendAll(fds[k], requests[k]);  // block again
      }
    }
    if (woken == 0) ++missing;
    if (woken > 1) duplicates += woken - 1;
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) { return latencies[static_cast<size_t>(p * (latencies.size() - 1))]; };
  std::printf("waiters=%d adds=%d xadd_p50_us=%.0f xadd_p99_us=%.0f xadd_max_us=%.0f "
              "duplicates=%ld missing=%ld\n",
              o.waiters, o.adds, pct(0.5), pct(0.99), latencies.back(), duplicates, missing);
  for (int fd : fds) close(fd);
  redisFree(admin);
}

Options Parse(int argc, char** argv) {
  Options o;
  if (argc < 2) Die("usage: runnel-bench-groups consume|pel|idle|blocked [--port P] [...]");
  o.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    long v = std::atol(argv[i + 1]);
    if (k == "--port") o.port = static_cast<int>(v);
    else if (k == "--entries") o.entries = v;
    else if (k == "--consumers") o.consumers = static_cast<int>(v);
    else if (k == "--waiters") o.waiters = static_cast<int>(v);
    else if (k == "--adds") o.adds = static_cast<int>(v);
    else if (k == "--idle") o.idle = v;
    else if (k == "--claim") o.claim = v != 0;
    else if (k == "--policy") o.policy = v != 0;
    else Die("unknown option " + k);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  if (o.mode == "consume") {
    Consume(o);
  } else if (o.mode == "pel") {
    Pel(o);
  } else if (o.mode == "idle") {
    Idle(o);
  } else if (o.mode == "blocked") {
    Blocked(o);
  } else {
    Die("unknown mode " + o.mode);
  }
  return 0;
}
