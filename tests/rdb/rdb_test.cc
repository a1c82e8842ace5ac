// The rdb layer: CRC-64 and LZF against known values, listpacks both ways, the DUMP payload of
// rdb-format.md §7.3 (bytes redis-server 7.0 produced) decoded, the other stream types built by
// the format's rules (Redis 8.6's IDMP and 8.8's NACK zone among them), random streams through
// DUMP and back, and damaged payloads refused without a crash.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "persistence/snapshot.h"
#include "rdb/crc64.h"
#include "rdb/dump.h"
#include "rdb/input.h"
#include "rdb/listpack.h"
#include "rdb/lzf.h"
#include "rdb/rdb_file.h"
#include "rdb/stream_reader.h"
#include "rdb/writer.h"
#include "tests/persistence/byte_buffers.h"

namespace {

using namespace runnel;
using streams::StreamId;

std::string Hex(std::string_view hex) {
  std::string out;
  std::string digits;
  for (char c : hex) {
    if (std::isxdigit(static_cast<unsigned char>(c))) digits.push_back(c);
  }
  for (size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string ReadString(std::string_view bytes) {
  rdb::MemorySource source(bytes);
  rdb::Input in(source);
  std::string out;
  REQUIRE(in.String(&out));
  CHECK(in.AtEnd());
  return out;
}

// The payload of §7.3: XADD s 1-1 f v, 1-2 f 7, 2-0 g 300; XDEL 1-2; a group g with 1-1
// delivered to consumer c.
const std::string kStreamPayload =
    Hex("13 01 10 00000000000000010000000000000001 38"
        "38000000 1600 0201 0101 0101 816602 0001"
        "0201 0001 0001 817602 0401"
        "0301 0001 0101 0701 0401"
        "0001 0101 dfff02 0101 816702 c12c02 0601 ff"
        "02 02 00 01 01 01 02 03"
        "01 0167 01 01 81ffffffffffffffff"
        "01 00000000000000010000000000000001 be0c6d49a2010000 01"
        "01 0163 be0c6d49a2010000 01 00000000000000010000000000000001"
        "0a00 2aaf46f8bb720e3a");

std::vector<std::pair<StreamId, std::vector<std::string>>> Entries(const streams::Stream& s) {
  std::vector<std::pair<StreamId, std::vector<std::string>>> out;
  streams::Stream::Iterator it = s.Range(StreamId::Min(), StreamId::Max(), false);
  char buf[24];
  while (it.Next()) {
    std::vector<std::string> fv;
    streams::EntryBlock::FieldReader r = it.Fields();
    streams::StoredValue f, v;
    while (r.Next(&f, &v)) {
      fv.emplace_back(f.Text(buf));
      fv.emplace_back(v.Text(buf));
    }
    out.emplace_back(it.id(), fv);
  }
  return out;
}

// What RESTORE accepts must save and load: the value through Runnel's own snapshot.
void CheckSnapshotLoads(streams::Value value) {
  streams::Keyspace keyspace(1, 7, nullptr);
  keyspace.db(0).Set("k", std::move(value));
  persistence::testing::StringSink sink;
  std::string error;
  REQUIRE(persistence::WriteSnapshot(keyspace, {}, sink, &error));
  persistence::testing::StringSource source(sink.data);
  streams::Keyspace loaded(1, 7, nullptr);
  persistence::SnapshotLoader loader(source, loaded);
  persistence::SnapshotLoader::Status status;
  while ((status = loader.Step(100)) == persistence::SnapshotLoader::Status::kMore) {
  }
  INFO(loader.error());
  CHECK(status == persistence::SnapshotLoader::Status::kDone);
}

}  // namespace

namespace {

// The payload with its footer's CRC recomputed, so damage reaches the decoder.
std::string Resealed(std::string payload) {
  payload.resize(payload.size() - 8);
  uint64_t crc = rdb::Crc64(0, payload);
  for (int i = 0; i < 8; ++i) payload.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return payload;
}

}  // namespace

TEST_CASE("CRC-64 and LZF give Redis's values") {
  CHECK(rdb::Crc64(0, "123456789") == 0xe9c6d914c4b8d9caULL);
  CHECK(rdb::Crc64(rdb::Crc64(0, "1234"), "56789") == 0xe9c6d914c4b8d9caULL);
  // 30 x 'a' as redis-server 7.0 compresses it (rdb-format.md §3.2).
  CHECK(ReadString(Hex("c3 09 1e 01 61 61 e0 11 00 01 61 61")) == std::string(30, 'a'));
  CHECK(ReadString(Hex("c0 2a")) == "42");
  CHECK(ReadString(Hex("c1 d4 fe")) == "-300");
  CHECK(ReadString(Hex("c2 00 00 00 80")) == "-2147483648");
  CHECK(ReadString(Hex("03 30 30 37")) == "007");
  std::string out;
  CHECK_FALSE(rdb::LzfDecompress(Hex("01 61 61 e0 11 00 01 61"), 30, &out));  // truncated
  CHECK_FALSE(rdb::LzfDecompress(Hex("e0 11 05"), 30, &out));  // reference before the start
}

TEST_CASE("strings are written as Redis writes them") {
  for (auto [text, hex] : std::vector<std::pair<std::string, std::string>>{
           {"42", "c0 2a"},
           {"-300", "c1 d4 fe"},
           {"007", "03 30 30 37"},
           {"12345678901", "0b 3132333435363738393031"},
           {"-0", "02 2d 30"}}) {
    std::string out;
    rdb::WriteString(&out, text);
    CHECK(out == Hex(hex));
    CHECK(ReadString(out) == text);
  }
  // A string payload from redis-server 7.0 (rdb-format.md §8.1), both ways.
  const char* refusal;
  CHECK(rdb::DumpValue(streams::Value(std::string("42")), &refusal) ==
        Hex("00 c0 2a 0a 00 81 fb 5c fa 86 63 4f 50"));
}

TEST_CASE("listpacks round trip every element form") {
  rdb::ListpackWriter w;
  std::vector<std::string> values = {"0",
                                     "127",
                                     "128",
                                     "-1",
                                     "4095",
                                     "-4096",
                                     "4096",
                                     "32767",
                                     "-32769",
                                     "8388607",
                                     "-8388609",
                                     "2147483647",
                                     "9223372036854775807",
                                     "-9223372036854775808",
                                     "",
                                     "007",
                                     std::string(63, 'x'),
                                     std::string(64, 'y'),
                                     std::string(4095, 'z'),
                                     std::string(4096, 'w'),
                                     std::string(20000, 'v')};
  for (const std::string& v : values) w.AddString(v);
  std::string lp = w.Finish();
  std::vector<rdb::ListpackElement> elements;
  std::string why;
  REQUIRE(rdb::ParseListpack(lp, &elements, &why));
  REQUIRE(elements.size() == values.size());
  for (size_t i = 0; i < values.size(); ++i) CHECK(elements[i].Text() == values[i]);
  CHECK(elements[0].is_int);
  CHECK_FALSE(elements[15].is_int);  // "007" stays a string
  // Any damage to the header or the last byte is refused.
  std::string bad = lp;
  bad[0] ^= 1;
  CHECK_FALSE(rdb::ParseListpack(bad, &elements, &why));
  bad = lp;
  bad.back() = 0;
  CHECK_FALSE(rdb::ParseListpack(bad, &elements, &why));
}

TEST_CASE("a stream DUMP from redis-server 7.0 decodes whole") {
  streams::Value value;
  std::string why;
  REQUIRE(rdb::ReadPayload(kStreamPayload, {}, &value, &why) == rdb::PayloadError::kOk);
  const streams::Stream* s = value.stream();
  REQUIRE(s != nullptr);
  CHECK(s->length() == 2);
  CHECK(s->last_id() == StreamId{2, 0});
  CHECK(s->first_id() == StreamId{1, 1});
  CHECK(s->max_deleted_id() == StreamId{1, 2});
  CHECK(s->entries_added() == 3);
  auto entries = Entries(*s);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].first == StreamId{1, 1});
  CHECK(entries[0].second == std::vector<std::string>{"f", "v"});
  CHECK(entries[1].first == StreamId{2, 0});
  CHECK(entries[1].second == std::vector<std::string>{"g", "300"});
  const streams::ConsumerGroup* g = s->FindGroup("g");
  REQUIRE(g != nullptr);
  CHECK(g->last_delivered() == StreamId{1, 1});
  CHECK(g->entries_read() == streams::kUnknownEntriesRead);
  auto pending = g->FindPending({1, 1});
  REQUIRE(pending.has_value());
  CHECK(pending->delivery_ms == 0x01a2496d0cbe);
  CHECK(pending->delivery_count == 1);
  CHECK(g->OwnerName(*pending) == "c");
  CHECK(g->FindConsumer("c")->active_ms() == 0x01a2496d0cbe);  // type 19: seen time
  CheckSnapshotLoads(std::move(value));

