#include "streams/stream.h"

#include <algorithm>
#include <array>

namespace runnel::streams {
namespace {

uint64_t MaxBlockBytes(const StreamLimits& limits) {
  return limits.node_max_bytes == 0 || limits.node_max_bytes > kMaxBlockBytes
             ? kMaxBlockBytes
             : limits.node_max_bytes;
}

// A live entry copied out of a block, for rewriting blocks.
struct OwnedEntry {
  StreamId id;
  std::vector<std::string> field_values;
};

void CollectLive(const EntryBlock& block, std::vector<OwnedEntry>* out) {
  EntryBlock::Ref ref;
  EntryBlock::Cursor cursor = block.Start();
  char buf[24];
  while (block.Read(&cursor, &ref)) {
    if (ref.deleted()) continue;
    OwnedEntry e{ref.id, {}};
    auto fields = block.Fields(ref);
    StoredValue f, v;
    while (fields.Next(&f, &v)) {
      e.field_values.emplace_back(f.Text(buf));
      e.field_values.emplace_back(v.Text(buf));
    }
    out->push_back(std::move(e));
  }
}

std::vector<std::string_view> Views(const OwnedEntry& e) {
  return std::vector<std::string_view>(e.field_values.begin(), e.field_values.end());
}

}  // namespace

// ---- Iteration ----------------------------------------------------------------------------

bool Stream::Iterator::LoadBlock() {
  if (block_ == nullptr) return false;
  if (reverse_) {
    block_->value->CollectRefs(&refs_);
    index_ = refs_.size();
  } else {
    cursor_ = block_->value->Start();
  }
  return true;
}

// Tombstones are skipped before IDs are compared: a tombstone may sit above a later live
// record (see entry_block.h), so only live records bound the walk.
bool Stream::Iterator::Next() {
  while (block_ != nullptr) {
    const EntryBlock& b = *block_->value;
    if (!reverse_) {
      if (!b.Read(&cursor_, &ref_)) {
        block_ = tree_->Next(block_);
        if (block_ == nullptr || block_->value->master_id() > end_) block_ = nullptr;
        LoadBlock();
        continue;
      }
      if (ref_.deleted()) continue;
      if (ref_.id > end_) {
        block_ = nullptr;
        return false;
      }
      if (ref_.id < start_) continue;
      return true;
    }
    if (index_ == 0) {
      if (b.master_id() <= start_) {
        block_ = nullptr;  // earlier blocks hold only smaller IDs
        return false;
      }
      block_ = tree_->Prev(block_);
      LoadBlock();
      continue;
    }
    ref_ = refs_[--index_];
    if (ref_.deleted()) continue;
    if (ref_.id < start_) {
      block_ = nullptr;
      return false;
    }
    if (ref_.id > end_) continue;
    return true;
  }
  return false;
}

Stream::Iterator Stream::Range(StreamId start, StreamId end, bool reverse) const {
  Iterator it;
  it.tree_ = &blocks_;
  it.start_ = start;
  it.end_ = end;
  it.reverse_ = reverse;
  if (start > end) return it;
  if (reverse) {
    it.block_ = blocks_.Floor(end.ToKey());
  } else {
    it.block_ = blocks_.Floor(start.ToKey());
    if (it.block_ == nullptr) it.block_ = blocks_.First();
    if (it.block_ != nullptr && it.block_->value->master_id() > end) it.block_ = nullptr;
  }
  it.LoadBlock();
  return it;
}

std::optional<Stream::Iterator> Stream::Find(StreamId id) const {
  Iterator it = Range(id, id, false);
  if (!it.Next()) return std::nullopt;
  return it;
}

std::optional<StreamId> Stream::LastLiveId() const {
  // The common case without decoding anything: the newest record is alive.
  BlockTree::Entry* last = blocks_.Last();
  if (last == nullptr) return std::nullopt;
  if (!last->value->last_deleted()) return last->value->last_id();
  Iterator it = Range(StreamId::Min(), StreamId::Max(), true);
  if (!it.Next()) return std::nullopt;
  return it.id();
}

// ---- Adding ---------------------------------------------------------------------------------

OpResult<StreamId> Stream::NextId(const AddIdSpec& spec, uint64_t now_ms) const {
  if (last_id_.IsMax()) return Errc::kStreamExhausted;
  StreamId id;
  switch (spec.kind) {
    case AddIdSpec::Kind::kAuto:
      // A clock behind the last ID (it went backwards, or the ID was set ahead) continues
      // from the last ID, so IDs never go down.
      if (now_ms > last_id_.ms) return StreamId{now_ms, 0};
      return *last_id_.Next();
    case AddIdSpec::Kind::kAutoSeq:
      if (spec.id.ms == last_id_.ms) {
        if (last_id_.seq == UINT64_MAX) return Errc::kStreamIdTooSmall;
        return StreamId{last_id_.ms, last_id_.seq + 1};
      }
      id = StreamId{spec.id.ms, 0};
      break;
    case AddIdSpec::Kind::kExplicit:
      id = spec.id;
      break;
  }
  if (id <= last_id_) return Errc::kStreamIdTooSmall;
  return id;
}

bool Stream::AppendToLast(StreamId id, std::span<const std::string_view> fv,
                          const StreamLimits& limits) {
  BlockTree::Entry* last = blocks_.Last();
  if (last == nullptr) return false;
  EntryBlock& b = *last->value;
  if (limits.node_max_entries != 0 && b.records() >= limits.node_max_entries) return false;
  b.EncodeRecord(id, fv, &scratch_);
  if (b.bytes() + scratch_.size() >= MaxBlockBytes(limits)) return false;
  b.AppendRecord(scratch_);
  return true;
}

void Stream::StartBlock(StreamId id, std::span<const std::string_view> fv) {
  if (BlockTree::Entry* last = blocks_.Last()) last->value->ShrinkToFit();
  auto block = std::make_unique<EntryBlock>(id, fv);
  block->EncodeRecord(id, fv, &scratch_);
  block->AppendRecord(scratch_);
  blocks_.Insert(id.ToKey(), std::move(block));
}

void Stream::Append(StreamId id, std::span<const std::string_view> field_values,
                    const StreamLimits& limits) {
  if (!AppendToLast(id, field_values, limits)) StartBlock(id, field_values);
  ++length_;
  ++entries_added_;
  last_id_ = id;
  if (length_ == 1) first_id_ = id;
}

// ---- Removing -------------------------------------------------------------------------------

void Stream::RefreshFirstId() {
  if (length_ == 0) {
    first_id_ = StreamId::Min();
    return;
  }
  Iterator it = Range(StreamId::Min(), StreamId::Max(), false);
  if (it.Next()) first_id_ = it.id();
}

// After entries of `block` were marked deleted: drop it if empty, compact it if mostly dead.
void Stream::AfterRemoval(BlockTree::Entry* block, const StreamLimits& limits) {
  if (block->value->live() == 0) {
    blocks_.Erase(block->key);
  } else if (block->value->deleted() > block->value->live()) {
    Compact(block, limits);
  }
}

void Stream::Compact(BlockTree::Entry* block, const StreamLimits& limits) {
  std::vector<OwnedEntry> live;
  CollectLive(*block->value, &live);
  bool is_last = blocks_.Next(block) == nullptr;

  // Merge into the previous block when everything fits there.
  if (BlockTree::Entry* prev = blocks_.Prev(block)) {
    EntryBlock& p = *prev->value;
    std::vector<std::string> records;
    size_t bytes = p.bytes();
    StreamId after = p.records() > 0 ? p.last_id() : p.master_id();
    for (const OwnedEntry& e : live) {
      auto views = Views(e);
      p.EncodeRecordAfter(after, e.id, views, &scratch_);
      after = e.id;
      bytes += scratch_.size();
      records.push_back(scratch_);
    }
    bool fits_entries =
        limits.node_max_entries == 0 || p.records() + live.size() <= limits.node_max_entries;
    if (fits_entries && bytes < MaxBlockBytes(limits)) {
      for (const std::string& r : records) p.AppendRecord(r);
      if (!is_last) p.ShrinkToFit();
      blocks_.Erase(block->key);
      return;
    }
  }

  // Otherwise rewrite in place, keeping the master ID (the block's key) and master fields, so
  // entries that shared the field names still do and the block cannot grow.
  auto fresh = std::make_unique<EntryBlock>(block->value->master_id(), *block->value);
  for (const OwnedEntry& e : live) {
    auto v = Views(e);
    fresh->EncodeRecord(e.id, v, &scratch_);
    fresh->AppendRecord(scratch_);
  }
  if (!is_last) fresh->ShrinkToFit();
  block->value = std::move(fresh);
}

bool Stream::Delete(StreamId id, const StreamLimits& limits) {
  if (!RemoveEntry(id, limits)) return false;
  if (id > max_deleted_id_) max_deleted_id_ = id;
  if (length_ == 0 || id == first_id_) RefreshFirstId();
  return true;
}

uint64_t Stream::RemoveAsTrim(std::span<const StreamId> ids, const StreamLimits& limits) {
  uint64_t removed = 0;
  for (StreamId id : ids) removed += RemoveEntry(id, limits) ? 1 : 0;
  if (removed > 0) RefreshFirstId();
  return removed;
}

std::vector<StreamId> Stream::PlanTrim(const TrimSpec& spec,
                                       const std::function<bool(StreamId)>& may_delete,
                                       StreamId stop_at, uint64_t max_examined) const {
  std::vector<StreamId> planned;
  uint64_t examined = 0;
  const bool maxlen = spec.strategy == TrimSpec::Strategy::kMaxLen;
  if (spec.strategy == TrimSpec::Strategy::kNone) return planned;
  for (const BlockTree::Entry* block = blocks_.First(); block != nullptr;
       block = blocks_.Next(block)) {
    const EntryBlock& b = *block->value;
    const uint64_t left = length_ - planned.size();
    if (maxlen && left <= spec.maxlen) break;
    if (spec.approx && spec.limit != 0 &&
        planned.size() + b.live() > static_cast<uint64_t>(spec.limit)) {
      break;
    }
    const bool whole = maxlen ? left - b.live() >= spec.maxlen : b.last_id() < spec.minid;
    EntryBlock::Ref ref;
    EntryBlock::Cursor cursor = b.Start();
    while (b.Read(&cursor, &ref)) {
      if (ref.deleted()) continue;
      if (maxlen ? length_ - planned.size() <= spec.maxlen : ref.id >= spec.minid) break;
      if (ref.id >= stop_at || (max_examined != 0 && examined == max_examined)) return planned;
      ++examined;
      if (may_delete(ref.id)) planned.push_back(ref.id);
    }
    if (!whole) break;
  }
  return planned;
}

bool Stream::RemoveEntry(StreamId id, const StreamLimits& limits) {
  BlockTree::Entry* block = blocks_.Floor(id.ToKey());
  if (block == nullptr) return false;
  EntryBlock& b = *block->value;
  EntryBlock::Ref ref;
  EntryBlock::Cursor cursor = b.Start();
  bool found = false;
  while (b.Read(&cursor, &ref)) {
    if (ref.deleted()) continue;
    if (ref.id >= id) {
      found = ref.id == id;
      break;
    }
  }
  if (!found) return false;
  b.MarkDeleted(ref);
  --length_;
  AfterRemoval(block, limits);
  return true;
}

uint64_t Stream::TrimWholeBlocks(const TrimSpec& spec, BlockTree::Entry** partial) {
  uint64_t removed = 0;
  *partial = nullptr;
  while (BlockTree::Entry* block = blocks_.First()) {
    if (spec.strategy == TrimSpec::Strategy::kMaxLen && length_ <= spec.maxlen) break;
    const EntryBlock& b = *block->value;
    // The work limit counts live entries of whole blocks, as Redis does; it binds only '~'.
    if (spec.approx && spec.limit != 0 && removed + b.live() > static_cast<uint64_t>(spec.limit)) {
      break;
    }
    bool whole;
    if (spec.strategy == TrimSpec::Strategy::kMaxLen) {
      whole = length_ - b.live() >= spec.maxlen;
    } else {
      // The block's last record (live or not) decides whether all of it is below MINID.
      whole = b.last_id() < spec.minid;
    }
    if (!whole) {
      *partial = block;
      break;
    }
    length_ -= b.live();
    removed += b.live();
    blocks_.Erase(block->key);
  }
  return removed;
}

uint64_t Stream::TrimInsideBlock(const TrimSpec& spec, BlockTree::Entry* block) {
  EntryBlock& b = *block->value;
  uint64_t removed = 0;
  EntryBlock::Ref ref;
  EntryBlock::Cursor cursor = b.Start();
  while (b.Read(&cursor, &ref)) {
    if (ref.deleted()) continue;
    bool stop = spec.strategy == TrimSpec::Strategy::kMaxLen ? length_ <= spec.maxlen
                                                             : ref.id >= spec.minid;
    if (stop) break;
    b.MarkDeleted(ref);
    --length_;
    ++removed;
  }
  return removed;
}

uint64_t Stream::Trim(const TrimSpec& spec, const StreamLimits& limits) {
  if (spec.strategy == TrimSpec::Strategy::kNone) return 0;
  BlockTree::Entry* partial = nullptr;
  uint64_t removed = TrimWholeBlocks(spec, &partial);
  // '~' stops at block boundaries; an exact trim finishes inside the first remaining block.
  if (partial != nullptr && !spec.approx) {
    uint64_t inside = TrimInsideBlock(spec, partial);
    if (inside > 0) AfterRemoval(partial, limits);
    removed += inside;
  }
  if (removed > 0) RefreshFirstId();
  return removed;
}

// ---- Bookkeeping ----------------------------------------------------------------------------

Errc Stream::SetId(StreamId last_id, std::optional<uint64_t> entries_added,
                   std::optional<StreamId> max_deleted_id) {
  if (last_id < max_deleted_id_) return Errc::kSetIdSmallerThanCurrentMaxDeleted;
  if (length_ > 0) {
    if (last_id < *LastLiveId()) return Errc::kSetIdSmallerThanTop;
    if (entries_added && length_ > *entries_added) return Errc::kSetIdEntriesAddedTooSmall;
  }
  last_id_ = last_id;
  if (entries_added) entries_added_ = *entries_added;
  if (max_deleted_id && !max_deleted_id->IsMin()) max_deleted_id_ = *max_deleted_id;
  return Errc::kOk;
}

void Stream::RestoreMetadata(StreamId last_id, StreamId first_id, StreamId max_deleted_id,
                             uint64_t entries_added) {
  last_id_ = last_id;
  first_id_ = first_id;
  max_deleted_id_ = max_deleted_id;
  entries_added_ = entries_added;
}

bool Stream::RestoreBlock(std::unique_ptr<EntryBlock> block, std::string* error) {
  StreamId master = block->master_id();
  if (block->live() == 0) {
    *error = "block " + master.ToString() + " holds no live entries";
    return false;
  }
  if (block->deleted() > block->live()) {
    *error = "block " + master.ToString() + " has more tombstones than live entries";
    return false;
  }
  // Every block before this one holds a live entry, so this is the last live ID before it.
  if (std::optional<StreamId> before = LastLiveId(); before && master <= *before) {
    *error = "block " + master.ToString() + " does not start after entry " + before->ToString();
    return false;
  }
  length_ += block->live();
  blocks_.Insert(master.ToKey(), std::move(block));
  return true;
}

bool Stream::SetIdmpConfig(const IdmpConfig& config) {
  if (config == idmp_config_) return false;
  idmp_config_ = config;
  if (idmp_) idmp_->Clear();
  return true;
}

IdmpState& Stream::idmp_state() {
  // Seeded by address: a stream's iid tables are not all attackable with one set of names.
  if (!idmp_) idmp_ = std::make_unique<IdmpState>(reinterpret_cast<uintptr_t>(this));
  return *idmp_;
}

namespace {

using RaxKey = std::array<uint8_t, 16>;

// Nodes of the compressed radix tree below the node where keys[lo, hi) (sorted, distinct, equal
// in bytes [0, depth)) continue: a node ending a key; a compressed node over their common
// prefix; or a branch node with a child per distinct next byte.
size_t RaxNodes(const std::vector<RaxKey>& keys, size_t lo, size_t hi, size_t depth) {
  if (depth == 16) return 1;
  size_t common = depth;
  while (common < 16 && keys[lo][common] == keys[hi - 1][common]) ++common;
  if (common > depth) return 1 + RaxNodes(keys, lo, hi, common);
  size_t nodes = 1;
  for (size_t i = lo; i < hi;) {
    size_t j = i;
    while (j < hi && keys[j][depth] == keys[i][depth]) ++j;
    nodes += RaxNodes(keys, i, j, depth + 1);
    i = j;
  }
  return nodes;
}

}  // namespace

size_t Stream::RaxNodeCount() const {
  std::vector<RaxKey> keys;
  keys.reserve(blocks_.size());
  blocks_.ForEach([&](const BlockTree::Entry& e) {
    const StreamId id = e.value->master_id();
    RaxKey k;
    for (int i = 0; i < 8; ++i) {
      k[i] = static_cast<uint8_t>(id.ms >> (56 - 8 * i));
      k[8 + i] = static_cast<uint8_t>(id.seq >> (56 - 8 * i));
    }
    keys.push_back(k);
  });
  return keys.empty() ? 1 : RaxNodes(keys, 0, keys.size(), 0);
}

Schedule& Stream::mutable_schedule() {
  if (!schedule_) schedule_ = std::make_unique<Schedule>();
  return *schedule_;
}

size_t Stream::MemoryUsage() const {
  size_t bytes = sizeof(*this);
  // A leaf costs its key and pointer; inner nodes a header and children (an estimate).
  bytes += blocks_.node_count() * 48;
  blocks_.ForEach([&](const BlockTree::Entry& e) { bytes += e.value->allocated(); });
  if (idmp_) bytes += idmp_->MemoryUsage();
  if (schedule_) bytes += schedule_->MemoryUsage();
  return bytes;
}

}  // namespace runnel::streams
