// Where the consumer-group engine sends dead letters (streams/group_ops.h's DeadLetterSink) when
// a command runs: the group policy's DEADLETTER stream in the command's database.
//
// A dead letter is the source entry's fields, then six naming its origin:
//   dlq-stream  dlq-id  dlq-group  dlq-consumer  dlq-deliveries  dlq-reason
// appended with a fresh ID (as "*" would give) to the dead-letter stream, created if missing with
// the settings for new streams. The move is logged as one RUNNEL-DEADLETTER effect (the append and
// the source's acknowledgement together), and wakes the dead-letter stream's blocked readers.
//
// The key is refused — the entry stays pending, and the group counts the refusal — when it holds
// another type, is the source stream itself (a RENAME can make it so), or its stream cannot take
// another entry (its last ID is the maximum). The first refusal of a run (until a dead letter
// goes through again) is reported in the server's log, with the reason.
#pragma once

#include <string_view>

#include "dispatch/context.h"
#include "streams/group_ops.h"

namespace runnel::commands {

class DeadLetterWriter : public streams::DeadLetterSink {
 public:
  // For a command on the stream at `source_key`.
  DeadLetterWriter(dispatch::CommandContext& ctx, std::string_view source_key)
      : ctx_(ctx), source_key_(source_key) {}

  bool Append(const streams::ConsumerGroup& g, const streams::DeadLetter& letter) override;

 private:
  // Reports a refusal in the server's log, the first of a run only; returns false.
  bool Refuse(const streams::ConsumerGroup& g, std::string_view why);

  dispatch::CommandContext& ctx_;
  std::string_view source_key_;
};

}  // namespace runnel::commands
