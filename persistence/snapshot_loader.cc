// Loading a snapshot, a few sections per step, checking everything the format allows to be
// wrong (snapshot_format.h); what fails names the offset at fault.
#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "persistence/snapshot.h"
#include "persistence/snapshot_format.h"
#include "streams/varint.h"

namespace runnel::persistence {
namespace {

using namespace snapshot_format;  // NOLINT: the format's own vocabulary
using streams::ConsumerGroup;
using streams::Database;
using streams::EntryBlock;
using streams::Stream;
using streams::StreamId;
using streams::Value;

// ---- Loading helpers ------------------------------------------------------------------------

// Bounds-checked decoding of one payload. Every getter returns false, and leaves the position
// where decoding failed, when the bytes run out or do not decode.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view p)
      : begin_(reinterpret_cast<const uint8_t*>(p.data())), p_(begin_), end_(begin_ + p.size()) {}

  bool empty() const { return p_ == end_; }
  size_t position() const { return static_cast<size_t>(p_ - begin_); }

  bool Varint(uint64_t* v) {
    const uint8_t* q = streams::GetVarintChecked(p_, end_, v);
    if (q == nullptr) return false;
    p_ = q;
    return true;
  }
  bool Signed(int64_t* v) {
    uint64_t u;
    if (!Varint(&u)) return false;
    *v = streams::UnZigZag(u);
    return true;
  }
  bool Id(StreamId* id) { return Varint(&id->ms) && Varint(&id->seq); }
  bool Bytes(std::string_view* s) {
    const uint8_t* start = p_;
    uint64_t n;
    if (!Varint(&n)) return false;
    if (n > static_cast<uint64_t>(end_ - p_)) {
      p_ = start;
      return false;
    }
    *s = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }

 private:
  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace

// ---- Loading --------------------------------------------------------------------------------

namespace {

// Reads exactly n bytes into *out, in chunks, so a huge n from a damaged length allocates only
// as the bytes actually arrive.
bool ReadExact(ByteSource& in, uint64_t n, std::string* out, std::string* chunk) {
  out->clear();
  if (n <= kReadChunk) return in.Read(n, out) && out->size() == n;
  out->reserve(kReadChunk);
  while (out->size() < n) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(kReadChunk, n - out->size()));
    chunk->clear();
    if (!in.Read(want, chunk) || chunk->size() != want) return false;
    out->append(*chunk);
  }
  return true;
}

}  // namespace

// The parse position and the logic of loading. A nested class, so it fills the loader's
// fields directly; every failure goes through Fail, which names the file offset at fault.
struct SnapshotLoader::State {
  enum class Phase { kHeader, kInfo, kBody, kDone, kError };

  explicit State(SnapshotLoader& l) : loader(l), offset(l.in_.offset()) {}

  SnapshotLoader& loader;
  Phase phase = Phase::kHeader;
  HashState file_hash = NewHashState();
  uint64_t offset;       // file offset of the next byte to read
  uint64_t section = 0;  // file offset of the section being handled
  uint8_t kind = 0;      // and its kind
  std::string head, payload, chunk;

  // The database being filled.
  int db = -1;
  uint64_t db_offset = 0, db_declared = 0, db_loaded = 0;

  // The stream being assembled; it joins the keyspace after its last section and checks.
  std::unique_ptr<Stream> stream;
  std::string key;
  int64_t expire_ms = -1;
  uint64_t length = 0, blocks_left = 0, groups_left = 0, idmp_left = 0, stream_offset = 0;
  uint64_t schedule_left = 0, schedule_next_seq = 0;
  StreamId schedule_last;  // the last scheduled entry loaded (they come in handle order)
  uint64_t version = 0;
  bool StreamComplete() const {
    return blocks_left == 0 && groups_left == 0 && idmp_left == 0 && schedule_left == 0;
  }

