// CommandTable: every command the server answers, looked up by name, case-insensitively.
//
// Each command family registers its specs (commands/register.h collects them); the table only
// stores and resolves. Resolving follows redis-server's order: unknown command, then (for
// containers such as CONFIG) unknown subcommand, then arity.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "acl/command_catalog.h"
#include "dispatch/command.h"
#include "resp/arg_list.h"

namespace runnel::dispatch {

class CommandTable {
 public:
  CommandTable() = default;
  // Each spec's fullname (and its subcommands', "config|get") and ACL id are filled in here.
  explicit CommandTable(std::vector<CommandSpec> specs);
  CommandTable(CommandTable&&) = default;
  CommandTable& operator=(CommandTable&&) = default;

  const CommandSpec* Find(std::string_view name) const;
  // The command (or subcommand) `args` names, or nullptr with the error reply in *error.
  const CommandSpec* Lookup(const resp::ArgList& args, std::string* error) const;
  // Lookup plus the arity check: the spec to run, or nullptr with the error reply.
  const CommandSpec* Resolve(const resp::ArgList& args, std::string* error) const;
  static bool ArityOk(const CommandSpec& spec, size_t argc) {
    int n = static_cast<int>(argc);
    return spec.arity > 0 ? n == spec.arity : n >= -spec.arity;
  }
  // In registration order.
  const std::vector<const CommandSpec*>& all() const { return order_; }
  size_t size() const { return order_.size(); }
  // Every command and subcommand, as ACL rules name them; each spec's acl_id indexes it.
  const acl::CommandCatalog& catalog() const { return catalog_; }

 private:
  void Add(CommandSpec spec);
  std::unordered_map<std::string, CommandSpec> commands_;
  std::vector<const CommandSpec*> order_;
  acl::CommandCatalog catalog_;
};

// Names COMMAND INFO shows for a command's flags, in Redis's order.
std::vector<std::string_view> FlagNames(uint32_t flags);

}  // namespace runnel::dispatch
