#include "gateway/http/query.hpp"

// Boost.URL's compiled part, built here: Debian ships Boost 1.81's headers but no libboost_url, so Boost.URL is
// used header-only, and its src.hpp "is meant to be included once, in a translation unit of the program" (its own
// comment). This is that one: no other file of the program may include it.
#include <boost/url/src.hpp>

#include "gateway/http/outcome_response.hpp"

namespace gg::gateway {

boost::system::result<QueryParameters> QueryParameters::parse(std::string_view target) {
  const auto url = boost::urls::parse_origin_form(target);
  if (!url) return url.error();
  QueryParameters parsed;
  for (const auto& parameter : url->params()) parsed.parameters_.emplace_back(parameter.key, parameter.value);
  return parsed;
}

std::optional<std::string> QueryParameters::find(std::string_view name) const {
  for (const auto& [key, value] : parameters_) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string QueryParameters::value(std::string_view name) const {
  return find(name).value_or(std::string());
}

HttpResponse malformed_target_response(const boost::system::error_code& error) {
  return operation_outcome_response(
      400, "structure", "the request target is not a path and query as RFC 3986 allows: " + error.message());
}

}  // namespace gg::gateway