  bool Fail(uint64_t at, const std::string& what) {
    loader.error_ = "offset " + std::to_string(at) + ": " + what;
    phase = Phase::kError;
    return false;
  }
  bool Malformed(const PayloadReader& r) {
    return Fail(section, std::string("malformed ") + KindName(kind) + " section at payload byte " +
                             std::to_string(r.position()));
  }
  bool Done(const PayloadReader& r) {
    if (r.empty()) return true;
    return Fail(section, std::to_string(payload.size() - r.position()) +
                             " unexpected bytes at the end of the " + KindName(kind) + " section");
  }
  std::string StreamName() const { return "stream " + Quote(key) + ": "; }
  bool Read(uint64_t n, std::string* out) {
    if (!ReadExact(loader.in_, n, out, &chunk)) return false;
    offset += n;
    return true;
  }

  bool ReadHeader();
  bool NextSection();
  bool ReadEnd(uint64_t payload_length);
  bool Dispatch();
  bool LoadInfo(PayloadReader& r);
  bool LoadDatabase(PayloadReader& r);
  bool FinishDatabase();
  bool LoadString(PayloadReader& r);
  bool AddKey(std::string_view name, Value value, int64_t expire, uint64_t at);
  bool LoadStreamHeader(PayloadReader& r);
  bool LoadBlocks(PayloadReader& r);
  bool LoadGroup(PayloadReader& r);
  bool LoadIdmp(PayloadReader& r);
  bool LoadConsumers(PayloadReader& r, ConsumerGroup& g, const std::string& what,
                     std::vector<streams::Consumer*>* out);
  bool LoadPending(PayloadReader& r, ConsumerGroup& g, const std::string& what,
                   const std::vector<streams::Consumer*>& consumers);
  bool LoadPolicy(PayloadReader& r, ConsumerGroup& g, const std::string& what);
  // The stream header's version-4 fields: retention, and the delayed entries' counter and count.
  struct RunnelHeader {
    streams::Retention retention;  // refs is set from `refs` by CheckRunnelHeader
    uint64_t refs = 0, next_seq = 0, scheduled = 0;
  };
  static bool ReadRunnelHeader(PayloadReader& r, RunnelHeader* h);
  bool CheckRunnelHeader(RunnelHeader& h);
  bool LoadSchedule(PayloadReader& r);
  bool FinishStream();
};

SnapshotLoader::SnapshotLoader(ByteSource& in, streams::Keyspace& into)
    : in_(in), into_(into), state_(std::make_unique<State>(*this)) {}

SnapshotLoader::~SnapshotLoader() = default;

uint64_t SnapshotLoader::offset() const { return state_->offset; }

SnapshotLoader::Status SnapshotLoader::Step(size_t max_sections) {
  State& s = *state_;
  using Phase = State::Phase;
  if (s.phase == Phase::kHeader) s.ReadHeader();
  for (size_t i = 0; i < max_sections && (s.phase == Phase::kInfo || s.phase == Phase::kBody);
       ++i) {
    s.NextSection();
  }
  if (s.phase == Phase::kDone) return Status::kDone;
  if (s.phase == Phase::kError) return Status::kError;
  return Status::kMore;
}

bool SnapshotLoader::State::ReadHeader() {
  section = offset;
  if (loader.into_.TotalKeys() != 0) return Fail(offset, "the keyspace to load into is not empty");
  if (!Read(kHeaderSize, &head)) return Fail(section, "too short for a snapshot file header");
  if (std::memcmp(head.data(), kMagic, sizeof(kMagic)) != 0) {
    return Fail(section, "not a Runnel snapshot (bad magic)");
  }
  version = GetFixed(head.data() + sizeof(kMagic), 4);
  if (version < kOldestSnapshotVersion || version > kSnapshotVersion) {
    return Fail(section, "snapshot version " + std::to_string(version) +
                             " is not supported (this build reads " +
                             std::to_string(kSnapshotVersion) + ")");
  }
  XXH64_update(file_hash.get(), head.data(), head.size());
  phase = Phase::kInfo;
  return true;
}

