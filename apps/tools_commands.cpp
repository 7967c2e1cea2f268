#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "apps/commands.hpp"
#include "apps/node_connection.hpp"
#include "runtime/error.hpp"

namespace drover::apps {

namespace {

std::string joined(const nlohmann::json& list) {
  std::string text;
  for (const auto& value : list)
    text += (text.empty() ? "" : ",") + value.get<std::string>();
  return text.empty() ? "any" : text;
}

/// "yes 14.0.6", "no", or "?" when never probed.
std::string availability_of(const nlohmann::json& hit) {
  const auto& found = hit["availability"];
  if (found.is_null())
    return "?";
  if (!found["available"].get<bool>())
    return "no";
  const auto version = found["version"].get<std::string>();
  return version.empty() ? "yes" : "yes " + version;
}

/// Runs `command` against the node `flag` names (or an embedded one): prints the error prefixed
/// with "drover tools NAME: " and returns exit_usage when there is no node or the node refuses.
template <class Command>
int with_node(const char* name, const std::string& flag, const runtime::config_inputs& inputs, Command command) {
  auto fail = [name](const caf::error& error) {
    std::fprintf(stderr, "drover tools %s: %s\n", name, runtime::describe(error).c_str());
    return exit_usage;
  };
  auto config = runtime::resolve_config(inputs);
  if (!config)
    return fail(config.error());
  // An embedded node's routine logs would bury the answer; a chosen level is kept.
  if (config->origin.at("log_level") == "default")
    spdlog::set_level(spdlog::level::warn);
  auto connection = node_connection::open(flag, config->values);
  if (!connection)
    return fail(connection.error());
  auto answer = command(connection->client());
  if (!answer)
    return fail(answer.error());
  return exit_ok;
}

void print_hit_line(size_t rank, const nlohmann::json& hit) {
  std::printf("%2zu. %-22s %7.3f  %-10s %s\n", rank, hit["id"].get<std::string>().c_str(),
              hit["score"].get<double>(), availability_of(hit).c_str(),
              hit["description"].get<std::string>().c_str());
}

void print_explanation(const nlohmann::json& hit) {
  const auto& f = hit["factors"];
  std::printf("      capabilities %s; languages %s; %s\n", joined(hit["capabilities"]).c_str(),
              joined(hit["languages"]).c_str(), hit["side_effect"].get<std::string>().c_str());
  std::printf("      %s\n", hit["explanation"].get<std::string>().c_str());
  for (const auto& term : f["terms"]) {
    std::string fields;
    for (const auto& field : term["fields"])
      fields += (fields.empty() ? "" : "+") + field.get<std::string>();
    std::printf("        term %-14s idf %.3f in %-28s -> %.3f\n", term["term"].get<std::string>().c_str(),
                term["idf"].get<double>(), fields.c_str(), term["contribution"].get<double>());
  }
  if (!hit["availability"].is_null() && !hit["availability"]["available"].get<bool>())
    std::printf("      not available here: %s\n", hit["availability"]["detail"].get<std::string>().c_str());
}

/// Percent-encodes `text` for a URL query (RFC 3986 unreserved characters stay).
std::string url_encode(const std::string& text) {
  std::string result;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      result += static_cast<char>(c);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof(escaped), "%%%02X", c);
      result += escaped;
    }
  }
  return result;
}

std::string query_string(const tools_search_options& options) {
  std::string query = "q=" + url_encode(options.query);
  auto add = [&query](const char* name, const std::string& value) {
    if (!value.empty())
      query += std::string{"&"} + name + "=" + url_encode(value);
  };
  add("lang", options.language);
  add("capability", options.capability);
  add("side_effect", options.side_effect);
  if (options.available_only)
    add("available", "true");
  add("limit", std::to_string(options.limit));
  return query;
}

} // namespace

int run_tools_ls(const std::string& node, bool json, const runtime::config_inputs& inputs) {
  return with_node("ls", node, inputs, [json](node_client& client) -> caf::expected<void> {
    auto tools = client.get("/v1/tools");
    if (!tools)
      return tools.error();
    if (json) {
      std::printf("%s\n", tools->dump(2).c_str());
      return {};
    }
    std::printf("%-22s %-10s %-12s %-28s %s\n", "ID", "VERSION", "AVAILABLE", "CAPABILITIES", "LANGUAGES");
    for (const auto& tool : *tools)
      std::printf("%-22s %-10s %-12s %-28s %s\n", tool["id"].get<std::string>().c_str(),
                  tool["version"].get<std::string>().c_str(), availability_of(tool).c_str(),
                  joined(tool["capabilities"]).c_str(), joined(tool["languages"]).c_str());
    return {};
  });
}

