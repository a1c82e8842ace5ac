// Fuzz target: the dispatcher and every command handler, fed bounded sequences of commands
// through the in-process harness (tests/server/harness.h) — no sockets, no files, the
// harness's clock.
//
// The input is a program, not RESP: each command takes one byte for its shape (a template from
// kShapes: a real command name with arguments of the kinds it takes), one byte per placeholder
// choosing from small pools (a few keys, IDs near each other and at the edges, groups,
// consumers, counts, option words), one byte for extra trailing arguments, one for the client
// (three, so blocking reads, claims and WATCH meet each other) and one for how far the clock
// moves (a few ms, or far enough for TTLs, retention and delayed entries to fire). Keeping
// names and keys few makes commands collide on the same data, where the bugs are.
//
// Checks, beyond "no crash and no sanitizer report" (and the harness's own assertions: every
// reply parses): after the sequence, replaying every log record the commands produced into a
// fresh keyspace gives exactly what the clients see (Dump() == DumpReplayed()), and the live
// keyspace survives the snapshot round trip (fuzz_util.h).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "fuzz/harness_support.h"
#include "tests/server/harness.h"

namespace {

constexpr const char* kTarget = "dispatcher";
constexpr size_t kMaxCommands = 64;

// Placeholders: %k key, %i ID, %g group, %c consumer, %n count, %v value, %w option word.
constexpr std::string_view kShapes[] = {
    "XADD %k %i f %v",
    "XADD %k %i f %v g %v",
    "XADD %k * f %v",
    "XADD %k NOMKSTREAM MAXLEN %n %i f %v",
    "XADD %k MAXLEN ~ %n * f %v",
    "XADD %k MINID %i * f %v",
    "XADD %k IDMPAUTO %c * f %v",
    "XADD %k IDMP %c %v * f %v",
    "XADD %k DELAY %n * f %v",
    "XADD %k %w %n %i f %v",
    "XDEL %k %i %i",
    "XDELEX %k %w IDS %n %i %i",
    "XTRIM %k MAXLEN %n",
    "XTRIM %k MINID %i",
    "XTRIM %k MAXLEN ~ %n LIMIT %n",
    "XTRIM %k %w %w %n",
    "XSETID %k %i",
    "XSETID %k %i ENTRIESADDED %n MAXDELETEDID %i",
    "XLEN %k",
    "XRANGE %k %i %i",
    "XREVRANGE %k %i %i COUNT %n",
    "XREAD COUNT %n STREAMS %k %i",
    "XREAD BLOCK %n STREAMS %k %k %i %i",
    "XGROUP CREATE %k %g %i",
    "XGROUP CREATE %k %g %i MKSTREAM ENTRIESREAD %n",
    "XGROUP SETID %k %g %i",
    "XGROUP DESTROY %k %g",
    "XGROUP CREATECONSUMER %k %g %c",
    "XGROUP DELCONSUMER %k %g %c",
    "XGROUP SETPOLICY %k %g MAXDELIVERIES %n DEADLETTER %k",
    "XGROUP SETPOLICY %k %g BACKOFF %n %n MAXPENDING %n",
    "XGROUP SETPOLICY %k %g CONSUMER-EXPIRE %n",
    "XGROUP GETPOLICY %k %g",
    "XREADGROUP GROUP %g %c COUNT %n STREAMS %k %i",
    "XREADGROUP GROUP %g %c NOACK STREAMS %k >",
    "XREADGROUP GROUP %g %c BLOCK %n STREAMS %k >",
    "XREADGROUP GROUP %g %c CLAIM %n STREAMS %k >",
    "XREADGROUP GROUP %g %c COUNT %n BLOCK %n STREAMS %k %k > >",
    "XACK %k %g %i %i",
    "XACKDEL %k %g %w IDS %n %i %i",
    "XNACK %k %g %w IDS %n %i %i",
    "XCLAIM %k %g %c %n %i %i",
    "XCLAIM %k %g %c %n %i JUSTID FORCE RETRYCOUNT %n",
    "XCLAIM %k %g %c %n %i IDLE %n LASTID %i",
    "XAUTOCLAIM %k %g %c %n %i COUNT %n",
    "XAUTOCLAIM %k %g %c %n %i JUSTID",
    "XPENDING %k %g",
    "XPENDING %k %g IDLE %n %i %i %n %c",
    "XINFO STREAM %k FULL COUNT %n",
    "XINFO GROUPS %k",
    "XINFO CONSUMERS %k %g",
    "XCFGSET %k RETENTION-MS %n RETENTION-MAXLEN %n",
    "XCFGSET %k RETENTION-REFS %w",
    "XCFGSET %k IDMP-DURATION %n IDMP-MAXSIZE %n",
    "XSCHEDULE LIST %k %i %i",
    "XSCHEDULE CANCEL %k %n",
    "SET %k %v",
    "SET %k %v PX %n",
    "GET %k",
    "APPEND %k %v",
    "INCR %k",
    "INCRBYFLOAT %k %v",
    "SETRANGE %k %n %v",
    "GETEX %k PX %n",
    "DEL %k %k",
    "UNLINK %k",
    "EXPIRE %k %n",
    "PEXPIRE %k %n %w",
    "PEXPIREAT %k %n",
    "PERSIST %k",
    "RENAME %k %k",
    "RENAMENX %k %k",
    "COPY %k %k",
    "COPY %k %k DB %n REPLACE",
    "MOVE %k %n",
    "SWAPDB %n %n",
    "SELECT %n",
    "FLUSHDB",
    "FLUSHALL",
    "TYPE %k",
    "EXISTS %k %k",
    "SCAN %n COUNT %n",
    "KEYS %v",
    "RANDOMKEY",
    "DBSIZE",
    "MULTI",
    "EXEC",
    "DISCARD",
    "WATCH %k",
    "UNWATCH",
    "CLIENT PAUSE %n WRITE",
    "CLIENT UNPAUSE",
    "CLIENT UNBLOCK %n %w",
    "CONFIG SET stream-node-max-entries %n",
    "CONFIG SET stream-node-max-bytes %n",
    "CONFIG SET notify-keyspace-events %v",
    "SUBSCRIBE %k",
    "PUBLISH %k %v",
    "RESET",
    "OBJECT ENCODING %k",
    "MEMORY USAGE %k",
    "LCS %k %k",
    "HELLO %n",
    "%w %k %i",
};

// Pools packed by hand: clang-format would put one string per line.
// clang-format off
constexpr std::string_view kKeys[] = {"s", "t", "str", "dead", "{s}x"};
// IDs near each other (so ranges, trims and SETIDs meet entries) and at the edges.
constexpr std::string_view kIds[] = {
    "0", "0-0", "0-1", "1", "1-0", "1-1", "1-2", "2-0", "3-5", "5", "9-9", "*", "$", ">", "-",
    "+", "(1-1", "1-*", "100", "1700000000000-0", "18446744073709551615-18446744073709551615",
    "18446744073709551615-18446744073709551614", "bad"};
constexpr std::string_view kGroups[] = {"g", "h"};
constexpr std::string_view kConsumers[] = {"c", "d", "e"};
constexpr std::string_view kNumbers[] = {
    "0", "1", "2", "3", "5", "10", "100", "-1", "1000", "60000", "abc", "0.5",
    "9223372036854775807", "-9223372036854775808", "18446744073709551616", "1099511627776"};
constexpr std::string_view kValues[] = {"v", "1", "", "x y", "10.5", "-3", "*", "KEA", "s"};
constexpr std::string_view kWords[] = {
    "MAXLEN", "MINID", "~", "=", "LIMIT", "NOMKSTREAM", "COUNT", "BLOCK", "STREAMS", "JUSTID",
    "FORCE", "IDLE", "TIME", "RETRYCOUNT", "MKSTREAM", "ENTRIESREAD", "FULL", "KEEPREF", "DELREF",
    "ACKED", "IDS", "FAIL", "FATAL", "SILENT", "NX", "XX", "GT", "LT", "ERROR", "TIMEOUT", "DELAY",
    "AT", "CLAIM", "NOACK", "XADD", "XREADGROUP", "SET", "EXEC"};
// clang-format on

template <size_t N>
std::string_view Pick(const std::string_view (&pool)[N], uint8_t b) {
  return pool[b % N];
}

class Program {
 public:
  Program(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }

