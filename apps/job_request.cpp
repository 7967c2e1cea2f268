#include "apps/job_request.hpp"

#include <algorithm>

#include "runtime/error.hpp"

namespace drover::apps {

namespace {

caf::error bad(const std::string& field, const std::string& expected) {
  return runtime::make_error(runtime::runtime_errc::invalid_argument,
                             "field '" + field + "': expected " + expected);
}

caf::error read_strings(const nlohmann::json& request, const char* field,
                        std::vector<std::string>& out, bool required) {
  if (!request.contains(field))
    return required ? bad(field, "a list of strings (required)") : caf::none;
  const auto& value = request.at(field);
  if (!value.is_array())
    return bad(field, "a list of strings");
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string())
      return bad(std::string{field} + "[" + std::to_string(i) + "]", "a string");
    out.push_back(value[i].get<std::string>());
  }
  if (required && out.empty())
    return bad(field, "at least one entry");
  return caf::none;
}

caf::error read_string(const nlohmann::json& request, const char* field, std::string& out,
                       bool required) {
  if (!request.contains(field))
    return required ? bad(field, "a string (required)") : caf::none;
  if (!request.at(field).is_string())
    return bad(field, "a string");
  out = request.at(field).get<std::string>();
  if (required && out.empty())
    return bad(field, "a non-empty string");
  return caf::none;
}

} // namespace

caf::expected<runtime::job_spec> parse_job_request(const nlohmann::json& request) {
  if (!request.is_object())
    return bad("(body)", "a JSON object");
  static const char* known[] = {"repo", "include", "exclude", "tools",      "args",     "mode",
                                "base", "branch",  "batch_size", "capability", "language"};
  for (const auto& item : request.items()) {
    const auto& key = item.key();
    if (std::find_if(std::begin(known), std::end(known), [&](const char* name) { return key == name; })
        == std::end(known))
      return bad(key, "no such field (known: repo, include, exclude, tools, args, mode, base, "
                      "branch, batch_size, capability, language)");
  }
  runtime::job_spec spec;
  std::string mode = "advise";
  for (auto error : {read_string(request, "repo", spec.repo, true),
                     read_strings(request, "include", spec.include, true),
                     read_strings(request, "exclude", spec.exclude, false),
                     read_strings(request, "tools", spec.tools, false),
                     read_string(request, "capability", spec.capability, false),
                     read_string(request, "language", spec.language, false),
                     read_strings(request, "args", spec.tool_args, false),
                     read_string(request, "mode", mode, false),
                     read_string(request, "base", spec.base, false),
                     read_string(request, "branch", spec.branch, false)})
    if (error)
      return error;
  if (spec.tools.empty() == spec.capability.empty())
    return bad("tools", "a non-empty list of tool ids, or else a \"capability\" (and optionally a "
                        "\"language\") to choose the tools by search, not both");
  if (!spec.language.empty() && spec.capability.empty())
    return bad("language", "to come with a \"capability\"");
  if (!runtime::parse_job_mode(mode, spec.mode))
    return bad("mode", "one of advise, apply, branch, got '" + mode + "'");
  if (request.contains("batch_size")) {
    const auto& size = request.at("batch_size");
    if (!size.is_number_unsigned() || size.get<uint64_t>() < 1 || size.get<uint64_t>() > 100000)
      return bad("batch_size", "a whole number of files per item from 1 to 100000");
    spec.batch_size = size.get<uint32_t>();
  }
  return spec;
}

nlohmann::json to_job_request(const runtime::job_spec& spec) {
  nlohmann::json request{{"repo", spec.repo},   {"include", spec.include},
                         {"exclude", spec.exclude}, {"tools", spec.tools},
                         {"args", spec.tool_args},  {"mode", runtime::to_string(spec.mode)}};
  if (!spec.base.empty())
    request["base"] = spec.base;
  if (!spec.branch.empty())
    request["branch"] = spec.branch;
  if (spec.batch_size != 0)
    request["batch_size"] = spec.batch_size;
  if (!spec.capability.empty())
    request["capability"] = spec.capability;
  if (!spec.language.empty())
    request["language"] = spec.language;
  return request;
}

} // namespace drover::apps
