#pragma once

#include <string>
#include <vector>

#include <caf/result.hpp>

#include "actors/catalog_messages.hpp"
#include "actors/catalog_placement.hpp"

namespace drover::actors {

/// The catalog front's queries over the shards, wherever they live (see catalog()).

/// Answers a search in three rounds over the shards: their corpus statistics for the query
/// terms, merged; each one's ranking against them, merged; the hits of the best, from the
/// shards that hold them. Shards that do not answer are named in the reply.
caf::result<search_reply> search(catalog_self self, runtime::search_request request);

/// Answers with every tool and its statistics, ordered by id; the tools of shards that do not
/// answer are left out.
caf::result<std::vector<runtime::search_hit>> list_tools(catalog_self self);

/// Answers with tool `id` as a hit of a query without text; runtime_errc::not_found for an
/// unknown tool, unavailable when its shard's owner does not answer.
caf::result<runtime::search_hit> show_tool(catalog_self self, const std::string& id);

} // namespace drover::actors
