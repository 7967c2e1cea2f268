#include "runtime/tool_search.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
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

std::string explain(const search_hit& hit) {
  const auto& f = hit.factors;
  auto number = [](double value, int digits) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.*f", digits, value);
    return std::string{text};
  };
  std::string terms;
  for (const auto& term : f.terms) {
    terms += (terms.empty() ? "" : ", ") + term.term + " in ";
    for (size_t i = 0; i < term.fields.size(); ++i)
      terms += (i > 0 ? "+" : "") + term.fields[i];
    terms += " " + number(term.contribution, 2);
  }
  return "score " + number(f.score, 3) + " = relevance " + number(f.relevance, 3)
         + (terms.empty() ? " (no text query)" : " (" + terms + ")") + " x reliability "
         + number(f.reliability, 3) + " (" + number(f.successes, 1) + " ok, " + number(f.failures, 1)
         + " failed, decayed; " + std::to_string(f.invocations) + " recorded) x latency "
         + number(f.latency_factor, 3)
         + (f.median_latency_ms ? " (median " + std::to_string(*f.median_latency_ms) + " ms)" : " (no runs)");
}

bool ranks_before(const search_hit& a, const search_hit& b) {
  if (a.factors.score != b.factors.score)
    return a.factors.score > b.factors.score;
  return a.tool.id < b.tool.id;
}

