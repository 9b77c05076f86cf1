#include "gateway/commands/backfill_command.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <ostream>

#include "gateway/commands/backfill_run.hpp"

namespace gg::gateway {

int run_backfill(boost::asio::io_context& io, fhir::Client& client, StateStore& store, const Clock& clock,
                 const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                 std::ostream& err) {
  PatientFinder finder(knowledge, err);
  finder.read(options.inputs);

  BackfillRun run(io, client, store, clock, config, knowledge, options, backfill_run_version(clock), err);
  run.record(finder.take_new());
  auto done = boost::asio::co_spawn(io, run.settle(), boost::asio::use_future);
  io.restart();
  io.run();
  done.get();
  run.progress(true);
  return finish_backfill(finder, run, "", err);
}

int run_backfill(const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                 std::ostream& err) {
  return run_in_backfill_setting(config, err, [&](auto& io, auto& client, auto& store, const auto& clock) {
    return run_backfill(io, client, store, clock, config, knowledge, options, err);
  });
}

}  // namespace gg::gateway
