// The acl layer on its own: rules and what they allow, the descriptions ACL LIST prints (which
// must rebuild exactly the same permissions), passwords, the ACL file, and the ACL log.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "acl/acl_log.h"
#include "acl/password.h"
#include "acl/users.h"

namespace runnel::acl {
namespace {

// A catalog shaped like the real one: plain commands in several categories, and a container
// whose subcommands have categories of their own.
CommandCatalog MakeCatalog() {
  CommandCatalog c;
  c.Add("xadd", ParseCategories("@write @stream @fast"));
  c.Add("xrange", ParseCategories("@read @stream @slow"));
  c.Add("xdel", ParseCategories("@write @stream @fast"));
  c.Add("get", ParseCategories("@read @string @fast"));
  c.Add("set", ParseCategories("@write @string @slow"));
  c.Add("publish", ParseCategories("@pubsub @fast"));
  const int config = c.Add("config", ParseCategories("@slow"));
  c.Add("config|get", ParseCategories("@admin @slow @dangerous"), config);
  c.Add("config|set", ParseCategories("@admin @slow @dangerous"), config);
  c.Add("select", ParseCategories("@fast @connection"));
  return c;
}

const CommandCatalog& Catalog() {
  static const CommandCatalog catalog = MakeCatalog();
  return catalog;
}

AccessRequest Call(std::string_view command, std::string_view first_arg = {}) {
  AccessRequest r;
  r.command_id = Catalog().Find(command);
  r.first_arg = first_arg;
  return r;
}

User Apply(const std::vector<std::string_view>& rules) {
  Users users(&Catalog());
  REQUIRE(users.SetUser("u", rules).error == RuleError::kNone);
  return *users.Find("u");
}

std::string Commands(const std::vector<std::string_view>& rules) {
  return Apply(rules).root().DescribeCommands();
}

TEST_CASE("a new user may do nothing until rules say so") {
  User u = Apply({});
  CHECK_FALSE(u.enabled());
  CHECK_FALSE(u.nopass());
  CHECK(u.Check(Call("get")).reason == Denial::Reason::kCommand);
  CHECK(u.Describe() == "user u off resetchannels -@all");
}

TEST_CASE("command rules: categories, subcommands, first arguments") {
  User u = Apply({"+@stream", "-xdel", "+config|get", "+select|0"});
  CHECK_FALSE(u.Check(Call("xadd")));
  CHECK(u.Check(Call("xdel")).reason == Denial::Reason::kCommand);
  CHECK_FALSE(u.Check(Call("config|get")));
  CHECK(u.Check(Call("config|set")));
  CHECK_FALSE(u.Check(Call("select", "0")));
  CHECK(u.Check(Call("select", "1")));
  CHECK(Commands({"+config"}) == "-@all +config");
  CHECK_FALSE(Apply({"+config"}).Check(Call("config|set")));
  CHECK(Apply({"+config", "-config|set"}).Check(Call("config|set")));
}

TEST_CASE("descriptions drop rules that later ones override, as redis-server shows them") {
  CHECK(Commands({"+xadd", "+xadd"}) == "-@all +xadd");
  CHECK(Commands({"+xadd", "-xadd"}) == "-@all");
  CHECK(Commands({"+@stream", "-@stream"}) == "-@all");
  CHECK(Commands({"+@all", "-xadd"}) == "+@all -xadd");
  CHECK(Commands({"allcommands", "-@stream", "+xadd"}) == "+@all -@stream +xadd");
  CHECK(Commands({"+xadd", "nocommands", "+get"}) == "-@all +get");
  CHECK(Commands({"+xadd", "+@stream"}) == "-@all +@stream");
  CHECK(Commands({"+@stream", "+xadd"}) == "-@all +@stream");
  CHECK(Commands({"+config|get", "+config"}) == "-@all +config");
  CHECK(Commands({"+config", "-config|get"}) == "-@all +config -config|get");
  CHECK(Commands({"+config|get", "-config"}) == "-@all");
  CHECK(Commands({"+XADD", "+@STREAM"}) == "-@all +@stream");
  CHECK(Commands({"+get|X", "-@string"}) == "-@all");
  CHECK(Commands({"+get|X"}) == "-@all +get|X");
}

// The property ACL LIST and ACL SAVE rest on: applying a user's description to a new user gives
// the same permissions, for any sequence of rules.
TEST_CASE("a description rebuilds exactly the permissions it describes") {
  const std::vector<std::string_view> pool = {
      "+xadd",       "-xadd",       "+xdel",    "-xdel",       "+get",        "-get",
      "+set",        "+config",     "-config",  "+config|get", "-config|get", "+config|set",
      "+@stream",    "-@stream",    "+@write",  "-@write",     "+@read",      "-@fast",
      "+@admin",     "-@dangerous", "+@all",    "-@all",       "+select|0",   "+get|k",
      "allcommands", "nocommands",  "+@string", "-@slow"};
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::string_view> rules;
    const size_t n = 1 + rng() % 8;
    for (size_t i = 0; i < n; ++i) rules.push_back(pool[rng() % pool.size()]);
    User original = Apply(rules);
    std::vector<std::string> words = original.Words();
    std::vector<std::string_view> again(words.begin(), words.end());
    User rebuilt = Apply(again);
    for (size_t id = 0; id < Catalog().size(); ++id) {
      for (std::string_view arg : {"", "0", "k", "x"}) {
        AccessRequest r = Call(Catalog().at(static_cast<int>(id)).fullname, arg);
        const std::string both = original.Describe() + " vs " + rebuilt.Describe();
        CHECK_MESSAGE(bool(original.Check(r)) == bool(rebuilt.Check(r)), both);
      }
    }
    CHECK(rebuilt.Describe() == original.Describe());
  }
}

TEST_CASE("key patterns: read, write, both, and keys only named") {
  User u = Apply({"+@all", "~k*", "%R~r*", "%W~w*"});
  auto with_key = [](std::string_view key, uint8_t access) {
    AccessRequest r = Call("get");
    r.keys.push_back({key, access, 1});
    return r;
  };
  CHECK_FALSE(u.Check(with_key("k1", kKeyRead | kKeyWrite)));
  CHECK_FALSE(u.Check(with_key("r1", kKeyRead)));
  CHECK(u.Check(with_key("r1", kKeyWrite)).reason == Denial::Reason::kKey);
  CHECK_FALSE(u.Check(with_key("w1", kKeyWrite)));
  CHECK(u.Check(with_key("w1", kKeyRead)).object == "w1");
  CHECK_FALSE(u.Check(with_key("w1", 0)));  // XLEN, EXISTS: any matching pattern will do
  CHECK(u.Check(with_key("other", 0)));
  CHECK(Apply({"~x", "%R~x"}).root().DescribeKeys() == "~x");
  CHECK(Apply({"%R~x", "%W~x"}).root().DescribeKeys() == "~x");
  CHECK(Apply({"~x", "allkeys"}).root().DescribeKeys() == "~*");
}

TEST_CASE("channels: glob for a channel, the pattern itself for PSUBSCRIBE") {
  User u = Apply({"+@all", "&ch*"});
  AccessRequest r = Call("publish");
  r.channels.push_back({"chat", 1});
  CHECK_FALSE(u.Check(r));
  r.channels_are_patterns = true;
  CHECK(u.Check(r).reason == Denial::Reason::kChannel);
  r.channels = {{"ch*", 1}};
  CHECK_FALSE(u.Check(r));
  CHECK(u.AllowsChannel("chx", false));
  CHECK_FALSE(u.AllowsChannel("c*", true));
}

TEST_CASE("selectors: one selector must allow all of a command; the most telling refusal") {
  User u = Apply({"on", "~a*", "+get", "(~b* +set)", "(%W~c* +@all)"});
  auto call = [](std::string_view cmd, std::string_view key, uint8_t access) {
    AccessRequest r = Call(cmd);
    r.keys.push_back({key, access, 1});
    return r;
  };
  CHECK_FALSE(u.Check(call("get", "a1", kKeyRead)));
  CHECK_FALSE(u.Check(call("set", "b1", kKeyWrite)));
  CHECK_FALSE(u.Check(call("set", "c1", kKeyWrite)));
  Denial d = u.Check(call("get", "c1", kKeyRead));
  CHECK(d.reason == Denial::Reason::kKey);  // a key refusal says more than a command's
  CHECK(d.object == "c1");
  CHECK(u.Describe() ==
        "user u on ~a* resetchannels -@all +get (~b* resetchannels -@all +set) "
        "(%W~c* resetchannels +@all)");
}

TEST_CASE("bad rules are refused and change nothing") {
  Users users(&Catalog());
  REQUIRE(users.SetUser("u", {"on", "+get"}).error == RuleError::kNone);
  CHECK(users.SetUser("u", {"off", "+nosuch"}).error == RuleError::kUnknownCommand);
  CHECK(users.Find("u")->enabled());
  CHECK(users.SetUser("u", {"allkeys", "~x"}).error == RuleError::kKeyAfterAllKeys);
  CHECK(users.SetUser("u", {"allchannels", "&x"}).error == RuleError::kChannelAfterAll);
  CHECK(users.SetUser("u", {"#abc"}).error == RuleError::kBadHash);
  CHECK(users.SetUser("u", {"<nopw"}).error == RuleError::kNoSuchPassword);
  CHECK(users.SetUser("u", {"+config|get|x"}).error == RuleError::kFirstArgOfSubcommand);
  CHECK(users.SetUser("u", {"-get|x"}).error == RuleError::kUnknownCommand);
  CHECK(users.SetUser("u", {"+get|"}).error == RuleError::kSyntax);
  CHECK(users.SetUser("u", {"%RR~x"}).error == RuleError::kSyntax);
  CHECK(users.SetUser("u", {"(on)"}).error == RuleError::kSyntax);
  SetUserError e = users.SetUser("u", {"(+get", "~x"});
  CHECK(e.error == RuleError::kUnmatchedParenthesis);
  CHECK(e.rule == "(+get");
  CHECK(users.Find("u")->Describe() == "user u on resetchannels -@all +get");
  CHECK(users.SetUser("new", {"+nosuch"}).error == RuleError::kUnknownCommand);
  CHECK(users.Find("new") == nullptr);
}

TEST_CASE("passwords are kept as SHA-256 and checked") {
  CHECK(Sha256Hex("pw") == "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4");
  User u = Apply({">a", ">b", "<a", "#" + Sha256Hex("c")});
  CHECK(u.password_hashes().size() == 2);
  CHECK_FALSE(u.CheckPassword("a"));
  CHECK(u.CheckPassword("b"));
  CHECK(u.CheckPassword("c"));
  CHECK(Apply({">x", "nopass"}).CheckPassword("anything"));
  CHECK_FALSE(Apply({"nopass", "resetpass"}).CheckPassword(""));
  CHECK(RandomHex(5).size() == 2);
  CHECK(RandomHex(256).size() == 64);
  CHECK(RandomHex(256) != RandomHex(256));
}

TEST_CASE("the ACL file: what Serialize writes, Parse reads back the same") {
  Users users(&Catalog());
  REQUIRE(users
              .SetUser("alice", {"on", ">pw", "~orders:*", "%R~ro:*", "&chan*", "+@stream", "-xdel",
                                 "(+get ~x*)"})
              .error == RuleError::kNone);
  REQUIRE(users.SetUser("spaced", {"on", "nopass", "~a b", "+get"}).error == RuleError::kNone);
  const std::string text = users.Serialize();
  Users loaded(&Catalog());
  std::string errors;
  REQUIRE_MESSAGE(users.Parse(text, "users.acl", &loaded, &errors), errors);
  CHECK(loaded.Serialize() == text);
  CHECK(loaded.Find("spaced")->root().DescribeKeys() == "~a b");
}

TEST_CASE("the ACL file: every bad line is reported, and nothing is loaded") {
  Users users(&Catalog());
  Users loaded(&Catalog());
  std::string errors;
  CHECK_FALSE(users.Parse("bogus line\nuser b on +nosuch\nuser c\nuser c\nuser d (+get\n",
                          "/etc/users.acl", &loaded, &errors));
  CHECK(errors ==
        "/etc/users.acl:1 should start with user keyword followed by the username. "
        "/etc/users.acl:2: Error in applying operation '+nosuch': Unknown command or category "
        "name in ACL. /etc/users.acl:4: Duplicate user 'c' found. "
        "/etc/users.acl:5: Unmatched parenthesis in acl selector starting at '(+get'. ");
  errors.clear();
  CHECK(users.Parse("\n  \nuser a on nopass +get\n", "f", &loaded, &errors));
  CHECK(loaded.Find("default") != nullptr);  // left out of the file: as at start
  CHECK(loaded.Find("default")->unrestricted());
}

TEST_CASE("Replace keeps the default user where it is") {
  Users users(&Catalog());
  const User* before = &users.default_user();
  Users loaded(&Catalog());
  std::string errors;
  REQUIRE(users.Parse("user default on >pw +get\nuser x on\n", "f", &loaded, &errors));
  users.Replace(std::move(loaded));
  CHECK(&users.default_user() == before);
  CHECK_FALSE(users.default_user().nopass());
  CHECK(users.Find("x") != nullptr);
}

TEST_CASE("the ACL log folds repeats within a minute and keeps at most max-len entries") {
  AclLog log;
  auto entry = [](std::string object) {
    return LogEntry{.reason = "command",
                    .context = "toplevel",
                    .object = std::move(object),
                    .username = "u",
                    .client_info = "id=1"};
  };
  log.Add(entry("get"), 1000);
  log.Add(entry("set"), 2000);
  log.Add(entry("get"), 30000);
  REQUIRE(log.entries().size() == 2);
  CHECK(log.entries()[0].object == "get");
  CHECK(log.entries()[0].count == 2);
  CHECK(log.entries()[0].created_ms == 1000);
  CHECK(log.entries()[0].updated_ms == 30000);
  log.Add(entry("get"), 30000 + 60000);  // a minute after the last: a new entry
  CHECK(log.entries().size() == 3);
  CHECK(log.entries()[0].entry_id == 2);
  log.set_max_len(1);
  CHECK(log.entries().size() == 1);
  log.Add(entry("x"), 100000);
  CHECK(log.entries().size() == 1);
  CHECK(log.entries()[0].object == "x");
}

}  // namespace
}  // namespace runnel::acl
