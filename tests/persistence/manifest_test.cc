// The log manifest: FormatManifest then ParseManifest round-trips, the exact text, and every
// rejection. Most rejections are built with a correct checksum line, so that what is tested is
// the rule itself and not the checksum.
#include "persistence/manifest.h"

#include <doctest/doctest.h>
#include <xxhash.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace runnel::persistence {
namespace {

// Lines (each without its newline) followed by a correct checksum line.
std::string WithChecksum(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH64(text.data(), text.size(), 0)));
  return text + "checksum " + hex + "\n";
}

Manifest Make(std::vector<ManifestFile> files) {
  Manifest m;
  m.files = std::move(files);
  return m;
}

void CheckRoundTrip(const Manifest& m) {
  const std::string text = FormatManifest(m);
  Manifest back;
  back.files.push_back({"junk", 1, false});  // must be replaced, not appended to
  std::string error;
  REQUIRE_MESSAGE(ParseManifest(text, &back, &error), error);
  REQUIRE(back.files.size() == m.files.size());
  for (size_t i = 0; i < m.files.size(); ++i) {
    CHECK(back.files[i].name == m.files[i].name);
    CHECK(back.files[i].first_sequence == m.files[i].first_sequence);
    CHECK(back.files[i].base == m.files[i].base);
  }
  CHECK(FormatManifest(back) == text);
}

// Expects a rejection whose message contains `why`.
void CheckRejected(const std::string& text, const std::string& why) {
  CAPTURE(text);
  Manifest m;
  std::string error;
  CHECK_FALSE(ParseManifest(text, &m, &error));
  CHECK_MESSAGE(error.find(why) != std::string::npos, error);
}

TEST_CASE("manifest: exact text") {
  const Manifest m = Make({{"dump.rnl", 17, true}, {"log.1", 17, false}, {"log.2", 90, false}});
  const std::string lines =
      "file dump.rnl seq 17 type b\nfile log.1 seq 17 type i\nfile log.2 seq 90 type i\n";
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH64(lines.data(), lines.size(), 0)));
  CHECK(FormatManifest(m) == lines + "checksum " + hex + "\n");
  CHECK(m.Base() == &m.files[0]);
  const auto logs = m.Logs();
  REQUIRE(logs.size() == 2);
  CHECK(logs[0] == &m.files[1]);
  CHECK(logs[1] == &m.files[2]);
  CHECK(Make({{"log.1", 1, false}}).Base() == nullptr);
}

TEST_CASE("manifest: round trips") {
  CheckRoundTrip(Make({}));
  CheckRoundTrip(Make({{"base.rnl", 0, true}}));
  CheckRoundTrip(Make({{"log.1", 1, false}}));
  CheckRoundTrip(Make({{"b", 5, true}, {"i1", 5, false}, {"i2", 5, false}, {"i3", 6, false}}));
  CheckRoundTrip(Make({{"b.rnl", UINT64_MAX - 1, true}, {"x", UINT64_MAX, false}}));
  CheckRoundTrip(Make({{"a-b_c.d~e+f=g", 123456789012345ULL, false}}));
  std::vector<ManifestFile> many = {{"base", 0, true}};
  for (uint64_t i = 0; i < 500; ++i) many.push_back({"log." + std::to_string(i), i * 10, false});
  CheckRoundTrip(Make(many));
}

TEST_CASE("manifest: upper-case checksum digits are accepted") {
  std::string text = FormatManifest(Make({{"log.1", 1, false}}));
  for (size_t i = text.find("checksum ") + 9; i < text.size(); ++i) {
    if (text[i] >= 'a' && text[i] <= 'f') text[i] = static_cast<char>(text[i] - 'a' + 'A');
  }
  Manifest m;
  std::string error;
  CHECK_MESSAGE(ParseManifest(text, &m, &error), error);
}

TEST_CASE("manifest: wrong, malformed or missing checksum") {
  const std::string good = FormatManifest(Make({{"b", 1, true}, {"log.1", 1, false}}));
  // Every single-byte change of the covered lines is caught by the checksum.
  const size_t covered = good.find("checksum ");
  for (size_t i = 0; i < covered; ++i) {
    std::string bad = good;
    bad[i] = bad[i] == '1' ? '2' : '1';
    Manifest m;
    std::string error;
    CHECK_FALSE(ParseManifest(bad, &m, &error));
  }
  std::string bad = good;
  bad[bad.size() - 2] = bad[bad.size() - 2] == '0' ? '1' : '0';
  CheckRejected(bad, "checksum mismatch");
  bad = good;
  bad.replace(good.find("seq 1 type i"), 5, "seq 2");
  CheckRejected(bad, "checksum mismatch");

  CheckRejected(good.substr(0, covered), "missing checksum");
  CheckRejected("", "missing checksum");
  CheckRejected("file log.1 seq 1 type i\n", "missing checksum");
  CheckRejected(good.substr(0, good.size() - 1), "without a newline");
  CheckRejected(good.substr(0, good.size() - 2) + "\n", "malformed checksum");
  CheckRejected(good.substr(0, good.size() - 1) + "0\n", "malformed checksum");
  CheckRejected(good.substr(0, covered) + "checksum 0x12345678abcdef0\n", "malformed checksum");
  CheckRejected(good.substr(0, covered) + "checksum  123456789abcdef0\n", "malformed checksum");
  CheckRejected(good.substr(0, covered) + "checksum 123456789abcdefg\n", "malformed checksum");
  CheckRejected(good.substr(0, covered) + "checksum\n", "missing checksum");
}

