// Writing a snapshot: the keyspace, section by section, in the format snapshot_format.h
// describes.
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

// ---- Writing --------------------------------------------------------------------------------

// Builds sections in place in one buffer (no payload is copied twice) and hands the buffer to
// the sink in large writes, hashing every byte that goes out for the end section.
class Writer {
 public:
  Writer(ByteSink& out, std::string* error) : out_(out), error_(error), hash_(NewHashState()) {}

  bool ok() const { return ok_; }
  std::string& buf() { return buf_; }
  size_t payload_size() const { return buf_.size() - section_ - kSectionHeaderSize; }

  void Begin(Kind kind) {
    section_ = buf_.size();
    buf_.push_back(static_cast<char>(kind));
    buf_.append(8, '\0');
  }
  void End() {
    size_t payload_at = section_ + kSectionHeaderSize;
    std::string_view payload(buf_.data() + payload_at, buf_.size() - payload_at);
    uint64_t checksum = Hash(payload);
    std::string length;
    PutFixed(&length, payload.size(), 8);
    buf_.replace(section_ + 1, 8, length);
    PutFixed(&buf_, checksum, 8);
    if (buf_.size() >= kFlushAt) Flush();
  }
  // Writes the end section after everything else.
  bool Finish() {
    Flush();
    std::string end;
    PutFixed(&end, XXH64_digest(hash_.get()), 8);
    std::string section(1, static_cast<char>(kEnd));
    PutFixed(&section, 8, 8);
    section += end;
    PutFixed(&section, Hash(end), 8);
    Write(section);
    return ok_;
  }

 private:
  void Flush() {
    XXH64_update(hash_.get(), buf_.data(), buf_.size());
    Write(buf_);
    buf_.clear();
  }
  void Write(std::string_view bytes) {
    if (ok_ && !bytes.empty() && !out_.Write(bytes)) {
      ok_ = false;
      if (error_->empty()) *error_ = "snapshot: writing to the sink failed";
    }
  }

  ByteSink& out_;
  std::string* error_;
  HashState hash_;
  std::string buf_;
  size_t section_ = 0;  // where the open section starts in buf_
  bool ok_ = true;
};

void WriteGroup(Writer& w, std::string_view name, const ConsumerGroup& group) {
  std::string& b = w.buf();
  w.Begin(kGroup);
  PutBytes(&b, name);
  PutId(&b, group.last_delivered());
  PutSigned(&b, group.entries_read());
  streams::AppendVarint(&b, group.consumers().size());
  // Owners are written as positions in this list, not as the in-memory slot indexes (which
  // may have holes).
  std::vector<uint32_t> position;
  uint32_t next = 0;
  for (const auto& [cname, c] : group.consumers()) {
    if (c->index() >= position.size()) position.resize(c->index() + 1);
    position[c->index()] = next++;
    PutBytes(&b, cname);
    PutSigned(&b, c->seen_ms());
    PutSigned(&b, c->active_ms());
  }
  streams::AppendVarint(&b, group.pending());
  StreamId prev;
  int64_t prev_time = 0;
  group.pel().ForEach([&](const streams::PendingRecord& r) {
    uint64_t dms = r.id.ms - prev.ms;
    streams::AppendVarint(&b, dms);
    streams::AppendVarint(&b, dms == 0 ? r.id.seq - prev.seq : r.id.seq);
    PutSigned(&b, static_cast<int64_t>(static_cast<uint64_t>(r.delivery_ms) -
                                       static_cast<uint64_t>(prev_time)));
    streams::AppendVarint(&b, r.delivery_count);
    // An unowned entry (XNACK) names the position one past the last consumer.
    streams::AppendVarint(&b,
                          streams::IsUnowned(r) ? group.consumers().size() : position[r.consumer]);
    prev = r.id;
    prev_time = r.delivery_ms;
  });
  // Since version 3: the group's policy, as XGROUP SETPOLICY's arguments (none when it has
  // none), and its counters.
  std::vector<std::string> policy;
  if (!group.policy().empty()) policy = streams::PolicyArgs(group.policy());
  streams::AppendVarint(&b, policy.size());
  for (const std::string& arg : policy) PutBytes(&b, arg);
  streams::AppendVarint(&b, group.counters().dead_lettered);
  streams::AppendVarint(&b, group.counters().dead_letter_failures);
  streams::AppendVarint(&b, group.counters().consumers_expired);
  w.End();
}

