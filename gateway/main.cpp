// gradient-gateway: the command line (shared/ARCHITECTURE.md, "Command line").
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "gateway/commands/analyze_command.hpp"
#include "gateway/commands/backfill_command.hpp"
#include "gateway/commands/check_config_command.hpp"
#include "gateway/commands/command_line.hpp"
#include "gateway/commands/export_backfill.hpp"
#include "gateway/commands/search_backfill.hpp"
#include "gateway/commands/state_command.hpp"
#include "gateway/config/config.hpp"
#include "gateway/config/knowledge_loader.hpp"
#include "gateway/serve.hpp"
#include "gateway/telemetry/log.hpp"

namespace {

using namespace gg::gateway;

constexpr int kOk = 0;
constexpr int kUsage = 2;

constexpr std::string_view kHelp = R"(gradient-gateway: hormonal gradient analysis beside a FHIR R4 server

Usage:
  gradient-gateway analyze [--config DIR|FILE] [--as-of DATETIME] [--ndjson] [--jobs N] [--index-budget MB]
                           [--html REPORT] FILE...
      Analyse FHIR JSON inputs (one resource, a Bundle, or NDJSON; "-" is standard input) exactly as the service
      would, and print one transaction Bundle of every resource it would write (--ndjson: one resource per line).
      Rejected inputs are printed on standard error, one OperationOutcome per line; the rest is still processed.
      --config   a configuration directory (holding terminology/ and rules/) or a gateway.yaml file;
                 default: the config/ directory of this installation
      --as-of    the analysis time, a FHIR dateTime with zone (default: now); makes the output reproducible
      --jobs     threads analysing patients, 1-256 (default: one per processor); the output is the same for any N
      --index-budget  megabytes of memory for the index of what is to be decoded, 1-65536 (default 8); beyond it
                 the index goes to temporary files (TMPDIR) sorted by patient; the output is the same for any value
      --html     also write REPORT, one self-contained HTML file with the patient view of every patient (day
                 curves with their fitted rhythm, each value against its target, findings and proposals, every
                 number in a table): for a clinician without access to the gateway; it loads nothing from anywhere
      Inputs are scanned first and only hormone results, Patients and medications are decoded; patients are
      printed in the order of their references, whatever the order of the inputs.
      Exit status: 0 every input processed, 1 some rejected, 2 usage or configuration error.

  gradient-gateway serve --config FILE
      Run the service: REST-hook notification endpoint, pipeline, write-back, /healthz, /readyz, /metrics.

  gradient-gateway check-config --config FILE
      Validate a configuration (the YAML file, the analyte catalogue and the rules it names) and print every
      problem with its location. Exit status 0 when valid, 2 otherwise.

  gradient-gateway backfill --config FILE [--as-of DATETIME] FILE...
      Process history from NDJSON or Bundle files (e.g. a bulk $export) exactly as the service would, and write
      the results to the FHIR server, one conditional transaction per patient, with progress on standard error.
      Rerunning writes nothing twice. Exit status 0 all written, 1 some rejected or failed, 2 usage or config error.

