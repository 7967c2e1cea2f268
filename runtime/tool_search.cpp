#include "runtime/tool_search.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "runtime/glob.hpp"

namespace drover::runtime {

namespace {

const std::unordered_set<std::string_view> stop_words{
  "a",   "an",  "the",  "and",  "or",   "for",   "of",    "to",   "in",   "on",    "with",
  "by",  "my",  "our",  "your", "all",  "any",   "that",  "this", "these", "those", "is",
  "are", "be",  "it",   "its",  "from", "into",  "i",     "me",   "we",   "us",    "how",
  "what", "which", "can", "do", "does", "please", "some", "using", "use", "tool", "tools",
  "want", "need", "should", "every", "across", "whole", "repo", "repository", "project"};

/// Words with the same meaning in a search, mapped to the one form the index holds. Looked up
/// for the word as typed and again after stemming.
const std::unordered_map<std::string_view, std::string_view> synonyms{
  // languages
  {"py", "python"}, {"python3", "python"}, {"pyi", "python"},
  {"js", "javascript"}, {"node", "javascript"}, {"nodejs", "javascript"}, {"jsx", "javascript"},
  {"ecmascript", "javascript"}, {"ts", "typescript"}, {"tsx", "typescript"},
  {"golang", "go"}, {"cpp", "c++"}, {"cxx", "c++"}, {"cc", "c++"}, {"hpp", "c++"},
  {"tf", "terraform"}, {"hcl", "terraform"}, {"bash", "shell"}, {"sh", "shell"}, {"zsh", "shell"},
  {"posix", "shell"}, {"yml", "yaml"}, {"md", "markdown"}, {"docker", "dockerfile"},
  {"containerfile", "dockerfile"}, {"rs", "rust"}, {"cargo", "rust"}, {"postgres", "sql"},
  {"postgresql", "sql"}, {"mysql", "sql"}, {"sqlite", "sql"}, {"jvm", "java"},
  // what tools do
  {"prettify", "format"}, {"beautify", "format"}, {"beautifier", "format"}, {"reformat", "format"},
  {"indent", "format"}, {"fixer", "fix"}, {"fixes", "fix"}, {"autofix", "fix"}, {"repair", "fix"},
  {"credential", "secret"}, {"password", "secret"}, {"apikey", "secret"}, {"token", "secret"},
  {"leak", "secret"}, {"leaked", "secret"}, {"vulnerability", "security"}, {"vulnerable", "security"},
  {"vuln", "security"}, {"cve", "security"}, {"insecure", "security"}, {"sast", "security"},
  {"exploit", "security"}, {"documentation", "doc"}, {"document", "doc"}, {"apidoc", "doc"},
  {"typecheck", "type"}, {"typing", "type"}, {"spelling", "spell"}, {"typo", "spell"},
  {"misspell", "spell"}, {"misspelling", "spell"}};

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '#';
}

bool ends_with(const std::string& word, std::string_view suffix) {
  return word.size() >= suffix.size() && word.compare(word.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Drops one letter of a final double consonant left by a stripped suffix ("formatt").
void undouble(std::string& word) {
  const auto n = word.size();
  if (n >= 2 && word[n - 1] == word[n - 2] && std::string_view{"lsz"}.find(word[n - 1]) == std::string_view::npos)
    word.pop_back();
}

/// A light suffix stemmer for English words of tool descriptions and queries: plural, -ing,
/// -er, -ed and a final e, so that "formatter", "formatting", "formats" all read "format".
std::string stem(std::string word) {
  if (word.size() <= 4)
    return word;
  auto strip = [&word](size_t letters) {
    if (word.size() - letters < 3)
      return false;
    word.resize(word.size() - letters);
    undouble(word);
    return true;
  };
  if (ends_with(word, "ies")) {
    word.replace(word.size() - 3, 3, "y");
  } else if (ends_with(word, "ing")) {
    strip(3);
  } else if (ends_with(word, "ers")) {
    strip(3);
  } else if (ends_with(word, "er")) {
    strip(2);
  } else if (ends_with(word, "ed")) {
    strip(2);
  } else if (ends_with(word, "s") && !ends_with(word, "ss") && !ends_with(word, "us") && !ends_with(word, "is")) {
    word.pop_back();
  }
  if (word.size() > 4 && word.back() == 'e')
    word.pop_back();
  return word;
}

std::string lowercase(std::string_view text) {
  std::string result{text};
  for (auto& c : result)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return result;
}

std::optional<std::string> synonym(const std::string& word) {
  if (auto found = synonyms.find(word); found != synonyms.end())
    return std::string{found->second};
  return std::nullopt;
}

/// Returns the terms of each text of `texts`, concatenated.
std::vector<std::string> terms_of(const std::vector<std::string>& texts) {
  std::vector<std::string> result;
  for (const auto& text : texts) {
    auto terms = search_terms(text);
    result.insert(result.end(), terms.begin(), terms.end());
  }
  return result;
}

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

/// Returns true when one of `patterns` matches a file with extension `extension` (".py").
bool patterns_match_extension(const std::vector<std::string>& patterns, const std::string& extension) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& pattern) {
    auto compiled = glob::parse(pattern);
    return compiled && (compiled->matches("file" + extension) || compiled->matches("dir/file" + extension));
  });
}

} // namespace

