#include "gateway/commands/search_backfill.hpp"

#include <chrono>
#include <ostream>
#include <utility>

#include "analytics/date_time.hpp"
#include "fhir/url.hpp"
#include "gateway/commands/backfill_run.hpp"
#include "gateway/config/knowledge_loader.hpp"
#include "gateway/telemetry/clock.hpp"

namespace gg::gateway {
namespace {

std::string search_query(std::string_view codes, const SearchBackfillOptions& options, std::string_view from) {
  std::string query = "Observation?code=";
  query.append(codes);
  // Two _lastUpdated parameters are ANDed (R4 section 3.1.1.3.3, "date" prefixes): ge the lower, le the upper.
  if (!from.empty()) query.append("&_lastUpdated=ge").append(fhir::percent_encode(from));
  if (!options.until.empty()) query.append("&_lastUpdated=le").append(fhir::percent_encode(options.until));
  return query;
}

std::size_t to_count(const std::string& text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return 0;
  return static_cast<std::size_t>(std::stoull(text));
}

}  // namespace

std::string search_backfill_target(std::string_view codes, const SearchBackfillOptions& options,
                                   std::string_view from) {
  // Oldest first: everything before the newest lastUpdated settled has been read, which is what makes restarting
  // from it (search_restart_target) complete.
  return search_query(codes, options, from) + "&_sort=_lastUpdated&_count=" + std::to_string(options.count);
}

std::string search_backfill_count_target(std::string_view codes, const SearchBackfillOptions& options) {
  return search_query(codes, options, options.since) + "&_summary=count";
}

std::string search_restart_target(std::string_view codes, const SearchBackfillOptions& options,
                                  const SearchCursor& cursor) {
  return search_backfill_target(codes, options, cursor.position.empty() ? options.since : cursor.position);
}

std::string format_search_cursor(const SearchCursor& cursor) {
  return format_cursor_line("request", cursor.request) + format_cursor_line("version", cursor.version) +
         format_cursor_line("next", cursor.next) + format_cursor_line("position", cursor.position) +
         format_cursor_line("pages", std::to_string(cursor.pages)) +
         format_cursor_line("results", std::to_string(cursor.results));
}

std::optional<SearchCursor> parse_search_cursor(std::string_view text) {
  SearchCursor cursor;
  for_each_cursor_field(text, [&](std::string_view key, std::string value) {
    if (key == "request") {
      cursor.request = std::move(value);
    } else if (key == "version") {
      cursor.version = std::move(value);
    } else if (key == "next") {
      cursor.next = std::move(value);
    } else if (key == "position") {
      cursor.position = std::move(value);
    } else if (key == "pages") {
      cursor.pages = to_count(value);
    } else if (key == "results") {
      cursor.results = to_count(value);
    }
  });
  if (cursor.request.empty() || cursor.version.empty() || cursor.next.empty()) return std::nullopt;
  return cursor;
}

namespace {

namespace asio = boost::asio;

class SearchBackfill {
 public:
  SearchBackfill(const BackfillContext& context, const SearchBackfillOptions& search_options)
      : context_(context),
        err_(context.err),
        search_options_(search_options),
        cursor_store_(context.store, kSearchCursorName, context.err),
        codes_(hormone_code_list(context.knowledge)),
        request_(search_backfill_target(codes_, search_options, search_options.since)) {}

