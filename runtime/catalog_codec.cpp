#include "runtime/catalog_codec.hpp"

#include "runtime/detail/flatbuffers_read.hpp"

namespace drover::runtime {

namespace fb = drover::wire;

namespace {

using builder_t = flatbuffers::FlatBufferBuilder;
using detail::read_enum;
using detail::read_numbers;
using detail::read_string;
using detail::read_strings;

static_assert(static_cast<int>(fb::SideEffectClass::ReadOnly) == static_cast<int>(side_effect_class::read_only)
              && static_cast<int>(fb::SideEffectClass::WritesFiles) == static_cast<int>(side_effect_class::writes_files)
              && fb::SideEffectClass::MAX == fb::SideEffectClass::WritesFiles);

flatbuffers::Offset<fb::CorpusStats> build_corpus(builder_t& builder, const corpus_stats& corpus) {
  std::vector<std::string> terms;
  std::vector<uint64_t> frequencies;
  for (const auto& [term, count] : corpus.document_frequency) {
    terms.push_back(term);
    frequencies.push_back(count);
  }
  return fb::CreateCorpusStats(builder, corpus.documents,
                               builder.CreateVector(corpus.total_length.data(), corpus.total_length.size()),
                               builder.CreateVectorOfStrings(terms), builder.CreateVector(frequencies));
}

corpus_stats read_corpus(const fb::CorpusStats* table) {
  corpus_stats corpus;
  if (table == nullptr)
    return corpus;
  corpus.documents = table->documents();
  const auto lengths = read_numbers(table->total_length());
  for (size_t field = 0; field < std::min(lengths.size(), corpus.total_length.size()); ++field)
    corpus.total_length[field] = lengths[field];
  const auto terms = read_strings(table->terms());
  const auto frequencies = read_numbers(table->document_frequency());
  for (size_t i = 0; i < std::min(terms.size(), frequencies.size()); ++i)
    corpus.document_frequency[terms[i]] = frequencies[i];
  return corpus;
}

flatbuffers::Offset<fb::ScoreFactors> build_factors(builder_t& builder, const score_factors& factors) {
  std::vector<flatbuffers::Offset<fb::TermMatch>> terms;
  for (const auto& term : factors.terms)
    terms.push_back(fb::CreateTermMatch(builder, builder.CreateString(term.term),
                                        builder.CreateVectorOfStrings(term.fields), term.idf, term.contribution));
  return fb::CreateScoreFactors(builder, factors.relevance, builder.CreateVector(terms), factors.reliability,
                                factors.successes, factors.failures, factors.invocations,
                                factors.median_latency_ms.has_value(), factors.median_latency_ms.value_or(0),
                                factors.latency_factor, factors.score);
}

score_factors read_factors(const fb::ScoreFactors* table) {
  score_factors factors;
  if (table == nullptr)
    return factors;
  factors.relevance = table->relevance();
  if (table->terms() != nullptr)
    for (const auto* term : *table->terms())
      factors.terms.push_back(
        {read_string(term->term()), read_strings(term->fields()), term->idf(), term->contribution()});
  factors.reliability = table->reliability();
  factors.successes = table->successes();
  factors.failures = table->failures();
  factors.invocations = table->invocations();
  if (table->has_median_latency())
    factors.median_latency_ms = table->median_latency_ms();
  factors.latency_factor = table->latency_factor();
  factors.score = table->score();
  return factors;
}

flatbuffers::Offset<fb::ToolStatsRecord> build_record(builder_t& builder, const tool_stats_record& record) {
  return fb::CreateToolStatsRecord(builder, builder.CreateString(record.tool_id), builder.CreateString(record.origin),
                                   build_tool_stats(builder, record.stats));
}

tool_stats_record read_record(const fb::ToolStatsRecord* table) {
  if (table == nullptr)
    return {};
  return {read_string(table->tool_id()), read_string(table->origin()), read_tool_stats(table->stats())};
}

} // namespace

flatbuffers::Offset<fb::ShardCorpusRequest> build(builder_t& builder, const shard_corpus_request& body) {
  return fb::CreateShardCorpusRequest(builder, body.shard, builder.CreateVectorOfStrings(body.terms));
}

flatbuffers::Offset<fb::ShardCorpusReply> build(builder_t& builder, const shard_corpus_reply& body) {
  return fb::CreateShardCorpusReply(builder, body.held, build_corpus(builder, body.corpus));
}

flatbuffers::Offset<fb::ShardRankRequest> build(builder_t& builder, const shard_rank_request& body) {
  const auto& filters = body.request.filters;
  std::vector<fb::SideEffectClass> side_effects;
  for (auto side_effect : filters.side_effects)
    side_effects.push_back(static_cast<fb::SideEffectClass>(side_effect));
  return fb::CreateShardRankRequest(
    builder, body.shard, builder.CreateString(body.request.text), builder.CreateString(filters.capability),
    builder.CreateString(filters.language), builder.CreateVector(side_effects), filters.available_only,
    body.request.limit, builder.CreateVectorOfStrings(body.terms), build_corpus(builder, body.corpus), body.now_ms);
}

flatbuffers::Offset<fb::ShardRankReply> build(builder_t& builder, const shard_rank_reply& body) {
  std::vector<flatbuffers::Offset<fb::RankedTool>> ranking;
  for (const auto& ranked : body.ranking)
    ranking.push_back(fb::CreateRankedTool(builder, ranked.score, builder.CreateString(ranked.id), ranked.slot));
  return fb::CreateShardRankReply(builder, body.held, builder.CreateVector(ranking));
}

flatbuffers::Offset<fb::ShardHitsRequest> build(builder_t& builder, const shard_hits_request& body) {
  return fb::CreateShardHitsRequest(builder, body.shard, builder.CreateVector(body.slots),
                                    builder.CreateVectorOfStrings(body.terms), build_corpus(builder, body.corpus),
                                    body.now_ms);
}

flatbuffers::Offset<fb::ShardHitsReply> build(builder_t& builder, const shard_hits_reply& body) {
  std::vector<flatbuffers::Offset<fb::ShardHit>> hits;
  for (const auto& hit : body.hits)
    hits.push_back(fb::CreateShardHit(
      builder, builder.CreateString(hit.tool_id),
      hit.availability ? build_tool_availability(builder, *hit.availability) : 0, build_factors(builder, hit.factors)));
  return fb::CreateShardHitsReply(builder, body.held, builder.CreateVector(hits));
}

flatbuffers::Offset<fb::ShardOutcome> build(builder_t& builder, const shard_outcome& body) {
  return fb::CreateShardOutcome(builder, body.shard, build_record(builder, body.part));
}

flatbuffers::Offset<fb::ShardStatsRequest> build(builder_t& builder, const shard_stats_request& body) {
  return fb::CreateShardStatsRequest(builder, body.shard);
}

flatbuffers::Offset<fb::ShardStatsReply> build(builder_t& builder, const shard_stats_reply& body) {
  std::vector<flatbuffers::Offset<fb::ToolStatsRecord>> records;
  for (const auto& record : body.stats)
    records.push_back(build_record(builder, record));
  return fb::CreateShardStatsReply(builder, builder.CreateVector(records));
}

shard_corpus_request read_shard_message(const fb::ShardCorpusRequest& body) {
  return {body.shard(), read_strings(body.terms())};
}

shard_corpus_reply read_shard_message(const fb::ShardCorpusReply& body) {
  return {body.held(), read_corpus(body.corpus())};
}

caf::expected<shard_rank_request> read_shard_message(const fb::ShardRankRequest& body) {
  shard_rank_request result;
  result.shard = body.shard();
  result.request.text = read_string(body.text());
  result.request.filters.capability = read_string(body.capability());
  result.request.filters.language = read_string(body.language());
  if (body.side_effects() != nullptr)
    for (auto side_effect : *body.side_effects()) {
      auto value = read_enum<side_effect_class>(static_cast<fb::SideEffectClass>(side_effect),
                                                "ShardRankRequest.side_effects");
      if (!value)
        return std::move(value.error());
      result.request.filters.side_effects.push_back(*value);
    }
  result.request.filters.available_only = body.available_only();
  result.request.limit = static_cast<size_t>(body.limit());
  result.terms = read_strings(body.terms());
  result.corpus = read_corpus(body.corpus());
  result.now_ms = body.now_ms();
  return result;
}

shard_rank_reply read_shard_message(const fb::ShardRankReply& body) {
  shard_rank_reply result{body.held(), {}};
  if (body.ranking() != nullptr)
    for (const auto* ranked : *body.ranking())
      result.ranking.push_back({ranked->score(), read_string(ranked->id()), ranked->slot()});
  return result;
}

shard_hits_request read_shard_message(const fb::ShardHitsRequest& body) {
  return {body.shard(), read_numbers(body.slots()), read_strings(body.terms()), read_corpus(body.corpus()),
          body.now_ms()};
}

shard_hits_reply read_shard_message(const fb::ShardHitsReply& body) {
  shard_hits_reply result{body.held(), {}};
  if (body.hits() != nullptr)
    for (const auto* hit : *body.hits()) {
      shard_hit read{read_string(hit->tool_id()), std::nullopt, read_factors(hit->factors())};
      if (hit->availability() != nullptr)
        read.availability = read_tool_availability(hit->availability());
      result.hits.push_back(std::move(read));
    }
  return result;
}

shard_outcome read_shard_message(const fb::ShardOutcome& body) {
  return {body.shard(), read_record(body.part())};
}

shard_stats_request read_shard_message(const fb::ShardStatsRequest& body) {
  return {body.shard()};
}

shard_stats_reply read_shard_message(const fb::ShardStatsReply& body) {
  shard_stats_reply result;
  if (body.stats() != nullptr)
    for (const auto* record : *body.stats())
      result.stats.push_back(read_record(record));
  return result;
}

} // namespace drover::runtime
