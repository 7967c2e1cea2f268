// Transport throughput and round trip between two processes on loopback (issue 5).
//
// One-way: a sender actor sends job_withdrawn messages (the job id pads each envelope to 100
// bytes) through a proxy made by the dispatcher; on the other process the transport hands them
// to the dispatcher, which passes them to an actor exposed as "jobs" that counts them. The
// counter returns a credit every `credit_every` messages through a proxy of its own, so that at
// most `window` messages are in flight (beyond its queues the transport drops, counted: a run
// must be drop-free). The peer is raw cppzmq PUSH/PULL with 100-byte messages between the same
// two processes, measured in the same run, alternating which goes first. Both are timed from
// the first send to the moment the receiver holds the last message (CLOCK_MONOTONIC is shared
// by the two processes).
//
// Round trip: ping -> pong between an actor and the other node's node actor, through proxy,
// transport and dispatcher both ways, one at a time; the peer is raw ZeroMQ REQ/REP with 100
// bytes. Both are measured idle and under a load of 10% of the measured one-way actor peak
// (one-way messages through the same transport, or raw PUSH for the peer, at the same rate).
//
// Usage: transport_bench [messages [rounds [pings]]]  (defaults 2000000 3 20000)

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <zmq.hpp>

#include "actors/node_actor.hpp"
#include "bench/detail/child_process.hpp"
#include "bench/detail/process_clock.hpp"
#include "bench/detail/wired_node.hpp"
#include "cluster/inbound_dispatcher.hpp"
#include "cluster/zmq_endpoint.hpp"
#include "observability/prometheus_metrics.hpp"
#include "runtime/cluster_messages.hpp"
#include "runtime/envelope_codec.hpp"
#include "runtime/error.hpp"
#include "runtime/unix_clock.hpp"

namespace drover::bench {

/// Round-trip times in nanoseconds, from the pinger.
struct latency_samples {
  std::vector<int64_t> ns;
};

} // namespace drover::bench

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::bench::latency_samples)

