// The TOML side of configuration; the only file that includes toml++ (it is slow to compile).
//
// A file is a flat table of the same keys the command line takes:
//     port = 7000
//     dir = "/var/lib/runnel"
//     proto-max-bulk-len = "64mb"
// Integers and booleans are turned into their text form and parsed like any other value, so
// `port = 7000` and `port = "7000"` mean the same.
#include "server/config_file.h"

#include <toml++/toml.h>

namespace runnel::server {

using config::Config;
using config::ConfigKey;
using config::FindConfigKey;

namespace {

bool NodeText(const toml::node& node, std::string* out) {
  if (auto s = node.value<std::string>(); s && node.is_string()) {
    *out = *s;
    return true;
  }
  if (node.is_integer()) {
    *out = std::to_string(*node.value<int64_t>());
    return true;
  }
  if (node.is_boolean()) {
    *out = *node.value<bool>() ? "yes" : "no";
    return true;
  }
  return false;
}

}  // namespace

bool LoadConfigFile(const std::string& path, Config& config, std::string* error) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    *error = path + " line " + std::to_string(e.source().begin.line) + ": " +
             std::string(e.description());
    return false;
  }
  for (auto&& [name, node] : table) {
    std::string where = path + " line " + std::to_string(node.source().begin.line);
    const ConfigKey* key = FindConfigKey(name.str());
    if (key == nullptr) {
      *error = where + ": unknown configuration key '" + std::string(name.str()) + "'";
      return false;
    }
    std::string text, why;
    if (!NodeText(node, &text)) {
      *error = where + ": '" + std::string(name.str()) + "' must be a string, integer or boolean";
      return false;
    }
    if (!key->Parse(config, text, &why)) {
      *error = where + ": bad value for '" + std::string(key->name) + "': " + why;
      return false;
    }
  }
  return true;
}

bool ParseCommandLine(int argc, char** argv, Config& config, std::string* error) {
  int i = 1;
  if (i < argc && std::string_view(argv[i]).substr(0, 2) != "--") {
    if (!LoadConfigFile(argv[i], config, error)) return false;
    ++i;
  }
  for (; i < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag.substr(0, 2) != "--") {
      *error = "unexpected argument '" + std::string(flag) + "' (settings are --key value)";
      return false;
    }
    std::string_view name = flag.substr(2);
    const ConfigKey* key = FindConfigKey(name);
    if (key == nullptr) {
      *error = "unknown configuration key '" + std::string(name) + "'";
      return false;
    }
    if (i + 1 >= argc) {
      *error = "missing value for --" + std::string(name);
      return false;
    }
    std::string why;
    if (!key->Parse(config, argv[i + 1], &why)) {
      *error = "bad value for '" + std::string(key->name) + "': " + why;
      return false;
    }
  }
  return true;
}

}  // namespace runnel::server
