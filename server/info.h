// BuildInfo: the text of INFO, section by section, in redis-server's format
// ("# Section\r\nfield:value\r\n...", sections separated by an empty line).
//
// Sections, in redis-server's order: server, clients, memory, persistence, stats,
// replication, cpu, modules (empty), commandstats, errorstats, latencystats, cluster, keyspace;
// then Runnel's streams (every stream summed: entries, groups, consumers, pending, the largest
// lag). No argument (or "default") gives all but commandstats, latencystats and streams; "all"
// and "everything" give every one; otherwise only the named ones, case-insensitively. Every
// field reports something real about this process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace runnel::server {

class Server;

std::string BuildInfo(Server& server, const std::vector<std::string>& sections);

// Bytes allocated and not freed (INFO's used_memory): the allocation counter, cheap to read
// (server/allocation_counter.h).
size_t AllocatedBytes();
// Bytes of heap the allocator holds from the system, handed out or free. It asks glibc's
// mallinfo2(), which walks the free lists (100+ ms on a large fragmented heap): only MEMORY
// STATS and DOCTOR use it.
size_t HeapBytes();
// The process's resident set size.
uint64_t ResidentBytes();
// MEMORY MALLOC-STATS: glibc's own report of its arenas (malloc_info's XML).
std::string AllocatorReport();
// MEMORY PURGE: returns free heap at the top of each arena and whole free pages to the system
// (malloc_trim).
void ReleaseFreeHeap();

}  // namespace runnel::server
