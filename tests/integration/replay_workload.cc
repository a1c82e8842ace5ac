#include "replay_workload.h"

#include <random>
#include <string>
#include <vector>

namespace runnel::testing {

using resp::Reply;
using Args = std::vector<std::string>;

struct ReplayWorkload::State {
  State(uint64_t seed, bool short_expiry) : rng(seed), short_timers(short_expiry) {}

  std::mt19937_64 rng;
  bool short_timers;
  int db = 0;
  uint64_t commands = 0, errors = 0;
  std::vector<std::string> bad;
  std::function<void()> after_each;
  // Entry IDs seen per stream key, per database (they name real entries in later commands).
  std::vector<std::string> ids[3][5];

  uint64_t Below(uint64_t n) { return rng() % n; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }
  template <typename T>
  T Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }
  std::string Stream() { return "s" + std::to_string(Below(5)); }
  size_t StreamIndex(const std::string& key) { return static_cast<size_t>(key[1] - '0'); }
  std::string Group() { return "g" + std::to_string(Below(3)); }
  std::string Consumer() { return "c" + std::to_string(Below(4)); }
  // Long-lived strings k0..k3 and short-lived keys t0..t2 (strings or streams that expire).
  std::string Str() { return "k" + std::to_string(Below(4)); }
  std::string ShortLived() { return "t" + std::to_string(Below(3)); }
  std::string AnyKey() {
    switch (Below(4)) {
      case 0:
        return Str();
      case 1:
        return ShortLived();
      default:
        return Stream();
    }
  }
  std::string Value() {
    static const char* kWords[] = {"alpha", "", "42", "-7", "x y", "\r\n", "\xff\x00z", "long"};
    std::string v = kWords[Below(8)];
    if (v == "long") v.assign(50 + Below(600), static_cast<char>('a' + Below(26)));
    return v;
  }
  std::string Number(uint64_t below) { return std::to_string(Below(below)); }
  // A known entry ID of `key`, or a made-up one.
  std::string KnownId(const std::string& key) {
    auto& known = ids[db][StreamIndex(key)];
    if (known.empty() || OneIn(8)) return Number(4) + "-" + Number(3);
    return known[Below(known.size())];
  }
  void Learn(const std::string& key, const Reply& r) {
    if (r.type == Reply::Type::kBulk && key[0] == 's') ids[db][StreamIndex(key)].push_back(r.str);
  }

  Reply Call(const CallFn& c, const Args& args) {
    Reply r = c(args);
    ++commands;
    if (after_each) after_each();
    CountErrors(args, r);
    return r;
  }
  void CountErrors(const Args& args, const Reply& r) {
    if (r.is_error()) ++errors;
    for (const Reply& e : r.elements) {
      if (e.is_error()) ++errors;
    }
    static const char* kNever[] = {"ERR unknown", "MISCONF", "LOADING", "ERR wrong number"};
    auto check = [&](const Reply& x) {
      if (!x.is_error()) return;
      for (const char* p : kNever) {
        if (x.str.rfind(p, 0) == 0) bad.push_back(args[0] + " " + args[1] + ": " + x.str);
      }
    };
    check(r);
    for (const Reply& e : r.elements) check(e);
  }

  void OneOp(const CallFn& c);
  void XAdd(const CallFn& c);
  void Trim(const CallFn& c);
  void Deletes(const CallFn& c);
  void Groups(const CallFn& c);
  void Policies(const CallFn& c);
  void Retention(const CallFn& c);
  void Delayed(const CallFn& c);
  // Handles XADD ... DELAY / AT replied, per stream key, per database.
  std::vector<std::string> handles[3][5];
  void Reads(const CallFn& c);
  void Claims(const CallFn& c);
  void Strings(const CallFn& c);
  void StringEdits(const CallFn& c);
  void Keys(const CallFn& c);
  void Transaction(const CallFn& c);
  void Settings(const CallFn& c);
};

