#include "runtime/node_config.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <yaml-cpp/yaml.h>

#include "runtime/error.hpp"

namespace drover::runtime {

namespace {

/// One configuration key: its default, how to store a text value (returning what was expected
/// when the value is bad) and how to print it back.
struct key_spec {
  std::string name;
  std::function<std::string()> default_value;
  std::function<std::optional<std::string>(node_config&, const std::string&)> assign;
  std::function<std::string(const node_config&)> print;
};

std::string default_data_dir() {
  if (auto home = process_env("HOME"); home && !home->empty())
    return *home + "/.local/share/drover";
  return "drover-data";
}

key_spec address_key(std::string name, const std::string& default_value, bool zmq_scheme,
                     host_port node_config::*field) {
  const std::string prefix = zmq_scheme ? "tcp://" : "";
  return {std::move(name), [default_value] { return default_value; },
          [prefix, field](node_config& config, const std::string& text) -> std::optional<std::string> {
            const auto expected = "an address " + prefix + "HOST:PORT with PORT in 0..65535";
            if (text.compare(0, prefix.size(), prefix) != 0)
              return expected;
            auto parsed = parse_host_port(text.substr(prefix.size()));
            if (!parsed)
              return expected;
            config.*field = *parsed;
            return std::nullopt;
          },
          [prefix, field](const node_config& config) { return prefix + (config.*field).to_string(); }};
}

/// A key holding a whole number from 1 to `maximum` of `what`.
key_spec count_key(std::string name, unsigned (*default_value)(), const std::string& what, unsigned maximum,
                   unsigned node_config::*field) {
  return {std::move(name), [default_value] { return std::to_string(default_value()); },
          [what, maximum, field](node_config& config, const std::string& text) -> std::optional<std::string> {
            const auto expected = "a whole number of " + what + " from 1 to " + std::to_string(maximum);
            if (text.empty() || text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos)
              return expected;
            const auto count = std::stoul(text);
            if (count < 1 || count > maximum)
              return expected;
            config.*field = static_cast<unsigned>(count);
            return std::nullopt;
          },
          [field](const node_config& config) { return std::to_string(config.*field); }};
}

const std::vector<key_spec>& key_specs() {
  static const std::vector<key_spec> specs{
    {"data_dir", default_data_dir,
     [](node_config& config, const std::string& text) -> std::optional<std::string> {
       if (text.empty())
         return "a non-empty directory path";
       // Absolute, so that every path derived from it (the jobs' reports and patches, which
       // git reads from inside the repository) means the same whatever the directory.
       std::error_code ignored;
       auto absolute = std::filesystem::absolute(text, ignored).lexically_normal().string();
       if (absolute.size() > 1 && absolute.back() == '/')
         absolute.pop_back();
       config.data_dir = absolute;
       return std::nullopt;
     },
     [](const node_config& config) { return config.data_dir; }},
    address_key("listen", "tcp://127.0.0.1:7420", true, &node_config::listen),
    address_key("http", "127.0.0.1:7421", false, &node_config::http),
    address_key("metrics", "127.0.0.1:7422", false, &node_config::metrics),
    {"log_level", [] { return std::string{"info"}; },
     [](node_config& config, const std::string& text) -> std::optional<std::string> {
       for (const auto* level : {"trace", "debug", "info", "warn", "error", "off"})
         if (text == level) {
           config.log_level = text;
           return std::nullopt;
         }
       return "one of trace, debug, info, warn, error, off";
     },
     [](const node_config& config) { return config.log_level; }},
    {"durability", [] { return std::string{"process"}; },
     [](node_config& config, const std::string& text) -> std::optional<std::string> {
       if (text != "process" && text != "power")
         return "process (survives a crash of the node) or power (survives a crash of the machine)";
       config.durability = text;
       return std::nullopt;
     },
     [](const node_config& config) { return config.durability; }},
    count_key("invokers", [] { return std::max(1U, std::thread::hardware_concurrency()); },
              "invokers per job", 1024, &node_config::invokers),
    count_key("catalog_shards", [] { return 4U; }, "catalog shards", 64, &node_config::catalog_shards),
    {"tools_dir", [] { return std::string{}; },
     [](node_config& config, const std::string& text) -> std::optional<std::string> {
       config.tools_dir = text;
       return std::nullopt;
     },
     [](const node_config& config) { return config.tools_dir; }},
  };
  return specs;
}

const key_spec* find_key(const std::string& name) {
  for (const auto& spec : key_specs())
    if (spec.name == name)
      return &spec;
  return nullptr;
}

std::string known_keys() {
  std::string list;
  for (const auto& spec : key_specs())
    list += (list.empty() ? "" : ", ") + spec.name;
  return list;
}

caf::error apply(resolved_config& resolved, const key_spec& spec, const std::string& value,
                 const std::string& origin) {
  if (auto expected = spec.assign(resolved.values, value))
    return make_error(runtime_errc::invalid_config,
                      origin + ": " + spec.name + ": expected " + *expected + ", got '" + value + "'");
  resolved.origin[spec.name] = origin;
  return caf::none;
}

caf::error apply_file(resolved_config& resolved, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return make_error(runtime_errc::invalid_config, path + ": cannot read the configuration file");
  } catch (const YAML::ParserException& error) {
    return make_error(runtime_errc::invalid_config,
                      path + ":" + std::to_string(error.mark.line + 1) + ":"
                        + std::to_string(error.mark.column + 1) + ": invalid YAML: " + error.msg);
  }
  if (root.IsNull())
    return caf::none;
  if (!root.IsMap())
    return make_error(runtime_errc::invalid_config,
                      path + ": expected a mapping of configuration keys at the top level");
  for (const auto& entry : root) {
    const auto key = entry.first.as<std::string>();
    const auto* spec = find_key(key);
    const auto where = path + ":" + std::to_string(entry.first.Mark().line + 1);
    if (spec == nullptr)
      return make_error(runtime_errc::invalid_config,
                        where + ": unknown key '" + key + "' (known keys: " + known_keys() + ")");
    if (!entry.second.IsScalar())
      return make_error(runtime_errc::invalid_config,
                        where + ": " + key + ": expected a single value, got a list or mapping");
    if (auto error = apply(resolved, *spec, entry.second.Scalar(), "file " + where))
      return error;
  }
  return caf::none;
}

} // namespace

