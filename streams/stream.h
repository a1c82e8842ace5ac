// Stream: the entries of one stream key and the bookkeeping Redis keeps beside them.
//
// Entries live in EntryBlocks keyed by their master ID in a RadixTree. New entries go to the
// last block until it holds node_max_entries records or would pass node_max_bytes, then a new
// block starts (and the old one is shrunk to its exact size).
//
// Bookkeeping, as in Redis 7+:
//   last_id          the highest ID ever added, or the one set by XSETID; only XSETID can
//                    lower it (as in Redis, when no entry and no XDEL is above the new ID)
//   first_id         the first live entry's ID ("recorded-first-entry-id")
//   max_deleted_id   the highest ID removed by XDEL ("max-deleted-entry-id")
//   entries_added    every entry ever added, deleted or not
// Consumer-group lag is computed from these in constant time.
// A snapshot restores all of it as saved: blocks with RestoreBlock, bookkeeping with
// RestoreMetadata, groups through the group API.
//
// Deletions leave tombstones in their block. When a block's tombstones outnumber its live
// entries it is rewritten without them, and merged into the previous block if the two fit in
// one; a block with no live entries is dropped. So memory follows the live entries, and tiny
// node limits in tests make blocks split and merge constantly.
//
// Time comes in as `now_ms`, limits as StreamLimits: this layer has no clock and no config.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "streams/consumer_group.h"
#include "streams/entry_block.h"
#include "streams/errc.h"
#include "streams/idmp.h"
#include "streams/radix_tree.h"
#include "streams/schedule.h"
#include "streams/stream_id.h"

namespace runnel::streams {

struct StreamLimits {
  uint64_t node_max_bytes = 4096;   // 0 = no limit (capped at 1 GB, as in Redis)
  uint64_t node_max_entries = 100;  // 0 = no limit
};

// How XADD names the new entry.
struct AddIdSpec {
  enum class Kind { kAuto, kAutoSeq, kExplicit };
  Kind kind = Kind::kAuto;
  StreamId id;  // kExplicit: the ID; kAutoSeq: id.ms is the given milliseconds
};

struct TrimSpec {
  enum class Strategy { kNone, kMaxLen, kMinId };
  Strategy strategy = Strategy::kNone;
  bool approx = false;  // '~': only whole blocks are removed
  uint64_t maxlen = 0;
  StreamId minid;
  int64_t limit = 0;  // most entries to remove with '~'; 0 = no limit
};

// Idempotent production settings (Redis 8.6; XCFGSET): each producer's iids are remembered for
// duration_s seconds (by their entry IDs' time) and at most maxsize of them.
struct IdmpConfig {
  int64_t duration_s = 100;
  int64_t maxsize = 100;
  bool operator==(const IdmpConfig&) const = default;
};
inline constexpr int64_t kIdmpMaxDuration = 86400;
inline constexpr int64_t kIdmpMaxMaxSize = 10000;

// What deleting or trimming an entry does to the groups' references to it (Redis 8.2):
// KEEPREF leaves them, DELREF drops them, ACKED removes only entries no group references.
enum class RefPolicy : uint8_t { kKeepRef, kDelRef, kAcked };

// Retention (Runnel's XCFGSET RETENTION-*; streams/trim.h applies it): entries older than
// max_age_ms (by their ID's time) are aged out by the cron; every append trims to about maxlen
// entries. refs is kKeepRef or kAcked (ACKED never ages out work a group has not finished).
// 0 = no limit.
struct Retention {
  int64_t max_age_ms = 0;
  uint64_t maxlen = 0;
  RefPolicy refs = RefPolicy::kKeepRef;
  bool empty() const { return max_age_ms == 0 && maxlen == 0 && refs == RefPolicy::kKeepRef; }
  bool operator==(const Retention&) const = default;
};
inline constexpr int64_t kRetentionMaxAgeMs = int64_t{1} << 40;  // about 34 years

class Stream {
 public:
  using BlockTree = RadixTree<std::unique_ptr<EntryBlock>>;
  using GroupMap = std::map<std::string, std::unique_ptr<ConsumerGroup>, std::less<>>;

  // Walks live entries in [start, end], forwards or backwards.
  class Iterator {
   public:
    bool Next();
    StreamId id() const { return ref_.id; }
    uint32_t field_count() const { return ref_.field_count; }
    EntryBlock::FieldReader Fields() const { return block_->value->Fields(ref_); }

