// Checks that deploy/ only uses what `drover up` accepts: every flag of the systemd unit and the
// StatefulSet, every key of their drover.yaml, checked by the real binary with `drover up --check`
// on this machine (a temporary data dir and keys, loopback instead of DNS names, free ports).
// Needs neither kubectl nor a cluster.

#include <arpa/inet.h>
#include <stdlib.h>

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "tests/testing/drover_process.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::testing {
namespace {

const std::string deploy_dir = std::string{DROVER_SOURCE_DIR} + "/deploy";

/// Where a manifest's paths and names point when it is checked on this machine.
struct local_setup {
  std::string data_dir;
  std::string keys_dir;
  std::map<std::string, std::string> config_files; ///< a manifest's --config path -> local copy
};

/// Makes a keys directory the way a user does, with `drover keys generate --dir DIR`.
void generate_keys(const std::string& dir) {
  std::string out;
  std::string err;
  ASSERT_EQ(run_drover({"keys", "generate", "--dir", dir}, out, err), 0)
    << "`drover keys generate --dir " << dir << "` failed: " << out << err;
}

bool is_address_literal(const std::string& host) {
  in6_addr ignored{};
  const auto bare = host.size() > 2 && host.front() == '[' ? host.substr(1, host.size() - 2) : host;
  return host == "*" || inet_pton(AF_INET, bare.c_str(), &ignored) == 1
         || inet_pton(AF_INET6, bare.c_str(), &ignored) == 1;
}

/// Splits "[tcp://]HOST:PORT" into its parts.
struct address {
  std::string scheme; ///< "tcp://" or ""
  std::string host;
  std::string port;
};

std::optional<address> split_address(const std::string& text) {
  address parts;
  auto rest = text;
  if (rest.compare(0, 6, "tcp://") == 0) {
    parts.scheme = "tcp://";
    rest = rest.substr(6);
  }
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos)
    return std::nullopt;
  parts.host = rest.substr(0, colon);
  parts.port = rest.substr(colon + 1);
  return parts;
}

/// An address the node binds: a DNS name becomes 127.0.0.1, the port 0 (so that the check
/// never meets a node running on this machine); a literal or wildcard host stays.
std::string local_bind(const std::string& text) {
  auto parts = split_address(text);
  if (!parts)
    return text; // let drover refuse it
  return parts->scheme + (is_address_literal(parts->host) ? parts->host : "127.0.0.1") + ":0";
}

/// An endpoint other members connect to: a DNS name becomes 127.0.0.1, the port stays.
std::string local_endpoint(const std::string& text) {
  auto parts = split_address(text);
  if (!parts || is_address_literal(parts->host))
    return text;
  return parts->scheme + "127.0.0.1:" + parts->port;
}

/// Returns the value a config key from deploy/ takes on this machine.
std::string localized(const std::string& key, const std::string& value, const local_setup& setup) {
  if (key == "data_dir")
    return setup.data_dir;
  if (key == "keys_dir")
    return setup.keys_dir;
  if (key == "listen" || key == "http" || key == "metrics")
    return local_bind(value);
  if (key == "advertise")
    return local_endpoint(value);
  if (key == "join") {
    std::string list;
    std::stringstream elements{value};
    for (std::string element; std::getline(elements, element, ',');)
      list += (list.empty() ? "" : ",") + local_endpoint(element);
    return list;
  }
  return value;
}

/// Rewrites a drover.yaml from deploy/ for this machine and returns the keys it sets.
std::vector<std::string> localize_config_file(const std::string& yaml_text, const std::string& local_path,
                                              const local_setup& setup) {
  auto root = YAML::Load(yaml_text);
  std::vector<std::string> keys;
  for (auto entry : root) {
    const auto key = entry.first.as<std::string>();
    keys.push_back(key);
    if (entry.second.IsSequence())
      for (std::size_t i = 0; i < entry.second.size(); ++i)
        entry.second[i] = localized(key, entry.second[i].as<std::string>(), setup);
    else if (entry.second.IsScalar())
      entry.second = localized(key, entry.second.Scalar(), setup);
  }
  YAML::Emitter out;
  out << root;
  write_file(local_path, out.c_str());
  return keys;
}

/// The key a flag --some-key sets.
std::string key_of_flag(const std::string& flag) {
  auto key = flag.substr(2);
  for (auto& c : key)
    c = c == '-' ? '_' : c;
  return key;
}

/// `drover up` arguments from deploy/, made local, and the config keys they set.
struct up_command {
  std::vector<std::string> args; ///< after `drover`, with --check
  std::vector<std::string> keys; ///< set by flags and by the --config file
};

