// How redis-server would describe a value's object (OBJECT ENCODING and REFCOUNT, DEBUG OBJECT):
// Runnel stores strings and streams its own way, so these answer what Redis would for the
// same value. A string that reads as an integer is "int" (shared, refcount 2147483647, below
// 10000), one of at most 44 bytes "embstr", a longer one "raw"; a stream "stream". (Redis also
// makes a string "raw" once APPEND or SETRANGE has edited it; Runnel keeps no such history.)
#pragma once

#include <cstdint>
#include <string_view>

#include "streams/keyspace.h"

namespace runnel::dispatch {

std::string_view ObjectEncoding(const streams::Value& value);
int64_t ObjectRefCount(const streams::Value& value);

}  // namespace runnel::dispatch