  // Redis's checks: the version, the checksum, and a payload shorter than its footer.
  std::string newer = kStreamPayload;
  newer[newer.size() - 10] = 13;
  CHECK(rdb::ReadPayload(newer, {}, &value, &why) == rdb::PayloadError::kVersionOrChecksum);
  std::string flipped = kStreamPayload;
  flipped[20] ^= 0x40;
  CHECK(rdb::ReadPayload(flipped, {}, &value, &why) == rdb::PayloadError::kVersionOrChecksum);
  CHECK(rdb::ReadPayload("short", {}, &value, &why) == rdb::PayloadError::kVersionOrChecksum);
}

namespace {

// The §7.3 stream's one node: 1-1 and 2-0 live, 1-2 deleted.
const std::string kEntriesNode =
    Hex("01 10 00000000000000010000000000000001 38"
        "38000000 1600 0201 0101 0101 816602 0001"
        "0201 0001 0001 817602 0401"
        "0301 0001 0101 0701 0401"
        "0001 0101 dfff02 0101 816702 c12c02 0601 ff");

// The §7.3 stream written by the format's rules as another type and RDB version: type 15
// (Redis 5-6.2, RDB 9) has no first ID, max deleted ID, entries-added or entries-read; type 21
// (7.2+, RDB 11 and 12) adds each consumer's active time after its seen time.
std::string StreamPayload(uint8_t type, uint16_t version, std::string_view active_time_hex) {
  std::string p(1, static_cast<char>(type));
  p += kEntriesNode;
  p += Hex(type >= 19 ? "02 02 00 01 01 01 02 03" : "02 02 00");
  p += Hex("01 0167 01 01");
  if (type >= 19) p += Hex("81 ffffffffffffffff");
  p += Hex("01 00000000000000010000000000000001 be0c6d49a2010000 01");
  p += Hex("01 0163 be0c6d49a2010000");
  if (type >= 21) p += Hex(active_time_hex);
  p += Hex("01 00000000000000010000000000000001");
  p.push_back(static_cast<char>(version & 0xff));
  p.push_back(static_cast<char>(version >> 8));
  uint64_t crc = rdb::Crc64(0, p);
  for (int i = 0; i < 8; ++i) p.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return p;
}

}  // namespace

