#include "commands/streams/group_log.h"

namespace runnel::commands {

void LogGroupChanges(dispatch::CommandContext& ctx, std::string_view key,
                     const streams::ConsumerGroup& g, const streams::GroupChanges& changes) {
  effects::Writer& w = ctx.effects();
  const streams::Consumer* c = changes.consumer;
  if (changes.consumer_created) w.ConsumerCreate(key, g.name(), c->name());
  w.Ack(key, g.name(), changes.acked);
  for (streams::StreamId id : changes.purged) w.Purge(key, g.name(), c->name(), id);
  for (streams::StreamId id : changes.delivered) w.Delivery(key, g, id);
  for (streams::StreamId id : changes.released) w.Release(key, g, id);
  if (changes.position_moved) w.GroupPosition(key, g);
  if (changes.counters_changed) w.GroupCounters(key, g);
  // MAXPENDING: a consumer that gave entries up may have room again; its blocked reader looks.
  if (g.policy().max_pending > 0 &&
      (!changes.acked.empty() || !changes.released.empty() || !changes.dead_lettered.empty() ||
       !changes.purged.empty() || !changes.delivered.empty())) {
    ctx.WakeReaders(key);
  }
  if (c == nullptr) return;
  if (!changes.delivered.empty() && !changes.consumer_active) {
    w.ConsumerTimes(key, g.name(), *c);  // re-delivered without becoming active
  } else if (!changes.consumer_created && changes.delivered.empty() && changes.purged.empty()) {
    ctx.NoteConsumerSeen(key, g.name(), c->name());
  }
}

}  // namespace runnel::commands
