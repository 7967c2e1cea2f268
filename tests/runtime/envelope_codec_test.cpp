#include "runtime/envelope_codec.hpp"

#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "runtime/error.hpp"
#include "schemas/envelope_generated.h"

namespace drover::runtime {
namespace {

namespace fb = drover::wire;

envelope sample_envelope() {
  return envelope{{"node-a", "coordinator"}, {"node-b", "node"}, 42, 7, 1'700'000'000'000,
                  pong{99, "b1c2", 3}};
}

// Every field of a message as a tuple, so that EXPECT_EQ compares (and prints) all of them.
auto fields(const file_result& file) {
  return std::tie(file.path, file.hash_before, file.hash_after);
}
auto fields(const tool_attempt& attempt) {
  return std::tie(attempt.tool, attempt.version, attempt.outcome, attempt.exit_code, attempt.signal,
                  attempt.duration_ms, attempt.stderr_excerpt);
}
auto fields(const member_info& member) {
  return std::tie(member.node_id, member.endpoint, member.boot_count, member.state,
                  member.last_heard_unix_ms, member.items_in_flight, member.catalog_shards);
}
auto fields(const ranked_tool& ranked) { return std::tie(ranked.score, ranked.id, ranked.slot); }
auto fields(const term_match& term) {
  return std::tie(term.term, term.fields, term.idf, term.contribution);
}
auto fields(const tool_availability& found) {
  return std::tie(found.available, found.version, found.detail, found.probed_ms);
}
auto fields(const shard_hit& hit) {
  const auto& f = hit.factors;
  std::vector<decltype(fields(f.terms.front()))> terms;
  for (const auto& term : f.terms)
    terms.push_back(fields(term));
  return std::make_tuple(hit.tool_id, hit.availability ? std::optional{fields(*hit.availability)} : std::nullopt,
                         f.relevance, terms, f.reliability, f.successes, f.failures,
                         f.invocations, f.median_latency_ms, f.latency_factor, f.score);
}
auto fields(const tool_stats_record& record) {
  return std::tie(record.tool_id, record.origin, record.stats.successes, record.stats.failures,
                  record.stats.updated_ms, record.stats.latencies_ms, record.stats.invocations);
}
auto fields(const file_content& content) {
  return std::tie(content.path, content.hash, content.bytes);
}
template <class T>
auto fields(const std::vector<T>& values) {
  std::vector<decltype(fields(values.front()))> result;
  for (const auto& value : values)
    result.push_back(fields(value));
  return result;
}
auto fields(const item_result& result) {
  return std::make_tuple(result.index, result.ok, result.tool, result.tool_version,
                         result.duration_ms, fields(result.files), result.findings,
                         fields(result.attempts), result.error, result.node);
}
auto fields(const ping& body) { return std::tie(body.nonce); }
auto fields(const pong& body) {
  return std::tie(body.nonce, body.node_id, body.boot_count, body.items_in_flight);
}
auto fields(const node_hello& body) { return std::tie(body.node_id, body.endpoint, body.version); }
auto fields(const join_request& body) { return fields(body.joiner); }
auto fields(const member_list& body) { return fields(body.members); }
auto fields(const job_offer& body) {
  return std::tie(body.job_id, body.coordinator_node, body.repo, body.base_commit, body.tools,
                  body.tool_args);
}
auto fields(const job_withdrawn& body) { return std::tie(body.job_id, body.cancelled); }
auto fields(const lease_request& body) { return std::tie(body.job_id, body.holder); }
auto fields(const lease_grant& body) {
  return std::tie(body.status, body.index, body.epoch, body.lease_count, body.files);
}
auto fields(const item_report& body) {
  return std::make_tuple(body.job_id, body.holder, body.epoch, fields(body.result),
                         fields(body.contents));
}
auto fields(const report_ack& body) { return std::tie(body.accepted); }
auto fields(const corpus_stats& corpus) {
  return std::tie(corpus.documents, corpus.total_length, corpus.document_frequency);
}
auto fields(const search_request& request) {
  return std::tie(request.text, request.filters.capability, request.filters.language,
                  request.filters.side_effects, request.filters.available_only, request.limit);
}
auto fields(const shard_corpus_request& body) { return std::tie(body.shard, body.terms); }
auto fields(const shard_corpus_reply& body) {
  return std::make_tuple(body.held, fields(body.corpus));
}
auto fields(const shard_rank_request& body) {
  return std::make_tuple(body.shard, fields(body.request), body.terms, fields(body.corpus),
                         body.now_ms);
}
auto fields(const shard_rank_reply& body) {
  return std::make_tuple(body.held, fields(body.ranking));
}
auto fields(const shard_hits_request& body) {
  return std::make_tuple(body.shard, body.slots, body.terms, fields(body.corpus), body.now_ms);
}
auto fields(const shard_hits_reply& body) { return std::make_tuple(body.held, fields(body.hits)); }
auto fields(const shard_outcome& body) { return std::make_tuple(body.shard, fields(body.part)); }
auto fields(const shard_stats_request& body) { return std::tie(body.shard); }
auto fields(const shard_stats_reply& body) { return fields(body.stats); }

/// Expects `actual` to hold the same kind of message as `expected`, with equal fields.
void expect_same_message(const wire_message& actual, const wire_message& expected) {
  ASSERT_EQ(actual.index(), expected.index());
  std::visit(
    [&](const auto& body) {
      EXPECT_EQ(fields(std::get<std::decay_t<decltype(body)>>(actual)), fields(body));
    },
    expected);
}

member_info sample_member(const std::string& node_id, member_state state) {
  return {node_id, "tcp://10.0.0.7:7400", 4, state, 1'700'000'000'123, 3, 16};
}

item_report sample_report() {
  item_result result{7,
                     true,
                     "clang-format",
                     "17.0.6",
                     250,
                     {{"src/a.cpp", "h1", "h2"}, {"src/b.cpp", "h3", "h3"}},
                     std::string{"a.cpp:3: nul \0 inside", 21},
                     {{"clang-tidy", "16", "timeout", -1, 9, 30'000, "killed"},
                      {"clang-format", "17.0.6", "success", 0, 0, 250, "warning: x"}},
                     "an earlier attempt timed out",
                     "node-b"};
  return {"job-1",
          "node-b#2",
          11,
          std::move(result),
          {{"src/a.cpp", "h2", std::string{"int\0main\xff\n", 10}}, {"src/empty.cpp", "h0", ""}}};
}

corpus_stats sample_corpus() {
  corpus_stats corpus;
  corpus.documents = 12;
  corpus.total_length = {24, 96.5, 30, 18, 7};
  corpus.document_frequency = {{"format", 5}, {"python", 3}};
  return corpus;
}

search_request sample_search() {
  return {"format python", {"fix", "py", {side_effect_class::writes_files, side_effect_class::read_only}, true}, 25};
}

shard_hit sample_hit() {
  score_factors factors;
  factors.relevance = 2.5;
  factors.terms = {{"format", {"name", "capabilities"}, 1.2, 2.0}, {"python", {"languages"}, 0.4, 0.5}};
  factors.reliability = 0.8;
  factors.successes = 3.5;
  factors.failures = 1.25;
  factors.invocations = 6;
  factors.median_latency_ms = 140;
  factors.latency_factor = 0.97;
  factors.score = 1.94;
  return {"ruff", tool_availability{true, "0.4.1", "ruff 0.4.1", 1'700'000'000'001}, factors};
}

tool_stats sample_stats() {
  tool_stats stats;
  stats.successes = 4.5;
  stats.failures = 0.5;
  stats.updated_ms = 1'700'000'000'002;
  stats.latencies_ms = {100, 140};
  stats.invocations = 5;
  return stats;
}

/// Returns one message of every kind with every field set to something other than its default.
std::vector<wire_message> sample_messages() {
  return {ping{5},
          pong{6, "id", 2, 17},
          node_hello{"id", "tcp://127.0.0.1:1", "0.1.0"},
          join_request{sample_member("node-c", member_state::suspect)},
          member_list{{sample_member("node-a", member_state::alive),
                       sample_member("node-b", member_state::suspect),
                       sample_member("node-c", member_state::dead)}},
          job_offer{"job-1", "node-a", "/repo", "abc123", {"clang-format", "ruff"},
                    {"-i", "--fix"}},
          job_withdrawn{"job-1", true},
          lease_request{"job-1", "node-b#2"},
          lease_grant{lease_status::job_over, 9, 12, 2, {"src/a.cpp", "src/b.cpp"}},
          sample_report(),
          report_ack{true},
          shard_corpus_request{3, {"format", "python"}},
          shard_corpus_reply{true, sample_corpus()},
          shard_rank_request{5, sample_search(), {"format"}, sample_corpus(), 1'700'000'000'456},
          shard_rank_reply{true, {{0.75, "ruff", 4}, {0.5, "black", 1}}},
          shard_hits_request{5, {4, 1}, {"format"}, sample_corpus(), 1'700'000'000'456},
          shard_hits_reply{true, {sample_hit(), {"black", std::nullopt, {}}}},
          shard_outcome{2, {"ruff", "node-b", sample_stats()}},
          shard_stats_request{7},
          shard_stats_reply{{{"ruff", "node-a", sample_stats()}, {"black", "node-c", {}}}}};
}

TEST(EnvelopeCodecTest, SamplesCoverEveryMessageKind) {
  std::set<size_t> kinds;
  for (const auto& message : sample_messages())
    kinds.insert(message.index());
  EXPECT_EQ(kinds.size(), std::variant_size_v<wire_message>);
}

TEST(EnvelopeCodecTest, RoundTripsEveryMessageKind) {
  for (const auto& body : sample_messages()) {
    auto original = sample_envelope();
    original.message = body;
    const auto bytes = encode(original);
    auto decoded = decode(bytes.data(), bytes.size());
    ASSERT_TRUE(decoded) << describe(decoded.error());
    EXPECT_EQ(decoded->sender.node, "node-a");
    EXPECT_EQ(decoded->sender.name, "coordinator");
    EXPECT_EQ(decoded->receiver.node, "node-b");
    EXPECT_EQ(decoded->receiver.name, "node");
    EXPECT_EQ(decoded->message_id, 42U);
    EXPECT_EQ(decoded->correlation_id, 7U);
    EXPECT_EQ(decoded->deadline_unix_ms, 1'700'000'000'000);
    expect_same_message(decoded->message, body);
  }
}

TEST(EnvelopeCodecTest, RoundTripsEveryMemberStateAndLeaseStatus) {
  for (auto state : {member_state::alive, member_state::suspect, member_state::dead})
    for (auto status : {lease_status::granted, lease_status::wait, lease_status::job_over})
      for (const wire_message& body :
           {wire_message{member_list{{sample_member("n", state)}}},
            wire_message{lease_grant{status, 1, 1, 1, {}}}}) {
        auto original = sample_envelope();
        original.message = body;
        const auto bytes = encode(original);
        auto decoded = decode(bytes.data(), bytes.size());
        ASSERT_TRUE(decoded) << describe(decoded.error());
        expect_same_message(decoded->message, body);
      }
}

/// Returns an envelope whose only field is the message table that `build_body` adds.
template <class Table, class BuildBody>
std::vector<uint8_t> raw_envelope(BuildBody build_body) {
  flatbuffers::FlatBufferBuilder builder;
  const flatbuffers::Offset<Table> body = build_body(builder);
  fb::EnvelopeBuilder envelope_builder{builder};
  envelope_builder.add_message_type(fb::MessageTraits<Table>::enum_value);
  envelope_builder.add_message(body.Union());
  fb::FinishEnvelopeBuffer(builder, envelope_builder.Finish());
  return {builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize()};
}

/// Adds a table of type `Table` with no field set.
template <class Table>
flatbuffers::Offset<Table> empty_table(flatbuffers::FlatBufferBuilder& builder) {
  return flatbuffers::Offset<Table>{builder.EndTable(builder.StartTable())};
}

/// Expects an envelope carrying an empty `Table` to decode as the default message at `index`.
template <class Table>
void expect_empty_table_reads_as_default(size_t index) {
  const auto bytes = raw_envelope<Table>(empty_table<Table>);
  auto decoded = decode(bytes.data(), bytes.size());
  ASSERT_TRUE(decoded) << describe(decoded.error());
  EXPECT_EQ(decoded->sender.node, "");
  EXPECT_EQ(decoded->receiver.name, "");
  ASSERT_EQ(decoded->message.index(), index);
  std::visit(
    [](const auto& body) { EXPECT_EQ(fields(body), fields(std::decay_t<decltype(body)>{})); },
    decoded->message);
}

/// Runs expect_empty_table_reads_as_default for `Tables` in the order of wire_message.
template <class... Tables>
void expect_empty_tables_read_as_defaults() {
  static_assert(sizeof...(Tables) == std::variant_size_v<wire_message>);
  size_t index = 0;
  (expect_empty_table_reads_as_default<Tables>(index++), ...);
}

TEST(EnvelopeCodecTest, ReadsAbsentFieldsAsEmpty) {
  expect_empty_tables_read_as_defaults<fb::Ping, fb::Pong, fb::NodeHello, fb::JoinRequest,
                                       fb::MemberList, fb::JobOffer, fb::JobWithdrawn,
                                       fb::LeaseRequest, fb::LeaseGrant, fb::ItemReport,
                                       fb::ReportAck, fb::ShardCorpusRequest, fb::ShardCorpusReply,
                                       fb::ShardRankRequest, fb::ShardRankReply, fb::ShardHitsRequest,
                                       fb::ShardHitsReply, fb::ShardOutcome, fb::ShardStatsRequest,
                                       fb::ShardStatsReply>();
}

TEST(EnvelopeCodecTest, ReadsAbsentNestedFieldsAsEmpty) {
  const auto bytes = raw_envelope<fb::ItemReport>([](flatbuffers::FlatBufferBuilder& builder) {
    const auto files = builder.CreateVector(std::vector{empty_table<disk::FileResult>(builder)});
    const auto attempts =
      builder.CreateVector(std::vector{empty_table<disk::ToolAttempt>(builder)});
    const auto result = disk::CreateItemResult(builder, 0, false, 0, 0, 0, files, 0, attempts);
    const auto contents = builder.CreateVector(std::vector{empty_table<fb::FileContent>(builder)});
    return fb::CreateItemReport(builder, 0, 0, 0, result, contents);
  });
  auto decoded = decode(bytes.data(), bytes.size());
  ASSERT_TRUE(decoded) << describe(decoded.error());
  item_report expected;
  expected.result.files.resize(1);
  expected.result.attempts.resize(1);
  expected.contents.resize(1);
  expect_same_message(decoded->message, expected);
}

/// Expects `bytes` to be refused as an invalid buffer whose message names `field`.
void expect_refused_naming(const std::vector<uint8_t>& bytes, const std::string& field) {
  auto decoded = decode(bytes.data(), bytes.size());
  ASSERT_FALSE(decoded);
  EXPECT_TRUE(is(decoded.error(), runtime_errc::invalid_buffer));
  EXPECT_NE(describe(decoded.error()).find(field), std::string::npos) << describe(decoded.error());
}

TEST(EnvelopeCodecTest, RefusesUnknownEnumValues) {
  const auto unknown_state = static_cast<fb::MemberState>(3);
  expect_refused_naming(raw_envelope<fb::LeaseGrant>([](flatbuffers::FlatBufferBuilder& builder) {
                          return fb::CreateLeaseGrant(builder, static_cast<fb::LeaseStatus>(3));
                        }),
                        "LeaseGrant.status");
  expect_refused_naming(raw_envelope<fb::JoinRequest>([&](flatbuffers::FlatBufferBuilder& builder) {
                          return fb::CreateJoinRequest(
                            builder, fb::CreateMemberInfo(builder, 0, 0, 0, unknown_state));
                        }),
                        "MemberInfo.state");
  expect_refused_naming(raw_envelope<fb::MemberList>([&](flatbuffers::FlatBufferBuilder& builder) {
                          const auto good = fb::CreateMemberInfo(builder);
                          const auto bad = fb::CreateMemberInfo(builder, 0, 0, 0, unknown_state);
                          return fb::CreateMemberList(builder, builder.CreateVector({good, bad}));
                        }),
                        "MemberInfo.state");
  expect_refused_naming(raw_envelope<fb::ShardRankRequest>([](flatbuffers::FlatBufferBuilder& builder) {
                          const auto side_effects = builder.CreateVector(
                            std::vector{fb::SideEffectClass::ReadOnly, static_cast<fb::SideEffectClass>(2)});
                          return fb::CreateShardRankRequest(builder, 0, 0, 0, 0, side_effects);
                        }),
                        "ShardRankRequest.side_effects");
}

TEST(EnvelopeCodecTest, KeepsMessageFields) {
  const auto bytes = encode(sample_envelope());
  auto decoded = decode(bytes.data(), bytes.size());
  ASSERT_TRUE(decoded);
  const auto& body = std::get<pong>(decoded->message);
  EXPECT_EQ(body.nonce, 99U);
  EXPECT_EQ(body.node_id, "b1c2");
  EXPECT_EQ(body.boot_count, 3U);
}

TEST(EnvelopeCodecTest, DecodesAMisalignedBuffer) {
  // A ZeroMQ frame or a RocksDB value may start at any address.
  const auto bytes = encode(sample_envelope());
  std::vector<uint8_t> shifted(bytes.size() + 3);
  std::copy(bytes.begin(), bytes.end(), shifted.begin() + 3);
  auto decoded = decode(shifted.data() + 3, bytes.size());
  ASSERT_TRUE(decoded) << describe(decoded.error());
  EXPECT_EQ(std::get<pong>(decoded->message).node_id, "b1c2");
}

TEST(EnvelopeCodecTest, RejectsTruncationsThatCutIntoTheContent) {
  // Trailing alignment padding may be cut without loss; anything accepted must be intact.
  const auto bytes = encode(sample_envelope());
  size_t rejected = 0;
  for (size_t size = 0; size < bytes.size(); ++size) {
    auto decoded = decode(bytes.data(), size);
    if (!decoded) {
      EXPECT_TRUE(is(decoded.error(), runtime_errc::invalid_buffer));
      ++rejected;
      continue;
    }
    EXPECT_GE(size, bytes.size() - 8) << "a buffer truncated to " << size << " bytes was accepted";
    EXPECT_EQ(std::get<pong>(decoded->message).node_id, "b1c2");
  }
  EXPECT_GE(rejected, bytes.size() - 8);
}

TEST(EnvelopeCodecTest, SurvivesEveryBitFlip) {
  // A flipped bit may still verify (it can land in a scalar), but it must never crash, and a
  // flip in the identifier or the offsets must be caught.
  const auto bytes = encode(sample_envelope());
  size_t rejected = 0;
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    auto copy = bytes;
    copy[bit / 8] ^= static_cast<uint8_t>(1U << (bit % 8));
    if (!decode(copy.data(), copy.size()))
      ++rejected;
  }
  EXPECT_GT(rejected, bytes.size()); // a fair share of the flips is caught
}

TEST(EnvelopeCodecTest, RejectsOversizedBuffersUnread) {
  const auto bytes = encode(sample_envelope());
  decode_limits limits;
  limits.max_bytes = bytes.size() - 1;
  auto decoded = decode(bytes.data(), bytes.size(), limits);
  ASSERT_FALSE(decoded);
  EXPECT_NE(describe(decoded.error()).find("exceeds the limit"), std::string::npos);
}

TEST(EnvelopeCodecTest, RejectsForeignBytes) {
  const std::string text = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  auto decoded = decode(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  ASSERT_FALSE(decoded);
  EXPECT_NE(describe(decoded.error()).find("DRV1"), std::string::npos);
}

TEST(EnvelopeCodecTest, EnforcesTheTableLimit) {
  const auto bytes = encode(sample_envelope());
  decode_limits limits;
  limits.max_tables = 2; // the envelope alone has five tables
  EXPECT_FALSE(decode(bytes.data(), bytes.size(), limits));
}

} // namespace
} // namespace drover::runtime