   private:
    friend class Stream;
    bool LoadBlock();
    const BlockTree* tree_ = nullptr;
    BlockTree::Entry* block_ = nullptr;
    EntryBlock::Ref ref_;
    StreamId start_, end_;
    bool reverse_ = false;
    EntryBlock::Cursor cursor_;          // forwards
    std::vector<EntryBlock::Ref> refs_;  // backwards: this block's records
    size_t index_ = 0;
  };

  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  uint64_t length() const { return length_; }
  StreamId last_id() const { return last_id_; }
  StreamId first_id() const { return first_id_; }
  StreamId max_deleted_id() const { return max_deleted_id_; }
  uint64_t entries_added() const { return entries_added_; }
  size_t block_count() const { return blocks_.size(); }
  size_t node_count() const { return blocks_.node_count(); }
  // The nodes Redis's rax would have for these blocks' master IDs (XINFO's radix-tree-nodes):
  // a compressed radix tree over the 16-byte big-endian IDs, plus its root, so an empty stream
  // has 1. Computed on demand, O(blocks x 16).
  size_t RaxNodeCount() const;
  const BlockTree& blocks() const { return blocks_; }

  // The ID XADD would give the new entry.
  OpResult<StreamId> NextId(const AddIdSpec& spec, uint64_t now_ms) const;
  // Appends an entry whose ID is already known to be greater than last_id().
  void Append(StreamId id, std::span<const std::string_view> field_values,
              const StreamLimits& limits);
  // XDEL of one ID. Returns whether a live entry was removed.
  bool Delete(StreamId id, const StreamLimits& limits);
  // XTRIM / XADD's trim. Returns the number of entries removed.
  uint64_t Trim(const TrimSpec& spec, const StreamLimits& limits);
  // The entries a trim with DELREF or ACKED (Redis 8.2) removes, in order, without removing
  // them: walked one by one from the head while the threshold is not reached, taking those
  // `may_delete` accepts (ACKED passes over entries a group still references, so the result
  // can have gaps). Blocks stand in for Redis's nodes: '~' stops before a block that would
  // pass LIMIT, and a MAXLEN trim does not go past a block it could not remove whole. The walk
  // also stops at `stop_at` (exclusive) and after examining `max_examined` entries (0 = no
  // limit): bounds for callers that know nothing beyond a point can go (retention, ACKED).
  std::vector<StreamId> PlanTrim(const TrimSpec& spec,
                                 const std::function<bool(StreamId)>& may_delete,
                                 StreamId stop_at = StreamId::Max(),
                                 uint64_t max_examined = 0) const;
  // Removes live entries as a trim does: max_deleted_id stays (the entries were not XDELed).
  // Returns how many were there.
  uint64_t RemoveAsTrim(std::span<const StreamId> ids, const StreamLimits& limits);
  // XSETID, after its arguments have been validated against each other.
  Errc SetId(StreamId last_id, std::optional<uint64_t> entries_added,
             std::optional<StreamId> max_deleted_id);

  Iterator Range(StreamId start, StreamId end, bool reverse) const;
  // The live entry with exactly this ID, as an iterator positioned on it.
  std::optional<Iterator> Find(StreamId id) const;
  // The ID of the last live entry (Redis's streamLastValidID), or nullopt when empty.
  std::optional<StreamId> LastLiveId() const;

  // ---- consumer groups (stream_groups.cc) ----
  const GroupMap& groups() const { return groups_; }
  ConsumerGroup* FindGroup(std::string_view name) const;
  // A new group reading after `last_delivered`; nullptr if the name is taken.
  ConsumerGroup* CreateGroup(std::string_view name, StreamId last_delivered, int64_t entries_read);
  bool DestroyGroup(std::string_view name);
  // Whether an entry deleted by XDEL may lie in [start, end] (Redis 7.4+ rules).
  bool RangeHasTombstones(StreamId start, StreamId end = StreamId::Max()) const;
  // How many entries the stream had when `id` was added (the entries-read of a group whose
  // last delivered ID is `id`), or kUnknownEntriesRead when deletions make it unknowable.
  int64_t EstimateEntriesRead(StreamId id) const;
  // Entries not yet delivered to the group; nullopt when deletions make it unknowable.
  std::optional<int64_t> Lag(const ConsumerGroup& group) const;
  // Moves the group's read position forward to `id` (just delivered), keeping its
  // entries-read counter exact where it can and re-estimating it where it cannot.
  void AdvanceGroup(ConsumerGroup& group, StreamId id) const;

