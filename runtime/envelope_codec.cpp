#include "runtime/envelope_codec.hpp"

#include <type_traits>

#include "runtime/detail/aligned_bytes.hpp"
#include "runtime/error.hpp"
#include "schemas/envelope_generated.h"

namespace drover::runtime {

namespace fb = drover::wire;

namespace {

flatbuffers::Offset<fb::ActorAddress> build_address(flatbuffers::FlatBufferBuilder& builder,
                                                    const actor_address& address) {
  return fb::CreateActorAddressDirect(builder, address.node.c_str(), address.name.c_str());
}

std::pair<fb::Message, flatbuffers::Offset<void>>
build_message(flatbuffers::FlatBufferBuilder& builder, const wire_message& message) {
  return std::visit(
    [&](const auto& body) -> std::pair<fb::Message, flatbuffers::Offset<void>> {
      using body_type = std::decay_t<decltype(body)>;
      if constexpr (std::is_same_v<body_type, ping>) {
        return {fb::Message::Ping, fb::CreatePing(builder, body.nonce).Union()};
      } else if constexpr (std::is_same_v<body_type, pong>) {
        return {fb::Message::Pong,
                fb::CreatePongDirect(builder, body.nonce, body.node_id.c_str(), body.boot_count)
                  .Union()};
      } else {
        static_assert(std::is_same_v<body_type, node_hello>);
        return {fb::Message::NodeHello,
                fb::CreateNodeHelloDirect(builder, body.node_id.c_str(), body.endpoint.c_str(),
                                          body.version.c_str())
                  .Union()};
      }
    },
    message);
}

std::string read_string(const flatbuffers::String* text) {
  return text == nullptr ? std::string{} : text->str();
}

actor_address read_address(const fb::ActorAddress* address) {
  if (address == nullptr)
    return {};
  return {read_string(address->node()), read_string(address->name())};
}

caf::expected<wire_message> read_message(const fb::Envelope& envelope) {
  // The Verifier accepts an absent union value (fields are optional), so check for it here.
  if (envelope.message() == nullptr)
    return make_error(runtime_errc::invalid_buffer, "envelope carries no message");
  switch (envelope.message_type()) {
    case fb::Message::Ping:
      return wire_message{ping{envelope.message_as_Ping()->nonce()}};
    case fb::Message::Pong: {
      const auto* body = envelope.message_as_Pong();
      return wire_message{pong{body->nonce(), read_string(body->node_id()), body->boot_count()}};
    }
    case fb::Message::NodeHello: {
      const auto* body = envelope.message_as_NodeHello();
      return wire_message{node_hello{read_string(body->node_id()), read_string(body->endpoint()),
                                     read_string(body->version())}};
    }
    case fb::Message::NONE:
      break;
  }
  return make_error(runtime_errc::invalid_buffer,
                    "envelope carries no message or a message kind this node does not know ("
                      + std::to_string(static_cast<int>(envelope.message_type())) + ")");
}

} // namespace

std::vector<uint8_t> encode(const envelope& message) {
  flatbuffers::FlatBufferBuilder builder{256};
  const auto sender = build_address(builder, message.sender);
  const auto receiver = build_address(builder, message.receiver);
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
  return envelope{read_address(root->sender()),
                  read_address(root->receiver()),
                  root->message_id(),
                  root->correlation_id(),
                  root->deadline_unix_ms(),
                  std::move(*message)};
}

} // namespace drover::runtime