bool SnapshotLoader::State::NextSection() {
  section = offset;
  if (!Read(kSectionHeaderSize, &head))
    return Fail(section, "the file ends without an end section");
  kind = static_cast<uint8_t>(head[0]);
  uint64_t payload_length = GetFixed(head.data() + 1, 8);
  const char* name = KindName(kind);
  if (name == nullptr) {
    static constexpr char kHex[] = "0123456789abcdef";
    return Fail(section,
                std::string("unknown section kind 0x") + kHex[kind >> 4] + kHex[kind & 15]);
  }
  if (kind == kEnd) return ReadEnd(payload_length);
  XXH64_update(file_hash.get(), head.data(), head.size());
  if (!Read(payload_length, &payload)) {
    return Fail(section, std::string(name) + " section of " + std::to_string(payload_length) +
                             " bytes runs past the end of the file");
  }
  if (!Read(8, &head)) return Fail(section, std::string(name) + " section's checksum is cut off");
  XXH64_update(file_hash.get(), payload.data(), payload.size());
  XXH64_update(file_hash.get(), head.data(), head.size());
  if (GetFixed(head.data(), 8) != Hash(payload)) {
    return Fail(section, std::string("checksum mismatch in the ") + name + " section");
  }
  bool ok = Dispatch();
  if (payload.capacity() > kKeepBuffer) std::string().swap(payload);
  return ok;
}

bool SnapshotLoader::State::ReadEnd(uint64_t payload_length) {
  if (phase == Phase::kInfo) return Fail(section, "the end section comes before the info section");
  if (stream) {
    return Fail(section, "the file ends inside " + StreamName() + std::to_string(blocks_left) +
                             " blocks and " + std::to_string(groups_left) + " groups missing");
  }
  if (!FinishDatabase()) return false;
  if (payload_length != 8) {
    return Fail(section, "end section of length " + std::to_string(payload_length) + ", not 8");
  }
  if (!Read(16, &head)) return Fail(section, "the end section is cut off");
  std::string_view digest(head.data(), 8);
  if (GetFixed(head.data() + 8, 8) != Hash(digest)) {
    return Fail(section, "checksum mismatch in the end section");
  }
  if (GetFixed(head.data(), 8) != XXH64_digest(file_hash.get())) {
    return Fail(section, "whole-file checksum mismatch");
  }
  chunk.clear();
  if (loader.in_.Read(1, &chunk)) return Fail(offset, "bytes follow the end section");
  phase = Phase::kDone;
  return true;
}

bool SnapshotLoader::State::Dispatch() {
  PayloadReader r(payload);
  std::string found = std::string(", found a ") + KindName(kind) + " section";
  if (phase == Phase::kInfo) {
    if (kind != kInfo) return Fail(section, "expected the info section first" + found);
    return LoadInfo(r);
  }
  if (stream) {
    Kind want = blocks_left > 0   ? kStreamBlocks
                : groups_left > 0 ? kGroup
                : idmp_left > 0   ? kStreamIdmp
                                  : kStreamSchedule;
    if (kind != want) {
      return Fail(section, StreamName() + "expected a " + KindName(want) + " section" + found);
    }
    if (want == kStreamIdmp) return LoadIdmp(r);
    if (want == kStreamSchedule) return LoadSchedule(r);
    return want == kStreamBlocks ? LoadBlocks(r) : LoadGroup(r);
  }
  switch (kind) {
    case kDatabase:
      return LoadDatabase(r);
    case kString:
    case kStreamHeader:
      if (db < 0) return Fail(section, "a key comes before any database section");
      return kind == kString ? LoadString(r) : LoadStreamHeader(r);
    default:
      return Fail(section, std::string("a ") + KindName(kind) + " section out of place");
  }
}

bool SnapshotLoader::State::LoadInfo(PayloadReader& r) {
  SnapshotInfo info;
  if (!r.Signed(&info.created_ms) || !r.Varint(&info.next_log_sequence)) return Malformed(r);
  if (!Done(r)) return false;
  loader.info_ = info;
  phase = Phase::kBody;
  return true;
}

