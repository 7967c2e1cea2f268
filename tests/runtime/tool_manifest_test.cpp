#include "runtime/tool_manifest.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace drover::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const char* const source = "tools/sample.yaml";

/// The fields of a valid manifest, one line each, in this order.
const std::vector<std::pair<std::string, std::string>> base_fields{
  {"id", "sample-lint"},
  {"version", "\"1.2\""},
  {"description", "Lints sample files"},
  {"capabilities", "[lint, fix]"},
  {"languages", "[c++, python]"},
  {"file_patterns", "[\"*.cpp\", \"**/*.py\"]"},
  {"argv", "[sample, \"--root={workspace}\", \"{args}\", \"{files}\"]"},
  {"files_per_invocation", "2"},
  {"side_effect", "read-only"},
  {"exit_codes", "{success: [0], findings: [1, 3]}"},
  {"timeout_seconds", "30"},
  {"retry", "{attempts: 4, initial_backoff_ms: 100, max_backoff_ms: 500, retry_on: [timeout, failure]}"},
  {"env_allow", "[HOME, SAMPLE_CONFIG]"},
  {"probe", "{argv: [sample, --version], version_regex: 'sample ([0-9.]+)'}"},
};

/// Returns the base manifest with `changes` applied: a value replaces a field's value (or is
/// appended as a new key), std::nullopt removes the field.
std::string manifest_text(const std::map<std::string, std::optional<std::string>>& changes = {}) {
  std::string text;
  auto remaining = changes;
  for (const auto& [key, value] : base_fields) {
    auto change = remaining.find(key);
    if (change == remaining.end()) {
      text += key + ": " + value + "\n";
      continue;
    }
    if (change->second)
      text += key + ": " + *change->second + "\n";
    remaining.erase(change);
  }
  for (const auto& [key, value] : remaining)
    text += key + ": " + value.value_or("") + "\n";
  return text;
}

/// Returns "tools/sample.yaml:N" where N is the 1-based line of `key` in the base manifest.
std::string line_of(const std::string& key) {
  for (size_t i = 0; i < base_fields.size(); ++i)
    if (base_fields[i].first == key)
      return std::string{source} + ":" + std::to_string(i + 1);
  return "no such key";
}

tool_manifest parse_valid(const std::string& text) {
  auto manifest = parse_tool_manifest(text, source);
  EXPECT_TRUE(manifest) << describe(manifest.error());
  return manifest ? *manifest : tool_manifest{};
}

TEST(ToolManifestTest, ParsesEveryField) {
  const auto manifest = parse_valid(manifest_text());
  EXPECT_EQ(manifest.source, source);
  EXPECT_EQ(manifest.id, "sample-lint");
  EXPECT_EQ(manifest.version, "1.2");
  EXPECT_EQ(manifest.description, "Lints sample files");
  EXPECT_THAT(manifest.capabilities, ElementsAre("lint", "fix"));
  EXPECT_THAT(manifest.languages, ElementsAre("c++", "python"));
  EXPECT_THAT(manifest.file_patterns, ElementsAre("*.cpp", "**/*.py"));
  EXPECT_THAT(manifest.argv, ElementsAre("sample", "--root={workspace}", "{args}", "{files}"));
  EXPECT_EQ(manifest.files_per_invocation, 2);
  EXPECT_EQ(manifest.side_effect, side_effect_class::read_only);
  EXPECT_THAT(manifest.exit_codes.success, ElementsAre(0));
  EXPECT_THAT(manifest.exit_codes.findings, ElementsAre(1, 3));
  EXPECT_EQ(manifest.timeout, std::chrono::seconds{30});
  EXPECT_EQ(manifest.retry.attempts, 4);
  EXPECT_EQ(manifest.retry.initial_backoff, std::chrono::milliseconds{100});
  EXPECT_EQ(manifest.retry.max_backoff, std::chrono::milliseconds{500});
  EXPECT_THAT(manifest.retry.retry_on, ElementsAre(retry_trigger::timeout, retry_trigger::failure));
  EXPECT_THAT(manifest.env_allow, ElementsAre("HOME", "SAMPLE_CONFIG"));
  ASSERT_TRUE(manifest.probe);
  EXPECT_THAT(manifest.probe->argv, ElementsAre("sample", "--version"));
  EXPECT_EQ(manifest.probe->version_regex, "sample ([0-9.]+)");
}

