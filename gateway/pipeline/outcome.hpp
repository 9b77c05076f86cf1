// How processing one patient's events ended, and the one place a FHIR server's error is classified:
//   - the server is unavailable (no connection, no answer, 502, 503, 504): retry. No answer at all costs the event
//     no attempt (it cannot be the event's fault); 502-504 cost none once the circuit breaker
//     (circuit_breaker.hpp) is open, i.e. once the server looks down rather than refusing this one request;
//   - an answer that says "later" or a broken answer (other 5xx, 408, 429, a body that is not FHIR): retry with
//     backoff, counting attempts;
//   - a permanent refusal (other 4xx) or a request the client refuses to send (an invalid reference): fail the
//     events at once, since retrying cannot help.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fhir/client.hpp"
#include "gateway/store/alert_outbox.hpp"

namespace gg::gateway {

struct Outcome {
  enum class Kind { done, retry, failed } kind = Kind::done;
  std::string error;                  // what failed, for the event's last_error and the log; never patient values
  std::vector<NewAlert> alerts = {};  // done: what the written analysis raised, queued as its events settle
  bool unavailable = false;           // retry: the server did not answer or said it is unavailable (502-504)
  bool no_answer = false;  // unavailable, and no answer at all: never the event's fault, never an attempt
};

// The server did not answer (a transport error: refused, reset, timed out) or answered 502, 503 or 504.
bool unavailable(const fhir::RestError& error);

// A failure worth retrying: unavailable, or 500, 501, 505+, 408, 429, or an answer that is not FHIR.
bool transient(const fhir::RestError& error);

// The outcome of an interaction that failed with `error`: retry when transient, else failed. `doing` names the
// interaction ("read Patient"), prefixed to the error's message.
Outcome classify(const fhir::RestError& error, std::string_view doing);

}  // namespace gg::gateway
