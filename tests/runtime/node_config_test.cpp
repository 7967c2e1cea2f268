#include "runtime/node_config.hpp"

#include <filesystem>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::runtime {
namespace {

using testing::temp_dir;
using testing::write_file;

struct fake_env {
  std::map<std::string, std::string> variables;
  std::optional<std::string> operator()(const std::string& name) const {
    auto found = variables.find(name);
    if (found == variables.end())
      return std::nullopt;
    return found->second;
  }
};

std::string error_of(const config_inputs& inputs) {
  auto resolved = resolve_config(inputs);
  EXPECT_FALSE(resolved) << "the configuration was accepted";
  return resolved ? std::string{} : describe(resolved.error());
}

TEST(NodeConfigTest, DefaultsAreLoopback) {
  auto resolved = resolve_config({});
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->values.listen.host, "127.0.0.1");
  EXPECT_EQ(resolved->values.metrics.host, "127.0.0.1");
  EXPECT_EQ(resolved->values.http.host, "127.0.0.1");
  EXPECT_EQ(resolved->origin.at("listen"), "default");
}

TEST(NodeConfigTest, FlagsBeatEnvBeatFileBeatDefaults) {
  temp_dir dir;
  write_file(dir / "drover.yaml", "listen: tcp://127.0.0.1:1001\n"
                                  "http: 127.0.0.1:1002\n"
                                  "metrics: 127.0.0.1:1003\n");
  config_inputs inputs;
  inputs.file = dir / "drover.yaml";
  inputs.env = fake_env{{{"DROVER_HTTP", "127.0.0.1:2002"}, {"DROVER_METRICS", "127.0.0.1:2003"}}};
  inputs.flags = {{"metrics", "127.0.0.1:3003"}};
  auto resolved = resolve_config(inputs);
  ASSERT_TRUE(resolved) << describe(resolved.error());
  EXPECT_EQ(resolved->values.listen.port, 1001);
  EXPECT_EQ(resolved->values.http.port, 2002);
  EXPECT_EQ(resolved->values.metrics.port, 3003);
  EXPECT_EQ(resolved->values.log_level, "info");
  EXPECT_EQ(resolved->origin.at("listen"), "file " + (dir / "drover.yaml") + ":1");
  EXPECT_EQ(resolved->origin.at("http"), "env DROVER_HTTP");
  EXPECT_EQ(resolved->origin.at("metrics"), "flag --metrics");
  EXPECT_EQ(resolved->origin.at("log_level"), "default");
}

TEST(NodeConfigTest, DataDirIsMadeAbsolute) {
  config_inputs inputs;
  inputs.flags = {{"data_dir", "relative/dir/"}};
  auto resolved = resolve_config(inputs);
  ASSERT_TRUE(resolved) << describe(resolved.error());
  EXPECT_EQ(resolved->values.data_dir, (std::filesystem::current_path() / "relative/dir").string());
}