/// Rewrites `drover` arguments from deploy/ (starting with "up") for this machine.
up_command localize_up_args(const std::vector<std::string>& manifest_args, const local_setup& setup) {
  up_command command;
  bool has_check = false;
  for (std::size_t i = 0; i < manifest_args.size(); ++i) {
    auto arg = manifest_args[i];
    if (arg.compare(0, 2, "--") != 0 || arg == "--check") {
      has_check = has_check || arg == "--check";
      command.args.push_back(arg);
      continue;
    }
    std::optional<std::string> value;
    if (const auto equals = arg.find('='); equals != std::string::npos) {
      value = arg.substr(equals + 1);
      arg = arg.substr(0, equals);
    } else if (i + 1 < manifest_args.size()) {
      value = manifest_args[++i];
    }
    command.args.push_back(arg);
    if (!value)
      continue;
    if (arg == "--config") {
      const auto local = setup.config_files.find(*value);
      EXPECT_NE(local, setup.config_files.end()) << "--config " << *value << " names no file of deploy/";
      command.args.push_back(local == setup.config_files.end() ? *value : local->second);
      continue;
    }
    command.keys.push_back(key_of_flag(arg));
    command.args.push_back(localized(key_of_flag(arg), *value, setup));
  }
  if (!has_check)
    command.args.push_back("--check");
  return command;
}

/// Sets environment variables for the drover processes of one test and restores them after.
class scoped_env {
public:
  void set(const std::string& name, const std::string& value) {
    if (const auto* old = getenv(name.c_str()))
      saved_.emplace(name, std::string{old});
    else
      saved_.emplace(name, std::nullopt);
    setenv(name.c_str(), value.c_str(), 1);
  }
  ~scoped_env() {
    for (const auto& [name, old] : saved_)
      if (old)
        setenv(name.c_str(), old->c_str(), 1);
      else
        unsetenv(name.c_str());
  }

private:
  std::map<std::string, std::optional<std::string>> saved_;
};

/// Runs `drover args` and expects `drover up --check` to accept it, taking every key in `keys`
/// from the manifest rather than from a default.
void expect_check_passes(const std::vector<std::string>& args, const std::vector<std::string>& keys,
                         const std::string& from) {
  std::string out;
  std::string err;
  std::string command_line = "drover";
  for (const auto& arg : args)
    command_line += " " + arg;
  const int status = run_drover(args, out, err);
  ASSERT_EQ(status, 0) << from << ": `" << command_line << "` refused it:\n" << out << err;
  EXPECT_NE(out.find("drover up would start"), std::string::npos) << out;
  for (const auto& key : keys) {
    const std::regex line{"\n  " + key + " +[^\n]*# ([^\n]*)\n"};
    std::smatch match;
    ASSERT_TRUE(std::regex_search(out, match, line)) << from << ": key " << key << " not printed:\n" << out;
    EXPECT_NE(match[1].str(), "default") << from << ": key " << key << " was not taken:\n" << out;
  }
}

/// Returns the words of `line` (systemd splits ExecStart= at blanks; deploy/ uses no quotes).
std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> result;
  std::stringstream stream{line};
  for (std::string word; stream >> word;)
    result.push_back(word);
  return result;
}

TEST(DeployConfigTest, SystemdUnitAndItsConfigurationPassTheCheck) {
  temp_dir dir;
  local_setup setup{dir / "data", dir / "keys", {{"/etc/drover/drover.yaml", dir / "drover.yaml"}}};
  ASSERT_NO_FATAL_FAILURE(generate_keys(setup.keys_dir));
  auto file_keys = localize_config_file(read_file(deploy_dir + "/systemd/drover.yaml"), dir / "drover.yaml", setup);
  EXPECT_FALSE(file_keys.empty()) << "deploy/systemd/drover.yaml holds no keys";

  std::ifstream unit{deploy_dir + "/systemd/drover.service"};
  ASSERT_TRUE(unit) << "cannot read deploy/systemd/drover.service";
  scoped_env env;
  std::vector<std::string> env_keys;
  std::vector<std::vector<std::string>> commands;
  for (std::string line; std::getline(unit, line);) {
    if (line.compare(0, 12, "Environment=") == 0) {
      for (const auto& assignment : words(line.substr(12))) {
        const auto equals = assignment.find('=');
        const auto name = assignment.substr(0, equals);
        ASSERT_EQ(name.compare(0, 7, "DROVER_"), 0) << "Environment= sets " << name;
        std::string key = name.substr(7);
        for (auto& c : key)
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        env_keys.push_back(key);
        env.set(name, localized(key, assignment.substr(equals + 1), setup));
      }
    } else if (line.compare(0, 9, "ExecStart") == 0) {
      auto command = words(line.substr(line.find('=') + 1));
      ASSERT_FALSE(command.empty()) << line;
      ASSERT_EQ(command.front(), "/usr/local/bin/drover") << line;
      command.erase(command.begin());
      ASSERT_FALSE(command.empty()) << line;
      EXPECT_EQ(command.front(), "up") << line;
      commands.push_back(command);
    }
  }
  ASSERT_FALSE(commands.empty()) << "no ExecStart= running drover";
  for (const auto& manifest_args : commands) {
    auto command = localize_up_args(manifest_args, setup);
    auto keys = command.keys;
    keys.insert(keys.end(), file_keys.begin(), file_keys.end());
    keys.insert(keys.end(), env_keys.begin(), env_keys.end());
    expect_check_passes(command.args, keys, "deploy/systemd/drover.service");
  }
}