int run_tools_search(const tools_search_options& options, const runtime::config_inputs& inputs) {
  return with_node("search", options.node, inputs, [&options](node_client& client) -> caf::expected<void> {
    auto reply = client.get("/v1/tools/search?" + query_string(options));
    if (!reply)
      return reply.error();
    if (options.json) {
      std::printf("%s\n", reply->dump(2).c_str());
      return {};
    }
    const auto& hits = (*reply)["hits"];
    if (reply->value("degraded", false))
      std::fprintf(stderr, "warning: catalog shards %s did not answer: their tools are missing below\n",
                   (*reply)["missing_shards"].dump().c_str());
    if (hits.empty())
      std::printf("no tool matches (the catalog holds %llu)\n",
                  static_cast<unsigned long long>((*reply)["catalog_size"].get<uint64_t>()));
    size_t rank = 0;
    for (const auto& hit : hits) {
      print_hit_line(++rank, hit);
      if (options.explain)
        print_explanation(hit);
    }
    return {};
  });
}

int run_tools_show(const std::string& node, const std::string& id, bool json, const runtime::config_inputs& inputs) {
  return with_node("show", node, inputs, [&id, json](node_client& client) -> caf::expected<void> {
    auto tool = client.get("/v1/tools/" + id);
    if (!tool)
      return tool.error();
    if (json) {
      std::printf("%s\n", tool->dump(2).c_str());
      return {};
    }
    const auto& t = *tool;
    std::printf("%s %s (%s)\n  %s\n", t["id"].get<std::string>().c_str(), t["version"].get<std::string>().c_str(),
                t["source"].get<std::string>().c_str(), t["description"].get<std::string>().c_str());
    std::string argv;
    for (const auto& arg : t["argv"])
      argv += (argv.empty() ? "" : " ") + arg.get<std::string>();
    std::printf("  argv          %s\n  files         %s\n  available     %s\n", argv.c_str(),
                joined(t["file_patterns"]).c_str(), availability_of(t).c_str());
    print_explanation(t);
    return {};
  });
}

int run_tools_add(const std::string& node, const std::string& file, const runtime::config_inputs& inputs) {
  return with_node("add", node, inputs, [&file](node_client& client) -> caf::expected<void> {
    std::ifstream in{file};
    if (!in)
      return runtime::make_error(runtime::runtime_errc::not_found, "cannot read " + file);
    std::stringstream text;
    text << in.rdbuf();
    auto added = client.post("/v1/tools", {{"source", file}, {"yaml", text.str()}});
    if (!added)
      return added.error();
    std::printf("added %s from %s; it is in every search from now on and is being probed "
                "(drover tools show %s)\n",
                (*added)["id"].get<std::string>().c_str(), file.c_str(), (*added)["id"].get<std::string>().c_str());
    return {};
  });
}

int run_tools_probe(const std::string& node, const std::vector<std::string>& ids, bool json,
                    const runtime::config_inputs& inputs) {
  return with_node("probe", node, inputs, [&ids, json](node_client& client) -> caf::expected<void> {
    auto report = client.post("/v1/tools/probe", ids.empty() ? nlohmann::json::object() : nlohmann::json{{"ids", ids}});
    if (!report)
      return report.error();
    if (json) {
      std::printf("%s\n", report->dump(2).c_str());
      return {};
    }
    size_t available = 0;
    for (const auto& tool : *report) {
      const bool yes = tool["available"].get<bool>();
      available += yes ? 1 : 0;
      std::printf("%-22s %-4s %-12s %s\n", tool["id"].get<std::string>().c_str(), yes ? "yes" : "no",
                  tool["version"].get<std::string>().c_str(), tool["detail"].get<std::string>().c_str());
    }
    std::printf("%zu of %zu tools available on this node\n", available, report->size());
    return {};
  });
}

} // namespace drover::apps
