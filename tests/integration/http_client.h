// Test helpers for the metrics port: one HTTP exchange over a plain socket (no HTTP library, so
// the tests see exactly the bytes the server sends), and a shell command with its output.
#pragma once

#include <string>

namespace runnel::testing {

// One HTTP exchange (or several, pipelined) on a fresh connection; returns all it read until
// the server closed the connection or `until` appeared ("" when nothing listens there).
std::string Http(int port, const std::string& request, const std::string& until = "");
// GET path with Connection: close; `headers` are extra header lines, each ending in \r\n.
std::string Get(int port, const std::string& path, const std::string& headers = "");
// The body of a response (what follows the blank line).
std::string Body(const std::string& response);
bool Has(const std::string& text, const std::string& part);
// Runs a shell command; returns its exit status and stdout+stderr.
int Shell(const std::string& command, std::string* output);

}  // namespace runnel::testing
