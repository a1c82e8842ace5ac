// Stream commands: XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID.
// (XREAD and XREADGROUP live in cmd_read.cc, XINFO in cmd_xinfo.cc, groups in cmd_xgroup.cc and
// cmd_claims.cc.)
//
// Argument checks happen in redis-server's order (which decides which error a bad command
// gets), then the data operation runs on streams::Stream, then the reply is written and the
// effects logged. Changes are reported with NotifyChanged, which wakes blocked readers and fails
// WATCHers' EXEC.
#include <string>
#include <vector>

#include "commands/streams/register.h"
#include "commands/streams/schedule_cmds.h"
#include "commands/streams/stream_args.h"
#include "commands/streams/stream_refs.h"
#include "commands/streams/stream_reply.h"
#include "config/config.h"
#include "dispatch/args.h"
#include "dispatch/client.h"

namespace runnel::commands {
namespace {

using dispatch::ArgParser;
using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
using streams::AddIdSpec;
using streams::Stream;
using streams::StreamId;
using streams::TrimSpec;
namespace errors = dispatch::errors;

constexpr uint64_t kMaxEntryBytes = 1ULL << 30;  // Redis's listpack safety limit

// ---- XADD / XTRIM options ----

struct AddTrimArgs {
  TrimSpec trim;
  bool nomkstream = false;
  bool limit_given = false;
  AddIdSpec id;
  size_t id_pos = 0;              // XADD: where the ID is
  std::optional<RefPolicy> refs;  // KEEPREF / DELREF / ACKED (8.2); KEEPREF when not given
  // XADD IDMP producer iid / IDMPAUTO producer (8.6): the iid is then the fields' hash.
  bool idmp = false, idmp_auto = false;
  std::string_view producer, iid;
  // XADD DELAY ms / AT unix-ms (Runnel, docs/queues.md): when the entry is due.
  std::optional<int64_t> due_ms;
};

// DELAY's or AT's value, after the keyword: the due time.
void ParseDue(CommandContext& ctx, ArgParser& p, bool at, AddTrimArgs* a) {
  if (a->due_ms) return p.Fail(errors::kDelayTwice);
  int64_t v = p.Int();
  if (!p.ok()) return;
  if (v < 0 || v > streams::kMaxScheduleMs) {
    return p.Fail(errors::PolicyValueRange(at ? "AT" : "DELAY", streams::kMaxScheduleMs));
  }
  a->due_ms = at ? v : std::min(ctx.now_ms + v, streams::kMaxScheduleMs);
}

// IDMP's or IDMPAUTO's arguments, after the keyword.
void ParseIdmp(ArgParser& p, bool automatic, AddTrimArgs* a) {
  if (a->idmp) return p.Fail(errors::kIdmpTwice);
  a->idmp = true;
  a->idmp_auto = automatic;
  a->producer = p.Next();
  if (a->producer.empty()) {
    return p.Fail(automatic ? errors::kIdmpAutoEmptyProducer : errors::kIdmpEmptyProducer);
  }
  if (automatic) return;
  a->iid = p.Next();
  if (a->iid.empty()) p.Fail(errors::kIdmpEmptyIid);
}

// MAXLEN's or MINID's [~|=] threshold, after the keyword.
void ParseTrimThreshold(CommandContext& ctx, ArgParser& p, bool maxlen, AddTrimArgs* a) {
  if (a->trim.strategy != TrimSpec::Strategy::kNone) return p.Fail(errors::kTrimMaxLenAndMinId);
  a->trim.approx = false;
  std::string_view next = ctx.arg(p.pos());
  if (p.Remaining() >= 1 && (next == "~" || next == "=")) {
    a->trim.approx = next == "~";
    p.Next();
  }
  if (maxlen) {
    int64_t v = p.Int();
    if (p.ok() && v < 0) p.Fail(errors::kTrimMaxLenNegative);
    a->trim.maxlen = static_cast<uint64_t>(v);
    a->trim.strategy = TrimSpec::Strategy::kMaxLen;
  } else {
    a->trim.minid = p.Id();
    a->trim.strategy = TrimSpec::Strategy::kMinId;
  }
}

// Where XADD's options end: the ID ("*" or an explicit one).
void ParseAddId(CommandContext& ctx, ArgParser& p, AddTrimArgs* a) {
  std::string_view text = ctx.arg(p.pos());
  if (text == "*") return;
  auto parsed = streams::ParseStreamId(text, {.strict = true, .allow_auto_seq = true});
  if (!parsed) return p.Fail(errors::kInvalidStreamId);
  a->id.kind = parsed->seq_given ? AddIdSpec::Kind::kExplicit : AddIdSpec::Kind::kAutoSeq;
  a->id.id = parsed->id;
}

// The checks after the options, in Redis's order, and the default work limit of '~' trims.
bool CheckAddTrimArgs(CommandContext& ctx, bool xadd, AddTrimArgs* a) {
  if (a->due_ms) {
    std::string_view error = a->id.kind != AddIdSpec::Kind::kAuto ? errors::kDelayNeedsAutoId
                             : a->idmp                            ? errors::kDelayWithIdmp
                             : a->trim.strategy != TrimSpec::Strategy::kNone || a->limit_given
                                 ? errors::kDelayWithTrim
                                 : std::string_view();
    if (!error.empty()) {
      ctx.Error(error);
      return false;
    }
  }
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
  if (a->limit_given && !a->trim.approx) {
    // Redis propagates a '~' trim as '=' with the count it reached and LIMIT left in place;
    // from a Redis master the LIMIT is ignored, as Redis's own replicas ignore it.
    if (!ctx.client().master) {
      ctx.Error(errors::kTrimLimitWithoutApprox);
      return false;
    }
    a->limit_given = false;
  }
  if (!a->limit_given) a->trim.limit = a->trim.approx ? ctx.limits().approx_trim_limit : 0;
  return true;
}

// Parses XADD's or XTRIM's options. Returns false after replying an error. For XADD,
// a->id_pos is the ID's position.
bool ParseAddTrimArgs(CommandContext& ctx, bool xadd, AddTrimArgs* a) {
  ArgParser p(ctx, 2);
  while (p.HasNext()) {
    std::string_view opt = ctx.arg(p.pos());
    if (xadd && opt == "*") break;
    if (p.Check("MAXLEN", 1) || p.Check("MINID", 1)) {
      ParseTrimThreshold(ctx, p, IEquals(opt, "MAXLEN"), a);
    } else if (p.Check("LIMIT", 1)) {
      a->trim.limit = p.Int();
      if (p.ok() && a->trim.limit < 0) p.Fail(errors::kTrimLimitNegative);
      a->limit_given = true;
    } else if (xadd && p.Check("NOMKSTREAM")) {
      a->nomkstream = true;
    } else if (xadd && (p.Check("IDMP", 2) || p.Check("IDMPAUTO", 1))) {
      ParseIdmp(p, IEquals(opt, "IDMPAUTO"), a);
    } else if (xadd && (p.Check("DELAY", 1) || p.Check("AT", 1))) {
      ParseDue(ctx, p, IEquals(opt, "AT"), a);
    } else if (auto policy = ParseRefPolicy(opt); policy && !a->refs) {
      a->refs = policy;  // a second one falls through: XADD then reads it as the ID
      p.Next();
    } else if (xadd) {
      ParseAddId(ctx, p, a);
      break;
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  a->id_pos = p.pos();
  return p.Finish() && CheckAddTrimArgs(ctx, xadd, a);
}

// ---- XADD ----

// A duplicate IDMP XADD: the entry its iid added before. It is answered with that entry's ID,
// and nothing is added or trimmed.
std::optional<StreamId> FindDuplicate(const Stream* s, const AddTrimArgs& a, std::string_view iid) {
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
  std::string iid;
  if (a.idmp) iid = a.idmp_auto ? streams::IdmpAutoId(fields) : std::string(a.iid);
  if (auto original = FindDuplicate(s, a, iid)) {
    s->idmp_state().CountDuplicate();
    ctx.effects().IdmpDuplicate(key);
    ctx.Changed();
    WriteStreamId(ctx.reply, *original);
    ctx.db().NotifyChanged(key);  // as Redis, a duplicate still touches the key
    return;
  }
  if (s != nullptr && s->last_id().IsMax()) {
    return ctx.Error(errors::Message(streams::Errc::kStreamExhausted));
  }
  if (bytes > kMaxEntryBytes) return ctx.Error(errors::Message(streams::Errc::kElementsTooLarge));
  if (a.due_ms) return ScheduleEntry(ctx, key, s, *a.due_ms, fields);
  static const Stream kEmpty;  // a key with no stream yet gives IDs as an empty one does
  auto id = (s != nullptr ? *s : kEmpty).NextId(a.id, static_cast<uint64_t>(ctx.now_ms));
  if (!id) return ctx.Error(errors::Message(id.error()));
  bool created = s == nullptr;
  if (created) s = CreateStream(ctx, key);
  s->Append(*id, fields, ctx.limits().stream);
  WriteStreamId(ctx.reply, *id);
  ctx.effects().XAdd(key, *id, fields);  // the ID the entry got, never "*"
  if (created) LogNewStreamSettings(ctx, key, *s);
  if (a.idmp) {
    s->idmp_state().Record(a.producer, iid, *id, static_cast<uint64_t>(s->idmp_config().maxsize));
    ctx.db().TrackIdmp(key);
    ctx.effects().IdmpRecord(key, a.producer, iid, *id);
  }
  ctx.Notify(config::kNotifyStream, "xadd", key);
  uint64_t trimmed = TrimWithPolicy(ctx, key, *s, a.trim, a.refs.value_or(RefPolicy::kKeepRef));
  trimmed += TrimToRetention(ctx, key, *s);
  if (trimmed > 0) ctx.Notify(config::kNotifyStream, "xtrim", key);
  ctx.Changed();  // one change, whatever the trim removed (as Redis counts it)
  ctx.db().NotifyChanged(key);
}

// ---- XTRIM ----

void CmdXTrim(CommandContext& ctx) {
  AddTrimArgs a;
  if (!ParseAddTrimArgs(ctx, false, &a)) return;
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return;
  if (*found == nullptr) return ctx.reply.Integer(0);
  uint64_t removed =
      TrimWithPolicy(ctx, ctx.arg(1), **found, a.trim, a.refs.value_or(RefPolicy::kKeepRef));
  if (removed > 0) {
    ctx.db().NotifyChanged(ctx.arg(1));
    ctx.Notify(config::kNotifyStream, "xtrim", ctx.arg(1));
  }
  ctx.Changed(removed);
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
  std::vector<StreamId> deleted;
  for (StreamId id : ids) {
    if ((*found)->Delete(id, ctx.limits().stream)) deleted.push_back(id);
  }
  if (!deleted.empty()) {
    ctx.db().NotifyChanged(ctx.arg(1));
    ctx.Notify(config::kNotifyStream, "xdel", ctx.arg(1));
  }
  ctx.effects().XDel(ctx.arg(1), deleted);
  ctx.Changed(deleted.size());
  ctx.reply.Integer(static_cast<int64_t>(deleted.size()));
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
  ArgParser p(ctx, 4);
  while (p.HasNext()) {
    if (p.Check("COUNT", 1)) {
      int64_t v = p.Int();
      count = v < 0 ? 0 : v;
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.Finish()) return;
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
  ArgParser p(ctx, 3);
  while (p.HasNext()) {
    if (p.Check("ENTRIESADDED", 1)) {
      int64_t v = p.Int();
      if (p.ok() && v < 0) p.Fail(errors::kEntriesAddedNegative);
      entries_added = static_cast<uint64_t>(v);
    } else if (p.Check("MAXDELETEDID", 1)) {
      max_deleted = p.Id();
      if (p.ok() && *id < *max_deleted) {
        p.Fail(errors::Message(streams::Errc::kSetIdSmallerThanMaxDeleted));
      }
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.Finish()) return;
  auto found = StreamOrReply(ctx, ctx.arg(1));
  if (!found) return;
  if (*found == nullptr) return ctx.Error(errors::kNoSuchKey);
  streams::Errc e = (*found)->SetId(*id, entries_added, max_deleted);
  if (e != streams::Errc::kOk) return ctx.Error(errors::Message(e));
  // Redis does not count XSETID as a change of the key (a WATCH on it still lets EXEC run),
  // but it is a change to save and log.
  ctx.effects().XSetId(ctx.arg(1), **found);
  ctx.Notify(config::kNotifyStream, "xsetid", ctx.arg(1));
  ctx.Changed();
  ctx.reply.Ok();
}

}  // namespace

void RegisterStreamCommands(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom | kCmdFast;
  out.push_back({.name = "xadd",
                 .arity = -5,
                 .flags = kW,
                 .handler = CmdXAdd,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @stream @fast",
                 .tips = "nondeterministic_output",
                 .key_flags = "RW update",
                 .key_notes = "UPDATE instead of INSERT because of the optional trimming feature"});
  out.push_back({.name = "xtrim",
                 .arity = -4,
                 .flags = kCmdWrite,
                 .handler = CmdXTrim,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @stream @slow",
                 .tips = "nondeterministic_output",
                 .key_flags = "RW delete"});
  out.push_back({.name = "xdel",
                 .arity = -3,
                 .flags = kCmdWrite | kCmdFast,
                 .handler = CmdXDel,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @stream @fast",
                 .key_flags = "RW delete"});
  out.push_back({.name = "xlen",
                 .arity = 2,
                 .flags = kCmdReadOnly | kCmdFast,
                 .handler = CmdXLen,
                 .keys = {1, 1, 1},
                 .acl_categories = "@read @stream @fast",
                 .key_flags = "RO"});
  out.push_back({.name = "xrange",
                 .arity = -4,
                 .flags = kCmdReadOnly,
                 .handler = CmdXRange,
                 .keys = {1, 1, 1},
                 .acl_categories = "@read @stream @slow"});
  out.push_back({.name = "xrevrange",
                 .arity = -4,
                 .flags = kCmdReadOnly,
                 .handler = CmdXRevRange,
                 .keys = {1, 1, 1},
                 .acl_categories = "@read @stream @slow"});
  out.push_back({.name = "xsetid",
                 .arity = -3,
                 .flags = kW,
                 .handler = CmdXSetId,
                 .keys = {1, 1, 1},
                 .acl_categories = "@write @stream @fast"});
}

}  // namespace runnel::commands