std::string host_port::to_string() const {
  return host + ":" + std::to_string(port);
}

std::optional<host_port> parse_host_port(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return std::nullopt;
  const auto digits = text.substr(colon + 1);
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const auto port = std::stoul(digits);
  if (port > 65535)
    return std::nullopt;
  return host_port{text.substr(0, colon), static_cast<uint16_t>(port)};
}

std::vector<std::string> config_keys() {
  std::vector<std::string> names;
  for (const auto& spec : key_specs())
    names.push_back(spec.name);
  return names;
}

std::string env_name(const std::string& key) {
  std::string name = "DROVER_";
  for (auto c : key)
    name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

std::string flag_name(const std::string& key) {
  std::string name = "--";
  for (auto c : key)
    name += c == '_' ? '-' : c;
  return name;
}

std::string value_of(const node_config& config, const std::string& key) {
  const auto* spec = find_key(key);
  return spec == nullptr ? std::string{} : spec->print(config);
}

caf::expected<resolved_config> resolve_config(const config_inputs& inputs) {
  resolved_config resolved;
  for (const auto& spec : key_specs())
    if (auto error = apply(resolved, spec, spec.default_value(), "default"))
      return error;
  if (inputs.file)
    if (auto error = apply_file(resolved, *inputs.file))
      return error;
  if (inputs.env)
    for (const auto& spec : key_specs())
      if (auto value = inputs.env(env_name(spec.name)))
        if (auto error = apply(resolved, spec, *value, "env " + env_name(spec.name)))
          return error;
  for (const auto& [key, value] : inputs.flags) {
    const auto* spec = find_key(key);
    if (spec == nullptr)
      return make_error(runtime_errc::invalid_config, "unknown configuration key '" + key + "'");
    if (auto error = apply(resolved, *spec, value, "flag " + flag_name(key)))
      return error;
  }
  return resolved;
}

std::optional<std::string> process_env(const std::string& name) {
  if (const auto* value = std::getenv(name.c_str()))
    return std::string{value};
  return std::nullopt;
}

} // namespace drover::runtime
