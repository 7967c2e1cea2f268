#include "apps/sample_repo.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <string_view>
#include <utility>

#include "runtime/detail/git.hpp"
#include "runtime/error.hpp"

namespace drover::apps {

namespace {

using runtime::make_error;
using runtime::runtime_errc;

constexpr uint32_t min_files = 10;

/// The files every sample repository has besides its sources.
constexpr std::array<std::string_view, 3> fixed_files = {"README.md", ".gitignore",
                                                         ".clang-format"};

/// splitmix64: tiny, fast and the same on every platform and standard library (unlike
/// std::uniform_int_distribution), which is what makes the generated tree reproducible.
class prng {
public:
  explicit prng(uint64_t seed)
    : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  /// Returns a number in [0, bound); bound must be positive.
  uint32_t below(uint32_t bound) { return static_cast<uint32_t>(next() % bound); }

  /// Returns true `percent` times out of 100.
  bool chance(uint32_t percent) { return below(100) < percent; }

  template <size_t N>
  std::string pick(const std::array<std::string_view, N>& words) {
    return std::string{words[below(N)]};
  }

private:
  uint64_t state_;
};

/// Returns a seed for one stream of random numbers: `seed` and a stream key, well mixed.
uint64_t stream_seed(uint64_t seed, uint64_t key) {
  return prng{seed ^ (key * 0xff51afd7ed558ccdULL)}.next();
}

/// FNV-1a: keys a stream by a name, so that a header and its source agree on their class.
uint64_t hash_of(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text)
    hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return hash;
}

constexpr std::array<std::string_view, 16> modules = {
  "audio", "auth", "cache", "config", "core",   "crypto",    "events",  "geometry",
  "http",  "ipc",  "jobs",  "net",    "render", "scheduler", "storage", "telemetry"};
constexpr std::array<std::string_view, 10> packages = {"codegen", "coverage", "dataset", "deploy",
                                                       "lint",    "metrics",  "migrate", "perf",
                                                       "release", "report"};
constexpr std::array<std::string_view, 5> areas = {"ci", "deploy", "dev", "ops", "release"};
constexpr std::array<std::string_view, 20> qualifiers = {
  "async",   "batch",  "buffered", "cached", "chunked", "compact",  "delta",
  "indexed", "lazy",   "local",    "merged", "paged",   "pinned",   "remote",
  "ring",    "scoped", "shared",   "sparse", "tiered",  "versioned"};
constexpr std::array<std::string_view, 24> nouns = {
  "buffer", "channel", "client", "codec",    "cursor",   "decoder", "encoder", "frame",
  "index",  "ledger",  "loader", "manifest", "packet",   "parser",  "pool",    "queue",
  "reader", "record",  "router", "sampler",  "snapshot", "stream",  "table",   "writer"};
constexpr std::array<std::string_view, 10> verbs = {"backup", "build",   "check",   "clean",
                                                    "fetch",  "install", "package", "publish",
                                                    "rotate", "verify"};

/// A C++ member function of the generated classes: its declaration and its definition.
/// @C@ is the class, @M@ the module and @LOG@ a log call site.
struct cpp_method {
  std::string_view declaration;
  std::string_view definition;
};

// Written in the sample repository's .clang-format style (LLVM, 100 columns, only empty
// functions on one line), so that only the files given drift differ from clang-format.
constexpr std::array<cpp_method, 9> cpp_methods = {{
  {"bool insert(const std::string &key, long value);",
   "bool @C@::insert(const std::string &key, long value) {\n"
   "  if (keys_.size() >= capacity_) {\n"
   "    @LOG@(\"@M@\", \"@C@ is full\", static_cast<long>(keys_.size()));\n"
   "    return false;\n  }\n  keys_.push_back(key);\n  values_.push_back(value);\n"
   "  return true;\n}\n"},
  {"std::size_t size() const;", "std::size_t @C@::size() const {\n  return keys_.size();\n}\n"},
  {"long lookup(const std::string &key) const;",
   "long @C@::lookup(const std::string &key) const {\n"
   "  for (std::size_t i = 0; i < keys_.size(); ++i) {\n"
   "    if (keys_[i] == key) {\n      return values_[i];\n    }\n  }\n  return -1;\n}\n"},
  {"void clear();",
   "void @C@::clear() {\n  @LOG@(\"@M@\", \"clearing @C@\", static_cast<long>(keys_.size()));\n"
   "  keys_.clear();\n  values_.clear();\n}\n"},
  {"long total() const;",
   "long @C@::total() const {\n  long sum = 0;\n  for (long value : values_) {\n"
   "    sum += value;\n  }\n  return sum;\n}\n"},
  {"bool erase(const std::string &key);",
   "bool @C@::erase(const std::string &key) {\n"
   "  for (std::size_t i = 0; i < keys_.size(); ++i) {\n"
   "    if (keys_[i] != key) {\n      continue;\n    }\n"
   "    keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(i));\n"
   "    values_.erase(values_.begin() + static_cast<std::ptrdiff_t>(i));\n"
   "    return true;\n  }\n  @LOG@(\"@M@\", \"@C@: no such key\", 0);\n  return false;\n}\n"},
  {"std::vector<std::string> keys_with_prefix(const std::string &prefix) const;",
   "std::vector<std::string> @C@::keys_with_prefix(const std::string &prefix) const {\n"
   "  std::vector<std::string> result;\n  for (const auto &key : keys_) {\n"
   "    if (key.compare(0, prefix.size(), prefix) == 0) {\n      result.push_back(key);\n"
   "    }\n  }\n  return result;\n}\n"},
  {"void scale(long factor);", "void @C@::scale(long factor) {\n  if (factor == 0) {\n"
                               "    @LOG@(\"@M@\", \"@C@: scaling by zero\", factor);\n  }\n"
                               "  for (auto &value : values_) {\n    value *= factor;\n  }\n}\n"},
  {"std::string describe() const;",
   "std::string @C@::describe() const {\n  std::string text = \"@C@(\";\n"
   "  text += std::to_string(keys_.size());\n  text += \"/\";\n"
   "  text += std::to_string(capacity_);\n  text += \")\";\n  return text;\n}\n"},
}};

constexpr std::string_view cpp_header_head =
  "#pragma once\n\n#include <cstddef>\n#include <string>\n#include <vector>\n\n"
  "#include \"base/logging.hpp\"\n\nnamespace acme::@M@ {\n\n"
  "/// Keeps @M@ entries by key, in insertion order, up to a fixed capacity.\n"
  "class @C@ {\npublic:\n  explicit @C@(std::size_t capacity);\n\n";
constexpr std::string_view cpp_header_tail =
  "\nprivate:\n  std::size_t capacity_;\n  std::vector<std::string> keys_;\n"
  "  std::vector<long> values_;\n};\n";
constexpr std::string_view cpp_header_trace =
  "\n/// Logs the size of `value` on the @M@ channel.\n"
  "inline void trace_@C@(const @C@ &value) {\n"
  "  @LOG@(\"@M@\", \"@C@ size\", static_cast<long>(value.size()));\n}\n";
constexpr std::string_view cpp_source_head =
  "#include \"@M@/@C@.hpp\"\n\n#include <cstddef>\n#include <string>\n#include <vector>\n\n"
  "namespace acme::@M@ {\n\n@C@::@C@(std::size_t capacity) : capacity_(capacity) {}\n";
constexpr std::string_view cpp_namespace_end = "\n} // namespace acme::@M@\n";

constexpr std::string_view python_head =
  "\"\"\"@C@: @M@ helpers used by the release and CI pipelines.\"\"\"\n\n"
  "import json\nimport os\nimport sys\n\nfrom acme import log\n\nDEFAULT_LIMIT = @N@\n";
constexpr std::array<std::string_view, 4> python_parts = {
  "\n\ndef load_@C@(path):\n    \"\"\"Returns the @C@ data stored as JSON at path.\"\"\"\n"
  "    with open(path, encoding=\"utf-8\") as handle:\n        data = json.load(handle)\n"
  "    log.@LOG@(\"@M@\", \"loaded @C@\", len(data))\n    return data\n",
  "\n\ndef save_@C@(path, data):\n    \"\"\"Writes data as JSON to path, atomically.\"\"\"\n"
  "    tmp = path + \".tmp\"\n    with open(tmp, \"w\", encoding=\"utf-8\") as handle:\n"
  "        json.dump(data, handle, indent=2, sort_keys=True)\n    os.replace(tmp, path)\n",
  "\n\ndef count_entries(items, limit=DEFAULT_LIMIT):\n"
  "    \"\"\"Counts the items that are not empty, up to limit.\"\"\"\n    total = 0\n"
  "    for item in items:\n        if not item:\n            continue\n        total += 1\n"
  "        if total >= limit:\n            log.@LOG@(\"@M@\", \"limit reached\", limit)\n"
  "            break\n    return total\n",
  "\n\nclass Table:\n    \"\"\"Keeps @C@ entries in memory.\"\"\"\n\n"
  "    def __init__(self, capacity=DEFAULT_LIMIT):\n        self.capacity = capacity\n"
  "        self.entries = {}\n\n    def add(self, key, value):\n"
  "        if len(self.entries) >= self.capacity:\n"
  "            log.@LOG@(\"@M@\", \"table full\", len(self.entries))\n            return False\n"
  "        self.entries[key] = value\n        return True\n\n"
  "    def get(self, key, default=None):\n        return self.entries.get(key, default)\n",
};
constexpr std::string_view python_main =
  "\n\ndef main(argv=None):\n    \"\"\"Prints how many entries each JSON file given holds.\"\"\"\n"
  "    args = sys.argv[1:] if argv is None else argv\n    for path in args:\n"
  "        with open(path, encoding=\"utf-8\") as handle:\n"
  "            print(path, len(json.load(handle)))\n"
  "    log.@LOG@(\"@M@\", \"@C@ done\", len(args))\n    return 0\n\n\n"
  "if __name__ == \"__main__\":\n    sys.exit(main())\n";

constexpr std::string_view shell_head =
  "#!/usr/bin/env bash\n# @C@: part of the @M@ tooling; run from the repository root.\n"
  "set -euo pipefail\n\nhere=\"$(cd \"$(dirname \"$0\")\" && pwd)\"\n"
  "# shellcheck source=../lib/log.sh\n. \"$here/../lib/log.sh\"\n\n"
  "target=\"${1:-build/@M@}\"\nretries=@N@\n";
constexpr std::array<std::string_view, 3> shell_parts = {
  "\ncheck_target() {\n  if [ ! -e \"$1\" ]; then\n    @LOG@ \"@M@\" \"missing $1\"\n"
  "    return 1\n  fi\n}\n",
  "\nwith_retries() {\n  local attempt=1\n  until \"$@\"; do\n"
  "    if [ \"$attempt\" -ge \"$retries\" ]; then\n      return 1\n    fi\n"
  "    attempt=$((attempt + 1))\n    sleep 1\n  done\n}\n",
  "\nfor file in \"${@:2}\"; do\n  [ -f \"$file\" ] || @LOG@ \"@M@\" \"skipping $file\"\n"
  "done\n",
};
constexpr std::string_view shell_tail =
  "\nmkdir -p \"$target\"\n@LOG@ \"@M@\" \"@C@ finished in $target\"\n";

/// Replaces every `@KEY@` of `text` by its value in `vars`.
std::string expand(std::string_view text,
                   const std::vector<std::pair<std::string, std::string>>& vars) {
  std::string result{text};
  for (const auto& [key, value] : vars)
    for (auto at = result.find(key); at != std::string::npos;
         at = result.find(key, at + value.size()))
      result.replace(at, key.size(), value);
  return result;
}

/// Replaces each @LOG@ by the deprecated or the new function. A file that calls the deprecated
/// one does so at least once; a migrated file never does.
std::string resolve_log_sites(std::string text, bool legacy, prng& rng) {
  const std::string marker = "@LOG@";
  std::vector<size_t> sites;
  for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1))
    sites.push_back(at);
  std::vector<bool> old(sites.size(), false);
  if (legacy && !sites.empty()) {
    for (size_t i = 0; i < sites.size(); ++i)
      old[i] = rng.chance(60);
    old[rng.below(static_cast<uint32_t>(sites.size()))] = true;
  }
  for (size_t i = sites.size(); i-- > 0;)
    text.replace(sites[i], marker.size(), old[i] ? sample_legacy_function : sample_new_function);
  return text;
}

