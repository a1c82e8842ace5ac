// Version strings. kRedisVersion is the Redis feature level Runnel implements: what INFO's
// redis_version and HELLO's version report, so clients enable the features they can use.
#pragma once

namespace runnel::commands {

inline constexpr const char* kRunnelVersion = "0.3.0";
inline constexpr const char* kRedisVersion = "8.10.0";

}  // namespace runnel::commands
