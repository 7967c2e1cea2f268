#include "runtime/node_config.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <yaml-cpp/yaml.h>

#include "runtime/error.hpp"

namespace drover::runtime {

namespace {

/// Why a value was refused: what was expected and, when only one element of a list is wrong,
/// which element (1-based) and its text.
struct refusal {
  refusal(std::string expected_text) : expected(std::move(expected_text)) {}
  refusal(const char* expected_text) : expected(expected_text) {}
  refusal(std::string expected_text, size_t position, std::string text)
    : expected(std::move(expected_text)), element(position), element_text(std::move(text)) {}
  std::string expected;
  size_t element = 0; ///< 0: the whole value is wrong
  std::string element_text;
};

/// One configuration key: its default, how to store a text value (returning why a bad value
/// was refused) and how to print it back. A list key takes its elements separated by commas
/// (from a file also as a YAML sequence) and prints them so.
struct key_spec {
  std::string name;
  std::function<std::string()> default_value;
  std::function<std::optional<refusal>(node_config&, const std::string&)> assign;
  std::function<std::string(const node_config&)> print;
  bool list = false;
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
          [prefix, field](node_config& config, const std::string& text) -> std::optional<refusal> {
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

/// A key holding a whole number from `minimum` to `maximum` of `what`.
key_spec range_key(std::string name, unsigned (*default_value)(), const std::string& what, unsigned minimum,
                   unsigned maximum, unsigned node_config::*field) {
  return {std::move(name), [default_value] { return std::to_string(default_value()); },
          [what, minimum, maximum, field](node_config& config, const std::string& text) -> std::optional<refusal> {
            const auto expected =
              "a whole number of " + what + " from " + std::to_string(minimum) + " to " + std::to_string(maximum);
            if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
              return refusal{expected};
            const auto count = std::stoul(text);
            if (count < minimum || count > maximum)
              return refusal{expected};
            config.*field = static_cast<unsigned>(count);
            return std::nullopt;
          },
          [field](const node_config& config) { return std::to_string(config.*field); }};
}

/// A key holding a whole number from 1 to `maximum` of `what`.
key_spec count_key(std::string name, unsigned (*default_value)(), const std::string& what, unsigned maximum,
                   unsigned node_config::*field) {
  return range_key(std::move(name), default_value, what, 1, maximum, field);
}

/// Returns `text` without leading and trailing blanks.
std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos)
    return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

/// Returns the elements of a comma-separated list, blanks around each removed; "" is no element.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> elements;
  if (trimmed(text).empty())
    return elements;
  size_t start = 0;
  for (;;) {
    const auto comma = text.find(',', start);
    elements.push_back(trimmed(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos)
      return elements;
    start = comma + 1;
  }
}

/// Returns true for a host that stands for every interface rather than one address.
bool is_wildcard_host(const std::string& host) {
  return host == "*" || host == "0.0.0.0" || host == "::" || host == "[::]";
}

/// Parses a member endpoint tcp://HOST:PORT with PORT 1..65535 (a port others connect to).
std::optional<host_port> parse_member_endpoint(const std::string& text) {
  const std::string prefix = "tcp://";
  if (text.compare(0, prefix.size(), prefix) != 0)
    return std::nullopt;
  auto parsed = parse_host_port(text.substr(prefix.size()));
  if (!parsed || parsed->port == 0 || parsed->host.find_first_of(" \t/") != std::string::npos)
    return std::nullopt;
  return parsed;
}

std::string joined(const std::vector<std::string>& elements) {
  std::string text;
  for (const auto& element : elements)
    text += (text.empty() ? "" : ",") + element;
  return text;
}

/// A key holding a path, made absolute (so that it means the same from any working directory);
/// `required` refuses an empty one.
key_spec path_key(std::string name, std::function<std::string()> default_value, bool required,
                  std::string node_config::*field) {
  return {std::move(name), std::move(default_value),
          [required, field](node_config& config, const std::string& text) -> std::optional<refusal> {
            if (text.empty()) {
              if (required)
                return refusal{"a non-empty directory path"};
              config.*field = text;
              return std::nullopt;
            }
            // Absolute, so that every path derived from it (the jobs' reports and patches, which
            // git reads from inside the repository) means the same whatever the directory.
            std::error_code ignored;
            auto absolute = std::filesystem::absolute(text, ignored).lexically_normal().string();
            if (absolute.size() > 1 && absolute.back() == '/')
              absolute.pop_back();
            config.*field = absolute;
            return std::nullopt;
          },
          [field](const node_config& config) { return config.*field; }};
}

const std::vector<key_spec>& key_specs() {
  static const std::vector<key_spec> specs{
    path_key("data_dir", default_data_dir, true, &node_config::data_dir),
    address_key("listen", "tcp://127.0.0.1:7420", true, &node_config::listen),
    address_key("http", "127.0.0.1:7421", false, &node_config::http),
    address_key("metrics", "127.0.0.1:7422", false, &node_config::metrics),
    {"log_level", [] { return std::string{"info"}; },
     [](node_config& config, const std::string& text) -> std::optional<refusal> {
       for (const auto* level : {"trace", "debug", "info", "warn", "error", "off"})
         if (text == level) {
           config.log_level = text;
           return std::nullopt;
         }
       return "one of trace, debug, info, warn, error, off";
     },
     [](const node_config& config) { return config.log_level; }},
    {"durability", [] { return std::string{"process"}; },
     [](node_config& config, const std::string& text) -> std::optional<refusal> {
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
     [](node_config& config, const std::string& text) -> std::optional<refusal> {
       config.tools_dir = text;
       return std::nullopt;
     },
     [](const node_config& config) { return config.tools_dir; }},
    {"api_token", [] { return std::string{}; },
     [](node_config& config, const std::string& text) -> std::optional<refusal> {
       config.api_token = text; // any text: refusing one would print the secret in the message
       return std::nullopt;
     },
     // A secret: `config show` says whether it is set, never what it is.
     [](const node_config& config) { return config.api_token.empty() ? std::string{} : std::string{"(set)"}; }},
    {"join", [] { return std::string{}; },
     [](node_config& config, const std::string& text) -> std::optional<refusal> {
       auto elements = split_list(text);
       for (size_t i = 0; i < elements.size(); ++i)
         if (!parse_member_endpoint(elements[i]))
           return refusal{"a member endpoint tcp://HOST:PORT with PORT in 1..65535", i + 1, elements[i]};
       config.join = std::move(elements);
       return std::nullopt;
     },
     [](const node_config& config) { return joined(config.join); }, true},
    {"advertise", [] { return std::string{}; },
     [](node_config& config, const std::string& text) -> std::optional<refusal> {
       if (!text.empty()) {
         auto parsed = parse_member_endpoint(text);
         if (!parsed || is_wildcard_host(parsed->host))
           return refusal{"empty or an endpoint tcp://HOST:PORT that other members can reach: a concrete HOST "
                          "(not 0.0.0.0 or *) and PORT in 1..65535"};
       }
       config.advertise = text;
       return std::nullopt;
     },
     [](const node_config& config) { return config.advertise; }},
    path_key("keys_dir", [] { return std::string{}; }, false, &node_config::keys_dir),
    range_key("heartbeat_interval_ms", [] { return 250U; }, "milliseconds", 10, 60000,
              &node_config::heartbeat_interval_ms),
    range_key("suspicion_timeout_ms", [] { return 2000U; }, "milliseconds", 100, 600000,
              &node_config::suspicion_timeout_ms),
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
  if (auto refused = spec.assign(resolved.values, value)) {
    if (refused->element == 0)
      return make_error(runtime_errc::invalid_config,
                        origin + ": " + spec.name + ": expected " + refused->expected + ", got '" + value + "'");
    return make_error(runtime_errc::invalid_config,
                      origin + ": " + spec.name + ": element " + std::to_string(refused->element) + ": expected "
                        + refused->expected + ", got '" + refused->element_text + "'");
  }
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
    std::string value;
    if (spec->list && entry.second.IsSequence()) {
      std::vector<std::string> elements;
      for (const auto& element : entry.second) {
        if (!element.IsScalar() && !element.IsNull())
          return make_error(runtime_errc::invalid_config,
                            path + ":" + std::to_string(element.Mark().line + 1) + ": " + key
                              + ": expected a list of single values, got a nested list or mapping");
        elements.push_back(element.IsNull() ? std::string{} : element.Scalar());
      }
      value = joined(elements);
    } else if (entry.second.IsScalar()) {
      value = entry.second.Scalar();
    } else if (!entry.second.IsNull()) { // `key:` alone is the empty value
      return make_error(runtime_errc::invalid_config,
                        where + ": " + key
                          + (spec->list ? ": expected a list or a comma-separated string, got a mapping"
                                        : ": expected a single value, got a list or mapping"));
    }
    if (auto error = apply(resolved, *spec, value, "file " + where))
      return error;
  }
  return caf::none;
}

/// Checks the rules between keys, once every source is applied: a member must miss several
/// heartbeats before it is declared dead, or one late packet on a loaded machine would do.
caf::error check_across_keys(const resolved_config& resolved) {
  const auto& values = resolved.values;
  if (values.suspicion_timeout_ms < 4ULL * values.heartbeat_interval_ms)
    return make_error(runtime_errc::invalid_config,
                      "suspicion_timeout_ms " + std::to_string(values.suspicion_timeout_ms) + " ("
                        + resolved.origin.at("suspicion_timeout_ms") + ") must be at least 4 x heartbeat_interval_ms "
                        + std::to_string(values.heartbeat_interval_ms) + " ("
                        + resolved.origin.at("heartbeat_interval_ms") + ") = "
                        + std::to_string(4ULL * values.heartbeat_interval_ms)
                        + ": a member must miss several heartbeats before it is declared dead");
  return caf::none;
}

/// Returns true for a host name or address that only this machine can reach.
bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.compare(0, 4, "127.") == 0;
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
  if (auto error = check_across_keys(resolved))
    return error;
  return resolved;
}

bool is_list_key(const std::string& key) {
  const auto* spec = find_key(key);
  return spec != nullptr && spec->list;
}

caf::error check_cluster_endpoints(const resolved_config& resolved) {
  const auto& values = resolved.values;
  const auto& listen_host = values.listen.host;
  if (!is_loopback_host(listen_host) && values.keys_dir.empty())
    return make_error(runtime_errc::invalid_config,
                      "listen on a non-loopback address requires keys_dir (CurveZMQ): listen is tcp://"
                        + values.listen.to_string() + " (" + resolved.origin.at("listen")
                        + ") and keys_dir is not set; create the keys with `drover keys generate`");
  if (is_wildcard_host(listen_host) && values.advertise.empty())
    return make_error(runtime_errc::invalid_config,
                      "listen on a wildcard address requires advertise: listen is tcp://" + values.listen.to_string()
                        + " (" + resolved.origin.at("listen")
                        + "), which other members cannot connect to; set advertise to tcp://HOST:PORT with "
                          "this machine's name or address");
  return caf::none;
}

std::optional<std::string> process_env(const std::string& name) {
  if (const auto* value = std::getenv(name.c_str()))
    return std::string{value};
  return std::nullopt;
}

} // namespace drover::runtime
