#include "server/server.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <random>
#include <sstream>

#include "commands/admin/version.h"
#include "commands/all_commands.h"
#include "dispatch/errors.h"
#include "persistence/file_io.h"
#include "server/config_file.h"
#include "server/connection.h"
#include "server/info.h"
#include "server/metrics.h"
#include "server/status_json.h"
#include "server/status_page.h"

namespace runnel::server {

namespace errors = dispatch::errors;

namespace {

constexpr uint64_t kCronIntervalMs = 100;

uint64_t RandomSeed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

// 40 random hex digits, as Redis makes its run ID and replication ID.
std::string RandomHexId() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(40, '0');
  for (char& c : id) c = kHex[rd() % 16];
  return id;
}

bool MakeDirectories(const std::string& path) {
  std::string partial;
  std::stringstream ss(path);
  std::string part;
  if (!path.empty() && path[0] == '/') partial = "/";
  while (std::getline(ss, part, '/')) {
    if (part.empty()) continue;
    partial += part + "/";
    if (mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) return false;
  }
  return true;
}

}  // namespace

Server::Server(config::Config config, std::string config_file)
    : config_(std::move(config)),
      config_file_(std::move(config_file)),
      run_id_(RandomHexId()),
      read_buffer_(64 * 1024) {
  uv_loop_init(&loop_);
  dispatcher_ = std::make_unique<dispatch::Dispatcher>(
      *this, commands::AllCommands(), static_cast<int>(config_.databases), RandomSeed());
  durability_ = std::make_unique<Durability>(*this);
  replication_ = std::make_unique<runnel::server::Replication>(*this);
  ApplyConfig();
}

Server::~Server() {
  // Every handle is closed by Shutdown(); run the loop until their close callbacks are done.
  uv_run(&loop_, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop_) != 0) log_.Warning("event loop closed with handles still open");
}