/// Splits `text` into lines without their '\n'.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (auto end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

/// Adds formatting drift: trailing white space (always, so that clang-format changes every
/// drifting file), and sometimes odd indentation or opening braces on their own line.
std::string add_drift(const std::string& text, prng& rng) {
  auto lines = lines_of(text);
  const auto count = static_cast<uint32_t>(lines.size());
  std::vector<size_t> non_empty;
  for (size_t i = 0; i < lines.size(); ++i)
    if (!lines[i].empty())
      non_empty.push_back(i);
  for (uint32_t n = 1 + rng.below(3); n > 0; --n)
    lines[non_empty[rng.below(static_cast<uint32_t>(non_empty.size()))]] +=
      rng.chance(50) ? "  " : " \t";
  if (rng.chance(60))
    for (uint32_t n = 1 + rng.below(4); n > 0; --n) {
      auto& line = lines[rng.below(count)];
      if (line.compare(0, 2, "  ") == 0)
        line = rng.chance(50) ? " " + line : "\t" + line.substr(2);
    }
  std::string result;
  const bool allman = rng.chance(50);
  for (auto& line : lines) {
    const bool definition = !line.empty() && line[0] != ' ' && line.size() > 2 &&
                            line.compare(line.size() - 3, 3, ") {") == 0;
    if (allman && definition)
      line.replace(line.size() - 2, 2, "\n{");
    if (!allman && rng.chance(30))
      if (auto at = line.find("if ("); at != std::string::npos)
        line.erase(at + 2, 1);
    result += line + "\n";
  }
  return result;
}

