// How processing one patient's events ended, and the one place a FHIR server's error is classified: no answer or
// an answer that says "later" (5xx, 408, 429) is retried with backoff; any other refusal (4xx) fails the events.
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
};

// A failure worth retrying: no answer (status 0), or 5xx, 408, 429.
bool transient(const fhir::RestError& error);

// The outcome of an interaction that failed with `error`: retry when transient, else failed. `doing` names the
// interaction ("read Patient"), prefixed to the error's message.
Outcome classify(const fhir::RestError& error, std::string_view doing);

}  // namespace gg::gateway
