#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/catalog_messages.hpp"
#include "observability/metrics.hpp"
#include "runtime/wire_messages.hpp"

namespace drover::actors {

struct catalog_state;
using catalog_self = caf::stateful_actor<catalog_state>*;

/// Where the catalog shards live, as one node's catalog front sees it.
///
/// Placement: shards 0..S-1 (S = catalog_shards, equal on every member: a member announcing
/// another S in its member_info is logged as an error and given no shard) go to the alive and
/// suspect members, this node included, by rendezvous hashing (runtime/placement.hpp). Every
/// membership change recomputes it: a shard this node now owns is built here from the
/// manifests and the statistics below; a shard it no longer owns is dropped. A shard owned
/// elsewhere is asked through the owner's catalog front ("catalog").
///
/// Statistics rule. A tool's statistics are the merge (runtime::merge_tool_stats) of parts, one
/// per origin node: node N's part summarises the outcomes N's own invokers produced. N persists
/// its part (column tool_stats, key = tool id) before sending it, whole, to the shard's owner
/// and runner-up (the next member by rendezvous weight), which persist a copy (key ID@N). For
/// each (tool, origin) a holder keeps the part that supersedes the others (runtime::supersedes:
/// more invocations, then later), so a part received twice, late or out of order changes
/// nothing. When a shard is (re)built, and whenever a member becomes alive, its owner pulls
/// every part that each alive member persisted (own and copies) for the shard's tools. So a
/// shard whose owner dies is rebuilt by the runner-up from the copies it holds plus every
/// surviving member's own parts: no outcome persisted by a surviving member is lost, and the
/// dead owner's own part survives through the runner-up's copy.
struct shard_placement {
  uint32_t shard_count = 0;
  std::vector<std::string> owners;     ///< by shard: the owning node id
  std::vector<std::string> runners_up; ///< by shard: where copies go; empty when alone
  std::map<uint32_t, caf::actor> local; ///< the shard actors held here
  std::map<std::string, runtime::member_info> members; ///< the other members, as last heard
  std::map<std::string, caf::actor> fronts; ///< the catalog front of each other usable member
  std::set<std::pair<std::string, uint64_t>> refused; ///< (node, boot) logged for their shard count
  bool started = false; ///< the first placement is done: later builds count as re-homings
  observability::gauge* owned = nullptr;
  observability::counter* rehomings = nullptr;
  observability::counter* remote_requests = nullptr;
  observability::counter* remote_timeouts = nullptr;
};

/// Registers the metrics, builds every shard here (a node alone owns them all) and, with a
/// cluster, subscribes to the membership and asks it for the members.
void start_placement(catalog_self self);

/// Takes a member's new state and recomputes the placement.
void on_member(catalog_self self, const runtime::member_info& info);

/// Takes the proxy of `node`'s catalog front and pulls that node's statistics parts into the
/// shards held here.
void on_front(catalog_self self, const std::string& node, caf::actor front);

/// Sends a request to shard `shard`, here or at its owner, and calls `done` once with the
/// reply, or with nothing when the owner is unknown, does not hold the shard or did not
/// answer in time (counted as a remote timeout).
void ask_shard(catalog_self self, uint32_t shard, runtime::shard_corpus_request request,
               std::function<void(std::optional<runtime::shard_corpus_reply>)> done);
void ask_shard(catalog_self self, uint32_t shard, runtime::shard_rank_request request,
               std::function<void(std::optional<runtime::shard_rank_reply>)> done);
void ask_shard(catalog_self self, uint32_t shard, runtime::shard_hits_request request,
               std::function<void(std::optional<runtime::shard_hits_reply>)> done);

/// Answers another front's request for a shard: from the shard actor held here, or with held
/// false.
caf::result<runtime::shard_corpus_reply> serve(catalog_self self, const runtime::shard_corpus_request& request);
caf::result<runtime::shard_rank_reply> serve(catalog_self self, const runtime::shard_rank_request& request);
caf::result<runtime::shard_hits_reply> serve(catalog_self self, const runtime::shard_hits_request& request);

/// Returns every statistics part this node persisted for the tools of `request.shard`.
runtime::shard_stats_reply local_parts(catalog_self self, const runtime::shard_stats_request& request);

/// Records one outcome of this node's invokers: persists this node's part of the tool's
/// statistics, then gives it to the shard here and sends it to the owner and runner-up.
void record_own_outcome(catalog_self self, const tool_outcome& outcome);

/// Takes another node's part (a shard_outcome): keeps a copy if it supersedes the stored one
/// and gives it to the shard if held here.
void take_remote_part(catalog_self self, const runtime::shard_outcome& outcome);

/// Returns the shard actors held here.
std::vector<caf::actor> local_shards(catalog_self self);

} // namespace drover::actors
