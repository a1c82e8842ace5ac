// Command documentation: the table behind COMMAND DOCS, which redis-cli turns into its argument
// hints (typing `XADD ` shows `key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold ...`) and its
// `help <command>` text, and which client libraries read to learn argument shapes.
//
// Each command's arguments are written in a small DSL (grammar at the top of command_docs.cc)
// and parsed once, on first use, into DocArg trees. Invariants, enforced by
// tests/commands/command_docs_test.cc: every table entry parses, every registered command and
// subcommand has an entry, and no entry lacks a registered command. Everything here is
// immutable after the first parse; the returned pointers stay valid for the process lifetime.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dispatch/command.h"
#include "resp/reply_writer.h"

namespace runnel::commands {

enum class DocArgType {
  kString,
  kInteger,
  kDouble,
  kKey,
  kPattern,
  kUnixTime,
  kPureToken,
  kOneOf,
  kBlock
};

// The name COMMAND DOCS shows for a type: "string", "unix-time", "pure-token", "oneof" ...
std::string_view DocArgTypeName(DocArgType type);

// One argument as COMMAND DOCS describes it.
struct DocArg {
  std::string name;  // "threshold", "ip:port"; a pure token's defaults to its token
  DocArgType type = DocArgType::kString;
  std::string token;             // the literal keyword before the value ("LIMIT"), or empty
  std::string since;             // version that added the argument, or empty
  std::string deprecated_since;  // or empty
  int key_spec_index = -1;       // key arguments only: 0, 1, ... in order of appearance or '#'
  bool optional = false;
  bool multiple = false;        // the value repeats: TOKEN v [v ...]
  bool multiple_token = false;  // token and value repeat together: TOKEN v [TOKEN v ...]
  std::vector<DocArg> args;     // block members, or oneof alternatives
};

struct CommandDoc {
  std::string_view fullname;  // "xadd", "config|get"
  std::string_view summary, since, group, complexity;
  std::vector<std::pair<std::string_view, std::string_view>> history;  // (version, change)
  std::vector<DocArg> args;
  std::string_view deprecated_since = {}, replaced_by = {};  // deprecated commands only
  bool syscmd = false;
};

// Parses an argument list written in the DSL. On a mistake returns nullopt and sets *error to
// "at column N: what is wrong".
std::optional<std::vector<DocArg>> ParseDocArgs(std::string_view dsl, std::string* error);

// The parsed entry for a fullname ("xinfo|stream"), or nullptr when the table has none.
const CommandDoc* FindCommandDoc(std::string_view fullname);

// Every fullname in the table, in table order.
std::vector<std::string_view> DocumentedCommandNames();

// Mistakes found in the table (parse errors, malformed history or versions, unknown groups,
// duplicates), one message each naming the entry. Empty for a sound table.
std::vector<std::string> CommandDocProblems();

// Writes the COMMAND DOCS value of one command: a map with summary, since, group, complexity,
// history, arguments and (for containers) subcommands, shaped like redis-server 7.0's.
void WriteCommandDocs(resp::ReplyWriter& reply, const dispatch::CommandSpec& spec);

}  // namespace runnel::commands
