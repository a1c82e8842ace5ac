// Group policies (streams/group_policy.h) as the consumer-group engine applies them: parsing, and
// a model test that drives every operation a policy changes — XREADGROUP, XCLAIM, XAUTOCLAIM,
// XREADGROUP CLAIM, XNACK, XACK, consumer expiry — under random policies and a dead-letter sink
// that sometimes refuses, and compares each result and the whole group with a simple reference
// model written from docs/queues.md's rules.
#include "streams/group_policy.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "streams/group_ops.h"

namespace runnel::streams {
namespace {

GroupPolicy Parsed(std::vector<std::string_view> args, PolicyError want = PolicyError::kOk) {
  GroupPolicy p;
  size_t at = 0;
  CHECK(ParsePolicy(args, "src", &p, &at) == want);
  return p;
}

TEST_CASE("ParsePolicy: names, values, ranges and the rules between them") {
  GroupPolicy p = Parsed({"maxdeliveries", "3", "DEADLETTER", "dlq", "BACKOFF", "10", "0", "500",
                          "MAXPENDING", "7", "consumer-expire", "60000"});
  CHECK(p.max_deliveries == 3);
  CHECK(p.dead_letter == "dlq");
  CHECK(p.backoff == std::vector<int64_t>{10, 0, 500});
  CHECK(p.max_pending == 7);
  CHECK(p.consumer_expire_ms == 60000);
  CHECK(p.BackoffAfter(0) == 0);
  CHECK(p.BackoffAfter(1) == 10);
  CHECK(p.BackoffAfter(2) == 0);
  CHECK(p.BackoffAfter(3) == 500);
  CHECK(p.BackoffAfter(99) == 500);
  CHECK(p.MinBackoff() == 0);
  // All zeros is no backoff; the arguments round-trip through PolicyArgs.
  CHECK(Parsed({"BACKOFF", "0", "0"}).backoff.empty());
  std::vector<std::string> args = PolicyArgs(p);
  std::vector<std::string_view> views(args.begin(), args.end());
  CHECK(Parsed(views) == p);
  CHECK(PolicyArgs(GroupPolicy{}).size() == 10);
  // Errors leave the policy as it was, and say where.
  GroupPolicy keep = p;
  size_t at = 0;
  std::vector<std::string_view> bad = {"MAXPENDING", "1", "NOPE", "2"};
  CHECK(ParsePolicy(bad, "src", &keep, &at) == PolicyError::kUnknownName);
  CHECK(at == 2);
  CHECK(keep == p);
  Parsed({"MAXDELIVERIES"}, PolicyError::kMissingValue);
  Parsed({"BACKOFF", "MAXPENDING", "1"}, PolicyError::kMissingValue);
  Parsed({"MAXDELIVERIES", "2"}, PolicyError::kNeedsDeadLetter);
  Parsed({"MAXDELIVERIES", "2", "DEADLETTER", "d", "DEADLETTER", ""},
         PolicyError::kNeedsDeadLetter);
  Parsed({"DEADLETTER", "src"}, PolicyError::kDeadLetterIsSource);
  Parsed({"MAXPENDING", "-1"}, PolicyError::kBadNumber);
  Parsed({"MAXPENDING", "2147483648"}, PolicyError::kBadNumber);
  Parsed({"MAXPENDING", "1x"}, PolicyError::kBadNumber);
  Parsed({"CONSUMER-EXPIRE", "1099511627777"}, PolicyError::kBadNumber);
  Parsed({"BACKOFF", "1", "-2"}, PolicyError::kBadNumber);
  std::vector<std::string_view> steps = {"BACKOFF"};
  for (int i = 0; i < 65; ++i) steps.push_back("1");
  Parsed(steps, PolicyError::kTooManySteps);
  steps.pop_back();
  CHECK(Parsed(steps).backoff.size() == 64);
  // Turning the limit off makes the dead-letter key optional again.
  GroupPolicy off = Parsed({"MAXDELIVERIES", "2", "DEADLETTER", "d"});
  std::vector<std::string_view> clear = {"MAXDELIVERIES", "0", "DEADLETTER", ""};
  CHECK(ParsePolicy(clear, "src", &off, &at) == PolicyError::kOk);
  CHECK(off.empty());
}

// A sink that records what it was sent and refuses when told to.
struct RecordingSink : DeadLetterSink {
  bool refuse = false;
  std::vector<std::pair<StreamId, std::string>> letters;  // (id, reason)
  bool Append(const ConsumerGroup&, const DeadLetter& letter) override {
    if (refuse) return false;
    letters.emplace_back(letter.id, std::string(letter.reason));
    return true;
  }
};

// The reference model: the rules of docs/queues.md over plain maps.
struct ModelEntry {
  std::string owner;  // "" when released
  int64_t time = 0;   // delivery time, or release time when released
  bool backs_off = false;
  uint64_t seq = 0;  // release order, for the NACK zone
  uint64_t count = 0;
};

struct Model {
  GroupPolicy policy;
  uint64_t last = 0;  // last delivered entry (IDs are n-0, 1..entries)
  std::map<uint64_t, ModelEntry> pel;
  std::map<std::string, int64_t> seen;
  GroupCounters counters;
  std::vector<std::pair<StreamId, std::string>> letters;
  uint64_t releases = 0;