  gradient-gateway backfill --export --config FILE [--since DATETIME] [--export-poll-max SECONDS] [--as-of ...]
      The same from the FHIR server's own history, through FHIR Bulk Data $export (_type=Observation, one
      _typeFilter per catalogue code): kick-off, waiting (Retry-After, at most --export-poll-max seconds, default
      120), downloading each NDJSON file beside the state store, then as above. Resumable: an interrupted run
      resumes the same export job (cursor backfill.export in the state store) without processing a file twice.
      --since    only resources changed since this FHIR instant (_since)

  gradient-gateway backfill --search --config FILE [--since DATETIME] [--until DATETIME] [--search-count N]
                            [--search-max-pages N] [--as-of ...]
      The same from a FHIR search of the catalogue's hormone Observations (code=system|code,..., oldest first),
      following the server's next-page links, a page's patients settled before the next page is read.
      Resumable: an interrupted run resumes at the page it was on (cursor backfill.search in the state store)
      without analysing a patient twice; a search the server has forgotten is asked again from where it was.
      --since, --until     only resources last updated from / up to these FHIR instants (_lastUpdated ge / le)
      --search-count       results per page (_count; default 200, at most 1000)
      --search-max-pages   stop after N pages, the cursor kept: run again with the same options to continue

  gradient-gateway state backup FILE --config FILE [--force]
      Copy the state database (state.path) to FILE with SQLite's online backup API, also while serve runs: one
      consistent snapshot, mode 0600, checked with PRAGMA integrity_check. An existing FILE is replaced only with
      --force. Exit status 0 written, 1 backup failed, 2 usage or configuration error (or FILE exists).

  gradient-gateway events retry --config FILE [--since DATETIME] [--failed]
      Re-drive dead events (--failed: failed ones too) back to pending with 0 attempts, also while serve runs (its
      pipeline then processes them); --since: only those received since then (a dateTime with zone, or a date).
      Prints how many. Exit status 0 done, 1 state store error, 2 usage or configuration error.

  gradient-gateway --help | --version

Configuration keys (config/gateway.yaml documents each; environment GRADIENT_GATEWAY_<SECTION>_<KEY> overrides):
)";

int usage_error(const std::string& message) {
  std::cerr << "gradient-gateway: " << message << "\nRun 'gradient-gateway --help' for usage.\n";
  return kUsage;
}

// The config/ directory of this installation: beside the build tree (build/<preset>/bin/ -> config/) or installed
// (bin/ -> share/gradient-gateway/config).
std::filesystem::path default_config_dir(const char* argv0) {
  std::error_code ec;
  auto exe = std::filesystem::canonical("/proc/self/exe", ec);
  if (ec) exe = std::filesystem::absolute(argv0);
  const auto bin = exe.parent_path();
  for (const auto& candidate : {bin / "../../../config", bin / "../share/gradient-gateway/config"}) {
    if (std::filesystem::is_directory(candidate / "terminology")) return candidate.lexically_normal();
  }
  return std::filesystem::current_path() / "config";
}

int command_analyze(const Arguments& args, const char* argv0) {
  if (args.files.empty()) return usage_error("analyze needs at least one FILE (or - for standard input)");
  auto as_of = parse_as_of(args.as_of);
  if (!as_of) return usage_error("--as-of must be a FHIR dateTime with time and zone, e.g. 2026-11-25T08:00:00Z");

  std::filesystem::path config =
      args.config.empty() ? default_config_dir(argv0) : std::filesystem::path(args.config);
  std::string terminology = (config / "terminology").string();
  std::string rules = (config / "rules").string();
  if (std::filesystem::is_regular_file(config)) {
    auto loaded = load_config(config.string(), process_environment(), ConfigUse::offline);
    if (!loaded) {
      print_problems(loaded.error(), std::cerr);
      return kUsage;
    }
    terminology = loaded->analysis.terminology_dir;
    rules = loaded->analysis.rules_dir;
  }
  auto knowledge = load_knowledge(terminology, rules);
  if (!knowledge.has_value()) {
    print_problems(knowledge.error(), std::cerr);
    return kUsage;
  }
  std::size_t jobs = 0;
  if (!args.jobs.empty()) {
    auto parsed = parse_whole_number(args.jobs, 1, 256);
    if (!parsed) return usage_error("--jobs must be a whole number from 1 to 256");
    jobs = static_cast<std::size_t>(*parsed);
  }
  std::size_t index_budget = kDefaultIndexBudget;
  if (!args.index_budget.empty()) {
    auto parsed = parse_whole_number(args.index_budget, 1, 65536);
    if (!parsed) return usage_error("--index-budget must be a whole number of megabytes from 1 to 65536");
    index_budget = static_cast<std::size_t>(*parsed) << 20;
  }
  AnalyzeOptions options{args.files, *as_of, args.ndjson, jobs, index_budget};
  options.html = args.html;
  return run_analyze(*knowledge, options, std::cout, std::cerr);
}