TEST(ToolManifestTest, AppliesDefaultsToOptionalFields) {
  const auto manifest = parse_valid(manifest_text({{"files_per_invocation", std::nullopt},
                                                   {"exit_codes", std::nullopt},
                                                   {"timeout_seconds", std::nullopt},
                                                   {"retry", std::nullopt},
                                                   {"env_allow", std::nullopt},
                                                   {"probe", std::nullopt},
                                                   {"languages", "[]"}}));
  EXPECT_EQ(manifest.files_per_invocation, 50);
  EXPECT_THAT(manifest.exit_codes.success, ElementsAre(0));
  EXPECT_TRUE(manifest.exit_codes.findings.empty());
  EXPECT_EQ(manifest.timeout, std::chrono::seconds{300});
  EXPECT_EQ(manifest.retry.attempts, 3);
  EXPECT_TRUE(manifest.env_allow.empty());
  EXPECT_TRUE(manifest.languages.empty());
  EXPECT_FALSE(manifest.probe);
}

TEST(ToolManifestTest, SingleFileToolDefaultsToOneFilePerInvocation) {
  const auto manifest = parse_valid(
    manifest_text({{"argv", "[sample, \"{file}\"]"}, {"files_per_invocation", std::nullopt}}));
  EXPECT_EQ(manifest.files_per_invocation, 1);
}

TEST(ToolManifestTest, LeavesBracesThatAreNoPlaceholderAlone) {
  const auto manifest = parse_valid(manifest_text({{"argv", "[fmt, \"--style={BasedOnStyle: LLVM}\", \"{files}\"]"}}));
  EXPECT_THAT(manifest.argv, ElementsAre("fmt", "--style={BasedOnStyle: LLVM}", "{files}"));
}

/// A manifest with one bad field and what its error message must contain.
struct bad_manifest {
  std::string what;
  std::string text;
  std::vector<std::string> expected;
};

