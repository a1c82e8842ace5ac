// Log records and ScanLog: round trips, the exact byte layout, reads of every prefix (from
// exact-size heap buffers, so ASan sees any read past the end), torn tails cut at every byte of
// the last records or made of zeros or random bytes, a flipped bit at every bit position of a
// small log, sequence gaps, and the speed of the damage search on a large file.
#include "persistence/log_record.h"

#include <doctest/doctest.h>
#include <xxhash.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace runnel::persistence {
namespace {

struct Spec {
  uint64_t sequence;
  int64_t time_ms;
  uint32_t db;
  std::string payload;
};

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

// A RESP-looking payload, like the server writes.
std::string RespPayload(uint64_t i, size_t value_len) {
  const std::string key = "stream:" + std::to_string(i % 97);
  const std::string value(value_len, static_cast<char>('a' + i % 26));
  return "*5\r\n$4\r\nXADD\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$5\r\n" +
         std::to_string(10000 + i % 90000) + "\r\n$1\r\nf\r\n$" + std::to_string(value_len) +
         "\r\n" + value + "\r\n";
}

// Builds a log from specs; *offsets gets each record's start.
std::string BuildLog(const std::vector<Spec>& specs, std::vector<size_t>* offsets = nullptr) {
  std::string log;
  for (const Spec& s : specs) {
    if (offsets != nullptr) offsets->push_back(log.size());
    AppendLogRecord(&log, s.sequence, s.time_ms, s.db, s.payload);
  }
  return log;
}

std::vector<Spec> SmallRandomSpecs(std::mt19937_64& rng, size_t n, uint64_t first_seq,
                                   size_t max_payload) {
  std::vector<Spec> specs;
  for (size_t i = 0; i < n; ++i) {
    specs.push_back({first_seq + i, 1700000000000 + static_cast<int64_t>(i),
                     static_cast<uint32_t>(i % 16), RandomBytes(rng, rng() % (max_payload + 1))});
  }
  return specs;
}

void CheckRecord(const LogRecord& r, const Spec& s) {
  CHECK(r.sequence == s.sequence);
  CHECK(r.time_ms == s.time_ms);
  CHECK(r.db == s.db);
  CHECK(r.payload == s.payload);
}

// An exact-size heap copy: reading one byte past the end is an ASan error.
struct ExactCopy {
  explicit ExactCopy(std::string_view s) : bytes(new char[s.size() + (s.empty() ? 1 : 0)]) {
    if (!s.empty()) std::memcpy(bytes.get(), s.data(), s.size());
    view = std::string_view(bytes.get(), s.size());
  }
  std::unique_ptr<char[]> bytes;
  std::string_view view;
};

TEST_CASE("log record: exact byte layout, little-endian, checksum over length..payload") {
  std::string rec;
  AppendLogRecord(&rec, 0x0102030405060708ULL, -2, 0xA1B2C3D4u, "hi");
  REQUIRE(rec.size() == kLogHeaderSize + 2 + kLogTrailerSize);
  const unsigned char expected_header[] = {
      0xA7,                                            // magic
      0x02, 0x00, 0x00, 0x00,                          // payload length
      0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  // sequence
      0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // time -2
      0xD4, 0xC3, 0xB2, 0xA1,                          // db
      'h',  'i'};
  CHECK(std::memcmp(rec.data(), expected_header, sizeof expected_header) == 0);
  uint64_t sum = XXH64(rec.data() + 1, kLogHeaderSize - 1 + 2, 0);
  for (size_t i = 0; i < 8; ++i) {
    CHECK(static_cast<unsigned char>(rec[kLogHeaderSize + 2 + i]) == ((sum >> (8 * i)) & 0xFF));
  }
}

TEST_CASE("log record: round trips of many records, payloads 0..100 KB, extreme values") {
  std::mt19937_64 rng(1);
  std::vector<Spec> specs;
  const uint64_t seqs[] = {0, 1, UINT64_MAX, UINT64_MAX - 1, 1ULL << 63};
  const int64_t times[] = {0, -1, INT64_MIN, INT64_MAX, 1700000000123};
  const uint32_t dbs[] = {0, 1, 15, UINT32_MAX};
  const size_t sizes[] = {0, 1, 7, 8, 24, 25, 32, 33, 255, 256, 4096, 65535, 65536, 100 * 1024};
  for (size_t i = 0; i < 200; ++i) {
    size_t len = i < std::size(sizes) ? sizes[i] : rng() % (100 * 1024 + 1);
    if (i % 3 == 0) len %= 300;  // plenty of small records too
    specs.push_back({seqs[i % std::size(seqs)], times[(i / 5) % std::size(times)],
                     dbs[(i / 7) % std::size(dbs)], RandomBytes(rng, len)});
  }
  std::vector<size_t> offsets;
  const std::string log = BuildLog(specs, &offsets);
  const ExactCopy copy(log);
  size_t pos = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    CAPTURE(i);
    REQUIRE(pos == offsets[i]);
    LogRecord r;
    size_t consumed = 0;
    REQUIRE(ReadLogRecord(copy.view.substr(pos), &r, &consumed) == RecordStatus::kOk);
    CHECK(consumed == kLogHeaderSize + specs[i].payload.size() + kLogTrailerSize);
    CheckRecord(r, specs[i]);
    pos += consumed;
  }
  CHECK(pos == log.size());
}

