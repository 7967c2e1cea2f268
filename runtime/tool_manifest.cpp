#include "runtime/tool_manifest.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>

#include "runtime/detail/regex.hpp"
#include "runtime/error.hpp"
#include "runtime/glob.hpp"
#include "runtime/yaml_field_reader.hpp"

namespace drover::runtime {

namespace {

const std::string files_placeholder = "{files}";
const std::string file_placeholder = "{file}";
const std::string args_placeholder = "{args}";
const std::string workspace_placeholder = "{workspace}";

/// Returns true when `text` is non-empty and made of a-z, 0-9 (when `digits`) and `extra`.
bool made_of(const std::string& text, bool digits, const std::string& extra) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (digits && c >= '0' && c <= '9') || extra.find(c) != std::string::npos;
  });
}

bool is_tool_id(const std::string& text) {
  return made_of(text, true, "._-");
}

bool is_capability(const std::string& text) {
  return made_of(text, false, "-");
}

/// A language or search tag: lowercase, digits and "+#._-" (c++, c#, node.js, shell).
bool is_word(const std::string& text) {
  return made_of(text, true, "+#._-");
}

bool is_env_name(const std::string& text) {
  const auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  return !text.empty() && !(text[0] >= '0' && text[0] <= '9')
         && std::all_of(text.begin(), text.end(), [&](char c) { return upper(c) || made_of({c}, true, "_"); });
}

/// Jobs match file_patterns against repository-relative paths: a pattern must compile there.
bool is_relative_glob(const std::string& text) {
  return text[0] != '/' && static_cast<bool>(glob::parse(text));
}

/// Returns the placeholders in `text`: "{" lowercase letters or '_' "}". Anything else in braces
/// (clang-format's "--style={BasedOnStyle: LLVM}") is not a placeholder and passes through.
std::vector<std::string> placeholders_in(const std::string& text) {
  std::vector<std::string> found;
  for (auto open = text.find('{'); open != std::string::npos; open = text.find('{', open + 1)) {
    auto close = open + 1;
    while (close < text.size() && ((text[close] >= 'a' && text[close] <= 'z') || text[close] == '_'))
      ++close;
    if (close < text.size() && close > open + 1 && text[close] == '}')
      found.push_back(text.substr(open, close - open + 1));
  }
  return found;
}

const std::vector<std::pair<std::string, retry_trigger>> retry_trigger_names{
  {"timeout", retry_trigger::timeout},
  {"failure", retry_trigger::failure},
  {"crash", retry_trigger::crash},
  {"spawn-failed", retry_trigger::spawn_failed}};

/// Checks the placeholders of argv element `f` (already read into `element`) and counts the
/// whole-element ones in `uses`.
bool check_argv_element(yaml_field_reader& reader, const yaml_field& f, const std::string& element,
                        bool first, std::map<std::string, int>& uses) {
  for (const auto& name : placeholders_in(element)) {
    if (name == workspace_placeholder)
      continue;
    if (name != files_placeholder && name != file_placeholder && name != args_placeholder)
      return reader.fail(f.mark, f.path, "unknown placeholder '" + name
                                           + "', expected one of {files}, {file}, {args}, {workspace}");
    if (element != name)
      return reader.expected(f, "'" + name + "' as a whole element");
    if (first)
      return reader.expected(f, "the program to run before any placeholder");
    if (++uses[name] > 1)
      return reader.fail(f.mark, f.path, "expected '" + name + "' at most once in argv");
  }
  return true;
}

bool read_retry(yaml_field_reader& reader, const yaml_field& f, retry_policy& retry) {
  long attempts = retry.attempts;
  long initial = retry.initial_backoff.count();
  long max = retry.max_backoff.count();
  YAML::Mark initial_mark = f.mark;
  const std::vector<yaml_key> keys{
    {"attempts", false, "", [&](const yaml_field& v) { return reader.integer(v, 1, 100, attempts); }},
    {"initial_backoff_ms", false, "",
     [&](const yaml_field& v) {
       initial_mark = v.mark;
       return reader.integer(v, 0, 3600000, initial);
     }},
    {"max_backoff_ms", false, "", [&](const yaml_field& v) { return reader.integer(v, 0, 3600000, max); }},
    {"retry_on", false, "",
     [&](const yaml_field& v) {
       retry.retry_on.clear();
       return reader.list(v, "retry triggers", false, [&](const yaml_field& element) {
         retry_trigger trigger{};
         if (!reader.choice(element, retry_trigger_names, trigger))
           return false;
         retry.retry_on.push_back(trigger);
         return true;
       });
     }}};
  if (!reader.mapping(f, keys))
    return false;
  if (initial > max)
    return reader.fail(initial_mark, f.path + ".initial_backoff_ms",
                       "expected at most max_backoff_ms (" + std::to_string(max) + "), got "
                         + std::to_string(initial));
  retry.attempts = static_cast<int>(attempts);
  retry.initial_backoff = std::chrono::milliseconds{initial};
  retry.max_backoff = std::chrono::milliseconds{max};
  return true;
}

