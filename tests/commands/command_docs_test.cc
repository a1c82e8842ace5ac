// COMMAND DOCS: the documentation table parses, covers exactly the commands the server
// registers, and is written the way redis-server 7.0 writes it, so that redis-cli 7.0 shows the
// same argument hints. The expected hints were taken from redis-cli 7.0.15 talking to
// redis-server 7.0.15 (CLIENT SETINFO, which 7.0 lacks, from Redis 7.2's definition; the
// KEEPREF/DELREF/ACKED options and XDELEX/XACKDEL from Redis 8.2's, MAXCOUNT/MAXSIZE from
// 8.10's).
#include "commands/admin/command_docs.h"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "commands/all_commands.h"
#include "dispatch/command_table.h"
#include "resp/reply_parser.h"
#include "resp/reply_writer.h"

using namespace runnel::commands;
using runnel::dispatch::CommandSpec;
using runnel::dispatch::CommandTable;
using runnel::resp::ParseReply;
using runnel::resp::ParseReplyStatus;
using runnel::resp::Reply;
using Type = runnel::resp::Reply::Type;

namespace {

// Every command and subcommand the server registers.
std::vector<const CommandSpec*> AllSpecs(const CommandTable& table) {
  std::vector<const CommandSpec*> out;
  for (const CommandSpec* spec : table.all()) {
    out.push_back(spec);
    for (const CommandSpec& sub : spec->subcommands) out.push_back(&sub);
  }
  return out;
}

// WriteCommandDocs' bytes for `spec`, parsed back.
Reply DocsReply(const CommandSpec& spec, int protocol) {
  std::string bytes;
  runnel::resp::ReplyWriter writer(&bytes, protocol);
  WriteCommandDocs(writer, spec);
  Reply reply;
  size_t consumed = 0;
  REQUIRE(ParseReply(bytes, &reply, &consumed) == ParseReplyStatus::kOk);
  CHECK(consumed == bytes.size());
  return reply;
}

// The value under `key` in a map reply (a RESP3 map or a RESP2 flat array), or nullptr.
const Reply* Field(const Reply& map, std::string_view key) {
  for (size_t i = 0; i + 1 < map.elements.size(); i += 2) {
    if (map.elements[i].str == key) return &map.elements[i + 1];
  }
  return nullptr;
}

std::vector<std::string> Keys(const Reply& map) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < map.elements.size(); i += 2) keys.push_back(map.elements[i].str);
  return keys;
}

std::string ArgsHint(const Reply& args, std::string_view separator);

// redis-cli 7.0's rendering of one argument (its cliAddArgument), from the wire reply.
std::string ArgHint(const Reply& arg) {
  const Reply* name = Field(arg, "name");
  const Reply* type = Field(arg, "type");
  REQUIRE(name != nullptr);
  REQUIRE(type != nullptr);
  const Reply* token = Field(arg, "token");
  std::string tok = token ? token->str : "";
  bool optional = false, multiple = false, multiple_token = false;
  if (const Reply* flags = Field(arg, "flags")) {
    for (const Reply& f : flags->elements) {
      CHECK(f.type == Type::kSimple);  // redis-cli 7.0 asserts on this
      optional |= f.str == "optional";
      multiple |= f.str == "multiple";
      multiple_token |= f.str == "multiple_token";
    }
  }
  std::string repeat;
  if (type->str == "oneof" || type->str == "block") {
    const Reply* nested = Field(arg, "arguments");
    REQUIRE(nested != nullptr);
    repeat = ArgsHint(*nested, type->str == "oneof" ? "|" : " ");
  } else if (type->str != "pure-token") {
    repeat = name->str.empty() ? "\"\"" : name->str;
  }
  if (!tok.empty() && type->str != "pure-token") tok += " ";
  std::string out = optional ? "[" : "";
  out += tok + repeat;
  if (multiple) out += " [" + (multiple_token ? tok : "") + repeat + " ...]";
  if (optional) out += "]";
  return out;
}