  size_t PendingOf(const std::string& c) const {
    return std::count_if(pel.begin(), pel.end(), [&](auto& e) { return e.second.owner == c; });
  }
  bool HasRoom(const std::string& c) const {
    return policy.max_pending == 0 || PendingOf(c) < policy.max_pending;
  }
  // When XAUTOCLAIM / XREADGROUP CLAIM may take an entry.
  int64_t ClaimAt(const ModelEntry& e, int64_t min_idle) const {
    int64_t wait = policy.BackoffAfter(e.count);
    if (e.owner.empty()) return e.backs_off && wait > 0 ? e.time + wait : INT64_MIN;
    int64_t need = std::max(min_idle, wait);
    return need <= 0 ? INT64_MIN : e.time + need;
  }
  bool Past(uint64_t count, bool sink) const {
    return sink && policy.max_deliveries > 0 && count >= policy.max_deliveries;
  }
  // Dead-letters `id`; false when the sink refuses.
  bool Letter(uint64_t id, const char* reason, bool refuse) {
    if (refuse) {
      ++counters.dead_letter_failures;
      return false;
    }
    letters.emplace_back(StreamId{id, 0}, reason);
    pel.erase(id);
    ++counters.dead_lettered;
    return true;
  }
  void Hand(uint64_t id, const std::string& c, int64_t now, uint64_t count) {
    pel[id] = ModelEntry{c, now, false, 0, count};
  }
};

class PolicyHarness {
 public:
  explicit PolicyHarness(uint64_t seed) : rng_(seed) {
    for (uint64_t i = 1; i <= kEntries; ++i) {
      std::string_view fv[] = {"f", "v"};
      s_.Append({i, 0}, fv, limits_);
    }
    g_ = s_.CreateGroup("g", StreamId::Min(), 0);
  }

  void Step() {
    if (rng_() % 25 == 0) NewPolicy();
    now_ += static_cast<int64_t>(rng_() % 40);
    sink_.refuse = rng_() % 6 == 0;
    op_ = rng_() % 8;
    switch (op_) {
      case 0:
        Deliver();
        break;
      case 1:
        XClaim();
        break;
      case 2:
        AutoClaim();
        break;
      case 3:
        ClaimRead();
        break;
      case 4:
      case 5:
        Nack();
        break;
      case 6:
        Ack();
        break;
      default:
        Expire();
        break;
    }
    Compare();
  }

 private:
  static constexpr uint64_t kEntries = 40;

  std::string Name() { return "c" + std::to_string(rng_() % 3); }
  uint64_t AnyId() { return 1 + rng_() % kEntries; }
  Consumer& Touch(const std::string& name, GroupChanges* ch) {
    m_.seen[name] = now_;
    return TouchConsumer(*g_, name, now_, ch);
  }

  void NewPolicy() {
    GroupPolicy p;
    if (rng_() % 2) {
      p.dead_letter = "dlq";
      p.max_deliveries = 1 + rng_() % 3;
    }
    if (rng_() % 2) p.backoff = {static_cast<int64_t>(rng_() % 60), 0, 120};
    if (rng_() % 2) p.max_pending = 1 + rng_() % 4;
    if (rng_() % 3 == 0) p.consumer_expire_ms = 50 + static_cast<int64_t>(rng_() % 100);
    g_->set_policy(p);
    m_.policy = p;
  }

  void Deliver() {
    std::string c = Name();
    GroupChanges ch;
    Consumer& con = Touch(c, &ch);
    uint64_t want = 1 + rng_() % 4;
    std::vector<StreamId> got;
    DeliverNew(
        s_, *g_, con, now_, false, [&] { return got.size() < want; },
        [&](const Stream::Iterator& it) { got.push_back(it.id()); }, &ch);
    std::vector<StreamId> model;
    while (model.size() < want && m_.last < kEntries && m_.HasRoom(c)) {
      ++m_.last;
      m_.Hand(m_.last, c, now_, 1);
      model.push_back({m_.last, 0});
    }
    CHECK(got == model);
  }

