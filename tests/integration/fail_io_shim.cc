// An LD_PRELOAD library for the disk-failure tests: makes write(), fsync() and fdatasync() fail
// with ENOSPC on chosen files, on demand, so the tests can watch what runnel-server does when
// the disk fills up in the middle of a run.
//
//   RUNNEL_FAIL_PATH     calls fail on descriptors whose path contains this text
//   RUNNEL_FAIL_TRIGGER  ... but only while a file at this path exists
//
// The trigger is a file so the test can switch failures on and off in a running server. Every
// other call goes straight to the C library's own function.
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

namespace {

bool ShouldFail(int fd) {
  const char* part = getenv("RUNNEL_FAIL_PATH");
  const char* trigger = getenv("RUNNEL_FAIL_TRIGGER");
  if (part == nullptr || trigger == nullptr || access(trigger, F_OK) != 0) return false;
  char link[64];
  char path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return false;
  path[n] = '\0';
  return strstr(path, part) != nullptr;
}

template <typename Fn>
Fn Next(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

ssize_t write(int fd, const void* buf, size_t count) {
  static auto real = Next<ssize_t (*)(int, const void*, size_t)>("write");
  if (ShouldFail(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, buf, count);
}

int fsync(int fd) {
  static auto real = Next<int (*)(int)>("fsync");
  if (ShouldFail(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd);
}

int fdatasync(int fd) {
  static auto real = Next<int (*)(int)>("fdatasync");
  if (ShouldFail(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd);
}

}  // extern "C"
