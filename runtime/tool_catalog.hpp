#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "runtime/tool_manifest.hpp"

namespace drover::runtime {

/// The tools a node knows, by id: the built-in manifests plus those the user adds.
/// Thread-safe: `mutex_` guards `tools_`; lookups return copies.
class tool_catalog {
public:
  /// Adds or replaces the tool `manifest.id`.
  void add(tool_manifest manifest);

  /// Parses `yaml_text` (named `source` in errors) and adds it.
  caf::error add_yaml(const std::string& yaml_text, const std::string& source);

  /// Loads every *.yaml file of `directory`; fails on the first bad manifest, naming it.
  caf::error add_directory(const std::string& directory);

  /// Returns the tool `id`, if known.
  std::optional<tool_manifest> find(const std::string& id) const;

  /// Returns every tool, ordered by id.
  std::vector<tool_manifest> list() const;

private:
  mutable std::mutex mutex_;
  std::map<std::string, tool_manifest> tools_;
};

} // namespace drover::runtime