int command_check_config(const Arguments& args) {
  if (args.config.empty()) return usage_error("check-config needs --config FILE");
  return run_check_config(args.config, process_environment(), std::cout, std::cerr);
}

// The configuration file and the knowledge it names, or nothing after printing every problem.
std::optional<std::pair<Config, LoadedKnowledge>> load_config_and_knowledge(const std::string& path,
                                                                            ConfigUse use) {
  auto loaded = load_config(path, process_environment(), use);
  if (!loaded) {
    print_problems(loaded.error(), std::cerr);
    return std::nullopt;
  }
  auto knowledge = load_knowledge(loaded->analysis.terminology_dir, loaded->analysis.rules_dir);
  if (!knowledge.has_value()) {
    print_problems(knowledge.error(), std::cerr);
    return std::nullopt;
  }
  return std::pair{std::move(*loaded), std::move(*knowledge)};
}

// --since and --until of a backfill from the FHIR server: FHIR instants; false after the usage error.
bool instant_option(const std::string& name, const std::string& text) {
  if (text.empty() || parse_as_of(text)) return true;
  usage_error(name + " must be a FHIR instant, e.g. 2026-01-01T00:00:00Z");
  return false;
}

int command_export_backfill(const Arguments& args, std::chrono::sys_seconds as_of) {
  if (!args.files.empty()) return usage_error("backfill --export reads the FHIR server, not FILEs");
  if (!instant_option("--since", args.since)) return kUsage;
  ExportBackfillOptions options;
  options.since = args.since;
  if (!args.export_poll_max.empty()) {
    const auto seconds = parse_whole_number(args.export_poll_max, 1, 999999);
    if (!seconds) return usage_error("--export-poll-max must be a whole number of seconds, at least 1");
    options.poll_max = std::chrono::seconds(*seconds);
  }
  auto loaded = load_config_and_knowledge(args.config, ConfigUse::offline);
  if (!loaded) return kUsage;
  return run_export_backfill(loaded->first, loaded->second, AnalyzeOptions{{}, as_of, false}, options, std::cerr);
}

int command_search_backfill(const Arguments& args, std::chrono::sys_seconds as_of) {
  if (!args.files.empty()) return usage_error("backfill --search reads the FHIR server, not FILEs");
  if (!args.export_poll_max.empty()) return usage_error("--export-poll-max belongs to backfill --export");
  if (!instant_option("--since", args.since) || !instant_option("--until", args.until)) return kUsage;
  if (!args.since.empty() && !args.until.empty() && *parse_as_of(args.until) < *parse_as_of(args.since))
    return usage_error("--until is before --since");
  SearchBackfillOptions options{args.since, args.until};
  if (!args.search_count.empty()) {
    // A server cuts a larger _count to its own maximum page size (HAPI's paging provider); 1000 keeps a page's
    // patients a batch to settle before the next page.
    const auto count = parse_whole_number(args.search_count, 1, 1000);
    if (!count) return usage_error("--search-count must be a whole number from 1 to 1000");
    options.count = static_cast<std::size_t>(*count);
  }
  if (!args.search_max_pages.empty()) {
    const auto pages = parse_whole_number(args.search_max_pages, 1, 999999999);
    if (!pages) return usage_error("--search-max-pages must be a whole number, at least 1");
    options.max_pages = static_cast<std::size_t>(*pages);
  }
  auto loaded = load_config_and_knowledge(args.config, ConfigUse::offline);
  if (!loaded) return kUsage;
  return run_search_backfill(loaded->first, loaded->second, AnalyzeOptions{{}, as_of, false}, options, std::cerr);
}

