#include "apps/node.hpp"

#include <unistd.h>

#include <filesystem>
#include <thread>

#include <caf/actor_cast.hpp>
#include <caf/atom.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include "actors/catalog.hpp"
#include "actors/job_manager.hpp"
#include "actors/node_actor.hpp"
#include "apps/builtin_tools.hpp"
#include "build_info.hpp"
#include "cluster/curve_keys.hpp"
#include "cluster/inbound_dispatcher.hpp"
#include "cluster/membership.hpp"
#include "runtime/cluster_messages.hpp"
#include "observability/process_metrics.hpp"
#include "runtime/error.hpp"
#include "runtime/job_report.hpp"
#include "runtime/tool_records.hpp"

namespace drover::apps {

namespace {

using runtime::make_error;
using runtime::runtime_errc;

caf::error create_data_dir(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error)
    return make_error(runtime_errc::io_error,
                      "cannot create the data directory " + path + ": " + error.message());
  if (access(path.c_str(), W_OK) != 0)
    return make_error(runtime_errc::io_error, "the data directory " + path + " is not writable");
  return caf::none;
}

std::string node_json(const node_file& file) {
  return nlohmann::json{{"node_id", file.node_id}, {"version", file.version},
                        {"listen", file.listen},   {"advertise", file.advertise}, {"http", file.http},
                        {"metrics", file.metrics}}
    .dump();
}

} // namespace

caf::expected<std::unique_ptr<node>> node::start(const runtime::node_config& config) {
  std::unique_ptr<node> self{new node};
  self->metrics_ = std::make_shared<observability::prometheus_metrics>();
  observability::register_process_metrics(*self->metrics_, drover_version);
  if (auto error = self->open_store(config))
    return error;
  if (auto error = self->load_catalog(config))
    return error;
  self->start_actors(config);
  if (auto error = self->start_transport(config))
    return error;
  self->start_membership(config);
  self->start_catalog(config);
  self->start_jobs(config);
  self->endpoint_->start(
    [dispatcher = self->dispatcher_](std::vector<cluster::inbound_frame> frames) {
      caf::anon_send(dispatcher, cluster::inbound_batch{std::move(frames)});
    },
    [membership = self->membership_](const std::string& endpoint, cluster::peer_event event) {
      caf::anon_send(membership, cluster::connection_event{endpoint, event});
    });
  if (auto error = self->start_servers(config))
    return error;
  if (auto error = write_node_file(self->published_))
    return error;
  self->wrote_node_file_ = true;
  return self;
}

caf::error node::open_store(const runtime::node_config& config) {
  if (auto error = create_data_dir(config.data_dir))
    return error;
  auto opened = runtime::store::open(config.data_dir + "/store");
  if (!opened)
    return opened.error();
  store_ = std::move(*opened);
  auto identity = runtime::record_boot(*store_);
  if (!identity)
    return identity.error();
  identity_ = std::move(*identity);
  published_.node_id = identity_.node_id;
  published_.pid = static_cast<long>(getpid());
  published_.version = drover_version;
  published_.data_dir = config.data_dir;
  return caf::none;
}

caf::error node::load_catalog(const runtime::node_config& config) {
  for (const auto& [source, yaml] : builtin_tool_manifests())
    if (auto error = catalog_.add_yaml(yaml, source))
      return error;
  if (!config.tools_dir.empty())
    if (auto error = catalog_.add_directory(config.tools_dir))
      return error;
  // Manifests added with `drover tools add` last: the user's latest word wins.
  std::vector<std::string> unreadable;
  auto added = runtime::load_user_manifests(*store_, unreadable);
  if (!added)
    return added.error();
  for (const auto& key : unreadable)
    spdlog::error("ignoring the stored manifest {}: it does not verify; add it again", key);
  for (const auto& [source, yaml] : *added)
    if (auto error = catalog_.add_yaml(yaml, source))
      spdlog::error("ignoring a stored manifest that no longer parses: {}", runtime::describe(error));
  return caf::none;
}