TEST_CASE("streams of every type Redis 5.0 to 8.4 writes, in payloads and files") {
  streams::Value value;
  std::string why;
  // Type 21, RDB 11 and 12: the active time is read.
  for (uint16_t version : {11, 12}) {
    REQUIRE(rdb::ReadPayload(StreamPayload(21, version, "c00c6d49a2010000"), {}, &value, &why) ==
            rdb::PayloadError::kOk);
    const streams::Consumer* c = value.stream()->FindGroup("g")->FindConsumer("c");
    CHECK(c->seen_ms() == 0x01a2496d0cbe);
    CHECK(c->active_ms() == 0x01a2496d0cc0);
  }
  // Never active (Redis 7.2's -1) stays never active.
  REQUIRE(rdb::ReadPayload(StreamPayload(21, 11, "ffffffffffffffff"), {}, &value, &why) ==
          rdb::PayloadError::kOk);
  CHECK(value.stream()->FindGroup("g")->FindConsumer("c")->active_ms() == -1);
  CheckSnapshotLoads(std::move(value));

  // Type 15, RDB 9: Redis's loader defaults for what the type does not carry.
  REQUIRE(rdb::ReadPayload(StreamPayload(15, 9, ""), {}, &value, &why) == rdb::PayloadError::kOk);
  const streams::Stream& s = *value.stream();
  CHECK(s.length() == 2);
  CHECK(s.entries_added() == 2);
  CHECK(s.first_id() == StreamId{1, 1});
  CHECK(s.max_deleted_id() == StreamId{});
  CHECK(s.FindGroup("g")->entries_read() == 1);  // estimated: 1-1 is the first entry
  CHECK(s.FindGroup("g")->FindConsumer("c")->active_ms() == 0x01a2496d0cbe);

  // A type-21 stream inside an RDB 12 file, beside an integer-encoded string with an expiry.
  std::string stream = StreamPayload(21, 12, "c00c6d49a2010000");
  stream.resize(stream.size() - 10);  // the value alone, without the payload footer
  std::string body = Hex("fa 09 72656469732d766572 05 382e342e30");  // redis-ver 8.4.0
  body += Hex("fe 02 fb 02 01");
  body += std::string(1, stream[0]) + Hex("01 73") + stream.substr(1);  // key "s"
  body += Hex("fc 0010a5d4e8000000 00 01 69 c1 d4 fe");                 // i = -300, expiring
  std::string file = "REDIS0012" + body + "\xff";
  uint64_t crc = rdb::Crc64(0, file);
  for (int i = 0; i < 8; ++i) file.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  struct Keep : rdb::RdbVisitor {
    std::vector<std::string> keys;
    bool OnKey(int db, std::string key, int64_t expire, streams::Value v, std::string*) override {
      keys.push_back(std::to_string(db) + ":" + key + ":" + std::to_string(expire) + ":" +
                     (v.stream() ? std::to_string(v.stream()->length()) : *v.string()));
      return true;
    }
    bool OnOtherKey(int, std::string_view, std::string_view, std::string*) override {
      return false;
    }
  } keep;
  rdb::MemorySource source(file);
  rdb::RdbFileInfo info;
  std::string error;
  INFO(error);
  REQUIRE(rdb::ReadRdb(source, {}, keep, &info, &error));
  CHECK(info.version == 12);
  CHECK(keep.keys == std::vector<std::string>{"2:s:-1:2", "2:i:1000000000000:-300"});
}

