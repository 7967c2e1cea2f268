#include <chrono>
#include <cstdio>
#include <filesystem>

#include "apps/commands.hpp"
#include "apps/sample_repo.hpp"
#include "runtime/detail/git.hpp"
#include "runtime/error.hpp"

namespace drover::apps {

namespace {

/// The formatter of the second job; the demo skips that job when it is not installed.
constexpr const char* clang_format_path = "/usr/bin/clang-format";

int fail(int status, const std::string& message) {
  std::fprintf(stderr, "drover demo: %s\n", message.c_str());
  return status;
}

/// Prints what the sample repository holds, so that the jobs' counts can be checked against it.
void print_sample(const std::string& repo, const std::vector<sample_file>& plan, double seconds) {
  size_t cpp = 0, python = 0, shell = 0, to_migrate = 0, legacy_shell = 0, drifting = 0;
  for (const auto& file : plan) {
    cpp += file.language == sample_language::cpp ? 1 : 0;
    python += file.language == sample_language::python ? 1 : 0;
    shell += file.language == sample_language::shell ? 1 : 0;
    const bool in_globs =
      file.language == sample_language::cpp || file.language == sample_language::python;
    to_migrate += file.calls_legacy && in_globs ? 1 : 0;
    legacy_shell += file.calls_legacy && file.language == sample_language::shell ? 1 : 0;
    drifting += file.drifts ? 1 : 0;
  }
  std::printf(
    "== sample repository %s (generated in %.2f s)\n"
    "  %zu tracked files: %zu C++ (src/), %zu Python (tools/), %zu shell (scripts/)\n"
    "  %zu C++ and Python files call the deprecated %s( and %zu shell scripts call it too\n"
    "  %zu C++ files drift from the repository's .clang-format\n"
    "  build/ is ignored by git and also calls %s(: no job may touch it\n",
    repo.c_str(), seconds, plan.size(), cpp, python, shell, to_migrate, sample_legacy_function,
    legacy_shell, drifting, sample_legacy_function);
}

/// Runs one demo job through `drover batch`, which prints its report.
int run_job(const std::string& title, runtime::job_spec spec,
            const runtime::config_inputs& inputs) {
  std::printf("\n== %s\n", title.c_str());
  std::fflush(stdout); // the job's progress goes to stderr; keep the two in order on a terminal
  batch_options options;
  options.spec = std::move(spec);
  const int status = run_batch(options, inputs);
  std::fflush(stdout);
  return status;
}

/// Prints the commands that show what the jobs did.
void print_next_steps(const std::string& repo, const std::string& data_dir,
                      const runtime::node_config& config) {
  std::error_code ignored; // without /proc, "drover" is what the user typed anyway
  auto self = std::filesystem::read_symlink("/proc/self/exe", ignored).string();
  if (self.empty())
    self = "drover";
  auto branches = runtime::detail::run_git(
    {"for-each-ref", "--format=%(refname:short)", "refs/heads/drover/"}, repo);
  const auto branch = branches ? runtime::detail::trim_newlines(*branches) : std::string{};
  std::printf("\n== what to look at\n");
  if (!branch.empty() && branch.find('\n') == std::string::npos)
    std::printf("  # job 1's migration: one commit on its own branch; main and the checkout are as "
                "they were\n"
                "  git -C %s log --stat -1 %s\n  git -C %s diff main %s -- src | head -40\n",
                repo.c_str(), branch.c_str(), repo.c_str(), branch.c_str());
  else
    std::printf("  git -C %s branch --list 'drover/*'\n", repo.c_str());
  std::printf("  # the shell scripts still call %s: they were not in the job's globs\n"
              "  git -C %s grep -c '%s ' -- scripts | head -3\n"
              "  # build/ is ignored: no job touched it\n  git -C %s status --short --ignored\n"
              "  # the jobs, kept in the node's store (reports and patches: see above)\n"
              "  %s jobs ls --data-dir %s\n",
              sample_legacy_function, repo.c_str(), sample_legacy_function, repo.c_str(),
              self.c_str(), data_dir.c_str());
  std::printf("\n== metrics: a node exports them while it runs\n"
              "  %s up --data-dir %s     # terminal 1\n"
              "  %s demo --data-dir %s   # terminal 2: the jobs go to that node\n"
              "  curl -s http://%s/metrics | grep ^drover_\n",
              self.c_str(), data_dir.c_str(), self.c_str(), data_dir.c_str(),
              config.metrics.to_string().c_str());
}

} // namespace

int run_demo(const demo_options& options, const runtime::config_inputs& inputs) {
  auto config = runtime::resolve_config(inputs);
  if (!config)
    return fail(exit_usage, runtime::describe(config.error()));
  sample_repo_options sample;
  sample.files = options.files;
  auto plan = plan_sample_repo(sample);
  if (!plan)
    return fail(exit_usage, runtime::describe(plan.error()));
  const auto& data_dir = config->values.data_dir;
  const auto repo = data_dir + "/demo/repo";
  std::error_code error;
  std::filesystem::remove_all(repo, error);
  if (error)
    return fail(exit_failure,
                "cannot remove the previous sample repository " + repo + ": " + error.message());
  const auto start = std::chrono::steady_clock::now();
  if (auto failed = generate_sample_repo(repo, sample))
    return fail(exit_failure, runtime::describe(failed));
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  print_sample(repo, *plan, took.count());

  runtime::job_spec migrate;
  migrate.repo = repo;
  migrate.include = {"**/*.cpp", "**/*.hpp", "**/*.py"};
  migrate.tools = {"drover-codemod"};
  migrate.tool_args = {"--literal", std::string{sample_legacy_function} + "(", "--to",
                       std::string{sample_new_function} + "("};
  migrate.mode = runtime::job_mode::branch;
  int status = run_job("job 1: drover-codemod replaces " + migrate.tool_args[1] + " by " +
                         migrate.tool_args[3] + " on a new branch (branch mode)",
                       migrate, inputs);
  if (status == 130) // interrupted: run_batch said how to resume
    return status;

  if (std::filesystem::exists(clang_format_path, error)) {
    runtime::job_spec format;
    format.repo = repo;
    format.include = {"src/**/*.cpp", "src/**/*.hpp"};
    format.tools = {"clang-format"};
    format.mode = runtime::job_mode::advise;
    const int format_status = run_job(
      "job 2: clang-format finds the formatting drift (advise mode: a report and a patch only)",
      format, inputs);
    if (format_status == 130)
      return format_status;
    status = status == exit_ok ? format_status : status;
  } else {
    std::printf("\n(%s is not installed: skipping the formatting job)\n", clang_format_path);
  }
  print_next_steps(repo, data_dir, config->values);
  return status;
}

} // namespace drover::apps