bool SnapshotLoader::State::LoadDatabase(PayloadReader& r) {
  uint64_t index, count;
  if (!r.Varint(&index) || !r.Varint(&count)) return Malformed(r);
  if (!Done(r) || !FinishDatabase()) return false;
  auto databases = static_cast<uint64_t>(loader.into_.size());
  if (index >= databases) {
    return Fail(section, "database " + std::to_string(index) + " is beyond the " +
                             std::to_string(databases) + " databases configured");
  }
  if (db >= 0 && index <= static_cast<uint64_t>(db)) {
    return Fail(section,
                "database " + std::to_string(index) + " follows database " + std::to_string(db));
  }
  db = static_cast<int>(index);
  db_offset = section;
  db_declared = count;
  db_loaded = 0;
  return true;
}

bool SnapshotLoader::State::FinishDatabase() {
  if (db < 0 || db_loaded == db_declared) return true;
  return Fail(db_offset, "database " + std::to_string(db) + " declares " +
                             std::to_string(db_declared) + " keys, the file holds " +
                             std::to_string(db_loaded));
}

bool SnapshotLoader::State::LoadString(PayloadReader& r) {
  std::string_view name, value;
  int64_t expire;
  if (!r.Bytes(&name) || !r.Signed(&expire) || !r.Bytes(&value)) return Malformed(r);
  if (!Done(r)) return false;
  if (expire < -1) {
    return Fail(section, "key " + Quote(name) + " has expiry time " + std::to_string(expire));
  }
  return AddKey(name, Value(std::string(value)), expire, section);
}

bool SnapshotLoader::State::AddKey(std::string_view name, Value value, int64_t expire,
                                   uint64_t at) {
  Database& d = loader.into_.db(db);
  if (d.Peek(name) != nullptr) {
    return Fail(at, "duplicate key " + Quote(name) + " in database " + std::to_string(db));
  }
  Database::Node* node = d.Set(name, std::move(value));
  if (expire >= 0) d.SetExpire(node, expire);
  ++loader.keys_loaded_;
  ++db_loaded;
  return true;
}

bool SnapshotLoader::State::ReadRunnelHeader(PayloadReader& r, RunnelHeader* h) {
  return r.Signed(&h->retention.max_age_ms) && r.Varint(&h->retention.maxlen) &&
         r.Varint(&h->refs) && r.Varint(&h->next_seq) && r.Varint(&h->scheduled);
}

bool SnapshotLoader::State::CheckRunnelHeader(RunnelHeader& h) {
  streams::Retention& retention = h.retention;
  if (retention.max_age_ms < 0 || retention.max_age_ms > streams::kRetentionMaxAgeMs ||
      retention.maxlen > INT64_MAX || h.refs > 1) {
    return Fail(section, StreamName() + "retention " + std::to_string(retention.max_age_ms) + "/" +
                             std::to_string(retention.maxlen) + "/" + std::to_string(h.refs));
  }
  retention.refs = h.refs == 1 ? streams::RefPolicy::kAcked : streams::RefPolicy::kKeepRef;
  if (h.scheduled > h.next_seq || h.next_seq > streams::kMaxScheduleSeq) {
    return Fail(section, StreamName() + std::to_string(h.scheduled) +
                             " scheduled entries with a counter at " + std::to_string(h.next_seq));
  }
  return true;
}