TEST_CASE("a node whose counts run past its listpack is refused") {
  // A master entry declaring 4 fields in a listpack holding 5 elements in all.
  rdb::ListpackWriter lp;
  lp.AddInt(1);
  lp.AddInt(0);
  lp.AddInt(4);
  lp.AddString("f");
  lp.AddInt(0);
  std::string payload(1, static_cast<char>(rdb::kTypeStreamListpacks2));
  payload += Hex("01 10 00000000000000010000000000000001");
  rdb::WriteString(&payload, lp.Finish());
  payload += Hex("01 01 01 01 01 00 00 01 00");  // length 1 ... no groups
  payload += Hex("0a00") + std::string(8, '\0');
  streams::Value value;
  std::string why;
  CHECK(rdb::ReadPayload(Resealed(payload), {}, &value, &why) == rdb::PayloadError::kBadFormat);
  // An LZF string claiming far more than LZF can expand to is refused before any allocation.
  CHECK(rdb::ReadPayload(
            Resealed(Hex("00 c3 02 80 10000000 01 61") + Hex("0a00") + std::string(8, '\0')), {},
            &value, &why) == rdb::PayloadError::kBadFormat);
}

TEST_CASE("a saved first ID that disagrees with the entries is taken from the entries") {
  std::string body = kStreamPayload.substr(0, kStreamPayload.size() - 10);
  // After the listpack: length 2, last 2-0, then first_id (01 01) -> 01 00 (1-0).
  const std::string meta = Hex("02 02 00 01 01 01 02 03");
  size_t at = body.find(meta);
  REQUIRE(at != std::string::npos);
  body[at + 4] = 0;
  std::string payload = body + kStreamPayload.substr(kStreamPayload.size() - 10);
  payload.resize(payload.size() - 8);
  uint64_t crc = rdb::Crc64(0, payload);
  for (int i = 0; i < 8; ++i) payload.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  streams::Value value;
  std::string why;
  REQUIRE(rdb::ReadPayload(payload, {}, &value, &why) == rdb::PayloadError::kOk);
  CHECK(value.stream()->first_id() == StreamId{1, 1});
  CheckSnapshotLoads(std::move(value));
}

TEST_CASE("damaged payloads are refused or load as a valid stream, never crash") {
  std::string body = kStreamPayload;
  streams::Value value;
  std::string why;
  // Every truncation of the body (the footer kept valid).
  for (size_t cut = 0; cut + 10 < body.size(); ++cut) {
    std::string p = body.substr(0, cut) + body.substr(body.size() - 10);
    CHECK(rdb::ReadPayload(Resealed(p), {}, &value, &why) != rdb::PayloadError::kOk);
  }
  // Every byte of the value changed to a few other values: decoded or refused, no crash.
  for (size_t at = 0; at + 10 < body.size(); ++at) {
    for (int delta : {1, 0x40, 0x80, 0xff}) {
      std::string p = body;
      p[at] = static_cast<char>(p[at] ^ delta);
      if (rdb::ReadPayload(Resealed(p), {}, &value, &why) == rdb::PayloadError::kOk) {
        CheckSnapshotLoads(std::move(value));  // what RESTORE takes always saves and loads
      }
    }
  }
  // A type Runnel does not store says which.
  CHECK(rdb::ReadPayload(Resealed(Hex("0e 01 00 0a00 0000000000000000")), {}, &value, &why) ==
        rdb::PayloadError::kOtherType);
  CHECK(why == "list");
  // So do Redis 8.8's arrays and 8.10's templated hashes, named by their type byte alone.
  CHECK(rdb::ReadPayload(Resealed(Hex("1c 01 0f00 0000000000000000")), {}, &value, &why) ==
        rdb::PayloadError::kOtherType);
  CHECK(why == "array");
  CHECK(rdb::ReadPayload(Resealed(Hex("1f 00 0f00 0000000000000000")), {}, &value, &why) ==
        rdb::PayloadError::kOtherType);
  CHECK(why == "hash");
}

