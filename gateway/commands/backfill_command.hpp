// `gradient-gateway backfill`: history from files (NDJSON bulk exports, Bundles) analysed by the service's own
// pipeline and written to the FHIR server, one conditional-create transaction per patient, with a progress
// display. The files only say which patients to analyse (the subjects of their hormone results): backfill records
// one intake event per patient in the state store (config.state.path), durably, before processing, and the
// pipeline analyses each patient from what the server holds, with the same retries, backoff, rejection log and
// metrics as `serve`. The events are recorded leased to backfill (pipeline.claim_lease_s), so a `serve` on the
// same state file leaves them alone while backfill works and finishes them if backfill is interrupted. Rerunning
// it analyses every patient again and writes nothing twice (deterministic identifiers, If-None-Exist).
#pragma once

#include <boost/asio/io_context.hpp>
#include <iosfwd>

#include "fhir/client.hpp"
#include "gateway/commands/analyze_command.hpp"
#include "gateway/config/config.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/clock.hpp"

namespace gg::gateway {

// Returns the exit status: 0 when every input was read and every patient's analysis was written (or had nothing
// to write), 1 when an input was rejected at decode or a patient's event ended failed or dead.
int run_backfill(const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                 std::ostream& err);

// The same with its collaborators given (tests: the fake FHIR client, a ":memory:" store, a ManualClock). The
// client runs on io. It waits for retries with a timer on io's steady clock, so with a ManualClock a retry is
// waited for in real time: tests keep to runs that need none.
int run_backfill(boost::asio::io_context& io, fhir::Client& client, StateStore& store, const Clock& clock,
                 const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                 std::ostream& err);

}  // namespace gg::gateway
