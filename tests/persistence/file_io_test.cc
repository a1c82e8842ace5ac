// File I/O: AppendFile (append, size tracking, truncate, datasync, moves), ReadWholeFile,
// WriteFileDurably (replacement, no temporary left behind, cleanup on failure), the error
// text ("<path>: <reason>"), writes interrupted by signals, and use from a forked child.
#include "persistence/file_io.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace runnel::persistence {
namespace {

namespace fs = std::filesystem;

// A fresh directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/runnel-file-io-XXXXXX";
    REQUIRE(::mkdtemp(templ.data()) != nullptr);
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  std::vector<std::string> List() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::string path_;
};

std::string Contents(const std::string& path) {
  std::string out, error;
  REQUIRE_MESSAGE(ReadWholeFile(path, &out, &error), error);
  return out;
}

TEST_CASE("AppendFile: append, size, reopen, truncate, datasync") {
  TempDir dir;
  const std::string path = dir.File("log.1");
  std::string error;
  AppendFile f;
  CHECK_FALSE(f.is_open());
  REQUIRE_MESSAGE(f.Open(path, &error), error);
  CHECK(f.is_open());
  CHECK(f.path() == path);
  CHECK(f.size() == 0);
  size_t written = 99;
  REQUIRE(f.Write("hello ", &written, &error));
  CHECK(written == 6);
  REQUIRE(f.Write("", &written, &error));
  CHECK(written == 0);
  REQUIRE(f.Write("world", &written, &error));
  CHECK(f.size() == 11);
  REQUIRE_MESSAGE(f.DataSync(&error), error);
  CHECK(Contents(path) == "hello world");
  f.Close();
  CHECK_FALSE(f.is_open());
  f.Close();  // twice is fine

  // Reopening picks up the size from the file and appends after it.
  REQUIRE(f.Open(path, &error));
  CHECK(f.size() == 11);
  REQUIRE(f.Write("!", &written, &error));
  CHECK(f.size() == 12);
  // Truncate undoes a partial write; the next write lands at the new end.
  REQUIRE_MESSAGE(f.Truncate(5, &error), error);
  CHECK(f.size() == 5);
  REQUIRE(f.Write(", there", &written, &error));
  CHECK(f.size() == 12);
  REQUIRE(f.DataSync(&error));
  CHECK(Contents(path) == "hello, there");
  CHECK(fs::file_size(path) == 12);

  // A large write in one call.
  const std::string big(5 << 20, 'x');
  REQUIRE(f.Write(big, &written, &error));
  CHECK(written == big.size());
  CHECK(f.size() == 12 + big.size());
  CHECK(fs::file_size(path) == f.size());
}

TEST_CASE("AppendFile: moves hand over the descriptor") {
  TempDir dir;
  std::string error;
  AppendFile a;
  REQUIRE(a.Open(dir.File("x"), &error));
  size_t written = 0;
  REQUIRE(a.Write("abc", &written, &error));
  AppendFile b(std::move(a));
  CHECK_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  CHECK(b.is_open());
  CHECK(b.size() == 3);
  REQUIRE(b.Write("d", &written, &error));
  AppendFile c;
  REQUIRE(c.Open(dir.File("y"), &error));
  c = std::move(b);  // closes y, takes x
  CHECK(c.path() == dir.File("x"));
  REQUIRE(c.Write("e", &written, &error));
  CHECK(c.size() == 5);
  c.Close();
  CHECK(Contents(dir.File("x")) == "abcde");
  CHECK(Contents(dir.File("y")).empty());
}