TEST_CASE("random streams go through DUMP and back unchanged") {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 30; ++round) {
    streams::StreamLimits limits{static_cast<uint64_t>(64 + rng() % 512),
                                 static_cast<uint64_t>(1 + rng() % 20)};
    auto s = std::make_unique<streams::Stream>();
    uint64_t ms = 1;
    int n = static_cast<int>(rng() % 400);
    for (int i = 0; i < n; ++i) {
      ms += rng() % 3;
      std::vector<std::string> fv;
      int fields = 1 + static_cast<int>(rng() % 3);
      for (int f = 0; f < fields; ++f) {
        fv.push_back(rng() % 2 ? "f" + std::to_string(f) : "field");
        fv.push_back(rng() % 3 == 0 ? std::to_string(static_cast<int64_t>(rng())) : "value");
      }
      std::vector<std::string_view> views(fv.begin(), fv.end());
      StreamId id{ms, static_cast<uint64_t>(i)};
      s->Append(id, views, limits);
    }
    for (int i = 0; i < n / 5; ++i) s->Delete({1 + rng() % (ms + 1), rng() % (n + 1)}, limits);
    streams::ConsumerGroup* g = s->CreateGroup("g", s->last_id(), n);
    auto [c, created] = g->GetOrCreateConsumer("c1", 1000);
    auto entries = Entries(*s);
    for (size_t i = 0; i < entries.size(); i += 3) {
      g->SetPending(entries[i].first, *c, 5000 + static_cast<int64_t>(i), 1 + i % 4);
    }
    c->set_active_ms(1000);  // type 19 carries no active time: it comes back as the seen time

    const char* refusal;
    std::string payload = rdb::DumpValue(streams::Value(std::move(s)), &refusal);
    REQUIRE(refusal == nullptr);
    streams::Value back;
    std::string why;
    REQUIRE(rdb::ReadPayload(payload, limits, &back, &why) == rdb::PayloadError::kOk);
    const streams::Stream& b = *back.stream();
    CHECK(Entries(b) == entries);
    const streams::ConsumerGroup* bg = b.FindGroup("g");
    REQUIRE(bg != nullptr);
    CHECK(bg->entries_read() == n);
    CHECK(bg->pending() == (entries.size() + 2) / 3);
    CHECK(bg->FindConsumer("c1")->pending() == bg->pending());
    // Writing the decoded stream again gives the same bytes, and it saves and loads.
    CHECK(rdb::DumpValue(back, &refusal) == payload);
    CheckSnapshotLoads(std::move(back));
  }
}

namespace {

struct Collect : rdb::RdbVisitor {
  std::vector<std::string> keys;
  std::vector<std::string> others;
  bool OnKey(int db, std::string key, int64_t expire, streams::Value, std::string*) override {
    keys.push_back(std::to_string(db) + ":" + key + ":" + std::to_string(expire));
    return true;
  }
  bool OnOtherKey(int, std::string_view key, std::string_view type, std::string*) override {
    others.push_back(std::string(key) + ":" + std::string(type));
    return true;
  }
};

std::string File(std::string body) {
  std::string f = "REDIS0010" + body + "\xff";
  uint64_t crc = rdb::Crc64(0, f);
  for (int i = 0; i < 8; ++i) f.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return f;
}

}  // namespace