std::string cpp_content(const sample_file& file, const std::string& module, const std::string& name,
                        prng& rng, uint64_t seed) {
  // The class's methods come from a stream keyed by its name: header and source agree.
  prng class_rng{stream_seed(seed, hash_of(module + "/" + name))};
  std::vector<const cpp_method*> methods = {&cpp_methods[0], &cpp_methods[1]};
  for (size_t i = 2; i < cpp_methods.size(); ++i)
    if (class_rng.chance(45))
      methods.push_back(&cpp_methods[i]);
  std::string text;
  if (file.path.compare(file.path.size() - 4, 4, ".hpp") == 0) {
    text = cpp_header_head;
    for (const auto* method : methods)
      text += "  " + std::string{method->declaration} + "\n";
    text += cpp_header_tail;
    if (file.calls_legacy || rng.chance(40))
      text += cpp_header_trace;
  } else {
    text = cpp_source_head;
    for (const auto* method : methods)
      text += "\n" + std::string{method->definition};
  }
  text += cpp_namespace_end;
  text = resolve_log_sites(expand(text, {{"@C@", name}, {"@M@", module}}), file.calls_legacy, rng);
  return file.drifts ? add_drift(text, rng) : text;
}

template <size_t N>
std::string script_content(std::string_view head, const std::array<std::string_view, N>& parts,
                           std::string_view tail, const sample_file& file, const std::string& group,
                           const std::string& name, prng& rng) {
  std::string text{head};
  for (auto part : parts)
    if (rng.chance(60))
      text += part;
  text += tail;
  const auto number = std::to_string(3 + rng.below(97));
  return resolve_log_sites(expand(text, {{"@C@", name}, {"@M@", group}, {"@N@", number}}),
                           file.calls_legacy, rng);
}

