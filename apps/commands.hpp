#pragma once

#include "runtime/node_config.hpp"

namespace drover::apps {

/// Exit statuses of the drover binary.
enum exit_status : int {
  exit_ok = 0,
  exit_failure = 1, ///< the command ran and failed
  exit_usage = 2,   ///< bad input or a node that cannot start (port in use, store locked, ...)
};

/// `drover up`: runs a node in the foreground until SIGINT or SIGTERM.
int run_up(const runtime::config_inputs& inputs);

/// `drover config show`: prints the effective configuration and where each value came from.
int run_config_show(const runtime::config_inputs& inputs);

/// `drover version`: prints the versions of Drover and its libraries.
int run_version();

} // namespace drover::apps
