#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace drover::runtime {

/// Expected failures of the runtime library (CAF `sec` style: one enum, one category).
enum class runtime_errc : uint8_t {
  ok = 0,
  not_found,      ///< a key, file or record that does not exist
  io_error,       ///< the operating system or the store failed to read or write
  corruption,     ///< stored bytes that do not decode
  store_locked,   ///< another process holds the store's lock
  invalid_config, ///< a configuration file, variable or flag with a bad key or value
  invalid_buffer, ///< a received buffer that failed verification
  address_in_use, ///< a port that another process already listens on
  invalid_manifest, ///< a tool manifest with a missing or wrong field
  invalid_argument, ///< a bad value passed by a user or a caller (glob, template, option)
  spawn_failed,     ///< a child process could not be started (missing binary, limits)
  timed_out,        ///< an operation ran past its deadline
  not_a_repository, ///< a path that is not inside a git work tree
  git_failed,       ///< a git command exited with an error
  unavailable,      ///< a cluster member that is unknown, dead or did not answer
};

/// Returns the name of `code`, e.g. "store_locked".
std::string to_string(runtime_errc code);

/// The CAF category of runtime errors.
constexpr caf::atom_value runtime_category = caf::atom("runtime");

/// Makes a `caf::error` of `code` carrying a human-readable `message`.
caf::error make_error(runtime_errc code, std::string message);

/// Makes a `caf::error` of `code` with the code's name as its message.
caf::error make_error(runtime_errc code);

/// Returns the human-readable message of `error` (the one given to make_error), or a rendering
/// of its category and code for errors made elsewhere.
std::string describe(const caf::error& error);

/// Returns true when `error` is the runtime error `code`.
bool is(const caf::error& error, runtime_errc code);

} // namespace drover::runtime