std::string readme_content(const std::vector<sample_file>& files, uint64_t seed) {
  std::array<size_t, 4> by_language = {0, 0, 0, 0};
  size_t legacy = 0;
  size_t drifting = 0;
  for (const auto& file : files) {
    ++by_language[static_cast<size_t>(file.language)];
    legacy += file.calls_legacy ? 1 : 0;
    drifting += file.drifts ? 1 : 0;
  }
  return "# acme-platform (a Drover sample repository)\n\nGenerated by `drover demo` with seed " +
         std::to_string(seed) + ": " + std::to_string(files.size()) + " files, " +
         std::to_string(by_language[0]) + " C++ (`src/`), " + std::to_string(by_language[1]) +
         " Python (`tools/`), " + std::to_string(by_language[2]) + " shell (`scripts/`).\n\n- " +
         std::to_string(legacy) + " files still call the deprecated `" + sample_legacy_function +
         "`; `" + sample_new_function + "` replaces it.\n- " + std::to_string(drifting) +
         " C++ files drift from `.clang-format`.\n- `build/` holds generated files; git ignores"
         " it and no tool may touch it.\n";
}

/// Returns the content of `file` (`index` in the plan), a pure function of its arguments.
std::string content_of(const sample_file& file, size_t index, const std::vector<sample_file>& plan,
                       uint64_t seed) {
  if (file.path == "README.md")
    return readme_content(plan, seed);
  if (file.path == ".gitignore")
    return "# Build output: generated, never edited by hand.\nbuild/\n*.o\n__pycache__/\n";
  if (file.path == ".clang-format")
    return "# House style; clang-format 14.\nBasedOnStyle: LLVM\nColumnLimit: 100\n"
           "AllowShortFunctionsOnASingleLine: Empty\n";
  const std::filesystem::path path{file.path};
  const auto group = path.parent_path().filename().string();
  const auto name = path.stem().string();
  prng rng{stream_seed(seed, index + 1)};
  switch (file.language) {
    case sample_language::cpp:
      return cpp_content(file, group, name, rng, seed);
    case sample_language::python:
      return script_content(python_head, python_parts, python_main, file, group, name, rng);
    case sample_language::shell:
      return script_content(shell_head, shell_parts, shell_tail, file, group, name, rng);
    case sample_language::other:
      break;
  }
  return {};
}

