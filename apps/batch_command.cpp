#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <spdlog/spdlog.h>

#include "apps/commands.hpp"
#include "apps/job_printer.hpp"
#include "apps/job_request.hpp"
#include "apps/node_connection.hpp"
#include "apps/progress_display.hpp"
#include "runtime/error.hpp"
#include "runtime/repository_source.hpp"

namespace drover::apps {

namespace {

std::atomic<bool> interrupted{false};

void on_interrupt(int) {
  interrupted = true;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "drover batch: %s\n", message.c_str());
  return exit_failure;
}

/// Prints the end of a job: the report for a person, or as JSON.
int print_outcome(node_client& client, const std::string& id, bool json) {
  auto report = client.get("/v1/jobs/" + id + "/report");
  if (!report)
    return fail(runtime::describe(report.error()));
  if (json)
    std::printf("%s\n", report->dump(2).c_str());
  else
    print_job_report(*report);
  return report->value("state", "") == "succeeded" ? exit_ok : exit_failure;
}

/// Waits for job `id` to end, showing progress. Returns false when interrupted.
bool wait_for_job(node_client& client, const std::string& id) {
  progress_display display{stderr, isatty(STDERR_FILENO) != 0};
  for (;;) {
    auto job = client.get("/v1/jobs/" + id);
    if (job) {
      const auto state = job->value("state", "");
      if (state == "succeeded" || state == "failed" || state == "cancelled") {
        display.finish();
        return true;
      }
      display.update(*job);
    }
    for (int i = 0; i < 4; ++i) {
      if (interrupted) {
        display.finish();
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
  }
}

} // namespace

int run_batch(const batch_options& options, const runtime::config_inputs& inputs) {
  auto config = runtime::resolve_config(inputs);
  if (!config) {
    std::fprintf(stderr, "drover batch: %s\n", runtime::describe(config.error()).c_str());
    return exit_usage;
  }
  // The embedded node's routine logs would tear the progress bar; a chosen level is kept.
  spdlog::set_level(config->origin.at("log_level") == "default"
                      ? spdlog::level::warn
                      : spdlog::level::from_str(config->values.log_level));
  auto spec = options.spec;
  if (options.resume.empty() && !runtime::is_repository_url(spec.repo)) {
    std::error_code ignored; // a path that does not resolve is reported by the job
    const auto absolute = std::filesystem::absolute(spec.repo, ignored);
    spec.repo = absolute.lexically_normal().string();
    if (spec.repo.size() > 1 && spec.repo.back() == '/')
      spec.repo.pop_back();
  }
  signal(SIGINT, on_interrupt);
  signal(SIGTERM, on_interrupt);

  // A running node takes the job; otherwise this process runs one on free ports.
  auto connection = node_connection::open(options.node, config->values);
  if (!connection) {
    std::fprintf(stderr, "drover batch: %s\n", runtime::describe(connection.error()).c_str());
    return exit_usage;
  }
  auto& client = connection->client();
  std::string id = options.resume;
  if (id.empty()) {
    auto submitted = client.post("/v1/jobs", to_job_request(spec));
    if (!submitted) {
      std::fprintf(stderr, "drover batch: %s\n", runtime::describe(submitted.error()).c_str());
      return exit_usage;
    }
    id = submitted->value("id", "");
  }
  std::fprintf(stderr, "job %s on %s\n", id.c_str(),
               connection->embedded() ? "an embedded node" : connection->url().c_str());
  if (!wait_for_job(client, id)) {
    if (connection->embedded()) {
      connection->stop();
      std::fprintf(stderr,
                   "interrupted: job %s is saved in %s and resumes where it stopped with\n"
                   "  drover batch --resume %s --data-dir %s\n(or whenever a node starts on that "
                   "data directory); drover jobs cancel %s drops it\n",
                   id.c_str(), config->values.data_dir.c_str(), id.c_str(),
                   config->values.data_dir.c_str(), id.c_str());
    } else {
      std::fprintf(stderr, "detached: job %s goes on at %s; drover jobs show %s follows it\n",
                   id.c_str(), connection->url().c_str(), id.c_str());
    }
    return 130;
  }
  return print_outcome(client, id, options.json);
}

} // namespace drover::apps
