#pragma once

#include <string>

#include <caf/error.hpp>
#include <nlohmann/json.hpp>

namespace httplib {
struct Response;
}

namespace drover::apps {

/// Answers with `body` as JSON and HTTP `status`.
void reply_json(httplib::Response& response, int status, const nlohmann::json& body);

/// Answers {"error": {"code": status, "message": message}}.
void reply_error(httplib::Response& response, int status, const std::string& message);

/// Returns the HTTP status for `error`: 404 not found, 400 invalid argument or manifest, else 500.
int status_of(const caf::error& error);

/// Answers with `error`'s status and description.
void reply_error(httplib::Response& response, const caf::error& error);

} // namespace drover::apps
