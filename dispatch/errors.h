// Redis's error strings, in one place.
//
// Lower layers report failures as streams::Errc; Message() maps each to the exact text
// redis-server sends. Errors with parameters are built by the functions below. The texts are
// redis-server 7.0's unless a comment says otherwise; tests/diff compares them byte for byte.
#pragma once

#include <string>
#include <string_view>

#include "resp/arg_list.h"
#include "streams/errc.h"

namespace runnel::dispatch::errors {

// ---- Generic ----
inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kLcsNotStrings =
    "ERR The specified keys must contain string values";
inline constexpr std::string_view kLcsLenAndIdx =
    "ERR If you want both the length and indexes, please just use IDX.";
inline constexpr std::string_view kLcsTooLong = "ERR String too long for LCS";
inline constexpr std::string_view kLcsTooMuchMemory =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
inline constexpr std::string_view kSameObject = "ERR source and destination objects are the same";
inline constexpr std::string_view kInvalidFirstDb = "ERR invalid first DB index";
inline constexpr std::string_view kInvalidSecondDb = "ERR invalid second DB index";
inline constexpr std::string_view kNoLfuPolicy =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
    "when switching between policies at runtime LRU and LFU data will take some time to "
    "adjust.";
inline constexpr std::string_view kFloatNanOrInfinity =
    "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view kOffsetOutOfRange = "ERR offset is out of range";
inline constexpr std::string_view kStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
// An integer argument that must fit an int (SELECT's index).
inline constexpr std::string_view kNotInt32 =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kInvalidNumKeys = "ERR invalid numkeys value";
inline constexpr std::string_view kUnblockReason =
    "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR";
inline constexpr std::string_view kUnblocked = "UNBLOCKED client unblocked via CLIENT UNBLOCK";
inline constexpr std::string_view kSlowlogCount = "ERR count should be greater than or equal to -1";
inline constexpr std::string_view kIncrExBounds = "ERR LBOUND can't be greater than UBOUND";
// SET / DELEX IFDEQ and IFDNE take what DIGEST returns.
inline constexpr std::string_view kBadDigest =
    "ERR The digest must be exactly 16 hexadecimal characters";
// DUMP and RESTORE (rdb/dump.h).
inline constexpr std::string_view kBusyKey = "BUSYKEY Target key name already exists.";
inline constexpr std::string_view kInvalidTtl = "ERR Invalid TTL value, must be >= 0";
inline constexpr std::string_view kInvalidIdleTime = "ERR Invalid IDLETIME value, must be >= 0";
inline constexpr std::string_view kInvalidFreq = "ERR Invalid FREQ value, must be >= 0 and <= 255";
inline constexpr std::string_view kDumpVersionOrChecksum =
    "ERR DUMP payload version or checksum are wrong";
inline constexpr std::string_view kBadDataFormat = "ERR Bad data format";
// Runnel's: RESTORE of a valid payload of a type Runnel does not store ("list", "hash" ...).
std::string OtherTypeInPayload(std::string_view type);
// Runnel's: DUMP of a stream holding data Redis's format has no place for.
std::string CannotDump(std::string_view what);
inline constexpr std::string_view kSSubscribeInExec =
    "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client";
// Runnel's: PSYNC or SYNC to a server that follows a redis-server.
inline constexpr std::string_view kReplicasOfRedisFollower =
    "ERR this server follows a redis-server and cannot serve replicas of its own: replicate "
    "from the redis-server";
inline constexpr std::string_view kMaxClients = "ERR max number of clients reached";
// Sent to a client from outside the loopback interface when protected-mode is on and there is
// no requirepass, before the connection is closed: redis-server's text, word for word (its
// advice applies to Runnel's settings of the same names).
inline constexpr std::string_view kProtectedMode =
    "DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from the "
    "loopback interface. If you want to connect from external computers to Redis you may adopt "
    "one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG "
    "SET protected-mode no' from the loopback interface by connecting to Redis from the same "
    "host the server is running, however MAKE SURE Redis is not publicly accessible from "
    "internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    "you can just disable the protected mode by editing the Redis configuration file, and "
    "setting the protected mode option to 'no', and then restarting the server. 3) If you "
    "started the server manually just for testing, restart it with the '--protected-mode no' "
    "option. 4) Setup a an authentication password for the default user. NOTE: You only need "
    "to do one of the above things in order for the server to start accepting connections from "
    "the outside.";

// ---- Replication ----
inline constexpr std::string_view kReadOnlyReplica =
    "READONLY You can't write against a read only replica.";
inline constexpr std::string_view kNoReplicas = "NOREPLICAS Not enough good replicas to write.";
inline constexpr std::string_view kMasterDown =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
inline constexpr std::string_view kSyncWithoutMasterLink =
    "NOMASTERLINK Can't SYNC while not connected with my master";
inline constexpr std::string_view kSyncPendingOutput =
    "ERR SYNC and PSYNC are invalid with pending output";
inline constexpr std::string_view kInvalidMasterPort = "ERR Invalid master port";
inline constexpr std::string_view kReplicaOfFromReplica =
    "ERR Command is not valid when client is a replica.";
inline constexpr std::string_view kWaitOnReplica =
    "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a "
    "replica is configured to be writable (which is not the default) writes to replicas are "
    "just local and are not propagated.";
inline constexpr std::string_view kWaitAofOnReplica =
    "ERR WAITAOF cannot be used with replica instances. Please also note that writes to "
    "replicas are just local and are not propagated.";
inline constexpr std::string_view kWaitAofWithoutLog =
    "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.";
// Redis 7.2's getPositiveLongFromObjectOrReply.
inline constexpr std::string_view kNotPositive = "ERR value is out of range, must be positive";
inline constexpr std::string_view kUnblockedByRoleChange =
    "UNBLOCKED force unblock from blocking operation, instance state changed (master -> "
    "replica?)";
inline constexpr std::string_view kNotZeroOrOne =
    "ERR value is out of range, value must between 0 and 1";
inline std::string UnrecognizedReplconfOption(std::string_view option) {
  return "ERR Unrecognized REPLCONF option: " + std::string(option);
}
inline std::string ReplicaIpTooLong(size_t bytes) {
  return "ERR REPLCONF ip-address provided by replica instance is too long: " +
         std::to_string(bytes) + " bytes";
}

// ---- Blocking timeouts ----
inline constexpr std::string_view kTimeoutNegative = "ERR timeout is negative";
inline constexpr std::string_view kTimeoutNotInteger =
    "ERR timeout is not an integer or out of range";
// Newer Redis (7.4, timeout.c): a timeout whose deadline would overflow. 7.0 lets it wrap.
inline constexpr std::string_view kTimeoutOutOfRange = "ERR timeout is out of range";

// ---- Streams ----
inline constexpr std::string_view kInvalidStreamId =
    "ERR Invalid stream ID specified as stream command argument";
inline constexpr std::string_view kTrimMaxLenAndMinId =
    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
inline constexpr std::string_view kTrimMaxLenNegative = "ERR The MAXLEN argument must be >= 0.";
inline constexpr std::string_view kTrimLimitNegative = "ERR The LIMIT argument must be >= 0.";
inline constexpr std::string_view kTrimLimitWithoutApprox =
    "ERR syntax error, LIMIT cannot be used without the special ~ option";
inline constexpr std::string_view kTrimLimitWithoutStrategy =
    "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy";
inline constexpr std::string_view kXTrimWithoutStrategy =
    "ERR syntax error, XTRIM must be called with a trimming strategy";
inline constexpr std::string_view kInvalidStartId = "ERR invalid start ID for the interval";
inline constexpr std::string_view kInvalidEndId = "ERR invalid end ID for the interval";
inline constexpr std::string_view kGroupOnlyInXReadGroup =
    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.";
inline constexpr std::string_view kNoAckOnlyInXReadGroup =
    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.";
inline constexpr std::string_view kGreaterIdOnlyInXReadGroup =
    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
    "<consumer> option.";
inline constexpr std::string_view kEntriesAddedNegative = "ERR entries_added must be positive";
// Redis 8.2: XDELEX and XACKDEL.
inline constexpr std::string_view kNumIdsNotPositive =
    "ERR Number of IDs must be a positive integer";
inline constexpr std::string_view kNumIdsMismatch =
    "ERR The `numids` parameter must match the number of arguments";
inline constexpr std::string_view kIdsRequired = "ERR IDS option is required";
// Redis 8.10: XREAD and XREADGROUP MAXCOUNT / MAXSIZE.
inline constexpr std::string_view kMaxCountNotPositive = "ERR MAXCOUNT must be a positive integer";
inline constexpr std::string_view kMaxSizeNotPositive = "ERR MAXSIZE must be a positive integer";
inline constexpr std::string_view kMaxCountBelowCount =
    "ERR MAXCOUNT must be greater than or equal to COUNT";
// Redis 8.4: XREADGROUP CLAIM.
inline constexpr std::string_view kClaimOnlyInXReadGroup =
    "ERR The CLAIM option is only supported by XREADGROUP. You called XREAD instead.";
inline constexpr std::string_view kClaimMinIdleNotInteger =
    "ERR min-idle-time is not an integer or out of range";
inline constexpr std::string_view kClaimMinIdleNegative =
    "ERR min-idle-time must be a positive integer";
// Redis 8.6: XADD IDMP / IDMPAUTO and XCFGSET.
inline constexpr std::string_view kIdmpTwice =
    "ERR syntax error, IDMP/IDMPAUTO specified multiple times";
inline constexpr std::string_view kIdmpAutoEmptyProducer =
    "ERR syntax error, IDMPAUTO requires a non-empty producer ID";
inline constexpr std::string_view kIdmpEmptyProducer =
    "ERR syntax error, IDMP requires a non-empty producer ID";
inline constexpr std::string_view kIdmpEmptyIid =
    "ERR syntax error, IDMP requires a non-empty idempotent ID";
inline constexpr std::string_view kIdmpNeedsAutoId =
    "ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs";
inline constexpr std::string_view kIdmpDurationRange =
    "ERR IDMP-DURATION must be between 1 and 86400 seconds";
inline constexpr std::string_view kIdmpMaxSizeRange =
    "ERR IDMP-MAXSIZE must be between 1 and 10000 entries";
inline constexpr std::string_view kIdmpDurationTwice = "ERR IDMP-DURATION specified multiple times";
inline constexpr std::string_view kIdmpMaxSizeTwice = "ERR IDMP-MAXSIZE specified multiple times";
inline constexpr std::string_view kXCfgSetNothing = "ERR At least one parameter must be specified";
// Redis 8.8: XNACK.
inline constexpr std::string_view kXNackMode = "ERR mode must be SILENT, FAIL, or FATAL";
inline constexpr std::string_view kXNackNumIds = "ERR numids must be a positive integer";
inline constexpr std::string_view kXNackNumIdsMismatch = "ERR number of IDs doesn't match numids";
inline constexpr std::string_view kXNackRetryCount = "ERR Invalid RETRYCOUNT value, must be >= 0";
inline constexpr std::string_view kXNackNeedsIds = "ERR syntax error, expected IDS keyword";

// ---- Strings and keys ----
inline constexpr std::string_view kDecrementOverflow = "ERR decrement would overflow";
inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kExpireNxAndOthers =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr std::string_view kExpireGtAndLt =
    "ERR GT and LT options at the same time are not compatible";

// ---- Connections and clients ----
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kNotInTransaction =
    "ERR Command not allowed inside a transaction";
inline constexpr std::string_view kLoading = "LOADING Redis is loading the dataset in memory";
// A deny-oom command (or any command queued in MULTI) while used memory is above maxmemory.
inline constexpr std::string_view kOom = "OOM command not allowed when used memory > 'maxmemory'.";
// A client in MONITOR mode sending a command that reads or writes keys.
inline constexpr std::string_view kReplicaKeyspace = "ERR Replica can't interact with the keyspace";
inline constexpr std::string_view kPauseMode = "ERR CLIENT PAUSE mode must be WRITE or ALL";
inline constexpr std::string_view kMonitorInMulti =
    "ERR MONITOR isn't allowed for DENY BLOCKING client";
// Redis 7.0's text (7.2 changed "HELLO AUTH" to "HELLO <proto> AUTH").
inline constexpr std::string_view kHelloNoAuth =
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
    "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
    "protocol version at the same time";
inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kAuthWithoutPassword =
    "ERR AUTH <password> called without any password configured for the default user. Are you "
    "sure your configuration is correct?";
// ---- ACL (Redis 7.0's texts; the reasons a rule is refused are acl/rule_error.cc's) ----
std::string NoPermCommand(std::string_view fullname);
inline constexpr std::string_view kNoPermKey =
    "NOPERM this user has no permissions to access one of the keys used as arguments";
inline constexpr std::string_view kNoPermChannel =
    "NOPERM this user has no permissions to access one of the channels used as arguments";
// ACL DRYRUN's answer when the user may not: a bulk string, not an error.
std::string DryRunDenied(std::string_view what, std::string_view object);
std::string AclSetUserFailed(std::string_view rule, std::string_view reason);
std::string AclUnmatchedParenthesis(std::string_view start);
inline constexpr std::string_view kAclUsernameSpaces =
    "ERR Usernames can't contain spaces or null characters";
inline constexpr std::string_view kAclDeleteDefault = "ERR The 'default' user cannot be removed";
inline constexpr std::string_view kAclNoFile =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
    "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
    "configuration file set) in order to store users in the Redis configuration.";
inline constexpr std::string_view kAclGenPassBits =
    "ERR ACL GENPASS argument must be the number of bits for the output password, a positive "
    "number up to 4096";
inline constexpr std::string_view kAclLoadWarning =
    "WARNING: ACL errors detected, no change to the previously active ACL rules was performed";
std::string AclUnknownCategory(std::string_view name);
std::string AclUserNotFound(std::string_view name);
std::string AclCommandNotFound(std::string_view name);
// ACL LOAD / SAVE when the file cannot be read or written.
std::string AclFileUnreadable(std::string_view path, std::string_view reason);
inline constexpr std::string_view kAclFileUnwritable =
    "ERR There was an error trying to save the ACLs. Please check the server logs for more "
    "information";
inline constexpr std::string_view kProtocolVersion =
    "ERR Protocol version is not an integer or out of range";
inline constexpr std::string_view kNoProto = "NOPROTO unsupported protocol version";
inline constexpr std::string_view kDbIndexOutOfRange = "ERR DB index is out of range";
inline constexpr std::string_view kBadClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";
inline constexpr std::string_view kInvalidClientId = "ERR Invalid client ID";
// COMMAND GETKEYS / GETKEYSANDFLAGS about the command they are given.
inline constexpr std::string_view kGetKeysNoCommand = "ERR Invalid command specified";
inline constexpr std::string_view kGetKeysNoKeys = "ERR The command has no key arguments";
inline constexpr std::string_view kGetKeysArity =
    "ERR Invalid number of arguments specified for command";
inline constexpr std::string_view kGetKeysInvalid = "ERR Invalid arguments specified for command";
inline constexpr std::string_view kClientIdNotPositive = "ERR client-id should be greater than 0";
inline constexpr std::string_view kNoSuchClient = "ERR No such client";

// ---- Server ----
inline constexpr std::string_view kNoShutdown = "ERR No shutdown in progress.";

// ---- Persistence ----
// Redis answers a save that failed with a bare "ERR" (the log has the reason); so does Runnel.
inline constexpr std::string_view kSaveFailed = "ERR";
inline constexpr std::string_view kShutdownFailed = "ERR Errors trying to SHUTDOWN. Check logs.";
inline constexpr std::string_view kBgsaveInProgress = "ERR Background save already in progress";
// DEBUG (enabled by enable-debug-command, as in Redis 7).
inline constexpr std::string_view kDebugNotAllowed =
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you "
    "can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.";
inline constexpr std::string_view kReloadOptions =
    "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.";
// Redis loads keys into the live data for these; Runnel loads a snapshot only as a whole.
inline constexpr std::string_view kReloadMergeUnsupported =
    "ERR DEBUG RELOAD MERGE and NOFLUSH are not supported: Runnel replaces the data as a whole";
// With the log on, loading another snapshot would leave the log describing other data.
inline constexpr std::string_view kReloadNoSaveWithLog =
    "ERR DEBUG RELOAD NOSAVE needs appendonly no: the append-only log describes the data in "
    "memory, not the dump file";
inline constexpr std::string_view kLoadAofInExec =
    "ERR DEBUG LOADAOF can't run inside MULTI: the transaction's effects would be split";
inline constexpr std::string_view kDebugSleepRange =
    "ERR DEBUG SLEEP takes a number of seconds from 0 to 3600";
inline constexpr std::string_view kDebugActiveExpireValue =
    "ERR DEBUG SET-ACTIVE-EXPIRE takes 0 or 1";
inline constexpr std::string_view kNoLogManifest =
    "ERR DEBUG LOADAOF found no append-only log manifest to load";
// redis-server 7.0 exits on DEBUG LOADAOF with appendonly no; Runnel refuses.
inline constexpr std::string_view kLoadAofWithoutLog =
    "ERR DEBUG LOADAOF needs appendonly yes: there is no append-only log to load";
inline constexpr std::string_view kBgsaveChildActive =
    "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in "
    "order to schedule a BGSAVE whenever possible.";
inline constexpr std::string_view kRewriteInProgress =
    "ERR Background append only file rewriting already in progress";
inline constexpr std::string_view kRewriteFailed =
    "ERR Can't execute an AOF background rewriting. Please check the server logs for more "
    "information.";
inline constexpr std::string_view kBgsaveMisconf =
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to "
    "disk. Commands that may modify the data set are disabled, because this instance is "
    "configured to report errors during writes if RDB snapshotting fails "
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
    "RDB error.";
// Followed by the system's reason ("No space left on device").
inline constexpr std::string_view kAofMisconfPrefix = "MISCONF Errors writing to the AOF file: ";

// ---- Transactions ----
inline constexpr std::string_view kExecAbort =
    "EXECABORT Transaction discarded because of previous errors.";
inline constexpr std::string_view kNestedMulti = "ERR MULTI calls can not be nested";
inline constexpr std::string_view kExecWithoutMulti = "ERR EXEC without MULTI";
inline constexpr std::string_view kDiscardWithoutMulti = "ERR DISCARD without MULTI";
inline constexpr std::string_view kWatchInsideMulti = "ERR WATCH inside MULTI is not allowed";

// The text for a data-layer error.
std::string_view Message(streams::Errc e);

// Built errors. Arguments are quoted as Redis's %s would: up to their first NUL.
// ---- XREAD / XREADGROUP and consumer groups (current Redis's texts) ----
inline constexpr std::string_view kMissingGroup = "ERR Missing GROUP option for XREADGROUP";
inline constexpr std::string_view kBusyGroup = "BUSYGROUP Consumer Group name already exists";
inline constexpr std::string_view kXGroupNeedsKey =
    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to "
    "use the MKSTREAM option to create an empty stream automatically.";
inline constexpr std::string_view kEntriesReadInvalid =
    "ERR value for ENTRIESREAD must be positive or -1";
inline constexpr std::string_view kXClaimMinIdle = "ERR Invalid min-idle-time argument for XCLAIM";
inline constexpr std::string_view kXClaimIdle = "ERR Invalid IDLE option argument for XCLAIM";
inline constexpr std::string_view kXClaimTime = "ERR Invalid TIME option argument for XCLAIM";
inline constexpr std::string_view kXClaimRetryCount =
    "ERR Invalid RETRYCOUNT option argument for XCLAIM";
inline constexpr std::string_view kXAutoClaimMinIdle =
    "ERR Invalid min-idle-time argument for XAUTOCLAIM";
inline constexpr std::string_view kCountMustBePositive = "ERR COUNT must be > 0";
inline constexpr std::string_view kXAutoClaimCountTooHigh =
    "ERR Insufficient memory, failed allocating transient memory, COUNT too high.";

// Redis 8's text: XREAD names '+' (7.4) and '$', XREADGROUP names '>'. (7.0 wrote
// "Unbalanced XREAD list of streams ...".)
std::string UnbalancedStreams(bool group_read);
// "$" or "+" given to XREADGROUP.
std::string MeaninglessIdInXReadGroup(std::string_view id);
std::string NoGroupInXReadGroup(std::string_view key, std::string_view group);
// XPENDING, XCLAIM, XAUTOCLAIM, XNACK.
std::string NoGroup(std::string_view key, std::string_view group);
// XGROUP SETID/CREATECONSUMER/DELCONSUMER, XINFO CONSUMERS.
std::string NoSuchGroupForKey(std::string_view group, std::string_view key);
std::string UnrecognizedXClaimOption(std::string_view option);
std::string UnrecognizedXNackOption(std::string_view option);

// ---- Runnel's queue extensions (docs/queues.md); Runnel's own texts, in Redis's style ----
inline constexpr std::string_view kPolicyNeedsDeadLetter =
    "ERR MAXDELIVERIES needs a DEADLETTER stream";
inline constexpr std::string_view kPolicyDeadLetterIsSource =
    "ERR The DEADLETTER stream must not be the group's own stream";
inline constexpr std::string_view kPolicyTooManySteps = "ERR BACKOFF takes at most 64 steps";
std::string UnknownPolicy(std::string_view name);
std::string PolicyNeedsValue(std::string_view name);
// A value that is not an integer in [0, max] (for BACKOFF: or one step too many), for a
// policy, an XCFGSET RETENTION-* setting, DELAY or AT.
std::string PolicyValueRange(std::string_view name, int64_t max);
// "ERR RETENTION-MS specified multiple times", as Redis words it for IDMP-DURATION.
std::string SpecifiedTwice(std::string_view name);
inline constexpr std::string_view kRetentionRefsValue =
    "ERR RETENTION-REFS must be KEEPREF or ACKED";
inline constexpr std::string_view kDelayWithIdmp =
    "ERR DELAY and AT cannot be used with IDMP or IDMPAUTO";
inline constexpr std::string_view kDelayNeedsAutoId =
    "ERR DELAY and AT need the * ID: a delayed entry gets its ID when it is appended";
inline constexpr std::string_view kDelayWithTrim =
    "ERR DELAY and AT cannot be used with MAXLEN, MINID or LIMIT (the stream's RETENTION-MAXLEN "
    "trims delayed entries as they are appended)";
inline constexpr std::string_view kDelayTwice = "ERR DELAY or AT specified multiple times";

std::string WrongArity(std::string_view fullname);
// A RESP2 client in Pub/Sub context sent another command.
std::string OnlyPubSubAllowed(std::string_view fullname);
std::string UnknownCommand(const resp::ArgList& args);
std::string UnknownSubcommand(std::string_view sub, std::string_view container);
// A subcommand given the wrong options (XINFO STREAM k FOO): names the subcommand as typed and
// the command in capitals.
std::string SubcommandSyntax(const resp::ArgList& args);
std::string InvalidExpireTime(std::string_view command);
std::string UnsupportedOption(std::string_view option);  // EXPIRE's flags
// DEBUG RELOAD / LOADAOF: what stopped them (`what`: "snapshot" or "log"), with the reason.
std::string ReloadFailed(std::string_view what, std::string_view reason);
std::string LogUnwritable(std::string_view reason);
std::string ManifestUnreadable(std::string_view reason);
std::string HelloSyntax(std::string_view option);
std::string UnrecognizedOption(std::string_view option);  // CLIENT SETINFO
std::string BadClientAttribute(std::string_view attribute);
std::string UnknownClientType(std::string_view type);
std::string NoSuchUser(std::string_view user);
std::string ConfigSetUnknown(std::string_view name);
std::string ConfigSetFailed(std::string_view name, std::string_view why);
// CONFIG SET of a tls-* key whose new settings do not load (the reason is in the server's log).
inline constexpr std::string_view kTlsUpdateFailed =
    "Unable to update TLS configuration. Check server logs.";
// CONFIG SET port / tls-port / bind that cannot listen where asked (the old sockets stay).
inline constexpr std::string_view kListenFailed =
    "Unable to listen on this port. Check server logs.";
inline constexpr std::string_view kBindFailed = "Failed to bind to specified addresses.";
inline constexpr std::string_view kNoConfigFile =
    "ERR The server is running without a config file";
std::string ConfigRewriteFailed(std::string_view why);

}  // namespace runnel::dispatch::errors
