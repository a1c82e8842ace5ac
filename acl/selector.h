// Selector: one set of permissions — which commands, which keys (and for reading, writing or
// both), which Pub/Sub channels. A user has a root selector and any number of added ones
// ("(~logs:* +xread)"); a command is allowed when one of them allows all of it.
//
// Commands are a bit set over the CommandCatalog's ids. Beside the bits a selector keeps the
// rules that made them, as the user gave them, so ACL LIST can print rules that rebuild exactly
// these bits: "+@all" or "-@all", then each later rule, where a rule drops an earlier one it
// makes pointless (a later "+xadd" drops an earlier "-xadd"; "+config" drops "-config|get").
//
// Key patterns carry R, W or both: a command needs R on a key it reads and W on a key it changes
// (COMMAND INFO's key-spec flags: access → R; insert, update, delete → W); a key it neither
// reads nor writes (XLEN, EXISTS) needs only to match some pattern.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "acl/command_catalog.h"
#include "acl/rule_error.h"

namespace runnel::acl {

enum KeyAccess : uint8_t { kKeyRead = 1, kKeyWrite = 2 };

struct KeyPattern {
  std::string pattern;
  uint8_t access = kKeyRead | kKeyWrite;
};

class Selector {
 public:
  explicit Selector(const CommandCatalog* catalog, bool all_channels);

  // One rule: a command rule (+x -x +@c -@c +x|sub +x|firstarg allcommands nocommands),
  // a key rule (~p %R~p %W~p %RW~p allkeys resetkeys) or a channel rule (&p allchannels
  // resetchannels). On an error the selector may be half-changed: callers apply rules to a copy.
  RuleError Apply(std::string_view rule);

  bool AllowsCommand(int id, std::string_view first_arg) const;
  bool AllowsKey(std::string_view key, uint8_t access) const;
  // A PSUBSCRIBE pattern is allowed only when it is one of the selector's patterns word for word
  // (a narrower pattern could still be widened by glob tricks no check could follow).
  bool AllowsChannel(std::string_view channel, bool is_pattern) const;
  bool all_keys() const { return all_keys_; }
  bool all_channels() const { return all_channels_; }
  bool all_commands() const { return all_commands_ && rules_.empty(); }
  const std::vector<std::string>& channels() const { return channels_; }

  // The parts ACL LIST and ACL GETUSER show: "~a %R~b", "&c*" / "&*", "-@all +get".
  std::string DescribeKeys() const;
  std::string DescribeChannels() const;
  std::string DescribeCommands() const;
  // All three as one rule list, as ACL LIST writes a selector: keys, channels, commands.
  std::vector<std::string> Words() const;

 private:
  RuleError ApplyCommandRule(bool allow, std::string_view name);
  RuleError ApplyCategory(bool allow, std::string_view name);
  void SetAll(bool allow);
  void SetBit(int id, bool allow);
  bool Bit(int id) const;
  // Drops earlier rules about `name` (and its subcommands or first args), then records `rule`.
  void Record(std::string rule, std::string_view name);
  RuleError AddKeyPattern(std::string_view pattern, uint8_t access);

  const CommandCatalog* catalog_;
  std::vector<uint64_t> allowed_;
  bool all_commands_ = false;       // the base is +@all (else -@all)
  std::vector<std::string> rules_;  // the rules since the base, lowercase but for first args
  bool recording_ = true;           // false in the scratch selector Record replays rules on
  // +cmd|firstarg: a command not allowed as a whole may still run with these first arguments.
  std::vector<std::pair<int, std::string>> first_args_;
  bool all_keys_ = false;
  std::vector<KeyPattern> keys_;
  bool all_channels_ = false;
  std::vector<std::string> channels_;
};

}  // namespace runnel::acl
