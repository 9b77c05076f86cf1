#include "gateway/commands/backfill_command.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <ostream>

#include "fhir/rest_client.hpp"
#include "gateway/commands/backfill_run.hpp"
#include "gateway/commands/input_reader.hpp"
#include "gateway/telemetry/log.hpp"

namespace gg::gateway {

int run_backfill(boost::asio::io_context& io, fhir::Client& client, StateStore& store, const Clock& clock,
                 const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                 std::ostream& err) {
  PatientFinder finder(knowledge, err);
  for (const auto& input : options.inputs) read_input(input, finder.decode_options(), finder.handlers());

  BackfillRun run(io, client, store, clock, config, knowledge, options, backfill_run_version(clock), err);
  run.record(finder.take_new());
  auto done = boost::asio::co_spawn(io, run.settle(), boost::asio::use_future);
  io.restart();
  io.run();
  done.get();
  run.progress(true);

  const auto& totals = finder.totals();
  err << "backfill: " << totals.resources << " resources read, " << totals.hormone_results << " hormone results, "
      << totals.skipped << " skipped, " << totals.rejected << " rejected; " << run.written() << " of "
      << run.total() << " patient transactions written\n";
  return totals.rejected == 0 && run.failed() == 0 && run.not_recorded() == 0 ? 0 : 1;
}

int run_backfill(const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                 std::ostream& err) {
  // The pipeline's warnings (retries, failures) go to standard error beside the progress; its per-patient
  // information lines would drown it.
  const auto configured = parse_log_level(config.logging.level);
  set_log_level(configured == LogLevel::error ? LogLevel::error : LogLevel::warn);
  set_log_patient_data(config.logging.patient_data);

  auto store = StateStore::open(config.state.path);
  if (!store) {
    err << "backfill: the state store " << config.state.path << " did not open: " << store.error() << '\n';
    return 1;
  }
  boost::asio::io_context io;
  const auto client_options =
      rest_client_options(config.fhir, std::string("gradient-gateway/") + GG_VERSION + " backfill");
  fhir::RestClient client(io.get_executor(), client_options);
  const SystemClock clock;
  return run_backfill(io, client, **store, clock, config, knowledge, options, err);
}

}  // namespace gg::gateway
