#include "commands/streams/group_log.h"

#include "config/config.h"
#include "dispatch/args.h"

namespace runnel::commands {

namespace {

// XREADGROUP ... CLAIM min-idle ...: its deliveries of already-pending entries are claims.
bool HasClaimOption(const dispatch::CommandContext& ctx) {
  for (size_t i = 1; i < ctx.argc() && !dispatch::IEquals(ctx.arg(i), "STREAMS"); ++i) {
    if (dispatch::IEquals(ctx.arg(i), "CLAIM")) return true;
  }
  return false;
}

void CountActivity(const dispatch::CommandContext& ctx, const streams::ConsumerGroup& g,
                   const streams::GroupChanges& changes) {
  streams::GroupActivity& a = g.activity();
  a.delivered += changes.delivered.size();
  a.read += changes.read_new;
  a.acknowledged += changes.acked.size();
  a.nacked += changes.released.size();
  const std::string& command = ctx.spec.fullname;
  if (command == "xclaim" || command == "xautoclaim") {
    a.claimed += changes.delivered.size();
  } else if (command == "xreadgroup" && HasClaimOption(ctx) &&
             changes.delivered.size() > changes.read_new) {
    a.claimed += changes.delivered.size() - changes.read_new;
  }
}

}  // namespace

void LogGroupChanges(dispatch::CommandContext& ctx, std::string_view key,
                     const streams::ConsumerGroup& g, const streams::GroupChanges& changes) {
  CountActivity(ctx, g, changes);
  effects::Writer& w = ctx.effects();
  const streams::Consumer* c = changes.consumer;
  if (changes.consumer_created) {
    w.ConsumerCreate(key, g.name(), c->name());
    ctx.Notify(config::kNotifyStream, "xgroup-createconsumer", key);
  }
  w.Ack(key, g.name(), changes.acked);
  for (streams::StreamId id : changes.purged) w.Purge(key, g.name(), c->name(), id);
  // An entry handed out and then dead-lettered by the same command (XCLAIM naming it twice, past
  // MAXDELIVERIES) is pending no more: its RUNNEL-DEADLETTER, already written, says it all.
  bool delivery_logged = false;
  for (streams::StreamId id : changes.delivered) {
    if (!g.FindPending(id)) continue;
    w.Delivery(key, g, id);
    delivery_logged = true;
  }
  // Likewise an entry released and then dead-lettered by one XNACK (FORCE naming it twice).
  for (streams::StreamId id : changes.released) {
    if (g.FindPending(id)) w.Release(key, g, id);
  }
  if (changes.position_moved) w.GroupPosition(key, g);
  if (changes.counters_changed) w.GroupCounters(key, g);
  // MAXPENDING: a consumer that gave entries up may have room again; its blocked reader looks.
  if (g.policy().max_pending > 0 &&
      (!changes.acked.empty() || !changes.released.empty() || !changes.dead_lettered.empty() ||
       !changes.purged.empty() || !changes.delivered.empty())) {
    ctx.WakeReaders(key);
  }
  if (c == nullptr) return;
  // A Delivery effect replays as "seen and active now": where that is not what happened (a
  // re-delivery that does not make the consumer active, or an active consumer whose every
  // delivery was dead-lettered), the times are written as they are.
  if (delivery_logged != changes.consumer_active) {
    w.ConsumerTimes(key, g.name(), *c);
  } else if (!changes.consumer_created && !delivery_logged && changes.purged.empty()) {
    ctx.NoteConsumerSeen(key, g.name(), c->name());
  }
}

}  // namespace runnel::commands
