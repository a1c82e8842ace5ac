#include "dispatch/errors.h"

#include <cctype>

namespace runnel::dispatch::errors {
namespace {

// Redis formats arguments into its error texts with %s, so each one ends at its first NUL.
std::string_view CText(std::string_view s) { return s.substr(0, s.find('\0')); }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string_view Message(streams::Errc e) {
  using streams::Errc;
  switch (e) {
    case Errc::kOk:
      return "";
    case Errc::kWrongType:
      return kWrongType;
    case Errc::kOverflow:
      return "ERR increment or decrement would overflow";
    case Errc::kStreamIdZero:
      return "ERR The ID specified in XADD must be greater than 0-0";
    case Errc::kStreamIdTooSmall:
      return "ERR The ID specified in XADD is equal or smaller than the target stream top item";
    case Errc::kStreamExhausted:
      return "ERR The stream has exhausted the last possible ID, unable to add more items";
    case Errc::kElementsTooLarge:
      return "ERR Elements are too large to be stored";
    case Errc::kSetIdSmallerThanTop:
      return "ERR The ID specified in XSETID is smaller than the target stream top item";
    case Errc::kSetIdSmallerThanMaxDeleted:
      return "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id";
    case Errc::kSetIdSmallerThanCurrentMaxDeleted:
      return "ERR The ID specified in XSETID is smaller than current max_deleted_entry_id";
    case Errc::kSetIdEntriesAddedTooSmall:
      return "ERR The entries_added specified in XSETID is smaller than the target stream length";
  }
  return "ERR unknown error";
}

std::string OtherTypeInPayload(std::string_view type) {
  return std::string(kBadDataFormat) + ": the value is a " + std::string(type) +
         ", and Runnel stores strings and streams";
}

std::string CannotDump(std::string_view what) {
  return "ERR the stream holds " + std::string(what) +
         ", which Redis's DUMP format has no place for";
}

std::string WrongArity(std::string_view fullname) {
  return "ERR wrong number of arguments for '" + std::string(fullname) + "' command";
}

// Redis quotes the command and the first arguments, each cut to fit in 128 bytes in all.
std::string UnknownCommand(const resp::ArgList& args) {
  std::string quoted;
  for (size_t i = 1; i < args.size() && quoted.size() < 128; ++i) {
    size_t budget = 128 - quoted.size();
    quoted += "'";
    quoted += CText(args[i]).substr(0, budget);
    quoted += "' ";
  }
  return "ERR unknown command '" + std::string(CText(args[0]).substr(0, 128)) +
         "', with args beginning with: " + quoted;
}

std::string UnknownSubcommand(std::string_view sub, std::string_view container) {
  return "ERR unknown subcommand '" + std::string(CText(sub).substr(0, 128)) + "'. Try " +
         Upper(container) + " HELP.";
}

std::string SubcommandSyntax(const resp::ArgList& args) {
  return "ERR unknown subcommand or wrong number of arguments for '" +
         std::string(CText(args[1]).substr(0, 128)) + "'. Try " + Upper(args[0]) + " HELP.";
}

std::string UnknownClientType(std::string_view type) {
  return "ERR Unknown client type '" + std::string(CText(type)) + "'";
}

std::string UnsupportedOption(std::string_view option) {
  return "ERR Unsupported option " + std::string(CText(option));
}

std::string ReloadFailed(std::string_view what, std::string_view reason) {
  return "ERR Error trying to load the " + std::string(what) + ": " + std::string(reason);
}

std::string LogUnwritable(std::string_view reason) {
  return "ERR can't write the append-only log: " + std::string(reason);
}

std::string ManifestUnreadable(std::string_view reason) {
  return "ERR can't read the append-only log's manifest: " + std::string(reason);
}

std::string HelloSyntax(std::string_view option) {
  return "ERR Syntax error in HELLO option '" + std::string(CText(option)) + "'";
}

std::string UnrecognizedOption(std::string_view option) {
  return "ERR Unrecognized option '" + std::string(CText(option)) + "'";
}

std::string BadClientAttribute(std::string_view attribute) {
  return "ERR " + std::string(CText(attribute)) +
         " cannot contain spaces, newlines or special characters.";
}

std::string NoPermCommand(std::string_view fullname) {
  return "NOPERM this user has no permissions to run the '" + std::string(fullname) +
         "' command";
}

std::string DryRunDenied(std::string_view what, std::string_view object) {
  if (what == "command") {
    return "This user has no permissions to run the '" + std::string(object) + "' command";
  }
  return "This user has no permissions to access the '" + std::string(object) + "' " +
         std::string(what);
}

std::string AclSetUserFailed(std::string_view rule, std::string_view reason) {
  return "ERR Error in ACL SETUSER modifier '" + std::string(CText(rule)) +
         "': " + std::string(reason);
}

std::string AclUnmatchedParenthesis(std::string_view start) {
  return "ERR Unmatched parenthesis in acl selector starting at '" + std::string(CText(start)) +
         "'.";
}

std::string AclUnknownCategory(std::string_view name) {
  return "ERR Unknown category '" + std::string(CText(name)) + "'";
}

std::string AclUserNotFound(std::string_view name) {
  return "ERR User '" + std::string(CText(name)) + "' not found";
}

std::string AclCommandNotFound(std::string_view name) {
  return "ERR Command '" + std::string(CText(name)) + "' not found";
}

std::string AclFileUnreadable(std::string_view path, std::string_view reason) {
  return "ERR Error loading ACLs, opening file '" + std::string(path) + "': " +
         std::string(reason);
}

std::string NoSuchUser(std::string_view user) {
  return "ERR No such user '" + std::string(CText(user)) + "'";
}

std::string ConfigSetUnknown(std::string_view name) {
  return "ERR Unknown option or number of arguments for CONFIG SET - '" + std::string(CText(name)) +
         "'";
}

std::string ConfigRewriteFailed(std::string_view why) {
  return "ERR Rewriting config file: " + std::string(why);
}

std::string ConfigSetFailed(std::string_view name, std::string_view why) {
  return "ERR CONFIG SET failed (possibly related to argument '" + std::string(CText(name)) +
         "') - " + std::string(why);
}

std::string InvalidExpireTime(std::string_view command) {
  return "ERR invalid expire time in '" + std::string(command) + "' command";
}

std::string UnbalancedStreams(bool group_read) {
  return group_read ? "ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or "
                      "'>' must be specified."
                    : "ERR Unbalanced 'xread' list of streams: for each stream key an ID, '+', or "
                      "'$' must be specified.";
}

std::string MeaninglessIdInXReadGroup(std::string_view id) {
  std::string i(id);
  return "ERR The " + i +
         " ID is meaningless in the context of XREADGROUP: you want to read the history of this "
         "consumer by specifying a proper ID, or use the > ID to get new messages. The " +
         i + " ID would just return an empty result set.";
}

std::string NoGroupInXReadGroup(std::string_view key, std::string_view group) {
  return "NOGROUP No such key '" + std::string(key) + "' or consumer group '" + std::string(group) +
         "' in XREADGROUP with GROUP option";
}

std::string NoGroup(std::string_view key, std::string_view group) {
  return "NOGROUP No such key '" + std::string(key) + "' or consumer group '" + std::string(group) +
         "'";
}

std::string UnknownPolicy(std::string_view name) {
  return "ERR Unknown policy '" + std::string(name) + "' for XGROUP SETPOLICY";
}

std::string PolicyNeedsValue(std::string_view name) {
  return "ERR Policy '" + std::string(name) + "' needs a value";
}

std::string OnlyPubSubAllowed(std::string_view fullname) {
  return "ERR Can't execute '" + std::string(fullname) +
         "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
         "context";
}

std::string SpecifiedTwice(std::string_view name) {
  return "ERR " + std::string(name) + " specified multiple times";
}

std::string PolicyValueRange(std::string_view name, int64_t max) {
  return "ERR The " + std::string(name) + " value must be an integer between 0 and " +
         std::to_string(max);
}

std::string NoSuchGroupForKey(std::string_view group, std::string_view key) {
  return "NOGROUP No such consumer group '" + std::string(group) + "' for key name '" +
         std::string(key) + "'";
}

std::string UnrecognizedXClaimOption(std::string_view option) {
  return "ERR Unrecognized XCLAIM option '" + std::string(option) + "'";
}

std::string UnrecognizedXNackOption(std::string_view option) {
  return "ERR Unrecognized XNACK option '" + std::string(option) + "'";
}

}  // namespace runnel::dispatch::errors
