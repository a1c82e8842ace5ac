#include "dispatch/command_table.h"

#include <cctype>

#include "dispatch/errors.h"

namespace runnel::dispatch {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

const CommandSpec* CommandSpec::FindSubcommand(std::string_view sub) const {
  std::string lower = Lower(sub);
  for (const CommandSpec& s : subcommands) {
    if (s.name == lower) return &s;
  }
  return nullptr;
}

CommandTable::CommandTable(std::vector<CommandSpec> specs) {
  for (CommandSpec& s : specs) Add(std::move(s));
}

void CommandTable::Add(CommandSpec spec) {
  if (commands_.count(spec.name) != 0) return;
  spec.fullname = spec.name;
  spec.acl_id = catalog_.Add(spec.fullname, acl::ParseCategories(spec.acl_categories));
  for (CommandSpec& sub : spec.subcommands) {
    sub.fullname = spec.name + "|" + sub.name;
    sub.acl_id = catalog_.Add(sub.fullname, acl::ParseCategories(sub.acl_categories), spec.acl_id);
  }
  std::string key = spec.name;
  auto [it, inserted] = commands_.emplace(key, std::move(spec));
  if (inserted) order_.push_back(&it->second);
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  if (name.size() > 64) return nullptr;
  auto it = commands_.find(Lower(name));
  return it == commands_.end() ? nullptr : &it->second;
}

const CommandSpec* CommandTable::Lookup(const resp::ArgList& args, std::string* error) const {
  const CommandSpec* spec = Find(args[0]);
  if (spec == nullptr) {
    *error = errors::UnknownCommand(args);
    return nullptr;
  }
  if (spec->is_container() && args.size() >= 2) {
    const CommandSpec* sub = spec->FindSubcommand(args[1]);
    if (sub == nullptr) {
      *error = errors::UnknownSubcommand(args[1], spec->name);
      return nullptr;
    }
    spec = sub;
  }
  return spec;
}

const CommandSpec* CommandTable::Resolve(const resp::ArgList& args, std::string* error) const {
  const CommandSpec* spec = Lookup(args, error);
  if (spec != nullptr && !ArityOk(*spec, args.size())) {
    *error = errors::WrongArity(spec->fullname);
    return nullptr;
  }
  return spec;
}

std::vector<std::string_view> FlagNames(uint32_t flags) {
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {kCmdWrite, "write"},
      {kCmdReadOnly, "readonly"},
      {kCmdDenyOom, "denyoom"},
      {kCmdAdmin, "admin"},
      {kCmdPubSub, "pubsub"},
      {kCmdNoScript, "noscript"},
      {kCmdBlocking, "blocking"},
      {kCmdLoading, "loading"},
      {kCmdStale, "stale"},
      {kCmdSkipMonitor, "skip_monitor"},
      {kCmdSkipSlowlog, "skip_slowlog"},
      {kCmdFast, "fast"},
      {kCmdNoAuth, "no_auth"},
      {kCmdMayReplicate, "may_replicate"},
      {kCmdSentinel, "sentinel"},
      {kCmdNoMandatoryKeys, "no_mandatory_keys"},
      {kCmdNoAsyncLoading, "no_async_loading"},
      {kCmdNoMulti, "no_multi"},
      {kCmdMovableKeys, "movablekeys"},
      {kCmdAllowBusy, "allow_busy"},
  };
  std::vector<std::string_view> out;
  for (auto [bit, name] : kNames) {
    if (flags & bit) out.push_back(name);
  }
  return out;
}

}  // namespace runnel::dispatch
