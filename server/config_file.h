// Reading the configuration at start-up: the TOML file and the command line. The settings
// themselves, their parsing and their table are config/config.h's; this is only where they
// come from.
#pragma once

#include <string>

#include "config/config.h"

namespace runnel::server {

// Loads `path` (TOML) into config. On failure returns false with a message naming the key and
// the line. config_file.cc is the only file that includes toml++ (it is slow to compile).
bool LoadConfigFile(const std::string& path, config::Config& config, std::string* error);

// Parses the command line: [config.toml] [--key value ...]. Flags are applied after the file.
// Returns false with a message on any unknown key, missing value or bad value.
bool ParseCommandLine(int argc, char** argv, config::Config& config, std::string* error);

}  // namespace runnel::server
