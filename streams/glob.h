// GlobMatch: Redis's KEYS/SCAN MATCH pattern language.
//
//   *  any run of bytes      ?  any one byte      \x  the byte x literally
//   [abc] [a-z] [^abc]   one byte from (or not from) a set; ranges given backwards are swapped;
//                        '\' escapes inside a set; a set left open runs to the pattern's end.
//
// Matching is iterative (greedy with one backtrack point), so a hostile pattern costs at most
// O(pattern x subject) time and no stack.
#pragma once

#include <string_view>

namespace runnel::streams {

bool GlobMatch(std::string_view pattern, std::string_view subject, bool nocase = false);

}  // namespace runnel::streams