TEST_CASE("log record: every prefix is incomplete, bad magic and checksum are corrupt") {
  std::string rec;
  AppendLogRecord(&rec, 42, 7, 3, "*1\r\n$4\r\nPING\r\n");
  for (size_t n = 0; n < rec.size(); ++n) {
    CAPTURE(n);
    const ExactCopy copy(std::string_view(rec).substr(0, n));
    LogRecord r;
    size_t consumed = 0;
    CHECK(ReadLogRecord(copy.view, &r, &consumed) == RecordStatus::kIncomplete);
  }
  LogRecord r;
  size_t consumed = 0;
  std::string bad = rec;
  bad[0] = 0x00;
  CHECK(ReadLogRecord(bad, &r, &consumed) == RecordStatus::kCorrupt);
  bad = rec;
  bad[bad.size() - 1] ^= 0x01;
  CHECK(ReadLogRecord(bad, &r, &consumed) == RecordStatus::kCorrupt);
  bad = rec;
  bad[kLogHeaderSize] ^= 0x40;  // payload byte
  CHECK(ReadLogRecord(bad, &r, &consumed) == RecordStatus::kCorrupt);
}

TEST_CASE("log record: a huge declared length is incomplete, read nowhere, allocated nowhere") {
  std::string rec;
  AppendLogRecord(&rec, 1, 1, 0, "abc");
  for (uint32_t len : {0xFFFFFFFFu, 0x80000000u, 0x10000u, 4u}) {
    CAPTURE(len);
    std::string bad = rec;
    for (int i = 0; i < 4; ++i) bad[1 + i] = static_cast<char>((len >> (8 * i)) & 0xFF);
    const ExactCopy copy(bad);
    LogRecord r;
    size_t consumed = 0;
    CHECK(ReadLogRecord(copy.view, &r, &consumed) == RecordStatus::kIncomplete);
  }
  // A length that still fits but is shorter than written: the checksum catches it.
  std::string shorter = rec;
  shorter[1] = 2;
  LogRecord r;
  size_t consumed = 0;
  CHECK(ReadLogRecord(shorter, &r, &consumed) == RecordStatus::kCorrupt);
}

