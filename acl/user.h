// User: one ACL user — whether it may log in (on/off), the hashes of its passwords (or nopass),
// and its permissions: a root selector plus any added selectors (selector.h).
//
// A user is changed only through Apply, one rule at a time; ACL SETUSER applies its rules to a
// copy and installs the copy only when every rule applied, so a bad rule changes nothing.
// Clients point at their user: the registry (users.h) keeps each user at a fixed address for as
// long as it exists, so a change is seen by every connection logged in as that user at once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "acl/command_catalog.h"
#include "acl/rule_error.h"
#include "acl/selector.h"

namespace runnel::acl {

// What a command would touch, for the permission check.
struct AccessRequest {
  int command_id = -1;
  std::string_view first_arg;  // the command's first argument (for +cmd|firstarg rules)
  struct Key {
    std::string_view name;
    uint8_t access;  // KeyAccess bits it needs
    size_t arg_index;
  };
  std::vector<Key> keys;
  struct Channel {
    std::string_view name;
    size_t arg_index;
  };
  std::vector<Channel> channels;
  bool channels_are_patterns = false;  // PSUBSCRIBE
};

// Why a command was refused, as the ACL LOG and ACL DRYRUN tell it.
struct Denial {
  enum class Reason { kNone, kCommand, kKey, kChannel };  // in order of relevance
  Reason reason = Reason::kNone;
  std::string object;  // the key or channel refused (empty for a command)
  size_t arg_index = 0;
  explicit operator bool() const { return reason != Reason::kNone; }
};

class User {
 public:
  // A new user as ACL SETUSER creates one: off, no password, no commands, no keys, and all
  // channels or none (acl-pubsub-default).
  User(std::string name, const CommandCatalog* catalog, bool channels_default_all);

  // One rule; "(...)" is a whole selector. `channels_default_all` is what "reset" and a new
  // selector start from.
  RuleError Apply(std::string_view rule, bool channels_default_all);

  const std::string& name() const { return name_; }
  bool enabled() const { return enabled_; }
  bool nopass() const { return nopass_; }
  // Whether `password` logs this user in (any password does for a nopass user). Says nothing
  // about on/off.
  bool CheckPassword(std::string_view password) const;
  const std::vector<std::string>& password_hashes() const { return hashes_; }

  Denial Check(const AccessRequest& request) const;
  // Whether some selector lets the user receive from `channel` (a PSUBSCRIBE pattern when
  // `is_pattern`), whatever the commands.
  bool AllowsChannel(std::string_view channel, bool is_pattern) const;
  // Everything allowed, so the dispatcher can skip looking at keys and channels.
  bool unrestricted() const;

  // The flags ACL GETUSER lists: on|off, nopass, sanitize-payload or skip-sanitize-payload.
  std::vector<std::string_view> Flags() const;
  const Selector& root() const { return root_; }
  const std::vector<Selector>& selectors() const { return selectors_; }
  // The line ACL LIST shows and the ACL file holds: "user alice on #… ~k* resetchannels ...",
  // and its words after the name (a selector is one word, "(~a -@all +get)").
  std::string Describe() const;
  std::vector<std::string> Words() const;

 private:
  RuleError ApplySelector(std::string_view body, bool channels_default_all);

  std::string name_;
  const CommandCatalog* catalog_;
  bool enabled_ = false;
  bool nopass_ = false;
  std::vector<std::string> hashes_;  // SHA-256 hex, in the order they were added
  enum class Sanitize { kUnset, kSanitize, kSkip } sanitize_ = Sanitize::kUnset;
  Selector root_;
  std::vector<Selector> selectors_;
};

// Joins SETUSER's arguments so that a selector written over several ("(~a", "+get)") is one
// rule. false when a '(' is never closed, with the argument it began at in *unmatched.
bool JoinSelectorArgs(const std::vector<std::string_view>& args, std::vector<std::string>* out,
                      std::string* unmatched);

}  // namespace runnel::acl
