#include "runtime/error.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace drover::runtime {

std::string to_string(runtime_errc code) {
  switch (code) {
    case runtime_errc::ok: return "ok";
    case runtime_errc::not_found: return "not_found";
    case runtime_errc::io_error: return "io_error";
    case runtime_errc::corruption: return "corruption";
    case runtime_errc::store_locked: return "store_locked";
    case runtime_errc::invalid_config: return "invalid_config";
    case runtime_errc::invalid_buffer: return "invalid_buffer";
    case runtime_errc::address_in_use: return "address_in_use";
    case runtime_errc::invalid_manifest: return "invalid_manifest";
    case runtime_errc::invalid_argument: return "invalid_argument";
    case runtime_errc::spawn_failed: return "spawn_failed";
    case runtime_errc::timed_out: return "timed_out";
    case runtime_errc::not_a_repository: return "not_a_repository";
    case runtime_errc::git_failed: return "git_failed";
    case runtime_errc::unavailable: return "unavailable";
  }
  return "unknown";
}

caf::error make_error(runtime_errc code, std::string message) {
  return caf::error{static_cast<uint8_t>(code), runtime_category,
                    caf::make_message(std::move(message))};
}

caf::error make_error(runtime_errc code) {
  return make_error(code, to_string(code));
}

std::string describe(const caf::error& error) {
  if (!error)
    return "no error";
  const auto& context = error.context();
  if (context.match_elements<std::string>())
    return context.get_as<std::string>(0);
  if (error.category() == caf::atom("system"))
    return caf::to_string(static_cast<caf::sec>(error.code()));
  return caf::to_string(error.category()) + " error " + std::to_string(error.code());
}

bool is(const caf::error& error, runtime_errc code) {
  return error && error.category() == runtime_category && error.code() == static_cast<uint8_t>(code);
}

} // namespace drover::runtime