std::string ArgsHint(const Reply& args, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < args.elements.size(); ++i) {
    if (i > 0) out += separator;
    out += ArgHint(args.elements[i]);
  }
  return out;
}

std::string CommandHint(const Reply& docs) {
  const Reply* args = Field(docs, "arguments");
  return args ? ArgsHint(*args, " ") : "";
}

const std::map<std::string, std::string> kRedisCliHints = {
    {"auth", "[username] password"},
    {"client", ""},
    {"client|getname", ""},
    {"client|help", ""},
    {"client|reply", "ON|OFF|SKIP"},
    {"client|no-evict", "ON|OFF"},
    {"client|no-touch", "ON|OFF"},
    {"client|unblock", "client-id [TIMEOUT|ERROR]"},
    {"client|pause", "timeout [WRITE|ALL]"},
    {"client|unpause", ""},
    {"client|trackinginfo", ""},
    {"client|id", ""},
    {"client|info", ""},
    {"client|kill",
     "ip:port|[ID client-id]|[TYPE NORMAL|MASTER|SLAVE|REPLICA|PUBSUB]|[USER username]"
     "|[ADDR ip:port]|[LADDR ip:port]|[SKIPME yes/no] [[ID client-id]"
     "|[TYPE NORMAL|MASTER|SLAVE|REPLICA|PUBSUB]|[USER username]|[ADDR ip:port]"
     "|[LADDR ip:port]|[SKIPME yes/no] ...]"},
    {"client|list", "[TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]"},
    {"client|setinfo", "lib-name libname|lib-ver libver"},
    {"client|setname", "connection-name"},
    {"command", ""},
    {"command|count", ""},
    {"command|docs", "[command-name [command-name ...]]"},
    {"command|help", ""},
    {"command|info", "[command-name [command-name ...]]"},
    {"command|getkeys", ""},
    {"command|getkeysandflags", ""},
    {"command|list", "[FILTERBY MODULE module-name|ACLCAT category|PATTERN pattern]"},
    {"config", ""},
    {"config|get", "parameter [parameter ...]"},
    {"config|help", ""},
    {"config|resetstat", ""},
    {"config|rewrite", ""},
    {"config|set", "parameter value [parameter value ...]"},
    {"dbsize", ""},
    {"save", ""},
    {"bgsave", "[SCHEDULE]"},
    {"bgrewriteaof", ""},
    {"lastsave", ""},
    {"role", ""},
    {"replicaof", "host port|NO ONE"},
    {"slaveof", "host port|NO ONE"},
    {"replconf", ""},
    {"psync", "replicationid offset"},
    {"sync", ""},
    {"wait", "numreplicas timeout"},
    {"waitaof", "numlocal numreplicas timeout"},
    {"decr", "key"},
    {"decrby", "key decrement"},
    {"del", "key [key ...]"},
    {"discard", ""},
    {"echo", "message"},
    {"exec", ""},
    {"exists", "key [key ...]"},
    {"expire", "key seconds [NX|XX|GT|LT]"},
    {"expireat", "key unix-time-seconds [NX|XX|GT|LT]"},
    {"expiretime", "key"},
    {"flushall", "[ASYNC|SYNC]"},
    {"flushdb", "[ASYNC|SYNC]"},
    {"get", "key"},
    {"hello", "[protover [AUTH username password] [SETNAME clientname]]"},
    {"incr", "key"},
    {"incrby", "key increment"},
    {"info", "[section [section ...]]"},
    {"keys", "pattern"},
    {"mget", "key [key ...]"},
    {"mset", "key value [key value ...]"},
    {"multi", ""},
    {"persist", "key"},
    {"pexpire", "key milliseconds [NX|XX|GT|LT]"},
    {"pexpireat", "key unix-time-milliseconds [NX|XX|GT|LT]"},
    {"pexpiretime", "key"},
    {"ping", "[message]"},
    {"pttl", "key"},
    {"quit", ""},
    {"rename", "key newkey"},
    {"renamenx", "key newkey"},
    {"reset", ""},
    {"scan", "cursor [MATCH pattern] [COUNT count] [TYPE type]"},
    {"select", "index"},
    {"set",
     "key value [NX|XX|IFEQ ifeq-value|IFNE ifne-value|IFDEQ ifdeq-digest|IFDNE ifdne-digest] "
     "[GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds"
     "|KEEPTTL]"},
    {"msetex",
     "numkeys key value [key value ...] [NX|XX] [EX seconds|PX milliseconds"
     "|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]"},
    {"digest", "key"},
    {"increx",
     "key [BYFLOAT float|BYINT integer] [LBOUND lowerbound] [UBOUND upperbound] [SATURATE] "
     "[EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST] "
     "[ENX]"},
    {"delex", "key [IFEQ ifeq-value|IFNE ifne-value|IFDEQ ifdeq-digest|IFDNE ifdne-digest]"},
    {"shutdown", "[NOSAVE|SAVE] [NOW] [FORCE] [ABORT]"},
    {"time", ""},
    {"ttl", "key"},
    {"type", "key"},
    {"unlink", "key [key ...]"},
    {"unwatch", ""},
    {"watch", "key [key ...]"},
    {"xadd",
     "key [NOMKSTREAM] [KEEPREF|DELREF|ACKED] [IDMPAUTO producer-id|IDMP producer-id "
     "idempotent-id] [DELAY ms|AT unix-time-milliseconds] [MAXLEN|MINID [=|~] threshold "
     "[LIMIT count]] *|id field value [field value ...]"},
    {"xdel", "key id [id ...]"},
    {"xinfo", ""},
    {"xinfo|help", ""},
    {"xinfo|stream", "key [FULL [COUNT count]]"},
    {"xlen", "key"},
    {"xrange", "key start end [COUNT count]"},
    {"xread",
     "[COUNT count] [MAXCOUNT maxcount] [MAXSIZE maxsize] [BLOCK milliseconds] STREAMS key "
     "[key ...] id [id ...]"},
    {"xreadgroup",
     "GROUP group consumer [COUNT count] [MAXCOUNT maxcount] [MAXSIZE maxsize] "
     "[BLOCK milliseconds] [CLAIM min-idle-time] [NOACK] STREAMS key [key ...] id [id ...]"},
    {"xack", "key group id [id ...]"},
    {"xpending", "key group [[IDLE min-idle-time] start end count [consumer]]"},
    {"xclaim",
     "key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] "
     "[RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]"},
    {"xautoclaim", "key group consumer min-idle-time start [COUNT count] [JUSTID]"},
    {"xgroup", ""},
    {"xgroup|create", "key groupname id|$ [MKSTREAM] [ENTRIESREAD entries_read]"},
    {"xgroup|setid", "key groupname id|$ [ENTRIESREAD entries_read]"},
    {"xgroup|destroy", "key groupname"},
    {"xgroup|createconsumer", "key groupname consumername"},
    {"xgroup|delconsumer", "key groupname consumername"},
    {"xgroup|help", ""},
    {"xinfo|groups", "key"},
    {"xinfo|consumers", "key groupname"},
    {"xrevrange", "key end start [COUNT count]"},
    {"xsetid", "key last-id [ENTRIESADDED entries_added] [MAXDELETEDID max_deleted_entry_id]"},
    {"xtrim", "key MAXLEN|MINID [=|~] threshold [LIMIT count] [KEEPREF|DELREF|ACKED]"},
    // Newer than 7.0: the hints redis-cli's hint builder makes of Redis 8.2's documentation.
    {"xdelex", "key [KEEPREF|DELREF|ACKED] IDS numids id [id ...]"},
    {"xackdel", "key group [KEEPREF|DELREF|ACKED] IDS numids id [id ...]"},
    {"xcfgset",
     "key [IDMP-DURATION duration] [IDMP-MAXSIZE maxsize] [RETENTION-MS ms] "
     "[RETENTION-MAXLEN count] [RETENTION-REFS KEEPREF|ACKED]"},
    {"touch", "key [key ...]"},
    {"randomkey", ""},
    {"move", "key db"},
    {"copy", "source destination [DB destination-db] [REPLACE]"},
    {"dump", "key"},
    {"restore", "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]"},
    {"debug", ""},
    {"monitor", ""},
    {"latency", ""},
    {"latency|latest", ""},
    {"latency|history", "event"},
    {"latency|reset", "[event [event ...]]"},
    {"latency|histogram", "[command [command ...]]"},
    {"latency|doctor", ""},
    {"latency|help", ""},
    {"acl", ""},
    {"acl|cat", "[categoryname]"},
    {"acl|deluser", "username [username ...]"},
    {"acl|dryrun", "username command [arg [arg ...]]"},
    {"acl|genpass", "[bits]"},
    {"acl|getuser", "username"},
    {"acl|help", ""},
    {"acl|list", ""},
    {"acl|load", ""},
    {"acl|log", "[count|RESET]"},
    {"acl|save", ""},
    {"acl|setuser", "username [rule [rule ...]]"},
    {"acl|users", ""},
    {"acl|whoami", ""},
    {"slowlog", ""},
    {"slowlog|get", "[count]"},
    {"slowlog|len", ""},
    {"slowlog|reset", ""},
    {"slowlog|help", ""},
    {"swapdb", "index1 index2"},
    {"object", ""},
    {"object|encoding", "key"},
    {"object|freq", "key"},
    {"object|idletime", "key"},
    {"object|refcount", "key"},
    {"object|help", ""},
    {"memory", ""},
    {"memory|usage", "key [SAMPLES count]"},
    {"memory|stats", ""},
    {"memory|doctor", ""},
    {"memory|help", ""},
    {"memory|malloc-stats", ""},
    {"memory|purge", ""},
    {"setex", "key seconds value"},
    {"psetex", "key milliseconds value"},
    {"setnx", "key value"},
    {"msetnx", "key value [key value ...]"},
    {"getset", "key value"},
    {"substr", "key start end"},
    {"getdel", "key"},
    {"getex",
     "key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|"
     "PERSIST]"},
    {"append", "key value"},
    {"strlen", "key"},
    {"getrange", "key start end"},
    {"setrange", "key offset value"},
    {"incrbyfloat", "key increment"},
    {"lcs", "key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]"},
    {"subscribe", "channel [channel ...]"},
    {"unsubscribe", "[channel [channel ...]]"},
    {"psubscribe", "pattern [pattern ...]"},
    {"punsubscribe", "[pattern [pattern ...]]"},
    {"ssubscribe", "shardchannel [shardchannel ...]"},
    {"sunsubscribe", "[shardchannel [shardchannel ...]]"},
    {"publish", "channel message"},
    {"spublish", "shardchannel message"},
    {"pubsub", ""},
    {"pubsub|channels", "[pattern]"},
    {"pubsub|numpat", ""},
    {"pubsub|numsub", "[channel [channel ...]]"},
    {"pubsub|shardchannels", "[pattern]"},
    {"pubsub|shardnumsub", "[shardchannel [shardchannel ...]]"},
    {"pubsub|help", ""},
    {"xschedule", ""},
    {"xschedule|list", "key start end [COUNT count]"},
    {"xschedule|cancel", "key handle [handle ...]"},
    {"xschedule|help", ""},
    {"xnack", "key group SILENT|FAIL|FATAL IDS numids id [id ...] [RETRYCOUNT count] [FORCE]"},
    {"xgroup|setpolicy",
     "key group [MAXDELIVERIES count] [DEADLETTER stream] [BACKOFF ms [ms ...]] "
     "[MAXPENDING count] [CONSUMER-EXPIRE ms]"},
    {"xgroup|getpolicy", "key group"},
};

