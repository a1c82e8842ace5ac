#include "commands/streams/stream_reply.h"

namespace runnel::commands {

void WriteStreamId(resp::ReplyWriter& reply, streams::StreamId id) {
  char buf[48];
  reply.Bulk(std::string_view(buf, id.Format(buf)));
}

void WritePolicyPairs(resp::ReplyWriter& reply, const streams::GroupPolicy& p) {
  reply.Bulk("maxdeliveries");
  reply.Integer(static_cast<int64_t>(p.max_deliveries));
  reply.Bulk("deadletter");
  if (p.dead_letter.empty()) {
    reply.Null();
  } else {
    reply.Bulk(p.dead_letter);
  }
  reply.Bulk("backoff");
  reply.Array(p.backoff.size());
  for (int64_t ms : p.backoff) reply.Integer(ms);
  reply.Bulk("maxpending");
  reply.Integer(static_cast<int64_t>(p.max_pending));
  reply.Bulk("consumer-expire");
  reply.Integer(p.consumer_expire_ms);
}

namespace {

void WriteIdAndFields(resp::ReplyWriter& reply, const streams::Stream::Iterator& it) {
  WriteStreamId(reply, it.id());
  auto fields = it.Fields();
  reply.Array(fields.count() * 2);
  streams::StoredValue f, v;
  char buf[24];
  while (fields.Next(&f, &v)) {
    reply.Bulk(f.Text(buf));
    reply.Bulk(v.Text(buf));
  }
}

}  // namespace

void WriteEntry(resp::ReplyWriter& reply, const streams::Stream::Iterator& it) {
  reply.Array(2);
  WriteIdAndFields(reply, it);
}

void WriteEntryWithDelivery(resp::ReplyWriter& reply, const streams::Stream::Iterator& it,
                            int64_t idle_ms, int64_t deliveries) {
  reply.Array(4);
  WriteIdAndFields(reply, it);
  reply.Integer(idle_ms);
  reply.Integer(deliveries);
}

size_t WriteRange(resp::ReplyWriter& reply, streams::Stream::Iterator& it, uint64_t count) {
  auto header = reply.Begin();
  size_t n = 0;
  while ((count == 0 || n < count) && it.Next()) {
    WriteEntry(reply, it);
    ++n;
  }
  reply.EndArray(header, n);
  return n;
}

}  // namespace runnel::commands
