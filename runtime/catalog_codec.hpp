#pragma once

#include <flatbuffers/flatbuffers.h>

#include "runtime/catalog_wire_messages.hpp"
#include "schemas/envelope_generated.h"

namespace drover::runtime {

/// The envelope codec's part for the catalog shard kinds (runtime/catalog_wire_messages.hpp).
/// Readers take verified tables:
/// any field may be absent (it reads empty); an unknown enum value is refused, naming the field.
/// Stateless and thread-safe.

/// Write each catalog shard kind as its envelope union member.
flatbuffers::Offset<wire::ShardCorpusRequest> build(flatbuffers::FlatBufferBuilder& builder,
                                                    const shard_corpus_request& body);
flatbuffers::Offset<wire::ShardCorpusReply> build(flatbuffers::FlatBufferBuilder& builder,
                                                  const shard_corpus_reply& body);
flatbuffers::Offset<wire::ShardRankRequest> build(flatbuffers::FlatBufferBuilder& builder,
                                                  const shard_rank_request& body);
flatbuffers::Offset<wire::ShardRankReply> build(flatbuffers::FlatBufferBuilder& builder,
                                                const shard_rank_reply& body);
flatbuffers::Offset<wire::ShardHitsRequest> build(flatbuffers::FlatBufferBuilder& builder,
                                                  const shard_hits_request& body);
flatbuffers::Offset<wire::ShardHitsReply> build(flatbuffers::FlatBufferBuilder& builder,
                                                const shard_hits_reply& body);
flatbuffers::Offset<wire::ShardOutcome> build(flatbuffers::FlatBufferBuilder& builder, const shard_outcome& body);
flatbuffers::Offset<wire::ShardStatsRequest> build(flatbuffers::FlatBufferBuilder& builder,
                                                   const shard_stats_request& body);
flatbuffers::Offset<wire::ShardStatsReply> build(flatbuffers::FlatBufferBuilder& builder,
                                                 const shard_stats_reply& body);

/// Read each catalog shard kind from its verified envelope union member.
shard_corpus_request read_shard_message(const wire::ShardCorpusRequest& body);
shard_corpus_reply read_shard_message(const wire::ShardCorpusReply& body);
caf::expected<shard_rank_request> read_shard_message(const wire::ShardRankRequest& body);
shard_rank_reply read_shard_message(const wire::ShardRankReply& body);
shard_hits_request read_shard_message(const wire::ShardHitsRequest& body);
shard_hits_reply read_shard_message(const wire::ShardHitsReply& body);
shard_outcome read_shard_message(const wire::ShardOutcome& body);
shard_stats_request read_shard_message(const wire::ShardStatsRequest& body);
shard_stats_reply read_shard_message(const wire::ShardStatsReply& body);

} // namespace drover::runtime
