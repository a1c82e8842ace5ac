#include "rdb/dump.h"

#include "rdb/crc64.h"
#include "rdb/input.h"
#include "rdb/object_reader.h"
#include "rdb/stream_reader.h"
#include "rdb/writer.h"

namespace runnel::rdb {
namespace {

constexpr size_t kFooterSize = 10;

uint64_t ReadLe(std::string_view bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    v |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  }
  return v;
}

// The RDB version of the Redis that first wrote a stream type: what a payload of it must carry.
uint16_t DumpVersionOf(uint8_t stream_type) {
  if (stream_type == kTypeStreamListpacks5) return kDumpVersionNack;
  if (stream_type == kTypeStreamListpacks4) return kDumpVersionIdmp;
  return kDumpVersion;
}

}  // namespace

std::string DumpValue(const streams::Value& value, const char** refusal,
                      const streams::IdmpConfig& idmp_defaults) {
  *refusal = nullptr;
  std::string out;
  uint16_t version = kDumpVersion;
  if (const std::string* s = value.string()) {
    out.push_back(static_cast<char>(kTypeString));
    WriteString(&out, *s);
  } else {
    const streams::Stream& stream = *value.stream();
    *refusal = StreamDumpRefusal(stream);
    if (*refusal != nullptr) return {};
    uint8_t type = StreamDumpType(stream, idmp_defaults);
    version = DumpVersionOf(type);
    out.push_back(static_cast<char>(type));
    WriteStream(&out, stream, type);
  }
  out.push_back(static_cast<char>(version & 0xff));
  out.push_back(static_cast<char>(version >> 8));
  uint64_t crc = Crc64(0, out);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return out;
}

bool PayloadHasIdmpSettings(std::string_view payload) {
  if (payload.empty()) return false;
  const auto type = static_cast<uint8_t>(payload[0]);
  return type == kTypeStreamListpacks4 || type == kTypeStreamListpacks5;
}

PayloadError ReadPayload(std::string_view payload, const streams::StreamLimits& limits,
                         streams::Value* value, std::string* detail) {
  if (payload.size() < kFooterSize) return PayloadError::kVersionOrChecksum;
  std::string_view body = payload.substr(0, payload.size() - 8);
  uint64_t version = ReadLe(body.substr(body.size() - 2));
  uint64_t crc = ReadLe(payload.substr(payload.size() - 8));
  if (version > kMaxReadVersion || Crc64(0, body) != crc) return PayloadError::kVersionOrChecksum;
  MemorySource source(body.substr(0, body.size() - 2));
  Input in(source);
  uint8_t type;
  std::string_view other;
  if (in.Byte(&type) && !UnreadableKind(type).empty()) {
    *detail = std::string(UnreadableKind(type));
    return PayloadError::kOtherType;
  }
  if (in.failed() || !IsObjectType(type) || !ReadObject(in, type, limits, value, &other)) {
    *detail = in.failed() ? in.error() : "unknown type " + std::to_string(type);
    return PayloadError::kBadFormat;
  }
  if (!other.empty()) {
    *detail = std::string(other);
    return PayloadError::kOtherType;
  }
  // Bytes after the value are ignored, as redis-server ignores them.
  return PayloadError::kOk;
}

}  // namespace runnel::rdb