  void XClaim() {
    std::string c = Name();
    uint64_t id = AnyId();
    int64_t min_idle = static_cast<int64_t>(rng_() % 50);
    GroupChanges ch;
    Consumer& con = Touch(c, &ch);
    ClaimRule rule{.min_idle = min_idle, .dead_letters = &sink_};
    std::optional<Stream::Iterator> entry;
    ClaimOutcome got = ClaimId(s_, *g_, con, {id, 0}, rule, now_, &entry, &ch);
    ClaimOutcome want = ClaimOutcome::kNotPending;
    auto it = m_.pel.find(id);
    if (it != m_.pel.end()) {
      ModelEntry& e = it->second;
      bool idle = e.owner.empty() || min_idle <= 0 || now_ - e.time >= min_idle;
      if (!idle) {
        want = ClaimOutcome::kNotIdle;
      } else if (m_.Past(e.count, true)) {
        want = m_.Letter(id, "maxdeliveries", sink_.refuse) ? ClaimOutcome::kDeadLettered
                                                            : ClaimOutcome::kKept;
      } else {
        m_.Hand(id, c, now_, NextDeliveryCount(e.count));
        want = ClaimOutcome::kClaimed;
      }
    }
    CHECK(got == want);
  }

  void AutoClaim() {
    std::string c = Name();
    int64_t min_idle = static_cast<int64_t>(rng_() % 50);
    int64_t count = 1 + static_cast<int64_t>(rng_() % 3);
    GroupChanges ch;
    Consumer& con = Touch(c, &ch);
    ClaimRule rule{.min_idle = min_idle, .dead_letters = &sink_};
    std::vector<StreamId> got;
    streams::AutoClaim(
        s_, *g_, con, StreamId::Min(), count, rule, now_,
        [&](const Stream::Iterator& it) { got.push_back(it.id()); }, &ch);
    std::vector<StreamId> model;
    std::vector<uint64_t> window;
    for (auto& [id, e] : m_.pel) window.push_back(id);
    const int64_t attempts = count * 10;
    for (size_t i = 0; i < window.size() && static_cast<int64_t>(i) < attempts && count > 0; ++i) {
      ModelEntry e = m_.pel[window[i]];
      bool idle = e.owner.empty() || min_idle <= 0 || now_ - e.time >= min_idle;
      if (!idle || m_.ClaimAt(e, min_idle) > now_) continue;
      if (m_.Past(e.count, true)) {
        if (m_.Letter(window[i], "maxdeliveries", sink_.refuse)) --count;
        continue;
      }
      m_.Hand(window[i], c, now_, NextDeliveryCount(e.count));
      model.push_back({window[i], 0});
      --count;
    }
    CHECK(got == model);
  }

  void ClaimRead() {
    std::string c = Name();
    int64_t min_idle = static_cast<int64_t>(rng_() % 50);
    uint64_t limit = 1 + rng_() % 4;
    GroupChanges ch;
    Consumer& con = Touch(c, &ch);
    std::vector<StreamId> candidates = FindIdle(s_, *g_, min_idle, limit, now_);
    DeadLetterExhausted(s_, *g_, &candidates, &sink_, &ch);
    std::vector<StreamId> got;
    ClaimIdle(
        s_, *g_, con, candidates, now_, [] { return true; },
        [&](const Stream::Iterator& it, int64_t, int64_t) { got.push_back(it.id()); }, &ch);
    // The model: the NACK zone in release order, then owned entries by (time, id).
    std::vector<std::pair<std::pair<int64_t, uint64_t>, uint64_t>> order;
    for (auto& [id, e] : m_.pel) {
      order.push_back({e.owner.empty() ? std::pair<int64_t, uint64_t>{INT64_MIN, e.seq}
                                       : std::pair<int64_t, uint64_t>{e.time, id},
                       id});
    }
    std::sort(order.begin(), order.end());
    std::vector<uint64_t> picked;
    for (auto& [k, id] : order) {
      if (picked.size() >= limit) break;
      if (m_.ClaimAt(m_.pel[id], min_idle) <= now_) picked.push_back(id);
    }
    // Every candidate past the limit is dead-lettered (or kept) first; then the rest are
    // claimed while the consumer has room.
    std::vector<uint64_t> claimable;
    for (uint64_t id : picked) {
      if (m_.Past(m_.pel[id].count, true)) {
        m_.Letter(id, "maxdeliveries", sink_.refuse);
      } else {
        claimable.push_back(id);
      }
    }
    std::vector<StreamId> model;
    for (uint64_t id : claimable) {
      if (!m_.HasRoom(c)) break;
      m_.Hand(id, c, now_, NextDeliveryCount(m_.pel[id].count));
      model.push_back({id, 0});
    }
    CHECK(got == model);
  }

