#include "streams/glob.h"

#include <cctype>

namespace runnel::streams {
namespace {

char Fold(char c, bool nocase) {
  return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

// Matches one subject byte against the token at pattern[p]; sets *next to the token's end.
bool MatchOne(std::string_view pattern, size_t p, char c, bool nocase, size_t* next) {
  char pc = pattern[p];
  if (pc == '?') {
    *next = p + 1;
    return true;
  }
  if (pc == '\\' && p + 1 < pattern.size()) {
    *next = p + 2;
    return Fold(pattern[p + 1], nocase) == Fold(c, nocase);
  }
  if (pc != '[') {
    *next = p + 1;
    return Fold(pc, nocase) == Fold(c, nocase);
  }
  size_t i = p + 1;
  bool negate = i < pattern.size() && pattern[i] == '^';
  if (negate) ++i;
  bool match = false;
  while (i < pattern.size() && pattern[i] != ']') {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      ++i;
      if (Fold(pattern[i], nocase) == Fold(c, nocase)) match = true;
      ++i;
    } else if (i + 2 < pattern.size() && pattern[i + 1] == '-') {
      unsigned char lo = static_cast<unsigned char>(Fold(pattern[i], nocase));
      unsigned char hi = static_cast<unsigned char>(Fold(pattern[i + 2], nocase));
      if (lo > hi) std::swap(lo, hi);
      unsigned char x = static_cast<unsigned char>(Fold(c, nocase));
      if (x >= lo && x <= hi) match = true;
      i += 3;
    } else {
      if (Fold(pattern[i], nocase) == Fold(c, nocase)) match = true;
      ++i;
    }
  }
  *next = i < pattern.size() ? i + 1 : i;  // past ']', or the end of an open set
  return negate ? !match : match;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view subject, bool nocase) {
  // Redis's matcher never enters its loop for an empty subject, so only an empty pattern
  // matches it ("*" matches an empty key only through KEYS's and SCAN's match-all shortcut).
  if (subject.empty()) return pattern.empty();
  size_t p = 0, s = 0;
  size_t star_p = std::string_view::npos, star_s = 0;
  while (s < subject.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      if (p == pattern.size()) return true;
      star_p = p;
      star_s = s;
      continue;
    }
    size_t next;
    if (p < pattern.size() && MatchOne(pattern, p, subject[s], nocase, &next)) {
      p = next;
      ++s;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    s = ++star_s;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace runnel::streams
