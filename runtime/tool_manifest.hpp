#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace drover::runtime {

/// What running a tool may do to the files it is given.
enum class side_effect_class : uint8_t {
  read_only,    ///< `read-only`: reports findings, never modifies a file
  writes_files, ///< `writes-files`: rewrites files in place (the invoker reverts them on failure)
};

/// What one exit status of a tool means.
enum class exit_meaning : uint8_t {
  success,  ///< the tool did its job and found nothing to report
  findings, ///< the tool did its job and reported findings (e.g. lint warnings)
  failure,  ///< anything else: the tool failed
};

/// An outcome of one attempt after which the invoker may try again.
enum class retry_trigger : uint8_t {
  timeout,      ///< `timeout`: the attempt ran past timeout_seconds and was killed
  failure,      ///< `failure`: the exit status classified as exit_meaning::failure
  crash,        ///< `crash`: the tool was terminated by a signal
  spawn_failed, ///< `spawn-failed`: the process could not be started (e.g. EAGAIN)
};

/// Returns the manifest spelling of `value`, e.g. "writes-files".
std::string to_string(side_effect_class value);

/// Returns the name of `value`, e.g. "findings".
std::string to_string(exit_meaning value);

/// Returns the manifest spelling of `value`, e.g. "spawn-failed".
std::string to_string(retry_trigger value);

/// The exit statuses that do not mean failure; every other status is a failure.
struct exit_code_map {
  std::vector<int> success{0};
  std::vector<int> findings;
};

/// How often and how patiently a failed attempt is retried.
struct retry_policy {
  int attempts = 3; ///< total attempts including the first one, >= 1
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10000};
  std::vector<retry_trigger> retry_on{retry_trigger::timeout, retry_trigger::crash};
};

/// The command that tells whether a tool is installed and which version it is.
struct probe_spec {
  std::vector<std::string> argv; ///< run without placeholders; exit status 0 means available
  /// An ECMAScript regex searched in the probe's output; its first group (or the whole match
  /// when it has none) is the installed version.
  std::optional<std::string> version_regex;
};

/// An external tool as described by its YAML manifest (see examples/tools/). A plain value:
/// not synchronized, safe to copy between threads.
struct tool_manifest {
  std::string source; ///< where it was read from (file path or a caller-chosen name)
  std::string id;     ///< unique, [a-z0-9._-]+
  std::string version;
  std::string description;
  std::vector<std::string> capabilities;  ///< non-empty, each [a-z-]+ (format, lint, fix, ...)
  std::vector<std::string> languages;     ///< empty means any language
  std::vector<std::string> tags;          ///< extra search words (synonyms, ecosystems)
  std::vector<std::string> file_patterns; ///< non-empty globs, e.g. "*.cpp", "**/*.py"
  /// The command template. Whole-element placeholders: "{files}" (the batch), "{file}" (one
  /// file), "{args}" (the job's extra arguments); "{workspace}" may appear inside an element.
  std::vector<std::string> argv;
  int files_per_invocation = 50; ///< 1 when argv uses "{file}"
  side_effect_class side_effect = side_effect_class::read_only;
  exit_code_map exit_codes;
  std::chrono::seconds timeout{300};
  retry_policy retry;
  std::vector<std::string> env_allow; ///< environment variables passed to the tool
  std::optional<probe_spec> probe;
};

/// Parses a manifest from `yaml_text`. Fails with runtime_errc::invalid_manifest on invalid
/// YAML, a missing required field, an unknown or duplicate key or a bad value; the message
/// reads "SOURCE:LINE: FIELD.PATH: expected ..., got '...'" with `source_name` as SOURCE.
caf::expected<tool_manifest> parse_tool_manifest(const std::string& yaml_text,
                                                 const std::string& source_name);

/// Reads and parses the manifest at `path` (the source name is `path`). Fails with
/// runtime_errc::not_found or io_error when the file cannot be read, else as
/// parse_tool_manifest.
caf::expected<tool_manifest> load_tool_manifest(const std::string& path);

/// Returns `argv` with a first element "drover" (Drover's own tools) replaced by
/// `drover_binary`, the running executable, so that they never depend on PATH.
std::vector<std::string> with_drover_binary(std::vector<std::string> argv,
                                            const std::string& drover_binary);

/// Returns true when the manifest's argv has an "{args}" element, i.e. accepts job arguments.
bool takes_job_args(const tool_manifest& manifest);

/// Expands the argv template for one invocation over `files` (relative to `workspace`; a
/// file starting with '-' is passed as "./FILE" so that it cannot read as an option). `args`
/// replaces "{args}" verbatim. Fails with runtime_errc::invalid_argument when `files` is
/// empty or larger than files_per_invocation, or when `args` is given to a tool without
/// "{args}".
caf::expected<std::vector<std::string>>
expand_argv(const tool_manifest& manifest, const std::vector<std::string>& files,
            const std::string& workspace, const std::vector<std::string>& args = {});

/// Splits `files` into consecutive batches of at most files_per_invocation, in order.
std::vector<std::vector<std::string>> split_batches(const tool_manifest& manifest,
                                                    const std::vector<std::string>& files);

/// Returns the expanded argv of every invocation needed to cover `files`, one per batch of
/// split_batches; fails as expand_argv.
caf::expected<std::vector<std::vector<std::string>>>
invocations(const tool_manifest& manifest, const std::vector<std::string>& files,
            const std::string& workspace, const std::vector<std::string>& args = {});

/// Returns what `exit_code` means for the tool; codes in neither list are failures.
exit_meaning classify_exit(const tool_manifest& manifest, int exit_code);

/// Returns true when an attempt that ended with `outcome` may be retried under `policy`.
bool should_retry(const retry_policy& policy, retry_trigger outcome);

/// Returns the pause before retry number `retry` (1 for the first retry): initial_backoff
/// doubled per further retry, capped at max_backoff.
std::chrono::milliseconds backoff_before(const retry_policy& policy, int retry);

} // namespace drover::runtime
