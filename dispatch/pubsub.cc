#include "dispatch/pubsub.h"

#include <algorithm>

#include "streams/glob.h"

namespace runnel::dispatch {
namespace {

std::set<std::string, std::less<>>& NamesOf(Client& c, SubKind kind) {
  switch (kind) {
    case SubKind::kChannel:
      return c.subscriptions.channels;
    case SubKind::kPattern:
      return c.subscriptions.patterns;
    case SubKind::kShard:
      break;
  }
  return c.subscriptions.shard_channels;
}

void Deliver(Client& c, std::string_view kind, const std::string* pattern, std::string_view channel,
             std::string_view message) {
  resp::ReplyWriter& r = c.reply();
  r.Push(pattern != nullptr ? 4 : 3);
  r.Bulk(kind);
  if (pattern != nullptr) r.Bulk(*pattern);
  r.Bulk(channel);
  r.Bulk(message);
  c.ScheduleFlush();
}

}  // namespace

template <typename Map>
bool PubSub::Add(Map& map, std::string_view name, uint64_t id) {
  auto it = map.find(std::string(name));
  if (it == map.end()) it = map.emplace(std::string(name), Ids{}).first;
  it->second.push_back(id);
  return true;
}

template <typename Map>
void PubSub::Remove(Map& map, std::string_view name, uint64_t id) {
  auto it = map.find(std::string(name));
  if (it == map.end()) return;
  Ids& ids = it->second;
  ids.erase(std::find(ids.begin(), ids.end(), id));
  if (ids.empty()) map.erase(it);
}

void PubSub::CountClient(bool was_subscribed, const Client& c) {
  if (was_subscribed && !c.subscriptions.any()) --clients_;
  if (!was_subscribed && c.subscriptions.any()) ++clients_;
}

bool PubSub::Subscribe(Client& c, SubKind kind, std::string_view name) {
  const bool was = c.subscriptions.any();
  if (!NamesOf(c, kind).emplace(name).second) return false;
  if (kind == SubKind::kPattern) {
    Add(patterns_, name, c.id());
  } else {
    Add(kind == SubKind::kShard ? shard_ : channels_, name, c.id());
  }
  CountClient(was, c);
  return true;
}

bool PubSub::Unsubscribe(Client& c, SubKind kind, std::string_view name) {
  const bool was = c.subscriptions.any();
  auto& names = NamesOf(c, kind);
  auto it = names.find(name);
  if (it == names.end()) return false;
  if (kind == SubKind::kPattern) {
    Remove(patterns_, name, c.id());
  } else {
    Remove(kind == SubKind::kShard ? shard_ : channels_, name, c.id());
  }
  names.erase(it);
  CountClient(was, c);
  return true;
}

void PubSub::Drop(Client& c) {
  for (SubKind kind : {SubKind::kChannel, SubKind::kPattern, SubKind::kShard}) {
    std::vector<std::string> names(NamesOf(c, kind).begin(), NamesOf(c, kind).end());
    for (const std::string& name : names) Unsubscribe(c, kind, name);
  }
}

size_t PubSub::Publish(bool shard, std::string_view channel, std::string_view message,
                       const FindClient& find) {
  size_t receivers = 0;
  const auto& map = shard ? shard_ : channels_;
  if (auto it = map.find(std::string(channel)); it != map.end()) {
    for (uint64_t id : it->second) {
      if (Client* c = find(id)) {
        Deliver(*c, shard ? "smessage" : "message", nullptr, channel, message);
        ++receivers;
      }
    }
  }
  if (shard) return receivers;
  for (const auto& [pattern, ids] : patterns_) {
    if (!streams::GlobMatch(pattern, channel)) continue;
    for (uint64_t id : ids) {
      if (Client* c = find(id)) {
        Deliver(*c, "pmessage", &pattern, channel, message);
        ++receivers;
      }
    }
  }
  return receivers;
}

std::vector<std::string_view> PubSub::Channels(bool shard, std::string_view pattern) const {
  std::vector<std::string_view> out;
  for (const auto& [name, ids] : shard ? shard_ : channels_) {
    if (pattern.empty() || streams::GlobMatch(pattern, name)) out.push_back(name);
  }
  return out;
}

size_t PubSub::Subscribers(bool shard, std::string_view channel) const {
  const auto& map = shard ? shard_ : channels_;
  auto it = map.find(std::string(channel));
  return it == map.end() ? 0 : it->second.size();
}

void WriteSubscription(resp::ReplyWriter& r, std::string_view kind, const std::string* name,
                       size_t count) {
  r.Push(3);
  r.Bulk(kind);
  if (name != nullptr) {
    r.Bulk(*name);
  } else {
    r.Null();
  }
  r.Integer(static_cast<int64_t>(count));
}

}  // namespace runnel::dispatch