bool read_exit_codes(yaml_field_reader& reader, const yaml_field& f, exit_code_map& codes) {
  auto code_list = [&](std::vector<int>& out, bool non_empty) {
    return [&reader, &out, non_empty](const yaml_field& v) {
      out.clear();
      return reader.list(v, "exit statuses (0..255)", non_empty, [&](const yaml_field& element) {
        long code = 0;
        if (!reader.integer(element, 0, 255, code))
          return false;
        out.push_back(static_cast<int>(code));
        return true;
      });
    };
  };
  YAML::Mark findings_mark = f.mark;
  const std::vector<yaml_key> keys{
    {"success", false, "", code_list(codes.success, true)},
    {"findings", false, "", [&](const yaml_field& v) {
       findings_mark = v.mark;
       return code_list(codes.findings, false)(v);
     }}};
  if (!reader.mapping(f, keys))
    return false;
  for (auto code : codes.findings)
    if (std::count(codes.success.begin(), codes.success.end(), code) > 0)
      return reader.fail(findings_mark, f.path + ".findings",
                         "expected statuses not listed in success, got " + std::to_string(code) + " in both");
  return true;
}

bool read_probe(yaml_field_reader& reader, const yaml_field& f, std::optional<probe_spec>& probe) {
  probe_spec spec;
  const std::vector<yaml_key> keys{
    {"argv", true, "a non-empty list of strings (the command that prints the version)",
     [&](const yaml_field& v) {
       return reader.list(v, "strings", true, [&](const yaml_field& element) {
         std::string text;
         if (!reader.text(element, "a non-empty string", text))
           return false;
         if (!placeholders_in(text).empty())
           return reader.expected(element, "no placeholders in the probe command");
         spec.argv.push_back(std::move(text));
         return true;
       });
     }},
    {"version_regex", false, "", [&](const yaml_field& v) {
       std::string text;
       if (!reader.text(v, "an ECMAScript regular expression", text))
         return false;
       try {
         std::regex compiled{text};
       } catch (const std::regex_error& error) {
         return reader.expected(v, std::string{"a valid ECMAScript regular expression ("} + error.what() + ")");
       }
       spec.version_regex = std::move(text);
       return true;
     }}};
  if (!reader.mapping(f, keys))
    return false;
  probe = std::move(spec);
  return true;
}

