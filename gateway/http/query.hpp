// The query parameters of a request target, read with Boost.URL and percent-decoded (RFC 3986 section 2.1), so
// that ?observation=Observation%2F1 means Observation/1. Read as HTML forms write a query
// (application/x-www-form-urlencoded, WHATWG URL section 5.1: "+" is a space), Boost.URL's params() default.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "gateway/http/message.hpp"

namespace gg::gateway {

class QueryParameters {
 public:
  // The parameters of target, an origin-form request target ("/path?query", RFC 9112 section 3.2.1). One that is
  // not (a bad percent-escape, a character a query may not hold, a fragment, an absolute URI) is an error.
  static boost::system::result<QueryParameters> parse(std::string_view target);

  // The first value of name (names compare decoded and case-sensitively), or nullopt when it is absent. A
  // parameter without "=" ("?flag") has the value "".
  [[nodiscard]] std::optional<std::string> find(std::string_view name) const;
  // find(name), or "" when absent: for parameters where absent and empty mean the same.
  [[nodiscard]] std::string value(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> parameters_;  // decoded, in the target's order
};

// The answer to a target QueryParameters::parse refused: 400, an OperationOutcome with code "structure" (R4
// IssueType: "invalid syntax").
HttpResponse malformed_target_response(const boost::system::error_code& error);

}  // namespace gg::gateway
