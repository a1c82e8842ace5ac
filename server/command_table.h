// CommandTable: every command the server answers, looked up by name, case-insensitively.
//
// Each command family registers its specs from its own file (cmd_*.cc) through the Register*
// functions below; the table only stores and resolves. Resolving follows redis-server's order:
// unknown command, then (for containers such as CONFIG) unknown subcommand, then arity.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "resp/arg_list.h"
#include "server/command.h"

namespace runnel::server {

class CommandTable {
 public:
  CommandTable();

  const CommandSpec* Find(std::string_view name) const;
  // The command (or subcommand) `args` names, or nullptr with the error reply in *error.
  const CommandSpec* Lookup(const resp::ArgList& args, std::string* error) const;
  // Lookup plus the arity check: the spec to run, or nullptr with the error reply.
  const CommandSpec* Resolve(const resp::ArgList& args, std::string* error) const;
  static bool ArityOk(const CommandSpec& spec, size_t argc) {
    int n = static_cast<int>(argc);
    return spec.arity > 0 ? n == spec.arity : n >= -spec.arity;
  }
  const std::vector<const CommandSpec*>& all() const { return order_; }
  size_t size() const { return order_.size(); }

 private:
  void Add(CommandSpec spec);
  std::unordered_map<std::string, CommandSpec> commands_;
  std::vector<const CommandSpec*> order_;
};

// Names COMMAND INFO shows for a command's flags, in Redis's order.
std::vector<std::string_view> FlagNames(uint32_t flags);

// Builders used by the cmd_*.cc registration functions.
CommandSpec MakeCommand(std::string_view name, int arity, uint32_t flags, CommandHandler handler,
                        int first_key, int last_key, int key_step, std::string_view acl);
CommandSpec MakeContainer(std::string_view name, int arity, uint32_t flags, std::string_view acl,
                          std::vector<CommandSpec> subcommands);

// Registration, one per family.
void RegisterConnectionCommands(std::vector<CommandSpec>& out);
void RegisterServerCommands(std::vector<CommandSpec>& out);
void RegisterKeyCommands(std::vector<CommandSpec>& out);
void RegisterStringCommands(std::vector<CommandSpec>& out);
void RegisterStreamCommands(std::vector<CommandSpec>& out);
void RegisterRefCommands(std::vector<CommandSpec>& out);  // XDELEX, XACKDEL (cmd_xdelex.cc)
void RegisterXNackCommand(std::vector<CommandSpec>& out);  // XNACK (cmd_xnack.cc)
void RegisterXCfgSetCommand(std::vector<CommandSpec>& out);  // XCFGSET (cmd_xcfgset.cc)
void RegisterTransactionCommands(std::vector<CommandSpec>& out);
void RegisterCommandCommands(std::vector<CommandSpec>& out);
void RegisterReadCommands(std::vector<CommandSpec>& out);
void RegisterGroupCommands(std::vector<CommandSpec>& out);
void RegisterXInfoCommands(std::vector<CommandSpec>& out);

}  // namespace runnel::server