TEST(ToolManifestTest, RejectsBadFieldsNamingFileFieldAndExpectation) {
  const std::vector<bad_manifest> cases{
    {"missing id", manifest_text({{"id", std::nullopt}}),
     {"tools/sample.yaml: id: missing required field, expected a tool id of [a-z0-9._-]+"}},
    {"id with capitals", manifest_text({{"id", "Sample"}}),
     {line_of("id") + ": id: expected a tool id of [a-z0-9._-]+, got 'Sample'"}},
    {"text for an integer", manifest_text({{"files_per_invocation", "many"}}),
     {line_of("files_per_invocation") + ": files_per_invocation: expected an integer in 1..100000, got 'many'"}},
    {"list for an integer", manifest_text({{"files_per_invocation", "[2]"}}),
     {line_of("files_per_invocation") + ": files_per_invocation: expected an integer", "got a list"}},
    {"zero files per invocation", manifest_text({{"files_per_invocation", "0"}}),
     {"files_per_invocation: expected an integer in 1..100000, got '0'"}},
    {"bad side effect", manifest_text({{"side_effect", "maybe"}}),
     {line_of("side_effect") + ": side_effect: expected one of read-only, writes-files, got 'maybe'"}},
    {"unknown placeholder", manifest_text({{"argv", "[sample, \"{files}\", \"{fiels}\"]"}}),
     {line_of("argv") + ": argv[2]: unknown placeholder '{fiels}'", "expected one of {files}, {file}"}},
    {"embedded {files}", manifest_text({{"argv", "[sample, \"--in={files}\"]"}}),
     {"argv[1]: expected '{files}' as a whole element, got '--in={files}'"}},
    {"no file placeholder", manifest_text({{"argv", "[sample, --check]"}}),
     {line_of("argv") + ": argv: expected exactly one '{files}' or '{file}' element"}},
    {"placeholder as program", manifest_text({{"argv", "[\"{files}\"]"}}),
     {"argv[0]: expected the program to run before any placeholder"}},
    {"{file} with a batch", manifest_text({{"argv", "[sample, \"{file}\"]"}, {"files_per_invocation", "5"}}),
     {line_of("files_per_invocation") + ": files_per_invocation: expected 1 because argv passes a single '{file}', got 5"}},
    {"unknown key", manifest_text({{"timout_seconds", "5"}}),
     {"tools/sample.yaml:15: timout_seconds: unknown key (did you mean 'timeout_seconds'?)", "expected one of id,"}},
    {"duplicate key", manifest_text() + "id: other\n", {"tools/sample.yaml:15: id: duplicate key"}},
    {"bad capability", manifest_text({{"capabilities", "[lint, Format]"}}),
     {"capabilities[1]: expected capabilities of [a-z-]+", "got 'Format'"}},
    {"empty capabilities", manifest_text({{"capabilities", "[]"}}),
     {"capabilities: expected a non-empty list of capabilities", "got a list"}},
    {"zero attempts", manifest_text({{"retry", "{attempts: 0}"}}),
     {line_of("retry") + ": retry.attempts: expected an integer in 1..100, got '0'"}},
    {"unknown retry trigger", manifest_text({{"retry", "{retry_on: [timeout, sometimes]}"}}),
     {"retry.retry_on[1]: expected one of timeout, failure, crash, spawn-failed, got 'sometimes'"}},
    {"shortened key", manifest_text({{"timeout", "5"}}), {"timeout: unknown key (did you mean 'timeout_seconds'?)"}},
    {"unknown retry key", manifest_text({{"retry", "{attempt: 2}"}}),
     {"retry.attempt: unknown key (did you mean 'attempts'?)"}},
    {"backoff above its cap", manifest_text({{"retry", "{initial_backoff_ms: 900, max_backoff_ms: 500}"}}),
     {"retry.initial_backoff_ms: expected at most max_backoff_ms (500), got 900"}},
    {"findings overlap success", manifest_text({{"exit_codes", "{success: [0, 1], findings: [1]}"}}),
     {"exit_codes.findings: expected statuses not listed in success, got 1 in both"}},
    {"exit status out of range", manifest_text({{"exit_codes", "{success: [256]}"}}),
     {"exit_codes.success[0]: expected an integer in 0..255, got '256'"}},
    {"bad version regex", manifest_text({{"probe", "{argv: [sample], version_regex: '([0-9'}"}}),
     {"probe.version_regex: expected a valid ECMAScript regular expression"}},
    {"probe without argv", manifest_text({{"probe", "{version_regex: 'x'}"}}),
     {"probe.argv: missing required field, expected a non-empty list of strings"}},
    {"bad variable name", manifest_text({{"env_allow", "[HOME, 1PATH]"}}),
     {"env_allow[1]: expected environment variable names, got '1PATH'"}},
    {"empty value", manifest_text({{"description", ""}}),
     {line_of("description") + ": description: expected a non-empty description, got nothing"}},
    {"absolute pattern", manifest_text({{"file_patterns", "[/src/*.cpp]"}}),
     {"file_patterns[0]: expected globs relative to the repository"}},
    {"pattern that is no glob", manifest_text({{"file_patterns", "[\"*.cpp\", \"*.[ch\"]"}}),
     {"file_patterns[1]: expected globs relative to the repository", "got '*.[ch'"}},
    {"invalid YAML", "id: [unclosed\n", {"tools/sample.yaml:", "invalid YAML"}},
    {"not a mapping", "- id\n- version\n", {"tools/sample.yaml: expected a mapping of manifest fields", "got a list"}},
    {"empty document", "", {"tools/sample.yaml: expected a mapping of manifest fields", "got nothing"}},
  };
  for (const auto& bad : cases) {
    SCOPED_TRACE(bad.what);
    auto manifest = parse_tool_manifest(bad.text, source);
    ASSERT_FALSE(manifest);
    EXPECT_TRUE(is(manifest.error(), runtime_errc::invalid_manifest));
    for (const auto& part : bad.expected)
      EXPECT_THAT(describe(manifest.error()), HasSubstr(part));
  }
}

TEST(ToolManifestTest, LoadReportsAMissingFile) {
  auto manifest = load_tool_manifest("/nonexistent/tool.yaml");
  ASSERT_FALSE(manifest);
  EXPECT_TRUE(is(manifest.error(), runtime_errc::not_found));
  EXPECT_THAT(describe(manifest.error()), HasSubstr("/nonexistent/tool.yaml"));
}

