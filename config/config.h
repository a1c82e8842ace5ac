// Config: every setting of runnel-server, and the one table that describes them.
//
// A setting can come from the TOML file, from `--key value` on the command line (which wins), or
// from CONFIG SET at run time (only for keys marked mutable). All three go through the same
// ConfigKey::Parse, so a value means the same thing and fails with the same message everywhere.
// Sizes take Redis's units: plain bytes, or k/kb/m/mb/g/gb (k = 1000, kb = 1024), any case.
// Reading the TOML file and the command line is the server shell's (server/config_file.h): this
// layer has no file I/O and no TOML.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runnel::config {

struct Config {
  std::string bind = "127.0.0.1";
  int64_t port = 6379;
  std::string dir = "./data";
  int64_t databases = 16;
  int64_t maxclients = 10000;
  int64_t timeout = 0;  // seconds a client may idle before it is closed; 0 = never
  std::string requirepass;
  // While the default user needs no password, only loopback clients are served
  // (redis-server's protected mode).
  bool protected_mode = true;
  std::string aclfile;     // the ACL users file (ACL LOAD / SAVE), read at start; "" = none
  int64_t acllog_max_len = 128;  // entries ACL LOG keeps
  std::string acl_pubsub_default = "resetchannels";  // channels a new user starts with
  std::string loglevel = "notice";
  std::string logfile;  // "" = stdout
  int64_t stream_node_max_entries = 100;
  int64_t stream_node_max_bytes = 4096;
  int64_t stream_idmp_duration = 100;   // a new stream's IDMP-DURATION, seconds (Redis 8.6)
  int64_t stream_idmp_maxsize = 100;    // a new stream's IDMP-MAXSIZE, iids per producer
  int64_t stream_retention_ms = 0;      // a new stream's RETENTION-MS (Runnel), 0 = none
  int64_t stream_retention_maxlen = 0;  // a new stream's RETENTION-MAXLEN, 0 = none
  std::string stream_retention_refs = "keepref";  // a new stream's RETENTION-REFS
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  int64_t client_query_buffer_limit = 1024LL * 1024 * 1024;
  // Bytes of memory past which deny-oom commands are refused (-OOM); 0 = no limit. Runnel never
  // evicts, so the only policy is noeviction (docs/security.md).
  int64_t maxmemory = 0;
  std::string maxmemory_policy = "noeviction";
  // Redis 7's client eviction: the clients' buffers together may use this much (bytes, or "N%"
  // of maxmemory); past it the largest are closed. "0" = no limit. ParseClientMemoryLimit.
  std::string maxmemory_clients = "0";

  // ---- persistence (docs/durability.md) ----
  bool appendonly = true;  // a message queue should be durable out of the box
  std::string appendfsync = "everysec";
  std::string appenddirname = "appendonlydir";
  std::string appendfilename = "appendonly.aof";
  bool aof_load_truncated = true;
  int64_t key_load_delay = 0;
  int64_t auto_aof_rewrite_percentage = 100;
  int64_t auto_aof_rewrite_min_size = 64LL * 1024 * 1024;
  std::string save = "3600 1 300 100 60 10000";  // pairs: seconds, changes
  std::string notify_keyspace_events;            // as given; ParseNotifyFlags reads it
  std::string client_output_buffer_limit =
      "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";
  // ---- replication (docs/replication.md) ----
  std::string replicaof;               // "host port" of this server's master; "" = a master itself
  std::string masterauth, masteruser;  // how this replica logs in to its master
  bool replica_read_only = true;
  bool replica_serve_stale_data = true;
  int64_t repl_backlog_size = 1024 * 1024;
  int64_t repl_timeout = 60;              // seconds without traffic before a link is dropped
  int64_t repl_ping_replica_period = 10;  // seconds between a master's pings
  int64_t min_replicas_to_write = 0;      // writes are refused with fewer good replicas
  int64_t min_replicas_max_lag = 10;      // seconds since its last ACK a good replica has
  int64_t replica_priority = 100;         // Sentinel's preference (0: never promoted)
  std::string replica_announce_ip;
  int64_t replica_announce_port = 0;
  bool replica_announced = true;
  std::string dbfilename = "dump.rnl";
  bool stop_writes_on_bgsave_error = true;
  std::string enable_debug_command = "no";  // no | yes | local (loopback clients only)
  int64_t slowlog_log_slower_than = 10000;  // µs; negative: log nothing, 0: everything
  int64_t slowlog_max_len = 128;
  int64_t latency_monitor_threshold = 0;  // ms; 0 = the latency monitor is off
  bool latency_tracking = true;
  std::string latency_tracking_info_percentiles = "50 99 99.9";
  // The metrics port (docs/metrics.md): HTTP GET /metrics for Prometheus; 0 = off.
  int64_t metrics_port = 0;
  std::string metrics_bind = "127.0.0.1";
  int64_t metrics_max_series = 10000;  // per-stream, -group and -consumer series in a scrape
  int64_t status_sample_interval = 10;  // seconds between the status page's history samples

