// Configuration parsing: sizes with Redis units, ranges and the messages that name the key.
#include "config/config.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "server/config_file.h"

using namespace runnel::config;
using runnel::server::LoadConfigFile;
using runnel::server::ParseCommandLine;

TEST_CASE("memory sizes take Redis units") {
  int64_t v = 0;
  CHECK(ParseMemorySize("4096", &v));
  CHECK(v == 4096);
  CHECK(ParseMemorySize("1kb", &v));
  CHECK(v == 1024);
  CHECK(ParseMemorySize("1k", &v));
  CHECK(v == 1000);
  CHECK(ParseMemorySize("512MB", &v));
  CHECK(v == 512LL * 1024 * 1024);
  CHECK(ParseMemorySize("2g", &v));
  CHECK(v == 2000000000LL);
  CHECK_FALSE(ParseMemorySize("12xb", &v));
  CHECK_FALSE(ParseMemorySize("-1mb", &v));
  CHECK_FALSE(ParseMemorySize("99999999999gb", &v));
  CHECK_FALSE(ParseMemorySize("", &v));
}

TEST_CASE("every key parses through the same table") {
  Config c;
  std::string why;
  const ConfigKey* key = FindConfigKey("stream-node-max-entries");
  REQUIRE(key != nullptr);
  CHECK(key->Parse(c, "7", &why));
  CHECK(c.stream_node_max_entries == 7);
  CHECK_FALSE(key->Parse(c, "abc", &why));
  CHECK(why == "argument couldn't be parsed into an integer");
  CHECK_FALSE(key->Parse(c, "-1", &why));
  CHECK(why == "argument must be between 0 and 9223372036854775807 inclusive");
  CHECK(FindConfigKey("PORT") != nullptr);  // names are case-insensitive
  CHECK(FindConfigKey("no-such-key") == nullptr);
  const ConfigKey* level = FindConfigKey("loglevel");
  CHECK_FALSE(level->Parse(c, "loud", &why));
  CHECK(why.find("debug, verbose, notice, warning") != std::string::npos);
}

TEST_CASE("command line flags override the file and name bad keys") {
  char path[] = "/tmp/runnel-config-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  {
    std::ofstream f(path);
    f << "port = 7000\nproto-max-bulk-len = \"2mb\"\ndir = \"/tmp/x\"\n";
  }
  Config c;
  std::string error;
  std::string p(path);
  char* argv[] = {const_cast<char*>("runnel-server"), p.data(), const_cast<char*>("--port"),
                  const_cast<char*>("7001")};
  REQUIRE(ParseCommandLine(4, argv, c, &error));
  CHECK(c.port == 7001);
  CHECK(c.proto_max_bulk_len == 2 * 1024 * 1024);
  CHECK(c.dir == "/tmp/x");

  {
    std::ofstream f(path);
    f << "port = 7000\n\nbogus-key = 1\n";
  }
  Config d;
  CHECK_FALSE(ParseCommandLine(2, argv, d, &error));
  CHECK(error.find("line 3") != std::string::npos);
  CHECK(error.find("bogus-key") != std::string::npos);

  {
    std::ofstream f(path);
    f << "port = 70000\n";
  }
  Config e;
  CHECK_FALSE(ParseCommandLine(2, argv, e, &error));
  CHECK(error.find("'port'") != std::string::npos);
  CHECK(error.find("line 1") != std::string::npos);

  char* bad_flag[] = {const_cast<char*>("runnel-server"), const_cast<char*>("--nope"),
                      const_cast<char*>("1")};
  Config f;
  CHECK_FALSE(ParseCommandLine(3, bad_flag, f, &error));
  CHECK(error.find("nope") != std::string::npos);
  char* missing[] = {const_cast<char*>("runnel-server"), const_cast<char*>("--port")};
  CHECK_FALSE(ParseCommandLine(2, missing, f, &error));
  std::remove(path);
}
