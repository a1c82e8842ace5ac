// The replacement operator new and delete behind AllocationCounter (allocation_counter.h). They
// allocate with malloc as the standard library's do, and add or subtract malloc_usable_size.
// The counter is an atomic because libuv's thread pool may allocate too.
#include "server/allocation_counter.h"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

// Under AddressSanitizer (GCC says so with __SANITIZE_ADDRESS__, clang with __has_feature) the
// sanitizer's own operator new must stay: it is how it finds misuse.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RUNNEL_ASAN_BUILD 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(RUNNEL_SANITIZE)
#define RUNNEL_ASAN_BUILD 1
#endif

#if defined(RUNNEL_ASAN_BUILD)
// The sanitizer's allocator keeps the same count for every malloc (its public interface; GCC
// ships no header for it), so used_memory and maxmemory work in the sanitizer build too.
extern "C" size_t __sanitizer_get_current_allocated_bytes();
namespace runnel::server {
size_t CountedAllocatedBytes() { return __sanitizer_get_current_allocated_bytes(); }
}  // namespace runnel::server
#else
namespace {
std::atomic<size_t> allocated{0};
}  // namespace
namespace runnel::server {
size_t CountedAllocatedBytes() { return allocated.load(std::memory_order_relaxed); }
}  // namespace runnel::server
#endif

#if !defined(RUNNEL_ASAN_BUILD)

namespace {

void* Counted(void* p) {
  if (p != nullptr) allocated.fetch_add(malloc_usable_size(p), std::memory_order_relaxed);
  return p;
}

void Release(void* p) noexcept {
  if (p == nullptr) return;
  allocated.fetch_sub(malloc_usable_size(p), std::memory_order_relaxed);
  std::free(p);
}

void* Allocate(size_t n) {
  void* p = Counted(std::malloc(n == 0 ? 1 : n));
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* AllocateAligned(size_t n, std::align_val_t align) {
  void* p = nullptr;
  const size_t a = std::max(static_cast<size_t>(align), sizeof(void*));
  if (posix_memalign(&p, a, n == 0 ? 1 : n) != 0) throw std::bad_alloc();
  return Counted(p);
}

}  // namespace

void* operator new(size_t n) { return Allocate(n); }
void* operator new[](size_t n) { return Allocate(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return Counted(std::malloc(n == 0 ? 1 : n));
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return Counted(std::malloc(n == 0 ? 1 : n));
}
void* operator new(size_t n, std::align_val_t a) { return AllocateAligned(n, a); }
void* operator new[](size_t n, std::align_val_t a) { return AllocateAligned(n, a); }
void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, size_t) noexcept { Release(p); }
void operator delete[](void* p, size_t) noexcept { Release(p); }
void operator delete(void* p, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Release(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { Release(p); }

#endif  // !RUNNEL_ASAN_BUILD