std::vector<DocArg> MustParse(std::string_view dsl) {
  std::string error;
  auto args = ParseDocArgs(dsl, &error);
  INFO(dsl, ": ", error);
  REQUIRE(args.has_value());
  return *args;
}

}  // namespace

TEST_CASE("every documentation entry parses and is well formed") {
  for (const std::string& problem : CommandDocProblems()) FAIL_CHECK(problem);
  CHECK(CommandDocProblems().empty());
}

TEST_CASE("the docs table and the command table name the same commands") {
  CommandTable table = AllCommands();
  std::set<std::string_view> registered;
  for (const CommandSpec* spec : AllSpecs(table)) {
    registered.insert(spec->fullname);
    CHECK_MESSAGE(FindCommandDoc(spec->fullname) != nullptr, "no docs for ", spec->fullname);
  }
  std::vector<std::string_view> documented = DocumentedCommandNames();
  for (std::string_view name : documented) {
    CHECK_MESSAGE(registered.count(name) == 1, "docs for unregistered command ", name);
  }
  CHECK(std::set<std::string_view>(documented.begin(), documented.end()).size() ==
        documented.size());
  CHECK(documented.size() == registered.size());
}

TEST_CASE("redis-cli builds the hints of the Redis version each command follows") {
  CommandTable table = AllCommands();
  size_t checked = 0;
  for (const CommandSpec* spec : AllSpecs(table)) {
    auto expected = kRedisCliHints.find(spec->fullname);
    REQUIRE_MESSAGE(expected != kRedisCliHints.end(), "no expected hint for ", spec->fullname);
    for (int protocol : {2, 3}) {
      INFO(spec->fullname, " RESP", protocol);
      Reply docs = DocsReply(*spec, protocol);
      CHECK(CommandHint(docs) == expected->second);
      for (const char* field : {"summary", "since", "group"}) {
        const Reply* value = Field(docs, field);  // redis-cli asserts these are strings
        REQUIRE(value != nullptr);
        CHECK(value->type == Type::kBulk);
        CHECK_FALSE(value->str.empty());
      }
    }
    ++checked;
  }
  CHECK(checked == kRedisCliHints.size());
}

