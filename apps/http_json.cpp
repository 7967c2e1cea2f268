#include "apps/http_json.hpp"

#include <httplib.h>

#include "runtime/error.hpp"

namespace drover::apps {

void reply_json(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(body.dump(2) + "\n", "application/json");
}

void reply_error(httplib::Response& response, int status, const std::string& message) {
  reply_json(response, status, {{"error", {{"code", status}, {"message", message}}}});
}

int status_of(const caf::error& error) {
  if (runtime::is(error, runtime::runtime_errc::not_found))
    return 404;
  if (runtime::is(error, runtime::runtime_errc::invalid_argument)
      || runtime::is(error, runtime::runtime_errc::invalid_manifest))
    return 400;
  return 500;
}

void reply_error(httplib::Response& response, const caf::error& error) {
  reply_error(response, status_of(error), runtime::describe(error));
}

} // namespace drover::apps
