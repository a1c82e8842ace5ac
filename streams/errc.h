// Errc and OpResult: how data operations report failure without knowing about RESP.
//
// Every failure a data operation can have is one Errc value; dispatch/errors.cc maps each to the
// exact error string redis-server sends. Operations return OpResult<T> (a value or an Errc);
// [[nodiscard]] makes ignoring a failure a compile error.
#pragma once

#include <cstdint>
#include <utility>
#include <variant>

namespace runnel::streams {

enum class Errc : uint8_t {
  kOk = 0,
  kWrongType,                          // key holds another type
  kOverflow,                           // increment or decrement would overflow
  kStreamIdZero,                       // XADD 0-0
  kStreamIdTooSmall,                   // XADD ID <= top item
  kStreamExhausted,                    // last ID is the maximum
  kElementsTooLarge,                   // entry would not fit a block
  kSetIdSmallerThanTop,                // XSETID below the last entry
  kSetIdSmallerThanMaxDeleted,         // XSETID below the given MAXDELETEDID
  kSetIdSmallerThanCurrentMaxDeleted,  // XSETID below the stream's max-deleted-id
  kSetIdEntriesAddedTooSmall,          // ENTRIESADDED below the length
};

template <typename T>
class [[nodiscard]] OpResult {
 public:
  OpResult(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  OpResult(Errc e) : v_(e) {}                  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  Errc error() const { return ok() ? Errc::kOk : std::get<1>(v_); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Errc> v_;
};

}  // namespace runnel::streams