TEST(ToolManifestTest, ShippedExamplesParse) {
  const std::string tools = std::string{DROVER_SOURCE_DIR} + "/examples/tools/";
  auto clang_format = load_tool_manifest(tools + "clang-format.yaml");
  ASSERT_TRUE(clang_format) << describe(clang_format.error());
  EXPECT_EQ(clang_format->id, "clang-format");
  EXPECT_EQ(clang_format->side_effect, side_effect_class::writes_files);
  EXPECT_THAT(clang_format->capabilities, ElementsAre("format"));
  EXPECT_FALSE(takes_job_args(*clang_format));
  auto argv = expand_argv(*clang_format, {"a.cpp", "b.hpp"}, "/ws");
  ASSERT_TRUE(argv);
  EXPECT_THAT(*argv, ElementsAre("clang-format", "-i", "--style=file", "--fallback-style=LLVM", "a.cpp", "b.hpp"));

  auto codemod = load_tool_manifest(tools + "drover-codemod.yaml");
  ASSERT_TRUE(codemod) << describe(codemod.error());
  EXPECT_EQ(codemod->id, "drover-codemod");
  EXPECT_TRUE(takes_job_args(*codemod));
  argv = expand_argv(*codemod, {"x.txt"}, "/ws", {"--literal", "old", "--to", "new"});
  ASSERT_TRUE(argv);
  EXPECT_THAT(*argv, ElementsAre("drover", "codemod", "--literal", "old", "--to", "new", "--", "x.txt"));
}

/// The capability words the shipped manifests use (listed in examples/tools/README.md).
const std::set<std::string> capability_vocabulary{"format", "lint", "fix", "security-scan", "secrets-scan",
                                                  "type-check", "docs", "codemod", "sort-imports", "spell-check"};

/// Returns the path of every examples/tools/*.yaml, sorted.
std::vector<std::filesystem::path> shipped_manifest_paths() {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator{std::string{DROVER_SOURCE_DIR} + "/examples/tools"})
    if (entry.is_regular_file() && entry.path().extension() == ".yaml")
      paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  return paths;
}

TEST(ToolManifestTest, EveryShippedManifestParsesUnderItsFileName) {
  const auto paths = shipped_manifest_paths();
  ASSERT_GE(paths.size(), 2U);
  std::set<std::string> ids;
  for (const auto& path : paths) {
    SCOPED_TRACE(path.string());
    auto manifest = load_tool_manifest(path.string());
    ASSERT_TRUE(manifest) << describe(manifest.error());
    EXPECT_EQ(manifest->id, path.stem().string()) << "the file name must be <id>.yaml";
    EXPECT_TRUE(ids.insert(manifest->id).second) << "duplicate id " << manifest->id;
    for (const auto& capability : manifest->capabilities)
      EXPECT_EQ(capability_vocabulary.count(capability), 1U) << "capability outside the vocabulary: " << capability;
    EXPECT_FALSE(manifest->description.empty());
    // The argv template expands for a batch of one file, with and without job arguments.
    auto argv = expand_argv(*manifest, {"dir/file"}, "/ws");
    ASSERT_TRUE(argv) << describe(argv.error());
    EXPECT_EQ(std::count(argv->begin(), argv->end(), "dir/file"), 1);
    if (takes_job_args(*manifest)) {
      EXPECT_TRUE(expand_argv(*manifest, {"dir/file"}, "/ws", {"--extra"}));
    }
  }
}

TEST(ToolManifestTest, QuerySetExpectsShippedTools) {
  std::set<std::string> ids;
  for (const auto& path : shipped_manifest_paths())
    ids.insert(path.stem().string());
  std::ifstream queries{std::string{DROVER_SOURCE_DIR} + "/tests/data/tool_queries.tsv"};
  ASSERT_TRUE(queries.is_open());
  std::string line;
  size_t count = 0;
  for (int number = 1; std::getline(queries, line); ++number) {
    if (line.empty() || line[0] == '#')
      continue;
    SCOPED_TRACE("tool_queries.tsv:" + std::to_string(number));
    const auto tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << "expected QUERY<TAB>TOOL_ID, got '" << line << "'";
    EXPECT_EQ(line.find('\t', tab + 1), std::string::npos);
    EXPECT_GT(tab, 0U);
    EXPECT_EQ(ids.count(line.substr(tab + 1)), 1U) << "no manifest for '" << line.substr(tab + 1) << "'";
    ++count;
  }
  EXPECT_GE(count, 70U);
}