/// Returns `directory` + `name`, with a number appended to `name` when that path is taken.
std::string unique_stem(std::set<std::string>& taken, const std::string& directory,
                        const std::string& name) {
  auto stem = directory + name;
  for (int n = 2; !taken.insert(stem).second; ++n)
    stem = directory + name + "_" + std::to_string(n);
  return stem;
}

/// Sets `flag` on exactly `percent`% (rounded down) of the files of `language`, chosen by `rng`.
void mark(std::vector<sample_file>& files, sample_language language, uint32_t percent,
          bool sample_file::*flag, prng& rng) {
  std::vector<size_t> candidates;
  for (size_t i = 0; i < files.size(); ++i)
    if (files[i].language == language)
      candidates.push_back(i);
  const size_t chosen = candidates.size() * percent / 100;
  for (size_t i = 0; i < chosen; ++i) {
    std::swap(candidates[i],
              candidates[i + rng.below(static_cast<uint32_t>(candidates.size() - i))]);
    files[candidates[i]].*flag = true;
  }
}

/// Writes `content` to `path` with `mode` (before the umask): one open, write and close, which
/// matters on file systems where every file costs a millisecond.
caf::error write_file(const std::filesystem::path& path, const std::string& content,
                      mode_t mode = 0644) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  bool ok = fd >= 0;
  for (size_t done = 0; ok && done < content.size();) {
    const auto written = ::write(fd, content.data() + done, content.size() - done);
    ok = written > 0 || (written < 0 && errno == EINTR);
    done += written > 0 ? static_cast<size_t>(written) : 0;
  }
  int error = ok ? 0 : errno;
  if (fd >= 0 && ::close(fd) != 0 && ok) {
    ok = false;
    error = errno;
  }
  if (!ok)
    return make_error(runtime_errc::io_error, "sample repository: cannot write " + path.string() +
                                                ": " + std::strerror(error));
  return caf::none;
}

/// Writes the ignored build/ directory: generated sources that call the deprecated function.
caf::error write_ignored_files(const std::filesystem::path& root) {
  std::error_code error;
  std::filesystem::create_directories(root / "build/generated", error);
  for (int i = 0; i < 8; ++i) {
    const bool cpp = i % 2 == 0;
    const auto name = "build/generated/stub_" + std::to_string(i) + (cpp ? ".cpp" : ".py");
    const auto content = std::string{cpp ? "//" : "#"} + " Generated by the build; do not edit.\n" +
                         sample_legacy_function + "(\"generated\", \"stub " + std::to_string(i) +
                         "\", 0)" + (cpp ? ";\n" : "\n");
    if (auto failed = write_file(root / name, content))
      return failed;
  }
  return write_file(root / "build/CMakeCache.txt", "CMAKE_BUILD_TYPE:STRING=RelWithDebInfo\n");
}

} // namespace