int64_t Server::NowMs() const {
  timeval tv;
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

uint64_t Server::MonotonicUs() const { return uv_hrtime() / 1000; }

dispatch::Limits Server::LimitsFromConfig() const {
  dispatch::Limits limits;
  limits.stream = {static_cast<uint64_t>(config_.stream_node_max_bytes),
                   static_cast<uint64_t>(config_.stream_node_max_entries)};
  // Redis's default work limit for '~' trims: 100 nodes' worth of entries.
  int64_t per_node = config_.stream_node_max_entries;
  limits.approx_trim_limit = per_node > 0 && per_node <= 10000 ? 100 * per_node : 10000;
  limits.new_stream = {config_.stream_idmp_duration, config_.stream_idmp_maxsize};
  limits.notify_flags = config::ParseNotifyFlags(config_.notify_keyspace_events).value_or(0);
  limits.slowlog_slower_than = config_.slowlog_log_slower_than;
  limits.slowlog_max_len = static_cast<uint64_t>(config_.slowlog_max_len);
  limits.latency_threshold_ms = config_.latency_monitor_threshold;
  limits.latency_tracking = config_.latency_tracking;
  limits.new_retention = {config_.stream_retention_ms,
                          static_cast<uint64_t>(config_.stream_retention_maxlen),
                          config_.stream_retention_refs == "acked" ? streams::RefPolicy::kAcked
                                                                   : streams::RefPolicy::kKeepRef};
  return limits;
}

void Server::ApplyLogLevel() {
  LogLevel level;
  if (ParseLogLevel(config_.loglevel, &level)) log_.set_level(level);
}

bool Server::SetConfig(config::Config updated, dispatch::ConfigApplyError* error) {
  if (!ApplyListeningChanges(updated, error)) return false;
  const bool lowered = updated.maxmemory != config_.maxmemory && updated.maxmemory > 0;
  config_ = std::move(updated);
  ApplyConfig();
  const uint64_t used = AllocatedBytes();
  if (lowered && used > static_cast<uint64_t>(config_.maxmemory)) {
    log_.Warning("WARNING: the new maxmemory value set via CONFIG SET (" +
                 std::to_string(config_.maxmemory) +
                 ") is smaller than the current memory usage (" + std::to_string(used) +
                 "). Commands that add data will be refused until memory use drops below it.");
  }
  return true;
}

uint64_t Server::ClientBufferBytes() const {
  uint64_t bytes = 0;
  for (const auto& [id, c] : connections_) bytes += c->memory_bytes();
  return bytes;
}

uint64_t Server::MemoryNotCountedForLimit() const { return durability_->log_buffer_bytes(); }

// As redis-server: log records waiting to be written are not counted, since refusing writes
// would not free them and counting them would refuse writes because the disk is slow.
bool Server::OverMemoryLimit() const {
  if (config_.maxmemory <= 0) return false;
  const uint64_t used = AllocatedBytes();
  const uint64_t not_counted = MemoryNotCountedForLimit();
  return used > not_counted && used - not_counted > static_cast<uint64_t>(config_.maxmemory);
}

bool Server::RewriteConfig(std::string* error) {
  if (config_file_.empty()) {
    *error = dispatch::errors::kNoConfigFile;
    return false;
  }
  std::string why;
  if (RewriteConfigFile(config_file_, config_, &why)) {
    log_.Notice("CONFIG REWRITE executed with success.");
    return true;
  }
  log_.Warning("CONFIG REWRITE failed: " + why);
  *error = dispatch::errors::ConfigRewriteFailed(why);
  return false;
}

// requirepass is the default user's password (as in Redis 6 and later): setting it replaces that
// user's passwords, setting it to "" makes the user nopass.
void Server::ApplyAclConfig() {
  dispatcher_->acl_log().set_max_len(static_cast<size_t>(config_.acllog_max_len));
  dispatcher_->users().set_channels_default_all(config_.acl_pubsub_default == "allchannels");
  if (applied_requirepass_ == config_.requirepass) return;
  const std::string password = ">" + config_.requirepass;
  dispatcher_->users().SetUser(
      "default", {"resetpass", config_.requirepass.empty() ? "nopass" : std::string_view(password)});
  applied_requirepass_ = config_.requirepass;
}

// At start, with aclfile set: its users replace the configured ones, or the server does not
// start (as redis-server), since running with other users than the file's would be a surprise
// in the wrong direction.
bool Server::LoadAclFileAtStart() {
  if (config_.aclfile.empty()) return true;
  std::string text, error;
  acl::Users loaded(&dispatcher_->commands().catalog());
  if (ReadAclFile(&text, &error)) {
    if (dispatcher_->users().Parse(text, config_.aclfile, &loaded, &error)) {
      dispatcher_->users().Replace(std::move(loaded));
      return true;
    }
    error += dispatch::errors::kAclLoadWarning;
  } else {
    error = "Error loading ACLs, opening file '" + config_.aclfile + "': " + error;
  }
  log_.Warning("Aborting Runnel startup because of ACL errors: " + error);
  return false;
}

bool Server::ReadAclFile(std::string* text, std::string* error) {
  return persistence::ReadWholeFile(config_.aclfile, text, error);
}

bool Server::WriteAclFile(std::string_view text, std::string* error) {
  const std::string& path = config_.aclfile;
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return persistence::WriteFileDurably(dir.empty() ? "/" : dir, name, text, error);
}

void Server::ApplyConfig() {
  ApplyLogLevel();
  std::string ignored;  // the value was checked when it was set
  config::ParseOutputLimits(config_.client_output_buffer_limit, &output_limits_, &ignored);
  client_memory_limit_ = config::ParseClientMemoryLimit(config_.maxmemory_clients).value_or(
      config::ClientMemoryLimit{});
  dispatcher_->set_limits(LimitsFromConfig());
  ApplyAclConfig();
  durability_->ApplyConfig();
  if (metrics_) metrics_->set_password(config_.requirepass);
  resp::ParserLimits limits;
  limits.max_bulk_len = config_.proto_max_bulk_len;
  for (auto& [id, conn] : connections_) {
    limits.authenticated = conn->authenticated;
    conn->parser().set_limits(limits);
  }
}

// Like redis-server: room for maxclients connections plus the server's own descriptors, as far
// as the hard limit allows; maxclients is lowered to what fits when it does not.
void Server::RaiseOpenFileLimit() {
  constexpr rlim_t kReserved = 32;
  rlim_t wanted = static_cast<rlim_t>(config_.maxclients) + kReserved;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
  rlimit raised = limit;
  raised.rlim_cur = std::min(wanted, limit.rlim_max);
  if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  if (limit.rlim_cur < wanted) {
    config_.maxclients =
        static_cast<int64_t>(limit.rlim_cur > kReserved ? limit.rlim_cur - kReserved : 1);
    log_.Warning("Open-file limit is " + std::to_string(limit.rlim_cur) +
                 "; maxclients lowered to " + std::to_string(config_.maxclients));
  }
}

bool Server::ListenMetrics() {
  if (config_.metrics_port == 0) return true;
  metrics_ = std::make_unique<HttpEndpoint>(
      &loop_, [this](std::string_view path, HttpEndpoint::Responder respond) {
        ServeMetricsPort(path, std::move(respond));
      });
  metrics_->set_password(config_.requirepass);
  std::string error;
  if (!metrics_->Listen(config_.metrics_bind, static_cast<int>(config_.metrics_port), &error)) {
    log_.Warning("Metrics port: " + error);
    return false;
  }
  status_history_ = std::make_unique<StatusHistory>();
  log_.Notice("Metrics at http://" + config_.metrics_bind + ":" +
              std::to_string(config_.metrics_port) + "/metrics, the status page at /");
  return true;
}

void Server::ServeMetricsPort(std::string_view path, HttpEndpoint::Responder respond) {
  // A query string changes nothing (a browser may add one to defeat a cache).
  path = path.substr(0, path.find('?'));
  const auto max_series = static_cast<size_t>(config_.metrics_max_series);
  if (path == "/metrics") {
    // A scraper that gave up (its scrape_timeout) stops the work meant for it.
    auto scrape = std::make_shared<MetricsScrape>(*this, max_series);
    return StartScrape([scrape, respond](uint64_t us) {
                         return !respond.connected() || scrape->Step(us);
                       },
                       [scrape, respond] {
                         respond({200, "text/plain; version=0.0.4; charset=utf-8", "",
                                  scrape->Take()});
                       });
  }
  if (path == "/status.json") {
    auto scrape = std::make_shared<StatusScrape>(*this, *status_history_, max_series);
    return StartScrape([scrape, respond](uint64_t us) {
                         return !respond.connected() || scrape->Step(us);
                       },
                       [scrape, respond] {
                         respond({200, "application/json", scrape->Take()});
                       });
  }
  if (path == "/" || path == "/index.html") {
    return respond({200, "text/html; charset=utf-8", std::string(StatusPageHtml())});
  }
  respond({404, "text/plain",
           "not found: the metrics are at /metrics, the status page at /\n"});
}

void Server::StartScrape(std::function<bool(uint64_t)> step, std::function<void()> finish) {
  scrapes_.push_back({std::move(step), std::move(finish)});
  if (scrapes_.size() > 1) return;  // the idle handle already runs
  if (!scrape_idle_.initialised()) {
    uv_idle_init(&loop_, scrape_idle_.get());
    scrape_idle_.MarkInitialised();
    scrape_idle_.get()->data = this;
  }
  uv_idle_start(scrape_idle_.get(),
                [](uv_idle_t* h) { static_cast<Server*>(h->data)->RunScrapes(); });
}

// One slice of every pending scrape per loop iteration: commands run between slices.
void Server::RunScrapes() {
  constexpr uint64_t kSliceUs = 2000;
  for (size_t i = 0; i < scrapes_.size();) {
    if (!scrapes_[i].step(kSliceUs / scrapes_.size() + 1)) {
      ++i;
      continue;
    }
    auto finish = std::move(scrapes_[i].finish);
    scrapes_.erase(scrapes_.begin() + static_cast<std::ptrdiff_t>(i));
    finish();
  }
  if (scrapes_.empty()) uv_idle_stop(scrape_idle_.get());
}

bool Server::Listen() {
  // The plain port (unless 0, as redis-server allows when only TLS is wanted), then tls-port.
  if (!plain_listeners_.Open(config_.bind, config_.port) ||
      !tls_listeners_.Open(config_.bind, config_.tls_port)) {
    return false;
  }
  if (plain_listeners_.empty() && tls_listeners_.empty()) {
    log_.Warning("No address to listen on (bind is '" + config_.bind + "')");
    return false;
  }
  return true;
}

bool Server::ConfigureTls() {
  if (config_.tls_port == 0) return true;
  std::string why;
  tls_context_ = TlsContext::Create(config_, &why);
  if (tls_context_ == nullptr) {
    log_.Warning("Failed to configure TLS: " + why);
    return false;
  }
  return true;
}

// TLS settings take effect by building a new context, ports and bind by listening anew; either
// may fail, and then nothing changes (the old sockets listen again).
bool Server::ApplyListeningChanges(const config::Config& updated,
                                   dispatch::ConfigApplyError* error) {
  namespace errors = dispatch::errors;
  bool tls_changed = false;
  for (const config::ConfigKey& k : config::ConfigKeys()) {
    tls_changed = tls_changed || (k.tls && k.Get(updated) != k.Get(config_));
  }
  std::unique_ptr<TlsContext> fresh;
  if (updated.tls_port != 0 && (tls_context_ == nullptr || tls_changed)) {
    std::string why;
    fresh = TlsContext::Create(updated, &why);
    if (fresh == nullptr) {
      log_.Warning("Failed to update TLS configuration: " + why);
      error->failed = {{"tls-port", errors::kTlsUpdateFailed}};
      for (const config::ConfigKey& k : config::ConfigKeys()) {
        if (k.tls) error->failed.emplace_back(k.name, errors::kTlsUpdateFailed);
      }
      return false;
    }
  }
  const bool bind_changed = updated.bind != config_.bind;
  const bool plain_changed = bind_changed || updated.port != config_.port;
  if (plain_changed &&
      !plain_listeners_.Replace(updated.bind, updated.port, config_.bind, config_.port)) {
    error->failed = {{"port", errors::kListenFailed}, {"bind", errors::kBindFailed}};
    return false;
  }
  if ((bind_changed || updated.tls_port != config_.tls_port) &&
      !tls_listeners_.Replace(updated.bind, updated.tls_port, config_.bind, config_.tls_port)) {
    // Back to the old plain listeners too, so the sockets match the settings that stay.
    if (plain_changed &&
        !plain_listeners_.Replace(config_.bind, config_.port, updated.bind, updated.port)) {
      log_.Warning("Could not listen again on port " + std::to_string(config_.port) +
                   "; clients can connect on port " + std::to_string(updated.port) +
                   " until port or bind is set again");
    }
    error->failed = {{"tls-port", errors::kListenFailed}, {"bind", errors::kBindFailed}};
    return false;
  }
  if (fresh != nullptr) tls_context_ = std::move(fresh);
  if (updated.tls_port == 0) tls_context_.reset();  // built afresh if TLS is wanted again
  if (updated.port != config_.port || updated.tls_port != config_.tls_port || bind_changed) {
    log_.Notice("Listening on " + updated.bind + " port " + std::to_string(updated.port) +
                ", tls-port " + std::to_string(updated.tls_port));
  }
  return true;
}

int Server::Run() {
  if (!log_.Open(config_.logfile)) {
    std::fprintf(stderr, "runnel-server: can't open the log file %s: %s\n", config_.logfile.c_str(),
                 std::strerror(errno));
    return 1;
  }
  ApplyLogLevel();
  // A relative aclfile names a file from where the server was started, not from its dir.
  char start_dir[PATH_MAX];
  if (!config_.aclfile.empty() && config_.aclfile[0] != '/' &&
      getcwd(start_dir, sizeof(start_dir)) != nullptr) {
    config_.aclfile = std::string(start_dir) + "/" + config_.aclfile;
  }
  if (!MakeDirectories(config_.dir) || chdir(config_.dir.c_str()) != 0) {
    log_.Warning("Can't chdir to '" + config_.dir + "': " + std::strerror(errno));
    return 1;
  }
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) != nullptr) config_.dir = cwd;
  std::signal(SIGPIPE, SIG_IGN);
  RaiseOpenFileLimit();

  stats_.start_ms = NowMs();
  stats_.start_monotonic = MonotonicMs();
  log_.Notice(std::string("Runnel ") + commands::kRunnelVersion + " (Redis " +
              commands::kRedisVersion + " streams protocol), pid=" + std::to_string(getpid()));
  if (!LoadAclFileAtStart()) return 1;
  // The metrics port first: once the commands' port accepts, every port does.
  if (!ConfigureTls() || !ListenMetrics() || !Listen()) {
    Shutdown("could not listen", SaveMode::kNoSave);
    return 1;
  }

  auto on_signal = [](uv_signal_t* h, int signum) {
    static_cast<Server*>(h->data)->OnShutdownSignal(signum);
  };
  uv_signal_init(&loop_, sigint_.get());
  sigint_.MarkInitialised();
  sigint_.get()->data = this;
  uv_signal_start(sigint_.get(), on_signal, SIGINT);
  uv_signal_init(&loop_, sigterm_.get());
  sigterm_.MarkInitialised();
  sigterm_.get()->data = this;
  uv_signal_start(sigterm_.get(), on_signal, SIGTERM);

  uv_prepare_init(&loop_, before_poll_.get());
  before_poll_.MarkInitialised();
  before_poll_.get()->data = this;
  uv_prepare_start(before_poll_.get(),
                   [](uv_prepare_t* h) { static_cast<Server*>(h->data)->BeforePoll(); });

  uv_timer_init(&loop_, cron_timer_.get());
  cron_timer_.MarkInitialised();
  cron_timer_.get()->data = this;
  uv_timer_start(
      cron_timer_.get(), [](uv_timer_t* h) { static_cast<Server*>(h->data)->Cron(); },
      kCronIntervalMs, kCronIntervalMs);

  uv_timer_init(&loop_, block_timer_.get());
  block_timer_.MarkInitialised();
  block_timer_.get()->data = this;

  if (config_.port != 0) {
    log_.Notice("Ready to accept connections tcp on " + config_.bind + " port " +
                std::to_string(config_.port));
  }
  if (config_.tls_port != 0) {
    log_.Notice("Ready to accept connections tls on " + config_.bind + " port " +
                std::to_string(config_.tls_port));
  }
  stats_.startup_allocated = stats_.peak_allocated = AllocatedBytes();  // before any data
  StartLoading();
  uv_run(&loop_, UV_RUN_DEFAULT);
  return exit_code_;
}