void tool_index::put(tool_manifest manifest) {
  auto [slot, added] = slots_.try_emplace(manifest.id, static_cast<uint32_t>(tools_.size()));
  if (added)
    tools_.emplace_back();
  else
    unindex(slot->second);
  const uint32_t id = slot->second;
  entry& tool = tools_[id];
  const std::array<std::vector<std::string>, search_field_count> fields{
    terms_of({manifest.id}), terms_of({manifest.description}), terms_of(manifest.capabilities),
    terms_of(manifest.languages), terms_of(manifest.tags)};
  // (term id, counts per field) of each distinct term; a tool has a few dozen at most.
  tool.terms.clear();
  for (size_t field = 0; field < search_field_count; ++field) {
    for (const auto& term : fields[field]) {
      const auto term_id = term_ids_.try_emplace(term, static_cast<uint32_t>(term_ids_.size())).first->second;
      auto held = std::find_if(tool.terms.begin(), tool.terms.end(),
                               [term_id](const auto& pair) { return pair.first == term_id; });
      if (held == tool.terms.end())
        held = tool.terms.insert(tool.terms.end(), {term_id, field_counts{}});
      ++held->second[field];
    }
    tool.lengths[field] = static_cast<uint32_t>(fields[field].size());
    total_length_[field] += tool.lengths[field];
  }
  std::sort(tool.terms.begin(), tool.terms.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (postings_.size() < term_ids_.size())
    postings_.resize(term_ids_.size());
  for (const auto& [term_id, per_field] : tool.terms) {
    auto& list = postings_[term_id];
    list.postings.push_back({id, per_field});
    for (size_t field = 0; field < search_field_count; ++field)
      if (per_field[field] > 0) {
        list.max_count[field] = std::max(list.max_count[field], per_field[field]);
        list.min_length[field] = list.min_length[field] == 0 ? tool.lengths[field]
                                                             : std::min(list.min_length[field], tool.lengths[field]);
      }
  }
  accumulated_.resize(tools_.size());
  filtered_.resize(tools_.size());
  tool.file_globs.clear();
  for (const auto& pattern : manifest.file_patterns)
    if (auto compiled = glob::parse(pattern))
      tool.file_globs.push_back(std::move(*compiled));
  tool.manifest = std::move(manifest);
}

void tool_index::unindex(uint32_t id) {
  entry& tool = tools_[id];
  for (size_t field = 0; field < search_field_count; ++field)
    total_length_[field] -= tool.lengths[field];
  for (const auto& [term_id, counts] : tool.terms) {
    auto& list = postings_[term_id].postings;
    list.erase(std::remove_if(list.begin(), list.end(), [id](const posting& p) { return p.tool == id; }),
               list.end());
  }
}

const tool_manifest* tool_index::find(const std::string& id) const {
  auto found = slots_.find(id);
  return found == slots_.end() ? nullptr : &tools_[found->second].manifest;
}

std::vector<tool_manifest> tool_index::list() const {
  std::vector<tool_manifest> result;
  for (const auto& tool : tools_)
    result.push_back(tool.manifest);
  std::sort(result.begin(), result.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return result;
}

const tool_stats& tool_index::record_outcome(const std::string& id, bool ok, int64_t latency_ms,
                                             int64_t now_ms) {
  auto& stats = tools_[slots_.at(id)].stats;
  if (!stats)
    stats.emplace();
  stats->record(ok, latency_ms, now_ms, params_.prior);
  return *stats;
}

void tool_index::set_stats(const std::string& id, tool_stats stats) {
  if (auto found = slots_.find(id); found != slots_.end())
    tools_[found->second].stats = std::move(stats);
}

const tool_stats* tool_index::stats(const std::string& id) const {
  auto found = slots_.find(id);
  return found == slots_.end() || !tools_[found->second].stats ? nullptr : &*tools_[found->second].stats;
}

void tool_index::set_availability(const std::string& id, tool_availability availability) {
  if (auto found = slots_.find(id); found != slots_.end())
    tools_[found->second].availability = std::move(availability);
}

const tool_availability* tool_index::availability(const std::string& id) const {
  auto found = slots_.find(id);
  return found == slots_.end() || !tools_[found->second].availability
           ? nullptr
           : &*tools_[found->second].availability;
}

std::optional<search_hit> tool_index::describe(const std::string& id, int64_t now_ms) const {
  auto found = slots_.find(id);
  if (found == slots_.end())
    return std::nullopt;
  const auto& tool = tools_[found->second];
  score_factors factors;
  factors.relevance = 1;
  factors.score = prior(tool, now_ms, &factors);
  return search_hit{tool.manifest, tool.availability, std::move(factors)};
}

corpus_stats tool_index::corpus(const std::vector<std::string>& terms) const {
  corpus_stats result;
  result.documents = tools_.size();
  result.total_length = total_length_;
  for (const auto& term : terms) {
    const auto* list = postings_of(term);
    result.document_frequency[term] = list == nullptr ? 0 : list->postings.size();
  }
  return result;
}

bool tool_index::passes(const entry& tool, const search_filters& filters) const {
  const auto& manifest = tool.manifest;
  if (!filters.capability.empty() && !contains(manifest.capabilities, filters.capability))
    return false;
  if (!filters.language.empty()) {
    const bool extension = filters.language[0] == '.';
    const bool by_language =
      !extension && (manifest.languages.empty() || contains(manifest.languages, canonical_language(filters.language)));
    const auto file = "dir/file" + (extension ? filters.language : "." + filters.language);
    if (!by_language && std::none_of(tool.file_globs.begin(), tool.file_globs.end(),
                                     [&file](const glob& pattern) { return pattern.matches(file); }))
      return false;
  }
  if (!filters.side_effects.empty()
      && std::find(filters.side_effects.begin(), filters.side_effects.end(), manifest.side_effect)
           == filters.side_effects.end())
    return false;
  return !filters.available_only || (tool.availability && tool.availability->available);
}

double tool_index::prior(const entry& tool, int64_t now_ms, score_factors* factors) const {
  if (!tool.stats && factors == nullptr) // the common case: no outcomes recorded yet
    return std::clamp(params_.prior.prior_success_rate, 0.0, 1.0);
  const auto stats = tool.stats ? tool.stats->decayed_to(now_ms, params_.prior) : tool_stats{};
  const double reliability = stats.reliability(now_ms, params_.prior);
  const double latency = stats.latency_factor(params_.prior);
  if (factors != nullptr) {
    factors->reliability = reliability;
    factors->successes = stats.successes;
    factors->failures = stats.failures;
    factors->invocations = stats.invocations;
    factors->median_latency_ms = stats.median_latency_ms();
    factors->latency_factor = latency;
  }
  // In [0, 1] whatever the parameters or a stored record say: the pruning in accumulate()
  // relies on it, and a NaN would break the ordering of the ranking.
  const double product = reliability * latency;
  return product > 0 ? std::min(product, 1.0) : 0.0;
}

double tool_index::saturated(double term_idf, double weighted) const {
  return term_idf * weighted * (params_.k1 + 1) / (params_.k1 + weighted);
}

double tool_index::weighted_frequency(const entry& tool, const field_counts& counts,
                                      const std::array<double, search_field_count>& average_lengths) const {
  double weighted = 0;
  for (size_t field = 0; field < search_field_count; ++field)
    if (counts[field] > 0)
      weighted += params_.field_weights[field] * counts[field]
                  / (1 - params_.b + params_.b * tool.lengths[field] / average_lengths[field]);
  return weighted;
}

namespace {

std::array<double, search_field_count> average_lengths(const corpus_stats& corpus) {
  std::array<double, search_field_count> result{};
  const auto documents = static_cast<double>(std::max<uint64_t>(corpus.documents, 1));
  for (size_t field = 0; field < search_field_count; ++field)
    result[field] = std::max(corpus.total_length[field] / documents, 1e-9);
  return result;
}

double idf(const corpus_stats& corpus, const std::string& term) {
  auto found = corpus.document_frequency.find(term);
  const double df = found == corpus.document_frequency.end() ? 1 : static_cast<double>(std::max<uint64_t>(found->second, 1));
  const auto documents = static_cast<double>(std::max<uint64_t>(corpus.documents, 1));
  return std::log(1 + (documents - df + 0.5) / (df + 0.5));
}

std::vector<std::string> unique(std::vector<std::string> terms) {
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

} // namespace

score_factors tool_index::explain(const entry& tool, const std::vector<std::string>& terms,
                                  const corpus_stats& corpus) const {
  score_factors factors;
  const auto averages = average_lengths(corpus);
  for (const auto& term : terms) {
    auto term_id = term_ids_.find(term);
    const auto* found = term_id == term_ids_.end() ? nullptr : counts_of(tool, term_id->second);
    if (found == nullptr)
      continue;
    term_match match{term, {}, idf(corpus, term), 0};
    for (size_t field = 0; field < search_field_count; ++field)
      if ((*found)[field] > 0)
        match.fields.push_back(to_string(static_cast<search_field>(field)));
    const double weighted = weighted_frequency(tool, *found, averages);
    match.contribution = saturated(match.idf, weighted);
    factors.relevance += match.contribution;
    factors.terms.push_back(std::move(match));
  }
  return factors;
}

std::vector<search_hit> tool_index::search(const search_request& request,
                                           const std::vector<std::string>& query_terms,
                                           const corpus_stats& corpus, int64_t now_ms) const {
  const auto terms = unique(query_terms);
  std::vector<std::pair<double, uint32_t>> ranked; // (relevance x prior, tool), passing the filters
  if (terms.empty()) {
    for (uint32_t id = 0; id < tools_.size(); ++id)
      if (passes(tools_[id], request.filters))
        ranked.emplace_back(prior(tools_[id], now_ms, nullptr), id);
  } else {
    ranked = accumulate(request, terms, corpus, now_ms);
  }
  const auto better = [this](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : tools_[a.second].manifest.id < tools_[b.second].manifest.id;
  };
  const auto keep = std::min(request.limit, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(), better);
  // Only the hits returned are explained term by term, in term order, so that a score does
  // not depend on the order the terms were accumulated in.
  std::vector<search_hit> hits;
  for (size_t i = 0; i < keep; ++i) {
    const auto& tool = tools_[ranked[i].second];
    if (terms.empty()) {
      hits.push_back(*describe(tool.manifest.id, now_ms));
      continue;
    }
    auto factors = explain(tool, terms, corpus);
    factors.score = factors.relevance * prior(tool, now_ms, &factors);
    hits.push_back({tool.manifest, tool.availability, std::move(factors)});
  }
  std::sort(hits.begin(), hits.end(), ranks_before);
  return hits;
}

std::vector<std::pair<double, uint32_t>> tool_index::accumulate(const search_request& request,
                                                                const std::vector<std::string>& terms,
                                                                const corpus_stats& corpus, int64_t now_ms) const {
  // Term at a time, the terms that can contribute most first (MaxScore-style pruning): once
  // the bounds of the terms left add up to less than the k-th best score so far, no tool that
  // has none of the terms seen yet can enter the top k, so the long postings of common terms
  // are not read; they only complete the scores of the tools already collected, looked up in
  // each tool's own sorted terms. Priors are at most 1, so a bound on relevance bounds scores.
  const auto averages = average_lengths(corpus);
  struct query_term {
    uint32_t id;
    const posting_list* list;
    double idf;
    double bound;
  };
  std::vector<query_term> order;
  double remaining = 0;
  for (const auto& term : terms) {
    auto term_id = term_ids_.find(term);
    if (term_id == term_ids_.end())
      continue;
    const auto& list = postings_[term_id->second];
    double most = 0; // the largest weighted frequency any posting of the term can have
    for (size_t field = 0; field < search_field_count; ++field)
      if (list.max_count[field] > 0)
        most += params_.field_weights[field] * list.max_count[field]
                / (1 - params_.b + params_.b * list.min_length[field] / averages[field]);
    const double term_idf = idf(corpus, term);
    order.push_back({term_id->second, &list, term_idf, saturated(term_idf, most)});
    remaining += order.back().bound;
  }
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.bound > b.bound; });
  const auto contribution = [&](const entry& tool, const field_counts& counts, double term_idf) {
    const double weighted = weighted_frequency(tool, counts, averages);
    return saturated(term_idf, weighted);
  };
  // A tool is touched once its first posting is read: then it is checked against the filters
  // once, and only one that passes is scored at all.
  const auto admitted = [&](uint32_t id) {
    if (filtered_[id] == 0) {
      filtered_[id] = passes(tools_[id], request.filters) ? 1 : -1;
      touched_.push_back(id);
    }
    return filtered_[id] > 0;
  };
  bool admitting = true;
  for (const auto& term : order) {
    remaining -= term.bound;
    if (admitting) {
      for (const auto& p : term.list->postings)
        if (admitted(p.tool))
          accumulated_[p.tool] += contribution(tools_[p.tool], p.counts, term.idf);
      admitting = remaining >= kth_best(request.limit, now_ms);
    } else {
      for (auto id : touched_)
        if (filtered_[id] > 0)
          if (const auto* counts = counts_of(tools_[id], term.id))
            accumulated_[id] += contribution(tools_[id], *counts, term.idf);
    }
  }
  std::vector<std::pair<double, uint32_t>> ranked;
  for (auto id : touched_) {
    if (filtered_[id] > 0)
      ranked.emplace_back(accumulated_[id] * prior(tools_[id], now_ms, nullptr), id);
    accumulated_[id] = 0;
    filtered_[id] = 0;
  }
  touched_.clear();
  return ranked;
}

const tool_index::posting_list* tool_index::postings_of(const std::string& term) const {
  auto term_id = term_ids_.find(term);
  return term_id == term_ids_.end() ? nullptr : &postings_[term_id->second];
}

const tool_index::field_counts* tool_index::counts_of(const entry& tool, uint32_t term_id) {
  auto found = std::lower_bound(tool.terms.begin(), tool.terms.end(), term_id,
                                [](const auto& held, uint32_t wanted) { return held.first < wanted; });
  return found != tool.terms.end() && found->first == term_id ? &found->second : nullptr;
}

double tool_index::kth_best(size_t k, int64_t now_ms) const {
  if (touched_.size() < k || k == 0)
    return 0;
  kth_scores_.clear();
  for (auto id : touched_)
    if (filtered_[id] > 0)
      kth_scores_.push_back(accumulated_[id] * prior(tools_[id], now_ms, nullptr));
  if (kth_scores_.size() < k)
    return 0;
  std::nth_element(kth_scores_.begin(), kth_scores_.begin() + static_cast<std::ptrdiff_t>(k - 1), kth_scores_.end(),
                   std::greater<>{});
  return kth_scores_[k - 1];
}

} // namespace drover::runtime
