// The log manifest's text format. See manifest.h.
//
// Parsing is strict on purpose: the manifest decides which files make up the history, so
// anything unexpected (an unknown keyword, a stray space, a name that could leave the log
// directory, bytes after the checksum line) is an error rather than something to guess about.
// The one thing accepted that FormatManifest never writes is upper-case hex in the checksum.
#include "persistence/manifest.h"

#include <xxhash.h>

#include <set>
#include <string>
#include <vector>

namespace runnel::persistence {
namespace {

constexpr std::string_view kChecksumPrefix = "checksum ";
constexpr size_t kChecksumDigits = 16;

std::string Hex64(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(kChecksumDigits, '0');
  for (size_t i = kChecksumDigits; i-- > 0; v >>= 4) s[i] = kDigits[v & 15];
  return s;
}

bool ParseHex64(std::string_view s, uint64_t* out) {
  if (s.size() != kChecksumDigits) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

// Plain decimal digits only: no sign, no spaces, no overflow.
bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

// A name must stay inside the log directory and survive the space-separated format: no '/',
// no "." or "..", nothing containing "..", no spaces or control bytes.
bool SafeName(std::string_view name) {
  if (name.empty() || name == "." || name.find("..") != std::string_view::npos) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || u <= 0x20 || u == 0x7F) return false;
  }
  return true;
}

std::vector<std::string_view> SplitSpaces(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t space = line.find(' ', start);
    fields.push_back(line.substr(start, space - start));
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  return fields;
}

bool Fail(std::string* error, size_t line_no, const std::string& what) {
  *error = "manifest line " + std::to_string(line_no) + ": " + what;
  return false;
}

// Parses one "file <name> seq <n> type b|i" line (without its newline).
bool ParseFileLine(std::string_view line, size_t line_no, ManifestFile* file, std::string* error) {
  const std::vector<std::string_view> f = SplitSpaces(line);
  if (f[0] != "file") return Fail(error, line_no, "unknown keyword '" + std::string(f[0]) + "'");
  if (f.size() != 6 || f[2] != "seq" || f[4] != "type") {
    return Fail(error, line_no, "expected 'file <name> seq <n> type b|i'");
  }
  if (f[1].empty()) return Fail(error, line_no, "empty file name");
  if (!SafeName(f[1])) return Fail(error, line_no, "unsafe file name '" + std::string(f[1]) + "'");
  if (!ParseDecimal(f[3], &file->first_sequence)) {
    return Fail(error, line_no, "bad sequence '" + std::string(f[3]) + "'");
  }
  if (f[5] != "b" && f[5] != "i") {
    return Fail(error, line_no, "bad type '" + std::string(f[5]) + "'");
  }
  file->name = std::string(f[1]);
  file->base = f[5] == "b";
  return true;
}

// Checks the rules that involve several lines; `m` holds the files before `file`.
bool CheckPlacement(const Manifest& m, const ManifestFile& file, size_t line_no,
                    const std::set<std::string>& names, std::string* error) {
  if (file.base && m.Base() != nullptr) return Fail(error, line_no, "more than one base");
  if (file.base && !m.files.empty()) return Fail(error, line_no, "the base must come first");
  if (names.count(file.name) != 0) {
    return Fail(error, line_no, "file '" + file.name + "' named twice");
  }
  // Sequence numbers only grow along a history; equal is allowed (a base and the empty log
  // file that follows it, or two empty log files).
  if (!m.files.empty() && file.first_sequence < m.files.back().first_sequence) {
    return Fail(error, line_no, "sequence goes backwards");
  }
  return true;
}

}  // namespace

const ManifestFile* Manifest::Base() const {
  return !files.empty() && files.front().base ? &files.front() : nullptr;
}

std::vector<const ManifestFile*> Manifest::Logs() const {
  std::vector<const ManifestFile*> logs;
  for (const ManifestFile& f : files) {
    if (!f.base) logs.push_back(&f);
  }
  return logs;
}

std::string FormatManifest(const Manifest& m) {
  std::string text;
  for (const ManifestFile& f : m.files) {
    text += "file " + f.name + " seq " + std::to_string(f.first_sequence) + " type " +
            (f.base ? "b" : "i") + "\n";
  }
  text += std::string(kChecksumPrefix) + Hex64(XXH64(text.data(), text.size(), 0)) + "\n";
  return text;
}

bool ParseManifest(std::string_view text, Manifest* out, std::string* error) {
  // The checksum first, so that a damaged manifest is reported as damaged rather than as
  // whatever its flipped bits happen to look like.
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (true) {
    const size_t newline = text.find('\n', pos);
    if (newline == std::string_view::npos) {
      return Fail(error, lines.size() + 1,
                  pos == text.size() ? "missing checksum line" : "line without a newline");
    }
    const std::string_view line = text.substr(pos, newline - pos);
    pos = newline + 1;
    if (line.substr(0, kChecksumPrefix.size()) == kChecksumPrefix) {
      const size_t line_no = lines.size() + 1;
      uint64_t expected = 0;
      if (!ParseHex64(line.substr(kChecksumPrefix.size()), &expected)) {
        return Fail(error, line_no, "malformed checksum");
      }
      if (pos != text.size()) return Fail(error, line_no + 1, "data after the checksum line");
      const size_t covered = text.size() - line.size() - 1;
      if (XXH64(text.data(), covered, 0) != expected) {
        return Fail(error, line_no, "checksum mismatch");
      }
      break;
    }
    lines.push_back(line);
  }
  Manifest m;
  std::set<std::string> names;
  for (size_t i = 0; i < lines.size(); ++i) {
    ManifestFile file;
    if (!ParseFileLine(lines[i], i + 1, &file, error)) return false;
    if (!CheckPlacement(m, file, i + 1, names, error)) return false;
    names.insert(file.name);
    m.files.push_back(std::move(file));
  }
  *out = std::move(m);
  return true;
}

}  // namespace runnel::persistence