caf::expected<tool_manifest> read_manifest(const YAML::Node& root, const std::string& source) {
  yaml_field_reader reader{source};
  tool_manifest manifest;
  manifest.source = source;
  long files_per_invocation = 0;
  YAML::Mark files_per_invocation_mark;
  long timeout = manifest.timeout.count();
  std::map<std::string, int> uses;
  YAML::Mark argv_mark;
  const std::vector<yaml_key> keys{
    {"id", true, "a tool id of [a-z0-9._-]+",
     [&](const yaml_field& v) { return reader.text(v, "a tool id of [a-z0-9._-]+", manifest.id, is_tool_id); }},
    {"version", true, "a version string",
     [&](const yaml_field& v) { return reader.text(v, "a version string", manifest.version); }},
    {"description", true, "a one-line description",
     [&](const yaml_field& v) { return reader.text(v, "a non-empty description", manifest.description); }},
    {"capabilities", true, "a non-empty list of capabilities such as format, lint, fix",
     [&](const yaml_field& v) {
       return reader.text_list(v, "capabilities of [a-z-]+ (format, lint, fix, codemod, ...)", true,
                               manifest.capabilities, is_capability);
     }},
    {"languages", true, "a list of languages (empty for any language)",
     [&](const yaml_field& v) {
       return reader.text_list(v, "languages of [a-z0-9+#._-]+", false, manifest.languages, is_word);
     }},
    {"tags", false, "",
     [&](const yaml_field& v) {
       return reader.text_list(v, "search words of [a-z0-9+#._-]+ (tool names, synonyms)", false,
                               manifest.tags, is_word);
     }},
    {"file_patterns", true, "a non-empty list of globs such as \"*.cpp\"",
     [&](const yaml_field& v) {
       return reader.text_list(v, "globs relative to the repository (\"*.cpp\", \"**/*.py\")", true,
                               manifest.file_patterns, is_relative_glob);
     }},
    {"argv", true, "a list of strings with a {files} or {file} element",
     [&](const yaml_field& v) {
       argv_mark = v.mark;
       return reader.list(v, "strings", true, [&](const yaml_field& element) {
         std::string text;
         if (!reader.text(element, "a non-empty string", text)
             || !check_argv_element(reader, element, text, manifest.argv.empty(), uses))
           return false;
         manifest.argv.push_back(std::move(text));
         return true;
       });
     }},
    {"files_per_invocation", false, "",
     [&](const yaml_field& v) {
       files_per_invocation_mark = v.mark;
       return reader.integer(v, 1, 100000, files_per_invocation);
     }},
    {"side_effect", true, "one of read-only, writes-files",
     [&](const yaml_field& v) {
       return reader.choice(v, {{"read-only", side_effect_class::read_only},
                                {"writes-files", side_effect_class::writes_files}},
                            manifest.side_effect);
     }},
    {"exit_codes", false, "", [&](const yaml_field& v) { return read_exit_codes(reader, v, manifest.exit_codes); }},
    {"timeout_seconds", false, "", [&](const yaml_field& v) { return reader.integer(v, 1, 86400, timeout); }},
    {"retry", false, "", [&](const yaml_field& v) { return read_retry(reader, v, manifest.retry); }},
    {"env_allow", false, "",
     [&](const yaml_field& v) {
       return reader.text_list(v, "environment variable names", false, manifest.env_allow, is_env_name);
     }},
    {"probe", false, "", [&](const yaml_field& v) { return read_probe(reader, v, manifest.probe); }}};
  // No line for a missing top-level field: any line of the file would mislead.
  if (!reader.mapping({root, "", YAML::Mark::null_mark()}, keys))
    return reader.take_error();
  const bool single = uses.count(file_placeholder) > 0;
  if (uses.count(files_placeholder) + uses.count(file_placeholder) != 1) {
    reader.fail(argv_mark, "argv", "expected exactly one '{files}' or '{file}' element");
    return reader.take_error();
  }
  if (single && files_per_invocation > 1) {
    reader.fail(files_per_invocation_mark, "files_per_invocation",
                "expected 1 because argv passes a single '{file}', got " + std::to_string(files_per_invocation));
    return reader.take_error();
  }
  manifest.files_per_invocation = files_per_invocation > 0 ? static_cast<int>(files_per_invocation)
                                                           : (single ? 1 : 50);
  manifest.timeout = std::chrono::seconds{timeout};
  return manifest;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::string as_operand(const std::string& file) {
  return !file.empty() && file[0] == '-' ? "./" + file : file;
}

} // namespace

std::string to_string(side_effect_class value) {
  return value == side_effect_class::read_only ? "read-only" : "writes-files";
}

std::string to_string(exit_meaning value) {
  switch (value) {
    case exit_meaning::success: return "success";
    case exit_meaning::findings: return "findings";
    case exit_meaning::failure: return "failure";
  }
  return "unknown";
}

std::string to_string(retry_trigger value) {
  for (const auto& [name, trigger] : retry_trigger_names)
    if (trigger == value)
      return name;
  return "unknown";
}

caf::expected<tool_manifest> parse_tool_manifest(const std::string& yaml_text,
                                                 const std::string& source_name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& error) {
    auto where = source_name;
    if (!error.mark.is_null())
      where += ":" + std::to_string(error.mark.line + 1) + ":" + std::to_string(error.mark.column + 1);
    return make_error(runtime_errc::invalid_manifest, where + ": invalid YAML: " + error.msg);
  }
  if (!root.IsMap())
    return make_error(runtime_errc::invalid_manifest,
                      source_name + ": expected a mapping of manifest fields (id, version, argv, ...), got "
                        + describe_yaml_value(root));
  return read_manifest(root, source_name);
}

