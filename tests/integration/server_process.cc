#include "server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "resp/command_encoder.h"

namespace runnel::testing {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool CanConnect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool WaitFor(const std::function<bool()>& condition, int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  while (true) {
    if (condition()) return true;
    if (NowMs() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

int64_t BlockedClients(RawClient& admin) {
  resp::Reply info = admin.Call({"INFO", "clients"});
  size_t at = info.str.find("blocked_clients:");
  if (at == std::string::npos) return -1;
  return std::stoll(info.str.substr(at + 16));
}

bool WaitBlocked(RawClient& admin, int64_t n) {
  return WaitFor([&] { return BlockedClients(admin) == n; });
}

int64_t MsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
      .count();
}

namespace {
int Decode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }
}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> extra_args, std::string config_file)
    : args_(std::move(extra_args)), config_file_(std::move(config_file)) {
  char tmpl[] = "/tmp/runnel-test-XXXXXX";
  dir_ = mkdtemp(tmpl);
  log_path_ = dir_ + "/server.log";
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(SIGKILL);
  if (std::getenv("RUNNEL_KEEP_TEST_DIRS") != nullptr) return;  // for a post-mortem
  std::string cmd = "rm -rf '" + dir_ + "'";
  if (std::system(cmd.c_str()) != 0) { /* best effort */
  }
}

bool ServerProcess::Start(int timeout_ms) {
  port_ = FreePort();
  std::vector<std::string> argv = {binary_};
  if (!config_file_.empty()) argv.push_back(config_file_);
  argv.insert(argv.end(), {"--port", std::to_string(port_), "--dir", dir_ + "/data"});
  argv.insert(argv.end(), args_.begin(), args_.end());
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    for (const auto& [name, value] : env_) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  return WaitFor(
             [&] {
               int status;
               if (waitpid(pid_, &status, WNOHANG) == pid_) {
                 exit_status_ = Decode(status);
                 pid_ = -1;
                 return true;  // exited: stop waiting, report failure below
               }
               return CanConnect(port_);
             },
             timeout_ms) &&
         pid_ > 0;
}

int ServerProcess::WaitExit(int timeout_ms) {
  if (pid_ <= 0) return exit_status_;  // already reaped (by Start, when it died early)
  int status = 0;
  bool exited = WaitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout_ms);
  if (!exited) return -1;
  pid_ = -1;
  exit_status_ = Decode(status);
  return exit_status_;
}

int ServerProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int rc = WaitExit(10000);
  if (rc == -1) {
    kill(pid_, SIGKILL);
    rc = WaitExit(10000);
  }
  return rc;
}

std::string ServerProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ServerProcess::Context ServerProcess::Hiredis() const {
  return Context(redisConnect("127.0.0.1", port_), redisFree);
}

ReplyPtr Command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  void* r = redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data());
  return ReplyPtr(static_cast<redisReply*>(r), freeReplyObject);
}

RawClient::RawClient(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

RawClient::~RawClient() {
  if (fd_ >= 0) close(fd_);
}

void RawClient::Send(std::string_view bytes) {
  while (!bytes.empty() && fd_ >= 0) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void RawClient::SendCommand(const std::vector<std::string>& args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  std::string out;
  resp::EncodeCommand(&out, views);
  Send(out);
}

bool RawClient::Fill(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return false;
  char buf[65536];
  ssize_t n = recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

std::string RawClient::ReadRaw(int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  while (true) {
    resp::Reply r;
    size_t used = 0;
    if (resp::ParseReply(buffer_, &r, &used) == resp::ParseReplyStatus::kOk) {
      std::string raw = buffer_.substr(0, used);
      buffer_.erase(0, used);
      return raw;
    }
    int64_t left = deadline - NowMs();
    if (left <= 0 || !Fill(static_cast<int>(left))) return "";
  }
}

resp::Reply RawClient::Read(int timeout_ms) {
  std::string raw = ReadRaw(timeout_ms);
  resp::Reply r;
  size_t used;
  if (raw.empty() || resp::ParseReply(raw, &r, &used) != resp::ParseReplyStatus::kOk) {
    r.type = resp::Reply::Type::kError;
    r.str = "TEST: no reply within timeout";
  }
  return r;
}

resp::Reply RawClient::Call(const std::vector<std::string>& args, int timeout_ms) {
  SendCommand(args);
  return Read(timeout_ms);
}

bool RawClient::WaitClosed(int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  while (NowMs() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
    buffer_.append(buf, static_cast<size_t>(n));
  }
  return false;
}

bool RawClient::Silent(int ms) {
  pollfd p{fd_, POLLIN, 0};
  return buffer_.empty() && poll(&p, 1, ms) == 0;
}

}  // namespace runnel::testing