  asio::awaitable<int> run() {
    auto cursor = load_cursor();
    if (cursor && cursor->request != request_) {
      err_ << "backfill: the interrupted search was asked with other parameters; starting a new one\n";
      cursor.reset();
    }
    if (cursor) {
      err_ << "backfill: resuming the search after " << cursor->pages << " pages (" << cursor->results
           << " results processed before)\n";
    } else {
      cursor = SearchCursor{request_, backfill_run_version(context_.clock), request_, {}, 0, 0};
      // Saved before any patient is recorded under its version: an interruption from here on resumes it.
      save_cursor(*cursor);
      err_ << "backfill: search: Observation, " << context_.knowledge.subscription_codes().size() << " codes"
           << (search_options_.since.empty() ? "" : ", since " + search_options_.since)
           << (search_options_.until.empty() ? "" : ", until " + search_options_.until) << ", "
           << search_options_.count << " per page\n";
    }
    const auto total = co_await count();

    PatientFinder finder(context_.knowledge, err_);
    BackfillRun run(context_, cursor->version);
    const std::size_t pages_before = cursor->pages;
    std::size_t results_here = 0;
    bool first_page = cursor->next == request_;  // a target we built, not a link the server may forget
    for (;;) {
      const std::string name = "search page " + std::to_string(cursor->pages + 1);
      auto page = co_await read_with_retries(
          context_, "", [&] { return context_.client.search_page(cursor->next, name, finder.decode_options()); });
      if (!page) {
        const unsigned status = page.error().http_status;
        if ((status == 404 || status == 410) && !first_page) {
          // The server forgot the search (HAPI: "Search ID ... does not exist and may have expired").
          cursor->next = search_restart_target(codes_, search_options_, *cursor);
          first_page = true;
          save_cursor(*cursor);
          run.break_line();
          err_ << "backfill: " << name << " is gone from the server (the search expired); searching again from "
               << (cursor->position.empty() ? "the start" : cursor->position) << '\n';
          continue;
        }
        run.break_line();
        err_ << "backfill: " << page.error().message << '\n';
        co_return 1;  // the cursor stays: a rerun resumes here
      }
      first_page = false;

      const InputLocation where{name, 0};
      for (const auto& issue : page->found.skipped) finder.handlers().on_error(where, {issue});
      const std::size_t results = page->found.resources.size();
      std::string newest = cursor->position;
      for (auto& resource : page->found.resources) {
        newest = later(newest, resource);
        finder.handlers().on_resource(where, std::move(resource));
      }
      auto patients = finder.take_new();
      run.record(patients);
      results_here += results;
      const std::size_t read = cursor->results + results;
      run.set_phase(name + (total ? ", " + std::to_string(read) + "/" + std::to_string(*total) + " results" : ""));
      if (total && *total > read && results_here > 0) {
        run.set_expected_total(run.total() + (*total - read) * run.total() / results_here);
      }
      if (!context_.interactive) {
        err_ << "backfill: " << name << ": " << results << " results, " << patients.size() << " new patients\n";
      }
      co_await run.settle();

      cursor->next = page->next;
      cursor->position = newest;
      cursor->results = read;
      ++cursor->pages;
      if (cursor->next.empty()) break;
      save_cursor(*cursor);
      if (search_options_.max_pages != 0 && cursor->pages - pages_before >= search_options_.max_pages) {
        run.set_phase({});
        run.progress(true);
        err_ << "backfill: stopped after " << search_options_.max_pages
             << " pages (--search-max-pages); run it again with the same options to continue\n";
        co_return finish_backfill(finder, run, summary(*cursor, pages_before), err_);
      }
    }
    clear_cursor();
    run.set_phase({});
    run.progress(true);
    co_return finish_backfill(finder, run, summary(*cursor, pages_before), err_);
  }

 private:
  static std::string summary(const SearchCursor& cursor, std::size_t pages_before) {
    return std::to_string(cursor.pages - pages_before) + " search pages (" + std::to_string(pages_before) +
           " processed before), ";
  }

  // The later of `newest` and the resource's meta.lastUpdated, to the second (ge then finds that whole second
  // again).
  static std::string later(const std::string& newest, const fhir::Resource& resource) {
    const auto* observation = std::get_if<fhir::Observation>(&resource);
    if (observation == nullptr) return newest;
    const auto updated = analytics::parse_fhir_date_time(observation->meta.last_updated).instant;
    if (!updated) return newest;
    const auto current = analytics::parse_fhir_date_time(newest).instant;
    if (current && current->utc >= updated->utc) return newest;
    return format_instant(std::chrono::floor<std::chrono::seconds>(updated->utc));
  }

  // How many results the search has (_summary=count), for the progress; nothing when the server does not say.
  asio::awaitable<std::optional<std::size_t>> count() {
    auto counted = co_await context_.client.search_page(search_backfill_count_target(codes_, search_options_),
                                                        "search count");
    if (!counted || !counted->total || *counted->total < 0) co_return std::nullopt;
    err_ << "backfill: the search has " << *counted->total << " results\n";
    co_return static_cast<std::size_t>(*counted->total);
  }

  std::optional<SearchCursor> load_cursor() {
    const auto text = cursor_store_.load();
    return text ? parse_search_cursor(*text) : std::nullopt;
  }
  void save_cursor(const SearchCursor& cursor) { cursor_store_.save(format_search_cursor(cursor)); }
  void clear_cursor() { cursor_store_.clear(); }

  BackfillContext context_;
  std::ostream& err_;
  const SearchBackfillOptions& search_options_;
  BackfillCursor cursor_store_;
  std::string codes_;
  std::string request_;
};

}  // namespace

int run_search_backfill(const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                        const SearchBackfillOptions& search_options, std::ostream& err) {
  return run_server_backfill<SearchBackfill>(config, knowledge, options, search_options, err);
}

}  // namespace gg::gateway
