// runnel-check --import-rdb: turns a Redis RDB file into a Runnel snapshot (dump.rnl) in a data
// directory, which a runnel-server started there loads.
//
// The whole file is read before anything is written, so the summary can say everything the
// import would drop. By default a file holding keys of types Runnel does not store (lists,
// hashes, ...) is refused and nothing is written; --skip-other-types imports the strings and
// streams and reports the rest by type. Keys whose expiry has passed are left out, as a Redis
// master loading the file would. An existing snapshot or log in the directory is never
// overwritten.
#pragma once

#include <string>

namespace runnel::tools {

struct ImportOptions {
  std::string rdb_path;
  std::string dir = ".";
  std::string dbfilename = "dump.rnl";
  int databases = 16;
  bool skip_other_types = false;
};

// Runs the import, printing progress to stderr and a summary to stdout. Returns the process
// exit status: 0 imported, 1 refused (nothing written), 2 unreadable input or unwritable output.
int ImportRdb(const ImportOptions& options);

}  // namespace runnel::tools
