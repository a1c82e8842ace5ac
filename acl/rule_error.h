// Why an ACL rule was refused, and Redis's words for it. The dispatcher frames these reasons in
// ACL SETUSER's reply (dispatch/errors.h); the ACL file's loader, in its per-line sentences.
#pragma once

#include <string_view>

namespace runnel::acl {

enum class RuleError {
  kNone,
  kSyntax,                // not a rule at all, or a user-only rule inside a selector
  kUnknownCommand,        // +nosuch, +@nosuch, +config|nosuch
  kFirstArgOfSubcommand,  // +config|get|x
  kKeyAfterAllKeys,       // ~x after allkeys / ~*
  kChannelAfterAll,       // &x after allchannels / &*
  kBadHash,               // #/! with anything but 64 lowercase hex digits
  kNoSuchPassword,        // <pw or !hash naming a password the user does not have
  kUnmatchedParenthesis,  // "(~x +get" never closed
};

// Redis's reason for each refusal, as ACL SETUSER's and the ACL file's errors quote it
// ("Unknown command or category name in ACL"). The one table of these texts.
std::string_view RuleErrorText(RuleError error);

}  // namespace runnel::acl