void node::start_actors(const runtime::node_config& config) {
  actor_config_ = std::make_unique<caf::actor_system_config>();
  actor_config_->set("scheduler.max-threads", std::max(2U, std::thread::hardware_concurrency()));
  // One shared queue whose idle workers sleep on a condition variable. CAF's default, work
  // stealing, polls for work before it sleeps: a node mostly waits for its tools, and the
  // polling made three quarters of its own CPU time (futex and clock calls, measured with perf).
  actor_config_->set("scheduler.policy", caf::atom("sharing"));
  actors_ = std::make_unique<caf::actor_system>(*actor_config_);
  runner_ = std::make_unique<runtime::process_runner>();
  writer_ = std::make_unique<runtime::checkpoint_writer>(
    *store_, config.durability == "power" ? runtime::durability::power : runtime::durability::process,
    *metrics_);
  char self_exe[4096] = {};
  const auto length = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
  drover_binary_ = length > 0 ? std::string{self_exe, static_cast<size_t>(length)} : std::string{"drover"};
}

void node::start_catalog(const runtime::node_config& config) {
  actors::catalog_setup catalog{store_.get(), &catalog_,          runner_.get(),
                                metrics_.get(), drover_binary_,     config.catalog_shards,
                                {},             config.background_probes,
                                identity_.node_id, membership_};
  catalog_actor_ = actors_->spawn<caf::detached>(actors::catalog, std::move(catalog));
  caf::anon_send(dispatcher_, cluster::exposed_actor{runtime::actor_names::catalog, catalog_actor_, false});
}

void node::start_jobs(const runtime::node_config& config) {
  actors::job_services services;
  services.db = store_.get();
  services.writer = writer_.get();
  services.runner = runner_.get();
  services.catalog = &catalog_;
  services.metrics = metrics_.get();
  services.catalog_actor = catalog_actor_;
  services.cluster = membership_;
  services.node_id = identity_.node_id;
  services.items_in_flight = &items_in_flight_;
  services.jobs_dir = config.data_dir + "/jobs";
  services.mirrors_dir = config.data_dir + "/mirrors";
  services.drover_binary = drover_binary_;
  services.invokers_per_job = config.invokers;
  jobs_ = actors_->spawn<caf::detached>(actors::job_manager, std::move(services));
  caf::anon_send(dispatcher_, cluster::exposed_actor{runtime::actor_names::jobs, jobs_, false});
  register_job_metrics();
}

void node::register_job_metrics() {
  std::vector<std::pair<runtime::job_state, observability::gauge*>> by_state;
  for (auto state : {runtime::job_state::pending, runtime::job_state::planning,
                     runtime::job_state::running, runtime::job_state::assembling,
                     runtime::job_state::succeeded, runtime::job_state::failed,
                     runtime::job_state::cancelled})
    by_state.emplace_back(state, &metrics_->make_gauge("drover_jobs", "Jobs in the store, by state.",
                                                       {{"state", runtime::to_string(state)}}));
  // Counted from the store at each scrape: the store is the truth, and jobs are few.
  metrics_->on_collect([db = store_.get(), by_state] {
    auto jobs = runtime::list_jobs(*db);
    if (!jobs)
      return;
    for (const auto& [state, gauge] : by_state)
      gauge->set(static_cast<double>(std::count_if(
        jobs->begin(), jobs->end(), [state = state](const auto& job) { return job.state == state; })));
  });
}

caf::error node::start_transport(const runtime::node_config& config) {
  std::optional<cluster::curve_keys> keys;
  if (!config.keys_dir.empty()) {
    auto loaded = cluster::load_curve_keys(config.keys_dir);
    if (!loaded)
      return loaded.error();
    keys = std::move(*loaded);
  }
  // Without keys: plain TCP, which runtime::check_cluster_endpoints (run by `drover up`) allows
  // on loopback only; `drover up` says so when it starts.
  zmq_context_ = std::make_unique<zmq::context_t>(1);
  endpoint_ = std::make_unique<cluster::zmq_endpoint>(*zmq_context_, *metrics_, runtime::decode_limits{},
                                                      std::move(keys));
  auto bound = endpoint_->bind(config.listen);
  if (!bound)
    return bound.error();
  published_.listen = *bound;
  published_.advertise = config.advertise.empty() ? *bound : config.advertise;
  node_actor_ = caf::actor_cast<caf::actor>(actors_->spawn(
    actors::node_actor_behavior, identity_,
    runtime::node_hello{identity_.node_id, published_.advertise, drover_version}));
  dispatcher_ = actors_->spawn<caf::detached>(
    cluster::inbound_dispatcher, cluster::dispatcher_context{endpoint_.get(), metrics_.get(), identity_.node_id});
  caf::anon_send(dispatcher_, cluster::exposed_actor{runtime::actor_names::node, node_actor_, false});
  return caf::none;
}