std::vector<std::string> search_terms(std::string_view text) {
  std::vector<std::string> terms;
  const auto lower = lowercase(text);
  for (size_t at = 0; at < lower.size();) {
    while (at < lower.size() && !is_word_char(lower[at]))
      ++at;
    size_t end = at;
    while (end < lower.size() && is_word_char(lower[end]))
      ++end;
    if (end == at)
      break;
    std::string word = lower.substr(at, end - at);
    at = end;
    if (auto canonical = synonym(word)) {
      terms.push_back(std::move(*canonical));
      continue;
    }
    if (stop_words.count(word) > 0)
      continue;
    word = stem(std::move(word));
    terms.push_back(synonym(word).value_or(word));
  }
  return terms;
}

std::string canonical_language(std::string_view language) {
  auto word = lowercase(language);
  return synonym(word).value_or(word);
}

std::string to_string(search_field field) {
  switch (field) {
    case search_field::name: return "name";
    case search_field::description: return "description";
    case search_field::capabilities: return "capabilities";
    case search_field::languages: return "languages";
    case search_field::tags: return "tags";
  }
  return "unknown";
}

void corpus_stats::merge(const corpus_stats& other) {
  documents += other.documents;
  for (size_t field = 0; field < search_field_count; ++field)
    total_length[field] += other.total_length[field];
  for (const auto& [term, count] : other.document_frequency)
    document_frequency[term] += count;
}

bool ranks_before(const search_hit& a, const search_hit& b) {
  if (a.factors.score != b.factors.score)
    return a.factors.score > b.factors.score;
  return a.tool.id < b.tool.id;
}

void tool_index::put(tool_manifest manifest) {
  entry& tool = tools_[manifest.id];
  const std::array<std::vector<std::string>, search_field_count> fields{
    terms_of({manifest.id}), terms_of({manifest.description}), terms_of(manifest.capabilities),
    terms_of(manifest.languages), terms_of(manifest.tags)};
  for (size_t field = 0; field < search_field_count; ++field) {
    tool.term_counts[field].clear();
    for (const auto& term : fields[field])
      ++tool.term_counts[field][term];
    tool.lengths[field] = static_cast<uint32_t>(fields[field].size());
  }
  tool.manifest = std::move(manifest);
}

const tool_manifest* tool_index::find(const std::string& id) const {
  auto found = tools_.find(id);
  return found == tools_.end() ? nullptr : &found->second.manifest;
}

std::vector<tool_manifest> tool_index::list() const {
  std::vector<tool_manifest> result;
  for (const auto& [id, tool] : tools_)
    result.push_back(tool.manifest);
  return result;
}

const tool_stats& tool_index::record_outcome(const std::string& id, bool ok, int64_t latency_ms,
                                             int64_t now_ms) {
  auto& stats = tools_.at(id).stats;
  if (!stats)
    stats.emplace();
  stats->record(ok, latency_ms, now_ms, params_.prior);
  return *stats;
}

void tool_index::set_stats(const std::string& id, tool_stats stats) {
  if (auto found = tools_.find(id); found != tools_.end())
    found->second.stats = std::move(stats);
}

const tool_stats* tool_index::stats(const std::string& id) const {
  auto found = tools_.find(id);
  return found == tools_.end() || !found->second.stats ? nullptr : &*found->second.stats;
}

void tool_index::set_availability(const std::string& id, tool_availability availability) {
  if (auto found = tools_.find(id); found != tools_.end())
    found->second.availability = std::move(availability);
}

