// A node started with an API token: requests that change state need it as a bearer token, are
// refused with 401 and change nothing without it; reads stay open; the CLI sends the token.

#include <cstdlib>

#include <gtest/gtest.h>
#include <httplib.h>

#include "tests/testing/drover_process.hpp"
#include "tests/testing/git_repo.hpp"
#include "tests/testing/running_node.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::testing {
namespace {

const std::string token = "test-token-2f9c1d7e4b";

TEST(ApiTokenTest, ChangesNeedTheTokenReadsDoNotAndTheCliSendsIt) {
  temp_dir dir;
  make_git_repo(dir / "repo", {{"a.txt", "old_call(1)\n"}});
  running_node node{dir / "data", dir / "node", {"--api-token", token}};
  httplib::Client client{"http://" + node.http()};
  const auto job = nlohmann::json{{"repo", dir / "repo"},
                                  {"include", {"*.txt"}},
                                  {"tools", {"drover-codemod"}},
                                  {"args", {"--literal", "old_call(", "--to", "new_call("}}}
                     .dump();

  auto anonymous = client.Post("/v1/jobs", job, "application/json");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_NE(anonymous->body.find("API token"), std::string::npos) << anonymous->body;
  httplib::Headers wrong{{"Authorization", "Bearer not-the-token"}};
  auto guessed = client.Post("/v1/jobs", wrong, job, "application/json");
  ASSERT_TRUE(guessed);
  EXPECT_EQ(guessed->status, 401);
  EXPECT_TRUE(node.get("/v1/jobs").empty()) << "a refused request must not create a job";

  client.set_bearer_token_auth(token);
  auto allowed = client.Post("/v1/jobs", job, "application/json");
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 201) << allowed->body;
  EXPECT_EQ(node.get("/v1/jobs").size(), 1U) << "reads need no token";

  // The CLI talks to the running node with the token from its configuration.
  std::string out;
  std::string err;
  EXPECT_EQ(run_drover({"tools", "probe", "drover-codemod", "--data-dir", dir / "data"}, out, err), 2)
    << "without the token the node refuses: " << out << err;
  EXPECT_NE(err.find("API token"), std::string::npos) << err;
  EXPECT_EQ(run_drover({"tools", "probe", "drover-codemod", "--data-dir", dir / "data", "--api-token", token},
                       out, err),
            0)
    << out << err;
}

} // namespace
} // namespace drover::testing
