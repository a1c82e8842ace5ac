#include "commands/streams/dead_letters.h"

#include <string>
#include <vector>

#include "commands/streams/stream_args.h"
#include "commands/streams/stream_refs.h"
#include "config/config.h"

namespace runnel::commands {

namespace {

// The letter's fields: the entry's own, then its origin's. Copied, because the source entry's
// block may be the one the append writes to.
std::vector<std::string> LetterFields(std::string_view source_key, const streams::ConsumerGroup& g,
                                      const streams::DeadLetter& letter) {
  std::vector<std::string> out;
  auto fields = letter.entry->Fields();
  streams::StoredValue f, v;
  char buf[24];
  while (fields.Next(&f, &v)) {
    out.emplace_back(f.Text(buf));
    out.emplace_back(v.Text(buf));
  }
  out.insert(out.end(),
             {"dlq-stream", std::string(source_key), "dlq-id", letter.id.ToString(), "dlq-group",
              g.name(), "dlq-consumer", std::string(letter.consumer), "dlq-deliveries",
              std::to_string(letter.deliveries), "dlq-reason", std::string(letter.reason)});
  return out;
}

}  // namespace

bool DeadLetterWriter::Refuse(const streams::ConsumerGroup& g, std::string_view why) {
  if (!g.dead_letter_refusing()) {  // the first refusal of a run; the counter has the rest
    ctx_.Warn("Consumer group '" + g.name() + "' of stream '" + std::string(source_key_) +
              "' cannot dead-letter into '" + g.policy().dead_letter + "': " + std::string(why) +
              ". Entries past MAXDELIVERIES stay pending; XINFO GROUPS counts the attempts "
              "(dead-letter-failures).");
  }
  return false;
}

bool DeadLetterWriter::Append(const streams::ConsumerGroup& g, const streams::DeadLetter& letter) {
  const std::string& key = g.policy().dead_letter;
  if (key == source_key_) return Refuse(g, "it is the group's own stream");
  auto found = ctx_.db().FindStream(key, ctx_.now_ms);
  if (!found) return Refuse(g, "the key holds another type");
  streams::Stream* s = *found;
  static const streams::Stream kEmpty;
  auto id =
      (s != nullptr ? *s : kEmpty)
          .NextId({.kind = streams::AddIdSpec::Kind::kAuto}, static_cast<uint64_t>(ctx_.now_ms));
  if (!id) return Refuse(g, "its stream has reached the largest ID");
  std::vector<std::string> owned = LetterFields(source_key_, g, letter);
  std::vector<std::string_view> fields(owned.begin(), owned.end());
  bool created = s == nullptr;
  if (created) s = CreateStream(ctx_, key);
  s->Append(*id, fields, ctx_.limits().stream);
  ctx_.effects().DeadLetter(source_key_, g.name(), letter.id, key, *id, fields);
  if (created) LogNewStreamSettings(ctx_, key, *s);
  ctx_.Notify(config::kNotifyStream, "xadd", key);
  if (TrimToRetention(ctx_, key, *s) > 0) {  // a dead-letter stream can have retention too
    ctx_.Notify(config::kNotifyStream, "xtrim", key);
  }
  ctx_.Changed();
  ctx_.db().NotifyChanged(key);
  return true;
}

}  // namespace runnel::commands
