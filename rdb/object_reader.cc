#include "rdb/object_reader.h"

#include <string>

#include "rdb/stream_reader.h"

namespace runnel::rdb {
namespace {

enum Type : uint8_t {
  kList = 1,
  kSet = 2,
  kZset = 3,
  kHash = 4,
  kZset2 = 5,
  kModulePreGa = 6,
  kModule2 = 7,
  kHashZipmap = 9,
  kListZiplist = 10,
  kSetIntset = 11,
  kZsetZiplist = 12,
  kHashZiplist = 13,
  kListQuicklist = 14,
  kHashListpack = 16,
  kZsetListpack = 17,
  kListQuicklist2 = 18,
  kSetListpack = 20,
  // Hashes with field expiry (7.4+; 22 and 23 only from the 7.4 release candidates): per field
  // a TTL, absolute in 22 and 23, relative to an 8-byte minimum in 24 and 25.
  kHashMetadataPreGa = 22,
  kHashListpackExPreGa = 23,
  kHashMetadata = 24,
  kHashListpackEx = 25,
  // Types whose values cannot be read through: their layout is not known for certain, or (32)
  // depends on a template record elsewhere in the file.
  kArray = 28,          // 8.8
  kHashTemplated = 29,  // 8.10: 29 and 31 in DUMP payloads, 30 and 32 (by reference) in files
  kHashTemplatedEnd = 32,
  kGcra = 33,  // 8.8 builds with GCRA enabled
  kLastKnown = 33,
};

// Module values (type 7) are self-describing: typed fields until an EOF opcode.
enum ModuleOpcode : uint64_t {
  kModEof = 0,
  kModSint = 1,
  kModUint = 2,
  kModFloat = 3,
  kModDouble = 4,
  kModString = 5
};

bool SkipStrings(Input& in, uint64_t per_element) {
  uint64_t n;
  if (!in.Length(&n)) return false;
  std::string scratch;
  for (uint64_t i = 0; i < n; ++i) {
    for (uint64_t k = 0; k < per_element; ++k) {
      if (!in.String(&scratch)) return false;
    }
  }
  return true;
}

bool SkipModule(Input& in) {
  uint64_t module_id;
  return in.Length(&module_id) && SkipModuleFields(in);
}

// Reads through a value of a type Runnel does not store; its name in *name.
bool SkipOther(Input& in, uint8_t type, std::string_view* name) {
  std::string scratch;
  switch (type) {
    case kList:
    case kSet:
      *name = type == kList ? "list" : "set";
      return SkipStrings(in, 1);
    case kHash:
      *name = "hash";
      return SkipStrings(in, 2);
    case kZset: {
      *name = "zset";
      uint64_t n;
      if (!in.Length(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        if (!in.String(&scratch) || !in.SkipTextDouble()) return false;
      }
      return true;
    }
    case kZset2: {
      *name = "zset";
      uint64_t n;
      if (!in.Length(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        if (!in.String(&scratch) || !in.Skip(8)) return false;
      }
      return true;
    }
    case kListZiplist:
    case kListQuicklist:
      *name = "list";
      return type == kListQuicklist ? SkipStrings(in, 1) : in.String(&scratch);
    case kListQuicklist2: {
      *name = "list";
      uint64_t n, container;
      if (!in.Length(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        if (!in.Length(&container) || !in.String(&scratch)) return false;
      }
      return true;
    }
    case kSetIntset:
    case kSetListpack:
      *name = "set";
      return in.String(&scratch);
    case kZsetZiplist:
    case kZsetListpack:
      *name = "zset";
      return in.String(&scratch);
    case kHashZipmap:
    case kHashZiplist:
    case kHashListpack:
    case kHashListpackExPreGa:
      *name = "hash";
      return in.String(&scratch);
    case kHashListpackEx:  // the minimum expiry, then (field, value, TTL) triplets
      *name = "hash";
      return in.Skip(8) && in.String(&scratch);
    case kHashMetadataPreGa:
    case kHashMetadata: {
      *name = "hash";
      uint64_t n, ttl;
      if ((type == kHashMetadata && !in.Skip(8)) || !in.Length(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        if (!in.Length(&ttl) || !in.String(&scratch) || !in.String(&scratch)) return false;
      }
      return true;
    }
    case kModule2:
      *name = "module";
      return SkipModule(in);
    default:
      std::string_view kind = UnreadableKind(type);
      return in.Fail((kind.empty() ? std::string("values") : std::string(kind) + " values") +
                     " of RDB type " + std::to_string(type) + " cannot be read");
  }
}

}  // namespace

std::string_view UnreadableKind(uint8_t type) {
  if (type == kArray) return "array";
  if (type >= kHashTemplated && type <= kHashTemplatedEnd) return "hash";
  if (type == kGcra) return "gcra";
  return {};
}

bool SkipModuleFields(Input& in) {
  uint64_t opcode, scratch_len;
  std::string scratch;
  while (true) {
    if (!in.Length(&opcode)) return false;
    switch (opcode) {
      case kModEof:
        return true;
      case kModSint:
      case kModUint:
        if (!in.Length(&scratch_len)) return false;
        break;
      case kModFloat:
        if (!in.Skip(4)) return false;
        break;
      case kModDouble:
        if (!in.Skip(8)) return false;
        break;
      case kModString:
        if (!in.String(&scratch)) return false;
        break;
      default:
        return in.Fail("a module value with unknown field opcode " + std::to_string(opcode));
    }
  }
}

bool IsObjectType(uint8_t b) { return b <= kLastKnown && b != 8; }

bool ReadObject(Input& in, uint8_t type, const streams::StreamLimits& limits, streams::Value* value,
                std::string_view* other_type) {
  *other_type = {};
  if (type == kTypeString) {
    std::string s;
    if (!in.String(&s)) return false;
    *value = streams::Value(std::move(s));
    return true;
  }
  if (IsStreamType(type)) {
    std::unique_ptr<streams::Stream> stream = ReadStream(in, type, limits);
    if (stream == nullptr) return false;
    *value = streams::Value(std::move(stream));
    return true;
  }
  if (type == kModulePreGa) return in.Fail("pre-release module values cannot be read");
  return SkipOther(in, type, other_type);
}

}  // namespace runnel::rdb
