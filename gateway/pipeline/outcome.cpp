#include "gateway/pipeline/outcome.hpp"

namespace gg::gateway {

bool transient(const fhir::RestError& error) {
  if (error.http_status == 0) return true;
  return error.http_status >= 500 || error.http_status == 408 || error.http_status == 429;
}

Outcome classify(const fhir::RestError& error, std::string_view doing) {
  return Outcome{transient(error) ? Outcome::Kind::retry : Outcome::Kind::failed,
                 std::string(doing) + ": " + error.message};
}

}  // namespace gg::gateway
