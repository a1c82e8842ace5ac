// ReplyParser: decodes RESP2 and RESP3 replies into a value tree.
//
// Used by the tests and tools (Debian's hiredis 0.14 cannot read RESP3), and by a replica to find
// the errors among the replies its Redis master's commands got (server/master_link.h).
// It is not resumable: give it everything received so far; it answers kIncomplete until one
// whole reply is there, and then reports how many bytes that reply used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace runnel::resp {

struct Reply {
  enum class Type {
    kSimple,     // +
    kError,      // - and ! (blob error)
    kInteger,    // :
    kBulk,       // $
    kNull,       // _ and the RESP2 nulls $-1 and *-1 (see null_marker)
    kArray,      // *
    kMap,        // %  (elements hold key, value, key, value ...)
    kSet,        // ~
    kPush,       // >
    kDouble,     // ,
    kBool,       // #
    kVerbatim,   // =  (str holds the text after "txt:")
    kBigNumber,  // (
  };
  Type type = Type::kNull;
  std::string str;      // simple, error, bulk, verbatim, big number, double's text
  int64_t integer = 0;  // integer, bool (0/1)
  double dbl = 0;
  char null_marker = '_';  // '_', '$' or '*': which null it was on the wire
  std::vector<Reply> elements;

  bool is_null() const { return type == Type::kNull; }
  bool is_error() const { return type == Type::kError; }
  // A one-line rendering for test failure messages, e.g. [1, "a", nil, {k: v}].
  std::string ToString() const;
};

enum class ParseReplyStatus { kOk, kIncomplete, kMalformed };

// Parses one reply from the start of `input`. On kOk, *consumed is its length in bytes.
ParseReplyStatus ParseReply(std::string_view input, Reply* out, size_t* consumed);

}  // namespace runnel::resp