bool SnapshotLoader::State::LoadStreamHeader(PayloadReader& r) {
  std::string_view name;
  uint64_t added, blocks, groups;
  StreamId last, first, max_deleted;
  if (!r.Bytes(&name) || !r.Signed(&expire_ms) || !r.Varint(&length) || !r.Varint(&added) ||
      !r.Id(&last) || !r.Id(&first) || !r.Id(&max_deleted) || !r.Varint(&blocks) ||
      !r.Varint(&groups)) {
    return Malformed(r);
  }
  streams::IdmpConfig idmp;
  uint64_t idmp_sections = 0;
  if (version >= 2 &&
      (!r.Signed(&idmp.duration_s) || !r.Signed(&idmp.maxsize) || !r.Varint(&idmp_sections))) {
    return Malformed(r);
  }
  RunnelHeader runnel;
  if (version >= 4 && !ReadRunnelHeader(r, &runnel)) return Malformed(r);
  if (!Done(r)) return false;
  key.assign(name);
  if (expire_ms < -1) {
    return Fail(section, StreamName() + "expiry time " + std::to_string(expire_ms));
  }
  if (loader.into_.db(db).Peek(key) != nullptr) {
    return Fail(section, "duplicate key " + Quote(key) + " in database " + std::to_string(db));
  }
  if (added < length) {
    return Fail(section, StreamName() + "entries_added " + std::to_string(added) +
                             " is below its length " + std::to_string(length));
  }
  if (max_deleted > last) {
    return Fail(section, StreamName() + "max_deleted_id " + max_deleted.ToString() +
                             " is above its last ID " + last.ToString());
  }
  if (blocks > length) {
    return Fail(section, StreamName() + std::to_string(blocks) + " blocks cannot hold " +
                             std::to_string(length) + " entries");
  }
  if (idmp.duration_s < 1 || idmp.duration_s > streams::kIdmpMaxDuration || idmp.maxsize < 1 ||
      idmp.maxsize > streams::kIdmpMaxMaxSize || idmp_sections > 1) {
    return Fail(section, StreamName() + "IDMP settings " + std::to_string(idmp.duration_s) + "/" +
                             std::to_string(idmp.maxsize) + " with " +
                             std::to_string(idmp_sections) + " states");
  }
  if (!CheckRunnelHeader(runnel)) return false;
  stream = std::make_unique<Stream>();
  stream->RestoreMetadata(last, first, max_deleted, added);
  stream->SetIdmpConfig(idmp);
  stream->set_retention(runnel.retention);
  if (runnel.next_seq > 0) stream->mutable_schedule().RestoreNextSeq(runnel.next_seq);
  blocks_left = blocks;
  groups_left = groups;
  idmp_left = idmp_sections;
  schedule_left = runnel.scheduled;
  schedule_next_seq = runnel.next_seq;
  stream_offset = section;
  return StreamComplete() ? FinishStream() : true;
}

bool SnapshotLoader::State::LoadBlocks(PayloadReader& r) {
  if (r.empty()) return Fail(section, StreamName() + "empty stream-blocks section");
  std::string why;
  while (!r.empty()) {
    StreamId master;
    std::string_view bytes;
    if (!r.Id(&master) || !r.Bytes(&bytes)) return Malformed(r);
    if (blocks_left == 0) return Fail(section, StreamName() + "more blocks than its header says");
    std::unique_ptr<EntryBlock> block = EntryBlock::FromBytes(master, bytes, &why);
    if (block == nullptr || !stream->RestoreBlock(std::move(block), &why)) {
      return Fail(section, StreamName() + why);
    }
    --blocks_left;
  }
  return StreamComplete() ? FinishStream() : true;
}

bool SnapshotLoader::State::LoadGroup(PayloadReader& r) {
  std::string_view name;
  StreamId last_delivered;
  int64_t entries_read;
  if (!r.Bytes(&name) || !r.Id(&last_delivered) || !r.Signed(&entries_read)) {
    return Malformed(r);
  }
  std::string what = StreamName() + "group " + Quote(name) + ": ";
  if (entries_read < streams::kUnknownEntriesRead) {
    return Fail(section, what + "entries_read " + std::to_string(entries_read));
  }
  ConsumerGroup* group = stream->CreateGroup(name, last_delivered, entries_read);
  if (group == nullptr) return Fail(section, StreamName() + "duplicate group " + Quote(name));
  std::vector<streams::Consumer*> consumers;
  if (!LoadConsumers(r, *group, what, &consumers) || !LoadPending(r, *group, what, consumers) ||
      (version >= 3 && !LoadPolicy(r, *group, what)) || !Done(r)) {
    return false;
  }
  if (!group->policy().empty()) loader.into_.db(db).TrackTimed(key);  // for the cron
  --groups_left;
  return StreamComplete() ? FinishStream() : true;
}

