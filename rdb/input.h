// Input: the reader of Redis's RDB encodings (rdb-format.md §3) over a byte source, for whole
// RDB files (read a buffer at a time, so a file of any size streams through a fixed buffer) and
// for DUMP payloads in memory.
//
// Invariants: every read either delivers all it was asked for or fails; the first failure is
// latched, with the byte offset it happened at, and every later read fails too. crc() is the
// CRC-64 of exactly the bytes consumed so far, which is what RDB files and DUMP payloads
// checksum.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace runnel::rdb {

// Where the bytes come from.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to n bytes into buf; 0 at the end (or on a read error, which error() then describes).
  virtual size_t Read(char* buf, size_t n) = 0;
  virtual std::string error() const { return {}; }
};

class MemorySource : public ByteSource {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  size_t Read(char* buf, size_t n) override;

 private:
  std::string_view bytes_;
};

class Input {
 public:
  explicit Input(ByteSource& source) : source_(source) {}
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  bool Byte(uint8_t* b);
  // Exactly n bytes, replacing *out's contents.
  bool Bytes(uint64_t n, std::string* out);
  bool Skip(uint64_t n);
  bool U64Le(uint64_t* v);
  bool U32Le(uint32_t* v);
  // A length (§3.1). A special string encoding where a length belongs is an error.
  bool Length(uint64_t* v);
  // A string in any encoding (§3.2): plain, INT8/16/32 (given back as decimal text), or LZF.
  bool String(std::string* out);
  // A ZSET (type 3) score: a one-byte length with 253/254/255 for nan/+inf/-inf.
  bool SkipTextDouble();

  // Latches the first failure; always returns false.
  bool Fail(std::string_view why);
  bool failed() const { return failed_; }
  // "at byte N: why", for the first failure.
  const std::string& error() const { return error_; }
  uint64_t offset() const { return consumed_; }
  uint64_t crc() const { return crc_; }
  // Whether every byte of the source has been consumed (reads ahead to find out).
  bool AtEnd();

 private:
  // Makes at least one unread byte available; false at the end of the source.
  bool Fill();
  // Consumes n buffered bytes (n <= available()), folding them into the CRC.
  std::string_view Take(size_t n);
  size_t available() const { return end_ - pos_; }
  // Whether a length's first byte starts a special string encoding; reads the length or the
  // encoding number into *v.
  bool LengthOrEncoding(uint64_t* v, bool* encoded);

  ByteSource& source_;
  std::string buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t consumed_ = 0;
  uint64_t crc_ = 0;
  bool failed_ = false;
  std::string error_;
};

}  // namespace runnel::rdb
