#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <zmq.hpp>

#include "cluster/zmq_endpoint.hpp"
#include "observability/prometheus_metrics.hpp"
#include "runtime/error.hpp"

namespace drover::testing {

/// A zmq_endpoint on a free loopback port, in its own ZeroMQ context (a context holds one ZAP
/// handler), whose handlers record every envelope and peer event; it answers a ping that came
/// in on its listener with a pong, as a node would. Thread-safe (`mutex_` guards what was
/// recorded).
class recording_endpoint {
public:
  /// An envelope as the handler got it.
  using arrival = cluster::inbound_frame;

  explicit recording_endpoint(std::optional<cluster::curve_keys> keys = std::nullopt,
                              runtime::decode_limits limits = {})
    : endpoint_(std::make_unique<cluster::zmq_endpoint>(context_, metrics_, limits, std::move(keys))) {
    auto bound = endpoint_->bind({"127.0.0.1", 0});
    if (!bound)
      throw std::runtime_error(runtime::describe(bound.error()));
    address_ = *bound;
    endpoint_->start(
      [this](std::vector<cluster::inbound_frame> frames) {
        for (const auto& [source, message] : frames)
          if (!source.peer.empty() && std::holds_alternative<runtime::ping>(message.message)) {
            const auto nonce = std::get<runtime::ping>(message.message).nonce;
            endpoint_->reply(source.peer, runtime::envelope{message.receiver, message.sender, 0,
                                                            message.message_id, 0,
                                                            runtime::pong{nonce, "recorder", 1, 0}});
          }
        std::unique_lock lock{mutex_};
        for (auto& frame : frames)
          arrivals_.push_back(std::move(frame));
        // Waking a waiter for every envelope of a stream would cost more than receiving it.
        if (arrivals_.size() >= awaited_) {
          lock.unlock();
          changed_.notify_all();
        }
      },
      [this](const std::string& endpoint, cluster::peer_event event) {
        {
          std::lock_guard guard{mutex_};
          events_.emplace_back(endpoint, event);
        }
        changed_.notify_all();
      });
  }

  /// Stops the endpoint before what its handlers record goes.
  ~recording_endpoint() { endpoint_->stop(); }
  recording_endpoint(const recording_endpoint&) = delete;
  recording_endpoint& operator=(const recording_endpoint&) = delete;

  cluster::zmq_endpoint& endpoint() { return *endpoint_; }

  /// Returns the endpoint it listens at, tcp://127.0.0.1:PORT.
  const std::string& address() const { return address_; }

  /// Waits up to `timeout` until `count` envelopes arrived; returns how many did.
  size_t wait_for_arrivals(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock{mutex_};
    awaited_ = count;
    changed_.wait_for(lock, timeout, [&] { return arrivals_.size() >= count; });
    return arrivals_.size();
  }

  /// Returns the envelopes that arrived so far.
  std::vector<arrival> arrivals() {
    std::lock_guard guard{mutex_};
    return arrivals_;
  }

  /// Waits up to `timeout` until the peer handler got `event` for `endpoint` (counting from the
  /// start); returns whether it did.
  bool wait_for_event(const std::string& endpoint, cluster::peer_event event,
                      std::chrono::milliseconds timeout) {
    std::unique_lock lock{mutex_};
    return changed_.wait_for(lock, timeout, [&] {
      return std::find(events_.begin(), events_.end(), std::pair{endpoint, event}) != events_.end();
    });
  }

  /// Returns the value of the metric line starting with `name` (name and labels as rendered),
  /// or 0 when there is no such line.
  double metric(const std::string& name) const {
    const auto text = metrics_.render_text();
    const auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? 0 : std::stod(text.substr(at + name.size() + 2));
  }

  /// Waits up to `timeout` until metric `name` reaches `at_least`; returns its last value.
  double wait_for_metric(const std::string& name, double at_least,
                         std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto value = metric(name);
    while (value < at_least && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
      value = metric(name);
    }
    return value;
  }

private:
  zmq::context_t context_{1};
  observability::prometheus_metrics metrics_;
  std::unique_ptr<cluster::zmq_endpoint> endpoint_;
  std::string address_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<arrival> arrivals_;
  size_t awaited_ = 0; ///< the arrival count a waiter waits for
  std::vector<std::pair<std::string, cluster::peer_event>> events_;
};

} // namespace drover::testing
