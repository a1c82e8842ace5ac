#include "acl/rule_error.h"

namespace runnel::acl {

std::string_view RuleErrorText(RuleError error) {
  switch (error) {
    case RuleError::kNone:
      return "";
    case RuleError::kSyntax:
      return "Syntax error";
    case RuleError::kUnknownCommand:
      return "Unknown command or category name in ACL";
    case RuleError::kFirstArgOfSubcommand:
      return "Allowing first-arg of a subcommand is not supported";
    case RuleError::kKeyAfterAllKeys:
      return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does "
             "not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    case RuleError::kChannelAfterAll:
      return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and "
             "does not have any effect. Try 'resetchannels' to start with an empty list of "
             "channels";
    case RuleError::kBadHash:
      return "The password hash must be exactly 64 characters and contain only lowercase "
             "hexadecimal characters";
    case RuleError::kNoSuchPassword:
      return "The password you are trying to remove from the user does not exist";
    case RuleError::kUnmatchedParenthesis:
      return "Unmatched parenthesis in acl selector";
  }
  return "";
}

}  // namespace runnel::acl
