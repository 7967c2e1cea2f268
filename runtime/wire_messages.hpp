#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>

#include "runtime/catalog_wire_messages.hpp"
#include "runtime/job_model.hpp"

namespace drover::runtime {

/// Names one actor: the node it lives on and its registered name there.
struct actor_address {
  std::string node;
  std::string name;
};

// A request kind names the kind of its reply as `reply`; the other kinds are one-way or replies.
struct pong;
struct member_list;
struct lease_grant;
struct report_ack;

/// Asks the receiver to answer with a `pong` carrying the same nonce.
struct ping {
  using reply = pong;
  uint64_t nonce = 0;
};

/// Answers a `ping`: who answered, how many times that node has booted, and how many work
/// items its invokers hold right now.
struct pong {
  uint64_t nonce = 0;
  std::string node_id;
  uint64_t boot_count = 0;
  uint32_t items_in_flight = 0;
};

/// Introduces a node to a peer.
struct node_hello {
  using reply = node_hello;
  std::string node_id;
  std::string endpoint;
  std::string version;
};

/// How one node sees another.
enum class member_state : uint8_t {
  alive,   ///< heard from within the suspicion timeout
  suspect, ///< silent for more than half the suspicion timeout
  dead,    ///< silent for the whole timeout, or its connection dropped
};

/// One member of the cluster as a node knows it.
struct member_info {
  std::string node_id;
  std::string endpoint;       ///< the ZeroMQ endpoint it advertises, tcp://HOST:PORT
  uint64_t boot_count = 0;    ///< grows on every restart: a higher one is a rejoin
  member_state state = member_state::alive;
  int64_t last_heard_unix_ms = 0;
  uint32_t items_in_flight = 0;
  uint32_t catalog_shards = 0; ///< shards of its tool catalog; 0: unknown (an older node)
};

/// A node asks a member to admit it; answered with the member list.
struct join_request {
  using reply = member_list;
  member_info joiner;
};

/// The members a node knows: the answer to a join, and what nodes tell each other
/// periodically so that the list spreads to every node.
struct member_list {
  std::vector<member_info> members;
};

/// Tells a node's job manager that a job accepts work from its invokers (one-way): the node
/// prepares its own worktree of `repo` at `base_commit` and pulls items from the coordinator.
struct job_offer {
  std::string job_id;
  std::string coordinator_node; ///< the node whose job manager leases the items
  std::string repo;
  std::string base_commit;
  std::vector<std::string> tools;     ///< the chain, by tool id
  std::vector<std::string> tool_args; ///< what {args} expands to
};

/// Tells a node that a job takes no more work from it (one-way); `cancelled` stops the tools
/// that still run for it.
struct job_withdrawn {
  std::string job_id;
  bool cancelled = false;
};

/// An invoker asks a job's coordinator for the next work item. `holder` names the invoker
/// (node id, '#', an id unique on that node); a holder holds at most one lease, so a new
/// request releases any item the holder still held.
struct lease_request {
  using reply = lease_grant;
  std::string job_id;
  std::string holder;
};

/// What a lease request gets.
enum class lease_status : uint8_t {
  granted,  ///< `index`, `epoch`, `lease_count` and `files` describe the leased item
  wait,     ///< nothing to lease now: ask again shortly
  job_over, ///< the job takes no more results: quit
};

/// The answer to a lease request.
struct lease_grant {
  lease_status status = lease_status::wait;
  uint32_t index = 0;
  uint64_t epoch = 0;       ///< a result with another epoch is rejected
  uint32_t lease_count = 0; ///< 1 on the first lease; more means an earlier run was lost
  std::vector<std::string> files;
};

/// The bytes of one file as a tool left it, keyed by their content hash.
struct file_content {
  std::string path;
  std::string hash; ///< runtime::hash_bytes of `bytes`
  std::string bytes;
};

/// An invoker's result for a leased item. An invoker working in a worktree other than the
/// coordinator's sends the changed files' content with it, so that the coordinator writes them
/// into its own worktree only once it has accepted the result.
struct item_report {
  using reply = report_ack;
  std::string job_id;
  std::string holder;
  uint64_t epoch = 0;
  item_result result;
  std::vector<file_content> contents;
};

/// Answers an item report: false when the lease had expired (the result is dropped).
struct report_ack {
  bool accepted = false;
};

/// Every message kind an envelope can carry (the FlatBuffers union `Message`).
using wire_message = std::variant<ping, pong, node_hello, join_request, member_list, job_offer,
                                  job_withdrawn, lease_request, lease_grant, item_report,
                                  report_ack, shard_corpus_request, shard_corpus_reply,
                                  shard_rank_request, shard_rank_reply, shard_hits_request,
                                  shard_hits_reply, shard_outcome, shard_stats_request,
                                  shard_stats_reply>;

/// The in-process form of a wire envelope (schemas/envelope.fbs).
struct envelope {
  actor_address sender;
  actor_address receiver;
  uint64_t message_id = 0;      ///< 0 for a one-way message; a request wants a reply
  uint64_t correlation_id = 0;  ///< the message_id this answers, or 0
  int64_t deadline_unix_ms = 0; ///< 0 means no deadline
  wire_message message;
};

/// Returns "alive", "suspect" or "dead".
std::string to_string(member_state state);

} // namespace drover::runtime

// Inside a process these travel as plain C++ values; across nodes only through the envelope
// codec (runtime/envelope_codec.hpp).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::ping)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::pong)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::node_hello)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::member_info)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<drover::runtime::member_info>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::join_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::member_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::job_offer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::job_withdrawn)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::lease_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::lease_grant)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::item_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::report_ack)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::envelope)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::shard_corpus_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::shard_corpus_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::shard_rank_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::shard_rank_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::shard_hits_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::shard_hits_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::shard_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::shard_stats_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::shard_stats_reply)
