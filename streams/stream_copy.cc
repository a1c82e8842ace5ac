// Stream::Copy (COPY): a deep copy built only from what a snapshot saves, through the same
// restore calls the snapshot loader uses, so a copy made live and the copy a log replay makes
// from a reloaded source are the same.
#include <cstdlib>
#include <string>
#include <vector>

#include "streams/stream.h"

namespace runnel::streams {
namespace {

void CopyGroup(const ConsumerGroup& from, ConsumerGroup& to) {
  // Source slot index -> the copy's consumer (indexes may differ where slots were reused).
  std::vector<Consumer*> owner;
  for (const auto& [name, c] : from.consumers()) {
    Consumer* copy = to.GetOrCreateConsumer(name, c->seen_ms()).first;
    copy->set_active_ms(c->active_ms());
    if (c->index() >= owner.size()) owner.resize(c->index() + 1, nullptr);
    owner[c->index()] = copy;
  }
  from.pel().ForEach([&](const PendingRecord& r) {
    if (IsUnowned(r)) {
      to.RestoreUnowned(r.id, r.delivery_ms, r.delivery_count);
    } else {
      to.SetPending(r.id, *owner[r.consumer], r.delivery_ms, r.delivery_count);
    }
  });
  to.set_policy(from.policy());
  to.counters() = from.counters();
}

void CopyIdmp(const IdmpState& from, IdmpState& to) {
  to.RestoreCounters(from.added(), from.duplicates());
  from.ForEachProducer([&](std::string_view pid, const IdmpState::Producer& p) {
    p.ForEachIid([&](std::string_view iid, StreamId id) { to.Restore(pid, iid, id); });
  });
}

}  // namespace

std::unique_ptr<Stream> Stream::Copy() const {
  auto copy = std::make_unique<Stream>();
  copy->RestoreMetadata(last_id_, first_id_, max_deleted_id_, entries_added_);
  blocks_.ForEach([&](const BlockTree::Entry& e) {
    std::string error;
    auto block = EntryBlock::FromBytes(e.value->master_id(), e.value->raw(), &error);
    // The bytes come from a live block, which always decodes; a failure is a bug.
    if (block == nullptr || !copy->RestoreBlock(std::move(block), &error)) std::abort();
  });
  for (const auto& [name, group] : groups_) {
    ConsumerGroup* g = copy->CreateGroup(name, group->last_delivered(), group->entries_read());
    CopyGroup(*group, *g);
  }
  copy->SetIdmpConfig(idmp_config_);
  if (idmp_ != nullptr) CopyIdmp(*idmp_, copy->idmp_state());
  copy->set_retention(retention_);
  if (schedule_ != nullptr) {
    Schedule& to = copy->mutable_schedule();
    schedule_->ForEach([&](const ScheduledEntry& e) { to.Restore(e.handle, e.payload); });
    to.RestoreNextSeq(schedule_->next_seq());
  }
  return copy;
}

}  // namespace runnel::streams