void Server::OnShutdownSignal(int signum) {
  const char* name = signum == SIGINT ? "SIGINT" : "SIGTERM";
  if (signum == SIGINT && shutdown_signal_failed_) {
    log_.Warning("You insist... exiting now.");
    exit_code_ = 1;
    Shutdown(name, SaveMode::kNoSave);
    return;
  }
  if (!Shutdown(name)) {
    shutdown_signal_failed_ = true;
    log_.Warning(std::string(name) +
                 " received but errors trying to shut down the server, check the logs for "
                 "more information");
  }
}

bool Server::Shutdown(std::string_view reason, SaveMode mode, bool force, std::string* error) {
  if (shutting_down_) return true;
  if (!loading()) {
    // The seen times still waiting to be written go into the log first.
    if (effects_wanted()) dispatcher_->FlushConsumerTimes();
    dispatcher_->FinishRecord(NowMs());
    // Make what was acknowledged durable; a snapshot too when asked, or when save rules exist.
    bool save =
        mode == SaveMode::kSave || (mode == SaveMode::kDefault && durability_->has_save_rules());
    std::string why;
    if (!durability_->Shutdown(save, force, &why)) {
      // Stay up rather than exit with acknowledged data that is not on disk, as Redis does;
      // the operator can fix the disk, or insist (a second SIGINT, SHUTDOWN NOSAVE).
      log_.Warning("Error trying to persist before shutting down: " + why);
      if (error != nullptr) *error = why;
      return false;
    }
    replication_->SaveState(durability_->log_write_ok() &&
                            (durability_->log_enabled() || (save && durability_->last_save_ok())));
  }
  shutting_down_ = true;
  log_.Notice("Shutting down (" + std::string(reason) + ")");
  replication_->Stop();
  plain_listeners_.Close();
  tls_listeners_.Close();
  metrics_.reset();  // closes its listener and connections
  scrapes_.clear();
  scrape_idle_.Close();
  sigint_.Close();
  sigterm_.Close();
  before_poll_.Close();
  cron_timer_.Close();
  block_timer_.Close();
  load_idle_.Close();
  // Best effort: send what is already buffered, then close.
  std::vector<Connection*> all;
  for (auto& [id, conn] : connections_) all.push_back(conn);
  for (Connection* c : all) {
    c->Flush();
    c->Close();
  }
  log_.Notice("Runnel is now ready to exit, bye bye...");
  return true;
}