void ReplayWorkload::State::XAdd(const CallFn& c) {
  // Sometimes at a short-lived key, which may hold a string (WRONGTYPE) or have expired.
  const std::string key = OneIn(10) ? ShortLived() : Stream();
  Args args{"XADD", key};
  if (OneIn(10)) args.push_back("NOMKSTREAM");
  if (OneIn(8)) args.push_back(Pick<std::string>({"KEEPREF", "DELREF", "ACKED"}));
  switch (Below(7)) {
    case 0:
      args.insert(args.end(), {"MAXLEN", "~", Number(40)});
      break;
    case 1:
      args.insert(args.end(), {"MAXLEN", Number(30)});
      break;
    case 2:
      args.insert(args.end(), {"MINID", OneIn(2) ? "~" : "=", KnownId(key)});
      break;
    case 3:
      args.insert(args.end(), {"MAXLEN", "~", Number(40), "LIMIT", Number(20)});
      break;
    default:
      break;
  }
  if (OneIn(6)) {
    if (OneIn(2)) {
      args.insert(args.end(), {"IDMP", "p" + Number(2), "i" + Number(6)});
    } else {
      args.insert(args.end(), {"IDMPAUTO", "p" + Number(2)});
    }
    args.push_back("*");
  } else if (OneIn(12)) {
    args.push_back(Number(6) + "-*");  // often below the top: an error
  } else if (OneIn(15)) {
    args.push_back(KnownId(key));  // an explicit ID, usually refused
  } else {
    args.push_back("*");
  }
  for (uint64_t f = 0, n = 1 + Below(3); f < n; ++f) {
    args.push_back("f" + Number(4));
    args.push_back(Value());
  }
  Learn(key, Call(c, args));
}

void ReplayWorkload::State::Trim(const CallFn& c) {
  const std::string key = Stream();
  Args args{"XTRIM", key};
  if (OneIn(2)) {
    args.insert(args.end(), {"MAXLEN", Pick<std::string>({"~", "="}), Number(30)});
  } else {
    args.insert(args.end(), {"MINID", KnownId(key)});
  }
  if (OneIn(3)) args.push_back(Pick<std::string>({"KEEPREF", "DELREF", "ACKED"}));
  Call(c, args);
}

void ReplayWorkload::State::Deletes(const CallFn& c) {
  const std::string key = Stream();
  switch (Below(4)) {
    case 0:
      Call(c, {"XDEL", key, KnownId(key), KnownId(key)});
      break;
    case 1:
      Call(c, {"XDELEX", key, Pick<std::string>({"KEEPREF", "DELREF", "ACKED"}), "IDS", "2",
               KnownId(key), KnownId(key)});
      break;
    case 2:
      Call(c, {"XACKDEL", key, Group(), Pick<std::string>({"KEEPREF", "DELREF", "ACKED"}), "IDS",
               "1", KnownId(key)});
      break;
    default:
      if (OneIn(2)) {
        Call(c, {"XSETID", key, "18446744073709551615-0"});  // usually: smaller than the top
      } else {
        Call(c, {"XSETID", key, std::to_string(2000000000000 + Below(10)) + "-0", "ENTRIESADDED",
                 "5000", "MAXDELETEDID", "0-1"});
      }
      break;
  }
}

void ReplayWorkload::State::Groups(const CallFn& c) {
  const std::string key = OneIn(12) ? ShortLived() : Stream();
  switch (Below(6)) {
    case 0: {
      Args args{"XGROUP", "CREATE", key, Group(), Pick<std::string>({"$", "0", KnownId(key)})};
      if (OneIn(2)) args.push_back("MKSTREAM");
      if (OneIn(3)) args.insert(args.end(), {"ENTRIESREAD", Number(20)});
      Call(c, args);
      break;
    }
    case 1:
      Call(c, {"XGROUP", "SETID", key, Group(), OneIn(2) ? "$" : KnownId(key), "ENTRIESREAD",
               Number(30)});
      break;
    case 2:
      Call(c, {"XGROUP", "CREATECONSUMER", key, Group(), Consumer()});
      break;
    case 3:
      Call(c, {"XGROUP", "DELCONSUMER", key, Group(), Consumer()});
      break;
    case 4:
      if (OneIn(4)) Call(c, {"XGROUP", "DESTROY", key, Group()});
      break;
    default:
      // IDMP-DURATION is in seconds: 1 s runs out during a slow restart, as the short timers do.
      Call(c, {"XCFGSET", key, "IDMP-DURATION",
               short_timers ? (OneIn(3) ? "1" : Number(50)) : std::to_string(3600 + Below(50)),
               "IDMP-MAXSIZE", std::to_string(1 + Below(5))});
      break;
  }
}