caf::expected<tool_manifest> load_tool_manifest(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr)
    return make_error(errno == ENOENT ? runtime_errc::not_found : runtime_errc::io_error,
                      path + ": cannot read the tool manifest: " + std::strerror(errno));
  std::string text;
  char buffer[8192];
  size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, file)) > 0)
    text.append(buffer, count);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed)
    return make_error(runtime_errc::io_error, path + ": cannot read the tool manifest");
  return parse_tool_manifest(text, path);
}

std::vector<std::string> with_drover_binary(std::vector<std::string> argv,
                                            const std::string& drover_binary) {
  if (!argv.empty() && argv[0] == "drover")
    argv[0] = drover_binary;
  return argv;
}

bool takes_job_args(const tool_manifest& manifest) {
  return std::count(manifest.argv.begin(), manifest.argv.end(), args_placeholder) > 0;
}

caf::expected<std::vector<std::string>>
expand_argv(const tool_manifest& manifest, const std::vector<std::string>& files,
            const std::string& workspace, const std::vector<std::string>& args) {
  const auto limit = static_cast<size_t>(std::max(manifest.files_per_invocation, 1));
  const bool single = std::count(manifest.argv.begin(), manifest.argv.end(), file_placeholder) > 0;
  if (files.empty() || files.size() > limit || (single && files.size() != 1))
    return make_error(runtime_errc::invalid_argument,
                      "tool '" + manifest.id + "': expected 1.." + std::to_string(single ? 1 : limit)
                        + " files per invocation, got " + std::to_string(files.size()));
  if (!args.empty() && !takes_job_args(manifest))
    return make_error(runtime_errc::invalid_argument,
                      "tool '" + manifest.id + "': takes no job arguments (its argv has no {args})");
  std::vector<std::string> argv;
  for (const auto& element : manifest.argv) {
    if (element == files_placeholder || element == file_placeholder) {
      for (const auto& file : files)
        argv.push_back(as_operand(file));
    } else if (element == args_placeholder) {
      argv.insert(argv.end(), args.begin(), args.end());
    } else if (element.find(workspace_placeholder) != std::string::npos) {
      if (workspace.empty())
        return make_error(runtime_errc::invalid_argument,
                          "tool '" + manifest.id + "': argv uses {workspace} but no workspace was given");
      argv.push_back(replace_all(element, workspace_placeholder, workspace));
    } else {
      argv.push_back(element);
    }
  }
  return argv;
}

std::vector<std::vector<std::string>> split_batches(const tool_manifest& manifest,
                                                    const std::vector<std::string>& files) {
  const auto size = static_cast<size_t>(std::max(manifest.files_per_invocation, 1));
  std::vector<std::vector<std::string>> batches;
  for (size_t first = 0; first < files.size(); first += size)
    batches.emplace_back(files.begin() + static_cast<std::ptrdiff_t>(first),
                         files.begin() + static_cast<std::ptrdiff_t>(std::min(first + size, files.size())));
  return batches;
}

caf::expected<std::vector<std::vector<std::string>>>
invocations(const tool_manifest& manifest, const std::vector<std::string>& files,
            const std::string& workspace, const std::vector<std::string>& args) {
  std::vector<std::vector<std::string>> result;
  for (const auto& batch : split_batches(manifest, files)) {
    auto argv = expand_argv(manifest, batch, workspace, args);
    if (!argv)
      return argv.error();
    result.push_back(std::move(*argv));
  }
  return result;
}

exit_meaning classify_exit(const tool_manifest& manifest, int exit_code) {
  const auto& codes = manifest.exit_codes;
  if (std::count(codes.success.begin(), codes.success.end(), exit_code) > 0)
    return exit_meaning::success;
  if (std::count(codes.findings.begin(), codes.findings.end(), exit_code) > 0)
    return exit_meaning::findings;
  return exit_meaning::failure;
}

bool should_retry(const retry_policy& policy, retry_trigger outcome) {
  return std::count(policy.retry_on.begin(), policy.retry_on.end(), outcome) > 0;
}

std::chrono::milliseconds backoff_before(const retry_policy& policy, int retry) {
  auto pause = policy.initial_backoff;
  for (int i = 1; i < retry && pause < policy.max_backoff; ++i)
    pause *= 2;
  return std::min(pause, policy.max_backoff);
}

} // namespace drover::runtime