TEST_CASE("XADD's argument tree is Redis's, with Runnel's DELAY / AT") {
  const CommandDoc* doc = FindCommandDoc("xadd");
  REQUIRE(doc != nullptr);
  CHECK(doc->summary == "Appends a new entry to a stream");
  CHECK(doc->since == "5.0.0");
  CHECK(doc->group == "stream");
  REQUIRE(doc->history.size() == 5);
  CHECK(doc->history[4].first == "0.3.0");  // Runnel's own version, for its extension
  CHECK(doc->history[1].first == "7.0.0");
  CHECK(doc->history[1].second == "Added support for the `<ms>-*` explicit ID form.");
  CHECK(doc->history[2].first == "8.2.0");

  std::vector<DocArg> a = doc->args;
  REQUIRE(a.size() == 8);
  // Runnel's delayed entries, where Redis has nothing.
  CHECK(a[4].name == "due");
  CHECK(a[4].type == DocArgType::kOneOf);
  CHECK(a[4].optional);
  REQUIRE(a[4].args.size() == 2);
  CHECK(a[4].args[0].args[0].token == "DELAY");
  CHECK(a[4].args[1].args[0].token == "AT");
  a.erase(a.begin() + 4);
  // Redis 8.6's idempotency options.
  CHECK(a[3].name == "idmp");
  CHECK(a[3].type == DocArgType::kOneOf);
  CHECK(a[3].since == "8.6.0");
  REQUIRE(a[3].args.size() == 2);
  CHECK(a[3].args[1].type == DocArgType::kBlock);
  REQUIRE(a[3].args[1].args.size() == 2);
  CHECK(a[3].args[1].args[0].token == "IDMP");
  a.erase(a.begin() + 3);
  // Redis 8.2's reference policy; the rest is 7.0's tree.
  CHECK(a[2].name == "condition");
  CHECK(a[2].type == DocArgType::kOneOf);
  CHECK(a[2].optional);
  REQUIRE(a[2].args.size() == 3);
  CHECK(a[2].args[1].token == "DELREF");
  CHECK(a[2].args[1].since == "8.2.0");
  a.erase(a.begin() + 2);
  CHECK(a[0].name == "key");
  CHECK(a[0].type == DocArgType::kKey);
  CHECK(a[0].key_spec_index == 0);
  CHECK(a[1].name == "nomkstream");
  CHECK(a[1].type == DocArgType::kPureToken);
  CHECK(a[1].token == "NOMKSTREAM");
  CHECK(a[1].since == "6.2.0");
  CHECK(a[1].optional);

  const DocArg& trim = a[2];
  CHECK(trim.name == "trim");
  CHECK(trim.type == DocArgType::kBlock);
  CHECK(trim.optional);
  REQUIRE(trim.args.size() == 4);
  CHECK(trim.args[0].type == DocArgType::kOneOf);
  REQUIRE(trim.args[0].args.size() == 2);
  CHECK(trim.args[0].args[1].name == "minid");
  CHECK(trim.args[0].args[1].token == "MINID");
  CHECK(trim.args[0].args[1].since == "6.2.0");
  const DocArg& op = trim.args[1];
  CHECK(op.name == "operator");
  CHECK(op.optional);
  REQUIRE(op.args.size() == 2);
  CHECK(op.args[0].name == "equal");
  CHECK(op.args[0].token == "=");
  CHECK(op.args[1].name == "approximately");
  CHECK(op.args[1].token == "~");
  CHECK(trim.args[2].name == "threshold");
  CHECK(trim.args[2].type == DocArgType::kString);
  CHECK(trim.args[3].name == "count");
  CHECK(trim.args[3].type == DocArgType::kInteger);
  CHECK(trim.args[3].token == "LIMIT");

  CHECK(a[3].name == "id_or_auto");
  REQUIRE(a[3].args.size() == 2);
  CHECK(a[3].args[0].name == "auto_id");
  CHECK(a[3].args[0].token == "*");
  CHECK(a[4].name == "field_value");
  CHECK(a[4].type == DocArgType::kBlock);
  CHECK(a[4].multiple);
  CHECK_FALSE(a[4].optional);
}