// Group policies (docs/queues.md) and the paths they change. Groups are seldom made by the
// rest of the workload, so this makes one, sets a policy — dead letters into another stream of
// the workload, a string (refused: counted) or a short-lived key; backoff, prefetch, consumer
// expiry — and then reads, claims and releases in it, to go past the delivery limit.
void ReplayWorkload::State::Policies(const CallFn& c) {
  const std::string key = Stream();
  const std::string group = Group();
  if (OneIn(2)) Call(c, {"XGROUP", "CREATE", key, group, "0", "MKSTREAM"});
  Args args{"XGROUP", "SETPOLICY", key, group};
  if (!OneIn(4)) {
    args.insert(args.end(),
                {"DEADLETTER", Pick<std::string>({Stream(), Stream(), Str(), ShortLived()}),
                 "MAXDELIVERIES", Pick<std::string>({"1", "1", "2"})});
  }
  if (OneIn(3)) args.insert(args.end(), {"BACKOFF", Number(20), Number(40)});
  if (OneIn(3)) args.insert(args.end(), {"MAXPENDING", Number(4)});
  if (OneIn(4)) {
    args.insert(args.end(), {"CONSUMER-EXPIRE", short_timers ? Number(30) : "3600000"});
  }
  if (args.size() == 4) args.insert(args.end(), {"MAXDELIVERIES", "0"});
  if (!OneIn(4)) Call(c, args);
  Reply read = Call(c, {"XREADGROUP", "GROUP", group, Consumer(), "COUNT", "3", "STREAMS", key,
                        OneIn(2) ? ">" : "0"});
  // The IDs it was handed (RESP2: [[key, [[id, fields] ...]]]), to claim and release.
  std::vector<std::string> got;
  if (read.elements.size() == 1 && read.elements[0].elements.size() == 2) {
    for (const Reply& e : read.elements[0].elements[1].elements) {
      if (!e.elements.empty()) got.push_back(e.elements[0].str);
    }
  }
  for (size_t i = 0; i < 2 * got.size(); ++i) {
    const std::string& id = got[i % got.size()];
    switch (Below(4)) {
      case 0:
        Call(c, {"XCLAIM", key, group, Consumer(), "0", id});
        break;
      case 1:
        Call(c, {"XAUTOCLAIM", key, group, Consumer(), "0", "0", "COUNT", "2"});
        break;
      case 2:
        Call(c, {"XREADGROUP", "GROUP", group, Consumer(), "CLAIM", "0", "STREAMS", key, ">"});
        break;
      default:
        Call(c, {"XNACK", key, group, Pick<std::string>({"SILENT", "FAIL", "FAIL", "FATAL"}), "IDS",
                 "1", id});
        break;
    }
  }
}

// Retention settings (XCFGSET RETENTION-*): each XADD then trims to RETENTION-MAXLEN, and with
// short timers the cron ages entries out (under ACKED, only those every group has finished).
void ReplayWorkload::State::Retention(const CallFn& c) {
  const std::string key = OneIn(8) ? ShortLived() : Stream();
  Args args{"XCFGSET", key};
  if (OneIn(2)) args.insert(args.end(), {"RETENTION-MS", short_timers ? Number(60) : "0"});
  if (OneIn(2)) args.insert(args.end(), {"RETENTION-MAXLEN", Number(25)});
  if (OneIn(2) || args.size() == 2) {
    args.insert(args.end(), {"RETENTION-REFS", Pick<std::string>({"KEEPREF", "ACKED"})});
  }
  if (OneIn(10)) args.insert(args.end(), {"RETENTION-MS", "-1"});  // an error, nothing changes
  Call(c, args);
}

// Delayed entries: scheduled (DELAY, or AT a past time: due at once), cancelled, listed; with
// short timers they are appended during the run, else they stay scheduled.
void ReplayWorkload::State::Delayed(const CallFn& c) {
  const std::string key = OneIn(10) ? ShortLived() : Stream();
  auto& known = handles[db][key[0] == 's' ? StreamIndex(key) : 0];
  switch (Below(4)) {
    case 0:
    case 1: {
      Args args{"XADD", key};
      if (OneIn(8)) args.push_back("NOMKSTREAM");
      if (!short_timers) {
        args.insert(args.end(), {"DELAY", "3600000"});
      } else if (OneIn(3)) {
        args.insert(args.end(), {"AT", Number(1000)});
      } else {
        args.insert(args.end(), {"DELAY", Number(40)});
      }
      if (OneIn(12)) args.insert(args.end(), {"MAXLEN", "5"});  // refused with DELAY
      args.insert(args.end(), {"*", "f" + Number(3), Value()});
      Reply r = Call(c, args);
      if (r.type == Reply::Type::kBulk) known.push_back(r.str);
      break;
    }
    case 2: {
      Args args{"XSCHEDULE", "CANCEL", key};
      for (uint64_t i = 0, n = 1 + Below(2); i < n; ++i) {
        args.push_back(known.empty() || OneIn(4) ? Number(9) + "-" + Number(3) : Pick(known));
      }
      Call(c, args);
      break;
    }
    default:
      Call(c, {"XSCHEDULE", "LIST", key, "-", "+", "COUNT", Number(4)});
      break;
  }
}

