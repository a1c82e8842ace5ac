// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] (Redis 7.0): the longest common
// subsequence of two strings, its length, or the matching ranges, with redis-server's replies.
//
// The classic dynamic-programming table of LCS lengths, then a walk back from its corner that
// collects the subsequence and, for IDX, the contiguous ranges it matched, from the end of the
// strings towards their start (the order redis-server reports them in).
#include <cstdint>
#include <string>
#include <vector>

#include "commands/keys/register.h"
#include "commands/keys/string_args.h"
#include "dispatch/args.h"

namespace runnel::commands {
namespace {

using dispatch::CommandContext;
using dispatch::CommandSpec;
using dispatch::IEquals;
namespace errors = dispatch::errors;

struct LcsOptions {
  bool len = false, idx = false, withmatchlen = false;
  int64_t minmatchlen = 0;
};

bool ParseLcs(CommandContext& ctx, LcsOptions* o) {
  for (size_t i = 3; i < ctx.argc(); ++i) {
    std::string_view opt = ctx.arg(i);
    if (IEquals(opt, "LEN")) {
      o->len = true;
    } else if (IEquals(opt, "IDX")) {
      o->idx = true;
    } else if (IEquals(opt, "WITHMATCHLEN")) {
      o->withmatchlen = true;
    } else if (IEquals(opt, "MINMATCHLEN") && i + 1 < ctx.argc()) {
      auto v = dispatch::IntArgOrReply(ctx, ctx.arg(++i));
      if (!v) return false;
      o->minmatchlen = std::max<int64_t>(*v, 0);
    } else {
      ctx.Error(errors::kSyntax);
      return false;
    }
  }
  if (o->len && o->idx) {
    ctx.Error(errors::kLcsLenAndIdx);
    return false;
  }
  return true;
}

// One matched range: [a_start, a_end] in the first string, [b_start, b_end] in the second.
struct LcsRange {
  uint32_t a_start, a_end, b_start, b_end;
};

void WriteRange(resp::ReplyWriter& r, const LcsRange& m, bool withmatchlen) {
  r.Array(withmatchlen ? 3 : 2);
  r.Array(2);
  r.Integer(m.a_start);
  r.Integer(m.a_end);
  r.Array(2);
  r.Integer(m.b_start);
  r.Integer(m.b_end);
  if (withmatchlen) r.Integer(m.a_end - m.a_start + 1);
}

void CmdLcs(CommandContext& ctx) {
  auto a_found = ctx.db().FindString(ctx.arg(1), ctx.now_ms);
  auto b_found = ctx.db().FindString(ctx.arg(2), ctx.now_ms);
  if (!a_found || !b_found) return ctx.Error(errors::kLcsNotStrings);
  LcsOptions o;
  if (!ParseLcs(ctx, &o)) return;
  static const std::string kEmpty;
  const std::string& a = *a_found ? **a_found : kEmpty;
  const std::string& b = *b_found ? **b_found : kEmpty;
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) {
    return ctx.Error(errors::kLcsTooLong);
  }
  const auto alen = static_cast<uint32_t>(a.size()), blen = static_cast<uint32_t>(b.size());
  const uint64_t cells = uint64_t{alen + 1} * (blen + 1);
  if (cells * sizeof(uint32_t) > static_cast<uint64_t>(ctx.admin().config().proto_max_bulk_len)) {
    return ctx.Error(errors::kLcsTooMuchMemory);
  }
  // table[i * (blen + 1) + j]: the LCS length of a[0, i) and b[0, j).
  std::vector<uint32_t> table(cells, 0);
  auto at = [&](uint32_t i, uint32_t j) -> uint32_t& {
    return table[uint64_t{i} * (blen + 1) + j];
  };
  for (uint32_t i = 1; i <= alen; ++i) {
    for (uint32_t j = 1; j <= blen; ++j) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  const uint32_t length = at(alen, blen);
  if (o.len) return ctx.reply.Integer(length);

  std::string lcs(length, '\0');
  std::vector<LcsRange> ranges;
  bool open = false;  // a range is being extended backwards
  LcsRange cur{};
  auto close = [&]() {
    if (open && (o.minmatchlen == 0 || cur.a_end - cur.a_start + 1 >= o.minmatchlen)) {
      ranges.push_back(cur);
    }
    open = false;
  };
  uint32_t i = alen, j = blen, k = length;
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      lcs[--k] = a[i - 1];
      if (open && cur.a_start == i && cur.b_start == j) {
        --cur.a_start;
        --cur.b_start;
      } else {
        close();
        cur = {i - 1, i - 1, j - 1, j - 1};
        open = true;
      }
      --i;
      --j;
      if (cur.a_start == 0 || cur.b_start == 0) close();  // the walk ends here
    } else {
      at(i - 1, j) > at(i, j - 1) ? --i : --j;
      close();
    }
  }
  close();
  if (!o.idx) return ctx.reply.Bulk(lcs);
  ctx.reply.Map(2);
  ctx.reply.Bulk("matches");
  ctx.reply.Array(ranges.size());
  for (const LcsRange& m : ranges) WriteRange(ctx.reply, m, o.withmatchlen);
  ctx.reply.Bulk("len");
  ctx.reply.Integer(length);
}

}  // namespace

void RegisterLcsCommand(std::vector<CommandSpec>& out) {
  using namespace dispatch;  // NOLINT: the flag names
  out.push_back({.name = "lcs",
                 .arity = -3,
                 .flags = kCmdReadOnly,
                 .handler = CmdLcs,
                 .keys = {1, 2, 1},
                 .acl_categories = "@read @string @slow",
                 .key_flags = "RO access"});
}

}  // namespace runnel::commands