TEST_CASE("AppendFile: errors name the path") {
  TempDir dir;
  std::string error;
  AppendFile f;
  const std::string missing = dir.File("no/such/dir/log.1");
  CHECK_FALSE(f.Open(missing, &error));
  CHECK(error == missing + ": No such file or directory");
  CHECK_FALSE(f.is_open());

  size_t written = 7;
  CHECK_FALSE(f.Write("x", &written, &error));
  CHECK(written == 0);
  CHECK(error.find("Bad file descriptor") != std::string::npos);
  CHECK_FALSE(f.DataSync(&error));
  CHECK_FALSE(f.Truncate(0, &error));

  // A write that fails: /dev/full accepts the open and refuses every byte.
  if (::access("/dev/full", W_OK) == 0) {
    REQUIRE(f.Open("/dev/full", &error));
    CHECK_FALSE(f.Write("data", &written, &error));
    CHECK(written == 0);
    CHECK(error == "/dev/full: No space left on device");
    CHECK(f.size() == 0);
  }

  // A directory cannot be opened for writing.
  CHECK_FALSE(f.Open(dir.path(), &error));
  CHECK(error == dir.path() + ": Is a directory");
}

// Signals that interrupt the writer: the handler does nothing, and without SA_RESTART a
// blocked write() returns early with a short count or EINTR.
std::atomic<int> g_signals{0};
void CountSignal(int) { g_signals.fetch_add(1, std::memory_order_relaxed); }