void ReplayWorkload::State::Reads(const CallFn& c) {
  const std::string key = Stream();
  Args args{"XREADGROUP", "GROUP", Group(), Consumer(), "COUNT", std::to_string(1 + Below(6))};
  if (OneIn(6)) args.push_back("NOACK");
  if (OneIn(4)) args.insert(args.end(), {"CLAIM", Number(30)});
  if (OneIn(8)) args.insert(args.end(), {"MAXCOUNT", std::to_string(6 + Below(4))});
  args.push_back("STREAMS");
  if (OneIn(5)) {
    const std::string other = Stream();
    args.insert(args.end(), {key, other, ">", OneIn(3) ? "0" : ">"});
  } else {
    args.insert(args.end(), {key, OneIn(5) ? "0" : ">"});
  }
  Call(c, args);
}

void ReplayWorkload::State::Claims(const CallFn& c) {
  const std::string key = Stream();
  switch (Below(4)) {
    case 0:
      Call(c, {"XACK", key, Group(), KnownId(key), KnownId(key)});
      break;
    case 1: {
      Args args{"XCLAIM", key, Group(), Consumer(), Number(20), KnownId(key), KnownId(key)};
      if (OneIn(3)) args.push_back("JUSTID");
      if (OneIn(4)) args.insert(args.end(), {"RETRYCOUNT", Number(5)});
      if (OneIn(4)) args.insert(args.end(), {"IDLE", Number(5000)});
      if (OneIn(6)) args.insert(args.end(), {"TIME", "1000"});
      if (OneIn(5)) args.push_back("FORCE");
      if (OneIn(8)) args.insert(args.end(), {"LASTID", KnownId(key)});
      Call(c, args);
      break;
    }
    case 2: {
      Args args{"XAUTOCLAIM", key, Group(), Consumer(),
                Number(20),   "0", "COUNT", std::to_string(1 + Below(5))};
      if (OneIn(3)) args.push_back("JUSTID");
      Call(c, args);
      break;
    }
    default: {
      Args args{"XNACK", key, Group(),      Pick<std::string>({"SILENT", "FAIL", "FATAL", "fail"}),
                "IDS",   "2", KnownId(key), KnownId(key)};
      if (OneIn(3)) args.insert(args.end(), {"RETRYCOUNT", Number(4)});
      if (OneIn(3)) args.push_back("FORCE");
      Call(c, args);
      break;
    }
  }
}

void ReplayWorkload::State::Strings(const CallFn& c) {
  switch (Below(7)) {
    case 0: {
      Args args{"SET", Str(), Value()};
      if (OneIn(3)) args.insert(args.end(), {"EX", std::to_string(36000 + Below(1000))});
      if (OneIn(4)) args.push_back("KEEPTTL");
      if (OneIn(5)) args.push_back(Pick<std::string>({"NX", "XX", "GET"}));
      Call(c, args);
      break;
    }
    case 1:
      // Short-lived: expires a few commands later, lazily or by the cron.
      Call(c, {"SET", ShortLived(), Value(), "PX", std::to_string(1 + Below(40))});
      break;
    case 2:
      Call(c, {Pick<std::string>({"INCR", "DECR"}), OneIn(3) ? Str() : "counter"});
      break;
    case 3:
      Call(c, {Pick<std::string>({"INCRBY", "DECRBY"}), "counter", Number(1000)});
      break;
    case 4:
      Call(c, {"MSET", Str(), Value(), Str(), Value()});
      break;
    case 5:
      StringEdits(c);
      break;
    default:
      Call(c, {"GET", AnyKey()});
      break;
  }
}