TEST_CASE("Runnel's additions beyond 7.0 are documented") {
  const CommandDoc* xread = FindCommandDoc("xread");
  REQUIRE(xread != nullptr);
  REQUIRE(xread->history.size() == 2);
  CHECK(xread->history[0].first == "7.4.0");
  CHECK(xread->history[1].first == "8.10.0");
  CHECK(xread->history[0].second.find("`+`") != std::string_view::npos);
  const CommandDoc* setinfo = FindCommandDoc("client|setinfo");
  REQUIRE(setinfo != nullptr);
  CHECK(setinfo->since == "7.2.0");
}

TEST_CASE("DSL: key arguments are numbered in order of appearance") {
  auto a = MustParse("key:key newkey:key");
  CHECK(a[0].key_spec_index == 0);
  CHECK(a[1].key_spec_index == 1);
  a = MustParse("STREAMS streams{key:key... id:string...} [STORE dest:key]");
  CHECK(a[0].token == "STREAMS");
  CHECK(a[0].args[0].key_spec_index == 0);
  CHECK(a[0].args[1].key_spec_index == -1);
  CHECK(a[1].key_spec_index == 1);
}

TEST_CASE("DSL: tokens, flags and versions") {
  auto a = MustParse("[PREFIX prefix:string]... [section:string...] NX nx2=NX");
  CHECK(a[0].token == "PREFIX");
  CHECK((a[0].optional && a[0].multiple && a[0].multiple_token));
  CHECK((a[1].optional && a[1].multiple && !a[1].multiple_token));
  CHECK(a[1].token.empty());
  CHECK(a[2].name == "nx");
  CHECK(a[2].type == DocArgType::kPureToken);
  CHECK(a[3].name == "nx2");
  CHECK(a[3].token == "NX");
  CHECK(a[3].type == DocArgType::kPureToken);
  // A token binds to the value after it; a pure token that precedes a value is named.
  a = MustParse("NX key:key nx=NX key:key");
  REQUIRE(a.size() == 3);
  CHECK(a[0].token == "NX");
  CHECK(a[0].type == DocArgType::kKey);
  CHECK(a[1].type == DocArgType::kPureToken);
  CHECK(a[2].token.empty());

  a = MustParse(
      "filter(ip:port:string!2.8.12|[ID client-id:integer@2.8.12]) "
      "'lib-name' libname:string  t:unix-time p:pattern d:double yes/no:string");
  REQUIRE(a.size() == 6);
  CHECK(a[0].args[0].name == "ip:port");
  CHECK(a[0].args[0].deprecated_since == "2.8.12");
  CHECK(a[0].args[0].since.empty());
  CHECK(a[0].args[1].optional);
  CHECK(a[0].args[1].since == "2.8.12");
  CHECK(a[1].token == "lib-name");
  CHECK(a[1].name == "libname");
  CHECK(a[2].type == DocArgType::kUnixTime);
  CHECK(a[3].type == DocArgType::kPattern);
  CHECK(a[4].type == DocArgType::kDouble);
  CHECK(a[5].name == "yes/no");
  CHECK(DocArgTypeName(a[2].type) == "unix-time");

  // Whitespace and line breaks between arguments and around '|' do not matter.
  a = MustParse("  mode( WRITE |\n ALL )  ");
  REQUIRE(a.size() == 1);
  CHECK(a[0].args.size() == 2);
  CHECK(MustParse("").empty());
}

