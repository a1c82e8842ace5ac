// ArgList: the arguments of one command, stored back to back in a single arena.
//
// Why an arena: a pipelined client sends hundreds of commands per read; keeping every argument in
// one reused buffer means the steady state allocates nothing per command. Arguments are exposed
// as string_views that stay valid until the list is cleared or appended to.
//
// Invariant: spans_ are ordered and lie inside arena_; an argument under construction (between
// BeginArg and EndArg) is the arena's tail and is not yet visible through size()/operator[].
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runnel::resp {

class ArgList {
 public:
  ArgList() = default;
  ArgList(std::initializer_list<std::string_view> args) {
    for (auto a : args) Add(a);
  }

  size_t size() const { return spans_.size(); }
  bool empty() const { return spans_.empty(); }
  std::string_view operator[](size_t i) const {
    return std::string_view(arena_).substr(spans_[i].first, spans_[i].second);
  }
  // Total bytes of argument data (for CLIENT LIST's argv-mem and memory accounting).
  size_t bytes() const { return arena_.size(); }

  // Clears the list; an arena grown past kKeepBytes by one big argument is given back, so an
  // idle connection does not hold the memory of the largest command it ever sent.
  void Clear() {
    arena_.clear();
    if (arena_.capacity() > kKeepBytes) std::string().swap(arena_);
    spans_.clear();
    open_ = false;
  }
  void Add(std::string_view arg) {
    BeginArg();
    Append(arg);
    EndArg();
  }

  // Incremental construction, used by the parser as bulk bytes arrive.
  void BeginArg() {
    open_start_ = arena_.size();
    open_ = true;
  }
  void Append(std::string_view bytes) { arena_.append(bytes); }
  size_t OpenArgLength() const { return open_ ? arena_.size() - open_start_ : 0; }
  void EndArg() {
    spans_.emplace_back(open_start_, arena_.size() - open_start_);
    open_ = false;
  }

  // Copies into owned strings (for commands that outlive the read buffer: MULTI, blocking).
  std::vector<std::string> ToStrings() const {
    std::vector<std::string> out;
    out.reserve(size());
    for (size_t i = 0; i < size(); ++i) out.emplace_back((*this)[i]);
    return out;
  }

 private:
  static constexpr size_t kKeepBytes = 64 * 1024;
  std::string arena_;
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) into arena_
  size_t open_start_ = 0;
  bool open_ = false;
};

}  // namespace runnel::resp
