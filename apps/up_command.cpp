#include <csignal>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "apps/commands.hpp"
#include "apps/node.hpp"
#include "runtime/error.hpp"

namespace drover::apps {

namespace {

/// Blocks SIGINT and SIGTERM in this thread and every thread started after it, so that the
/// signals are only ever taken by `sigwait` below.
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

} // namespace

int run_up(const runtime::config_inputs& inputs) {
  auto config = runtime::resolve_config(inputs);
  if (!config) {
    std::fprintf(stderr, "drover up: %s\n", runtime::describe(config.error()).c_str());
    return exit_usage;
  }
  spdlog::set_level(spdlog::level::from_str(config->values.log_level));
  const auto signals = block_stop_signals();
  auto started = node::start(config->values);
  if (!started) {
    std::fprintf(stderr, "drover up: %s\n", runtime::describe(started.error()).c_str());
    return exit_usage;
  }
  const auto& published = (*started)->published();
  std::printf("drover %s node %s (boot %llu)\n"
              "  data dir  %s\n"
              "  listen    %s\n"
              "  http      http://%s/v1/node\n"
              "  metrics   http://%s/metrics\n"
              "ready: SIGINT or SIGTERM stops the node\n",
              published.version.c_str(), published.node_id.c_str(),
              static_cast<unsigned long long>((*started)->boot_count()), published.data_dir.c_str(),
              published.listen.c_str(), published.http.c_str(), published.metrics.c_str());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("{} received, stopping", received == SIGINT ? "SIGINT" : "SIGTERM");
  if (auto error = (*started)->stop()) {
    std::fprintf(stderr, "drover up: %s\n", runtime::describe(error).c_str());
    return exit_failure;
  }
  std::printf("stopped\n");
  return exit_ok;
}

} // namespace drover::apps