TEST_CASE("DSL: mistakes are reported with their column") {
  struct Bad {
    const char* dsl;
    const char* message;
  };
  const Bad cases[] = {
      {"key:kye", "at column 1: unknown type 'kye'"},
      {"key:key [COUNT count:integr]", "at column 16: unknown type 'integr'"},
      {"key:pure-token", "unknown type 'pure-token'"},
      {"[COUNT count:integer", "expected ']'"},
      {"trim{threshold:string", "expected '}'"},
      {"empty{}", "empty block 'empty'"},
      {"op(EQ|", "expected an argument"},
      {"op(EQ)", "oneof 'op' needs two alternatives"},
      {"op(EQ|NE", "expected '|' or ')'"},
      {"'='", "pure token '=' needs a name"},
      {"x='", "unterminated quoted token"},
      {"x=''", "empty token"},
      {"x=", "expected a token"},
      {"[count:integer]...", "repeats a token, and there is none"},
      {"[COUNT count:integer...]...", "'...' given twice"},
      {"name", "expected ':type', '{', '(' or '=' after 'name'"},
      {":string", "unexpected ':'"},
      {"key:key }", "at column 9: unexpected '}'"},
      {"key:key@", "malformed version ''"},
      {"key:key@6..2", "malformed version '6..2'"},
      {"key:key...@6.2.0...", "malformed version '6.2.0...'"},
      {"key:key!x", "malformed version ''"},
  };
  for (const Bad& c : cases) {
    std::string error;
    INFO(c.dsl);
    CHECK_FALSE(ParseDocArgs(c.dsl, &error).has_value());
    CHECK_MESSAGE(error.find(c.message) != std::string::npos, error);
  }
}