  // ---- TLS (server/tls.h, docs/security.md): a second port that speaks TLS; 0 = off ----
  int64_t tls_port = 0;
  std::string tls_cert_file, tls_key_file, tls_key_file_pass;  // PEM; the key's passphrase
  std::string tls_ca_cert_file, tls_ca_cert_dir;  // CAs that client certificates must chain to
  std::string tls_dh_params_file;                 // PEM DH parameters for DHE ciphers (TLS 1.2)
  std::string tls_auth_clients = "yes";           // yes | no | optional: client certificates
  std::string tls_protocols;                      // e.g. "TLSv1.2 TLSv1.3"; "" = those two
  std::string tls_ciphers;                        // TLS 1.2 cipher list (OpenSSL syntax)
  std::string tls_ciphersuites;                   // TLS 1.3 suites (OpenSSL syntax)
  bool tls_prefer_server_ciphers = false;
  bool tls_session_caching = true;
  int64_t tls_session_cache_size = 20480;
  int64_t tls_session_cache_timeout = 300;  // seconds
};

// maxmemory-clients as Redis reads it: a memory value, or a percentage of maxmemory ("5%", at
// most 100). nullopt with Redis's reason in *error.
struct ClientMemoryLimit {
  int64_t value = 0;  // bytes, or a percentage
  bool percent = false;
  // The limit in bytes under a given maxmemory (0 = none).
  uint64_t Bytes(int64_t maxmemory) const {
    if (!percent) return static_cast<uint64_t>(value);
    using Wide = unsigned __int128;  // maxmemory * 100 may not fit 64 bits
    return static_cast<uint64_t>(static_cast<Wide>(maxmemory) * static_cast<Wide>(value) / 100);
  }
};
std::optional<ClientMemoryLimit> ParseClientMemoryLimit(std::string_view text,
                                                        std::string* error = nullptr);

// The `save` rules as (seconds, changes) pairs; false when the text is not such pairs.
// client-output-buffer-limit: per client class, the output not yet sent (bytes) at which a
// client is closed at once (hard), or once it has stayed above `soft` for soft_seconds; 0 = no
// limit. Classes in Redis's order: normal, replica (Redis's "slave"), pubsub.
struct OutputLimit {
  int64_t hard = 0, soft = 0, soft_seconds = 0;
};
enum class ClientClass { kNormal = 0, kReplica = 1, kPubSub = 2 };
using OutputLimits = std::array<OutputLimit, 3>;
// Reads "class hard soft seconds [class hard soft seconds ...]" into *limits, changing only the
// classes named (as CONFIG SET does); false with Redis's reason in *error.
bool ParseOutputLimits(std::string_view text, OutputLimits* limits, std::string* error);
std::string FormatOutputLimits(const OutputLimits& limits);