TEST_CASE("ScanLog: a clean file, offsets, first_sequence, the empty file") {
  std::mt19937_64 rng(2);
  const auto specs = SmallRandomSpecs(rng, 50, 1000, 2000);
  std::vector<size_t> offsets;
  const std::string log = BuildLog(specs, &offsets);
  for (uint64_t first : {uint64_t{0}, uint64_t{1000}}) {
    const LogScan scan = ScanLog(log, first);
    CHECK_FALSE(scan.damaged);
    CHECK_FALSE(scan.valid_after_damage);
    CHECK(scan.valid_bytes == log.size());
    REQUIRE(scan.records.size() == specs.size());
    for (size_t i = 0; i < specs.size(); ++i) {
      CheckRecord(scan.records[i], specs[i]);
      CHECK(scan.records[i].offset == offsets[i]);
    }
  }
  const LogScan empty = ScanLog("");
  CHECK(empty.records.empty());
  CHECK(empty.valid_bytes == 0);
  CHECK_FALSE(empty.damaged);
}

TEST_CASE("ScanLog: truncated at every byte offset inside the last 3 records is a torn tail") {
  std::mt19937_64 rng(3);
  // Random binary payloads: plenty of stray magic bytes and plausible lengths inside them.
  const auto specs = SmallRandomSpecs(rng, 20, 1, 600);
  std::vector<size_t> offsets;
  const std::string log = BuildLog(specs, &offsets);
  offsets.push_back(log.size());
  const size_t n = specs.size();
  for (size_t cut = offsets[n - 3]; cut <= log.size(); ++cut) {
    CAPTURE(cut);
    const ExactCopy copy(std::string_view(log).substr(0, cut));
    const LogScan scan = ScanLog(copy.view, 1);
    size_t whole = 0;  // records that end at or before the cut
    while (whole < n && offsets[whole + 1] <= cut) ++whole;
    REQUIRE(scan.records.size() == whole);
    CHECK(scan.valid_bytes == offsets[whole]);
    CHECK(scan.damaged == (cut != offsets[whole]));
    CHECK_FALSE(scan.valid_after_damage);
    for (size_t i = 0; i < whole; ++i) CHECK(scan.records[i].payload == specs[i].payload);
  }
}

TEST_CASE("ScanLog: tails of zeros or random bytes are torn tails") {
  std::mt19937_64 rng(4);
  const auto specs = SmallRandomSpecs(rng, 30, 7, 300);
  const std::string log = BuildLog(specs);
  for (size_t tail_len : {size_t{1}, size_t{24}, size_t{512}, size_t{4096}}) {
    for (int kind = 0; kind < 2; ++kind) {
      for (int trial = 0; trial < (kind == 0 ? 1 : 50); ++trial) {
        CAPTURE(tail_len);
        CAPTURE(kind);
        CAPTURE(trial);
        const std::string tail =
            kind == 0 ? std::string(tail_len, '\0') : RandomBytes(rng, tail_len);
        const ExactCopy copy(log + tail);
        const LogScan scan = ScanLog(copy.view, 7);
        CHECK(scan.records.size() == specs.size());
        CHECK(scan.valid_bytes == log.size());
        CHECK(scan.damaged);
        CHECK_FALSE(scan.valid_after_damage);
      }
    }
  }
  // A tail that starts like a record: magic and a length reaching past the end.
  std::string tail(512, '\0');
  tail[0] = static_cast<char>(kLogMagic);
  tail[1] = static_cast<char>(0xF0);
  const LogScan scan = ScanLog(log + tail, 7);
  CHECK(scan.valid_bytes == log.size());
  CHECK(scan.damaged);
  CHECK_FALSE(scan.valid_after_damage);
}

TEST_CASE("ScanLog: a flipped bit anywhere is detected at the flipped record") {
  std::mt19937_64 rng(5);
  const std::vector<Spec> specs = {{10, 1, 0, ""},
                                   {11, 2, 1, RandomBytes(rng, 3)},
                                   {12, 3, 0, "*1\r\n$4\r\nPING\r\n"},
                                   {13, 4, 9, RandomBytes(rng, 40)},
                                   {14, 5, 0, RandomBytes(rng, 9)}};
  std::vector<size_t> offsets;
  const std::string log = BuildLog(specs, &offsets);
  offsets.push_back(log.size());
  for (uint64_t first : {uint64_t{0}, uint64_t{10}}) {
    for (size_t bit = 0; bit < log.size() * 8; ++bit) {
      CAPTURE(first);
      CAPTURE(bit);
      std::string bad = log;
      bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
      size_t k = 0;  // the flipped record
      while (offsets[k + 1] <= bit / 8) ++k;
      const ExactCopy copy(bad);
      const LogScan scan = ScanLog(copy.view, first);
      REQUIRE(scan.damaged);
      CHECK(scan.records.size() == k);
      CHECK(scan.valid_bytes == offsets[k]);
      if (k + 1 < specs.size()) {
        CHECK(scan.valid_after_damage);
        CHECK(scan.next_valid_offset == offsets[k + 1]);
      } else {
        CHECK_FALSE(scan.valid_after_damage);
      }
    }
  }
}

