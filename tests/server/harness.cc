#include "tests/server/harness.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "commands/all_commands.h"
#include "effects/replay.h"
#include "effects/writer.h"
#include "resp/command_encoder.h"

namespace runnel::testing {

using resp::Reply;

std::vector<Reply> Harness::TestClient::TakeReplies() {
  std::vector<Reply> out;
  size_t pos = 0;
  while (pos < out_.size()) {
    Reply r;
    size_t consumed = 0;
    auto status = resp::ParseReply(std::string_view(out_).substr(pos), &r, &consumed);
    REQUIRE(status == resp::ParseReplyStatus::kOk);
    out.push_back(std::move(r));
    pos += consumed;
  }
  out_.clear();
  return out;
}

Harness::Harness(config::Config config) : config_(std::move(config)), last_cron_ms_(now_ms) {
  dispatcher_ = std::make_unique<dispatch::Dispatcher>(*this, commands::AllCommands(),
                                                       static_cast<int>(config_.databases), 42);
  dispatcher_->set_limits(LimitsFromConfig());
  // As a new log file starts: with the block limits its records are written under.
  std::string limits;
  effects::Writer(&limits).StreamLimits(dispatcher_->limits().stream);
  AppendRecord(0, now_ms, limits);
}

Harness::~Harness() = default;

dispatch::Limits Harness::LimitsFromConfig() const {
  dispatch::Limits limits;
  limits.stream = {static_cast<uint64_t>(config_.stream_node_max_bytes),
                   static_cast<uint64_t>(config_.stream_node_max_entries)};
  // As the server computes it (server.cc): Redis's 100 x node entries, 10000 without a limit
  // or past one (found by fuzz/dispatcher: a CONFIG SET near INT64_MAX overflowed here).
  const int64_t per_node = config_.stream_node_max_entries;
  limits.approx_trim_limit = per_node > 0 && per_node <= 10000 ? 100 * per_node : 10000;
  limits.new_stream = {config_.stream_idmp_duration, config_.stream_idmp_maxsize};
  return limits;
}

Harness::TestClient& Harness::client(int index) {
  auto& slot = clients_[index];
  if (!slot) {
    slot = std::make_unique<TestClient>(static_cast<uint64_t>(index) + 1, this);
    dispatcher_->StartSession(*slot);
  }
  return *slot;
}

void Harness::Send(const std::vector<std::string>& args, int index) {
  TestClient& c = client(index);
  c.held.push_back(args);
  RunHeld(c);
  RunScheduledResumes();
}

void Harness::RunHeld(TestClient& c) {
  while (!c.waiting() && !c.held.empty() && !c.closed) {
    resp::ArgList list;
    for (const std::string& a : c.held.front()) list.Add(a);
    c.held.pop_front();
    dispatcher_->Execute(c, list);
  }
}

// What the server does before polling: clients unblocked during the step run what they held.
void Harness::RunScheduledResumes() {
  for (bool again = true; again;) {
    again = false;
    for (auto& [index, c] : clients_) {
      if (!c->resume_scheduled) continue;
      c->resume_scheduled = false;
      RunHeld(*c);
      again = true;
    }
  }
}

Reply Harness::Run(const std::vector<std::string>& args, int index) {
  Send(args, index);
  std::vector<Reply> replies = Take(index);
  REQUIRE_MESSAGE(replies.size() == 1, args[0] << " gave " << replies.size() << " replies");
  return replies.front();
}

std::vector<Reply> Harness::Take(int index) { return client(index).TakeReplies(); }

void Harness::Disconnect(int index) {
  auto it = clients_.find(index);
  if (it == clients_.end()) return;
  dispatcher_->ClientClosed(*it->second);
  clients_.erase(it);
}

void Harness::Advance(int64_t ms) {
  const int64_t until = now_ms + ms;
  FireDue();
  while (now_ms < until) {
    // Step to whatever comes first: the end, the next cron, the next deadline or wake.
    int64_t next = std::min(until, last_cron_ms_ + 100);
    if (std::optional<uint64_t> t = dispatcher_->NextTimerUs()) {
      next = std::min(next, static_cast<int64_t>((*t + 999) / 1000));
    }
    now_ms = std::max(next, now_ms + 1);
    FireDue();
  }
}

void Harness::FireDue() {
  for (int guard = 0; guard < 1000; ++guard) {
    std::optional<uint64_t> next = dispatcher_->NextTimerUs();
    if (!next || *next > MonotonicUs()) break;
    dispatcher_->OnTimer();
    RunScheduledResumes();
  }
  if (now_ms - last_cron_ms_ >= 100) {
    last_cron_ms_ = now_ms;
    dispatcher_->Cron(now_ms);
    RunScheduledResumes();
  }
}

std::vector<std::string> Harness::EffectNames(size_t from) const {
  std::vector<std::string> names;
  for (size_t r = from; r < records.size(); ++r) {
    std::string_view payload = records[r].payload;
    size_t pos = 0;
    while (pos < payload.size()) {
      // Effects are RESP requests: parsing them as replies gives arrays of bulk strings.
      Reply effect;
      size_t consumed = 0;
      REQUIRE(resp::ParseReply(payload.substr(pos), &effect, &consumed) ==
              resp::ParseReplyStatus::kOk);
      pos += consumed;
      std::string name = effect.elements.at(0).str;
      if (name == "XGROUP") name += " " + effect.elements.at(1).str;
      names.push_back(name);
    }
  }
  return names;
}

std::unique_ptr<streams::Keyspace> Harness::Replay(std::string* error) const {
  std::unique_ptr<streams::Keyspace> fresh = dispatcher_->NewKeyspace();
  effects::ApplyContext ctx(*fresh);
  ctx.new_stream = dispatcher_->limits().new_stream;
  for (const Record& r : records) {
    ctx.db = r.db;
    ctx.time_ms = r.time_ms;
    if (!effects::ApplyPayload(ctx, r.payload, error)) return nullptr;
  }
  if (ctx.skipped != 0) {
    *error = std::to_string(ctx.skipped) + " effects found nothing to change";
    return nullptr;
  }
  return fresh;
}

std::string Harness::Dump() {
  constexpr int kDumpClient = 1000;
  std::string out;
  for (int db = 0; db < static_cast<int>(config_.databases); ++db) {
    Run({"SELECT", std::to_string(db)}, kDumpClient);
    Reply keys = Run({"KEYS", "*"}, kDumpClient);
    std::vector<std::string> names;
    for (const Reply& k : keys.elements) names.push_back(k.str);
    std::sort(names.begin(), names.end());
    for (const std::string& key : names) {
      std::string type = Run({"TYPE", key}, kDumpClient).str;
      out += std::to_string(db) + " " + key + " " + type + " expires " +
             Run({"PEXPIRETIME", key}, kDumpClient).ToString() + "\n";
      if (type == "string") {
        out += "  " + Run({"GET", key}, kDumpClient).ToString() + "\n";
      } else {
        out += "  " + Run({"XINFO", "STREAM", key, "FULL", "COUNT", "0"}, kDumpClient).ToString();
        out += "\n  " + Run({"XINFO", "GROUPS", key}, kDumpClient).ToString();
        out += "\n  " + Run({"XSCHEDULE", "LIST", key, "-", "+"}, kDumpClient).ToString() + "\n";
      }
    }
  }
  Run({"SELECT", "0"}, kDumpClient);
  return out;
}

std::string Harness::DumpReplayed() {
  std::string error;
  std::unique_ptr<streams::Keyspace> replayed = Replay(&error);
  if (!replayed) return "replay failed: " + error;
  Harness other(config_);
  other.now_ms = now_ms;
  other.log_on = false;
  other.dispatcher().ReplaceKeyspace(std::move(replayed));
  return other.Dump();
}

dispatch::Client* Harness::FindClient(uint64_t id) {
  auto it = clients_.find(static_cast<int>(id) - 1);
  return it == clients_.end() ? nullptr : it->second.get();
}

void Harness::AppendRecord(int db, int64_t time_ms, std::string_view payload) {
  records.push_back({db, time_ms, std::string(payload)});
}

bool Harness::SetConfig(config::Config updated, dispatch::ConfigApplyError*) {
  config_ = std::move(updated);
  dispatcher_->set_limits(LimitsFromConfig());
  return true;
}

bool Harness::Shutdown(std::string_view, SaveMode, bool, std::string* error) {
  *error = "the harness does not shut down";
  return false;
}

bool Harness::Save(std::string* error) {
  *error = "ERR the harness has no files";
  return false;
}

std::pair<bool, std::string> Harness::BackgroundSave(bool, bool) {
  return {false, "ERR the harness has no files"};
}

std::pair<bool, std::string> Harness::BackgroundRewrite(bool) {
  return {false, "ERR the harness has no files"};
}

bool Harness::Reload(bool, bool, std::string* error) {
  *error = "ERR the harness has no files";
  return false;
}

std::vector<dispatch::Client*> Harness::Clients() {
  std::vector<dispatch::Client*> all;
  for (auto& [index, c] : clients_) all.push_back(c.get());
  return all;
}

}  // namespace runnel::testing