TEST_CASE("RESP3 docs use redis-server 7.0's types: maps, sets of simple strings, arrays") {
  CommandTable table = AllCommands();
  Reply docs = DocsReply(*table.Find("xadd"), 3);
  REQUIRE(docs.type == Type::kMap);
  CHECK(Keys(docs) == std::vector<std::string>{"summary", "since", "group", "complexity", "history",
                                               "arguments"});
  const Reply* history = Field(docs, "history");
  REQUIRE(history != nullptr);
  CHECK(history->type == Type::kSet);
  REQUIRE(history->elements.size() == 5);
  CHECK(history->elements[0].type == Type::kArray);
  CHECK(history->elements[0].elements.size() == 2);

  const Reply* args = Field(docs, "arguments");
  REQUIRE(args != nullptr);
  CHECK(args->type == Type::kArray);
  const Reply& key = args->elements[0];
  CHECK(key.type == Type::kMap);
  CHECK(Keys(key) == std::vector<std::string>{"name", "type", "key_spec_index"});
  CHECK(Field(key, "key_spec_index")->type == Type::kInteger);
  const Reply& nomkstream = args->elements[1];
  CHECK(Keys(nomkstream) == std::vector<std::string>{"name", "type", "token", "since", "flags"});
  const Reply* flags = Field(nomkstream, "flags");
  CHECK(flags->type == Type::kSet);
  REQUIRE(flags->elements.size() == 1);
  CHECK(flags->elements[0].type == Type::kSimple);
  CHECK(flags->elements[0].str == "optional");
  const Reply* trim = Field(args->elements[3], "arguments");  // [2] is 8.2's condition
  REQUIRE(trim != nullptr);
  CHECK(trim->type == Type::kArray);

  Reply config = DocsReply(*table.Find("config"), 3);
  const Reply* subs = Field(config, "subcommands");
  REQUIRE(subs != nullptr);
  CHECK(subs->type == Type::kMap);
  CHECK(Keys(*subs) ==
        std::vector<std::string>{"config|get", "config|set", "config|resetstat", "config|rewrite",
                                 "config|help"});
  CHECK(Field(*subs, "config|get")->type == Type::kMap);
  CHECK(Field(config, "arguments") == nullptr);  // Redis sends none for a container
}

