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

} // namespace
} // namespace drover::runtime
