#include "tests/testing/git_repo.hpp"

#include <stdexcept>
#include <vector>

#include "runtime/detail/git.hpp"
#include "runtime/error.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::testing {

std::string git(const std::string& dir, std::vector<std::string> args) {
  auto output = runtime::detail::run_git(std::move(args), dir);
  if (!output)
    throw std::runtime_error{runtime::describe(output.error())};
  return *output;
}

std::string make_git_repo(const std::string& dir, const std::map<std::string, std::string>& files) {
  for (const auto& [path, content] : files)
    write_file(dir + "/" + path, content);
  git(dir, {"init", "-q"});
  git(dir, {"add", "-A"});
  git(dir, {"-c", "user.name=Test", "-c", "user.email=test@localhost", "commit", "-q", "-m", "base"});
  return runtime::detail::trim_newlines(git(dir, {"rev-parse", "HEAD"}));
}

} // namespace drover::testing