TEST(ToolManifestTest, ExpandsPlaceholders) {
  const auto manifest = parse_valid(manifest_text());
  auto argv = expand_argv(manifest, {"src/a.cpp", "-b.py"}, "/work/ws", {"--fix", "{files}"});
  ASSERT_TRUE(argv) << describe(argv.error());
  // Job arguments are verbatim; a file that starts with '-' cannot pass for an option.
  EXPECT_THAT(*argv, ElementsAre("sample", "--root=/work/ws", "--fix", "{files}", "src/a.cpp", "./-b.py"));
  argv = expand_argv(manifest, {"a.cpp"}, "/ws");
  ASSERT_TRUE(argv);
  EXPECT_THAT(*argv, ElementsAre("sample", "--root=/ws", "a.cpp"));

  const auto single = parse_valid(manifest_text({{"argv", "[one, --in, \"{file}\"]"}, {"files_per_invocation", "1"}}));
  argv = expand_argv(single, {"a.cpp"}, "/ws");
  ASSERT_TRUE(argv);
  EXPECT_THAT(*argv, ElementsAre("one", "--in", "a.cpp"));
}

TEST(ToolManifestTest, RejectsInvocationsThatDoNotFitTheTemplate) {
  const auto manifest = parse_valid(manifest_text());
  const std::vector<std::string> three{"a", "b", "c"};
  for (const auto& files : {std::vector<std::string>{}, three}) {
    auto argv = expand_argv(manifest, files, "/ws");
    ASSERT_FALSE(argv);
    EXPECT_TRUE(is(argv.error(), runtime_errc::invalid_argument));
    EXPECT_THAT(describe(argv.error()), HasSubstr("expected 1..2 files per invocation"));
  }
  auto no_workspace = expand_argv(manifest, {"a"}, "");
  ASSERT_FALSE(no_workspace);
  EXPECT_THAT(describe(no_workspace.error()), HasSubstr("no workspace"));

  const auto without_args = parse_valid(manifest_text({{"argv", "[sample, \"{files}\"]"}}));
  auto argv = expand_argv(without_args, {"a"}, "/ws", {"--extra"});
  ASSERT_FALSE(argv);
  EXPECT_THAT(describe(argv.error()), HasSubstr("tool 'sample-lint': takes no job arguments"));
}

TEST(ToolManifestTest, SplitsFilesIntoInvocationsInOrder) {
  auto manifest = parse_valid(manifest_text({{"argv", "[sample, \"{files}\"]"}, {"files_per_invocation", "50"}}));
  std::vector<std::string> files;
  for (int i = 0; i < 120; ++i)
    files.push_back("f" + std::to_string(i));
  const auto batches = split_batches(manifest, files);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].size(), 50u);
  EXPECT_EQ(batches[1].front(), "f50");
  EXPECT_EQ(batches[2].size(), 20u);
  EXPECT_EQ(batches[2].back(), "f119");

  auto all = invocations(manifest, files, "/ws");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].size(), 21u); // the program and 20 files
  EXPECT_EQ((*all)[2][1], "f100");
  EXPECT_TRUE(split_batches(manifest, {}).empty());
}

TEST(ToolManifestTest, ClassifiesExitStatuses) {
  const auto manifest = parse_valid(manifest_text());
  EXPECT_EQ(classify_exit(manifest, 0), exit_meaning::success);
  EXPECT_EQ(classify_exit(manifest, 1), exit_meaning::findings);
  EXPECT_EQ(classify_exit(manifest, 3), exit_meaning::findings);
  EXPECT_EQ(classify_exit(manifest, 2), exit_meaning::failure);
  EXPECT_EQ(classify_exit(manifest, 127), exit_meaning::failure);
  EXPECT_EQ(to_string(exit_meaning::findings), "findings");
}

TEST(ToolManifestTest, BacksOffExponentiallyUpToTheCap) {
  const auto manifest = parse_valid(manifest_text());
  using std::chrono::milliseconds;
  EXPECT_EQ(backoff_before(manifest.retry, 1), milliseconds{100});
  EXPECT_EQ(backoff_before(manifest.retry, 2), milliseconds{200});
  EXPECT_EQ(backoff_before(manifest.retry, 3), milliseconds{400});
  EXPECT_EQ(backoff_before(manifest.retry, 4), milliseconds{500});
  EXPECT_EQ(backoff_before(manifest.retry, 60), milliseconds{500});
  EXPECT_TRUE(should_retry(manifest.retry, retry_trigger::failure));
  EXPECT_FALSE(should_retry(manifest.retry, retry_trigger::crash));
  EXPECT_EQ(to_string(retry_trigger::spawn_failed), "spawn-failed");
}

} // namespace
} // namespace drover::runtime
