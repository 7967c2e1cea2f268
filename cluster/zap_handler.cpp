#include "cluster/zap_handler.hpp"

#include <array>
#include <optional>

#include "cluster/detail/socket_options.hpp"
#include "runtime/error.hpp"

namespace drover::cluster {

namespace {

constexpr const char* zap_endpoint = "inproc://zeromq.zap.01";
constexpr size_t curve_key_bytes = 32;
// A request has 6 frames plus the mechanism's credentials (one for CURVE); a longer one is read
// to its end (a REP socket answers whole requests) and refused as malformed.
constexpr size_t max_request_frames = 8;

// The frames of a ZAP request (RFC 27).
enum frame : size_t { version, request_id, domain, address, routing_id, mechanism, credentials };

std::string z85(const zmq::message_t& key) {
  if (key.size() != curve_key_bytes)
    return "";
  std::array<char, 41> text{};
  zmq_z85_encode(text.data(), key.data<uint8_t>(), key.size());
  return text.data();
}

/// Decides a request: nothing when the client is admitted, otherwise why it is refused.
std::optional<auth_refusal> judge(const std::vector<zmq::message_t>& request,
                                  const std::unordered_set<std::string>& authorized) {
  if (request.size() <= mechanism || request[version].to_string_view() != "1.0"
      || request[domain].to_string_view() != detail::zap_domain)
    return auth_refusal::malformed_request;
  if (request[mechanism].to_string_view() != "CURVE")
    return auth_refusal::mechanism;
  if (request.size() != credentials + 1 || request[credentials].size() != curve_key_bytes)
    return auth_refusal::malformed_request;
  if (authorized.count(request[credentials].to_string()) == 0)
    return auth_refusal::unknown_key;
  return std::nullopt;
}

} // namespace

zap_handler::zap_handler(zmq::context_t& context, const std::vector<std::string>& authorized,
                         transport_metrics& metrics)
  : socket_(context, zmq::socket_type::rep), metrics_(metrics) {
  socket_.set(zmq::sockopt::linger, 0);
  for (const auto& key : authorized) {
    std::string binary(curve_key_bytes, '\0');
    // load_curve_keys checked every key; one that does not decode would admit nobody anyway.
    if (zmq_z85_decode(reinterpret_cast<uint8_t*>(binary.data()), key.c_str()) != nullptr)
      authorized_.insert(std::move(binary));
  }
}

caf::error zap_handler::bind() {
  try {
    socket_.bind(zap_endpoint);
  } catch (const zmq::error_t& error) {
    const auto code = error.num() == EADDRINUSE ? runtime::runtime_errc::address_in_use
                                                : runtime::runtime_errc::io_error;
    return runtime::make_error(code, std::string{"cannot start the ZAP handler on "} + zap_endpoint
                                       + ": " + error.what()
                                       + " (one endpoint with keys per ZeroMQ context)");
  }
  return caf::none;
}

void zap_handler::answer_requests() {
  std::vector<zmq::message_t> request;
  zmq::message_t part;
  while (socket_.recv(part, zmq::recv_flags::dontwait)) {
    request.clear();
    size_t frames = 0;
    for (bool more = true; more;) {
      more = part.more();
      if (++frames <= max_request_frames)
        request.push_back(std::move(part));
      // The parts of one message arrive together: the next one is there.
      if (more && !socket_.recv(part, zmq::recv_flags::dontwait))
        break;
    }
    answer(request, frames > max_request_frames);
  }
}

void zap_handler::answer(const std::vector<zmq::message_t>& request, bool too_long) {
  const auto refusal = too_long ? auth_refusal::malformed_request : judge(request, authorized_);
  const auto field = [&request](size_t index) {
    return index < request.size() ? request[index].to_string() : std::string{};
  };
  const auto key = request.size() > credentials ? z85(request[credentials]) : std::string{};
  if (refusal)
    metrics_.auth_refused(*refusal, field(address), key);
  // The reply (RFC 27): version, request id, status code and text, user id (the client's key,
  // which ZeroMQ attaches to its messages as the "User-Id" property), metadata.
  const std::array<std::string, 6> reply{"1.0",
                                         field(request_id),
                                         refusal ? "400" : "200",
                                         refusal ? "not admitted" : "OK",
                                         refusal ? "" : key,
                                         ""};
  for (size_t i = 0; i < reply.size(); ++i)
    socket_.send(zmq::buffer(reply[i]),
                 i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
}

} // namespace drover::cluster