// The SET/GET variants and byte and number edits, on long-lived strings (and now and then a
// stream or short-lived key: WRONGTYPE, or a key that just expired).
void ReplayWorkload::State::StringEdits(const CallFn& c) {
  const std::string key = OneIn(8) ? AnyKey() : Str();
  switch (Below(12)) {
    case 0:
      Call(c, {Pick<std::string>({"SETEX", "PSETEX"}), key, std::to_string(36000 + Below(9)),
               Value()});
      break;
    case 1:
      Call(c, {"SETNX", key, Value()});
      break;
    case 2:
      Call(c, {"MSETNX", Str(), Value(), Str(), Value()});
      break;
    case 3:
      Call(c, OneIn(2) ? Args{"GETSET", key, Value()} : Args{"GETDEL", key});
      break;
    case 4: {
      Args args{"GETEX", key};
      if (OneIn(4))
        args.push_back("PERSIST");
      else if (OneIn(2))
        args.insert(args.end(), {"EX", std::to_string(36000 + Below(9))});
      else if (OneIn(3))
        args.insert(args.end(), {"PXAT", Number(5)});  // in the past: deletes
      Call(c, args);
      break;
    }
    case 5:
    case 6:
      Call(c, {"APPEND", key, Value()});
      break;
    case 7:
      Call(c, {"SETRANGE", key, Number(80), Value()});
      break;
    case 8: {
      // Redis 8.4's compare-and-set and compare-and-delete, matching or not.
      const std::string cond = Pick<std::string>({"IFEQ", "IFNE"});
      if (OneIn(2)) {
        Call(c, {"SET", key, Value(), cond, Value()});
      } else {
        Call(c, {"DELEX", key, cond, Value()});
      }
      break;
    }
    case 9: {
      if (OneIn(2)) {  // Redis 8.8's bounded counter, sometimes refused, sometimes clamped
        Args args{"INCREX", OneIn(3) ? key : "counter", "BYINT", Number(40), "UBOUND", "300"};
        if (OneIn(2)) args.push_back("SATURATE");
        if (OneIn(2)) args.insert(args.end(), {"EX", std::to_string(36000 + Below(9))});
        Call(c, args);
        break;
      }
      Args args{"MSETEX", "2", Str(), Value(), Str(), Value()};
      if (OneIn(3)) args.push_back(Pick<std::string>({"NX", "XX"}));
      if (OneIn(2)) args.insert(args.end(), {"EX", std::to_string(36000 + Below(9))});
      Call(c, args);
      break;
    }
    default:
      Call(c, {"INCRBYFLOAT", OneIn(2) ? "fcounter" : key,
               Pick<std::string>({"1.5", "-0.25", "1e3", "x"})});
      break;
  }
}

void ReplayWorkload::State::Keys(const CallFn& c) {
  switch (Below(8)) {
    case 0:
      Call(c, {Pick<std::string>({"DEL", "UNLINK"}), AnyKey(), AnyKey()});
      break;
    case 1:
    case 2: {
      // From keys that may just have expired: the path that once logged a failed RENAME.
      const std::string from = OneIn(2) ? ShortLived() : AnyKey();
      Reply r = Call(c, {Pick<std::string>({"RENAME", "RENAMENX"}), from, AnyKey()});
      (void)r;
      break;
    }
    case 3:
      Call(c, {"PEXPIRE", OneIn(2) ? Stream() : ShortLived(), std::to_string(1 + Below(40))});
      break;
    case 4:
      Call(c, {Pick<std::string>({"EXPIRE", "EXPIREAT"}), AnyKey(),
               OneIn(3) ? "1" : std::to_string(4102444800 + Below(1000))});  // past or 2100
      break;
    case 5:
      Call(c, {"PERSIST", AnyKey()});
      break;
    case 6:
      // Keys changing database: the IDs learned per database go stale, which only makes
      // later commands name made-up entries more often.
      if (OneIn(3)) {
        Call(c, {"SWAPDB", Number(3), Number(3)});
      } else if (OneIn(2)) {
        Call(c, {"MOVE", AnyKey(), Number(3)});
      } else if (OneIn(3)) {
        // A stream rebuilt from Redis's DUMP format: logged as RESTORE with the payload, which
        // replay decodes again with the log's block limits.
        Reply dump = Call(c, {"DUMP", OneIn(2) ? Stream() : AnyKey()});
        if (dump.type == Reply::Type::kBulk) {
          Args args{"RESTORE", OneIn(2) ? Stream() : AnyKey(),
                    OneIn(3) ? std::to_string(1 + Below(40)) : "0", dump.str, "REPLACE"};
          Call(c, args);
        }
      } else {
        // A copied stream brings its groups, PELs and consumers: later group commands on
        // the copy must replay exactly too.
        Args args{"COPY", AnyKey(), OneIn(2) ? Stream() : AnyKey()};
        if (OneIn(3)) args.insert(args.end(), {"DB", Number(3)});
        if (OneIn(2)) args.push_back("REPLACE");
        Call(c, args);
      }
      break;
    default: {
      // Commands on a key that may have expired, which then fail or change nothing.
      const std::string key = ShortLived();
      switch (Below(3)) {
        case 0:
          Call(c, {"XGROUP", "CREATECONSUMER", key, Group(), Consumer()});
          break;
        case 1:
          Call(c, {"XSETID", key, "5-5"});
          break;
        default:
          Call(c, {"XCFGSET", key, "IDMP-MAXSIZE", "5"});
          break;
      }
      break;
    }
  }
}

