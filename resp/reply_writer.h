// ReplyWriter: encodes reply values as RESP bytes, appending to a caller-owned buffer.
//
// This is the only place that knows the difference between RESP2 and RESP3. Commands describe
// their reply in RESP3 terms (map, set, null, double, verbatim text, "pairs") and the writer
// down-converts for RESP2 clients exactly as redis-server does:
//
//   value          RESP3                 RESP2
//   Null()         _                     $-1        (a missing bulk string)
//   NullArray()    _                     *-1        (a missing array: timeouts, aborted EXEC)
//   Map(n)         %n                    *2n        (flat key, value, key, value ...)
//   Set(n)         ~n                    *n
//   Double(d)      ,d                    $len d
//   Bool(b)        #t / #f               :1 / :0
//   Verbatim(s)    =len txt:s            $len s
//   Pairs(n)       %n                    *n, then each Pair() is *2   (XREAD's per-key replies)
//   Push(n)        >n                    *n         (Pub/Sub messages and confirmations)
//
// Lengths not known in advance (a range walked with a COUNT) use Begin*/End*: the header is
// inserted at the recorded position once the count is known.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace runnel::resp {

class ReplyWriter {
 public:
  explicit ReplyWriter(std::string* out, int protocol = 2) : out_(out), protocol_(protocol) {}

  int protocol() const { return protocol_; }
  void set_protocol(int protocol) { protocol_ = protocol; }
  void set_output(std::string* out) { out_ = out; }
  std::string* output() const { return out_; }

  void Ok() { out_->append("+OK\r\n"); }
  void Simple(std::string_view s);
  // `message` is the whole error text including its code ("ERR syntax error"); '\r' and '\n'
  // inside it become spaces so a reply can never break the protocol.
  void Error(std::string_view message);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void BulkInt(int64_t v);  // an integer sent as a bulk string
  void BulkUnsigned(uint64_t v);
  void Double(double d);
  // A number already formatted as the value stores it: a RESP3 double, a RESP2 bulk string.
  void DoubleText(std::string_view text);
  void Bool(bool b);
  void Null();
  void NullArray();
  void Array(size_t n);
  void Map(size_t n);
  void Set(size_t n);
  void Push(size_t n);
  void Verbatim(std::string_view text);
  void Pairs(size_t n);
  void Pair();
  // Pre-encoded bytes, passed through untouched.
  void Raw(std::string_view bytes) { out_->append(bytes); }

  // Deferred headers: remember the position now, write the header once the count is known.
  struct Deferred {
    size_t position;
  };
  Deferred Begin() const { return Deferred{out_->size()}; }
  void EndArray(Deferred d, size_t n);
  void EndMap(Deferred d, size_t n);
  void EndSet(Deferred d, size_t n);
  void EndPairs(Deferred d, size_t n);

 private:
  void Header(char type, size_t n);
  void InsertHeader(Deferred d, char type, size_t n);

  std::string* out_;
  int protocol_;
};

}  // namespace runnel::resp