TEST_CASE("AppendFile: writes interrupted by signals are resumed (short writes and EINTR)") {
  TempDir dir;
  const std::string fifo = dir.File("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  struct sigaction sa = {}, old = {};
  sa.sa_handler = CountSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART
  REQUIRE(::sigaction(SIGUSR1, &sa, &old) == 0);
  g_signals = 0;

  std::mt19937_64 rng(9);
  std::string data(8 << 20, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  const pthread_t writer = ::pthread_self();
  std::atomic<bool> done{false};
  std::string received;
  std::thread reader([&] {
    const int fd = ::open(fifo.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[4096];
    while (true) {
      // Small, slow-ish reads keep the writer blocked in write(); signal it after each.
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      received.append(buf, static_cast<size_t>(n));
      if (!done.load() && received.size() % (64 * 1024) < 4096) ::pthread_kill(writer, SIGUSR1);
    }
    ::close(fd);
  });
  std::string error;
  AppendFile f;
  const bool opened = f.Open(fifo, &error);
  size_t written = 0;
  const bool ok = opened && f.Write(data, &written, &error);
  done = true;
  f.Close();
  reader.join();
  ::sigaction(SIGUSR1, &old, nullptr);
  REQUIRE_MESSAGE(opened, error);
  CHECK_MESSAGE(ok, error);
  CHECK(written == data.size());
  CHECK(f.size() == 0);  // closed
  CHECK(received == data);
  MESSAGE("signals delivered during the write: " << g_signals.load());
  CHECK(g_signals.load() > 0);
}

TEST_CASE("ReadWholeFile: empty, large, missing") {
  TempDir dir;
  std::string error, out = "stale";
  REQUIRE(WriteFileDurably(dir.path(), "empty", "", &error));
  REQUIRE(ReadWholeFile(dir.File("empty"), &out, &error));
  CHECK(out.empty());

  std::string big(3 * 1000 * 1000 + 17, '\0');
  std::mt19937_64 rng(10);
  for (char& c : big) c = static_cast<char>(rng());
  REQUIRE(WriteFileDurably(dir.path(), "big", big, &error));
  CHECK(Contents(dir.File("big")) == big);

  CHECK_FALSE(ReadWholeFile(dir.File("missing"), &out, &error));
  CHECK(error == dir.File("missing") + ": No such file or directory");
}

TEST_CASE("WriteFileDurably: creates, replaces, leaves no temporary") {
  TempDir dir;
  std::string error;
  REQUIRE_MESSAGE(WriteFileDurably(dir.path(), "MANIFEST", "one\n", &error), error);
  CHECK(Contents(dir.File("MANIFEST")) == "one\n");
  CHECK(dir.List() == std::vector<std::string>{"MANIFEST"});

  REQUIRE(WriteFileDurably(dir.path(), "MANIFEST", "two, longer\n", &error));
  CHECK(Contents(dir.File("MANIFEST")) == "two, longer\n");
  REQUIRE(WriteFileDurably(dir.path(), "MANIFEST", "3", &error));
  CHECK(Contents(dir.File("MANIFEST")) == "3");
  CHECK(dir.List() == std::vector<std::string>{"MANIFEST"});
  CHECK((fs::status(dir.File("MANIFEST")).permissions() & fs::perms::owner_write) !=
        fs::perms::none);

  // A trailing slash on the directory is fine.
  REQUIRE(WriteFileDurably(dir.path() + "/", "other", "x", &error));
  CHECK(dir.List() == std::vector<std::string>{"MANIFEST", "other"});
}

TEST_CASE("WriteFileDurably: failures name the path and leave nothing behind") {
  TempDir dir;
  std::string error;
  const std::string missing = dir.File("missing");
  CHECK_FALSE(WriteFileDurably(missing, "MANIFEST", "x", &error));
  CHECK(error.rfind(missing + "/MANIFEST.tmp-", 0) == 0);
  CHECK(error.find(": No such file or directory") != std::string::npos);
  CHECK(dir.List().empty());

  // The rename fails (the target is a non-empty directory): the temporary is removed and the
  // target is untouched.
  fs::create_directory(dir.File("target"));
  REQUIRE(WriteFileDurably(dir.File("target"), "keep", "k", &error));
  CHECK_FALSE(WriteFileDurably(dir.path(), "target", "new contents", &error));
  CHECK(error.rfind(dir.File("target") + ": ", 0) == 0);
  CHECK(dir.List() == std::vector<std::string>{"target"});
  CHECK(Contents(dir.File("target/keep")) == "k");

  // An unwritable directory (skipped as root, who may write anyway).
  if (::geteuid() != 0) {
    REQUIRE(WriteFileDurably(dir.path(), "old", "old", &error));
    fs::permissions(dir.path(), fs::perms::owner_write, fs::perm_options::remove);
    CHECK_FALSE(WriteFileDurably(dir.path(), "old", "new", &error));
    CHECK(error.find("Permission denied") != std::string::npos);
    fs::permissions(dir.path(), fs::perms::owner_write, fs::perm_options::add);
    CHECK(Contents(dir.File("old")) == "old");
    CHECK(dir.List() == std::vector<std::string>{"old", "target"});
  }
}

TEST_CASE("SyncDirectory and TruncateFile") {
  TempDir dir;
  std::string error;
  CHECK_MESSAGE(SyncDirectory(dir.path(), &error), error);
  CHECK_FALSE(SyncDirectory(dir.File("missing"), &error));
  CHECK(error == dir.File("missing") + ": No such file or directory");
  REQUIRE(WriteFileDurably(dir.path(), "f", "0123456789", &error));
  CHECK_FALSE(SyncDirectory(dir.File("f"), &error));
  CHECK(error == dir.File("f") + ": Not a directory");

  REQUIRE_MESSAGE(TruncateFile(dir.File("f"), 4, &error), error);
  CHECK(Contents(dir.File("f")) == "0123");
  REQUIRE(TruncateFile(dir.File("f"), 0, &error));
  CHECK(Contents(dir.File("f")).empty());
  CHECK_FALSE(TruncateFile(dir.File("missing"), 0, &error));
  CHECK(error == dir.File("missing") + ": No such file or directory");
}

TEST_CASE("file_io from a forked child") {
  TempDir dir;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::string error;
    AppendFile f;
    size_t written = 0;
    const bool ok = WriteFileDurably(dir.path(), "snap", "from the child", &error) &&
                    f.Open(dir.path() + "/log", &error) && f.Write("abc", &written, &error) &&
                    f.DataSync(&error);
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(Contents(dir.File("snap")) == "from the child");
  CHECK(Contents(dir.File("log")) == "abc");
}

}  // namespace
}  // namespace runnel::persistence