int command_backfill(const Arguments& args) {
  if (args.config.empty()) return usage_error("backfill needs --config FILE");
  if (args.bulk_export && args.search) return usage_error("--export and --search are two sources: give one");
  if (!args.search && (!args.until.empty() || !args.search_count.empty() || !args.search_max_pages.empty()))
    return usage_error("--until, --search-count and --search-max-pages belong to backfill --search");
  if (args.bulk_export || args.search) {
    auto as_of = parse_as_of(args.as_of);
    if (!as_of)
      return usage_error("--as-of must be a FHIR dateTime with time and zone, e.g. 2026-11-25T08:00:00Z");
    return args.search ? command_search_backfill(args, *as_of) : command_export_backfill(args, *as_of);
  }
  if (!args.since.empty() || !args.export_poll_max.empty())
    return usage_error("--since belongs to backfill --export and --search, --export-poll-max to --export");
  if (args.files.empty()) return usage_error("backfill needs at least one FILE (or - for standard input)");
  auto as_of = parse_as_of(args.as_of);
  if (!as_of) return usage_error("--as-of must be a FHIR dateTime with time and zone, e.g. 2026-11-25T08:00:00Z");
  auto loaded = load_config_and_knowledge(args.config, ConfigUse::offline);
  if (!loaded) return kUsage;
  return run_backfill(loaded->first, loaded->second, AnalyzeOptions{args.files, *as_of, false}, std::cerr);
}

int command_state(const Arguments& args) {
  if (args.files.size() != 2 || args.files[0] != "backup")
    return usage_error("usage: state backup FILE --config FILE");
  if (args.config.empty()) return usage_error("state backup needs --config FILE");
  auto loaded = load_config(args.config, process_environment(), ConfigUse::offline);
  if (!loaded) {
    print_problems(loaded.error(), std::cerr);
    return kUsage;
  }
  return run_state_backup(*loaded, args.files[1], args.force, std::cout, std::cerr);
}

int command_events(const Arguments& args) {
  if (args.files.size() != 1 || args.files[0] != "retry") return usage_error("usage: events retry --config FILE");
  if (args.config.empty()) return usage_error("events retry needs --config FILE");
  auto loaded = load_config(args.config, process_environment(), ConfigUse::offline);
  if (!loaded) {
    print_problems(loaded.error(), std::cerr);
    return kUsage;
  }
  const SystemClock clock;
  return run_events_retry(*loaded, args.since, args.failed, clock, std::cout, std::cerr);
}

int command_serve(const Arguments& args) {
  if (args.config.empty()) return usage_error("serve needs --config FILE");
  auto loaded = load_config_and_knowledge(args.config, ConfigUse::service);
  if (!loaded) return kUsage;
  set_log_level(parse_log_level(loaded->first.logging.level));
  set_log_format(gg::analytics::value_of(kLogFormatText, loaded->first.logging.format).value_or(LogFormat::json));
  set_log_patient_data(loaded->first.logging.patient_data);
  if (loaded->first.logging.patient_data) {
    log(LogLevel::warn, "logging.patient-data-allowed",
        {{"reason", "logging.patient_data is true: values and names of patients may be logged (debugging only)"}});
  }
  return run_service(loaded->first, loaded->second);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h" ||
                    std::string_view(argv[1]) == "help")) {
    std::cout << kHelp << describe_config_keys();
    return kOk;
  }
  if (argc >= 2 && std::string_view(argv[1]) == "--version") {
    std::cout << "gradient-gateway " << GG_VERSION << '\n';
    return kOk;
  }
  auto args = parse_arguments(std::vector<std::string>(argv + 1, argv + argc));
  if (!args.error.empty()) return usage_error(args.error);
  try {
    if (args.command == "analyze") return command_analyze(args, argv[0]);
    if (args.command == "serve") return command_serve(args);
    if (args.command == "check-config") return command_check_config(args);
    if (args.command == "backfill") return command_backfill(args);
    if (args.command == "state") return command_state(args);
    if (args.command == "events") return command_events(args);
  } catch (const std::exception& error) {
    std::cerr << "gradient-gateway: " << error.what() << '\n';
    return 1;
  }
  return usage_error("unknown command '" + args.command + "'");
}
