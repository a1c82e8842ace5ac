// runnel-server [runnel.toml] [--key value ...]
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <string>

#include "commands/admin/version.h"
#include "config/config.h"
#include "server/config_file.h"
#include "server/server.h"

namespace {

void Usage() {
  std::printf(
      "Usage: runnel-server [/path/to/runnel.toml] [--key value ...]\n"
      "       runnel-server --version\n\n"
      "Every configuration key can be given in the TOML file or as --key value;\n"
      "flags win. Example: runnel-server --port 7000 --dir /var/lib/runnel\n");
}

std::string ExecutablePath(const char* argv0) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return argv0;
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace runnel::server;
  using runnel::commands::kRedisVersion;
  using runnel::commands::kRunnelVersion;
  if (argc > 1 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-v") == 0)) {
    std::printf("Runnel server v=%s (Redis %s streams protocol)\n", kRunnelVersion, kRedisVersion);
    return 0;
  }
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    Usage();
    return 0;
  }
  runnel::config::Config config;
  std::string error;
  if (!ParseCommandLine(argc, argv, config, &error)) {
    std::fprintf(stderr, "runnel-server: %s\n", error.c_str());
    return 1;
  }
  std::string config_file;
  if (argc > 1 && std::strncmp(argv[1], "--", 2) != 0) {
    char resolved[PATH_MAX];
    config_file = realpath(argv[1], resolved) ? resolved : argv[1];
  }
  Server server(std::move(config), config_file);
  server.set_executable(ExecutablePath(argv[0]));
  return server.Run();
}