TEST_CASE("ScanLog: sequence gaps, repeats and a wrong first sequence are mid-file damage") {
  std::vector<size_t> offsets;
  const std::string gap = BuildLog(
      {{1, 0, 0, "a"}, {2, 0, 0, "b"}, {3, 0, 0, "c"}, {5, 0, 0, "e"}, {6, 0, 0, "f"}}, &offsets);
  LogScan scan = ScanLog(gap);
  CHECK(scan.records.size() == 3);
  CHECK(scan.valid_bytes == offsets[3]);
  CHECK(scan.damaged);
  CHECK(scan.valid_after_damage);
  CHECK(scan.next_valid_offset == offsets[3]);

  // The gap is in the last record: still not a torn tail (a crash does not write whole records
  // with the wrong number).
  offsets.clear();
  const std::string last = BuildLog({{1, 0, 0, "a"}, {2, 0, 0, "b"}, {4, 0, 0, "d"}}, &offsets);
  scan = ScanLog(last);
  CHECK(scan.records.size() == 2);
  CHECK(scan.valid_after_damage);
  CHECK(scan.next_valid_offset == offsets[2]);

  offsets.clear();
  const std::string repeat = BuildLog({{1, 0, 0, "a"}, {2, 0, 0, "b"}, {2, 0, 0, "b"}}, &offsets);
  scan = ScanLog(repeat);
  CHECK(scan.records.size() == 2);
  CHECK(scan.valid_bytes == offsets[2]);
  CHECK(scan.valid_after_damage);

  const std::string from_1000 = BuildLog({{1000, 0, 0, "a"}, {1001, 0, 0, "b"}});
  CHECK(ScanLog(from_1000, 0).records.size() == 2);
  CHECK_FALSE(ScanLog(from_1000, 0).damaged);
  CHECK(ScanLog(from_1000, 1000).records.size() == 2);
  scan = ScanLog(from_1000, 999);
  CHECK(scan.records.empty());
  CHECK(scan.valid_bytes == 0);
  CHECK(scan.damaged);
  CHECK(scan.valid_after_damage);
  CHECK(scan.next_valid_offset == 0);
}

TEST_CASE("ScanLog: garbage between records, and a file that is all garbage") {
  std::mt19937_64 rng(6);
  std::string log = BuildLog({{1, 0, 0, "a"}});
  const size_t garbage_at = log.size();
  log += RandomBytes(rng, 100);
  const size_t next = log.size();
  AppendLogRecord(&log, 2, 0, 0, "b");
  LogScan scan = ScanLog(log);
  CHECK(scan.records.size() == 1);
  CHECK(scan.valid_bytes == garbage_at);
  CHECK(scan.valid_after_damage);
  CHECK(scan.next_valid_offset == next);

  const std::string garbage = RandomBytes(rng, 1 << 20);
  const ExactCopy copy(garbage);
  scan = ScanLog(copy.view);
  CHECK(scan.records.empty());
  CHECK(scan.valid_bytes == 0);
  CHECK(scan.damaged);
  CHECK_FALSE(scan.valid_after_damage);
}

