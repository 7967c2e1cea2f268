#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <yaml-cpp/yaml.h>

namespace drover::runtime {

/// One YAML value being read: the node, its field path ("retry.attempts", "argv[2]") and the
/// position to report (the key's position when the value is empty).
struct yaml_field {
  YAML::Node node;
  std::string path;
  YAML::Mark mark;
};

/// One key of a YAML mapping: whether it is required, what its value should be (for the
/// "missing" message) and how to read it.
struct yaml_key {
  std::string name;
  bool required;
  std::string expected;
  std::function<bool(const yaml_field&)> read;
};

/// Tells whether a scalar's text is acceptable.
using yaml_text_check = bool (*)(const std::string& text);

/// Returns "'SCALAR'", "a list", "a mapping" or "nothing", for "got ..." in messages.
std::string describe_yaml_value(const YAML::Node& node);

/// Reads user-written YAML (manifests, specs) field by field and keeps the first error, as
/// runtime_errc::invalid_manifest "SOURCE:LINE: PATH: MESSAGE"; every read returns false once
/// an error is recorded. Internal to the runtime library, which alone links yaml-cpp.
/// Not thread-safe: one reader per document.
class yaml_field_reader {
public:
  /// Creates a reader whose messages name `source` (usually the file path).
  explicit yaml_field_reader(std::string source);

  /// Records "SOURCE:LINE: PATH: MESSAGE" unless an error is already recorded; returns false.
  bool fail(const YAML::Mark& mark, const std::string& path, const std::string& message);

  /// Records "expected EXPECTED, got VALUE" for `f`; returns false.
  bool expected(const yaml_field& f, const std::string& expected);

  /// Reads a non-empty scalar into `out`; `check` must accept it when one is given.
  bool text(const yaml_field& f, const std::string& expected, std::string& out,
            yaml_text_check check = nullptr);

  /// Reads a decimal integer in [min, max] into `out`.
  bool integer(const yaml_field& f, long min, long max, long& out);

  /// Reads one of `choices` (spelling, value) into `out`.
  template <class Enum>
  bool choice(const yaml_field& f, const std::vector<std::pair<std::string, Enum>>& choices,
              Enum& out) {
    std::string names;
    for (const auto& [name, value] : choices) {
      if (f.node.IsScalar() && f.node.Scalar() == name) {
        out = value;
        return true;
      }
      names += (names.empty() ? "" : ", ") + name;
    }
    return expected(f, "one of " + names);
  }

  /// Reads a list of `what`, calling `element` with each element's field ("PATH[I]").
  bool list(const yaml_field& f, const std::string& what, bool non_empty,
            const std::function<bool(const yaml_field&)>& element);

  /// Reads a list of non-empty scalars into `out`; `check` must accept each when one is given.
  bool text_list(const yaml_field& f, const std::string& what, bool non_empty,
                 std::vector<std::string>& out, yaml_text_check check = nullptr);

  /// Reads a mapping whose keys must all be in `keys`; a duplicate, unknown (with a
  /// suggestion for a near miss) or missing required key is an error.
  bool mapping(const yaml_field& f, const std::vector<yaml_key>& keys);

  /// Returns the recorded error (none when every read succeeded) and clears it.
  caf::error take_error();

private:
  std::string source_;
  caf::error error_;
};

} // namespace drover::runtime