caf::expected<std::vector<sample_file>> plan_sample_repo(const sample_repo_options& options) {
  if (options.files < min_files)
    return make_error(runtime_errc::invalid_argument,
                      "sample repository: files: expected at least " + std::to_string(min_files) +
                        ", got " + std::to_string(options.files));
  if (options.legacy_percent > 100 || options.drift_percent > 100)
    return make_error(runtime_errc::invalid_argument,
                      "sample repository: legacy_percent and drift_percent: expected 0..100");
  const uint32_t sources = options.files - static_cast<uint32_t>(fixed_files.size());
  const uint32_t cpp = sources / 2;
  const uint32_t python = sources * 35 / 100;
  prng rng{stream_seed(options.seed, 0)};
  std::set<std::string> taken;
  std::vector<sample_file> files;
  files.reserve(options.files);
  for (uint32_t i = 0; i < cpp; i += 2) {
    const auto stem = unique_stem(taken, "src/" + rng.pick(modules) + "/",
                                  rng.pick(qualifiers) + "_" + rng.pick(nouns));
    if (i + 1 < cpp)
      files.push_back({stem + ".hpp", sample_language::cpp});
    files.push_back({stem + ".cpp", sample_language::cpp});
  }
  for (uint32_t i = 0; i < python; ++i)
    files.push_back({unique_stem(taken, "tools/" + rng.pick(packages) + "/",
                                 rng.pick(qualifiers) + "_" + rng.pick(nouns)) +
                       ".py",
                     sample_language::python});
  for (uint32_t i = cpp + python; i < sources; ++i)
    files.push_back({unique_stem(taken, "scripts/" + rng.pick(areas) + "/",
                                 rng.pick(verbs) + "_" + rng.pick(nouns)) +
                       ".sh",
                     sample_language::shell});
  for (auto language : {sample_language::cpp, sample_language::python, sample_language::shell})
    mark(files, language, options.legacy_percent, &sample_file::calls_legacy, rng);
  mark(files, sample_language::cpp, options.drift_percent, &sample_file::drifts, rng);
  for (auto name : fixed_files)
    files.push_back({std::string{name}, sample_language::other});
  return files;
}

caf::error generate_sample_repo(const std::string& dir, const sample_repo_options& options) {
  auto plan = plan_sample_repo(options);
  if (!plan)
    return plan.error();
  namespace fs = std::filesystem;
  const fs::path root{dir};
  std::error_code error;
  if (fs::exists(root, error) && !fs::is_empty(root, error))
    return make_error(runtime_errc::invalid_argument,
                      "sample repository: " + dir + " exists and is not empty");
  if (fs::create_directories(root, error); error)
    return make_error(runtime_errc::io_error,
                      "sample repository: cannot create " + dir + ": " + error.message());
  if (auto init = runtime::detail::run_git({"init", "-q", "-b", "main"}, dir); !init)
    return init.error();
  std::set<fs::path> made;
  for (size_t i = 0; i < plan->size(); ++i) {
    const auto& file = (*plan)[i];
    const auto path = root / file.path;
    if (made.insert(path.parent_path()).second)
      fs::create_directories(path.parent_path(), error);
    const mode_t mode = file.language == sample_language::shell ? 0755 : 0644;
    if (auto failed = write_file(path, content_of(file, i, *plan, options.seed), mode))
      return failed;
  }
  if (auto failed = write_ignored_files(root))
    return failed;
  // Every blob above core.bigFileThreshold is streamed into one pack: a single file instead of
  // one loose object per file, which is most of the time `git add` takes on a slow disk.
  if (auto added = runtime::detail::run_git({"-c", "core.bigFileThreshold=1", "add", "-A"}, dir);
      !added)
    return added.error();
  // A fixed identity and date make the commit, not only the tree, the same on every run.
  const std::string date = "2024-01-01T00:00:00+0000";
  runtime::detail::git_command commit{
    {"-c", "user.name=Drover Demo", "-c", "user.email=demo@localhost", "-c", "commit.gpgsign=false",
     "commit", "-q", "--no-verify", "-m", "Sample repository for drover demo"},
    dir,
    {{"GIT_AUTHOR_DATE", date}, {"GIT_COMMITTER_DATE", date}}};
  if (auto committed = runtime::detail::run_git(commit); !committed)
    return committed.error();
  return caf::none;
}

} // namespace drover::apps
