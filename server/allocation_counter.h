// AllocationCounter: the bytes the process holds through C++ allocations (operator new and
// delete), counted as they happen, for INFO's used_memory, the memory peak, MEMORY STATS and
// the metrics.
//
// Why a counter: glibc's mallinfo2() walks every free chunk of the heap, and after a workload
// that deletes keys that took 150 ms for one INFO with 290,000 keys, during which no client is
// served; the cron read it every 100 ms. Counting each allocation's usable size costs a few
// nanoseconds instead, and reading it costs nothing.
//
// The count covers every allocation made through operator new: all of Runnel's data structures,
// buffers and strings. Memory libuv or libc take with malloc directly is not in it. In the
// sanitizer build the sanitizer owns operator new, and the count is the sanitizer's own count
// of every allocation (malloc included) instead.
#pragma once

#include <cstddef>

namespace runnel::server {

// Bytes currently allocated through operator new (their usable sizes).
size_t CountedAllocatedBytes();

}  // namespace runnel::server