TEST_CASE("an RDB file's records: AUX, SELECTDB, expiry, other types, checksum") {
  std::string body = Hex("fa 09 72656469732d766572 06 372e302e3135");  // redis-ver 7.0.15
  body += Hex("fe 00 fb 02 01");
  body += Hex("fc 0010a5d4e8000000 00 01 61 01 78");  // a = "x", expiring
  body += Hex("0e 01 6c 01 00");                      // l: a quicklist of nothing
  // Hashes with field expiry (7.4's layouts; the reader does not tie types to versions):
  // h (24): minimum expiry, 2 fields (f1 with a relative TTL, f2 without);
  // x (25): minimum expiry and a listpack; y (22): a field with an absolute 64-bit TTL;
  // z (23): a listpack alone. The listpacks are read through as strings, unparsed.
  body += Hex("18 01 68 0010a5d4e8000000 02 01 02 6631 02 7631 00 02 6632 02 7632");
  body += Hex("19 01 78 0010a5d4e8000000 03 616263");
  body += Hex("16 01 79 01 81 000000e8d4a51000 01 66 01 76");
  body += Hex("17 01 7a 03 646566");
  body += Hex("fe 03 00 01 62 c0 07");  // db 3: b = 7
  Collect c;
  rdb::RdbFileInfo info;
  std::string error;
  const std::string file = File(body);
  rdb::MemorySource source(file);
  INFO(error);
  REQUIRE(rdb::ReadRdb(source, {}, c, &info, &error));
  CHECK(info.version == 10);
  CHECK(info.checksum_checked);
  CHECK(c.keys == std::vector<std::string>{"0:a:1000000000000", "3:b:-1"});
  CHECK(c.others == std::vector<std::string>{"l:list", "h:hash", "x:hash", "y:hash", "z:hash"});

  std::string damaged = File(body);
  damaged[12] ^= 1;
  rdb::MemorySource bad(damaged);
  Collect c2;
  CHECK_FALSE(rdb::ReadRdb(bad, {}, c2, &info, &error));

  const std::string newer_file = std::string("REDIS0016") + "\xff" + std::string(8, '\0');
  rdb::MemorySource newer(newer_file);
  CHECK_FALSE(rdb::ReadRdb(newer, {}, c2, &info, &error));
  CHECK(error.find("version 16") != std::string::npos);

  // Redis 8.10 (RDB 15): plain keys read; its hash templates and array values fail by name.
  for (const auto& [record, reason] : std::vector<std::pair<std::string, std::string>>{
           {"", ""},
           {"f2 01 02 02 6131 02 6132", "hash template records"},
           {"1e 01 68 03 616263", "RDB type 30"},
           {"1c 01 61 01 00", "RDB type 28"},
       }) {
    std::string v15 = "REDIS0015" + Hex("fe 00 fb 01 00 00 01 61 01 78") + Hex(record) + "\xff";
    v15 += std::string(8, '\0');  // no checksum computed
    rdb::MemorySource source15(v15);
    Collect c3;
    CAPTURE(record);
    CHECK(rdb::ReadRdb(source15, {}, c3, &info, &error) == reason.empty());
    if (!reason.empty()) CHECK(error.find(reason) != std::string::npos);
  }
}

namespace {

// The §7.3 entries (1-1 and 2-0 live, 1-2 deleted) followed by Redis 8.8's groups and IDMP
// section, written by the format's rules (rdb-format.md §7.5): group g has delivered up to 2-0;
// its PEL holds 1-1, 1-2 and 2-0; consumer c owns 1-2; XNACK released 2-0 and then 1-1, so
// the NACK zone lists them in that order, with delivery time 0. Producer p1 has iids a (1-1)
// and b (2-0), producer p2 none; 5 iids were added and 1 duplicate seen. `zone` and `idmp`
// replace those parts, to damage them.
std::string Type27Payload(std::string_view zone =
                              "02 00000000000000020000000000000000"
                              "00000000000000010000000000000001",
                          std::string_view idmp =
                              "4064 4032 02 02 7031 02 0161 01 01 0162 02 00"
                              "02 7032 00 05 01") {
  std::string p(1, static_cast<char>(rdb::kTypeStreamListpacks5));
  p += kEntriesNode;
  p += Hex("02 02 00 01 01 01 02 03");  // length, last, first, max deleted, added
  p += Hex("01 0167 02 00 02");         // group g at 2-0, 2 entries read
  p += Hex("03 00000000000000010000000000000001 0000000000000000 02");
  p += Hex("00000000000000010000000000000002 be0c6d49a2010000 01");
  p += Hex("00000000000000020000000000000000 0000000000000000 04");
  p += Hex("01 0163 be0c6d49a2010000 c00c6d49a2010000 01 00000000000000010000000000000002");
  p += Hex(zone);
  p += Hex(idmp);
  p += Hex("0e00") + std::string(8, '\0');
  return Resealed(p);
}

std::vector<StreamId> NackZone(const streams::ConsumerGroup& g) {
  std::vector<StreamId> out;
  for (auto it = g.by_time().Begin(); it.valid() && it.record().delivery_ms < 0; it.Next()) {
    out.push_back(it.record().id);
  }
  return out;
}

}  // namespace

