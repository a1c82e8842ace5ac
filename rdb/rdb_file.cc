#include "rdb/rdb_file.h"

#include <algorithm>

#include "rdb/dump.h"
#include "rdb/object_reader.h"

namespace runnel::rdb {
namespace {

enum Opcode : uint8_t {
  kHashTemplate = 0xf2,
  kKeyMeta = 0xf3,
  kSlotInfo = 0xf4,
  kFunction2 = 0xf5,
  kFunctionPreGa = 0xf6,
  kModuleAux = 0xf7,
  kIdle = 0xf8,
  kFreq = 0xf9,
  kAux = 0xfa,
  kResizeDb = 0xfb,
  kExpireTimeMs = 0xfc,
  kExpireTime = 0xfd,
  kSelectDb = 0xfe,
  kEof = 0xff,
};

constexpr uint64_t kProgressEvery = 16 << 20;

class FileReader {
 public:
  FileReader(Input& in, const RdbReadOptions& options, RdbVisitor& visitor, RdbFileInfo* info)
      : in_(in), options_(options), visitor_(visitor), info_(info) {}

  bool Read() {
    if (!Header()) return false;
    while (true) {
      uint8_t op;
      if (!in_.Byte(&op)) return false;
      if (op == kEof) return Trailer();
      if (!Record(op)) return false;
      if (in_.offset() >= next_progress_) {
        visitor_.OnProgress(in_.offset());
        next_progress_ = in_.offset() + kProgressEvery;
      }
    }
  }

  const std::string& why() const { return why_; }

 private:
  bool Header() {
    std::string magic;
    if (!in_.Bytes(9, &magic)) return false;
    if (magic.compare(0, 5, "REDIS") != 0) return in_.Fail("not an RDB file (no REDIS magic)");
    int version = 0;
    for (size_t i = 5; i < 9; ++i) {
      if (magic[i] < '0' || magic[i] > '9') return in_.Fail("not an RDB file (bad version)");
      version = version * 10 + (magic[i] - '0');
    }
    if (version < kMinFileVersion || version > kMaxReadVersion) {
      return in_.Fail("can't handle RDB format version " + std::to_string(version));
    }
    info_->version = version;
    return true;
  }

  bool Trailer() {
    if (info_->version < 5) return true;
    uint64_t computed = in_.crc(), stored;
    if (!in_.U64Le(&stored)) return false;
    if (stored != 0 && stored != computed) return in_.Fail("wrong RDB checksum");
    info_->checksum_checked = stored != 0;
    info_->bytes = in_.offset();
    return true;
  }

  bool Record(uint8_t op) {
    uint64_t a, b, c;
    std::string s1, s2;
    switch (op) {
      case kSelectDb:
        if (!in_.Length(&a)) return false;
        if (a >= static_cast<uint64_t>(options_.databases)) {
          return in_.Fail("database " + std::to_string(a) + " is out of range (databases " +
                          std::to_string(options_.databases) + ")");
        }
        db_ = static_cast<int>(a);
        return true;
      case kResizeDb:
        return in_.Length(&a) && in_.Length(&b);
      case kSlotInfo:
        return in_.Length(&a) && in_.Length(&b) && in_.Length(&c);
      case kExpireTime: {
        uint32_t seconds;
        if (!in_.U32Le(&seconds)) return false;
        expire_ms_ = int64_t{static_cast<int32_t>(seconds)} * 1000;
        has_expire_ = true;
        return true;
      }
      case kExpireTimeMs:
        if (!in_.U64Le(&a)) return false;
        expire_ms_ = static_cast<int64_t>(a);
        has_expire_ = true;
        return true;
      case kIdle:
        return in_.Length(&a);
      case kFreq:
        return in_.Skip(1);
      case kAux:
        if (!in_.String(&s1) || !in_.String(&s2)) return false;
        visitor_.OnAux(s1, s2);
        return true;
      case kModuleAux:
        if (!in_.Length(&a) || !in_.Length(&b) || !in_.Length(&c)) return false;
        if (b != 2) return in_.Fail("a module aux record of an unknown form");
        return SkipModuleFields(in_);
      case kFunction2:
        if (!in_.String(&s1)) return false;
        visitor_.OnFunction();
        return true;
      case kFunctionPreGa:
        return in_.Fail("pre-release function records cannot be read");
      case kHashTemplate:
        return in_.Fail("hash template records (Redis 8.10's compact hashes) cannot be read");
      case kKeyMeta:
        return in_.Fail("key metadata records (Redis 8.6+ module metadata) cannot be read");
      default:
        return Key(op);
    }
  }

  bool Key(uint8_t type) {
    if (!IsObjectType(type)) return in_.Fail("unknown RDB record type " + std::to_string(type));
    std::string key;
    streams::Value value;
    std::string_view other;
    if (!in_.String(&key) || !ReadObject(in_, type, options_.limits, &value, &other)) return false;
    // A stored time before 1970 is one long past, as Redis reads it (not "no expiry").
    int64_t expire = has_expire_ ? std::max<int64_t>(expire_ms_, 0) : -1;
    has_expire_ = false;
    bool ok = other.empty() ? visitor_.OnKey(db_, std::move(key), expire, std::move(value), &why_)
                            : visitor_.OnOtherKey(db_, key, other, &why_);
    return ok || in_.Fail(why_);
  }

  Input& in_;
  const RdbReadOptions& options_;
  RdbVisitor& visitor_;
  RdbFileInfo* info_;
  int db_ = 0;
  int64_t expire_ms_ = 0;
  bool has_expire_ = false;  // an expiry opcode came before the next key
  uint64_t next_progress_ = kProgressEvery;
  std::string why_;
};

}  // namespace

bool ReadRdb(ByteSource& source, const RdbReadOptions& options, RdbVisitor& visitor,
             RdbFileInfo* info, std::string* error) {
  Input in(source);
  FileReader reader(in, options, visitor, info);
  if (reader.Read()) return true;
  *error = in.error();
  return false;
}

}  // namespace runnel::rdb