// notify-keyspace-events: which keyspace notifications are published (Redis's class letters).
enum NotifyFlag : uint32_t {
  kNotifyKeyspace = 1 << 0,  // K: __keyspace@<db>__:<key> channels
  kNotifyKeyevent = 1 << 1,  // E: __keyevent@<db>__:<event> channels
  kNotifyGeneric = 1 << 2,   // g
  kNotifyString = 1 << 3,    // $
  kNotifyList = 1 << 4,      // l
  kNotifySet = 1 << 5,       // s
  kNotifyHash = 1 << 6,      // h
  kNotifyZset = 1 << 7,      // z
  kNotifyExpired = 1 << 8,   // x
  kNotifyEvicted = 1 << 9,   // e
  kNotifyStream = 1 << 10,   // t
  kNotifyKeyMiss = 1 << 11,  // m (not part of A)
  kNotifyModule = 1 << 12,   // d
  kNotifyNew = 1 << 13,      // n (not part of A)
};
// The flags of a class string, or nullopt when a character is not a class.
std::optional<uint32_t> ParseNotifyFlags(std::string_view text);
// As redis-server 7.0 shows them (CONFIG GET): "A" for all of g$lshzxetd, else each letter in
// its order, then K, E and m. Like Redis, it leaves 'n' out when 'A' is shown, though the flag
// stays on.
std::string FormatNotifyFlags(uint32_t flags);

// latency-tracking-info-percentiles: numbers in [0, 100] separated by spaces (none is allowed).
// On failure *error (when given) has Redis's reason.
std::optional<std::vector<double>> ParsePercentiles(std::string_view text,
                                                    std::string* error = nullptr);

// replicaof's "host port": the host and the port, or nullopt when it is not two words with a
// port from 0 to 65535.
std::optional<std::pair<std::string, int>> ParseReplicaOf(std::string_view value);

using SaveRules = std::vector<std::pair<int64_t, int64_t>>;
bool ParseSaveRules(std::string_view text, SaveRules* rules);

// appendfsync, parsed once where it is applied rather than compared as text on every flush.
enum class FsyncPolicy { kAlways, kEverySec, kNo };
FsyncPolicy ParseFsyncPolicy(std::string_view text);

class ConfigKey {
 public:
  enum class Type { kString, kInt, kMemory, kEnum, kBool };

  std::string_view name;
  Type type = Type::kString;
  bool mutable_at_runtime = false;
  // Redis's PROTECTED_CONFIG (dir, dbfilename): CONFIG SET refuses it with its own message
  // (Runnel has no enable-protected-configs to lift that).
  bool protected_config = false;
  int64_t min = 0;
  int64_t max = 0;
  std::vector<std::string_view> choices;  // kEnum
  std::string Config::*text = nullptr;    // kString, kEnum
  int64_t Config::*number = nullptr;      // kInt, kMemory
  bool Config::*flag = nullptr;           // kBool ("yes"/"no")
  // Applied by rebuilding the TLS context, which may fail (a certificate that does not load):
  // CONFIG SET then fails and keeps the old values, as redis-server does.
  bool tls = false;
  // Extra check for kString values (save), and for kEnum values that are known but refused
  // (maxmemory-policy's evicting ones); nullptr = any text, or any choice.
  bool (*validate)(std::string_view value, std::string* error) = nullptr;
  // For a kString whose CONFIG SET changes only part of it (client-output-buffer-limit): the
  // new whole value from the current one and the (validated) value given.
  std::string (*merge)(std::string_view current, std::string_view value) = nullptr;
  // For a kString that CONFIG GET shows in another form than it is kept in.
  std::string (*show)(std::string_view stored) = nullptr;

  // Parses and stores `value`. On failure returns false with Redis's reason text in *error
  // (e.g. "argument couldn't be parsed into an integer").
  bool Parse(Config& config, std::string_view value, std::string* error) const;
  // The value as CONFIG GET shows it.
  std::string Get(const Config& config) const;
};

// Every key, in a stable order.
const std::vector<ConfigKey>& ConfigKeys();
const ConfigKey* FindConfigKey(std::string_view name);

// Parses a size with Redis's units ("512mb", "1gb", "4096"). Fails on junk or overflow.
bool ParseMemorySize(std::string_view text, int64_t* out);

}  // namespace runnel::config
