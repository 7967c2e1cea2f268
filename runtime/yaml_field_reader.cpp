#include "runtime/yaml_field_reader.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "runtime/error.hpp"

namespace drover::runtime {

namespace {

/// Returns the Levenshtein distance of `a` and `b`, to suggest a known key for a typo.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string key_names(const std::vector<yaml_key>& keys) {
  std::string names;
  for (const auto& key : keys)
    names += (names.empty() ? "" : ", ") + key.name;
  return names;
}

std::string suggestion(const std::string& name, const std::vector<yaml_key>& keys) {
  // A near miss ("atempts") or a shortened key ("timeout" for "timeout_seconds").
  for (const auto& key : keys)
    if (edit_distance(name, key.name) <= 2 || (name.size() >= 4 && key.name.rfind(name, 0) == 0))
      return " (did you mean '" + key.name + "'?)";
  return "";
}

} // namespace

std::string describe_yaml_value(const YAML::Node& node) {
  if (node.IsScalar())
    return "'" + node.Scalar() + "'";
  if (node.IsSequence())
    return "a list";
  if (node.IsMap())
    return "a mapping";
  return "nothing";
}

yaml_field_reader::yaml_field_reader(std::string source) : source_(std::move(source)) {
}

bool yaml_field_reader::fail(const YAML::Mark& mark, const std::string& path,
                             const std::string& message) {
  if (!error_) {
    auto where = mark.is_null() ? source_ : source_ + ":" + std::to_string(mark.line + 1);
    error_ = make_error(runtime_errc::invalid_manifest, where + ": " + path + ": " + message);
  }
  return false;
}

bool yaml_field_reader::expected(const yaml_field& f, const std::string& expected) {
  return fail(f.mark, f.path, "expected " + expected + ", got " + describe_yaml_value(f.node));
}

bool yaml_field_reader::text(const yaml_field& f, const std::string& expected, std::string& out,
                             yaml_text_check check) {
  if (!f.node.IsScalar() || f.node.Scalar().empty() || (check != nullptr && !check(f.node.Scalar())))
    return this->expected(f, expected);
  out = f.node.Scalar();
  return true;
}

bool yaml_field_reader::integer(const yaml_field& f, long min, long max, long& out) {
  const auto expected = "an integer in " + std::to_string(min) + ".." + std::to_string(max);
  if (!f.node.IsScalar())
    return this->expected(f, expected);
  const auto& text = f.node.Scalar();
  const auto* end = text.data() + text.size();
  long value = 0;
  auto [last, status] = std::from_chars(text.data(), end, value);
  if (text.empty() || status != std::errc{} || last != end || value < min || value > max)
    return this->expected(f, expected);
  out = value;
  return true;
}

bool yaml_field_reader::list(const yaml_field& f, const std::string& what, bool non_empty,
                             const std::function<bool(const yaml_field&)>& element) {
  if (!f.node.IsSequence() || (non_empty && f.node.size() == 0))
    return expected(f, (non_empty ? "a non-empty list of " : "a list of ") + what);
  for (size_t i = 0; i < f.node.size(); ++i) {
    const auto& node = f.node[i];
    if (!element({node, f.path + "[" + std::to_string(i) + "]", node.Mark()}))
      return false;
  }
  return true;
}

bool yaml_field_reader::text_list(const yaml_field& f, const std::string& what, bool non_empty,
                                  std::vector<std::string>& out, yaml_text_check check) {
  out.clear();
  return list(f, what, non_empty, [&](const yaml_field& element) {
    std::string value;
    if (!text(element, what, value, check))
      return false;
    out.push_back(std::move(value));
    return true;
  });
}

bool yaml_field_reader::mapping(const yaml_field& f, const std::vector<yaml_key>& keys) {
  if (!f.node.IsMap())
    return expected(f, "a mapping of " + key_names(keys));
  const auto prefix = f.path.empty() ? std::string{} : f.path + ".";
  std::set<std::string> seen;
  for (const auto& entry : f.node) {
    const auto name = entry.first.IsScalar() ? entry.first.Scalar() : std::string{"?"};
    const auto path = prefix + name;
    const auto key_mark = entry.first.Mark();
    if (!seen.insert(name).second)
      return fail(key_mark, path, "duplicate key");
    auto spec = std::find_if(keys.begin(), keys.end(), [&](const yaml_key& key) { return key.name == name; });
    if (spec == keys.end())
      return fail(key_mark, path,
                  "unknown key" + suggestion(name, keys) + ", expected one of " + key_names(keys));
    // An empty value has no position of its own (yaml-cpp points past it): report the key's.
    const auto value_mark = entry.second.IsNull() ? key_mark : entry.second.Mark();
    if (!spec->read({entry.second, path, value_mark}))
      return false;
  }
  for (const auto& spec : keys)
    if (spec.required && seen.count(spec.name) == 0)
      return fail(f.mark, prefix + spec.name, "missing required field, expected " + spec.expected);
  return true;
}

caf::error yaml_field_reader::take_error() {
  auto error = std::move(error_);
  error_ = caf::error{};
  return error;
}

} // namespace drover::runtime