TEST_CASE("RESP2 docs are the same values as flat arrays") {
  CommandTable table = AllCommands();
  Reply docs = DocsReply(*table.Find("client")->FindSubcommand("kill"), 2);
  REQUIRE(docs.type == Type::kArray);
  CHECK(Field(docs, "history")->type == Type::kArray);
  const Reply* args = Field(docs, "arguments");
  REQUIRE(args != nullptr);
  const Reply& filter = args->elements[0];
  CHECK(filter.type == Type::kArray);
  const Reply& old_format = Field(filter, "arguments")->elements[0];
  CHECK(Field(old_format, "name")->str == "ip:port");
  CHECK(Field(old_format, "deprecated_since")->str == "2.8.12");
  const Reply& new_format = Field(filter, "arguments")->elements[1];
  const Reply* flags = Field(new_format, "flags");
  REQUIRE(flags != nullptr);
  CHECK(flags->type == Type::kArray);
  REQUIRE(flags->elements.size() == 1);
  CHECK(flags->elements[0].type == Type::kSimple);
  CHECK(flags->elements[0].str == "multiple");
}

TEST_CASE("a command missing from the table still gets an entry redis-cli can read") {
  CommandSpec spec{.name = "nosuch", .fullname = "nosuch", .arity = 1, .acl_categories = "@slow"};
  Reply docs = DocsReply(spec, 3);
  CHECK(Keys(docs) == std::vector<std::string>{"summary", "since", "group"});
  CHECK(Field(docs, "summary")->type == Type::kBulk);
  CHECK(Field(docs, "group")->str == "generic");
}
