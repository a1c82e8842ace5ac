// The dispatcher's side of ACL: which user a client runs as, logging in, the check every command
// passes before it runs or queues, and what happens to clients when their user changes.
#include <utility>

#include "dispatch/dispatcher.h"
#include "dispatch/errors.h"
#include "dispatch/key_specs.h"

namespace runnel::dispatch {
namespace {

// The Pub/Sub commands whose arguments are channels (or, for PSUBSCRIBE, channel patterns): the
// publishing commands name one, the subscribing ones any number. Unsubscribing needs no right.
bool ChannelArgs(std::string_view name, size_t* last_only, bool* patterns) {
  *patterns = name == "psubscribe";
  *last_only = 0;
  if (name == "publish" || name == "spublish") {
    *last_only = 1;
    return true;
  }
  return name == "subscribe" || name == "ssubscribe" || name == "psubscribe";
}

}  // namespace

void Dispatcher::StartSession(Client& client) {
  const acl::User& user = users_.default_user();
  client.user = &user;
  client.SetAuthenticated(user.enabled() && user.nopass());
}

bool Dispatcher::Authenticate(Client& client, std::string_view command, std::string_view name,
                              std::string_view password) {
  acl::User* user = users_.Find(name);
  if (user != nullptr && user->enabled() && user->CheckPassword(password)) {
    client.user = user;
    client.SetAuthenticated(true);
    return true;
  }
  stats_.acl_denied_auth++;
  acl_log_.Add({.reason = "auth",
                .context = client.multi.active ? "multi" : "toplevel",
                .object = std::string(command),
                .username = std::string(name),
                .client_info = client.Describe()},
               host_.NowMs());
  return false;
}

acl::Denial Dispatcher::CheckAccess(const acl::User& user, const CommandSpec& spec,
                                    const resp::ArgList& args) const {
  // Commands allowed before AUTH (AUTH, HELLO) are never refused for want of a right to them.
  if (user.unrestricted() || (spec.flags & kCmdNoAuth)) return {};
  acl::AccessRequest request;
  request.command_id = spec.acl_id;
  if (args.size() > 1) request.first_arg = args[1];
  for (const KeyRef& k : FindKeys(spec, args)) {
    const uint8_t access = (k.read ? acl::kKeyRead : 0) | (k.write ? acl::kKeyWrite : 0);
    request.keys.push_back({k.key, access, k.arg_index});
  }
  size_t last_only = 0;
  if (ChannelArgs(spec.fullname, &last_only, &request.channels_are_patterns)) {
    const size_t end = last_only != 0 ? std::min(args.size(), last_only + 1) : args.size();
    for (size_t i = 1; i < end; ++i) request.channels.push_back({args[i], i});
  }
  return user.Check(request);
}

bool Dispatcher::Permitted(Client& c, const CommandSpec& spec, const resp::ArgList& args) {
  if (c.user == nullptr) {  // its user was deleted: it is closing and runs nothing more
    Reject(c, &spec, errors::NoPermCommand(spec.fullname));
    return false;
  }
  acl::Denial denial = CheckAccess(*c.user, spec, args);
  if (!denial) return true;
  LogDenial(c, denial, spec, false);
  switch (denial.reason) {
    case acl::Denial::Reason::kKey:
      Reject(c, &spec, errors::kNoPermKey);
      break;
    case acl::Denial::Reason::kChannel:
      Reject(c, &spec, errors::kNoPermChannel);
      break;
    default:
      Reject(c, &spec, errors::NoPermCommand(spec.fullname));
  }
  return false;
}

bool Dispatcher::PermittedInExec(Client& c, const CommandSpec& spec, const resp::ArgList& args) {
  if (c.master) return true;  // a Redis master's transaction: trusted as its commands are
  acl::Denial denial = c.user != nullptr ? CheckAccess(*c.user, spec, args)
                                         : acl::Denial{acl::Denial::Reason::kCommand, "", 0};
  if (!denial) return true;
  LogDenial(c, denial, spec, true);
  command_stats_.For(spec).rejected++;
  std::string error = denial.reason == acl::Denial::Reason::kKey ? std::string(errors::kNoPermKey)
                      : denial.reason == acl::Denial::Reason::kChannel
                          ? std::string(errors::kNoPermChannel)
                          : errors::NoPermCommand(spec.fullname);
  command_stats_.CountError(error);
  c.reply().Error(error);
  return false;
}

void Dispatcher::LogDenial(const Client& c, const acl::Denial& denial, const CommandSpec& spec,
                           bool in_exec) {
  const char* reason = "command";
  if (denial.reason == acl::Denial::Reason::kKey) {
    reason = "key";
    stats_.acl_denied_key++;
  } else if (denial.reason == acl::Denial::Reason::kChannel) {
    reason = "channel";
    stats_.acl_denied_channel++;
  } else {
    stats_.acl_denied_cmd++;
  }
  acl_log_.Add(
      {.reason = reason,
       .context = in_exec ? "multi" : "toplevel",
       .object = denial.reason == acl::Denial::Reason::kCommand ? spec.fullname : denial.object,
       .username = c.user != nullptr ? c.user->name() : std::string(),
       .client_info = c.Describe()},
      host_.NowMs());
}

void Dispatcher::Disconnect(Client& client, const Client& caller) {
  if (&client == &caller) {
    client.CloseAfterReply();
  } else {
    client.Close();
  }
}

bool Dispatcher::DeleteUser(std::string_view name, Client& caller) {
  const acl::User* user = users_.Find(name);
  if (user == nullptr || name == "default") return false;
  for (Client* c : host_.admin().Clients()) {
    if (c->user != user) continue;
    c->user = nullptr;
    Disconnect(*c, caller);
  }
  return users_.Delete(name);
}

void Dispatcher::ReplaceUsers(acl::Users&& loaded, Client& caller) {
  // The default user keeps its address (users.h); a client of another user stays when the
  // file has its user unchanged.
  const acl::User* old_default = &users_.default_user();
  std::vector<std::pair<Client*, std::string>> moved;
  for (Client* c : host_.admin().Clients()) {
    if (c->user == nullptr || c->user == old_default) continue;
    const acl::User* fresh = loaded.Find(c->user->name());
    if (fresh != nullptr && fresh->Describe() == c->user->Describe()) {
      moved.emplace_back(c, c->user->name());
    } else {
      c->user = nullptr;
      Disconnect(*c, caller);
    }
  }
  users_.Replace(std::move(loaded));
  for (auto& [c, name] : moved) c->user = users_.Find(name);
  for (Client* c : host_.admin().Clients()) {
    if (c->user != nullptr) UserChanged(*c->user, caller);
  }
}

void Dispatcher::UserChanged(const acl::User& user, Client& caller) {
  for (Client* c : host_.admin().Clients()) {
    if (c->user != &user || !c->subscriptions.any()) continue;
    const Subscriptions& s = c->subscriptions;
    bool allowed = true;
    for (const std::string& ch : s.channels) allowed = allowed && user.AllowsChannel(ch, false);
    for (const std::string& ch : s.shard_channels)
      allowed = allowed && user.AllowsChannel(ch, false);
    for (const std::string& p : s.patterns) allowed = allowed && user.AllowsChannel(p, true);
    if (!allowed) Disconnect(*c, caller);
  }
}

}  // namespace runnel::dispatch