TEST(NodeConfigTest, UnknownFileKeyNamesFileLineAndKey) {
  temp_dir dir;
  write_file(dir / "drover.yaml", "listen: tcp://127.0.0.1:1\nlisten_port: 5\n");
  config_inputs inputs;
  inputs.file = dir / "drover.yaml";
  const auto message = error_of(inputs);
  EXPECT_NE(message.find(dir / "drover.yaml:2"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown key 'listen_port'"), std::string::npos) << message;
  EXPECT_NE(message.find("data_dir"), std::string::npos) << "lists the known keys: " << message;
}

TEST(NodeConfigTest, BadValueNamesSourceKeyAndExpectation) {
  config_inputs inputs;
  inputs.env = fake_env{{{"DROVER_LISTEN", "127.0.0.1:80"}}};
  auto message = error_of(inputs);
  EXPECT_NE(message.find("env DROVER_LISTEN"), std::string::npos) << message;
  EXPECT_NE(message.find("expected an address tcp://HOST:PORT"), std::string::npos) << message;
  EXPECT_NE(message.find("'127.0.0.1:80'"), std::string::npos) << message;

  inputs = {};
  inputs.flags = {{"http", "127.0.0.1:70000"}};
  message = error_of(inputs);
  EXPECT_NE(message.find("flag --http"), std::string::npos) << message;

  inputs = {};
  inputs.flags = {{"log_level", "loud"}};
  message = error_of(inputs);
  EXPECT_NE(message.find("one of trace, debug"), std::string::npos) << message;
}

TEST(NodeConfigTest, MalformedYamlNamesLineAndColumn) {
  temp_dir dir;
  write_file(dir / "drover.yaml", "listen: [unclosed\n");
  config_inputs inputs;
  inputs.file = dir / "drover.yaml";
  const auto message = error_of(inputs);
  EXPECT_NE(message.find("invalid YAML"), std::string::npos) << message;
  EXPECT_NE(message.find(dir / "drover.yaml:"), std::string::npos) << message;
}

TEST(NodeConfigTest, MissingFileIsAnError) {
  config_inputs inputs;
  inputs.file = "/nonexistent/drover.yaml";
  EXPECT_NE(error_of(inputs).find("cannot read"), std::string::npos);
}

TEST(NodeConfigTest, NestedValueIsRejected) {
  temp_dir dir;
  write_file(dir / "drover.yaml", "http:\n  host: 127.0.0.1\n");
  config_inputs inputs;
  inputs.file = dir / "drover.yaml";
  EXPECT_NE(error_of(inputs).find("expected a single value"), std::string::npos);
}

TEST(NodeConfigTest, ParsesHostPort) {
  EXPECT_FALSE(parse_host_port("localhost"));
  EXPECT_FALSE(parse_host_port(":80"));
  EXPECT_FALSE(parse_host_port("host:"));
  EXPECT_FALSE(parse_host_port("host:8x"));
  EXPECT_FALSE(parse_host_port("host:65536"));
  auto parsed = parse_host_port("127.0.0.1:0");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->port, 0);
  EXPECT_EQ(parsed->to_string(), "127.0.0.1:0");
}

TEST(NodeConfigTest, NamesFlagsAndVariables) {
  EXPECT_EQ(env_name("data_dir"), "DROVER_DATA_DIR");
  EXPECT_EQ(flag_name("data_dir"), "--data-dir");
}

TEST(NodeConfigTest, ClusterKeysDefaultToASingleLoopbackNode) {
  auto resolved = resolve_config({});
  ASSERT_TRUE(resolved) << describe(resolved.error());
  EXPECT_TRUE(resolved->values.join.empty());
  EXPECT_EQ(resolved->values.advertise, "");
  EXPECT_EQ(resolved->values.keys_dir, "");
  EXPECT_EQ(resolved->values.heartbeat_interval_ms, 250U);
  EXPECT_EQ(resolved->values.suspicion_timeout_ms, 2000U);
  EXPECT_EQ(resolved->origin.at("join"), "default");
  EXPECT_FALSE(check_cluster_endpoints(*resolved));
}

TEST(NodeConfigTest, JoinTakesACommaListFromEnvAndFlags) {
  config_inputs inputs;
  inputs.env = fake_env{{{"DROVER_JOIN", "tcp://10.0.0.1:7420, tcp://node-b.example:7420"}}};
  auto resolved = resolve_config(inputs);
  ASSERT_TRUE(resolved) << describe(resolved.error());
  EXPECT_EQ(resolved->values.join,
            (std::vector<std::string>{"tcp://10.0.0.1:7420", "tcp://node-b.example:7420"}));
  EXPECT_EQ(value_of(resolved->values, "join"), "tcp://10.0.0.1:7420,tcp://node-b.example:7420");
  EXPECT_EQ(resolved->origin.at("join"), "env DROVER_JOIN");

  inputs.flags = {{"join", "tcp://127.0.0.1:9000"}};
  resolved = resolve_config(inputs);
  ASSERT_TRUE(resolved) << describe(resolved.error());
  EXPECT_EQ(resolved->values.join, std::vector<std::string>{"tcp://127.0.0.1:9000"});
  EXPECT_EQ(resolved->origin.at("join"), "flag --join");

  inputs.flags = {{"join", ""}}; // an empty flag joins nobody, overriding the environment
  resolved = resolve_config(inputs);
  ASSERT_TRUE(resolved) << describe(resolved.error());
  EXPECT_TRUE(resolved->values.join.empty());
  EXPECT_TRUE(is_list_key("join"));
  EXPECT_FALSE(is_list_key("listen"));
}

TEST(NodeConfigTest, JoinTakesASequenceOrACommaStringFromTheFile) {
  temp_dir dir;
  write_file(dir / "list.yaml", "join:\n  - tcp://a.example:7420\n  - tcp://b.example:7421\n");
  write_file(dir / "string.yaml", "join: tcp://a.example:7420,tcp://b.example:7421\n");
  for (const auto* name : {"list.yaml", "string.yaml"}) {
    config_inputs inputs;
    inputs.file = dir / name;
    auto resolved = resolve_config(inputs);
    ASSERT_TRUE(resolved) << describe(resolved.error());
    EXPECT_EQ(resolved->values.join,
              (std::vector<std::string>{"tcp://a.example:7420", "tcp://b.example:7421"}))
      << name;
    EXPECT_EQ(resolved->origin.at("join"), "file " + (dir / name) + ":1");
  }
}

TEST(NodeConfigTest, BadJoinElementIsNamed) {
  config_inputs inputs;
  inputs.flags = {{"join", "tcp://a.example:7420,tcp://b.example:0"}};
  auto message = error_of(inputs);
  EXPECT_NE(message.find("flag --join: join: element 2"), std::string::npos) << message;
  EXPECT_NE(message.find("tcp://HOST:PORT with PORT in 1..65535"), std::string::npos) << message;
  EXPECT_NE(message.find("got 'tcp://b.example:0'"), std::string::npos) << message;

  for (const auto* bad : {"a.example:7420", "tcp://a.example", "tcp://:7420", "tcp://a.example:70000",
                          "tcp://a.example:7420,,tcp://b.example:7420"}) {
    inputs.flags = {{"join", bad}};
    message = error_of(inputs);
    EXPECT_NE(message.find("join: element"), std::string::npos) << bad << ": " << message;
  }

  temp_dir dir;
  write_file(dir / "drover.yaml", "log_level: info\njoin:\n  - tcp://a.example:7420\n  - udp://b.example:7420\n");
  inputs = {};
  inputs.file = dir / "drover.yaml";
  message = error_of(inputs);
  EXPECT_NE(message.find(dir / "drover.yaml:2: join: element 2"), std::string::npos) << message;
  EXPECT_NE(message.find("'udp://b.example:7420'"), std::string::npos) << message;

  write_file(dir / "drover.yaml", "join:\n  host: a.example\n");
  message = error_of(inputs);
  EXPECT_NE(message.find("join: expected a list or a comma-separated string"), std::string::npos) << message;
}

TEST(NodeConfigTest, AdvertiseNeedsAConcreteHostAndPort) {
  config_inputs inputs;
  inputs.flags = {{"advertise", "tcp://drover-1.drover.ns.svc.cluster.local:7420"}};
  auto resolved = resolve_config(inputs);
  ASSERT_TRUE(resolved) << describe(resolved.error());
  EXPECT_EQ(resolved->values.advertise, "tcp://drover-1.drover.ns.svc.cluster.local:7420");

  inputs.flags = {{"advertise", ""}};
  resolved = resolve_config(inputs);
  ASSERT_TRUE(resolved) << describe(resolved.error());
  EXPECT_EQ(resolved->values.advertise, "");

  for (const auto* bad : {"tcp://0.0.0.0:7420", "tcp://*:7420", "tcp://10.0.0.1:0", "10.0.0.1:7420",
                          "tcp://10.0.0.1:65536"}) {
    inputs.flags = {{"advertise", bad}};
    const auto message = error_of(inputs);
    EXPECT_NE(message.find("flag --advertise: advertise: expected"), std::string::npos) << bad << ": " << message;
    EXPECT_NE(message.find("concrete HOST"), std::string::npos) << message;
    EXPECT_NE(message.find("got '" + std::string{bad} + "'"), std::string::npos) << message;
  }
}

TEST(NodeConfigTest, KeysDirIsMadeAbsoluteAndMayBeMissing) {
  config_inputs inputs;
  inputs.env = fake_env{{{"DROVER_KEYS_DIR", "keys/"}}};
  auto resolved = resolve_config(inputs);
  ASSERT_TRUE(resolved) << describe(resolved.error());
  EXPECT_EQ(resolved->values.keys_dir, (std::filesystem::current_path() / "keys").string());
  EXPECT_EQ(resolved->origin.at("keys_dir"), "env DROVER_KEYS_DIR");
}

TEST(NodeConfigTest, ApiTokenIsKeptButNeverPrinted) {
  config_inputs inputs;
  inputs.env = fake_env{{{"DROVER_API_TOKEN", "s3cret-token"}}};
  auto resolved = resolve_config(inputs);
  ASSERT_TRUE(resolved) << describe(resolved.error());
  EXPECT_EQ(resolved->values.api_token, "s3cret-token");
  EXPECT_EQ(value_of(resolved->values, "api_token"), "(set)");
  EXPECT_EQ(value_of(resolve_config({})->values, "api_token"), "");
}

TEST(NodeConfigTest, HeartbeatAndSuspicionTimeoutHaveBounds) {
  config_inputs inputs;
  inputs.flags = {{"heartbeat_interval_ms", "10"}, {"suspicion_timeout_ms", "100"}};
  auto resolved = resolve_config(inputs);
  ASSERT_TRUE(resolved) << describe(resolved.error());
  EXPECT_EQ(resolved->values.heartbeat_interval_ms, 10U);
  EXPECT_EQ(resolved->values.suspicion_timeout_ms, 100U);

  inputs.flags = {{"heartbeat_interval_ms", "60000"}, {"suspicion_timeout_ms", "600000"}};
  ASSERT_TRUE(resolve_config(inputs));

  for (const auto* bad : {"9", "60001", "-5", "1s", ""}) {
    inputs.flags = {{"heartbeat_interval_ms", bad}};
    const auto message = error_of(inputs);
    EXPECT_NE(message.find("flag --heartbeat-interval-ms: heartbeat_interval_ms: expected a whole number of "
                           "milliseconds from 10 to 60000"),
              std::string::npos)
      << bad << ": " << message;
  }
  for (const auto* bad : {"99", "600001", "99999999999"}) {
    inputs.flags = {{"suspicion_timeout_ms", bad}};
    const auto message = error_of(inputs);
    EXPECT_NE(message.find("suspicion_timeout_ms: expected a whole number of milliseconds from 100 to 600000"),
              std::string::npos)
      << bad << ": " << message;
  }
}

TEST(NodeConfigTest, SuspicionTimeoutMustCoverFourHeartbeats) {
  temp_dir dir;
  write_file(dir / "drover.yaml", "heartbeat_interval_ms: 500\n");
  config_inputs inputs;
  inputs.file = dir / "drover.yaml";
  inputs.flags = {{"suspicion_timeout_ms", "1999"}};
  const auto message = error_of(inputs);
  EXPECT_NE(message.find("suspicion_timeout_ms 1999 (flag --suspicion-timeout-ms)"), std::string::npos) << message;
  EXPECT_NE(message.find("heartbeat_interval_ms 500 (file " + (dir / "drover.yaml") + ":1)"), std::string::npos)
    << message;
  EXPECT_NE(message.find("= 2000"), std::string::npos) << message;

  inputs.flags = {{"suspicion_timeout_ms", "2000"}};
  EXPECT_TRUE(resolve_config(inputs));

  inputs = {};
  inputs.env = fake_env{{{"DROVER_HEARTBEAT_INTERVAL_MS", "1000"}}}; // default timeout 2000 < 4000
  EXPECT_NE(error_of(inputs).find("heartbeat_interval_ms 1000 (env DROVER_HEARTBEAT_INTERVAL_MS)"),
            std::string::npos);
}

TEST(NodeConfigTest, NonLoopbackListenRequiresKeysAndWildcardRequiresAdvertise) {
  config_inputs inputs;
  inputs.flags = {{"listen", "tcp://10.1.2.3:7420"}};
  auto resolved = resolve_config(inputs);
  ASSERT_TRUE(resolved) << describe(resolved.error()); // resolving alone accepts it
  auto error = check_cluster_endpoints(*resolved);
  ASSERT_TRUE(error);
  auto message = describe(error);
  EXPECT_NE(message.find("listen on a non-loopback address requires keys_dir (CurveZMQ)"), std::string::npos)
    << message;
  EXPECT_NE(message.find("flag --listen"), std::string::npos) << message;

  inputs.flags["keys_dir"] = "/etc/drover/keys";
  resolved = resolve_config(inputs);
  ASSERT_TRUE(resolved) << describe(resolved.error());
  EXPECT_FALSE(check_cluster_endpoints(*resolved));

  inputs.flags["listen"] = "tcp://0.0.0.0:7420";
  resolved = resolve_config(inputs);
  ASSERT_TRUE(resolved) << describe(resolved.error());
  error = check_cluster_endpoints(*resolved);
  ASSERT_TRUE(error);
  EXPECT_NE(describe(error).find("requires advertise"), std::string::npos) << describe(error);

  inputs.flags["advertise"] = "tcp://node-a.example:7420";
  resolved = resolve_config(inputs);
  ASSERT_TRUE(resolved) << describe(resolved.error());
  EXPECT_FALSE(check_cluster_endpoints(*resolved));

  for (const auto* loopback : {"tcp://127.0.0.1:7420", "tcp://localhost:7420", "tcp://[::1]:7420"}) {
    inputs.flags = {{"listen", loopback}};
    resolved = resolve_config(inputs);
    ASSERT_TRUE(resolved) << describe(resolved.error());
    EXPECT_FALSE(check_cluster_endpoints(*resolved)) << loopback;
  }
}

} // namespace
} // namespace drover::runtime
