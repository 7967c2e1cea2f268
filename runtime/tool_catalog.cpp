#include "runtime/tool_catalog.hpp"

#include <algorithm>
#include <filesystem>

#include "runtime/error.hpp"

namespace drover::runtime {

void tool_catalog::add(tool_manifest manifest) {
  std::lock_guard guard{mutex_};
  auto id = manifest.id;
  tools_.insert_or_assign(std::move(id), std::move(manifest));
}

caf::error tool_catalog::add_yaml(const std::string& yaml_text, const std::string& source) {
  auto manifest = parse_tool_manifest(yaml_text, source);
  if (!manifest)
    return std::move(manifest.error());
  add(std::move(*manifest));
  return caf::none;
}

caf::error tool_catalog::add_directory(const std::string& directory) {
  std::vector<std::string> paths;
  std::error_code error;
  for (std::filesystem::directory_iterator entry{directory, error}, end; !error && entry != end;
       entry.increment(error))
    if (entry->is_regular_file() && entry->path().extension() == ".yaml")
      paths.push_back(entry->path().string());
  if (error)
    return make_error(runtime_errc::not_found, "tools_dir " + directory + ": " + error.message());
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    auto manifest = load_tool_manifest(path);
    if (!manifest)
      return std::move(manifest.error());
    add(std::move(*manifest));
  }
  return caf::none;
}

std::optional<tool_manifest> tool_catalog::find(const std::string& id) const {
  std::lock_guard guard{mutex_};
  auto found = tools_.find(id);
  if (found == tools_.end())
    return std::nullopt;
  return found->second;
}

std::vector<tool_manifest> tool_catalog::list() const {
  std::lock_guard guard{mutex_};
  std::vector<tool_manifest> all;
  for (const auto& [id, manifest] : tools_)
    all.push_back(manifest);
  return all;
}

} // namespace drover::runtime