void node::start_membership(const runtime::node_config& config) {
  cluster::membership_setup setup;
  setup.node_id = identity_.node_id;
  setup.endpoint = published_.advertise;
  setup.boot_count = identity_.boot_count;
  setup.catalog_shards = config.catalog_shards;
  setup.seeds = config.join;
  setup.heartbeat_interval = std::chrono::milliseconds{config.heartbeat_interval_ms};
  setup.suspicion_timeout = std::chrono::milliseconds{config.suspicion_timeout_ms};
  setup.out = endpoint_.get();
  setup.metrics = metrics_.get();
  setup.dispatcher = dispatcher_;
  setup.items_in_flight = [count = &items_in_flight_] { return count->load(); };
  membership_ = actors_->spawn<caf::detached>(cluster::membership, std::move(setup));
  caf::anon_send(dispatcher_, cluster::exposed_actor{runtime::actor_names::membership, membership_, true});
}

caf::error node::start_servers(const runtime::node_config& config) {
  metrics_server_ = std::make_unique<http_server>();
  metrics_server_->routes().Get("/metrics", [metrics = metrics_.get()](const httplib::Request&,
                                                                       httplib::Response& response) {
    response.set_content(metrics->render_text(), "text/plain; version=0.0.4");
  });
  auto metrics_port = metrics_server_->bind(config.metrics, "metrics");
  if (!metrics_port)
    return metrics_port.error();
  metrics_server_->start();
  published_.metrics = config.metrics.host + ":" + std::to_string(*metrics_port);
  http_ = std::make_unique<http_api>(*actors_, jobs_, catalog_actor_, membership_, *store_, config.api_token);
  auto port = http_->bind(config.http);
  if (!port)
    return port.error();
  published_.http = config.http.host + ":" + std::to_string(*port);
  http_->start(node_json(published_));
  return caf::none;
}

caf::error node::stop() {
  if (stopped_)
    return caf::none;
  stopped_ = true;
  if (http_)
    http_->stop();
  if (metrics_server_)
    metrics_server_->stop();
  if (endpoint_)
    endpoint_->stop();
  if (actors_) {
    stop_jobs_then_flush_catalog();
    for (auto* actor : {&membership_, &dispatcher_, &node_actor_, &jobs_, &catalog_actor_}) {
      caf::anon_send_exit(*actor, caf::exit_reason::user_shutdown);
      *actor = nullptr;
    }
    actors_->await_all_actors_done();
  }
  runner_.reset(); // kills the process groups of tools still running
  writer_.reset(); // writes what is still queued
  if (wrote_node_file_) {
    std::error_code ignored; // a node.json removed by hand needs no removal
    std::filesystem::remove(node_file_path(published_.data_dir), ignored);
  }
  return store_ ? store_->flush() : caf::none;
}

void node::stop_jobs_then_flush_catalog() {
  caf::scoped_actor self{*actors_};
  if (jobs_) {
    self->send_exit(jobs_, caf::exit_reason::user_shutdown);
    self->wait_for(jobs_);
    jobs_ = nullptr;
  }
  if (catalog_actor_)
    self->request(catalog_actor_, std::chrono::seconds{10}, actors::flush_atom::value)
      .receive([](bool) {},
               [](const caf::error& error) {
                 spdlog::warn("the tool catalog did not confirm its last outcomes: {}", runtime::describe(error));
               });
}

node::~node() {
  if (auto error = stop())
    spdlog::error("stopping the node: {}", runtime::describe(error));
}

} // namespace drover::apps
