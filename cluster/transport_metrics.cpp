#include "cluster/transport_metrics.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace drover::cluster {

namespace {

// In the order of the alternatives of runtime::wire_message.
constexpr std::array<const char*, 20> kind_names{
  "ping",      "pong",        "node_hello",  "join_request", "member_list", "job_offer",
  "job_withdrawn", "lease_request", "lease_grant", "item_report", "report_ack",
  "shard_corpus_request", "shard_corpus_reply", "shard_rank_request", "shard_rank_reply",
  "shard_hits_request", "shard_hits_reply", "shard_outcome", "shard_stats_request",
  "shard_stats_reply"};
static_assert(kind_names.size() == message_kind_count,
              "name the new wire_message alternative in kind_names, in variant order");

constexpr std::array<const char*, 4> rejection_names{"malformed", "oversized", "framing", "auth"};
constexpr std::array<const char*, 2> drop_names{"peer_gone", "queue_full"};
constexpr std::array<const char*, 6> refusal_names{"unknown_key",        "mechanism",
                                                   "malformed_request",  "mechanism_mismatch",
                                                   "cryptographic",      "handshake"};
// What a refusal's log line says, in the order of auth_refusal.
constexpr std::array<const char*, 6> refusal_explanations{
  "its CURVE public key is not in authorized_keys",
  "it did not use CURVE",
  "a malformed ZAP request",
  "security on one side only (a peer without keys, or with keys for a keyless node)",
  "it expects another cluster key (cluster.key)",
  "the handshake failed"};
constexpr std::array<const char*, 3> state_names{"connecting", "connected", "refused"};

constexpr double log_burst = 10;

template <size_t N>
std::array<observability::counter*, N>
make_counters(observability::metrics& metrics, const std::string& name, const std::string& help,
              const std::string& label, const std::array<const char*, N>& values) {
  std::array<observability::counter*, N> counters{};
  for (size_t i = 0; i < N; ++i)
    counters[i] = &metrics.make_counter(name, help, {{label, values[i]}});
  return counters;
}

} // namespace

const char* message_kind_name(size_t index) {
  return index < kind_names.size() ? kind_names[index] : "unknown";
}

transport_metrics::transport_metrics(observability::metrics& metrics)
  : sent_frames_(make_counters(metrics, "drover_transport_frames_sent_total",
                               "Envelopes handed to ZeroMQ for a peer, by message kind.", "kind",
                               kind_names)),
    sent_bytes_(make_counters(metrics, "drover_transport_bytes_sent_total",
                              "Bytes of the envelopes sent, by message kind.", "kind", kind_names)),
    received_frames_(make_counters(metrics, "drover_transport_frames_received_total",
                                   "Verified envelopes received from peers, by message kind.",
                                   "kind", kind_names)),
    received_bytes_(make_counters(metrics, "drover_transport_bytes_received_total",
                                  "Bytes of the verified envelopes received, by message kind.",
                                  "kind", kind_names)),
    rejected_(make_counters(metrics, "drover_transport_frames_rejected_total",
                            "Inbound frames dropped before reaching any actor, by reason (auth: "
                            "one per connection refused during its handshake).",
                            "reason", rejection_names)),
    dropped_(make_counters(metrics, "drover_transport_sends_dropped_total",
                           "Envelopes not sent because the peer was gone or its queue was full.",
                           "reason", drop_names)),
    auth_rejected_(make_counters(metrics, "drover_transport_auth_rejected_total",
                                 "Connections refused during the handshake, by reason.", "reason",
                                 refusal_names)) {
  for (size_t i = 0; i < state_names.size(); ++i)
    connections_[i] = &metrics.make_gauge("drover_transport_outbound_connections",
                                          "Outbound connections to peers, by state.",
                                          {{"state", state_names[i]}});
}

void transport_metrics::publish_sent(kind_tally& tally) {
  publish(tally, sent_frames_, sent_bytes_);
}

void transport_metrics::publish_received(kind_tally& tally) {
  publish(tally, received_frames_, received_bytes_);
}

void transport_metrics::publish(kind_tally& tally,
                                std::array<observability::counter*, message_kind_count>& frames,
                                std::array<observability::counter*, message_kind_count>& bytes) {
  for (size_t kind = 0; kind < message_kind_count; ++kind) {
    if (tally.frames[kind] == 0)
      continue;
    frames[kind]->increment(static_cast<double>(tally.frames[kind]));
    bytes[kind]->increment(static_cast<double>(tally.bytes[kind]));
  }
  tally = {};
}

void transport_metrics::rejected(frame_rejection reason) {
  rejected_[static_cast<size_t>(reason)]->increment();
}

void transport_metrics::dropped(send_drop reason, size_t count) {
  if (count > 0)
    dropped_[static_cast<size_t>(reason)]->increment(static_cast<double>(count));
}

void transport_metrics::moved(connection_state from, connection_state to) {
  add_connection(from, -1);
  add_connection(to, 1);
}

void transport_metrics::add_connection(connection_state state, int delta) {
  connections_[static_cast<size_t>(state)]->add(delta);
}

void transport_metrics::auth_refused(auth_refusal reason, const std::string& address,
                                     const std::string& key) {
  auth_rejected_[static_cast<size_t>(reason)]->increment();
  rejected(frame_rejection::auth);
  const auto now = std::chrono::steady_clock::now();
  const std::chrono::duration<double> elapsed = now - log_refilled_;
  log_tokens_ = std::min(log_burst, log_tokens_ + elapsed.count());
  log_refilled_ = now;
  if (log_tokens_ < 1) {
    ++log_suppressed_;
    return;
  }
  log_tokens_ -= 1;
  const auto left_out = log_suppressed_ == 0
                        ? std::string{}
                        : " (" + std::to_string(log_suppressed_) + " earlier refusals not logged)";
  log_suppressed_ = 0;
  spdlog::warn("transport: refused a connection from {} with key {}: {} [{}]{}",
               address.empty() ? "an unknown address" : address, key.empty() ? "(none)" : key,
               refusal_explanations[static_cast<size_t>(reason)],
               refusal_names[static_cast<size_t>(reason)], left_out);
}

} // namespace drover::cluster