// ---- start-up loading ----

void Server::StartLoading() {
  Durability::LoadPlan plan;
  std::string error;
  if (!durability_->Prepare(&plan, &error)) {
    log_.Warning("Can't load the data: " + error);
    exit_code_ = 1;
    Shutdown("load failed", SaveMode::kNoSave);
    return;
  }
  if (!plan.snapshot_path && plan.log_paths.empty()) {
    loader_ = std::make_unique<Loader>(*this, plan);
    FinishLoading();
    return;
  }
  load_started_ms_ = last_load_log_ms_ = NowMs();
  loader_ = std::make_unique<Loader>(*this, std::move(plan));
  log_.Notice("Loading the data from disk...");
  uv_idle_init(&loop_, load_idle_.get());
  load_idle_.MarkInitialised();
  load_idle_.get()->data = this;
  uv_idle_start(load_idle_.get(), [](uv_idle_t* h) { static_cast<Server*>(h->data)->LoadStep(); });
}

void Server::LoadStep() {
  auto status = loader_->Step(10);
  int64_t now = NowMs();
  if (status == Loader::Status::kMore && now - last_load_log_ms_ >= 1000) {
    last_load_log_ms_ = now;
    uint64_t total = std::max<uint64_t>(loader_->total_bytes(), 1);
    log_.Notice("Loading: " + std::to_string(loader_->loaded_bytes() * 100 / total) + "% (" +
                std::to_string(loader_->records_replayed()) + " log records replayed)");
  }
  if (status == Loader::Status::kMore) return;
  load_idle_.Close();
  if (status == Loader::Status::kFailed) {
    log_.Warning("Can't load the data: " + loader_->error());
    exit_code_ = 1;
    loader_.reset();
    Shutdown("load failed", SaveMode::kNoSave);
    return;
  }
  log_.Notice("Data loaded from disk: " + std::to_string(keyspace().TotalKeys()) + " keys, " +
              std::to_string(loader_->records_replayed()) + " log records, " +
              std::to_string((now - load_started_ms_) / 1000.0).substr(0, 5) + " seconds");
  FinishLoading();
}