void WriteIdmp(Writer& w, const streams::IdmpState& idmp) {
  std::string& b = w.buf();
  w.Begin(kStreamIdmp);
  streams::AppendVarint(&b, idmp.added());
  streams::AppendVarint(&b, idmp.duplicates());
  streams::AppendVarint(&b, idmp.producers());
  idmp.ForEachProducer([&](std::string_view pid, const streams::IdmpState::Producer& p) {
    PutBytes(&b, pid);
    streams::AppendVarint(&b, p.size());
    p.ForEachIid([&](std::string_view iid, StreamId id) {
      PutBytes(&b, iid);
      PutId(&b, id);
    });
  });
  w.End();
}

void WriteSchedule(Writer& w, const streams::Schedule& schedule) {
  std::string& b = w.buf();
  bool open = false;
  schedule.ForEach([&](const streams::ScheduledEntry& e) {
    if (!open) w.Begin(kStreamSchedule);
    open = true;
    PutId(&b, e.handle);
    PutBytes(&b, e.payload);
    if (w.payload_size() >= kBlocksSectionTarget) {
      w.End();
      open = false;
    }
  });
  if (open) w.End();
}

void WriteStream(Writer& w, std::string_view key, int64_t expire_ms, const Stream& s) {
  std::string& b = w.buf();
  w.Begin(kStreamHeader);
  PutBytes(&b, key);
  PutSigned(&b, expire_ms);
  streams::AppendVarint(&b, s.length());
  streams::AppendVarint(&b, s.entries_added());
  PutId(&b, s.last_id());
  PutId(&b, s.first_id());
  PutId(&b, s.max_deleted_id());
  streams::AppendVarint(&b, s.block_count());
  streams::AppendVarint(&b, s.groups().size());
  PutSigned(&b, s.idmp_config().duration_s);
  PutSigned(&b, s.idmp_config().maxsize);
  const streams::IdmpState* idmp = s.idmp();
  bool idmp_section = idmp != nullptr && (!idmp->empty() || idmp->added() || idmp->duplicates());
  streams::AppendVarint(&b, idmp_section ? 1 : 0);
  PutSigned(&b, s.retention().max_age_ms);
  streams::AppendVarint(&b, s.retention().maxlen);
  streams::AppendVarint(&b, s.retention().refs == streams::RefPolicy::kAcked ? 1 : 0);
  const streams::Schedule* schedule = s.schedule();
  streams::AppendVarint(&b, schedule ? schedule->next_seq() : 0);
  streams::AppendVarint(&b, s.scheduled());
  w.End();

  bool open = false;
  s.blocks().ForEach([&](const Stream::BlockTree::Entry& e) {
    if (!open) w.Begin(kStreamBlocks);
    open = true;
    PutId(&b, e.value->master_id());
    PutBytes(&b, e.value->raw());
    if (w.payload_size() >= kBlocksSectionTarget) {
      w.End();
      open = false;
    }
  });
  if (open) w.End();
  for (const auto& [name, group] : s.groups()) WriteGroup(w, name, *group);
  if (idmp_section) WriteIdmp(w, *idmp);
  if (schedule != nullptr && !schedule->empty()) WriteSchedule(w, *schedule);
}

}  // namespace

bool WriteSnapshot(const streams::Keyspace& keyspace, const SnapshotInfo& info, ByteSink& out,
                   std::string* error) {
  error->clear();
  Writer w(out, error);
  std::string& b = w.buf();
  b.append(kMagic, sizeof(kMagic));
  PutFixed(&b, kSnapshotVersion, 4);
  w.Begin(kInfo);
  PutSigned(&b, info.created_ms);
  streams::AppendVarint(&b, info.next_log_sequence);
  w.End();
  for (int i = 0; i < keyspace.size() && w.ok(); ++i) {
    const Database& db = keyspace.db(i);
    if (db.size() == 0) continue;
    w.Begin(kDatabase);
    streams::AppendVarint(&b, static_cast<uint64_t>(i));
    streams::AppendVarint(&b, db.size());
    w.End();
    db.ForEach([&](const Database::Node& node) {
      if (!w.ok()) return;
      const streams::Record& rec = node.value;
      if (const std::string* s = rec.value.string()) {
        w.Begin(kString);
        PutBytes(&b, node.key);
        PutSigned(&b, rec.expire_ms);
        PutBytes(&b, *s);
        w.End();
      } else {
        WriteStream(w, node.key, rec.expire_ms, *rec.value.stream());
      }
    });
  }
  return w.Finish();
}

}  // namespace runnel::persistence
