// The documentation of every command Runnel has, for COMMAND DOCS. Entries for commands that
// redis-server 7.0 has reproduce its documented interface; newer behaviour is noted per entry.
#include "commands/admin/command_docs_table.h"

namespace runnel::commands {
namespace {

// clang-format off
constexpr DocEntry kDocs[] = {
    {.name = "ping", .group = "connection", .since = "1.0.0", .summary = "Ping the server",
     .complexity = "O(1)", .args = "[message:string]"},
    {.name = "echo", .group = "connection", .since = "1.0.0", .summary = "Echo the given string",
     .complexity = "O(1)", .args = "message:string"},
    {.name = "auth", .group = "connection", .since = "1.0.0",
     .summary = "Authenticate to the server",
     .complexity = "O(N) where N is the number of passwords defined for the user",
     .history = "6.0.0: Added ACL style (username and password).",
     .args = "[username:string@6.0.0] password:string"},
    {.name = "hello", .group = "connection", .since = "6.0.0", .summary = "Handshake with Redis",
     .complexity = "O(1)",
     .history = "6.2.0: `protover` made optional; when called without arguments the command "
                "reports the current connection's context.",
     .args = "[arguments{protover:integer "
             "[AUTH username_password{username:string password:string}] "
             "[SETNAME clientname:string]}]"},
    {.name = "select", .group = "connection", .since = "1.0.0",
     .summary = "Change the selected database for the current connection", .complexity = "O(1)",
     .args = "index:integer"},
    {.name = "quit", .group = "connection", .since = "1.0.0", .summary = "Close the connection",
     .complexity = "O(1)"},
    {.name = "reset", .group = "connection", .since = "6.2.0", .summary = "Reset the connection",
     .complexity = "O(1)"},
    {.name = "client", .group = "connection", .since = "2.4.0",
     .summary = "A container for client connection commands",
     .complexity = "Depends on subcommand."},
    {.name = "client|id", .group = "connection", .since = "5.0.0",
     .summary = "Returns the client ID for the current connection", .complexity = "O(1)"},
    {.name = "client|setname", .group = "connection", .since = "2.6.9",
     .summary = "Set the current connection name", .complexity = "O(1)",
     .args = "connection-name:string"},
    {.name = "client|getname", .group = "connection", .since = "2.6.9",
     .summary = "Get the current connection name", .complexity = "O(1)"},
    // Redis 7.2's definition, with the two attributes Runnel takes.
    {.name = "client|setinfo", .group = "connection", .since = "7.2.0",
     .summary = "Sets information specific to the client or connection.", .complexity = "O(1)",
     .args = "attr('lib-name' libname:string|'lib-ver' libver:string)"},
    {.name = "client|info", .group = "connection", .since = "6.2.0",
     .summary = "Returns information about the current client connection.", .complexity = "O(1)",
     .history = "7.2.0: Added `lib-name` and `lib-ver` fields."},  // with CLIENT SETINFO
    {.name = "client|list", .group = "connection", .since = "2.4.0",
     .summary = "Get the list of client connections",
     .complexity = "O(N) where N is the number of client connections",
     .history = "2.8.12: Added unique client `id` field.\n"
                "5.0.0: Added optional `TYPE` filter.\n"
                "6.0.0: Added `user` field.\n"
                "6.2.0: Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional "
                "`ID` filter.\n"
                "7.0.0: Added `resp`, `multi-mem`, `rbs` and `rbp` fields.\n"
                "7.0.3: Added `ssub` field.\n"
                "7.2.0: Added `lib-name` and `lib-ver` fields.",  // with CLIENT SETINFO
     .args = "[TYPE normal_master_replica_pubsub(NORMAL|MASTER|REPLICA|PUBSUB)@5.0.0] "
             "[ID id{client-id:integer...}@6.2.0]"},
    {.name = "client|kill", .group = "connection", .since = "2.4.0",
     .summary = "Kill the connection of a client",
     .complexity = "O(N) where N is the number of client connections",
     .history = "2.8.12: Added new filter format.\n"
                "2.8.12: `ID` option.\n"
                "3.2.0: Added `master` type in for `TYPE` option.\n"
                "5.0.0: Replaced `slave` `TYPE` with `replica`. `slave` still supported for "
                "backward compatibility.\n"
                "6.2.0: `LADDR` option.",
     .args = "filter(ip:port:string!2.8.12"
             "|new-format([ID client-id:integer@2.8.12]"
             "|[TYPE normal_master_slave_pubsub(NORMAL|MASTER@3.2.0|SLAVE|REPLICA@5.0.0|PUBSUB)"
             "@2.8.12]"
             "|[USER username:string]|[ADDR ip:port:string]|[LADDR ip:port:string@6.2.0]"
             "|[SKIPME yes/no:string])...)"},
    {.name = "client|reply", .group = "connection", .since = "3.2.0",
     .summary = "Instruct the server whether to reply to commands", .complexity = "O(1)",
     .args = "on_off_skip(ON|OFF|SKIP)"},
    {.name = "client|no-evict", .group = "connection", .since = "7.0.0",
     .summary = "Set client eviction mode for the current connection", .complexity = "O(1)",
     .args = "enabled(ON|OFF)"},
    {.name = "client|no-touch", .group = "connection", .since = "7.2.0",
     .summary = "Controls whether commands sent by the client will alter the LRU/LFU of the "
                "keys they access.",
     .complexity = "O(1)", .args = "enabled(ON|OFF)"},
    {.name = "client|unblock", .group = "connection", .since = "5.0.0",
     .summary = "Unblock a client blocked in a blocking command from a different connection",
     .complexity = "O(log N) where N is the number of client connections",
     .args = "client-id:integer [timeout_error(TIMEOUT|ERROR)]"},
    {.name = "client|pause", .group = "connection", .since = "2.9.50",
     .summary = "Stop processing commands from clients for some time", .complexity = "O(1)",
     .history = "6.2.0: `CLIENT PAUSE WRITE` mode added along with the `mode` option.",
     .args = "timeout:integer [mode(WRITE|ALL)@6.2.0]"},
    {.name = "client|unpause", .group = "connection", .since = "6.2.0",
     .summary = "Resume processing of clients that were paused",
     .complexity = "O(N) Where N is the number of paused clients"},
    {.name = "client|trackinginfo", .group = "connection", .since = "6.2.0",
     .summary = "Return information about server assisted client side caching for the current "
                "connection",
     .complexity = "O(1)"},
    {.name = "client|help", .group = "connection", .since = "5.0.0",
     .summary = "Show helpful text about the different subcommands", .complexity = "O(1)"},
    {.name = "del", .group = "generic", .since = "1.0.0", .summary = "Delete a key",
     .complexity = "O(N) where N is the number of keys that will be removed. When a key to remove "
                   "holds a value other than a string, the individual complexity for this key is "
                   "O(M) where M is the number of elements in the list, set, sorted set or hash. "
                   "Removing a single key that holds a string value is O(1).",
     .args = "key:key..."},
    {.name = "unlink", .group = "generic", .since = "4.0.0",
     .summary = "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but "
                "non blocking.",
     .complexity = "O(1) for each key removed regardless of its size. Then the command does O(N) "
                   "work in a different thread in order to reclaim memory, where N is the number "
                   "of allocations the deleted objects where composed of.",
     .args = "key:key..."},
    {.name = "exists", .group = "generic", .since = "1.0.0", .summary = "Determine if a key exists",
     .complexity = "O(N) where N is the number of keys to check.",
     .history = "3.0.3: Accepts multiple `key` arguments.", .args = "key:key..."},
    {.name = "type", .group = "generic", .since = "1.0.0",
     .summary = "Determine the type stored at key", .complexity = "O(1)", .args = "key:key"},
    {.name = "keys", .group = "generic", .since = "1.0.0",
     .summary = "Find all keys matching the given pattern",
     .complexity = "O(N) with N being the number of keys in the database, under the assumption "
                   "that the key names in the database and the given pattern have limited length.",
     .args = "pattern:pattern"},
    {.name = "scan", .group = "generic", .since = "2.8.0",
     .summary = "Incrementally iterate the keys space",
     .complexity = "O(1) for every call. O(N) for a complete iteration, including enough command "
                   "calls for the cursor to return back to 0. N is the number of elements inside "
                   "the collection.",
     .history = "6.0.0: Added the `TYPE` subcommand.",
     .args = "cursor:integer [MATCH pattern:pattern] [COUNT count:integer] "
             "[TYPE type:string@6.0.0]"},
    {.name = "rename", .group = "generic", .since = "1.0.0", .summary = "Rename a key",
     .complexity = "O(1)", .args = "key:key newkey:key"},
    {.name = "renamenx", .group = "generic", .since = "1.0.0",
     .summary = "Rename a key, only if the new key does not exist", .complexity = "O(1)",
     .history = "3.2.0: The command no longer returns an error when source and destination names "
                "are the same.",
     .args = "key:key newkey:key"},
    {.name = "expire", .group = "generic", .since = "1.0.0",
     .summary = "Set a key's time to live in seconds", .complexity = "O(1)",
     .history = "7.0.0: Added options: `NX`, `XX`, `GT` and `LT`.",
     .args = "key:key seconds:integer [condition(NX|XX|GT|LT)@7.0.0]"},
    {.name = "pexpire", .group = "generic", .since = "2.6.0",
     .summary = "Set a key's time to live in milliseconds", .complexity = "O(1)",
     .history = "7.0.0: Added options: `NX`, `XX`, `GT` and `LT`.",
     .args = "key:key milliseconds:integer [condition(NX|XX|GT|LT)@7.0.0]"},
    {.name = "expireat", .group = "generic", .since = "1.2.0",
     .summary = "Set the expiration for a key as a UNIX timestamp", .complexity = "O(1)",
     .history = "7.0.0: Added options: `NX`, `XX`, `GT` and `LT`.",
     .args = "key:key unix-time-seconds:unix-time [condition(NX|XX|GT|LT)@7.0.0]"},
    {.name = "pexpireat", .group = "generic", .since = "2.6.0",
     .summary = "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
     .complexity = "O(1)", .history = "7.0.0: Added options: `NX`, `XX`, `GT` and `LT`.",
     .args = "key:key unix-time-milliseconds:unix-time [condition(NX|XX|GT|LT)@7.0.0]"},
    {.name = "ttl", .group = "generic", .since = "1.0.0",
     .summary = "Get the time to live for a key in seconds", .complexity = "O(1)",
     .history = "2.8.0: Added the -2 reply.", .args = "key:key"},
    {.name = "pttl", .group = "generic", .since = "2.6.0",
     .summary = "Get the time to live for a key in milliseconds", .complexity = "O(1)",
     .history = "2.8.0: Added the -2 reply.", .args = "key:key"},
    {.name = "expiretime", .group = "generic", .since = "7.0.0",
     .summary = "Get the expiration Unix timestamp for a key", .complexity = "O(1)",
     .args = "key:key"},
    {.name = "pexpiretime", .group = "generic", .since = "7.0.0",
     .summary = "Get the expiration Unix timestamp for a key in milliseconds", .complexity = "O(1)",
     .args = "key:key"},
    {.name = "persist", .group = "generic", .since = "2.2.0",
     .summary = "Remove the expiration from a key", .complexity = "O(1)", .args = "key:key"},
    {.name = "config", .group = "server", .since = "2.0.0",
     .summary = "A container for server configuration commands",
     .complexity = "Depends on subcommand."},
    {.name = "config|get", .group = "server", .since = "2.0.0",
     .summary = "Get the values of configuration parameters",
     .complexity = "O(N) when N is the number of configuration parameters provided",
     .history = "7.0.0: Added the ability to pass multiple pattern parameters in one call",
     .args = "parameter{parameter:string}..."},
    {.name = "config|set", .group = "server", .since = "2.0.0",
     .summary = "Set configuration parameters to the given values",
     .complexity = "O(N) when N is the number of configuration parameters provided",
     .history = "7.0.0: Added the ability to set multiple parameters in one call.",
     .args = "parameter_value{parameter:string value:string}..."},
    {.name = "config|resetstat", .group = "server", .since = "2.0.0",
     .summary = "Reset the stats returned by INFO", .complexity = "O(1)"},
    {.name = "config|rewrite", .group = "server", .since = "2.8.0",
     .summary = "Rewrite the configuration file with the in memory configuration",
     .complexity = "O(1)"},
    {.name = "config|help", .group = "server", .since = "5.0.0",
     .summary = "Show helpful text about the different subcommands", .complexity = "O(1)"},
    {.name = "info", .group = "server", .since = "1.0.0",
     .summary = "Get information and statistics about the server", .complexity = "O(1)",
     .history = "7.0.0: Added support for taking multiple section arguments.",
     .args = "[section:string...]"},
    {.name = "dbsize", .group = "server", .since = "1.0.0",
     .summary = "Return the number of keys in the selected database", .complexity = "O(1)"},
    {.name = "time", .group = "server", .since = "2.6.0",
     .summary = "Return the current server time", .complexity = "O(1)"},
    {.name = "flushdb", .group = "server", .since = "1.0.0",
     .summary = "Remove all keys from the current database",
     .complexity = "O(N) where N is the number of keys in the selected database",
     .history = "4.0.0: Added the `ASYNC` flushing mode modifier.\n"
                "6.2.0: Added the `SYNC` flushing mode modifier.",
     .args = "[async(ASYNC@4.0.0|SYNC@6.2.0)]"},
    {.name = "flushall", .group = "server", .since = "1.0.0",
     .summary = "Remove all keys from all databases",
     .complexity = "O(N) where N is the total number of keys in all databases",
     .history = "4.0.0: Added the `ASYNC` flushing mode modifier.\n"
                "6.2.0: Added the `SYNC` flushing mode modifier.",
     .args = "[async(ASYNC@4.0.0|SYNC@6.2.0)]"},
    {.name = "shutdown", .group = "server", .since = "1.0.0",
     .summary = "Synchronously save the dataset to disk and then shut down the server",
     .complexity = "O(N) when saving, where N is the total number of keys in all databases when "
                   "saving data, otherwise O(1)",
     .history = "7.0.0: Added the `NOW`, `FORCE` and `ABORT` modifiers.",
     .args = "[nosave_save(NOSAVE|SAVE)] [NOW@7.0.0] [FORCE@7.0.0] [ABORT@7.0.0]"},
    {.name = "save", .group = "server", .since = "1.0.0",
     .summary = "Synchronously save the dataset to disk",
     .complexity = "O(N) where N is the total number of keys in all databases"},
    {.name = "bgsave", .group = "server", .since = "1.0.0",
     .summary = "Asynchronously save the dataset to disk", .complexity = "O(1)",
     .history = "3.2.2: Added the `SCHEDULE` option.", .args = "[SCHEDULE@3.2.2]"},
    {.name = "bgrewriteaof", .group = "server", .since = "1.0.0",
     .summary = "Asynchronously rewrite the append-only file", .complexity = "O(1)"},
    {.name = "role", .group = "server", .since = "2.8.12",
     .summary = "Return the role of the instance in the context of replication",
     .complexity = "O(1)"},
    {.name = "replconf", .group = "server", .since = "3.0.0",
     .summary = "An internal command for configuring the replication stream",
     .complexity = "O(1)", .syscmd = true},
    {.name = "psync", .group = "server", .since = "2.8.0",
     .summary = "Internal command used for replication",
     .args = "replicationid:string offset:integer"},
    {.name = "sync", .group = "server", .since = "1.0.0",
     .summary = "Internal command used for replication"},
    {.name = "replicaof", .group = "server", .since = "5.0.0",
     .summary = "Make the server a replica of another instance, or promote it as master.",
     .complexity = "O(1)", .args = "args(host-port{host:string port:integer}|no-one{NO ONE})"},
    {.name = "slaveof", .group = "server", .since = "1.0.0",
     .summary = "Make the server a replica of another instance, or promote it as master.",
     .complexity = "O(1)", .args = "args(host-port{host:string port:integer}|no-one{NO ONE})",
     .deprecated_since = "5.0.0", .replaced_by = "`REPLICAOF`"},
    {.name = "wait", .group = "generic", .since = "3.0.0",
     .summary = "Wait for the synchronous replication of all the write commands sent in the "
                "context of the current connection",
     .complexity = "O(1)", .args = "numreplicas:integer timeout:integer"},
    // Redis 7.2 (redis-server 7.0 has no WAITAOF): as its docs describe it.
    {.name = "waitaof", .group = "generic", .since = "7.2.0",
     .summary = "Blocks until all of the preceding write commands sent by the connection are "
                "written to the append-only file of the master and/or replicas.",
     .complexity = "O(1)", .args = "numlocal:integer numreplicas:integer timeout:integer"},
    {.name = "lastsave", .group = "server", .since = "1.0.0",
     .summary = "Get the UNIX time stamp of the last successful save to disk",
     .complexity = "O(1)"},
    {.name = "get", .group = "string", .since = "1.0.0", .summary = "Get the value of a key",
     .complexity = "O(1)", .args = "key:key"},
    {.name = "set", .group = "string", .since = "1.0.0", .summary = "Set the string value of a key",
     .complexity = "O(1)", .history = "2.6.12: Added the `EX`, `PX`, `NX` and `XX` options.\n"
                "6.0.0: Added the `KEEPTTL` option.\n"
                "6.2.0: Added the `GET`, `EXAT` and `PXAT` option.\n"
                "7.0.0: Allowed the `NX` and `GET` options to be used together.\n"
                "8.4.0: Added the `IFEQ`, `IFNE`, `IFDEQ` and `IFDNE` options.",
     .args = "key:key value:string [condition(NX|XX|IFEQ ifeq-value:string@8.4.0"
             "|IFNE ifne-value:string@8.4.0|IFDEQ ifdeq-digest:string@8.4.0"
             "|IFDNE ifdne-digest:string@8.4.0)@2.6.12] [GET@6.2.0] "
             "[expiration(EX seconds:integer@2.6.12|PX milliseconds:integer@2.6.12"
             "|EXAT unix-time-seconds:unix-time@6.2.0"
             "|PXAT unix-time-milliseconds:unix-time@6.2.0|KEEPTTL@6.0.0)]"},
    {.name = "incr", .group = "string", .since = "1.0.0",
     .summary = "Increment the integer value of a key by one", .complexity = "O(1)",
     .args = "key:key"},
    {.name = "decr", .group = "string", .since = "1.0.0",
     .summary = "Decrement the integer value of a key by one", .complexity = "O(1)",
     .args = "key:key"},
    {.name = "incrby", .group = "string", .since = "1.0.0",
     .summary = "Increment the integer value of a key by the given amount", .complexity = "O(1)",
     .args = "key:key increment:integer"},
    {.name = "decrby", .group = "string", .since = "1.0.0",
     .summary = "Decrement the integer value of a key by the given number", .complexity = "O(1)",
     .args = "key:key decrement:integer"},
    {.name = "mget", .group = "string", .since = "1.0.0",
     .summary = "Get the values of all the given keys",
     .complexity = "O(N) where N is the number of keys to retrieve.", .args = "key:key..."},
    {.name = "mset", .group = "string", .since = "1.0.1",
     .summary = "Set multiple keys to multiple values",
     .complexity = "O(N) where N is the number of keys to set.",
     .args = "key_value{key:key value:string}..."},
    // More key commands, as redis-server 7.0 documents them.
    {.name = "touch", .group = "generic", .since = "3.2.1",
     .summary = "Alters the last access time of a key(s). Returns the number of existing keys "
                "specified.",
     .complexity = "O(N) where N is the number of keys that will be touched.",
     .args = "key:key..."},
    {.name = "randomkey", .group = "generic", .since = "1.0.0",
     .summary = "Return a random key from the keyspace", .complexity = "O(1)"},
    {.name = "move", .group = "generic", .since = "1.0.0",
     .summary = "Move a key to another database", .complexity = "O(1)",
     .args = "key:key db:integer"},
    {.name = "slowlog", .group = "server", .since = "2.2.12",
     .summary = "A container for slow log commands", .complexity = "Depends on subcommand."},
    {.name = "slowlog|get", .group = "server", .since = "2.2.12",
     .summary = "Get the slow log's entries",
     .complexity = "O(N) where N is the number of entries returned",
     .history = "4.0.0: Added client IP address, port and name to the reply.",
     .args = "[count:integer]"},
    {.name = "slowlog|len", .group = "server", .since = "2.2.12",
     .summary = "Get the slow log's length", .complexity = "O(1)"},
    {.name = "slowlog|reset", .group = "server", .since = "2.2.12",
     .summary = "Clear all entries from the slow log",
     .complexity = "O(N) where N is the number of entries in the slowlog"},
    {.name = "slowlog|help", .group = "server", .since = "6.2.0",
     .summary = "Show helpful text about the different subcommands", .complexity = "O(1)"},
    {.name = "acl", .group = "server", .since = "6.0.0",
     .summary = "A container for Access List Control commands ",
     .complexity = "Depends on subcommand."},
    {.name = "acl|cat", .group = "server", .since = "6.0.0",
     .summary = "List the ACL categories or the commands inside a category",
     .complexity = "O(1) since the categories and commands are a fixed set.",
     .args = "[categoryname:string]"},
    {.name = "acl|deluser", .group = "server", .since = "6.0.0",
     .summary = "Remove the specified ACL users and the associated rules",
     .complexity = "O(1) amortized time considering the typical user.",
     .args = "username:string..."},
    {.name = "acl|dryrun", .group = "server", .since = "7.0.0",
     .summary = "Returns whether the user can execute the given command without executing the "
                "command.",
     .complexity = "O(1).", .args = "username:string command:string [arg:string...]"},
    {.name = "acl|genpass", .group = "server", .since = "6.0.0",
     .summary = "Generate a pseudorandom secure password to use for ACL users",
     .complexity = "O(1)", .args = "[bits:integer]"},
    {.name = "acl|getuser", .group = "server", .since = "6.0.0",
     .summary = "Get the rules for a specific ACL user",
     .complexity = "O(N). Where N is the number of password, command and pattern rules that the "
                   "user has.",
     .history = "6.2.0: Added Pub/Sub channel patterns.\n"
                "7.0.0: Added selectors and changed the format of key and channel patterns from "
                "a list to their rule representation.",
     .args = "username:string"},
    {.name = "acl|help", .group = "server", .since = "6.0.0",
     .summary = "Show helpful text about the different subcommands", .complexity = "O(1)"},
    {.name = "acl|list", .group = "server", .since = "6.0.0",
     .summary = "List the current ACL rules in ACL config file format",
     .complexity = "O(N). Where N is the number of configured users."},
    {.name = "acl|load", .group = "server", .since = "6.0.0",
     .summary = "Reload the ACLs from the configured ACL file",
     .complexity = "O(N). Where N is the number of configured users."},
    {.name = "acl|log", .group = "server", .since = "6.0.0",
     .summary = "List latest events denied because of ACLs in place",
     .complexity = "O(N) with N being the number of entries shown.",
     .args = "[operation(count:integer|RESET)]"},
    {.name = "acl|save", .group = "server", .since = "6.0.0",
     .summary = "Save the current ACL rules in the configured ACL file",
     .complexity = "O(N). Where N is the number of configured users."},
    {.name = "acl|setuser", .group = "server", .since = "6.0.0",
     .summary = "Modify or create the rules for a specific ACL user",
     .complexity = "O(N). Where N is the number of rules provided.",
     .history = "6.2.0: Added Pub/Sub channel patterns.\n"
                "7.0.0: Added selectors and key based permissions.",
     .args = "username:string [rule:string...]"},
    {.name = "acl|users", .group = "server", .since = "6.0.0",
     .summary = "List the username of all the configured ACL rules",
     .complexity = "O(N). Where N is the number of configured users."},
    {.name = "acl|whoami", .group = "server", .since = "6.0.0",
     .summary = "Return the name of the user associated to the current connection",
     .complexity = "O(1)"},
    {.name = "latency", .group = "server", .since = "2.8.13",
     .summary = "A container for latency diagnostics commands",
     .complexity = "Depends on subcommand."},
    {.name = "latency|latest", .group = "server", .since = "2.8.13",
     .summary = "Return the latest latency samples for all events.", .complexity = "O(1)"},
    {.name = "latency|history", .group = "server", .since = "2.8.13",
     .summary = "Return timestamp-latency samples for the event.", .complexity = "O(1)",
     .args = "event:string"},
    {.name = "latency|reset", .group = "server", .since = "2.8.13",
     .summary = "Reset latency data for one or more events.", .complexity = "O(1)",
     .args = "[event:string...]"},
    {.name = "latency|histogram", .group = "server", .since = "7.0.0",
     .summary = "Return the cumulative distribution of latencies of a subset of commands or all.",
     .complexity = "O(N) where N is the number of commands with latency information being "
                   "retrieved.",
     .args = "[command:string...]"},
    {.name = "latency|doctor", .group = "server", .since = "2.8.13",
     .summary = "Return a human readable latency analysis report.", .complexity = "O(1)"},
    {.name = "latency|help", .group = "server", .since = "2.8.13",
     .summary = "Show helpful text about the different subcommands.", .complexity = "O(1)"},
    {.name = "monitor", .group = "server", .since = "1.0.0",
     .summary = "Listen for all requests received by the server in real time"},
    {.name = "debug", .group = "server", .since = "1.0.0",
     .summary = "A container for debugging commands", .complexity = "Depends on subcommand.",
     .syscmd = true},
    {.name = "copy", .group = "generic", .since = "6.2.0", .summary = "Copy a key",
     .complexity = "O(N) worst case for collections, where N is the number of nested items. "
                   "O(1) for string values.",
     .args = "source:key destination:key [DB destination-db:integer] [REPLACE]"},
    {.name = "dump", .group = "generic", .since = "2.6.0",
     .summary = "Return a serialized version of the value stored at the specified key.",
     .complexity = "O(1) to access the key and additional O(N*M) to serialize it, where N is the "
                   "number of Redis objects composing the value and M their average size. For "
                   "small string values the time complexity is thus O(1)+O(1*M) where M is "
                   "small, so simply O(1).",
     .args = "key:key"},
    {.name = "restore", .group = "generic", .since = "2.6.0",
     .summary = "Create a key using the provided serialized value, previously obtained using "
                "DUMP.",
     .complexity = "O(1) to create the new key and additional O(N*M) to reconstruct the "
                   "serialized value, where N is the number of Redis objects composing the value "
                   "and M their average size. For small string values the time complexity is "
                   "thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set "
                   "values the complexity is O(N*M*log(N)) because inserting values into sorted "
                   "sets is O(log(N)).",
     .history = "3.0.0: Added the `REPLACE` modifier.\n"
                "5.0.0: Added the `ABSTTL` modifier.\n"
                "5.0.0: Added the `IDLETIME` and `FREQ` options.",
     .args = "key:key ttl:integer serialized-value:string [REPLACE@3.0.0] [ABSTTL@5.0.0] "
             "[IDLETIME seconds:integer@5.0.0] [FREQ frequency:integer@5.0.0]"},
    {.name = "swapdb", .group = "server", .since = "4.0.0",
     .summary = "Swaps two Redis databases",
     .complexity = "O(N) where N is the count of clients watching or blocking on keys from both "
                   "databases.",
     .args = "index1:integer index2:integer"},
    {.name = "object", .group = "generic", .since = "2.2.3",
     .summary = "A container for object introspection commands",
     .complexity = "Depends on subcommand."},
    {.name = "object|encoding", .group = "generic", .since = "2.2.3",
     .summary = "Inspect the internal encoding of a Redis object", .complexity = "O(1)",
     .args = "key:key"},
    {.name = "object|freq", .group = "generic", .since = "4.0.0",
     .summary = "Get the logarithmic access frequency counter of a Redis object",
     .complexity = "O(1)", .args = "key:key"},
    {.name = "object|idletime", .group = "generic", .since = "2.2.3",
     .summary = "Get the time since a Redis object was last accessed", .complexity = "O(1)",
     .args = "key:key"},
    {.name = "object|refcount", .group = "generic", .since = "2.2.3",
     .summary = "Get the number of references to the value of the key", .complexity = "O(1)",
     .args = "key:key"},
    {.name = "object|help", .group = "generic", .since = "6.2.0",
     .summary = "Show helpful text about the different subcommands", .complexity = "O(1)"},
    {.name = "memory", .group = "server", .since = "4.0.0",
     .summary = "A container for memory diagnostics commands",
     .complexity = "Depends on subcommand."},
    {.name = "memory|usage", .group = "server", .since = "4.0.0",
     .summary = "Estimate the memory usage of a key",
     .complexity = "O(N) where N is the number of samples.",
     .args = "key:key [SAMPLES count:integer]"},
    {.name = "memory|stats", .group = "server", .since = "4.0.0",
     .summary = "Show memory usage details", .complexity = "O(1)"},
    {.name = "memory|doctor", .group = "server", .since = "4.0.0",
     .summary = "Outputs memory problems report", .complexity = "O(1)"},
    {.name = "memory|malloc-stats", .group = "server", .since = "4.0.0",
     .summary = "Show allocator internal stats",
     .complexity = "Depends on how much memory is allocated, could be slow"},
    {.name = "memory|purge", .group = "server", .since = "4.0.0",
     .summary = "Ask the allocator to release memory",
     .complexity = "Depends on how much memory is allocated, could be slow"},
    {.name = "memory|help", .group = "server", .since = "4.0.0",
     .summary = "Show helpful text about the different subcommands", .complexity = "O(1)"},
    // The string commands beyond GET/SET/INCR, as redis-server 7.0 documents them.
    {.name = "setex", .group = "string", .since = "2.0.0",
     .summary = "Set the value and expiration of a key", .complexity = "O(1)",
     .args = "key:key seconds:integer value:string"},
    {.name = "psetex", .group = "string", .since = "2.6.0",
     .summary = "Set the value and expiration in milliseconds of a key", .complexity = "O(1)",
     .args = "key:key milliseconds:integer value:string"},
    {.name = "setnx", .group = "string", .since = "1.0.0",
     .summary = "Set the value of a key, only if the key does not exist", .complexity = "O(1)",
     .args = "key:key value:string"},
    {.name = "msetnx", .group = "string", .since = "1.0.1",
     .summary = "Set multiple keys to multiple values, only if none of the keys exist",
     .complexity = "O(N) where N is the number of keys to set.",
     .args = "key_value{key:key value:string}..."},
    // Redis 8.4's additions, as its documentation gives them.
    {.name = "msetex", .group = "string", .since = "8.4.0",
     .summary = "Atomically sets multiple string keys with a shared expiration in a single "
                "operation. Supports flexible argument parsing where condition and expiration "
                "flags can appear in any order.",
     .complexity = "O(N) where N is the number of keys to set.",
     .args = "numkeys:integer data{key:key value:string}... [condition(NX|XX)] "
             "[expiration(EX seconds:integer|PX milliseconds:integer|"
             "EXAT unix-time-seconds:unix-time|PXAT unix-time-milliseconds:unix-time|KEEPTTL)]"},
    {.name = "increx", .group = "string", .since = "8.8.0",
     .summary = "Increments the numeric value of a key by a number and sets its expiration time. "
                "Uses 0 as initial value if the key doesn't exist.",
     .complexity = "O(1)",
     .args = "key:key [increment(BYFLOAT float:double|BYINT integer:integer)] "
             "[LBOUND lowerbound:string] [UBOUND upperbound:string] [SATURATE] "
             "[expiration(EX seconds:integer|PX milliseconds:integer|"
             "EXAT unix-time-seconds:unix-time|PXAT unix-time-milliseconds:unix-time|PERSIST)] "
             "[ENX]"},
    {.name = "digest", .group = "string", .since = "8.4.0",
     .summary = "Returns the XXH3 hash of a string value.",
     .complexity = "O(N) where N is the length of the string value.", .args = "key:key"},
    {.name = "delex", .group = "string", .since = "8.4.0",
     .summary = "Conditionally removes the specified key based on value or digest comparison.",
     .complexity = "O(1) for IFEQ/IFNE, O(N) for IFDEQ/IFDNE where N is the length of the "
                   "string value.",
     .args = "key:key [condition(IFEQ ifeq-value:string|IFNE ifne-value:string"
             "|IFDEQ ifdeq-digest:string|IFDNE ifdne-digest:string)]"},
    {.name = "getset", .group = "string", .since = "1.0.0",
     .summary = "Set the string value of a key and return its old value", .complexity = "O(1)",
     .args = "key:key value:string", .deprecated_since = "6.2.0",
     .replaced_by = "`SET` with the `!GET` argument"},
    {.name = "getdel", .group = "string", .since = "6.2.0",
     .summary = "Get the value of a key and delete the key", .complexity = "O(1)",
     .args = "key:key"},
    {.name = "getex", .group = "string", .since = "6.2.0",
     .summary = "Get the value of a key and optionally set its expiration", .complexity = "O(1)",
     .args = "key:key [expiration(EX seconds:integer|PX milliseconds:integer|"
             "EXAT unix-time-seconds:unix-time|PXAT unix-time-milliseconds:unix-time|"
             "PERSIST)]"},
    {.name = "append", .group = "string", .since = "2.0.0", .summary = "Append a value to a key",
     .complexity = "O(1). The amortized time complexity is O(1) assuming the appended value is "
                   "small and the already present value is of any size, since the dynamic "
                   "string library used by Redis will double the free space available on every "
                   "reallocation.",
     .args = "key:key value:string"},
    {.name = "strlen", .group = "string", .since = "2.2.0",
     .summary = "Get the length of the value stored in a key", .complexity = "O(1)",
     .args = "key:key"},
    {.name = "getrange", .group = "string", .since = "2.4.0",
     .summary = "Get a substring of the string stored at a key",
     .complexity = "O(N) where N is the length of the returned string. The complexity is "
                   "ultimately determined by the returned length, but because creating a "
                   "substring from an existing string is very cheap, it can be considered O(1) "
                   "for small strings.",
     .args = "key:key start:integer end:integer"},
    {.name = "substr", .group = "string", .since = "1.0.0",
     .summary = "Get a substring of the string stored at a key",
     .complexity = "O(N) where N is the length of the returned string. The complexity is "
                   "ultimately determined by the returned length, but because creating a "
                   "substring from an existing string is very cheap, it can be considered O(1) "
                   "for small strings.",
     .args = "key:key start:integer end:integer", .deprecated_since = "2.0.0",
     .replaced_by = "`GETRANGE`"},
    {.name = "setrange", .group = "string", .since = "2.2.0",
     .summary = "Overwrite part of a string at key starting at the specified offset",
     .complexity = "O(1), not counting the time taken to copy the new string in place. "
                   "Usually, this string is very small so the amortized complexity is O(1). "
                   "Otherwise, complexity is O(M) with M being the length of the value argument.",
     .args = "key:key offset:integer value:string"},
    // One range key spec covers both keys, so key2 has key_spec_index 0 too.
    {.name = "lcs", .group = "string", .since = "7.0.0",
     .summary = "Find longest common substring",
     .complexity = "O(N*M) where N and M are the lengths of s1 and s2, respectively",
     .args = "key1:key key2:key#0 [LEN] [IDX] [MINMATCHLEN len:integer] [WITHMATCHLEN]"},
    {.name = "incrbyfloat", .group = "string", .since = "2.6.0",
     .summary = "Increment the float value of a key by the given amount", .complexity = "O(1)",
     .args = "key:key increment:double"},
    // Pub/Sub, as redis-server 7.0 documents it.
    {.name = "subscribe", .group = "pubsub", .since = "2.0.0",
     .summary = "Listen for messages published to the given channels",
     .complexity = "O(N) where N is the number of channels to subscribe to.",
     .args = "channel:string..."},
    {.name = "unsubscribe", .group = "pubsub", .since = "2.0.0",
     .summary = "Stop listening for messages posted to the given channels",
     .complexity = "O(N) where N is the number of clients already subscribed to a channel.",
     .args = "[channel:string...]"},
    {.name = "psubscribe", .group = "pubsub", .since = "2.0.0",
     .summary = "Listen for messages published to channels matching the given patterns",
     .complexity = "O(N) where N is the number of patterns the client is already subscribed to.",
     .args = "pattern{pattern:pattern}..."},
    {.name = "punsubscribe", .group = "pubsub", .since = "2.0.0",
     .summary = "Stop listening for messages posted to channels matching the given patterns",
     .complexity = "O(N+M) where N is the number of patterns the client is already subscribed "
                   "and M is the number of total patterns subscribed in the system (by any "
                   "client).",
     .args = "[pattern:pattern...]"},
    {.name = "ssubscribe", .group = "pubsub", .since = "7.0.0",
     .summary = "Listen for messages published to the given shard channels",
     .complexity = "O(N) where N is the number of shard channels to subscribe to.",
     .args = "shardchannel:string..."},
    {.name = "sunsubscribe", .group = "pubsub", .since = "7.0.0",
     .summary = "Stop listening for messages posted to the given shard channels",
     .complexity = "O(N) where N is the number of clients already subscribed to a shard "
                   "channel.",
     .args = "[shardchannel:string...]"},
    {.name = "publish", .group = "pubsub", .since = "2.0.0",
     .summary = "Post a message to a channel",
     .complexity = "O(N+M) where N is the number of clients subscribed to the receiving channel "
                   "and M is the total number of subscribed patterns (by any client).",
     .args = "channel:string message:string"},
    {.name = "spublish", .group = "pubsub", .since = "7.0.0",
     .summary = "Post a message to a shard channel",
     .complexity = "O(N) where N is the number of clients subscribed to the receiving shard "
                   "channel.",
     .args = "shardchannel:string message:string"},
    {.name = "pubsub", .group = "pubsub", .since = "2.8.0",
     .summary = "A container for Pub/Sub commands", .complexity = "Depends on subcommand."},
    {.name = "pubsub|channels", .group = "pubsub", .since = "2.8.0",
     .summary = "List active channels",
     .complexity = "O(N) where N is the number of active channels, and assuming constant time "
                   "pattern matching (relatively short channels and patterns)",
     .args = "[pattern:pattern]"},
    {.name = "pubsub|numpat", .group = "pubsub", .since = "2.8.0",
     .summary = "Get the count of unique patterns pattern subscriptions", .complexity = "O(1)"},
    {.name = "pubsub|numsub", .group = "pubsub", .since = "2.8.0",
     .summary = "Get the count of subscribers for channels",
     .complexity = "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
     .args = "[channel:string...]"},
    {.name = "pubsub|shardchannels", .group = "pubsub", .since = "7.0.0",
     .summary = "List active shard channels",
     .complexity = "O(N) where N is the number of active shard channels, and assuming constant "
                   "time pattern matching (relatively short shard channels).",
     .args = "[pattern:pattern]"},
    {.name = "pubsub|shardnumsub", .group = "pubsub", .since = "7.0.0",
     .summary = "Get the count of subscribers for shard channels",
     .complexity = "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested "
                   "shard channels",
     .args = "[shardchannel:string...]"},
    {.name = "pubsub|help", .group = "pubsub", .since = "6.2.0",
     .summary = "Show helpful text about the different subcommands", .complexity = "O(1)"},
    {.name = "xadd", .group = "stream", .since = "5.0.0",
     .summary = "Appends a new entry to a stream",
     .complexity = "O(1) when adding a new entry, O(N) when trimming where N being the number of "
                   "entries evicted.",
     .history = "6.2.0: Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` "
                "option.\n"
                "7.0.0: Added support for the `<ms>-*` explicit ID form.\n"
                "8.2.0: Added the `KEEPREF`, `DELREF` and `ACKED` options.\n"
                "8.6.0: Added the `IDMPAUTO` and `IDMP` options.\n"
                "0.3.0: Added the `DELAY` and `AT` options (Runnel extension: delayed entries; the "
                "reply is then the entry's schedule handle).",
     .args = "key:key [NOMKSTREAM@6.2.0] [condition(KEEPREF@8.2.0|DELREF@8.2.0|ACKED@8.2.0)] "
             "[idmp(idmpauto{IDMPAUTO producer-id:string}|"
             "idmp{IDMP producer-id:string idempotent-id:string})@8.6.0] "
             "[due(delay{DELAY ms:integer}|at{AT unix-time-milliseconds:unix-time})@0.3.0] "
             "[trim{strategy(MAXLEN|MINID@6.2.0) [operator(equal='='|approximately='~')] "
             "threshold:string [LIMIT count:integer@6.2.0]}] "
             "id_or_auto(auto_id='*'|id:string) field_value{field:string value:string}..."},
    {.name = "xtrim", .group = "stream", .since = "5.0.0",
     .summary = "Trims the stream to (approximately if '~' is passed) a certain size",
     .complexity = "O(N), with N being the number of evicted entries. Constant times are very "
                   "small however, since entries are organized in macro nodes containing multiple "
                   "entries that can be released with a single deallocation.",
     .history = "6.2.0: Added the `MINID` trimming strategy and the `LIMIT` option.\n"
                "8.2.0: Added the `KEEPREF`, `DELREF` and `ACKED` options.",
     .args = "key:key trim{strategy(MAXLEN|MINID@6.2.0) [operator(equal='='|approximately='~')] "
             "threshold:string [LIMIT count:integer@6.2.0]} "
             "[condition(KEEPREF@8.2.0|DELREF@8.2.0|ACKED@8.2.0)]"},
    {.name = "xcfgset", .group = "stream", .since = "8.6.0",
     .summary = "Sets the idempotent-production settings of a stream, and its retention "
                "(Runnel extension).",
     .complexity = "O(1)",
     .history = "0.3.0: Added `RETENTION-MS`, `RETENTION-MAXLEN` and `RETENTION-REFS` (Runnel "
                "extension: retention).",
     .args = "key:key [IDMP-DURATION duration:integer] [IDMP-MAXSIZE maxsize:integer] "
             "[RETENTION-MS ms:integer@0.3.0] [RETENTION-MAXLEN count:integer@0.3.0] "
             "[RETENTION-REFS refs(KEEPREF|ACKED)@0.3.0]"},
    // Runnel's extensions (docs/queues.md): `since` is the Runnel version that added them.
    {.name = "xschedule", .group = "stream", .since = "0.3.0",
     .summary = "A container for delayed-entry commands (Runnel extension)",
     .complexity = "Depends on subcommand."},
    {.name = "xschedule|list", .group = "stream", .since = "0.3.0",
     .summary = "Lists a stream's delayed entries in due order (Runnel extension).",
     .complexity = "O(log(N) + M) with N the scheduled entries and M the ones returned.",
     .args = "key:key start:string end:string [COUNT count:integer]"},
    {.name = "xschedule|cancel", .group = "stream", .since = "0.3.0",
     .summary = "Cancels delayed entries by handle (Runnel extension).",
     .complexity = "O(log(N)) for each handle, with N the scheduled entries.",
     .args = "key:key handle:string..."},
    {.name = "xschedule|help", .group = "stream", .since = "0.3.0",
     .summary = "Show helpful text about the different subcommands", .complexity = "O(1)"},
    {.name = "xdelex", .group = "stream", .since = "8.2.0",
     .summary = "Deletes one or multiple entries from the stream.",
     .complexity = "O(1) for each single item to delete in the stream, regardless of the stream "
                   "size.",
     .args = "key:key [condition(KEEPREF|DELREF|ACKED)] "
             "ids{IDS numids:integer id:string...}"},
    {.name = "xdel", .group = "stream", .since = "5.0.0",
     .summary = "Removes the specified entries from the stream. Returns the number of items "
                "actually deleted, that may be different from the number of IDs passed in case "
                "certain IDs do not exist.",
     .complexity = "O(1) for each single item to delete in the stream, regardless of the stream "
                   "size.",
     .args = "key:key id:string..."},
    {.name = "xlen", .group = "stream", .since = "5.0.0",
     .summary = "Return the number of entries in a stream", .complexity = "O(1)",
     .args = "key:key"},
    {.name = "xrange", .group = "stream", .since = "5.0.0",
     .summary = "Return a range of elements in a stream, with IDs matching the specified IDs "
                "interval",
     .complexity = "O(N) with N being the number of elements being returned. If N is constant "
                   "(e.g. always asking for the first 10 elements with COUNT), you can consider "
                   "it O(1).",
     .history = "6.2.0: Added exclusive ranges.",
     .args = "key:key start:string end:string [COUNT count:integer]"},
    {.name = "xrevrange", .group = "stream", .since = "5.0.0",
     .summary = "Return a range of elements in a stream, with IDs matching the specified IDs "
                "interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
     .complexity = "O(N) with N being the number of elements returned. If N is constant (e.g. "
                   "always asking for the first 10 elements with COUNT), you can consider it "
                   "O(1).",
     .history = "6.2.0: Added exclusive ranges.",
     .args = "key:key end:string start:string [COUNT count:integer]"},
    {.name = "xread", .group = "stream", .since = "5.0.0",
     .summary = "Return never seen elements in multiple streams, with IDs greater than the ones "
                "reported by the caller for each stream. Can block.",
     .complexity = "For each stream mentioned: O(N) with N being the number of elements being "
                   "returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when "
                   "the BLOCK option is used, XADD will pay O(M) time in order to serve the M "
                   "clients blocked on the stream getting new data.",
     .history = "7.4.0: Added the `+` ID, which reads the last entry of the stream.\n"
                "8.10.0: Added the `MAXCOUNT` and `MAXSIZE` options.",
     .args = "[COUNT count:integer] [MAXCOUNT maxcount:integer@8.10.0] "
             "[MAXSIZE maxsize:integer@8.10.0] [BLOCK milliseconds:integer] "
             "STREAMS streams{key:key... id:string...}"},
    {.name = "xsetid", .group = "stream", .since = "5.0.0",
     .summary = "An internal command for replicating stream values", .complexity = "O(1)",
     .history = "7.0.0: Added the `entries_added` and `max_deleted_entry_id` arguments.",
     .args = "key:key last-id:string [ENTRIESADDED entries_added:integer@7.0.0] "
             "[MAXDELETEDID max_deleted_entry_id:string@7.0.0]"},
    {.name = "xreadgroup", .group = "stream", .since = "5.0.0",
     .summary = "Return new entries from a stream using a consumer group, or access the history "
                "of the pending entries for a given consumer. Can block.",
     .complexity = "For each stream mentioned: O(M) with M being the number of elements "
                   "returned. If M is constant (e.g. always asking for the first 10 elements "
                   "with COUNT), you can consider it O(1). On the other side when XREADGROUP "
                   "blocks, XADD will pay the O(N) time in order to serve the N clients blocked "
                   "on the stream getting new data.",
     .history = "8.4.0: Added the `CLAIM` option.\n"
                "8.10.0: Added the `MAXCOUNT` and `MAXSIZE` options.",
     .args = "GROUP group_consumer{group:string consumer:string} [COUNT count:integer] "
             "[MAXCOUNT maxcount:integer@8.10.0] [MAXSIZE maxsize:integer@8.10.0] "
             "[BLOCK milliseconds:integer] [CLAIM min-idle-time:integer@8.4.0] [NOACK] "
             "STREAMS streams{key:key... id:string...}"},
    {.name = "xack", .group = "stream", .since = "5.0.0",
     .summary = "Marks a pending message as correctly processed, effectively removing it from "
                "the pending entries list of the consumer group. Return value of the command is "
                "the number of messages successfully acknowledged, that is, the IDs we were "
                "actually able to resolve in the PEL.",
     .complexity = "O(1) for each message ID processed.",
     .args = "key:key group:string id:string..."},
    {.name = "xackdel", .group = "stream", .since = "8.2.0",
     .summary = "Acknowledges and conditionally deletes one or multiple entries for a stream "
                "consumer group.",
     .complexity = "O(1) for each entry ID processed.",
     .args = "key:key group:string [condition(KEEPREF|DELREF|ACKED)] "
             "ids{IDS numids:integer id:string...}"},
    {.name = "xnack", .group = "stream", .since = "8.8.0",
     .summary = "Releases pending entries of a consumer group without acknowledging them, so "
                "other consumers can claim them.",
     .complexity = "O(1) for each entry ID processed.",
     .args = "key:key group:string mode(SILENT|FAIL|FATAL) "
             "ids{IDS numids:integer id:string...} [RETRYCOUNT count:integer] [FORCE]"},
    {.name = "xpending", .group = "stream", .since = "5.0.0",
     .summary = "Return information and entries from a stream consumer group pending entries "
                "list, that are messages fetched but never acknowledged.",
     .complexity = "O(N) with N being the number of elements returned, so asking for a small "
                   "fixed number of entries per call is O(1). O(M), where M is the total number "
                   "of entries scanned when used with the IDLE filter. When the command returns "
                   "just the summary and the list of consumers is small, it runs in O(1) time; "
                   "otherwise, an additional O(N) time for iterating every consumer.",
     .history = "6.2.0: Added the `IDLE` option and exclusive range intervals.",
     .args = "key:key group:string [filters{[IDLE min-idle-time:integer@6.2.0] start:string "
             "end:string count:integer [consumer:string]}]"},
    {.name = "xclaim", .group = "stream", .since = "5.0.0",
     .summary = "Changes (or acquires) ownership of a message in a consumer group, as if the "
                "message was delivered to the specified consumer.",
     .complexity = "O(log N) with N being the number of messages in the PEL of the consumer "
                   "group.",
     .args = "key:key group:string consumer:string min-idle-time:string id:string... "
             "[IDLE ms:integer] [TIME unix-time-milliseconds:unix-time] "
             "[RETRYCOUNT count:integer] [FORCE] [JUSTID] [LASTID id:string]"},
    {.name = "xautoclaim", .group = "stream", .since = "6.2.0",
     .summary = "Changes (or acquires) ownership of messages in a consumer group, as if the "
                "messages were delivered to the specified consumer.",
     .complexity = "O(1) if COUNT is small.",
     .history = "7.0.0: Added an element to the reply array, containing deleted entries the "
                "command cleared from the PEL",
     .args = "key:key group:string consumer:string min-idle-time:string start:string "
             "[COUNT count:integer] [JUSTID]"},
    {.name = "xgroup", .group = "stream", .since = "5.0.0",
     .summary = "A container for consumer groups commands",
     .complexity = "Depends on subcommand."},
    // Runnel's extensions (docs/queues.md): `since` is the Runnel version that added them.
    {.name = "xgroup|setpolicy", .group = "stream", .since = "0.3.0",
     .summary = "Sets a consumer group's delivery policy (Runnel extension): dead letters after "
                "MAXDELIVERIES, retry BACKOFF, MAXPENDING prefetch, CONSUMER-EXPIRE.",
     .complexity = "O(N) with N being the number of BACKOFF steps given.",
     .args = "key:key group:string [MAXDELIVERIES count:integer] [DEADLETTER stream:string] "
             "[BACKOFF ms:integer...] [MAXPENDING count:integer] [CONSUMER-EXPIRE ms:integer]"},
    {.name = "xgroup|getpolicy", .group = "stream", .since = "0.3.0",
     .summary = "Returns a consumer group's delivery policy (Runnel extension).",
     .complexity = "O(1)", .args = "key:key group:string"},
    {.name = "xgroup|create", .group = "stream", .since = "5.0.0",
     .summary = "Create a consumer group.", .complexity = "O(1)",
     .history = "7.0.0: Added the `entries_read` named argument.",
     .args = "key:key groupname:string id(id:string|new_id='$') [MKSTREAM] "
             "[ENTRIESREAD entries_read:integer]"},
    {.name = "xgroup|setid", .group = "stream", .since = "5.0.0",
     .summary = "Set a consumer group to an arbitrary last delivered ID value.",
     .complexity = "O(1)", .history = "7.0.0: Added the optional `entries_read` argument.",
     .args = "key:key groupname:string id(id:string|new_id='$') "
             "[ENTRIESREAD entries_read:integer]"},
    {.name = "xgroup|destroy", .group = "stream", .since = "5.0.0",
     .summary = "Destroy a consumer group.",
     .complexity = "O(N) where N is the number of entries in the group's pending entries list "
                   "(PEL).",
     .args = "key:key groupname:string"},
    {.name = "xgroup|createconsumer", .group = "stream", .since = "6.2.0",
     .summary = "Create a consumer in a consumer group.", .complexity = "O(1)",
     .args = "key:key groupname:string consumername:string"},
    {.name = "xgroup|delconsumer", .group = "stream", .since = "5.0.0",
     .summary = "Delete a consumer from a consumer group.", .complexity = "O(1)",
     .args = "key:key groupname:string consumername:string"},
    {.name = "xgroup|help", .group = "stream", .since = "5.0.0",
     .summary = "Show helpful text about the different subcommands", .complexity = "O(1)"},
    {.name = "xinfo|groups", .group = "stream", .since = "5.0.0",
     .summary = "List the consumer groups of a stream", .complexity = "O(1)",
     .history = "7.0.0: Added the `entries-read` and `lag` fields", .args = "key:key"},
    // Runnel reports `inactive` and the 7.2 meaning of `idle`.
    {.name = "xinfo|consumers", .group = "stream", .since = "5.0.0",
     .summary = "List the consumers in a consumer group", .complexity = "O(1)",
     .history = "7.2.0: Added the `inactive` field, and changed the meaning of `idle`.",
     .args = "key:key groupname:string"},
    {.name = "xinfo", .group = "stream", .since = "5.0.0",
     .summary = "A container for stream introspection commands",
     .complexity = "Depends on subcommand."},
    {.name = "xinfo|stream", .group = "stream", .since = "5.0.0",
     .summary = "Get information about a stream", .complexity = "O(1)",
     .history = "6.0.0: Added the `FULL` modifier.\n"
                "7.0.0: Added the `max-deleted-entry-id`, `entries-added`, "
                "`recorded-first-entry-id`, `entries-read` and `lag` fields",
     .args = "key:key [FULL full{[COUNT count:integer]}]"},
    {.name = "xinfo|help", .group = "stream", .since = "5.0.0",
     .summary = "Show helpful text about the different subcommands", .complexity = "O(1)"},
    {.name = "multi", .group = "transactions", .since = "1.2.0",
     .summary = "Mark the start of a transaction block", .complexity = "O(1)"},
    {.name = "exec", .group = "transactions", .since = "1.2.0",
     .summary = "Execute all commands issued after MULTI",
     .complexity = "Depends on commands in the transaction"},
    {.name = "discard", .group = "transactions", .since = "2.0.0",
     .summary = "Discard all commands issued after MULTI",
     .complexity = "O(N), when N is the number of queued commands"},
    {.name = "watch", .group = "transactions", .since = "2.2.0",
     .summary = "Watch the given keys to determine execution of the MULTI/EXEC block",
     .complexity = "O(1) for every key.", .args = "key:key..."},
    {.name = "unwatch", .group = "transactions", .since = "2.2.0",
     .summary = "Forget about all watched keys", .complexity = "O(1)"},
    {.name = "command", .group = "server", .since = "2.8.13",
     .summary = "Get array of Redis command details",
     .complexity = "O(N) where N is the total number of Redis commands"},
    {.name = "command|count", .group = "server", .since = "2.8.13",
     .summary = "Get total number of Redis commands", .complexity = "O(1)"},
    {.name = "command|info", .group = "server", .since = "2.8.13",
     .summary = "Get array of specific Redis command details, or all when no argument is given.",
     .complexity = "O(N) where N is the number of commands to look up",
     .history = "7.0.0: Allowed to be called with no argument to get info on all commands.",
     .args = "[command-name:string...]"},
    {.name = "command|list", .group = "server", .since = "7.0.0",
     .summary = "Get an array of Redis command names",
     .complexity = "O(N) where N is the total number of Redis commands",
     .args = "[FILTERBY filterby(MODULE module-name:string|ACLCAT category:string"
             "|PATTERN pattern:pattern)]"},
    {.name = "command|getkeys", .group = "server", .since = "2.8.13",
     .summary = "Extract keys given a full Redis command",
     .complexity = "O(N) where N is the number of arguments to the command"},
    {.name = "command|getkeysandflags", .group = "server", .since = "7.0.0",
     .summary = "Extract keys and access flags given a full Redis command",
     .complexity = "O(N) where N is the number of arguments to the command"},
    {.name = "command|docs", .group = "server", .since = "7.0.0",
     .summary = "Get array of specific Redis command documentation",
     .complexity = "O(N) where N is the number of commands to look up",
     .args = "[command-name:string...]"},
    {.name = "command|help", .group = "server", .since = "5.0.0",
     .summary = "Show helpful text about the different subcommands", .complexity = "O(1)"},
};
// clang-format on

}  // namespace

std::span<const DocEntry> DocTable() { return kDocs; }

}  // namespace runnel::commands
