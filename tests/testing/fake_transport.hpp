#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/transport.hpp"

namespace drover::testing {

/// A transport that records what actors send instead of sending it, so that a test can read
/// each envelope and answer it itself. Thread-safe (`mutex_` guards `sent_`).
class fake_transport final : public cluster::transport {
public:
  /// One recorded envelope and where it was to go.
  struct sent {
    std::string endpoint; ///< send_to: the endpoint
    std::string peer;     ///< reply: the routing id
    runtime::envelope message;
  };

  void send_to(const std::string& endpoint, const runtime::envelope& message) override {
    record({endpoint, {}, message});
  }

  void reply(const std::string& peer, const runtime::envelope& message) override {
    record({{}, peer, message});
  }

  /// Waits up to `timeout` for a recorded envelope, oldest first, that `matches` and takes it
  /// out of the record; nothing on timeout.
  std::optional<sent> take(const std::function<bool(const sent&)>& matches,
                           std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
    std::unique_lock lock{mutex_};
    std::optional<sent> found;
    changed_.wait_for(lock, timeout, [&] {
      for (auto it = sent_.begin(); it != sent_.end(); ++it)
        if (matches(*it)) {
          found = std::move(*it);
          sent_.erase(it);
          return true;
        }
      return false;
    });
    return found;
  }

  /// Waits for the next recorded envelope carrying a `Body` sent to `endpoint`.
  template <class Body>
  std::optional<sent> take_kind(const std::string& endpoint,
                                std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
    return take(
      [&](const sent& candidate) {
        return candidate.endpoint == endpoint && std::holds_alternative<Body>(candidate.message.message);
      },
      timeout);
  }

  /// Forgets everything recorded so far.
  void clear() {
    std::lock_guard lock{mutex_};
    sent_.clear();
  }

private:
  void record(sent item) {
    {
      std::lock_guard lock{mutex_};
      sent_.push_back(std::move(item));
    }
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<sent> sent_;
};

} // namespace drover::testing
