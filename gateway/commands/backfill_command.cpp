#include "gateway/commands/backfill_command.hpp"

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <ostream>

#include "fhir/rest_client.hpp"
#include "gateway/pipeline/write_back.hpp"

namespace gg::gateway {

int run_backfill(const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                 std::ostream& err) {
  AnalyzeSummary summary;
  auto patients = analyze_inputs(knowledge, options, err, summary);

  boost::asio::io_context ioc;
  const auto client_options =
      rest_client_options(config.fhir, std::string("gradient-gateway/") + GG_VERSION + " backfill");
  fhir::RestClient client(ioc.get_executor(), client_options);

  const bool interactive = isatty(STDERR_FILENO) == 1;
  std::size_t written = 0;
  std::size_t failed = 0;
  auto progress = [&](std::size_t done, bool last) {
    if (!interactive && !last && done % 100 != 0) return;
    err << (interactive ? "\r" : "") << "backfill: " << done << "/" << patients.size() << " patients, " << written
        << " transactions written, " << failed << " failed" << (interactive && !last ? "" : "\n") << std::flush;
  };

  auto work = [&]() -> boost::asio::awaitable<void> {
    for (std::size_t i = 0; i < patients.size(); ++i) {
      auto result = co_await client.transaction(transaction_bundle(std::move(patients[i].entries)));
      if (result.ok()) {
        ++written;
      } else {
        ++failed;
        if (interactive) err << '\n';
        err << "backfill: " << patients[i].patient << ": " << result.error->message << '\n';
      }
      progress(i + 1, i + 1 == patients.size());
    }
  };
  auto done = boost::asio::co_spawn(ioc, work(), boost::asio::use_future);
  ioc.run();
  done.get();
  err << "backfill: " << summary.resources << " resources read, " << summary.hormone_results
      << " hormone results, " << summary.skipped << " skipped, " << summary.rejected << " rejected; " << written
      << " of " << patients.size() << " patient transactions written\n";
  return summary.rejected == 0 && failed == 0 ? 0 : 1;
}

}  // namespace gg::gateway