  void Nack() {
    uint64_t id = AnyId();
    NackMode mode = Pick({NackMode::kSilent, NackMode::kFail, NackMode::kFail, NackMode::kFatal});
    GroupChanges ch;
    ReleaseRule rule{.mode = mode, .dead_letters = &sink_};
    bool got = streams::Release(s_, *g_, {id, 0}, rule, now_, &ch);
    auto it = m_.pel.find(id);
    CHECK(got == (it != m_.pel.end()));
    if (it == m_.pel.end()) return;
    uint64_t count = it->second.count;
    if (mode == NackMode::kSilent) count = count > 0 ? count - 1 : 0;
    if (mode == NackMode::kFatal) count = INT64_MAX;
    bool letter = !m_.policy.dead_letter.empty() &&
                  (mode == NackMode::kFatal || (mode == NackMode::kFail && m_.Past(count, true)));
    if (letter &&
        m_.Letter(id, mode == NackMode::kFatal ? "fatal" : "maxdeliveries", sink_.refuse)) {
      return;
    }
    it->second = ModelEntry{"", now_, mode != NackMode::kSilent, m_.releases++, count};
  }

  void Ack() {
    uint64_t id = AnyId();
    GroupChanges ch;
    CHECK(Acknowledge(*g_, {id, 0}, &ch) == (m_.pel.erase(id) == 1));
  }

  void Expire() {
    std::vector<std::string> got = ExpireConsumers(*g_, now_);
    std::vector<std::string> model;
    if (m_.policy.consumer_expire_ms > 0) {
      for (auto& [name, seen] : m_.seen) {
        if (m_.PendingOf(name) == 0 && now_ - seen >= m_.policy.consumer_expire_ms) {
          model.push_back(name);
        }
      }
    }
    for (const std::string& name : model) m_.seen.erase(name);
    m_.counters.consumers_expired += model.size();
    CHECK(got == model);
  }

  void Compare() {
    CAPTURE(op_);
    CAPTURE(steps_++);
    std::string why;
    REQUIRE_MESSAGE(g_->CheckInvariants(&why), why);
    CHECK(g_->counters() == m_.counters);
    CHECK(sink_.letters == m_.letters);
    CHECK(g_->pending() == m_.pel.size());
    for (auto& [id, e] : m_.pel) {
      std::optional<PendingRecord> r = g_->FindPending({id, 0});
      REQUIRE(r.has_value());
      CHECK(std::string(g_->OwnerName(*r)) == e.owner);
      CHECK(r->delivery_count == e.count);
      if (e.owner.empty()) {
        CHECK(TicketReleaseMs(r->delivery_ms) == e.time);
        CHECK(TicketBacksOff(r->delivery_ms) == e.backs_off);
      } else {
        CHECK(r->delivery_ms == e.time);
      }
    }
    CHECK(g_->consumers().size() == m_.seen.size());
  }

  template <typename T>
  T Pick(std::initializer_list<T> v) {
    return v.begin()[rng_() % v.size()];
  }

  std::mt19937_64 rng_;
  StreamLimits limits_;
  Stream s_;
  ConsumerGroup* g_;
  RecordingSink sink_;
  Model m_;
  int64_t now_ = 1'700'000'000'000;
  uint64_t op_ = 0;  // the last operation, for failure messages
  uint64_t steps_ = 0;
};

TEST_CASE("group policies: the engine agrees with the reference model") {
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    CAPTURE(seed);
    PolicyHarness h(seed);
    for (int i = 0; i < 400; ++i) h.Step();
  }
}

TEST_CASE("NextClaimableAt: a blocked CLAIM reader wakes when the first backoff ends") {
  StreamLimits limits;
  Stream s;
  for (uint64_t i = 1; i <= 3; ++i) {
    std::string_view fv[] = {"f", "v"};
    s.Append({i, 0}, fv, limits);
  }
  ConsumerGroup& g = *s.CreateGroup("g", StreamId::Min(), 0);
  GroupPolicy p;
  p.backoff = {100, 1000};
  g.set_policy(p);
  Consumer& c = *g.GetOrCreateConsumer("c", 0).first;
  g.SetPending({1, 0}, c, 5000, 2);  // its backoff: 1000 ms, so 6000
  g.SetPending({2, 0}, c, 5500, 1);  // 100 ms: 5600, though delivered later
  CHECK(NextClaimableAt(s, g, 0) == 5600);
  CHECK(NextClaimableAt(s, g, 700) == 6000);  // min-idle-time 700 beats the 100 ms step
  // A FAIL release waits from its release time; a SILENT one does not wait.
  g.Release({3, 0}, 1, 5200, true);
  CHECK(NextClaimableAt(s, g, 0) == 5300);
  g.Release({3, 0}, 1, 5200, false);
  CHECK(NextClaimableAt(s, g, 0) == 0);
  // Without a backoff the oldest entry decides, as before.
  g.set_policy(GroupPolicy{});
  g.Ack({3, 0});
  CHECK(NextClaimableAt(s, g, 50) == 5050);
}

}  // namespace
}  // namespace runnel::streams
