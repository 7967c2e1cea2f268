#pragma once

// The transport half of a node, wired as apps/node.cpp wires it, for the cluster benchmarks.

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <zmq.hpp>

#include "cluster/inbound_dispatcher.hpp"
#include "cluster/zmq_endpoint.hpp"
#include "observability/metrics.hpp"
#include "runtime/cluster_messages.hpp"
#include "runtime/error.hpp"

namespace drover::bench::detail {

/// An actor system with a node's scheduler, a zmq_endpoint bound to 127.0.0.1 (a free port)
/// and the dispatcher it hands every envelope to. On destruction it stops the endpoint and the
/// actors it was given, waits for every actor to finish, and only then lets the endpoint go.
/// Not thread-safe: used by the thread that made it.
class wired_node {
public:
  /// Borrows `metrics`, which must outlive the node.
  wired_node(std::string node_id, observability::metrics& metrics)
    : node_id_(std::move(node_id)), system_(configured(config_)) {
    endpoint_ = std::make_unique<cluster::zmq_endpoint>(context_, metrics);
    auto bound = endpoint_->bind({"127.0.0.1", 0});
    if (!bound)
      throw std::runtime_error{runtime::describe(bound.error())};
    bound_ = *bound;
    dispatcher_ = system_.spawn<caf::detached>(cluster::inbound_dispatcher,
                                               cluster::dispatcher_context{endpoint_.get(), &metrics, node_id_});
  }

  ~wired_node() {
    endpoint_->stop();
    for (const auto& actor : stopped_on_exit_)
      caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(dispatcher_, caf::exit_reason::user_shutdown);
    system_.await_all_actors_done();
    // The endpoint's handler holds the dispatcher: a detached actor's thread ends only once
    // every handle is gone, and the system waits for those threads.
    endpoint_.reset();
    dispatcher_ = nullptr;
    stopped_on_exit_.clear();
  }
  wired_node(const wired_node&) = delete;
  wired_node& operator=(const wired_node&) = delete;

  caf::actor_system& system() { return system_; }
  const std::string& node_id() const { return node_id_; }
  const std::string& endpoint() const { return bound_; }
  cluster::zmq_endpoint& transport() { return *endpoint_; }

  /// Registers `actor` with the dispatcher as `name` and stops it with the node.
  void expose(const std::string& name, const caf::actor& actor) {
    caf::anon_send(dispatcher_, cluster::exposed_actor{name, actor, false});
    stop_with_node(actor);
  }

  /// Stops `actor` (sends it an exit) when the node goes.
  void stop_with_node(const caf::actor& actor) { stopped_on_exit_.push_back(actor); }

  /// Starts the endpoint's I/O thread, which hands every envelope to the dispatcher.
  void start() {
    endpoint_->start(
      [dispatcher = dispatcher_](std::vector<cluster::inbound_frame> frames) {
        caf::anon_send(dispatcher, cluster::inbound_batch{std::move(frames)});
      },
      {});
  }

  /// Returns the dispatcher's proxy of the actor `name` of node `node` at `endpoint`.
  caf::actor proxy(const std::string& node, const std::string& endpoint, const std::string& name) {
    caf::scoped_actor self{system_};
    caf::actor proxy;
    self->request(dispatcher_, std::chrono::seconds{10}, runtime::remote_atom::value, node, endpoint, name)
      .receive([&](const caf::actor& made) { proxy = made; },
               [](const caf::error& error) { throw std::runtime_error{"no proxy: " + runtime::describe(error)}; });
    return proxy;
  }

private:
  static caf::actor_system_config& configured(caf::actor_system_config& config) {
    // As apps/node.cpp configures a node.
    config.set("scheduler.max-threads", std::max(2U, std::thread::hardware_concurrency()));
    config.set("scheduler.policy", caf::atom("sharing"));
    return config;
  }

  std::string node_id_;
  caf::actor_system_config config_;
  caf::actor_system system_;
  zmq::context_t context_{1};
  std::unique_ptr<cluster::zmq_endpoint> endpoint_;
  std::string bound_;
  caf::actor dispatcher_;
  std::vector<caf::actor> stopped_on_exit_;
};

} // namespace drover::bench::detail