void Server::FinishLoading() {
  std::string error;
  bool from_dump = loader_->loaded_from_dump();
  uint64_t next = loader_->next_sequence();
  std::optional<streams::StreamLimits> replayed_limits = loader_->replayed_limits();
  if (loader_->effects_skipped() > 0) {
    log_.Warning(std::to_string(loader_->effects_skipped()) +
                 " log effects found nothing to change (their key, group or entry was gone): "
                 "versions before 0.2 logged commands that failed after a key expired, which "
                 "changed nothing then either.");
  }
  loader_.reset();
  replication_->Prepare();  // a replica logs by its master's block limits
  if (!durability_->Start(next, from_dump, replayed_limits, &error)) {
    log_.Warning("Can't open the append-only log: " + error);
    exit_code_ = 1;
    Shutdown("log failed", SaveMode::kNoSave);
    return;
  }
  replication_->Start();  // replicaof: follow the master, now that the data is back
}

dispatch::MemoryFigures Server::Memory() {
  dispatch::MemoryFigures m;
  m.total_allocated = AllocatedBytes();
  stats_.peak_allocated = std::max<uint64_t>(stats_.peak_allocated, m.total_allocated);
  m.peak_allocated = stats_.peak_allocated;
  m.startup_allocated = std::min(stats_.startup_allocated, m.total_allocated);
  m.clients_normal = ClientBufferBytes();
  m.aof_buffer = durability_->log_buffer_bytes();
  m.allocator_active = HeapBytes();
  m.rss = ResidentBytes();
  return m;
}