bool SnapshotLoader::State::LoadIdmp(PayloadReader& r) {
  uint64_t added, duplicates, producers;
  if (!r.Varint(&added) || !r.Varint(&duplicates) || !r.Varint(&producers)) return Malformed(r);
  streams::IdmpState& idmp = stream->idmp_state();
  idmp.RestoreCounters(added, duplicates);
  for (uint64_t p = 0; p < producers; ++p) {
    std::string_view pid;
    uint64_t n;
    if (!r.Bytes(&pid) || !r.Varint(&n)) return Malformed(r);
    if (pid.empty() || n == 0 || idmp.producers() != p) {
      return Fail(section,
                  StreamName() + "IDMP producer " + Quote(pid) + " is empty, unnamed or repeated");
    }
    for (uint64_t i = 0; i < n; ++i) {
      std::string_view iid;
      StreamId id;
      if (!r.Bytes(&iid) || !r.Id(&id)) return Malformed(r);
      if (iid.empty() || idmp.Find(pid, iid)) {
        return Fail(section,
                    StreamName() + "IDMP producer " + Quote(pid) + " has an empty or repeated iid");
      }
      idmp.Restore(pid, iid, id);
    }
  }
  if (idmp.producers() != producers) {
    return Fail(section, StreamName() + "an IDMP producer is repeated");
  }
  if (!Done(r)) return false;
  --idmp_left;
  return StreamComplete() ? FinishStream() : true;
}

bool SnapshotLoader::State::LoadConsumers(PayloadReader& r, ConsumerGroup& g,
                                          const std::string& what,
                                          std::vector<streams::Consumer*>* out) {
  uint64_t count;
  if (!r.Varint(&count)) return Malformed(r);
  // `out` grows only as consumers are actually decoded, whatever `count` says.
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view name;
    int64_t seen, active;
    if (!r.Bytes(&name) || !r.Signed(&seen) || !r.Signed(&active)) return Malformed(r);
    auto [consumer, created] = g.GetOrCreateConsumer(name, seen);
    if (!created) return Fail(section, what + "duplicate consumer " + Quote(name));
    consumer->set_active_ms(active);
    out->push_back(consumer);
  }
  return true;
}

bool SnapshotLoader::State::LoadPending(PayloadReader& r, ConsumerGroup& g, const std::string& what,
                                        const std::vector<streams::Consumer*>& consumers) {
  uint64_t count;
  if (!r.Varint(&count)) return Malformed(r);
  StreamId prev;
  int64_t prev_time = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t dms, second, deliveries, owner;
    int64_t dtime;
    if (!r.Varint(&dms) || !r.Varint(&second) || !r.Signed(&dtime) || !r.Varint(&deliveries) ||
        !r.Varint(&owner)) {
      return Malformed(r);
    }
    StreamId id = dms == 0 ? StreamId{prev.ms, prev.seq + second} : StreamId{prev.ms + dms, second};
    if (id < prev)
      return Fail(section, what + "pending IDs do not increase after " + prev.ToString());
    if (i > 0 && id == prev) {
      return Fail(section, what + "pending ID " + id.ToString() + " appears twice");
    }
    auto time =
        static_cast<int64_t>(static_cast<uint64_t>(prev_time) + static_cast<uint64_t>(dtime));
    if (owner > consumers.size()) {
      return Fail(section, what + "pending entry " + id.ToString() + " belongs to consumer #" +
                               std::to_string(owner) + ", the group has " +
                               std::to_string(consumers.size()));
    }
    bool unowned = owner == consumers.size();
    // An owned entry has a real time; an unowned one a NACK-zone ticket (consumer_group.h).
    if (unowned ? (time >= 0 || time < streams::kNackZoneBase) : time < 0) {
      return Fail(section, what + "pending entry " + id.ToString() + " has delivery time " +
                               std::to_string(time));
    }
    if (unowned) {
      g.RestoreUnowned(id, time, deliveries);
    } else {
      g.SetPending(id, *consumers[owner], time, deliveries);
    }
    prev = id;
    prev_time = time;
  }
  return true;
}

