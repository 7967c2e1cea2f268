#include "runtime/envelope_codec.hpp"

#include <type_traits>

#include "runtime/catalog_codec.hpp"
#include "runtime/detail/aligned_bytes.hpp"
#include "runtime/detail/flatbuffers_read.hpp"
#include "runtime/error.hpp"
#include "runtime/job_codec.hpp"
#include "schemas/envelope_generated.h"

namespace drover::runtime {

namespace fb = drover::wire;

namespace {

using builder_t = flatbuffers::FlatBufferBuilder;

/// Returns true when the wire enumerator `wire` has the value of the C++ enumerator `native`.
template <class Wire, class Native>
constexpr bool same_value(Wire wire, Native native) {
  return static_cast<int>(wire) == static_cast<int>(native);
}

// The codec converts enums by value, so the wire and C++ enumerators must stay in step.
static_assert(same_value(fb::MemberState::Alive, member_state::alive)
              && same_value(fb::MemberState::Suspect, member_state::suspect)
              && same_value(fb::MemberState::Dead, member_state::dead)
              && fb::MemberState::MAX == fb::MemberState::Dead);
static_assert(same_value(fb::LeaseStatus::Granted, lease_status::granted)
              && same_value(fb::LeaseStatus::Wait, lease_status::wait)
              && same_value(fb::LeaseStatus::JobOver, lease_status::job_over)
              && fb::LeaseStatus::MAX == fb::LeaseStatus::JobOver);

// --- encoding ---------------------------------------------------------------------------------

flatbuffers::Offset<fb::ActorAddress> build(builder_t& builder, const actor_address& address) {
  return fb::CreateActorAddress(builder, builder.CreateString(address.node),
                                builder.CreateString(address.name));
}

flatbuffers::Offset<fb::MemberInfo> build(builder_t& builder, const member_info& member) {
  return fb::CreateMemberInfo(builder, builder.CreateString(member.node_id),
                              builder.CreateString(member.endpoint), member.boot_count,
                              static_cast<fb::MemberState>(member.state),
                              member.last_heard_unix_ms, member.items_in_flight,
                              member.catalog_shards);
}

flatbuffers::Offset<fb::FileContent> build(builder_t& builder, const file_content& content) {
  return fb::CreateFileContent(
    builder, builder.CreateString(content.path), builder.CreateString(content.hash),
    builder.CreateVector(reinterpret_cast<const uint8_t*>(content.bytes.data()),
                         content.bytes.size()));
}

/// Builds every element of `values` and a vector of their offsets.
template <class T>
auto build(builder_t& builder, const std::vector<T>& values) {
  std::vector<decltype(build(builder, values.front()))> offsets;
  offsets.reserve(values.size());
  for (const auto& value : values)
    offsets.push_back(build(builder, value));
  return builder.CreateVector(offsets);
}

flatbuffers::Offset<fb::Ping> build(builder_t& builder, const ping& body) {
  return fb::CreatePing(builder, body.nonce);
}

flatbuffers::Offset<fb::Pong> build(builder_t& builder, const pong& body) {
  return fb::CreatePong(builder, body.nonce, builder.CreateString(body.node_id), body.boot_count,
                        body.items_in_flight);
}

flatbuffers::Offset<fb::NodeHello> build(builder_t& builder, const node_hello& body) {
  return fb::CreateNodeHello(builder, builder.CreateString(body.node_id),
                             builder.CreateString(body.endpoint),
                             builder.CreateString(body.version));
}

flatbuffers::Offset<fb::JoinRequest> build(builder_t& builder, const join_request& body) {
  return fb::CreateJoinRequest(builder, build(builder, body.joiner));
}

flatbuffers::Offset<fb::MemberList> build(builder_t& builder, const member_list& body) {
  return fb::CreateMemberList(builder, build(builder, body.members));
}

flatbuffers::Offset<fb::JobOffer> build(builder_t& builder, const job_offer& body) {
  return fb::CreateJobOffer(builder, builder.CreateString(body.job_id),
                            builder.CreateString(body.coordinator_node),
                            builder.CreateString(body.repo), builder.CreateString(body.base_commit),
                            builder.CreateVectorOfStrings(body.tools),
                            builder.CreateVectorOfStrings(body.tool_args));
}

flatbuffers::Offset<fb::JobWithdrawn> build(builder_t& builder, const job_withdrawn& body) {
  return fb::CreateJobWithdrawn(builder, builder.CreateString(body.job_id), body.cancelled);
}

flatbuffers::Offset<fb::LeaseRequest> build(builder_t& builder, const lease_request& body) {
  return fb::CreateLeaseRequest(builder, builder.CreateString(body.job_id),
                                builder.CreateString(body.holder));
}

flatbuffers::Offset<fb::LeaseGrant> build(builder_t& builder, const lease_grant& body) {
  return fb::CreateLeaseGrant(builder, static_cast<fb::LeaseStatus>(body.status), body.index,
                              body.epoch, body.lease_count,
                              builder.CreateVectorOfStrings(body.files));
}

flatbuffers::Offset<fb::ItemReport> build(builder_t& builder, const item_report& body) {
  return fb::CreateItemReport(builder, builder.CreateString(body.job_id),
                              builder.CreateString(body.holder), body.epoch,
                              build_item_result(builder, body.result),
                              build(builder, body.contents));
}

flatbuffers::Offset<fb::ReportAck> build(builder_t& builder, const report_ack& body) {
  return fb::CreateReportAck(builder, body.accepted);
}

/// Returns the union tag of the message table `Table`.
template <class Table>
constexpr fb::Message message_type(flatbuffers::Offset<Table>) {
  static_assert(fb::MessageTraits<Table>::enum_value != fb::Message::NONE);
  return fb::MessageTraits<Table>::enum_value;
}

std::pair<fb::Message, flatbuffers::Offset<void>> build_message(builder_t& builder,
                                                                const wire_message& message) {
  return std::visit(
    [&](const auto& body) -> std::pair<fb::Message, flatbuffers::Offset<void>> {
      const auto offset = build(builder, body);
      return {message_type(offset), offset.Union()};
    },
    message);
}

// --- decoding: the buffer is verified, so every offset is in bounds but any field may be
// absent and any enum may hold a value this node does not know ------------------------------

std::string read_bytes(const flatbuffers::Vector<uint8_t>* bytes) {
  if (bytes == nullptr)
    return {};
  return {reinterpret_cast<const char*>(bytes->data()), bytes->size()};
}

using detail::read_enum;
using detail::read_string;
using detail::read_strings;

actor_address read(const fb::ActorAddress* address) {
  if (address == nullptr)
    return {};
  return {read_string(address->node()), read_string(address->name())};
}

caf::expected<member_info> read(const fb::MemberInfo* member) {
  if (member == nullptr)
    return member_info{};
  auto state = read_enum<member_state>(member->state(), "MemberInfo.state");
  if (!state)
    return std::move(state.error());
  return member_info{read_string(member->node_id()), read_string(member->endpoint()),
                     member->boot_count(),           *state,
                     member->last_heard_unix_ms(),   member->items_in_flight(),
                     member->catalog_shards()};
}

file_content read(const fb::FileContent* content) {
  return {read_string(content->path()), read_string(content->hash()),
          read_bytes(content->bytes())};
}

ping read(const fb::Ping& body) {
  return {body.nonce()};
}

pong read(const fb::Pong& body) {
  return {body.nonce(), read_string(body.node_id()), body.boot_count(), body.items_in_flight()};
}

node_hello read(const fb::NodeHello& body) {
  return {read_string(body.node_id()), read_string(body.endpoint()), read_string(body.version())};
}

caf::expected<join_request> read(const fb::JoinRequest& body) {
  auto joiner = read(body.joiner());
  if (!joiner)
    return std::move(joiner.error());
  return join_request{std::move(*joiner)};
}

caf::expected<member_list> read(const fb::MemberList& body) {
  member_list result;
  if (body.members() != nullptr)
    for (const auto* member : *body.members()) {
      auto info = read(member);
      if (!info)
        return std::move(info.error());
      result.members.push_back(std::move(*info));
    }
  return result;
}

job_offer read(const fb::JobOffer& body) {
  return {read_string(body.job_id()),      read_string(body.coordinator_node()),
          read_string(body.repo()),        read_string(body.base_commit()),
          read_strings(body.tools()),      read_strings(body.tool_args())};
}

job_withdrawn read(const fb::JobWithdrawn& body) {
  return {read_string(body.job_id()), body.cancelled()};
}

lease_request read(const fb::LeaseRequest& body) {
  return {read_string(body.job_id()), read_string(body.holder())};
}

caf::expected<lease_grant> read(const fb::LeaseGrant& body) {
  auto status = read_enum<lease_status>(body.status(), "LeaseGrant.status");
  if (!status)
    return std::move(status.error());
  return lease_grant{*status, body.index(), body.epoch(), body.lease_count(),
                     read_strings(body.files())};
}

item_report read(const fb::ItemReport& body) {
  item_report result{read_string(body.job_id()), read_string(body.holder()), body.epoch(),
                     read_item_result(body.result()), {}};
  if (body.contents() != nullptr)
    for (const auto* content : *body.contents())
      result.contents.push_back(read(content));
  return result;
}

report_ack read(const fb::ReportAck& body) {
  return {body.accepted()};
}

template <class T>
caf::expected<wire_message> to_message(T body) {
  return wire_message{std::move(body)};
}

template <class T>
caf::expected<wire_message> to_message(caf::expected<T> body) {
  if (!body)
    return std::move(body.error());
  return wire_message{std::move(*body)};
}

caf::expected<wire_message> read_message(const fb::Envelope& envelope) {
  // The Verifier accepts an absent union value (fields are optional), so check for it here.
  if (envelope.message() == nullptr)
    return make_error(runtime_errc::invalid_buffer, "envelope carries no message");
  switch (envelope.message_type()) {
    case fb::Message::Ping: return to_message(read(*envelope.message_as_Ping()));
    case fb::Message::Pong: return to_message(read(*envelope.message_as_Pong()));
    case fb::Message::NodeHello: return to_message(read(*envelope.message_as_NodeHello()));
    case fb::Message::JoinRequest: return to_message(read(*envelope.message_as_JoinRequest()));
    case fb::Message::MemberList: return to_message(read(*envelope.message_as_MemberList()));
    case fb::Message::JobOffer: return to_message(read(*envelope.message_as_JobOffer()));
    case fb::Message::JobWithdrawn: return to_message(read(*envelope.message_as_JobWithdrawn()));
    case fb::Message::LeaseRequest: return to_message(read(*envelope.message_as_LeaseRequest()));
    case fb::Message::LeaseGrant: return to_message(read(*envelope.message_as_LeaseGrant()));
    case fb::Message::ItemReport: return to_message(read(*envelope.message_as_ItemReport()));
    case fb::Message::ReportAck: return to_message(read(*envelope.message_as_ReportAck()));
    case fb::Message::ShardCorpusRequest: return to_message(read_shard_message(*envelope.message_as_ShardCorpusRequest()));
    case fb::Message::ShardCorpusReply: return to_message(read_shard_message(*envelope.message_as_ShardCorpusReply()));
    case fb::Message::ShardRankRequest: return to_message(read_shard_message(*envelope.message_as_ShardRankRequest()));
    case fb::Message::ShardRankReply: return to_message(read_shard_message(*envelope.message_as_ShardRankReply()));
    case fb::Message::ShardHitsRequest: return to_message(read_shard_message(*envelope.message_as_ShardHitsRequest()));
    case fb::Message::ShardHitsReply: return to_message(read_shard_message(*envelope.message_as_ShardHitsReply()));
    case fb::Message::ShardOutcome: return to_message(read_shard_message(*envelope.message_as_ShardOutcome()));
    case fb::Message::ShardStatsRequest: return to_message(read_shard_message(*envelope.message_as_ShardStatsRequest()));
    case fb::Message::ShardStatsReply: return to_message(read_shard_message(*envelope.message_as_ShardStatsReply()));
    case fb::Message::NONE: break;
  }
  return make_error(runtime_errc::invalid_buffer,
                    "envelope carries no message or a message kind this node does not know ("
                      + std::to_string(static_cast<int>(envelope.message_type())) + ")");
}

} // namespace

std::vector<uint8_t> encode(const envelope& message) {
  builder_t builder{256};
  const auto sender = build(builder, message.sender);
  const auto receiver = build(builder, message.receiver);
  const auto [type, body] = build_message(builder, message.message);
  fb::EnvelopeBuilder envelope_builder{builder};
  envelope_builder.add_sender(sender);
  envelope_builder.add_receiver(receiver);
  envelope_builder.add_message_id(message.message_id);
  envelope_builder.add_correlation_id(message.correlation_id);
  envelope_builder.add_deadline_unix_ms(message.deadline_unix_ms);
  envelope_builder.add_message_type(type);
  envelope_builder.add_message(body);
  fb::FinishEnvelopeBuffer(builder, envelope_builder.Finish());
  return {builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize()};
}

caf::expected<envelope> decode(const uint8_t* data, size_t size, const decode_limits& limits) {
  if (size > limits.max_bytes)
    return make_error(runtime_errc::invalid_buffer,
                      "envelope of " + std::to_string(size) + " bytes exceeds the limit of "
                        + std::to_string(limits.max_bytes));
  const detail::aligned_bytes aligned{{reinterpret_cast<const char*>(data), size}};
  data = aligned.data();
  if (size < sizeof(flatbuffers::uoffset_t) + flatbuffers::kFileIdentifierLength
      || !fb::EnvelopeBufferHasIdentifier(data))
    return make_error(runtime_errc::invalid_buffer,
                      "buffer of " + std::to_string(size)
                        + " bytes is not a Drover envelope (file identifier DRV1 missing)");
  flatbuffers::Verifier verifier{data, size, limits.max_depth, limits.max_tables};
  if (!fb::VerifyEnvelopeBuffer(verifier))
    return make_error(runtime_errc::invalid_buffer,
                      "envelope of " + std::to_string(size)
                        + " bytes failed FlatBuffers verification (truncated, corrupt or too deep)");
  const auto* root = fb::GetEnvelope(data);
  auto message = read_message(*root);
  if (!message)
    return std::move(message.error());
  return envelope{read(root->sender()),
                  read(root->receiver()),
                  root->message_id(),
                  root->correlation_id(),
                  root->deadline_unix_ms(),
                  std::move(*message)};
}

} // namespace drover::runtime