std::string Server::AllocatorReport() { return server::AllocatorReport(); }

void Server::ReleaseFreeHeap() { server::ReleaseFreeHeap(); }

bool Server::Reload(bool from_log, bool nosave, std::string* error) {
  if (loading()) {  // DEBUG runs while loading; a second load must not race the first
    *error = errors::kLoading;
    return false;
  }
  Durability::LoadPlan plan;
  if (from_log) {
    // Seen times still noted, and effects not yet handed over, belong in the log first.
    dispatcher_->FlushConsumerTimes();
    dispatcher_->FinishPendingRecord();
    if (!durability_->PlanLogReload(&plan, error)) return false;
  } else {
    if (nosave && durability_->log_enabled()) {
      *error = errors::kReloadNoSaveWithLog;
      return false;
    }
    if (!nosave && !durability_->Save(error)) return false;
    plan.snapshot_path = durability_->DumpPath();
  }
  const int64_t started = NowMs();
  Loader loader(*this, std::move(plan));
  Loader::Status status;
  while ((status = loader.Step(1000)) == Loader::Status::kMore) {
  }
  if (status == Loader::Status::kFailed) {
    log_.Warning("DEBUG " + std::string(from_log ? "LOADAOF" : "RELOAD") +
                 " could not load the data, which stays as it was: " + loader.error());
    *error = errors::ReloadFailed(from_log ? "log" : "snapshot", loader.error());
    return false;
  }
  for (int db = 0; db < keyspace().size(); ++db) dispatcher_->DatabaseReplaced(db);
  log_.Notice("DEBUG " + std::string(from_log ? "LOADAOF" : "RELOAD") + " loaded " +
              std::to_string(keyspace().TotalKeys()) + " keys in " +
              std::to_string(NowMs() - started) + " ms");
  return true;
}

void Server::OnConnection(uv_stream_t* listener, int status) {
  auto* self = static_cast<Server*>(listener->data);
  if (status >= 0) self->AcceptConnection(listener, false);
}

void Server::OnTlsConnection(uv_stream_t* listener, int status) {
  auto* self = static_cast<Server*>(listener->data);
  if (status >= 0) self->AcceptConnection(listener, true);
}

void Server::AcceptConnection(uv_stream_t* listener, bool tls) {
  if (shutting_down_) return;
  uint64_t id = next_client_id_++;
  auto* conn = new Connection(*this, id);
  if (!conn->Accept(listener)) {
    conn->Close();  // not registered yet: Close only releases the handle
    return;
  }
  if (tls) conn->EnableTls(*tls_context_);
  stats_.connections_received++;
  connections_[id] = conn;
  dispatcher_->StartSession(*conn);
  resp::ParserLimits limits;
  limits.max_bulk_len = config_.proto_max_bulk_len;
  limits.authenticated = conn->authenticated;
  conn->parser().set_limits(limits);
  if (connections_.size() > static_cast<size_t>(config_.maxclients)) {
    stats_.rejected_connections++;
    // As redis-server: a TLS connection is just dropped, since telling it why would mean a
    // handshake, holding a descriptor the limit is there to save.
    if (tls) {
      conn->Close();
      return;
    }
    conn->reply().Error(errors::kMaxClients);
    Refuse(*conn);
    return;
  }
  // Protected mode: with no password, a server reachable from elsewhere serves only its own
  // host, and tells anyone else why.
  if (config_.protected_mode && dispatcher_->users().default_user().nopass() &&
      !conn->from_loopback()) {
    stats_.rejected_connections++;
    conn->reply().Error(errors::kProtectedMode);
    Refuse(*conn);
    return;
  }
  conn->StartReading();
}

