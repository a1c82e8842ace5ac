// ACL command categories: Redis's fixed list, in the order ACL CAT shows it, and the parsing of
// a command's "@write @stream @fast" text into a bit set (bit i = kCategories[i]).
//
// A category exists whether or not Runnel has any command in it (+@hash is a valid rule that
// allows nothing here), so users written for redis-server load unchanged.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace runnel::acl {

inline constexpr std::array<std::string_view, 21> kCategories = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};

using CategorySet = uint32_t;

// The index of a category named case-insensitively (without the '@'), or -1.
int CategoryIndex(std::string_view name);

// "@write @stream @fast" → the set; names that are not categories are ignored.
CategorySet ParseCategories(std::string_view text);

}  // namespace runnel::acl
