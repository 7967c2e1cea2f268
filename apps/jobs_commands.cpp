#include <cstdio>
#include <filesystem>

#include "apps/commands.hpp"
#include "apps/job_printer.hpp"
#include "apps/node_client.hpp"
#include "runtime/error.hpp"
#include "runtime/job_codec.hpp"
#include "runtime/job_report.hpp"

namespace drover::apps {

namespace {

/// Where job queries go: the running node's API, or the store itself when no node runs.
class job_source {
public:
  static caf::expected<job_source> open(const std::string& node,
                                        const runtime::config_inputs& inputs) {
    auto config = runtime::resolve_config(inputs);
    if (!config)
      return config.error();
    job_source source;
    if (auto url = find_node(node, config->values.data_dir)) {
      source.client_ = std::make_unique<node_client>(*url, config->values.api_token);
      return source;
    }
    const auto path = config->values.data_dir + "/store";
    if (!std::filesystem::exists(path))
      return runtime::make_error(runtime::runtime_errc::not_found,
                                 "no node runs on " + config->values.data_dir
                                   + " and it holds no jobs (no store there)");
    auto db = runtime::store::open(path);
    if (!db)
      return db.error();
    source.db_ = std::move(*db);
    return source;
  }

  caf::expected<nlohmann::json> jobs() {
    if (client_)
      return client_->get("/v1/jobs");
    auto jobs = runtime::list_jobs(*db_);
    if (!jobs)
      return jobs.error();
    auto list = nlohmann::json::array();
    for (const auto& job : *jobs)
      list.push_back(runtime::to_json(job));
    return list;
  }

  caf::expected<nlohmann::json> report(const std::string& id) {
    if (client_)
      return client_->get("/v1/jobs/" + id + "/report");
    auto summary = runtime::summarize_job(*db_, id);
    if (!summary)
      return runtime::is(summary.error(), runtime::runtime_errc::not_found)
               ? runtime::make_error(runtime::runtime_errc::not_found, "no job " + id)
               : summary.error();
    return runtime::to_json(*summary);
  }

  caf::expected<nlohmann::json> cancel(const std::string& id) {
    if (client_)
      return client_->post("/v1/jobs/" + id + "/cancel", nlohmann::json::object());
    // No node runs the job now: record the cancellation so that no node resumes it.
    auto bytes = db_->get(runtime::column::jobs, id);
    if (!bytes)
      return runtime::make_error(runtime::runtime_errc::not_found, "no job " + id);
    auto job = runtime::decode_job(*bytes);
    if (!job)
      return job.error();
    if (!runtime::is_final(job->state)) {
      job->state = runtime::job_state::cancelled;
      job->message = "cancelled by request while no node ran it";
      if (auto error = db_->put(runtime::column::jobs, id, runtime::encode(*job),
                                runtime::durability::power))
        return error;
    }
    return runtime::to_json(*job);
  }

private:
  std::unique_ptr<node_client> client_;
  std::unique_ptr<runtime::store> db_;
};

int fail(const char* command, const caf::error& error) {
  std::fprintf(stderr, "drover jobs %s: %s\n", command, runtime::describe(error).c_str());
  return runtime::is(error, runtime::runtime_errc::invalid_config) ? exit_usage : exit_failure;
}

} // namespace

int run_jobs_ls(const std::string& node, bool json, const runtime::config_inputs& inputs) {
  auto source = job_source::open(node, inputs);
  if (!source)
    return fail("ls", source.error());
  auto jobs = source->jobs();
  if (!jobs)
    return fail("ls", jobs.error());
  if (json)
    std::printf("%s\n", jobs->dump(2).c_str());
  else
    print_job_list(*jobs);
  return exit_ok;
}

int run_jobs_show(const std::string& node, const std::string& id, bool json,
                  const runtime::config_inputs& inputs) {
  auto source = job_source::open(node, inputs);
  if (!source)
    return fail("show", source.error());
  auto report = source->report(id);
  if (!report)
    return fail("show", report.error());
  if (json)
    std::printf("%s\n", report->dump(2).c_str());
  else
    print_job_report(*report);
  return exit_ok;
}

int run_jobs_cancel(const std::string& node, const std::string& id,
                    const runtime::config_inputs& inputs) {
  auto source = job_source::open(node, inputs);
  if (!source)
    return fail("cancel", source.error());
  auto job = source->cancel(id);
  if (!job)
    return fail("cancel", job.error());
  std::printf("job %s %s\n", id.c_str(), job->value("state", "").c_str());
  return exit_ok;
}

} // namespace drover::apps