// Sends a refusal already in the client's replies, then closes. A TLS client is read from
// until its handshake is done, since the refusal can only be sent encrypted (as redis-server
// does for protected mode); no command of its runs meanwhile.
void Server::Refuse(Connection& conn) {
  conn.CloseAfterReply();
  RequestFlush(conn);
  if (conn.tls()) conn.StartReading();
}

dispatch::Client* Server::FindClient(uint64_t id) {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second;
}

std::vector<dispatch::Client*> Server::Clients() {
  std::vector<dispatch::Client*> all;
  for (const auto& [id, conn] : connections_) all.push_back(conn);
  std::sort(all.begin(), all.end(),
            [](const dispatch::Client* a, const dispatch::Client* b) { return a->id() < b->id(); });
  return all;
}

void Server::AppendRecord(int db, int64_t time_ms, std::string_view payload) {
  durability_->Append(static_cast<uint32_t>(db), time_ms, payload);
  replication_->FeedRecord(db, time_ms, payload);
}

Connection* Server::FindConnection(uint64_t id) {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second;
}

bool Server::LoadReplicaSnapshot(const std::string& path, std::string* error) {
  Durability::LoadPlan plan;
  plan.snapshot_path = path;
  const int64_t started = NowMs();
  Loader loader(*this, std::move(plan));
  Loader::Status status;
  while ((status = loader.Step(1000)) == Loader::Status::kMore) {
  }
  if (status == Loader::Status::kFailed) {
    *error = loader.error();
    return false;
  }
  dispatcher_->ResetReplicatedLimits();
  for (int db = 0; db < keyspace().size(); ++db) dispatcher_->DatabaseReplaced(db);
  log_.Notice("MASTER <-> REPLICA sync: loaded " + std::to_string(keyspace().TotalKeys()) +
              " keys in " + std::to_string(NowMs() - started) + " ms");
  std::string log_error;
  if (!durability_->AdoptData(&log_error)) {
    log_.Warning("The append-only log could not take the synchronized data as its base: " +
                 log_error);
  }
  return true;
}

std::string Server::Info(const std::vector<std::string>& sections) {
  return BuildInfo(*this, sections);
}

void Server::ResetStats() {
  ServerStats fresh;
  fresh.start_ms = stats_.start_ms;
  fresh.start_monotonic = stats_.start_monotonic;
  fresh.startup_allocated = stats_.startup_allocated;  // a fact of the start, not a statistic
  stats_ = fresh;
  dispatcher_->stats() = dispatch::DispatchStats{};
  dispatcher_->command_stats().Reset();
}

void Server::OnConnectionClosing(Connection& conn) {
  dispatcher_->ClientClosed(conn);
  replication_->OnClientClosed(conn.id());
  connections_.erase(conn.id());
}

void Server::RequestFlush(Connection& conn) {
  if (conn.pending_flush) return;
  conn.pending_flush = true;
  to_flush_.push_back(conn.id());
}

void Server::RequestResume(Connection& conn) { to_resume_.push_back(conn.id()); }

void Server::BeforePoll() {
  // Clients unblocked or drained during this iteration run their held-back commands first,
  // which may unblock others in turn.
  while (!to_resume_.empty()) {
    std::vector<uint64_t> ids = std::move(to_resume_);
    to_resume_.clear();
    for (uint64_t id : ids) {
      if (auto it = connections_.find(id); it != connections_.end()) it->second->ResumeInput();
    }
  }
  // Snapshots being sent to replicas move on; a WAIT asks replicas to acknowledge.
  replication_->BeforePoll();
  // Group commit: this iteration's log records reach the file (and under appendfsync always,
  // the disk) before any reply to them, or any later reply on the same connection, leaves. The
  // replication stream is sent with the replies, so it follows the log too.
  durability_->BeforeReplies();
  std::vector<uint64_t> ids = std::move(to_flush_);
  to_flush_.clear();
  for (uint64_t id : ids) {
    if (auto it = connections_.find(id); it != connections_.end()) {
      it->second->pending_flush = false;
      it->second->Flush();
    }
  }
  EvictClients();
  ArmBlockTimer();
}

