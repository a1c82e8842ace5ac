// PubSub: Redis's Pub/Sub on one node — channels, patterns (KEYS's glob) and shard channels
// (all local, as on a single Redis), who listens to each, and the delivery of PUBLISH and
// SPUBLISH messages.
//
// Invariant: the registry here (name -> subscriber ids, in subscription order) and each
// client's own Client::subscriptions always agree, because every change goes through
// Subscribe / Unsubscribe / Drop. A subscriber is named by id, never by pointer, and looked up
// when a message is delivered.
//
// Messages are pushes (resp::ReplyWriter::Push: RESP3 '>', RESP2 an array), written to each
// receiver's reply buffer and sent before the next poll. Order, as in Redis: the channel's
// subscribers in the order they subscribed, then every matching pattern's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dispatch/client.h"

namespace runnel::dispatch {

enum class SubKind { kChannel, kPattern, kShard };

class PubSub {
 public:
  using FindClient = std::function<Client*(uint64_t)>;

  // Adds or removes one subscription; false when there was nothing to change.
  bool Subscribe(Client& c, SubKind kind, std::string_view name);
  bool Unsubscribe(Client& c, SubKind kind, std::string_view name);
  // Every subscription of the client (a closed client, RESET).
  void Drop(Client& c);

  // Delivers `message` on `channel` (a shard channel for SPUBLISH); returns the number of
  // deliveries, as PUBLISH replies (a client matching twice counts twice).
  size_t Publish(bool shard, std::string_view channel, std::string_view message,
                 const FindClient& find);

  // PUBSUB: active channels matching `pattern` (all when empty), a channel's subscribers, and
  // the number of distinct patterns.
  std::vector<std::string_view> Channels(bool shard, std::string_view pattern) const;
  size_t Subscribers(bool shard, std::string_view channel) const;
  size_t patterns() const { return patterns_.size(); }
  size_t channels(bool shard) const { return (shard ? shard_ : channels_).size(); }
  // Clients with at least one subscription (INFO's pubsub_clients).
  size_t clients() const { return clients_; }

 private:
  using Ids = std::vector<uint64_t>;  // subscribers, in subscription order
  template <typename Map>
  static bool Add(Map& map, std::string_view name, uint64_t id);
  template <typename Map>
  static void Remove(Map& map, std::string_view name, uint64_t id);
  void CountClient(bool was_subscribed, const Client& c);

  std::unordered_map<std::string, Ids> channels_, shard_;
  std::map<std::string, Ids, std::less<>> patterns_;
  size_t clients_ = 0;
};

// The subscribe / unsubscribe confirmation: [kind, name or nil, count].
void WriteSubscription(resp::ReplyWriter& r, std::string_view kind, const std::string* name,
                       size_t count);

}  // namespace runnel::dispatch
