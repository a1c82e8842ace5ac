// The catalogue of effects: every change to the dataset, as it is written to the append-only log
// (and, in a later issue, shipped to replicas), one Writer method per effect type.
//
// An effect is a RESP command that applies exactly one change, whatever the clock says when it
// is applied: it carries concrete IDs, absolute times and exact counts — never "*", "$", "~" or
// a relative TTL — so replaying a log, or applying it on another server, gives the state the
// clients saw. Each effect's replay sits beside its encoder, in the family file named below
// (replay.h applies them). The time of the record holding an effect is the time of the command
// that made it; the effects that use it say so.
//
//   effect                                                   written for           file
//   DEL key                                                  DEL, UNLINK, expiry,  key_effects
//                                                            EXPIRE in the past
//   SET key value [PXAT ms | KEEPTTL]                        SET, INCR family
//   MSET key value [key value ...]                           MSET, MSETNX
//   APPEND key suffix                                        APPEND
//   SETRANGE key offset bytes                                SETRANGE
//   PEXPIREAT key ms / PERSIST key                           EXPIRE family, PERSIST
//   RENAME key newkey                                        RENAME, RENAMENX
//   MOVE key db                                              MOVE
//   SWAPDB index1 index2                                     SWAPDB
//   FLUSHDB / FLUSHALL
//   XADD key id field value [field value ...]                XADD                  stream_effects
//   XTRIM key MAXLEN = n / XTRIM key MINID = id              a trim, made exact
//   RUNNEL-TRIM key id [id ...]                              a DELREF/ACKED trim (gaps)
//   XDEL key id [id ...]                                     XDEL, XDELEX, XACKDEL
//   XSETID key id ENTRIESADDED n MAXDELETEDID id             XSETID
//   XCFGSET key IDMP-DURATION s IDMP-MAXSIZE n               XCFGSET, a new stream
//          RETENTION-MS ms RETENTION-MAXLEN n
//          RETENTION-REFS KEEPREF|ACKED
//   RUNNEL-IDMP key producer iid id                          XADD IDMP(AUTO)
//   RUNNEL-IDMP-DUP key / RUNNEL-IDMP-EXPIRE key cutoff-ms   a duplicate; the expiry cron
//   RUNNEL-SCHEDULE key handle field value [field value ..]  XADD DELAY / AT     schedule_effects
//   RUNNEL-UNSCHEDULE key handle [handle ...]                XSCHEDULE CANCEL
//   RUNNEL-FIRE key handle id                                a scheduled entry fell due: it is
//                                                            appended at id (its trims follow)
//   RUNNEL-LIMITS node-max-bytes node-max-entries            block limits in force (CONFIG SET,
//                                                            each new log file)
//   XGROUP CREATE key group id MKSTREAM ENTRIESREAD n        XGROUP CREATE          group_effects
//   XGROUP SETID key group id ENTRIESREAD n                  SETID, a read's new position
//   XGROUP DESTROY key group
//   XGROUP CREATECONSUMER key group consumer                 any command creating one (seen:
//                                                            the record's time)
//   XGROUP DELCONSUMER key group consumer
//   XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n      a delivery or claim: the entry is
//          FORCE JUSTID LASTID id                            pending for consumer, which was
//                                                            seen and active at the record's time
//   XCLAIM key group consumer 0 id                           purge: the entry is gone; pending
//                                                            no more (consumer seen)
//   XACK key group id [id ...]                               XACK, XACKDEL, DELREF
//   XNACK key group FAIL|SILENT IDS 1 id RETRYCOUNT n FORCE  a release (XNACK); FAIL: BACKOFF
//                                                            applies to it
//   RUNNEL-CONSUMER-TIMES key group consumer seen-ms active-ms   times no other effect implies
//   XGROUP SETPOLICY key group MAXDELIVERIES n DEADLETTER k  XGROUP SETPOLICY     policy_effects
//          BACKOFF ms.. MAXPENDING n CONSUMER-EXPIRE ms
//   RUNNEL-DEADLETTER key group id dlkey dlid field value..  a dead-lettered entry: appended to
//                                                            dlkey and acknowledged, as one
//   RUNNEL-GROUP-COUNTERS key group DEAD-LETTER-FAILURES n   dead-letter refusals, the
//          CONSUMERS-EXPIRED n                               consumer-expiry cron
//   SELECT db                                                between effects of two databases
//
// The RUNNEL-* effects are Runnel's own: no Redis command does what they do. They are not in the
// command table, so a client that sends one gets "unknown command".
//
// Replay also accepts what earlier versions logged as clients sent it (docs/durability.md):
// UNLINK, RENAMENX, INCR / DECR / INCRBY / DECRBY, FLUSHDB / FLUSHALL ASYNC|SYNC, and XSETID,
// XGROUP, XACK, XNACK and XCFGSET with their options in any case and order.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "streams/stream.h"
#include "streams/stream_id.h"
#include "streams/trim.h"

