#include "runtime/tool_search.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iterator>
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

/// Returns the first 8 bytes of `id` as a number that orders as the text does (a shorter id
/// padded with zero bytes, which no id contains).
uint64_t prefix_key(const std::string& id) {
  uint64_t key = 0;
  for (size_t i = 0; i < sizeof(key); ++i)
    key = key << 8 | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0U);
  return key;
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
  return a.tool->id < b.tool->id;
}

bool ranks_before(const ranked_tool& a, const ranked_tool& b) {
  if (a.score != b.score)
    return a.score > b.score;
  return a.id < b.id;
}

std::vector<std::pair<size_t, std::vector<uint32_t>>> merge_rankings(std::vector<std::vector<ranked_tool>> rankings,
                                                                     size_t limit) {
  std::vector<std::pair<size_t, ranked_tool>> merged; // (shard, tool)
  for (size_t shard = 0; shard < rankings.size(); ++shard)
    for (auto& ranked : rankings[shard])
      merged.emplace_back(shard, std::move(ranked));
  const auto keep = std::min(limit, merged.size());
  std::partial_sort(merged.begin(), merged.begin() + static_cast<std::ptrdiff_t>(keep), merged.end(),
                    [](const auto& a, const auto& b) { return ranks_before(a.second, b.second); });
  std::vector<std::pair<size_t, std::vector<uint32_t>>> best;
  for (size_t shard = 0; shard < rankings.size(); ++shard) {
    std::vector<uint32_t> slots;
    for (size_t i = 0; i < keep; ++i)
      if (merged[i].first == shard)
        slots.push_back(merged[i].second.slot);
    if (!slots.empty())
      best.emplace_back(shard, std::move(slots));
  }
  return best;
}

std::vector<search_hit> search_shards(const std::vector<const tool_index*>& shards, const search_request& request,
                                      int64_t now_ms) {
  const auto terms = search_terms(request.text);
  corpus_stats corpus;
  for (const auto* shard : shards)
    corpus.merge(shard->corpus(terms));
  std::vector<std::vector<ranked_tool>> rankings;
  for (const auto* shard : shards)
    rankings.push_back(shard->rank(request, terms, corpus, now_ms));
  std::vector<search_hit> hits;
  for (const auto& [shard, slots] : merge_rankings(std::move(rankings), request.limit))
    for (auto& hit : shards[shard]->hits(slots, terms, corpus, now_ms))
      hits.push_back(std::move(hit));
  std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return ranks_before(a, b); });
  return hits;
}

std::vector<search_hit> search_shards(const std::vector<tool_index>& shards, const search_request& request,
                                      int64_t now_ms) {
  std::vector<const tool_index*> each;
  for (const auto& shard : shards)
    each.push_back(&shard);
  return search_shards(each, request, now_ms);
}