double SecondsToScan(std::string_view data, uint64_t first, LogScan* scan) {
  const auto start = std::chrono::steady_clock::now();
  *scan = ScanLog(data, first);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST_CASE("ScanLog: a 50 MB log damaged near its start scans in well under a second") {
#if defined(RUNNEL_SANITIZE)
  const double kLimit = 5.0;  // ASan and a Debug build: only a sanity bound
#else
  const double kLimit = 0.5;
#endif
  std::mt19937_64 rng(7);
  for (bool binary : {false, true}) {
    CAPTURE(binary);
    std::string log;
    std::vector<size_t> offsets;
    uint64_t seq = 1;
    while (log.size() < 50u * 1024 * 1024) {
      offsets.push_back(log.size());
      const size_t len = 200 + rng() % 2000;
      AppendLogRecord(&log, seq, 1700000000000, 0,
                      binary ? RandomBytes(rng, len) : RespPayload(seq, len));
      ++seq;
    }
    LogScan scan;
    double secs = SecondsToScan(log, 1, &scan);
    MESSAGE("clean 50 MB scan (binary=" << binary << "): " << secs << " s");
    CHECK_FALSE(scan.damaged);
    CHECK(scan.records.size() == seq - 1);
    CHECK(secs < kLimit);

    for (size_t damaged : {size_t{0}, size_t{3}}) {  // record 0's magic; record 3's payload
      std::string bad = log;
      bad[offsets[damaged] + (damaged == 0 ? 0 : kLogHeaderSize + 5)] ^= 0x10;
      secs = SecondsToScan(bad, 1, &scan);
      MESSAGE("50 MB, damage in record " << damaged << ": " << secs << " s");
      CHECK(scan.records.size() == damaged);
      CHECK(scan.valid_after_damage);
      CHECK(scan.next_valid_offset == offsets[damaged + 1]);
      CHECK(secs < kLimit);
    }
    // The length of record 2 inflated by 32 MiB, so it reaches far into the file: one long
    // hash in the walk, then the search finds record 3.
    std::string bad = log;
    bad[offsets[2] + 4] = 0x02;
    secs = SecondsToScan(bad, 1, &scan);
    MESSAGE("50 MB, length of record 2 inflated: " << secs << " s");
    CHECK(scan.records.size() == 2);
    CHECK(scan.valid_after_damage);
    CHECK(scan.next_valid_offset == offsets[3]);
    CHECK(secs < kLimit);

    const std::string torn = log + RandomBytes(rng, 4096);
    secs = SecondsToScan(torn, 1, &scan);
    MESSAGE("50 MB + 4 KiB random tail: " << secs << " s");
    CHECK(scan.records.size() == seq - 1);
    CHECK(scan.damaged);
    CHECK_FALSE(scan.valid_after_damage);
    CHECK(secs < kLimit);
  }
}

TEST_CASE("ScanLog: a 64 MB binary record torn by a crash is a torn tail, found quickly") {
#if defined(RUNNEL_SANITIZE)
  const double kLimit = 5.0;
#else
  const double kLimit = 1.0;
#endif
  // A huge binary value cut short: its bytes hold a magic byte every ~256 bytes and many
  // declared lengths that fit, so only the sequence filter keeps the search linear.
  std::mt19937_64 rng(8);
  std::string log = BuildLog({{1, 0, 0, "a"}, {2, 0, 0, "b"}});
  const size_t valid = log.size();
  std::string huge;
  AppendLogRecord(&huge, 3, 0, 0, RandomBytes(rng, 64u << 20));
  log += huge.substr(0, huge.size() - 1000);
  LogScan scan;
  const double secs = SecondsToScan(log, 1, &scan);
  MESSAGE("64 MB torn binary record: " << secs << " s");
  CHECK(scan.records.size() == 2);
  CHECK(scan.valid_bytes == valid);
  CHECK(scan.damaged);
  CHECK_FALSE(scan.valid_after_damage);
  CHECK(secs < kLimit);

  // A real record that continues the history after the torn one still proves mid-file damage.
  const size_t next = log.size();
  AppendLogRecord(&log, 4, 0, 0, "d");
  scan = ScanLog(log, 1);
  CHECK(scan.valid_after_damage);
  CHECK(scan.next_valid_offset == next);
}

}  // namespace
}  // namespace runnel::persistence
