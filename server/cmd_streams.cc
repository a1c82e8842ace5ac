// Stream commands: XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID.
// (XREAD and XREADGROUP live in cmd_read.cc, XINFO in cmd_xinfo.cc, groups in cmd_groups.cc.)
//
// Argument checks happen in redis-server's order (which decides which error a bad command
// gets), then the data operation runs on streams::Stream, then the reply is written. Changes
// are reported with NotifyChanged, which wakes blocked readers and fails WATCHers' EXEC.
#include <string>
#include <vector>

#include "server/arg_util.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/help.h"
#include "server/idmp_effects.h"
#include "server/server.h"
#include "server/stream_refs.h"
#include "server/stream_args.h"
#include "server/stream_reply.h"

namespace runnel::server {
namespace {

using streams::AddIdSpec;
using streams::IdParseOptions;
using streams::Stream;
using streams::StreamId;
using streams::TrimSpec;

constexpr uint64_t kMaxEntryBytes = 1ULL << 30;  // Redis's listpack safety limit

// ---- XADD / XTRIM options ----

struct AddTrimArgs {
  TrimSpec trim;
  bool nomkstream = false;
  bool limit_given = false;
  AddIdSpec id;
  size_t id_pos = 0;  // XADD: where the ID is
  std::optional<RefPolicy> refs;  // KEEPREF / DELREF / ACKED (8.2); KEEPREF when not given
  // XADD IDMP producer iid / IDMPAUTO producer (8.6): the iid is then the fields' hash.
  bool idmp = false, idmp_auto = false;
  std::string_view producer, iid;
};

// IDMP's or IDMPAUTO's arguments, from `i` (the keyword); advances i past them.
bool ParseIdmp(CommandContext& ctx, size_t& i, AddTrimArgs* a) {
  bool automatic = IEquals(ctx.arg(i), "IDMPAUTO");
  if (a->idmp) {
    ctx.Error(errors::kIdmpTwice);
    return false;
  }
  a->idmp = true;
  a->idmp_auto = automatic;
  a->producer = ctx.arg(++i);
  if (a->producer.empty()) {
    ctx.Error(automatic ? errors::kIdmpAutoEmptyProducer : errors::kIdmpEmptyProducer);
    return false;
  }
  if (automatic) return true;
  a->iid = ctx.arg(++i);
  if (a->iid.empty()) {
    ctx.Error(errors::kIdmpEmptyIid);
    return false;
  }
  return true;
}

bool ParseTrimThreshold(CommandContext& ctx, size_t& i, AddTrimArgs* a) {
  bool maxlen = IEquals(ctx.arg(i), "MAXLEN");
  if (a->trim.strategy != TrimSpec::Strategy::kNone) {
    ctx.Error(errors::kTrimMaxLenAndMinId);
    return false;
  }
  size_t more = ctx.argc() - 1 - i;
  a->trim.approx = false;
  std::string_view next = ctx.arg(i + 1);
  if (more >= 2 && (next == "~" || next == "=")) {
    a->trim.approx = next == "~";
    ++i;
  }
  std::string_view threshold = ctx.arg(i + 1);
  if (maxlen) {
    auto v = IntArgOrReply(ctx, threshold);
    if (!v) return false;
    if (*v < 0) {
      ctx.Error(errors::kTrimMaxLenNegative);
      return false;
    }
    a->trim.maxlen = static_cast<uint64_t>(*v);
    a->trim.strategy = TrimSpec::Strategy::kMaxLen;
  } else {
    auto id = StrictIdOrReply(ctx, threshold);
    if (!id) return false;
    a->trim.minid = *id;
    a->trim.strategy = TrimSpec::Strategy::kMinId;
  }
  ++i;
  return true;
}

// Sets the effective work limit for '~' trims, as Redis does when LIMIT is not given.
bool FinishTrimLimit(CommandContext& ctx, AddTrimArgs* a) {
  if (a->limit_given) {
    if (!a->trim.approx) {
      ctx.Error(errors::kTrimLimitWithoutApprox);
      return false;
    }
    return true;
  }
  if (!a->trim.approx) {
    a->trim.limit = 0;
    return true;
  }
  int64_t per_node = ctx.server.config().stream_node_max_entries;
  a->trim.limit = per_node > 0 && per_node <= 10000 ? 100 * per_node : 10000;
  return true;
}

// Parses XADD's or XTRIM's options. Returns false after replying an error. For XADD,
// a->id_pos is the ID's position.
bool ParseAddTrimArgs(CommandContext& ctx, bool xadd, AddTrimArgs* a) {
  size_t i = 2;
  for (; i < ctx.argc(); ++i) {
    size_t more = ctx.argc() - 1 - i;
    std::string_view opt = ctx.arg(i);
    if (xadd && opt == "*") {
      break;
    } else if ((IEquals(opt, "MAXLEN") || IEquals(opt, "MINID")) && more) {
      if (!ParseTrimThreshold(ctx, i, a)) return false;
    } else if (IEquals(opt, "LIMIT") && more) {
      auto v = IntArgOrReply(ctx, ctx.arg(i + 1));
      if (!v) return false;
      if (*v < 0) {
        ctx.Error(errors::kTrimLimitNegative);
        return false;
      }
      a->trim.limit = *v;
      a->limit_given = true;
      ++i;
    } else if (xadd && IEquals(opt, "NOMKSTREAM")) {
      a->nomkstream = true;
    } else if (xadd && ((IEquals(opt, "IDMP") && more >= 2) ||
                        (IEquals(opt, "IDMPAUTO") && more >= 1))) {
      if (!ParseIdmp(ctx, i, a)) return false;
    } else if (auto policy = ParseRefPolicy(opt); policy && !a->refs) {
      a->refs = policy;  // a second one falls through: XADD then reads it as the ID
    } else if (xadd) {
      auto parsed = streams::ParseStreamId(opt, IdParseOptions{0, true, true});
      if (!parsed) {
        ctx.Error(errors::kInvalidStreamId);
        return false;
      }
      a->id.kind = parsed->seq_given ? AddIdSpec::Kind::kExplicit : AddIdSpec::Kind::kAutoSeq;
      a->id.id = parsed->id;
      break;
    } else {
      ctx.Error(errors::kSyntax);
      return false;
    }
  }
  a->id_pos = i;
  if (a->idmp && a->id.kind != AddIdSpec::Kind::kAuto) {
    ctx.Error(errors::kIdmpNeedsAutoId);
    return false;
  }
  if (a->trim.limit != 0 && a->trim.strategy == TrimSpec::Strategy::kNone) {
    ctx.Error(errors::kTrimLimitWithoutStrategy);
    return false;
  }
  if (!xadd && a->trim.strategy == TrimSpec::Strategy::kNone) {
    ctx.Error(errors::kXTrimWithoutStrategy);
    return false;
  }
  return FinishTrimLimit(ctx, a);
}

// ---- XADD ----

// IDMP / IDMPAUTO: the iid this XADD stands for.
std::string IidOf(const AddTrimArgs& a, std::span<const std::string_view> fields) {
  return a.idmp_auto ? streams::IdmpAutoId(fields) : std::string(a.iid);
}

// A duplicate IDMP XADD: the entry its iid added before. It is answered with that entry's ID,
// and nothing is added or trimmed.
std::optional<StreamId> FindDuplicate(const Stream* s, const AddTrimArgs& a,
                                      std::string_view iid) {
  if (!a.idmp || s == nullptr || s->idmp() == nullptr) return std::nullopt;
  return s->idmp()->Find(a.producer, iid);
}

void CmdXAdd(CommandContext& ctx) {
  AddTrimArgs a;
  if (!ParseAddTrimArgs(ctx, true, &a)) return;
  size_t field_pos = a.id_pos + 1;
  size_t values = ctx.argc() - field_pos;
  if (field_pos > ctx.argc() || values < 2 || values % 2 == 1) {
    return ctx.Error(errors::WrongArity("xadd"));
  }
  if (a.id.kind == AddIdSpec::Kind::kExplicit && a.id.id.IsMin()) {
    return ctx.Error(errors::Message(streams::Errc::kStreamIdZero));
  }
  std::string_view key = ctx.arg(1);
  auto found = StreamOrReply(ctx, key);
  if (!found) return;
  Stream* s = *found;
  if (s == nullptr && a.nomkstream) return ctx.reply.Null();
  static thread_local std::vector<std::string_view> fields;
  fields.clear();
  uint64_t bytes = 0;
  for (size_t i = field_pos; i < ctx.argc(); ++i) {
    fields.push_back(ctx.arg(i));
    bytes += ctx.arg(i).size();
  }
  std::string iid = a.idmp ? IidOf(a, fields) : std::string();
  if (auto original = FindDuplicate(s, a, iid)) {
    s->idmp_state().CountDuplicate();
    PropagateIdmpDuplicate(ctx, key);
    WriteStreamId(ctx.reply, *original);
    ctx.db().NotifyChanged(key);  // as Redis, a duplicate still touches the key
    return;
  }
  if (s != nullptr && s->last_id().IsMax()) {
    return ctx.Error(errors::Message(streams::Errc::kStreamExhausted));
  }
  if (bytes > kMaxEntryBytes) return ctx.Error(errors::Message(streams::Errc::kElementsTooLarge));
  bool created = s == nullptr;
  if (created) s = CreateStream(ctx, key);
  auto id = s->NextId(a.id, static_cast<uint64_t>(ctx.now_ms));
  if (!id) return ctx.Error(errors::Message(id.error()));
  auto limits = ctx.server.stream_limits();
  s->Append(*id, fields, limits);
  WriteStreamId(ctx.reply, *id);
  // The log gets the ID the entry got, never "*".
  resp::ArgList effect{"XADD", key, id->ToString()};
  for (std::string_view f : fields) effect.Add(f);
  ctx.Propagate(effect);
  if (created) PropagateStreamSettings(ctx, key, *s);
  if (a.idmp) {
    s->idmp_state().Record(a.producer, iid, *id, static_cast<uint64_t>(s->idmp_config().maxsize));
    ctx.db().TrackIdmp(key);
    PropagateIdmpRecord(ctx, key, a.producer, iid, *id);
  }
  TrimWithPolicy(ctx, key, *s, a.trim, a.refs.value_or(RefPolicy::kKeepRef));
  ctx.db().NotifyChanged(key);
}

// ---- XTRIM ----

void CmdXTrim(CommandContext& ctx) {
  AddTrimArgs a;
  if (!ParseAddTrimArgs(ctx, false, &a)) return;
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return;
  if (*found == nullptr) return ctx.reply.Integer(0);
  uint64_t removed = TrimWithPolicy(ctx, ctx.arg(1), **found, a.trim,
                                    a.refs.value_or(RefPolicy::kKeepRef));
  if (removed > 0) ctx.db().NotifyChanged(ctx.arg(1));
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

// ---- XDEL ----

void CmdXDel(CommandContext& ctx) {
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return;
  if (*found == nullptr) return ctx.reply.Integer(0);
  std::vector<StreamId> ids;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    auto id = StrictIdOrReply(ctx, ctx.arg(i));
    if (!id) return;  // every ID is checked before anything is deleted
    ids.push_back(*id);
  }
  int64_t deleted = 0;
  auto limits = ctx.server.stream_limits();
  for (StreamId id : ids) deleted += (*found)->Delete(id, limits) ? 1 : 0;
  if (deleted > 0) ctx.db().NotifyChanged(ctx.arg(1));
  ctx.reply.Integer(deleted);
}

// ---- XLEN ----

void CmdXLen(CommandContext& ctx) {
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return;
  ctx.reply.Integer(*found ? static_cast<int64_t>((*found)->length()) : 0);
}

// ---- XRANGE / XREVRANGE ----

void RangeCommand(CommandContext& ctx, bool reverse) {
  auto start = IntervalIdOrReply(ctx, ctx.arg(reverse ? 3 : 2), true);
  if (!start) return;
  auto end = IntervalIdOrReply(ctx, ctx.arg(reverse ? 2 : 3), false);
  if (!end) return;
  int64_t count = -1;
  for (size_t i = 4; i < ctx.argc(); ++i) {
    if (IEquals(ctx.arg(i), "COUNT") && i + 1 < ctx.argc()) {
      auto v = IntArgOrReply(ctx, ctx.arg(++i));
      if (!v) return;
      count = *v < 0 ? 0 : *v;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return;
  if (*found == nullptr) return ctx.reply.Array(0);
  if (count == 0) return ctx.reply.NullArray();
  auto it = (*found)->Range(*start, *end, reverse);
  WriteRange(ctx.reply, it, count < 0 ? 0 : static_cast<uint64_t>(count));
}

void CmdXRange(CommandContext& ctx) { RangeCommand(ctx, false); }
void CmdXRevRange(CommandContext& ctx) { RangeCommand(ctx, true); }

// ---- XSETID ----

void CmdXSetId(CommandContext& ctx) {
  auto id = StrictIdOrReply(ctx, ctx.arg(2));
  if (!id) return;
  std::optional<uint64_t> entries_added;
  std::optional<StreamId> max_deleted;
  for (size_t i = 3; i < ctx.argc(); i += 2) {
    bool more = i + 1 < ctx.argc();
    if (IEquals(ctx.arg(i), "ENTRIESADDED") && more) {
      auto v = IntArgOrReply(ctx, ctx.arg(i + 1));
      if (!v) return;
      if (*v < 0) return ctx.Error(errors::kEntriesAddedNegative);
      entries_added = static_cast<uint64_t>(*v);
    } else if (IEquals(ctx.arg(i), "MAXDELETEDID") && more) {
      auto md = StrictIdOrReply(ctx, ctx.arg(i + 1));
      if (!md) return;
      if (*id < *md) return ctx.Error(errors::Message(streams::Errc::kSetIdSmallerThanMaxDeleted));
      max_deleted = *md;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return;
  if (*found == nullptr) return ctx.Error(errors::kNoSuchKey);
  streams::Errc e = (*found)->SetId(*id, entries_added, max_deleted);
  if (e != streams::Errc::kOk) return ctx.Error(errors::Message(e));
  // Redis does not count XSETID as a change of the key (a WATCH on it still lets EXEC run),
  // but the log must still record it.
  ctx.MarkDirty();
  ctx.reply.Ok();
}

}  // namespace

void RegisterStreamCommands(std::vector<CommandSpec>& out) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom | kCmdFast;
  out.push_back(
      MakeCommand("xadd", -5, kW | kCmdCustomEffects, CmdXAdd, 1, 1, 1, "@write @stream @fast")
          .Tips("nondeterministic_output")
          .KeyFlags("RW update",
                    "UPDATE instead of INSERT because of the optional trimming feature"));
  out.push_back(MakeCommand("xtrim", -4, kCmdWrite | kCmdCustomEffects, CmdXTrim, 1, 1, 1,
                            "@write @stream @slow")
                    .Tips("nondeterministic_output")
                    .KeyFlags("RW delete"));
  out.push_back(
      MakeCommand("xdel", -3, kCmdWrite | kCmdFast, CmdXDel, 1, 1, 1, "@write @stream @fast")
          .KeyFlags("RW delete"));
  out.push_back(
      MakeCommand("xlen", 2, kCmdReadOnly | kCmdFast, CmdXLen, 1, 1, 1, "@read @stream @fast")
          .KeyFlags("RO"));
  out.push_back(MakeCommand("xrange", -4, kCmdReadOnly, CmdXRange, 1, 1, 1, "@read @stream @slow"));
  out.push_back(
      MakeCommand("xrevrange", -4, kCmdReadOnly, CmdXRevRange, 1, 1, 1, "@read @stream @slow"));
  out.push_back(MakeCommand("xsetid", -3, kCmdWrite | kCmdDenyOom | kCmdFast, CmdXSetId, 1, 1, 1,
                            "@write @stream @fast"));
}

}  // namespace runnel::server