void ReplayWorkload::State::Transaction(const CallFn& c) {
  Call(c, {"MULTI"});
  const std::string key = Stream();
  c({"XADD", key, "*", "in", "multi"});
  c({"XREADGROUP", "GROUP", Group(), Consumer(), "COUNT", "2", "STREAMS", key, ">"});
  const int other = static_cast<int>(Below(3));
  c({"SELECT", std::to_string(other)});
  c({"SET", Str(), "from-multi"});
  c({"XADD", key, "0-0", "f", "v"});  // fails inside EXEC: changes and logs nothing
  c({"INCR", "counter"});
  c({"SELECT", std::to_string(db)});
  Call(c, {"EXEC"});
}

void ReplayWorkload::State::Settings(const CallFn& c) {
  if (OneIn(3)) {
    Call(c, {"CONFIG", "SET", "stream-node-max-entries", std::to_string(1 + Below(8))});
  } else if (OneIn(2)) {
    Call(c, {"CONFIG", "SET", "stream-node-max-bytes", std::to_string(60 + Below(400))});
  } else {
    // New streams (XADD's, and RESTORE's from payloads without IDMP settings) take these; a
    // restart runs under the defaults, so the log must state them.
    Call(c, {"CONFIG", "SET", "stream-idmp-duration", std::to_string(1 + Below(300))});
  }
}

void ReplayWorkload::State::OneOp(const CallFn& c) {
  const uint64_t pick = Below(100);
  if (pick < 25) {
    XAdd(c);
  } else if (pick < 29) {
    Trim(c);
  } else if (pick < 35) {
    Deletes(c);
  } else if (pick < 41) {
    Groups(c);
  } else if (pick < 45) {
    Policies(c);
  } else if (pick < 47) {
    Retention(c);
  } else if (pick < 51) {
    Delayed(c);
  } else if (pick < 60) {
    Reads(c);
  } else if (pick < 72) {
    Claims(c);
  } else if (pick < 82) {
    Strings(c);
  } else if (pick < 91) {
    Keys(c);
  } else if (pick < 94) {
    Transaction(c);
  } else if (pick < 97) {
    db = static_cast<int>(Below(3));
    Call(c, {"SELECT", std::to_string(db)});
  } else if (pick < 99) {
    Settings(c);
  } else if (OneIn(4)) {
    Call(c, {"FLUSHDB"});
    for (auto& known : ids[db]) known.clear();
    for (auto& known : handles[db]) known.clear();
  }
}

ReplayWorkload::ReplayWorkload(uint64_t seed, bool short_timers)
    : state_(std::make_unique<State>(seed, short_timers)) {}
ReplayWorkload::~ReplayWorkload() = default;

std::vector<std::string> ReplayWorkload::Run(const CallFn& call, int ops,
                                             const std::function<void()>& after_each) {
  State& s = *state_;
  s.db = 0;  // a fresh connection
  s.bad.clear();
  s.after_each = after_each;
  for (int i = 0; i < ops; ++i) s.OneOp(call);
  return s.bad;
}

uint64_t ReplayWorkload::commands() const { return state_->commands; }
uint64_t ReplayWorkload::errors() const { return state_->errors; }

}  // namespace runnel::testing