namespace drover::bench {
namespace {

using namespace std::chrono_literals;
using detail::child_process;
using detail::cpu_us;
using detail::now_ns;
using detail::report;

constexpr size_t payload_bytes = 100;
constexpr uint64_t window = 8192;
constexpr uint64_t credit_every = 1024;
constexpr size_t warmup_messages = 200000;
const std::string sender_node = "5e4d000000000001";
const std::string receiver_node = "7ece000000000002";
const std::string jobs = runtime::actor_names::jobs;

using go_atom = caf::atom_constant<caf::atom("go")>;
using pace_atom = caf::atom_constant<caf::atom("pace")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using target_atom = caf::atom_constant<caf::atom("target")>;
using measure_atom = caf::atom_constant<caf::atom("measure")>;

/// Returns the one-way message of the benchmark: a job_withdrawn carrying a 100-byte job id
/// (the envelope around it, with both actors' addresses, is about 200 bytes more).
runtime::job_withdrawn padded_message() {
  return {std::string(payload_bytes, 'j'), false};
}

size_t envelope_size(const runtime::job_withdrawn& body) {
  return runtime::encode(runtime::envelope{{sender_node, "proxy/" + receiver_node + "/" + jobs},
                                           {receiver_node, jobs}, 0, 0, runtime::unix_now_ms(), body})
    .size();
}

// ---- the receiving process --------------------------------------------------------------

struct counter_state {
  uint64_t received = 0;
  uint64_t target = 0;
  bool reported = true;
  caf::actor credits; ///< proxy of the sender's "jobs"
  static inline const char* name = "bench.counter";
};

/// Counts job_withdrawn messages; every credit_every of them it tells the sender how many it
/// has, and it reports "actor NS" on reaching the target (set by target_atom, acknowledged with
/// "target").
caf::behavior counting_jobs(caf::stateful_actor<counter_state>* self) {
  auto check = [self] {
    auto& st = self->state;
    if (!st.reported && st.received >= st.target) {
      st.reported = true;
      report("actor " + std::to_string(now_ns()) + " " + std::to_string(cpu_us()));
    }
  };
  return {
    [self, check](const runtime::job_withdrawn&) {
      auto& st = self->state;
      ++st.received;
      if (st.received % credit_every == 0 && st.credits)
        self->send(st.credits, runtime::job_withdrawn{std::to_string(st.received), false});
      check();
    },
    [self, check](target_atom, uint64_t target) {
      self->state.target = target;
      self->state.reported = false;
      report("target " + std::to_string(cpu_us()));
      check();
    },
    [self](const caf::actor& credits) { self->state.credits = credits; },
  };
}

std::string stats_of(const observability::prometheus_metrics& metrics) {
  const auto text = metrics.render_text();
  std::ostringstream out;
  out << "dropped=" << detail::metric_sum(text, "drover_transport_sends_dropped_total")
      << " rejected=" << detail::metric_sum(text, "drover_transport_frames_rejected_total")
      << " undeliverable=" << detail::metric_sum(text, "drover_transport_undeliverable_total");
  return out.str();
}

/// The receiving process: raw PULL and REP sockets, and a node's endpoint and dispatcher with a
/// counting "jobs" and the node actor. Quits when its stdin closes.
int serve() {
  zmq::context_t raw_context{1};
  zmq::socket_t pull{raw_context, zmq::socket_type::pull};
  zmq::socket_t rep{raw_context, zmq::socket_type::rep};
  pull.bind("tcp://127.0.0.1:*");
  rep.bind("tcp://127.0.0.1:*");
  std::atomic<uint64_t> raw_target{0};
  std::thread puller{[&] {
    try {
      uint64_t count = 0;
      zmq::message_t message;
      while (pull.recv(message)) {
        if (++count == raw_target.load(std::memory_order_relaxed))
          report("raw " + std::to_string(now_ns()) + " " + std::to_string(cpu_us()));
      }
    } catch (const zmq::error_t&) {
    }
  }};
  std::thread echo{[&] {
    try {
      zmq::message_t message;
      while (rep.recv(message))
        rep.send(message, zmq::send_flags::none);
    } catch (const zmq::error_t&) {
    }
  }};

  observability::prometheus_metrics metrics;
  detail::wired_node node{receiver_node, metrics};
  auto counter = node.system().spawn(counting_jobs);
  auto node_actor = caf::actor_cast<caf::actor>(node.system().spawn(
    actors::node_actor_behavior, runtime::node_identity{receiver_node, 1, 0, 0},
    runtime::node_hello{receiver_node, node.endpoint(), "bench"}));
  node.expose(jobs, counter);
  node.expose(runtime::actor_names::node, node_actor);
  node.start();
  report("ready " + node.endpoint() + " " + pull.get(zmq::sockopt::last_endpoint) + " "
         + rep.get(zmq::sockopt::last_endpoint));

  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream words{line};
    std::string command;
    words >> command;
    if (command == "sender") {
      std::string sender_endpoint;
      words >> sender_endpoint;
      caf::anon_send(counter, node.proxy(sender_node, sender_endpoint, jobs));
      report("ok");
    } else if (command == "raw") {
      uint64_t target = 0;
      words >> target;
      raw_target = target;
      report("ok " + std::to_string(cpu_us()));
    } else if (command == "actor") {
      uint64_t target = 0;
      words >> target;
      caf::anon_send(counter, target_atom::value, target);
    } else if (command == "stats") {
      report("stats " + stats_of(metrics));
    }
  }
  raw_context.shutdown();
  puller.join();
  echo.join();
  return 0;
}

// ---- the sending process ----------------------------------------------------------------

struct sender_state {
  caf::actor proxy;
  runtime::job_withdrawn message;
  uint64_t total = 0;    ///< send up to this many (cumulative)
  uint64_t sent = 0;
  uint64_t credited = 0; ///< what the counter has received, as of its last credit
  double pace_rate = 0;  ///< messages per second while pacing; 0 when not
  int64_t pace_start_ns = 0;
  uint64_t pace_sent = 0;
  static inline const char* name = "bench.sender";
};

/// Sends the benchmark's one-way messages to `proxy`: (go_atom, total) as fast as the window
/// allows, (pace_atom, rate) at a steady rate until stop_atom, which answers the count sent.
/// Exposed as "jobs" to take the counter's credits.
caf::behavior windowed_sender(caf::stateful_actor<sender_state>* self, caf::actor proxy,
                              runtime::job_withdrawn message) {
  self->state.proxy = std::move(proxy);
  self->state.message = std::move(message);
  auto fill = [self] {
    auto& st = self->state;
    while (st.sent < st.total && st.sent - std::min(st.sent, st.credited) < window) {
      self->send(st.proxy, st.message);
      ++st.sent;
    }
  };
  return {
    [self, fill](go_atom, uint64_t total) {
      self->state.total = total;
      fill();
    },
    [self, fill](const runtime::job_withdrawn& credit) {
      self->state.credited = std::max<uint64_t>(self->state.credited, std::stoull(credit.job_id));
      fill();
    },
    [self](pace_atom, double rate) {
      auto& st = self->state;
      st.pace_rate = rate;
      st.pace_start_ns = now_ns();
      st.pace_sent = 0;
      self->send(self, tick_atom::value);
    },
    [self, fill](tick_atom) {
      auto& st = self->state;
      if (st.pace_rate == 0)
        return;
      const auto due = static_cast<uint64_t>(st.pace_rate * static_cast<double>(now_ns() - st.pace_start_ns) / 1e9);
      st.total += due - std::min(due, st.pace_sent);
      st.pace_sent = std::max(st.pace_sent, due);
      fill();
      self->delayed_send(self, 1ms, tick_atom::value);
    },
    [self](stop_atom) {
      self->state.pace_rate = 0;
      return self->state.total;
    },
  };
}

struct pinger_state {
  caf::actor node; ///< proxy of the receiver's node actor
  latency_samples samples;
  uint64_t left = 0;
  uint64_t nonce = 0;
  int64_t sent_ns = 0;
  caf::response_promise done;
  static inline const char* name = "bench.pinger";
};

void ping_next(caf::stateful_actor<pinger_state>* self) {
  auto& st = self->state;
  st.sent_ns = now_ns();
  self->request(st.node, 5s, runtime::ping{++st.nonce})
    .then(
      [self](const runtime::pong&) {
        auto& st = self->state;
        st.samples.ns.push_back(now_ns() - st.sent_ns);
        if (--st.left == 0)
          st.done.deliver(std::move(st.samples));
        else
          ping_next(self);
      },
      [self](const caf::error& error) { self->state.done.deliver(error); });
}

/// Pings the node actor behind `node` one at a time: (measure_atom, count) -> latency_samples.
caf::behavior pinger(caf::stateful_actor<pinger_state>* self, caf::actor node) {
  self->state.node = std::move(node);
  return {
    [self](measure_atom, uint64_t count) {
      auto& st = self->state;
      st.samples.ns.clear();
      st.samples.ns.reserve(count);
      st.left = count;
      st.done = self->make_response_promise();
      ping_next(self);
      return st.done;
    },
  };
}

struct percentiles {
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;
};

percentiles percentiles_of(std::vector<int64_t> ns) {
  std::sort(ns.begin(), ns.end());
  auto at = [&ns](double q) { return static_cast<double>(ns[static_cast<size_t>(q * static_cast<double>(ns.size() - 1))]) / 1e3; };
  return {at(0.5), at(0.99), static_cast<double>(ns.back()) / 1e3};
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

/// The sending side of every measurement, with the receiver process it drives.
class sending_side {
public:
  explicit sending_side(child_process& receiver) : receiver_(receiver) {
    std::istringstream ready{receiver_.read_line()};
    std::string word;
    ready >> word >> drover_endpoint_ >> pull_endpoint_ >> rep_endpoint_;
    if (word != "ready")
      throw std::runtime_error{"the receiver did not start: " + word};
    push_.connect(pull_endpoint_);
    req_.connect(rep_endpoint_);
    node_.start();
    receiver_.send("sender " + node_.endpoint());
    expect("ok");
    message_ = padded_message();
    sender_ = node_.system().spawn(windowed_sender, node_.proxy(receiver_node, drover_endpoint_, jobs), message_);
    node_.expose(jobs, sender_);
    pinger_ = node_.system().spawn(pinger, node_.proxy(receiver_node, drover_endpoint_, runtime::actor_names::node));
    node_.stop_with_node(pinger_);
  }

  size_t envelope_bytes() const { return envelope_size(message_); }

  /// Returns the CPU time both processes used per message in the last throughput run (us).
  double cpu_per_message_us() const { return last_cpu_per_message_us_; }

  /// Sends `count` raw messages of `size` bytes; returns messages per second.
  double raw_throughput(uint64_t count, size_t size = payload_bytes) {
    raw_total_ += count;
    receiver_.send("raw " + std::to_string(raw_total_));
    expect("ok");
    const std::string payload(size, 'p');
    sender_cpu_before_ = cpu_us();
    const auto start = now_ns();
    for (uint64_t i = 0; i < count; ++i)
      push_.send(zmq::buffer(payload), zmq::send_flags::none);
    return rate(count, start, "raw");
  }

  /// Sends `count` one-way messages actor to actor; returns messages per second.
  double actor_throughput(uint64_t count) {
    set_actor_target(actor_total_ + count);
    sender_cpu_before_ = cpu_us();
    const auto start = now_ns();
    caf::anon_send(sender_, go_atom::value, actor_total_);
    return rate(count, start, "actor");
  }

  /// Round trips of raw REQ/REP, with raw PUSH at `load` messages per second meanwhile.
  std::vector<int64_t> raw_round_trips(uint64_t count, double load) {
    const std::string payload(payload_bytes, 'q');
    zmq::message_t answer;
    std::atomic<bool> loading{load > 0};
    uint64_t loaded = 0;
    std::thread loader;
    if (load > 0)
      loader = std::thread{[&] {
        const auto start = now_ns();
        while (loading.load()) {
          const auto due = static_cast<uint64_t>(load * static_cast<double>(now_ns() - start) / 1e9);
          for (; loaded < due; ++loaded)
            push_.send(zmq::buffer(payload), zmq::send_flags::none);
          std::this_thread::sleep_for(1ms);
        }
      }};
    std::vector<int64_t> samples;
    samples.reserve(count);
    for (uint64_t i = 0; i < count + 1000; ++i) {
      const auto start = now_ns();
      req_.send(zmq::buffer(payload), zmq::send_flags::none);
      if (!req_.recv(answer))
        throw std::runtime_error{"REQ/REP: no answer"};
      if (i >= 1000)
        samples.push_back(now_ns() - start);
    }
    if (load > 0) {
      loading = false;
      loader.join();
      // Every paced message must arrive too: a marker sent after them completes the target.
      raw_total_ += loaded + 1;
      receiver_.send("raw " + std::to_string(raw_total_));
      expect("ok");
      push_.send(zmq::buffer(payload), zmq::send_flags::none);
      rate(1, now_ns(), "raw");
    }
    return samples;
  }

  /// Round trips of ping/pong actor to actor, with one-way messages at `load` per second
  /// through the same transport meanwhile.
  std::vector<int64_t> actor_round_trips(uint64_t count, double load) {
    caf::scoped_actor self{node_.system()};
    if (load > 0)
      caf::anon_send(sender_, pace_atom::value, load);
    std::vector<int64_t> samples;
    self->request(pinger_, 300s, measure_atom::value, count + 1000)
      .receive([&](latency_samples& got) { samples.assign(got.ns.begin() + 1000, got.ns.end()); },
               [](const caf::error& error) { throw std::runtime_error{"ping: " + runtime::describe(error)}; });
    if (load > 0) {
      self->request(sender_, 10s, stop_atom::value)
        .receive([&](uint64_t total) { actor_total_ = total; },
                 [](const caf::error& error) { throw std::runtime_error{runtime::describe(error)}; });
      // Every paced message must arrive too (a drop would show here as a timeout).
      set_actor_target(actor_total_);
      receiver_.read_line();
    }
    return samples;
  }

  /// Returns the drop and rejection counters of both sides.
  std::string stats() {
    receiver_.send("stats");
    auto line = receiver_.read_line();
    return "sender " + stats_of(metrics_) + "; receiver " + line.substr(line.find(' ') + 1);
  }

private:
  /// Reads the next report, which must start with `word`; keeps the receiver's CPU time if
  /// the report gives it.
  void expect(const std::string& word) {
    auto line = receiver_.read_line();
    std::istringstream words{line};
    std::string first;
    words >> first;
    if (first != word)
      throw std::runtime_error{"expected '" + word + "' from the receiver, got '" + line + "'"};
    words >> receiver_cpu_us_;
  }

  void set_actor_target(uint64_t target) {
    actor_total_ = target;
    receiver_.send("actor " + std::to_string(target));
    expect("target");
  }

  /// Waits for the receiver's `kind` report that the last of `count` messages sent since
  /// `start` arrived; returns messages per second, and the CPU both processes used per message.
  double rate(uint64_t count, int64_t start, const std::string& kind) {
    const auto receiver_cpu_before = receiver_cpu_us_;
    std::string line;
    try {
      line = receiver_.read_line(std::chrono::seconds{60});
    } catch (const std::exception& error) {
      throw std::runtime_error{std::string{error.what()} + " (lost messages? " + stats() + ")"};
    }
    std::istringstream words{line};
    std::string word;
    int64_t last = 0;
    words >> word >> last >> receiver_cpu_us_;
    if (word != kind)
      throw std::runtime_error{"expected '" + kind + "', got '" + line + "'"};
    last_cpu_per_message_us_ = static_cast<double>(receiver_cpu_us_ - receiver_cpu_before + cpu_us() - sender_cpu_before_)
                               / static_cast<double>(count);
    return static_cast<double>(count) / (static_cast<double>(last - start) / 1e9);
  }

  int64_t receiver_cpu_us_ = 0;
  int64_t sender_cpu_before_ = 0;
  double last_cpu_per_message_us_ = 0;

  child_process& receiver_;
  std::string drover_endpoint_;
  std::string pull_endpoint_;
  std::string rep_endpoint_;
  zmq::context_t raw_context_{1};
  zmq::socket_t push_{raw_context_, zmq::socket_type::push};
  zmq::socket_t req_{raw_context_, zmq::socket_type::req};
  observability::prometheus_metrics metrics_;
  detail::wired_node node_{sender_node, metrics_};
  caf::actor sender_;
  caf::actor pinger_;
  runtime::job_withdrawn message_;
  uint64_t raw_total_ = 0;
  uint64_t actor_total_ = 0;
};

void print_latency(const char* what, const percentiles& ours, const percentiles& raw) {
  std::printf("  %-28s p50 %7.1f us  p99 %7.1f us  max %8.1f us | raw REQ/REP p50 %7.1f us  p99 %7.1f us"
              "  | ratio p99 %.2f\n",
              what, ours.p50_us, ours.p99_us, ours.max_us, raw.p50_us, raw.p99_us, ours.p99_us / raw.p99_us);
}

int run(uint64_t messages, uint64_t rounds, uint64_t pings) {
  const double load_before = detail::load_average();
  child_process receiver{{"--serve"}};
  sending_side side{receiver};
  std::printf("transport_bench: two processes on 127.0.0.1, 100-byte payloads (raw messages; the job id "
              "of job_withdrawn in %zu-byte envelopes), window %llu, %llu messages per round, %llu rounds; load average %.2f\n",
              side.envelope_bytes(), static_cast<unsigned long long>(window),
              static_cast<unsigned long long>(messages), static_cast<unsigned long long>(rounds), load_before);
  side.raw_throughput(warmup_messages);
  side.actor_throughput(warmup_messages);
  std::vector<double> ours;
  std::vector<double> raw;
  std::vector<double> ours_cpu;
  std::vector<double> raw_cpu;
  auto actor_round = [&] {
    ours.push_back(side.actor_throughput(messages));
    ours_cpu.push_back(side.cpu_per_message_us());
  };
  auto raw_round = [&] {
    raw.push_back(side.raw_throughput(messages));
    raw_cpu.push_back(side.cpu_per_message_us());
  };
  for (uint64_t round = 0; round < rounds; ++round) {
    // Alternating which goes first, so that neither always follows the other's leftovers.
    if (round % 2 == 0) {
      raw_round();
      actor_round();
    } else {
      actor_round();
      raw_round();
    }
    std::printf("  round %llu: actor-to-actor %10.0f msg/s (%.2f us CPU/msg)   raw PUSH/PULL %10.0f msg/s "
                "(%.2f us CPU/msg)   ratio %.3f\n",
                static_cast<unsigned long long>(round + 1), ours.back(), ours_cpu.back(), raw.back(),
                raw_cpu.back(), ours.back() / raw.back());
    std::fflush(stdout);
  }
  const double peak = median(ours);
  const double raw_peak = median(raw);
  std::printf("  one-way actor-to-actor    %10.0f msg/s (median; target >= 1,000,000)\n", peak);
  std::printf("  raw cppzmq PUSH/PULL      %10.0f msg/s (median)\n", raw_peak);
  std::printf("  ratio actor/raw           %10.3f       (target >= 0.50)\n", peak / raw_peak);
  std::printf("  CPU per message, both processes: actor %.2f us, raw %.2f us (medians; 2 cores give "
              "2,000,000 us per second)\n",
              median(ours_cpu), median(raw_cpu));
  const double raw_envelope = side.raw_throughput(messages, side.envelope_bytes());
  std::printf("  raw PUSH/PULL with %zu-byte messages (the envelope's size), once: %.0f msg/s; ratio %.3f\n",
              side.envelope_bytes(), raw_envelope, peak / raw_envelope);
  std::fflush(stdout);

  const double load = peak / 10;
  std::fprintf(stderr, "round trips: raw idle\n");
  const auto idle_raw = percentiles_of(side.raw_round_trips(pings, 0));
  std::fprintf(stderr, "round trips: actor idle\n");
  const auto idle_ours = percentiles_of(side.actor_round_trips(pings, 0));
  std::fprintf(stderr, "round trips: raw loaded\n");
  const auto loaded_raw = percentiles_of(side.raw_round_trips(pings, load));
  std::fprintf(stderr, "round trips: actor loaded\n");
  const auto loaded_ours = percentiles_of(side.actor_round_trips(pings, load));
  std::printf("  round trips, %llu each, one at a time (ping -> pong through proxy and dispatcher):\n",
              static_cast<unsigned long long>(pings));
  print_latency("idle", idle_ours, idle_raw);
  char loaded[64];
  std::snprintf(loaded, sizeof(loaded), "at %.0f msg/s (10%% of peak)", load);
  print_latency(loaded, loaded_ours, loaded_raw);
  std::printf("  target: p99 <= 150 us at 10%% of peak\n");
  std::printf("  drops and rejections: %s\n", side.stats().c_str());
  std::printf("  load average %.2f at the end\n", detail::load_average());
  std::fflush(stdout);
  return 0;
}

} // namespace
} // namespace drover::bench

int main(int argc, char** argv) {
  if (argc > 1 && std::string{argv[1]} == "--serve")
    return drover::bench::serve();
  const uint64_t messages = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000000;
  const uint64_t rounds = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 3;
  const uint64_t pings = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 20000;
  try {
    return drover::bench::run(messages, rounds, pings);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "transport_bench: %s\n", error.what());
    return 1;
  }
}