bool SnapshotLoader::State::LoadPolicy(PayloadReader& r, ConsumerGroup& g,
                                       const std::string& what) {
  uint64_t count;
  if (!r.Varint(&count)) return Malformed(r);
  std::vector<std::string_view> args;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view arg;
    if (!r.Bytes(&arg)) return Malformed(r);
    args.push_back(arg);
  }
  streams::GroupPolicy policy;
  size_t at = 0;
  if (streams::ParsePolicy(args, /*key=*/{}, &policy, &at) != streams::PolicyError::kOk) {
    return Fail(section, what + "its policy does not parse at " +
                             Quote(args.empty() ? std::string_view() : args[at]));
  }
  g.set_policy(std::move(policy));
  streams::GroupCounters& c = g.counters();
  if (!r.Varint(&c.dead_lettered) || !r.Varint(&c.dead_letter_failures) ||
      !r.Varint(&c.consumers_expired)) {
    return Malformed(r);
  }
  return true;
}

bool SnapshotLoader::State::LoadSchedule(PayloadReader& r) {
  if (r.empty()) return Fail(section, StreamName() + "empty stream-schedule section");
  streams::Schedule& schedule = stream->mutable_schedule();
  std::vector<std::string_view> fields;
  while (!r.empty()) {
    StreamId handle;
    std::string_view payload;
    if (!r.Id(&handle) || !r.Bytes(&payload)) return Malformed(r);
    if (schedule_left == 0) {
      return Fail(section, StreamName() + "more scheduled entries than its header says");
    }
    if (handle.ms > static_cast<uint64_t>(streams::kMaxScheduleMs) ||
        handle.seq >= schedule_next_seq || !streams::Schedule::DecodeFields(payload, &fields)) {
      return Fail(section, StreamName() + "scheduled entry " + handle.ToString() +
                               " has a bad handle or fields");
    }
    if (schedule.size() > 0 && handle <= schedule_last) {
      return Fail(section,
                  StreamName() + "scheduled entry " + handle.ToString() + " is out of order");
    }
    schedule.Restore(handle, std::string(payload));
    schedule_last = handle;
    --schedule_left;
  }
  return StreamComplete() ? FinishStream() : true;
}

bool SnapshotLoader::State::FinishStream() {
  const Stream& s = *stream;
  uint64_t at = stream_offset;
  if (s.length() != length) {
    return Fail(at, StreamName() + "its header says length " + std::to_string(length) +
                        ", its blocks hold " + std::to_string(s.length()) + " entries");
  }
  if (std::optional<StreamId> top = s.LastLiveId(); top && *top > s.last_id()) {
    return Fail(at, StreamName() + "entry " + top->ToString() + " is above its last ID " +
                        s.last_id().ToString());
  }
  StreamId first = StreamId::Min();
  if (Stream::Iterator it = s.Range(StreamId::Min(), StreamId::Max(), false); it.Next()) {
    first = it.id();
  }
  if (first != s.first_id()) {
    return Fail(at, StreamName() + "first_id " + s.first_id().ToString() +
                        " is not its first entry's ID " + first.ToString());
  }
  std::string why;
  for (const auto& [name, group] : s.groups()) {
    if (!group->CheckInvariants(&why)) {
      return Fail(at, StreamName() + "group " + Quote(name) + ": " + why);
    }
  }
  std::string name = std::move(key);
  return AddKey(name, Value(std::move(stream)), expire_ms, at);  // Set tracks its iids
}

}  // namespace runnel::persistence