// As redis-server: replicas aside every client counts, the ones with
// CLIENT NO-EVICT too, but only the others are closed, largest first. What a client holds is
// what CLIENT LIST shows as tot-mem: unsent replies, unparsed input, a MULTI queue. Unlike
// Redis, whose every client has a fixed overhead, a client holding nothing is never closed:
// closing it would free nothing (say while a NO-EVICT client alone is over the limit).
void Server::EvictClients() {
  const uint64_t limit = client_memory_limit_.Bytes(config_.maxmemory);
  if (limit == 0) return;
  uint64_t total = 0;
  std::vector<std::pair<uint64_t, Connection*>> candidates;
  for (const auto& [id, conn] : connections_) {
    if (conn->replica) continue;  // as redis-server: replicas are not clients to evict
    const uint64_t bytes = conn->memory_bytes();
    total += bytes;
    if (bytes > 0 && !conn->no_evict && !conn->closing()) candidates.emplace_back(bytes, conn);
  }
  if (total <= limit) return;
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [bytes, conn] : candidates) {
    if (total <= limit) break;
    log_.Notice("Evicting client: " + conn->Describe());
    stats_.evicted_clients++;
    total -= bytes;
    conn->Close();
  }
}

void InstantRate::Sample(uint64_t total, uint64_t now_ms) {
  if (last_ms_ != 0 && now_ms > last_ms_) {
    samples_[next_] = static_cast<double>(total - last_total_) * 1000.0 /
                      static_cast<double>(now_ms - last_ms_);
    next_ = (next_ + 1) % kSamples;
  }
  last_total_ = total;
  last_ms_ = now_ms;
}

double InstantRate::PerSecond() const {
  double sum = 0;
  for (double s : samples_) sum += s;
  return sum / kSamples;
}

uint64_t Server::NetInputBytes() const { return stats_.net_input_bytes; }

uint64_t Server::NetOutputBytes() const { return stats_.net_output_bytes; }

void Server::Cron() {
  stats_.peak_allocated = std::max<uint64_t>(stats_.peak_allocated, AllocatedBytes());
  const uint64_t mono = MonotonicMs();
  ops_rate_.Sample(dispatcher_->stats().commands_processed, mono);
  input_rate_.Sample(NetInputBytes(), mono);
  output_rate_.Sample(NetOutputBytes(), mono);
  if (loading()) return;  // nothing may expire or be saved before the data is back
  int64_t now = NowMs();
  durability_->Cron(now);
  dispatcher_->Cron(now);
  replication_->Cron();
  if (config_.timeout > 0) CloseIdleClients();
  CheckSoftOutputLimits();
  if (metrics_) metrics_->CloseIdle(MonotonicMs());
  const uint64_t interval_ms = static_cast<uint64_t>(config_.status_sample_interval) * 1000;
  if (status_history_ && status_history_->Due(MonotonicUs(), interval_ms)) {
    status_history_->Begin(now, MonotonicUs());
    StartScrape(
        [this](uint64_t us) {
          return status_history_->Step(keyspace(), NowMs(), [this] { return MonotonicUs(); }, us);
        },
        [] {});
  }
}

void Server::CloseIdleClients() {
  uint64_t now = MonotonicMs();
  uint64_t limit = static_cast<uint64_t>(config_.timeout) * 1000;
  std::vector<Connection*> idle;
  for (auto& [id, conn] : connections_) {
    // As Redis: blocked and paused clients, transactions, monitors, subscribers and replicas
    // stay.
    if (conn->waiting() || conn->multi.active || conn->monitor || conn->subscriptions.any() ||
        conn->replica) {
      continue;
    }
    if (now - static_cast<uint64_t>(conn->last_interaction_ms) > limit) idle.push_back(conn);
  }
  for (Connection* c : idle) {
    log_.Verbose("Closing idle client id=" + std::to_string(c->id()));
    c->Close();
  }
}

void Server::CheckSoftOutputLimits() {
  for (auto it = over_soft_limit_.begin(); it != over_soft_limit_.end();) {
    auto conn = connections_.find(*it);
    // Closing erases the connection from connections_, so the iterator over the ids is safe.
    if (conn != connections_.end() && !conn->second->CloseIfOverOutputLimit() &&
        conn->second->over_soft_limit()) {
      ++it;
    } else {
      it = over_soft_limit_.erase(it);
    }
  }
}

void Server::ArmBlockTimer() {
  if (!block_timer_.initialised() || block_timer_.get() == nullptr) return;
  std::optional<uint64_t> next = dispatcher_->NextTimerUs();
  if (!next) {
    uv_timer_stop(block_timer_.get());
    return;
  }
  // Rounded up to the next whole ms: the timer must not fire before the deadline (if libuv's
  // millisecond clock fires it a little early anyway, the dispatcher finds nothing due and the
  // timer is armed again).
  uint64_t now = MonotonicUs();
  uint64_t wait_ms = *next > now ? (*next - now + 999) / 1000 : 0;
  uv_timer_start(
      block_timer_.get(),
      [](uv_timer_t* h) { static_cast<Server*>(h->data)->dispatcher_->OnTimer(); }, wait_ms, 0);
}

}  // namespace runnel::server
