// Schedule (delayed entries) against a reference model, a std::map from handle to fields: random
// adds, cancels, pops of due entries and range reads must agree with it, the handles must be
// unique and in due order, and the payload encoding must round-trip any bytes.
#include "streams/schedule.h"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace runnel::streams {
namespace {

using Fields = std::vector<std::string>;

Fields Decode(const std::string& payload) {
  std::vector<std::string_view> views;
  REQUIRE(Schedule::DecodeFields(payload, &views));
  return Fields(views.begin(), views.end());
}

std::vector<std::string_view> Views(const Fields& f) { return {f.begin(), f.end()}; }

TEST_CASE("Schedule agrees with a map from handle to fields") {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    Schedule s;
    std::map<StreamId, Fields> model;
    std::vector<StreamId> issued;
    int64_t now = 1000;
    for (int step = 0; step < 600; ++step) {
      switch (rng() % 6) {
        case 0:
        case 1:
        case 2: {
          int64_t due = now + static_cast<int64_t>(rng() % 500) - 100;  // some already due
          Fields f{"job", std::string(rng() % 40, static_cast<char>(rng() % 256))};
          if (rng() % 4 == 0) f.insert(f.end(), {"", "x"});
          StreamId h = s.Add(std::max<int64_t>(due, 0), Views(f));
          CHECK(h.ms == static_cast<uint64_t>(std::max<int64_t>(due, 0)));
          CHECK(model.count(h) == 0);
          for (StreamId old : issued) CHECK(old.seq != h.seq);  // never reused
          issued.push_back(h);
          model[h] = f;
          break;
        }
        case 3: {
          StreamId h = issued.empty() || rng() % 5 == 0 ? StreamId{rng() % 2000, rng() % 50}
                                                        : issued[rng() % issued.size()];
          CHECK(s.Cancel(h) == (model.erase(h) == 1));
          break;
        }
        case 4: {
          now += static_cast<int64_t>(rng() % 80);
          while (auto e = s.PopDue(now)) {
            REQUIRE(!model.empty());
            CHECK(e->handle == model.begin()->first);  // due order
            CHECK(e->handle.ms <= static_cast<uint64_t>(now));
            CHECK(Decode(e->payload) == model.begin()->second);
            model.erase(model.begin());
          }
          CHECK((model.empty() || model.begin()->first.ms > static_cast<uint64_t>(now)));
          break;
        }
        default: {
          StreamId a{rng() % 1500, 0}, b{a.ms + rng() % 500, UINT64_MAX};
          size_t count = rng() % 4;
          std::vector<ScheduledEntry> got = s.Range(a, b, count);
          std::vector<StreamId> want;
          for (auto it = model.lower_bound(a); it != model.end() && !(b < it->first); ++it) {
            if (count != 0 && want.size() == count) break;
            want.push_back(it->first);
          }
          REQUIRE(got.size() == want.size());
          for (size_t i = 0; i < got.size(); ++i) CHECK(got[i].handle == want[i]);
          break;
        }
      }
      REQUIRE(s.size() == model.size());
      auto next = s.NextDueMs();
      CHECK(next.has_value() == !model.empty());
      if (next) CHECK(*next == static_cast<int64_t>(model.begin()->first.ms));
    }
  }
}

TEST_CASE("Restore keeps the counter past every handle it is given") {
  Schedule s;
  CHECK(s.Restore(StreamId{50, 7}, Schedule::EncodeFields(Views({"a", "1"}))));
  CHECK_FALSE(s.Restore(StreamId{50, 7}, Schedule::EncodeFields(Views({"a", "1"}))));
  CHECK(s.next_seq() == 8);
  s.RestoreNextSeq(3);  // never backwards
  CHECK(s.next_seq() == 8);
  CHECK(s.Add(10, Views({"b", "2"})) == StreamId{10, 8});
}

TEST_CASE("DecodeFields refuses what EncodeFields cannot make") {
  std::vector<std::string_view> out;
  std::string good = Schedule::EncodeFields(Views({"f", std::string(300, 'v')}));
  CHECK(Schedule::DecodeFields(good, &out));
  CHECK(out.size() == 2);
  CHECK(out[1].size() == 300);
  CHECK_FALSE(Schedule::DecodeFields(good.substr(0, good.size() - 1), &out));  // truncated
  CHECK_FALSE(Schedule::DecodeFields(good + "x", &out));                       // trailing
  CHECK_FALSE(Schedule::DecodeFields(Schedule::EncodeFields(Views({"odd"})), &out));
  CHECK_FALSE(Schedule::DecodeFields(std::string("\x00", 1), &out));  // no pair
  CHECK_FALSE(Schedule::DecodeFields("", &out));
}

TEST_CASE("a scheduled small job costs a few bytes beyond its fields") {
  Schedule s;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    std::string job = std::to_string(1000000 + i);
    s.Add(1700000000000 + (i * 7919) % 3600000, Views({"job", job}));
  }
  // Fields: 3 + 7 bytes and three length bytes; the rest is handle deltas and leaf overhead.
  double per_entry = static_cast<double>(s.MemoryUsage()) / n;
  MESSAGE("bytes per scheduled job: " << per_entry);
  CHECK(per_entry < 40);
}

}  // namespace
}  // namespace runnel::streams