  // ---- references (Redis 8.2's KEEPREF / DELREF / ACKED; stream_groups.cc) ----
  // Whether some group still needs the entry `id`: has not delivered it yet (its position is
  // before it) or holds it in its PEL. ACKED deletes only entries no group references.
  bool ReferencedByGroups(StreamId id) const;
  // DELREF: removes `id` from every group's PEL; returns the groups that held it.
  std::vector<std::string_view> DropReferences(StreamId id);

  // ---- idempotent production (Redis 8.6 XADD IDMP / IDMPAUTO; idmp.h) ----
  const IdmpConfig& idmp_config() const { return idmp_config_; }
  // XCFGSET: a change of either value forgets every producer's iids (the counters stay), so
  // no iid outlives the rules it was recorded under. Returns whether anything changed.
  bool SetIdmpConfig(const IdmpConfig& config);
  // The producers' state, or nullptr while no IDMP XADD has been seen.
  const IdmpState* idmp() const { return idmp_.get(); }
  IdmpState& idmp_state();  // created on first use

  // ---- retention (trim.h) ----
  const Retention& retention() const { return retention_; }
  void set_retention(const Retention& r) { retention_ = r; }
  // Where the next ACKED age-out slice starts looking (trim.cc): transient, not saved.
  StreamId age_scan_from() const { return age_scan_from_; }
  void set_age_scan_from(StreamId id) { age_scan_from_ = id; }

  // ---- delayed entries (schedule.h) ----
  // The scheduled entries, or nullptr while none was ever scheduled.
  const Schedule* schedule() const { return schedule_.get(); }
  Schedule& mutable_schedule();  // created on first use
  size_t scheduled() const { return schedule_ ? schedule_->size() : 0; }

  // COPY: an independent stream with the same entries, groups (consumers, PELs, policies,
  // counters), IDMP settings and state, retention and delayed entries (stream_copy.cc).
  // Transient state (age-out position, stalled schedule, refusal warnings) starts afresh.
  std::unique_ptr<Stream> Copy() const;

  // Bytes of memory held (blocks and tree), for MEMORY-style reporting.
  size_t MemoryUsage() const;

  // Restores bookkeeping verbatim (snapshot loading).
  void RestoreMetadata(StreamId last_id, StreamId first_id, StreamId max_deleted_id,
                       uint64_t entries_added);
  // Appends a block rebuilt by EntryBlock::FromBytes after the last one (snapshot loading),
  // adding its live entries to length(). Refused (false, reason in *error) when the block has
  // no live entry, more tombstones than live entries, or a master ID not above every live
  // entry before it (the block tree finds an ID through the master IDs, so they must not
  // overlap). The caller checks the result against the saved bookkeeping.
  bool RestoreBlock(std::unique_ptr<EntryBlock> block, std::string* error);

 private:
  // Marks one live entry deleted and tidies its block; false if there was none.
  bool RemoveEntry(StreamId id, const StreamLimits& limits);
  bool AppendToLast(StreamId id, std::span<const std::string_view> fv, const StreamLimits& l);
  void StartBlock(StreamId id, std::span<const std::string_view> fv);
  void AfterRemoval(BlockTree::Entry* block, const StreamLimits& limits);
  void Compact(BlockTree::Entry* block, const StreamLimits& limits);
  void RefreshFirstId();
  // Removes whole blocks for TrimSpec; returns entries removed and sets *partial to the block
  // where the trim stopped, which TrimInsideBlock may cut into.
  uint64_t TrimWholeBlocks(const TrimSpec& spec, BlockTree::Entry** partial);
  uint64_t TrimInsideBlock(const TrimSpec& spec, BlockTree::Entry* block);

  BlockTree blocks_;
  uint64_t length_ = 0;
  uint64_t entries_added_ = 0;
  StreamId last_id_;
  StreamId first_id_;
  StreamId max_deleted_id_;
  GroupMap groups_;
  IdmpConfig idmp_config_;
  std::unique_ptr<IdmpState> idmp_;
  Retention retention_;
  StreamId age_scan_from_;
  std::unique_ptr<Schedule> schedule_;
  std::string scratch_;  // reused record encoding buffer
};

// Largest block size allowed when node_max_bytes is 0 or larger (Redis's listpack cap).
inline constexpr uint64_t kMaxBlockBytes = 1ULL << 30;

}  // namespace runnel::streams