  std::vector<std::string> NextCommand() {
    std::string_view shape = kShapes[Byte() % std::size(kShapes)];
    std::vector<std::string> args;
    size_t start = 0;
    while (start <= shape.size()) {
      size_t end = shape.find(' ', start);
      if (end == std::string_view::npos) end = shape.size();
      args.push_back(Expand(shape.substr(start, end - start)));
      start = end + 1;
    }
    // Now and then a few more arguments of any kind, for the option parsers' error paths.
    uint8_t extra = Byte();
    for (int i = 0; i < (extra >> 6); ++i) args.push_back(Expand(kExtraKinds[(extra >> i) & 3]));
    return args;
  }

 private:
  static constexpr std::string_view kExtraKinds[] = {"%w", "%n", "%i", "%k"};

  std::string Expand(std::string_view token) {
    if (token.size() != 2 || token[0] != '%') return std::string(token);
    uint8_t b = Byte();
    switch (token[1]) {
      case 'k':
        return std::string(Pick(kKeys, b));
      case 'i':
        return std::string(Pick(kIds, b));
      case 'g':
        return std::string(Pick(kGroups, b));
      case 'c':
        return std::string(Pick(kConsumers, b));
      case 'n':
        return std::string(Pick(kNumbers, b));
      case 'v':
        return std::string(Pick(kValues, b));
      default:
        return std::string(Pick(kWords, b));
    }
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

int64_t AdvanceFor(uint8_t b) {
  if (b < 200) return b % 8;           // mostly a few ms: entries, reads and claims interleave
  if (b < 250) return 100 * (b % 20);  // crons, short timeouts
  return 70'000;                       // past every short TTL, retention and delay above
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  runnel::fuzz::InstallAssertHandler();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  runnel::config::Config config;
  config.stream_node_max_entries = 4;  // many blocks from few entries
  runnel::testing::Harness h(config);
  Program program(data, size);
  // RUNNEL_FUZZ_TRACE=1: print the program as it runs (to turn a finding into a test).
  static const bool trace = std::getenv("RUNNEL_FUZZ_TRACE") != nullptr;
  for (size_t n = 0; n < kMaxCommands && !program.done(); ++n) {
    std::vector<std::string> args = program.NextCommand();
    const int client = program.Byte() % 3;
    const int64_t advance = AdvanceFor(program.Byte());
    if (trace) {
      std::string line = "client " + std::to_string(client) + ":";
      for (const std::string& a : args) line += " " + a;
      std::fprintf(stderr, "%s  (then +%lld ms)\n", line.c_str(), static_cast<long long>(advance));
    }
    h.Send(args, client);
    h.Take(client);
    h.Advance(advance);
  }
  // Let every client go and every pause end, so the dump's own commands are answered.
  h.Run({"CLIENT", "UNPAUSE"}, 3);
  for (int client = 0; client < 3; ++client) h.Disconnect(client);
  h.dispatcher().FlushConsumerTimes();
  h.dispatcher().FinishRecord(h.now_ms);
  const std::string live = h.Dump();
  const std::string replayed = h.DumpReplayed();
  if (live != replayed) {
    runnel::fuzz::Fail(kTarget,
                       "replay differs from live\nlive:\n" + live + "\nreplayed:\n" + replayed);
  }
  runnel::fuzz::CheckSnapshotRoundTrip(kTarget, h.dispatcher().keyspace());
  return 0;
}