namespace runnel::effects {

// Writes effects, RESP-encoded, to the end of a buffer. A Writer over nullptr writes nothing
// (no log and no replica wants effects), so commands need not ask.
class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  bool enabled() const { return out_ != nullptr; }

  // ---- keys (key_effects.cc) ----
  void Del(std::string_view key);
  // expire_ms: absolute unix ms, or -1 for none.
  void Set(std::string_view key, std::string_view value, int64_t expire_ms);
  void SetKeepTtl(std::string_view key, std::string_view value);
  // Alternating keys and values.
  void MSet(std::span<const std::string_view> pairs);
  // Byte edits logged as themselves: the bytes they add, not the whole string they leave.
  void Append(std::string_view key, std::string_view suffix);
  void SetRange(std::string_view key, int64_t offset, std::string_view bytes);
  void PExpireAt(std::string_view key, int64_t ms);
  void Persist(std::string_view key);
  void Rename(std::string_view key, std::string_view new_key);
  void Move(std::string_view key, int db);
  void SwapDb(int a, int b);
  // COPY source destination DB db [REPLACE]
  void Copy(std::string_view source, std::string_view destination, int db, bool replace);
  void FlushDb();
  void FlushAll();
  // RESTORE key payload [PXAT ms]: a stream restored from a DUMP payload (rdb/dump.h), replacing
  // whatever the key held; the payload is what the command decoded, so replay rebuilds the same
  // stream.
  void Restore(std::string_view key, std::string_view payload, int64_t expire_ms);

  // ---- streams (stream_effects.cc) ----
  void XAdd(std::string_view key, streams::StreamId id, std::span<const std::string_view> fields);
  void XTrimMaxLen(std::string_view key, uint64_t length);
  void XTrimMinId(std::string_view key, streams::StreamId first);
  void TrimIds(std::string_view key, std::span<const streams::StreamId> ids);
  void XDel(std::string_view key, std::span<const streams::StreamId> ids);
  void XSetId(std::string_view key, const streams::Stream& s);
  // Every setting XCFGSET has (IDMP and retention), as the stream has them now.
  void XCfgSet(std::string_view key, const streams::Stream& s);
  // What a trim (streams/trim.h) removed from `s`, which it left as it is now; nothing when it
  // removed nothing.
  void Trimmed(std::string_view key, const streams::Stream& s, const streams::TrimOutcome& t);
  void IdmpRecord(std::string_view key, std::string_view producer, std::string_view iid,
                  streams::StreamId id);
  void IdmpDuplicate(std::string_view key);
  void IdmpExpire(std::string_view key, int64_t cutoff_ms);
  void StreamLimits(const streams::StreamLimits& limits);

  // ---- delayed entries (schedule_effects.cc) ----
  void Schedule(std::string_view key, streams::StreamId handle,
                std::span<const std::string_view> fields);
  void Unschedule(std::string_view key, std::span<const streams::StreamId> handles);
  void Fire(std::string_view key, streams::StreamId handle, streams::StreamId id);

  // ---- consumer groups (group_effects.cc) ----
  void GroupCreate(std::string_view key, const streams::ConsumerGroup& g);
  // The group's read position (last delivered ID and entries read).
  void GroupPosition(std::string_view key, const streams::ConsumerGroup& g);
  void GroupDestroy(std::string_view key, std::string_view group);
  void ConsumerCreate(std::string_view key, std::string_view group, std::string_view consumer);
  void ConsumerDelete(std::string_view key, std::string_view group, std::string_view consumer);
  // `id` is pending in `g`: its owner, delivery time and count as they are now.
  void Delivery(std::string_view key, const streams::ConsumerGroup& g, streams::StreamId id);
  void Purge(std::string_view key, std::string_view group, std::string_view consumer,
             streams::StreamId id);
  void Ack(std::string_view key, std::string_view group, std::span<const streams::StreamId> ids);
  // `id` is unowned in `g` (released): its delivery count as it is now.
  void Release(std::string_view key, const streams::ConsumerGroup& g, streams::StreamId id);
  void ConsumerTimes(std::string_view key, std::string_view group, const streams::Consumer& c);

  // ---- group policies (policy_effects.cc) ----
  void GroupPolicy(std::string_view key, const streams::ConsumerGroup& g);
  // Entry `id` of `key` moved to `dead_letter_key` as `dead_letter_id` with `fields`, and
  // acknowledged in `group`.
  void DeadLetter(std::string_view key, std::string_view group, streams::StreamId id,
                  std::string_view dead_letter_key, streams::StreamId dead_letter_id,
                  std::span<const std::string_view> fields);
  void GroupCounters(std::string_view key, const streams::ConsumerGroup& g);

 private:
  std::string* out_;
};

}  // namespace runnel::effects