/// The one document of `path` whose kind is `kind`.
YAML::Node manifest_of_kind(const std::string& path, const std::string& kind) {
  for (const auto& document : YAML::LoadAllFromFile(path))
    if (document["kind"] && document["kind"].as<std::string>() == kind)
      return document;
  ADD_FAILURE() << path << " holds no " << kind;
  return {};
}

/// Replaces $(VAR) as the kubelet does in a container's args.
std::string expand(std::string text, const std::map<std::string, std::string>& variables) {
  for (const auto& [name, value] : variables)
    for (auto found = text.find("$(" + name + ")"); found != std::string::npos;
         found = text.find("$(" + name + ")"))
      text.replace(found, name.size() + 3, value);
  return text;
}

/// What the StatefulSet's container runs and with which variables.
struct kubernetes_container {
  std::vector<std::string> argv; ///< command + args, $(VAR) expanded
  YAML::Node spec;
};

kubernetes_container drover_container() {
  const auto statefulset = manifest_of_kind(deploy_dir + "/kubernetes/statefulset.yaml", "StatefulSet");
  const auto container = statefulset["spec"]["template"]["spec"]["containers"][0];
  // What the downward API gives pod 1 of the set in some namespace.
  const std::map<std::string, std::string> stand_ins{{"metadata.name", "drover-1"},
                                                     {"metadata.namespace", "drover-test"}};
  std::map<std::string, std::string> variables;
  for (const auto& variable : container["env"]) {
    const auto name = variable["name"].as<std::string>();
    if (variable["value"])
      variables[name] = variable["value"].as<std::string>();
    else
      variables[name] = stand_ins.at(variable["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>());
  }
  kubernetes_container result{{}, container};
  for (const auto* part : {"command", "args"})
    for (const auto& arg : container[part])
      result.argv.push_back(expand(arg.as<std::string>(), variables));
  return result;
}

std::string configmap_drover_yaml() {
  return manifest_of_kind(deploy_dir + "/kubernetes/configmap.yaml", "ConfigMap")["data"]["drover.yaml"]
    .as<std::string>();
}

TEST(DeployConfigTest, KubernetesStatefulSetAndConfigMapPassTheCheck) {
  temp_dir dir;
  local_setup setup{dir / "data", dir / "keys", {{"/etc/drover/drover.yaml", dir / "drover.yaml"}}};
  ASSERT_NO_FATAL_FAILURE(generate_keys(setup.keys_dir));
  auto file_keys = localize_config_file(configmap_drover_yaml(), dir / "drover.yaml", setup);
  auto container = drover_container();
  ASSERT_GE(container.argv.size(), 2U);
  EXPECT_EQ(container.argv[0], "/usr/local/bin/drover");
  EXPECT_EQ(container.argv[1], "up");
  for (const auto& arg : container.argv)
    EXPECT_EQ(arg.find("$("), std::string::npos) << arg << ": a variable the container does not define";
  auto command = localize_up_args({container.argv.begin() + 1, container.argv.end()}, setup);
  auto keys = command.keys;
  keys.insert(keys.end(), file_keys.begin(), file_keys.end());
  expect_check_passes(command.args, keys, "deploy/kubernetes/statefulset.yaml + configmap.yaml");
}

/// Returns the port of an address from drover.yaml ("tcp://HOST:PORT" or "HOST:PORT").
std::string port_of(const YAML::Node& config, const std::string& key) {
  auto parts = split_address(config[key].as<std::string>());
  return parts ? parts->port : "";
}

TEST(DeployConfigTest, KubernetesManifestsAgreeWithTheirConfiguration) {
  const auto config = YAML::Load(configmap_drover_yaml());
  const auto statefulset = manifest_of_kind(deploy_dir + "/kubernetes/statefulset.yaml", "StatefulSet");
  const auto pod = statefulset["spec"]["template"];
  const auto container = drover_container();
  std::map<std::string, std::string> container_ports;
  for (const auto& port : container.spec["ports"])
    container_ports[port["name"].as<std::string>()] = port["containerPort"].as<std::string>();
  EXPECT_EQ(container_ports["zmq"], port_of(config, "listen"));
  EXPECT_EQ(container_ports["http"], port_of(config, "http"));
  EXPECT_EQ(container_ports["metrics"], port_of(config, "metrics"));
  EXPECT_EQ(pod["metadata"]["annotations"]["prometheus.io/port"].as<std::string>(), port_of(config, "metrics"));
  for (const auto* probe : {"livenessProbe", "readinessProbe"}) {
    EXPECT_EQ(container.spec[probe]["httpGet"]["path"].as<std::string>(), "/v1/node") << probe;
    EXPECT_EQ(container.spec[probe]["httpGet"]["port"].as<std::string>(), "http") << probe;
  }
  // Members join and advertise on the port they listen on, by the headless Service's names.
  const auto service_name = statefulset["spec"]["serviceName"].as<std::string>();
  for (std::size_t i = 0; i + 1 < container.argv.size(); ++i)
    if (container.argv[i] == "--join" || container.argv[i] == "--advertise") {
      auto parts = split_address(container.argv[i + 1]);
      ASSERT_TRUE(parts) << container.argv[i + 1];
      EXPECT_EQ(parts->port, port_of(config, "listen")) << container.argv[i + 1];
      EXPECT_NE(parts->host.find("." + service_name + ".drover-test.svc.cluster.local"), std::string::npos)
        << container.argv[i + 1];
    }
  const auto headless = manifest_of_kind(deploy_dir + "/kubernetes/service.yaml", "Service");
  EXPECT_EQ(headless["metadata"]["name"].as<std::string>(), service_name);
  EXPECT_EQ(headless["spec"]["clusterIP"].as<std::string>(), "None");
  // The mounts are where the configuration looks.
  std::map<std::string, std::string> mounts;
  for (const auto& mount : container.spec["volumeMounts"])
    mounts[mount["name"].as<std::string>()] = mount["mountPath"].as<std::string>();
  EXPECT_EQ(mounts["data"], config["data_dir"].as<std::string>());
  EXPECT_EQ(mounts["keys"], config["keys_dir"].as<std::string>());
  bool keys_from_secret = false;
  for (const auto& volume : pod["spec"]["volumes"])
    keys_from_secret = keys_from_secret
                       || (volume["name"].as<std::string>() == "keys"
                           && volume["secret"]["secretName"].as<std::string>() == "drover-keys");
  EXPECT_TRUE(keys_from_secret);
  EXPECT_EQ(statefulset["spec"]["volumeClaimTemplates"][0]["metadata"]["name"].as<std::string>(), "data");
}

TEST(DeployConfigTest, UnknownKeyAndBadJoinEndpointAreRefused) {
  temp_dir dir;
  // No keys needed: both are refused while the configuration is resolved, before any check.
  local_setup setup{dir / "data", dir / "keys", {{"/etc/drover/drover.yaml", dir / "drover.yaml"}}};
  localize_config_file(configmap_drover_yaml() + "listen_port: 7420\n", dir / "drover.yaml", setup);
  std::string out;
  std::string err;
  EXPECT_EQ(run_drover({"up", "--check", "--config", dir / "drover.yaml"}, out, err), 2) << out << err;
  EXPECT_NE(err.find("unknown key 'listen_port'"), std::string::npos) << err;

  localize_config_file(configmap_drover_yaml(), dir / "drover.yaml", setup);
  EXPECT_EQ(run_drover({"up", "--check", "--config", dir / "drover.yaml", "--advertise", "tcp://127.0.0.1:7420",
                        "--join", "tcp://127.0.0.1:7420", "--join", "tcp://drover-0.drover:0"},
                       out, err),
            2)
    << out << err;
  EXPECT_NE(err.find("flag --join: join: element 2"), std::string::npos) << err;
  EXPECT_NE(err.find("'tcp://drover-0.drover:0'"), std::string::npos) << err;
}

} // namespace
} // namespace drover::testing