TEST_CASE("Redis 8.6 and 8.8 streams: IDMP producers and the NACK zone, read and written") {
  streams::Value value;
  std::string why;
  INFO(why);
  REQUIRE(rdb::ReadPayload(Type27Payload(), {}, &value, &why) == rdb::PayloadError::kOk);
  const streams::Stream& s = *value.stream();
  const streams::ConsumerGroup& g = *s.FindGroup("g");
  CHECK(g.pending() == 3);
  CHECK(g.nacked() == 2);
  CHECK(NackZone(g) == std::vector<StreamId>{{2, 0}, {1, 1}});
  CHECK(g.FindPending({2, 0})->delivery_count == 4);
  CHECK(streams::ShownDeliveryMs(*g.FindPending({2, 0})) == 0);
  CHECK(g.FindConsumer("c")->pending() == 1);
  CHECK(s.idmp_config() == streams::IdmpConfig{100, 50});
  REQUIRE(s.idmp() != nullptr);
  CHECK(s.idmp()->producers() == 1);  // p2, with no iids left, is not kept
  CHECK(s.idmp()->Find("p1", "a") == StreamId{1, 1});
  CHECK(s.idmp()->Find("p1", "b") == StreamId{2, 0});
  CHECK(s.idmp()->added() == 5);
  CHECK(s.idmp()->duplicates() == 1);

  // Written back as type 27 in an RDB 14 payload, which reads back the same, zone order too.
  const char* refusal;
  std::string again = rdb::DumpValue(value, &refusal);
  REQUIRE(refusal == nullptr);
  CHECK(static_cast<uint8_t>(again[0]) == rdb::kTypeStreamListpacks5);
  CHECK(again.substr(again.size() - 10, 2) == Hex("0e00"));
  streams::Value back;
  REQUIRE(rdb::ReadPayload(again, {}, &back, &why) == rdb::PayloadError::kOk);
  CHECK(NackZone(*back.stream()->FindGroup("g")) == std::vector<StreamId>{{2, 0}, {1, 1}});
  CHECK(back.stream()->idmp()->Find("p1", "b") == StreamId{2, 0});
  CHECK(rdb::DumpValue(back, &refusal) == again);
  CheckSnapshotLoads(std::move(value));

  // With the released entries acknowledged only IDMP state is left: type 26, RDB 13.
  streams::ConsumerGroup* bg = back.stream()->FindGroup("g");
  bg->Ack({2, 0});
  bg->Ack({1, 1});
  std::string idmp_only = rdb::DumpValue(back, &refusal);
  CHECK(static_cast<uint8_t>(idmp_only[0]) == rdb::kTypeStreamListpacks4);
  CHECK(idmp_only.substr(idmp_only.size() - 10, 2) == Hex("0d00"));
  REQUIRE(rdb::ReadPayload(idmp_only, {}, &value, &why) == rdb::PayloadError::kOk);
  CHECK(value.stream()->idmp()->Find("p1", "a") == StreamId{1, 1});
  // With no iids left, the settings and counters still go, as type 26.
  back.stream()->idmp_state().Clear();
  std::string settings_only = rdb::DumpValue(back, &refusal);
  CHECK(static_cast<uint8_t>(settings_only[0]) == rdb::kTypeStreamListpacks4);
  REQUIRE(rdb::ReadPayload(settings_only, {}, &value, &why) == rdb::PayloadError::kOk);
  CHECK(value.stream()->idmp_config() == streams::IdmpConfig{100, 50});
  CHECK(value.stream()->idmp()->added() == 5);
  CHECK(value.stream()->idmp()->iids() == 0);
  // A stream that never used IDMP goes as the RDB 10 payload every Redis from 7.0 restores.
  REQUIRE(rdb::ReadPayload(StreamPayload(21, 12, "c00c6d49a2010000"), {}, &value, &why) ==
          rdb::PayloadError::kOk);
  std::string plain = rdb::DumpValue(value, &refusal);
  CHECK(static_cast<uint8_t>(plain[0]) == rdb::kTypeStreamListpacks2);
  CHECK(plain.substr(plain.size() - 10, 2) == Hex("0a00"));

  // A type-26 payload has no NACK zones: the same stream less its zone reads as 26 only when
  // nothing is left unowned.
  std::string as26 = Type27Payload("");
  as26[0] = static_cast<char>(rdb::kTypeStreamListpacks4);
  CHECK(rdb::ReadPayload(Resealed(as26), {}, &value, &why) == rdb::PayloadError::kBadFormat);
  CHECK(why.find("no consumer") != std::string::npos);

  // Damage the new parts: each is refused with its reason.
  const std::string kId11 = "00000000000000010000000000000001";
  const std::string kId12 = "00000000000000010000000000000002";
  const std::string kId30 = "00000000000000030000000000000000";
  const std::string kId20 = "00000000000000020000000000000000";
  struct Bad {
    std::string zone, idmp, reason;
  };
  const std::string kIdmp = "4064 4032 02 02 7031 02 0161 01 01 0162 02 00 02 7032 00 05 01";
  for (const Bad& b : std::vector<Bad>{
           {"02 " + kId20 + kId30, kIdmp, "NACK zone"},          // not pending
           {"03 " + kId20 + kId11 + kId12, kIdmp, "NACK zone"},  // owned by c
           {"03 " + kId20 + kId11 + kId20, kIdmp, "NACK zone"},  // twice
           {"01 " + kId20, kIdmp, "no consumer"},                // 1-1 left unplaced
           {"02 " + kId20 + kId11, "00 4032 00 00 00", "IDMP settings"},
           {"02 " + kId20 + kId11, "4064 00 00 00 00", "IDMP settings"},  // max 0
           {"02 " + kId20 + kId11, "4064 4032 02 02 7031 01 0161 01 01 02 7031 01 0162 01 01 00 00",
            "repeated"},
           {"02 " + kId20 + kId11, "4064 4032 01 02 7031 02 0161 01 01 0161 02 00 00 00",
            "repeated iid"},
           {"02 " + kId20 + kId11, "4064 4032 01 00 01 0161 01 01 01 00", "without a name"},
       }) {
    CAPTURE(b.zone);
    CAPTURE(b.idmp);
    CHECK(rdb::ReadPayload(Type27Payload(b.zone, b.idmp), {}, &value, &why) ==
          rdb::PayloadError::kBadFormat);
    CHECK(why.find(b.reason) != std::string::npos);
  }

  // What Redis's XIDMPRECORD may leave is taken as Runnel would hold it: of more iids than
  // IDMP-MAXSIZE the newest, and at least as many added as held; counters stop at 2^63-1.
  REQUIRE(rdb::ReadPayload(Type27Payload("02 " + kId20 + kId11,
                                         "4064 01 01 02 7031 02 0161 01 01 0162 02 00 01 00"),
                           {}, &value, &why) == rdb::PayloadError::kOk);
  CHECK(value.stream()->idmp()->iids() == 1);
  CHECK(value.stream()->idmp()->Find("p1", "b") == StreamId{2, 0});
  CHECK(value.stream()->idmp()->added() == 1);
  REQUIRE(rdb::ReadPayload(Type27Payload("02 " + kId20 + kId11,
                                         "4064 4032 00 81 ffffffffffffffff 81 ffffffffffffffff"),
                           {}, &value, &why) == rdb::PayloadError::kOk);
  CHECK(value.stream()->idmp()->added() == static_cast<uint64_t>(INT64_MAX));
  CHECK(value.stream()->idmp()->duplicates() == static_cast<uint64_t>(INT64_MAX));
  value.stream()->idmp_state().CountDuplicate();
  CHECK(value.stream()->idmp()->duplicates() == static_cast<uint64_t>(INT64_MAX));

  // A stream whose IDMP settings are the restoring server's defaults needs no type 26.
  REQUIRE(rdb::ReadPayload(StreamPayload(21, 12, "c00c6d49a2010000"), {}, &value, &why) ==
          rdb::PayloadError::kOk);
  value.stream()->SetIdmpConfig({500, 100});
  CHECK(static_cast<uint8_t>(rdb::DumpValue(value, &refusal)[0]) == rdb::kTypeStreamListpacks4);
  CHECK(static_cast<uint8_t>(rdb::DumpValue(value, &refusal, {500, 100})[0]) ==
        rdb::kTypeStreamListpacks2);
  CHECK(rdb::PayloadHasIdmpSettings(again));
  CHECK_FALSE(rdb::PayloadHasIdmpSettings(plain));

  // In an RDB 14 file, as Redis 8.8 saves it.
  std::string stream = Type27Payload();
  stream.resize(stream.size() - 10);
  std::string file = "REDIS0014" + Hex("fe 00 fb 01 00") + stream.substr(0, 1) + Hex("01 73") +
                     stream.substr(1) + "\xff";
  uint64_t crc = rdb::Crc64(0, file);
  for (int i = 0; i < 8; ++i) file.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  Collect c;
  rdb::RdbFileInfo info;
  std::string error;
  rdb::MemorySource source(file);
  INFO(error);
  REQUIRE(rdb::ReadRdb(source, {}, c, &info, &error));
  CHECK(info.version == 14);
  CHECK(c.keys == std::vector<std::string>{"0:s:-1"});
}
