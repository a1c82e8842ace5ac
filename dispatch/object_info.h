// How redis-server would describe a value's object (OBJECT ENCODING and REFCOUNT, DEBUG OBJECT):
// Runnel stores strings and streams its own way, so these answer what Redis would for the
// same value. A string that reads as an integer is "int" (shared, refcount 2147483647, below
// 10000), one of at most 44 bytes "embstr", a longer one "raw"; a stream "stream". What the
// record remembers of the value's making (StringForm) overrides that as it does in Redis: an
// edited string is "raw", a float result never "int".
#pragma once

#include <cstdint>
#include <string_view>

#include "streams/keyspace.h"

namespace runnel::dispatch {

std::string_view ObjectEncoding(const streams::Record& record);
int64_t ObjectRefCount(const streams::Record& record);

}  // namespace runnel::dispatch