TEST_CASE("manifest: trailing garbage after the checksum line") {
  const std::string good = FormatManifest(Make({{"log.1", 1, false}}));
  CheckRejected(good + "x", "data after the checksum");
  CheckRejected(good + "\n", "data after the checksum");
  CheckRejected(good + good, "data after the checksum");
  CheckRejected(good + "file log.2 seq 2 type i\n", "data after the checksum");
  std::string nul = good;
  nul.push_back('\0');
  CheckRejected(nul, "data after the checksum");
}

TEST_CASE("manifest: unknown keywords and malformed lines") {
  CheckRejected(WithChecksum({"files log.1 seq 1 type i"}), "unknown keyword");
  CheckRejected(WithChecksum({"File log.1 seq 1 type i"}), "unknown keyword");
  CheckRejected(WithChecksum({"base log.1 seq 1"}), "unknown keyword");
  CheckRejected(WithChecksum({""}), "unknown keyword");
  CheckRejected(WithChecksum({"# comment"}), "unknown keyword");
  CheckRejected(WithChecksum({" file log.1 seq 1 type i"}), "unknown keyword");
  CheckRejected(WithChecksum({"file log.1 seq 1 type"}), "expected");
  CheckRejected(WithChecksum({"file log.1 seq 1 type i extra"}), "expected");
  CheckRejected(WithChecksum({"file log.1 seq 1 type i "}), "expected");
  CheckRejected(WithChecksum({"file log.1 sequence 1 type i"}), "expected");
  CheckRejected(WithChecksum({"file log.1 seq 1 kind i"}), "expected");
  CheckRejected(WithChecksum({"file log.1 seq 1 type x"}), "bad type");
  CheckRejected(WithChecksum({"file log.1 seq 1 type I"}), "bad type");
  CheckRejected(WithChecksum({"file log.1 seq 1 type ib"}), "bad type");
  CheckRejected(WithChecksum({"file log.1 seq 1 type i\r"}), "bad type");
  CheckRejected(WithChecksum({"file log.1  seq 1 type i"}), "expected");
}

TEST_CASE("manifest: non-numeric or out-of-range sequences") {
  for (const char* seq : {"", "x", "12a", "-1", "+1", " 1", "1.0", "0x10", "1e3",
                          "18446744073709551616", "99999999999999999999"}) {
    CheckRejected(
        WithChecksum({std::string("file log.1 seq ") + seq + " type i"}),
        std::string(seq).find(' ') != std::string::npos || *seq == '\0' ? "" : "sequence");
  }
  Manifest m;
  std::string error;
  CHECK(ParseManifest(WithChecksum({"file log.1 seq 18446744073709551615 type i"}), &m, &error));
  CHECK(m.files.at(0).first_sequence == UINT64_MAX);
}

TEST_CASE("manifest: base placement") {
  CheckRejected(WithChecksum({"file log.1 seq 1 type i", "file base seq 1 type b"}),
                "base must come first");
  CheckRejected(WithChecksum({"file b1 seq 1 type b", "file b2 seq 1 type b"}),
                "more than one base");
  CheckRejected(
      WithChecksum({"file b1 seq 1 type b", "file log.1 seq 1 type i", "file b2 seq 1 type b"}),
      "more than one base");
}

TEST_CASE("manifest: unsafe, empty and duplicate names") {
  for (const char* name : {"/etc/passwd", "a/b", "../log.1", "..", ".", "log..1", "x/", "/", "a\tb",
                           "a\x01", "a\x7f"}) {
    CheckRejected(WithChecksum({std::string("file ") + name + " seq 1 type i"}), "unsafe");
  }
  CheckRejected(WithChecksum({"file  seq 1 type i"}), "empty file name");
  CheckRejected(WithChecksum({"file log.1 seq 1 type i", "file log.1 seq 2 type i"}),
                "named twice");
  CheckRejected(WithChecksum({"file x seq 1 type b", "file x seq 1 type i"}), "named twice");
  // Format writes whatever it is given; Parse is what guards.
  Manifest m;
  std::string error;
  CHECK_FALSE(ParseManifest(FormatManifest(Make({{"", 1, false}})), &m, &error));
  CHECK_FALSE(ParseManifest(FormatManifest(Make({{"../x", 1, false}})), &m, &error));
}

TEST_CASE("manifest: sequences never go backwards") {
  CheckRejected(WithChecksum({"file b seq 10 type b", "file log.1 seq 9 type i"}), "backwards");
  CheckRejected(WithChecksum({"file log.1 seq 10 type i", "file log.2 seq 3 type i"}), "backwards");
}

TEST_CASE("manifest: a failed parse leaves the output alone") {
  Manifest m = Make({{"keep", 3, false}});
  std::string error;
  CHECK_FALSE(ParseManifest(WithChecksum({"file a seq 1 type i", "bogus"}), &m, &error));
  REQUIRE(m.files.size() == 1);
  CHECK(m.files[0].name == "keep");
  CHECK(error.find("line 2") != std::string::npos);
}

}  // namespace
}  // namespace runnel::persistence
