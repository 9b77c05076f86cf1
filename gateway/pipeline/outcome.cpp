#include "gateway/pipeline/outcome.hpp"

namespace gg::gateway {

bool unavailable(const fhir::RestError& error) {
  if (error.http_status != 0) {
    return error.http_status == 502 || error.http_status == 503 || error.http_status == 504;
  }
  // No status: either the transport failed (asio, ssl, beast: no usable answer) or the client itself refused or
  // could not read what came back (its own category).
  return error.code.category() != fhir::rest_category();
}

bool transient(const fhir::RestError& error) {
  if (error.http_status == 0) {
    // The client would not send the request (an invalid id or reference, another origin): it never will.
    return error.code != fhir::RestErrc::invalid_request && error.code != fhir::RestErrc::target_refused;
  }
  return error.http_status >= 500 || error.http_status == 408 || error.http_status == 429;
}

Outcome classify(const fhir::RestError& error, std::string_view doing) {
  Outcome outcome{transient(error) ? Outcome::Kind::retry : Outcome::Kind::failed,
                  std::string(doing) + ": " + error.message};
  outcome.unavailable = outcome.kind == Outcome::Kind::retry && unavailable(error);
  outcome.no_answer = outcome.unavailable && error.http_status == 0;
  return outcome;
}

}  // namespace gg::gateway