void tool_index::put(tool_manifest manifest) {
  const uint32_t id = slots_.number(manifest.id);
  if (id == tools_.size()) { // new
    tools_.emplace_back();
    id_prefixes_.push_back(prefix_key(manifest.id));
    stats_.emplace_back();
    accumulated_.push_back(0);
    filtered_.push_back(0);
  } else {
    unindex(id);
  }
  entry& tool = tools_[id];
  const std::array<std::vector<std::string>, search_field_count> fields{
    terms_of({manifest.id}), terms_of({manifest.description}), terms_of(manifest.capabilities),
    terms_of(manifest.languages), terms_of(manifest.tags)};
  // (term id, field) of every occurrence, sorted: then (term id, counts per field) of each
  // distinct term, in term id order.
  std::vector<std::pair<uint32_t, uint8_t>> occurrences;
  for (size_t field = 0; field < search_field_count; ++field) {
    for (const auto& term : fields[field])
      occurrences.emplace_back(term_numbers_.number(term),
                               static_cast<uint8_t>(field));
    tool.lengths[field] = static_cast<uint16_t>(std::min<size_t>(fields[field].size(), UINT16_MAX));
    total_length_[field] += tool.lengths[field];
  }
  std::sort(occurrences.begin(), occurrences.end());
  tool.terms.clear();
  for (const auto& [term_id, field] : occurrences) {
    if (tool.terms.empty() || tool.terms.back().first != term_id)
      tool.terms.push_back({term_id, field_counts{}});
    auto& count = tool.terms.back().second[field];
    if (count < UINT16_MAX)
      ++count;
  }
  if (postings_.size() < term_numbers_.size())
    postings_.resize(term_numbers_.size());
  // The tool's terms share its lengths, and most occur once in the same field: a few
  // signatures serve them all.
  std::vector<std::pair<field_counts, uint32_t>> numbered;
  for (const auto& [term_id, per_field] : tool.terms) {
    auto& list = postings_[term_id];
    auto known = std::find_if(numbered.begin(), numbered.end(), [&](const auto& n) { return n.first == per_field; });
    if (known == numbered.end())
      known = numbered.insert(numbered.end(), {per_field, signature_of(per_field, tool.lengths)});
    list.postings.push_back({id, known->second});
    for (size_t field = 0; field < search_field_count; ++field)
      if (per_field[field] > 0) {
        list.max_count[field] = std::max(list.max_count[field], per_field[field]);
        list.min_length[field] = list.min_length[field] == 0 ? tool.lengths[field]
                                                             : std::min(list.min_length[field], tool.lengths[field]);
      }
  }
  tool.file_globs.clear();
  for (const auto& pattern : manifest.file_patterns)
    if (auto compiled = glob::parse(pattern))
      tool.file_globs.push_back(std::move(*compiled));
  tool.manifest = std::make_shared<const tool_manifest>(std::move(manifest));
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

size_t tool_index::signature_hash::operator()(const signature& value) const {
  size_t hash = 0;
  for (size_t field = 0; field < search_field_count; ++field)
    hash = (hash * 1000003) ^ (static_cast<size_t>(value.counts[field]) << 16 | value.lengths[field]);
  return hash;
}

uint32_t tool_index::signature_of(const field_counts& counts, const field_counts& lengths) {
  signature wanted{counts, {}};
  for (size_t field = 0; field < search_field_count; ++field)
    wanted.lengths[field] = counts[field] > 0 ? lengths[field] : 0;
  auto [found, added] = signature_numbers_.try_emplace(wanted, static_cast<uint32_t>(signatures_.size()));
  if (added) {
    signatures_.push_back(wanted);
    contributions_.push_back(0);
    contribution_stamps_.push_back(0);
  }
  return found->second;
}

const tool_manifest* tool_index::find(const std::string& id) const {
  const auto slot = slots_.find(id);
  return slot ? tools_[*slot].manifest.get() : nullptr;
}

std::vector<tool_manifest> tool_index::list() const {
  std::vector<tool_manifest> result;
  for (const auto& tool : tools_)
    result.push_back(*tool.manifest);
  std::sort(result.begin(), result.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return result;
}

const tool_stats& tool_index::record_outcome(const std::string& id, bool ok, int64_t latency_ms,
                                             int64_t now_ms) {
  auto& stats = stats_[slots_.find(id).value()];
  if (!stats)
    stats = std::make_unique<tool_stats>();
  stats->record(ok, latency_ms, now_ms, params_.prior);
  raise_prior_bound(*stats);
  return *stats;
}

void tool_index::set_stats(const std::string& id, tool_stats stats) {
  if (const auto slot = slots_.find(id)) {
    raise_prior_bound(stats);
    stats_[*slot] = std::make_unique<tool_stats>(std::move(stats));
  }
}

void tool_index::raise_prior_bound(const tool_stats& stats) {
  // Decay moves a tool's reliability from its value at the last outcome toward the prior
  // success rate and leaves its latency factor as it is: the larger of the two, times that
  // factor, bounds the tool's prior at any time.
  const double reliability = std::max(stats.reliability(stats.updated_ms, params_.prior), params_.prior.prior_success_rate);
  const double bound = reliability * stats.latency_factor(params_.prior);
  if (bound > prior_bound_) // NaN never raises it
    prior_bound_ = std::min(bound, 1.0);
}

const tool_stats* tool_index::stats(const std::string& id) const {
  const auto slot = slots_.find(id);
  return slot ? stats_[*slot].get() : nullptr;
}

void tool_index::set_availability(const std::string& id, tool_availability availability) {
  if (const auto slot = slots_.find(id))
    tools_[*slot].availability = std::move(availability);
}

const tool_availability* tool_index::availability(const std::string& id) const {
  const auto slot = slots_.find(id);
  return slot && tools_[*slot].availability ? &*tools_[*slot].availability : nullptr;
}

std::optional<search_hit> tool_index::describe(const std::string& id, int64_t now_ms) const {
  const auto slot = slots_.find(id);
  if (!slot)
    return std::nullopt;
  return hit(*slot, nullptr, now_ms);
}

search_hit tool_index::hit(uint32_t slot, const query_plan* query, int64_t now_ms) const {
  const auto& tool = tools_[slot];
  score_factors factors;
  if (query == nullptr)
    factors.relevance = 1;
  else
    factors = explain(tool, *query);
  factors.score = factors.relevance * prior(slot, now_ms, &factors);
  return {tool.manifest, tool.availability, std::move(factors)};
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
  const auto& manifest = *tool.manifest;
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

double tool_index::prior(uint32_t slot, int64_t now_ms, score_factors* factors) const {
  const auto* recorded = stats_[slot].get();
  if (recorded == nullptr && factors == nullptr) // the common case: no outcomes recorded yet
    return std::clamp(params_.prior.prior_success_rate, 0.0, 1.0);
  const auto stats = recorded != nullptr ? recorded->decayed_to(now_ms, params_.prior) : tool_stats{};
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

double tool_index::query_plan::weighted(const field_counts& counts, const field_counts& lengths) const {
  double weighted = 0;
  for (size_t field = 0; field < search_field_count; ++field)
    if (counts[field] > 0)
      weighted += params->field_weights[field] * counts[field]
                  / (1 - params->b + params->b * lengths[field] / average_lengths[field]);
  return weighted;
}

double tool_index::query_plan::saturated(double idf, double weighted) const {
  return idf * weighted * (params->k1 + 1) / (params->k1 + weighted);
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

tool_index::query_plan tool_index::plan(const std::vector<std::string>& query_terms,
                                        const corpus_stats& corpus) const {
  query_plan plan;
  plan.params = &params_;
  plan.average_lengths = average_lengths(corpus);
  for (auto& text : unique(query_terms)) {
    const auto term_id = term_numbers_.find(text);
    if (!term_id)
      continue;
    const auto& list = postings_[*term_id];
    const double term_idf = idf(corpus, text);
    // The largest count in the shortest field any of its postings has bounds their weights.
    const double bound = plan.saturated(term_idf, plan.weighted(list.max_count, list.min_length));
    plan.terms.push_back({std::move(text), *term_id, &list, term_idf, bound});
  }
  return plan;
}

score_factors tool_index::explain(const entry& tool, const query_plan& plan) const {
  score_factors factors;
  for (const auto& term : plan.terms) {
    const auto* counts = counts_of(tool, term.id);
    if (counts == nullptr)
      continue;
    term_match match{term.text, {}, term.idf, 0};
    for (size_t field = 0; field < search_field_count; ++field)
      if ((*counts)[field] > 0)
        match.fields.push_back(to_string(static_cast<search_field>(field)));
    match.contribution = plan.saturated(term.idf, plan.weighted(*counts, tool.lengths));
    factors.relevance += match.contribution;
    factors.terms.push_back(std::move(match));
  }
  return factors;
}

std::vector<ranked_tool> tool_index::rank(const search_request& request, const std::vector<std::string>& terms,
                                          const corpus_stats& corpus, int64_t now_ms) const {
  std::vector<std::pair<double, uint32_t>> best; // (relevance x prior, slot), passing the filters
  if (request.limit == 0)
    return {};
  if (terms.empty()) {
    for (uint32_t slot = 0; slot < tools_.size(); ++slot)
      if (passes(tools_[slot], request.filters))
        keep_best(best, request.limit, {prior(slot, now_ms, nullptr), slot});
  } else {
    best = accumulate(request, plan(terms, corpus), now_ms);
  }
  std::vector<ranked_tool> ranked;
  for (const auto& [score, slot] : best)
    ranked.push_back({score, slots_.text(slot), slot});
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return ranks_before(a, b); });
  return ranked;
}

std::vector<search_hit> tool_index::hits(const std::vector<uint32_t>& slots, const std::vector<std::string>& terms,
                                         const corpus_stats& corpus, int64_t now_ms) const {
  // Explained term by term, in term order, so that a score does not depend on the order
  // rank() accumulated the terms in.
  const auto query = plan(terms, corpus);
  std::vector<search_hit> found;
  for (auto slot : slots)
    if (slot < tools_.size())
      found.push_back(hit(slot, terms.empty() ? nullptr : &query, now_ms));
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return ranks_before(a, b); });
  return found;
}

void tool_index::keep_best(std::vector<std::pair<double, uint32_t>>& best, size_t limit,
                           std::pair<double, uint32_t> candidate) const {
  // A heap whose front is the worst kept: a candidate only has to beat that one. Equal scores
  // are common (one mention in fields of the same lengths): their ids are compared by prefix
  // first, which needs no string.
  const auto better = [this](const auto& a, const auto& b) {
    if (a.first != b.first)
      return a.first > b.first;
    if (id_prefixes_[a.second] != id_prefixes_[b.second])
      return id_prefixes_[a.second] < id_prefixes_[b.second];
    return slots_.text(a.second) < slots_.text(b.second);
  };
  if (best.size() < limit) {
    best.push_back(candidate);
    std::push_heap(best.begin(), best.end(), better);
  } else if (limit > 0 && better(candidate, best.front())) {
    std::pop_heap(best.begin(), best.end(), better);
    best.back() = candidate;
    std::push_heap(best.begin(), best.end(), better);
  }
}

std::vector<std::pair<double, uint32_t>> tool_index::accumulate(const search_request& request, const query_plan& query,
                                                                int64_t now_ms) const {
  // Term at a time, the terms that can add most first (MaxScore-style pruning): a tool not
  // admitted yet can only reach the k-th best score so far if the term's contribution to it
  // plus the bounds of the terms left can (at the highest prior any tool here has). Once a
  // posting could not, the terms after this one admit no tool: each term before it was read
  // whole, so no tool left out can have more. They only complete the scores of the tools
  // admitted, usually reading the long postings of common terms without scoring them.
  const bool filtering = !request.filters.capability.empty() || !request.filters.language.empty()
                         || !request.filters.side_effects.empty() || request.filters.available_only;
  std::vector<const query_plan::term*> order;
  double remaining = 0;
  for (const auto& term : query.terms) {
    order.push_back(&term);
    remaining += term.bound;
  }
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return a->bound > b->bound; });
  // A heap of the best k scores of the tools admitted, each as it was when last measured:
  // scores only grow, so its front is at most the k-th best final score.
  std::vector<double> best_scores;
  const auto keep_score = [&](double score) {
    if (best_scores.size() == request.limit && score <= best_scores.front())
      return;
    best_scores.push_back(score);
    std::push_heap(best_scores.begin(), best_scores.end(), std::greater<>{});
    if (best_scores.size() > request.limit) {
      std::pop_heap(best_scores.begin(), best_scores.end(), std::greater<>{});
      best_scores.pop_back();
    }
  };
  const auto threshold = [&] { return best_scores.size() < request.limit ? 0.0 : best_scores.front(); };
  bool admitting = true;
  for (size_t t = 0; t < order.size(); ++t) {
    const auto& term = *order[t];
    remaining -= term.bound;
    if (++stamp_ == 0) { // wrapped: no stamp may look current
      std::fill(contribution_stamps_.begin(), contribution_stamps_.end(), 0);
      stamp_ = 1;
    }
    const auto contribution_of = [&](uint32_t number) {
      if (contribution_stamps_[number] != stamp_) {
        contribution_stamps_[number] = stamp_;
        const auto& shape = signatures_[number];
        contributions_[number] = query.saturated(term.idf, query.weighted(shape.counts, shape.lengths));
      }
      return contributions_[number];
    };
    bool passed_over = false;
    for (const auto& p : term.list->postings) {
      auto& state = filtered_[p.tool];
      if (state < 0 || (state == 0 && !admitting))
        continue;
      const double contribution = contribution_of(p.signature);
      if (state == 0) {
        if ((contribution + remaining) * prior_bound_ < threshold()) {
          passed_over = true;
          continue;
        }
        state = !filtering || passes(tools_[p.tool], request.filters) ? 1 : -1;
        touched_.push_back(p.tool);
        if (state < 0)
          continue;
        keep_score(contribution * prior(p.tool, now_ms, nullptr));
      }
      accumulated_[p.tool] += contribution;
    }
    if (passed_over) {
      admitting = false;
    } else if (admitting && t > 0 && t + 1 < order.size()) {
      // Read whole: measure the admitted tools' scores again for a higher threshold.
      best_scores.clear();
      for (auto id : touched_)
        if (filtered_[id] > 0)
          keep_score(accumulated_[id] * prior(id, now_ms, nullptr));
    }
  }
  // No tool whose relevance at the highest prior stays below the threshold can be in the top k.
  const double floor = threshold();
  std::vector<std::pair<double, uint32_t>> best;
  for (auto id : touched_) {
    if (filtered_[id] > 0 && accumulated_[id] * prior_bound_ >= floor)
      keep_best(best, request.limit, {accumulated_[id] * prior(id, now_ms, nullptr), id});
    accumulated_[id] = 0;
    filtered_[id] = 0;
  }
  touched_.clear();
  return best;
}

const tool_index::posting_list* tool_index::postings_of(const std::string& term) const {
  const auto term_id = term_numbers_.find(term);
  return term_id ? &postings_[*term_id] : nullptr;
}

const tool_index::field_counts* tool_index::counts_of(const entry& tool, uint32_t term_id) {
  auto found = std::lower_bound(tool.terms.begin(), tool.terms.end(), term_id,
                                [](const auto& held, uint32_t wanted) { return held.first < wanted; });
  return found != tool.terms.end() && found->first == term_id ? &found->second : nullptr;
}


} // namespace drover::runtime