const tool_availability* tool_index::availability(const std::string& id) const {
  auto found = tools_.find(id);
  return found == tools_.end() || !found->second.availability ? nullptr : &*found->second.availability;
}

corpus_stats tool_index::corpus(const std::vector<std::string>& terms) const {
  corpus_stats result;
  result.documents = tools_.size();
  const std::set<std::string> unique{terms.begin(), terms.end()};
  for (const auto& term : unique)
    result.document_frequency[term] = 0;
  for (const auto& [id, tool] : tools_) {
    for (size_t field = 0; field < search_field_count; ++field)
      result.total_length[field] += tool.lengths[field];
    for (const auto& term : unique)
      if (std::any_of(tool.term_counts.begin(), tool.term_counts.end(),
                      [&term](const auto& counts) { return counts.count(term) > 0; }))
        ++result.document_frequency[term];
  }
  return result;
}

bool tool_index::passes(const entry& tool, const search_filters& filters) const {
  const auto& manifest = tool.manifest;
  if (!filters.capability.empty() && !contains(manifest.capabilities, filters.capability))
    return false;
  if (!filters.language.empty()) {
    const bool extension = filters.language[0] == '.';
    const auto language = canonical_language(filters.language);
    const bool any_language = manifest.languages.empty();
    if (!(!extension && (any_language || contains(manifest.languages, language)))
        && !patterns_match_extension(manifest.file_patterns, extension ? filters.language : "." + filters.language))
      return false;
  }
  if (!filters.side_effects.empty()
      && std::find(filters.side_effects.begin(), filters.side_effects.end(), manifest.side_effect)
           == filters.side_effects.end())
    return false;
  return !filters.available_only || (tool.availability && tool.availability->available);
}

score_factors tool_index::relevance(const entry& tool, const std::vector<std::string>& terms,
                                    const corpus_stats& corpus) const {
  score_factors factors;
  const auto documents = static_cast<double>(std::max<uint64_t>(corpus.documents, 1));
  for (const auto& term : std::set<std::string>{terms.begin(), terms.end()}) {
    term_match match{term, {}, 0, 0};
    double weighted = 0; // BM25F: field-weighted, length-normalized term frequency
    for (size_t field = 0; field < search_field_count; ++field) {
      auto count = tool.term_counts[field].find(term);
      if (count == tool.term_counts[field].end())
        continue;
      const double average = std::max(corpus.total_length[field] / documents, 1e-9);
      const double norm = 1 - params_.b + params_.b * tool.lengths[field] / average;
      weighted += params_.field_weights[field] * count->second / norm;
      match.fields.push_back(to_string(static_cast<search_field>(field)));
    }
    if (weighted == 0)
      continue;
    auto df_entry = corpus.document_frequency.find(term);
    const double df = df_entry == corpus.document_frequency.end() ? 1 : static_cast<double>(df_entry->second);
    match.idf = std::log(1 + (documents - df + 0.5) / (df + 0.5));
    match.contribution = match.idf * weighted * (params_.k1 + 1) / (params_.k1 + weighted);
    factors.relevance += match.contribution;
    factors.terms.push_back(std::move(match));
  }
  return factors;
}

std::vector<search_hit> tool_index::search(const search_request& request,
                                           const std::vector<std::string>& terms,
                                           const corpus_stats& corpus, int64_t now_ms) const {
  std::vector<search_hit> hits;
  for (const auto& [id, tool] : tools_) {
    if (!passes(tool, request.filters))
      continue;
    score_factors factors;
    if (terms.empty()) {
      factors.relevance = 1;
    } else {
      factors = relevance(tool, terms, corpus);
      if (factors.relevance <= 0)
        continue;
    }
    const auto stats = tool.stats ? tool.stats->decayed_to(now_ms, params_.prior) : tool_stats{};
    factors.reliability = stats.reliability(now_ms, params_.prior);
    factors.successes = stats.successes;
    factors.failures = stats.failures;
    factors.invocations = stats.invocations;
    factors.median_latency_ms = stats.median_latency_ms();
    factors.latency_factor = stats.latency_factor(params_.prior);
    factors.score = factors.relevance * factors.reliability * factors.latency_factor;
    hits.push_back({tool.manifest, tool.availability, std::move(factors)});
  }
  std::sort(hits.begin(), hits.end(), ranks_before);
  if (hits.size() > request.limit)
    hits.resize(request.limit);
  return hits;
}

} // namespace drover::runtime
