#pragma once

#include <string>

namespace drover::testing {

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction unless
/// DROVER_KEEP_TEST_DIRS is set.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// Returns the directory's absolute path.
  const std::string& path() const { return path_; }

  /// Returns path() + "/" + name.
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

/// Writes `content` to `path`, creating parent directories.
void write_file(const std::string& path, const std::string& content);

/// Returns the content of `path`, or "" when it cannot be read.
std::string read_file(const std::string& path);

} // namespace drover::testing
