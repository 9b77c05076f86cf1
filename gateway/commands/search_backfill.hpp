// `gradient-gateway backfill --search`: history through a FHIR search (R4 section 3.1.1), for servers without
// Bulk Data $export or when a search is simply enough. The gateway searches the catalogue's hormone results,
// `Observation?code=<system|code,...>&_sort=_lastUpdated&_count=N` (optionally `_lastUpdated=ge<since>` and
// `_lastUpdated=le<until>`), page by page following Bundle.link "next" (R4 section 3.1.1.5.6), and reads each page
// exactly as a file backfill reads a Bundle: the subjects of its hormone results are the patients, one intake
// event each, analysed by the pipeline from what the server holds. A page's patients are settled before the next
// page is read.
//
// Resumable: the first page's target (which stands for the options), the run version of its events, the next
// page's URL and the newest meta.lastUpdated settled are kept in the state store (cursor "backfill.search"). An
// interrupted run resumes at the next page and meets the patients of the page it was in again as duplicates of its
// own events (same version), so nothing is analysed twice. A server forgets a search after a while (HAPI answers
// 410 for an expired page): the search is then asked again from the newest lastUpdated settled, oldest first, so
// nothing after it is missed and what is found again is a duplicate. Options that differ start a new search; the
// cursor is cleared when the last page has been settled.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/commands/analyze_command.hpp"
#include "gateway/config/config.hpp"

namespace gg::gateway {

struct SearchBackfillOptions {
  std::string since;          // --since: a FHIR instant, _lastUpdated=ge; empty: from the beginning
  std::string until;          // --until: a FHIR instant, _lastUpdated=le; empty: up to the search's start
  std::size_t count = 200;    // --search-count: _count, results per page
  std::size_t max_pages = 0;  // --search-max-pages: pages this run reads before it stops, cursor kept; 0: all
};

// The first page's target: the hormone results (codes: hormone_code_list, already percent-encoded) changed from
// `from` (empty: no lower bound) to options.until, oldest first, options.count per page.
std::string search_backfill_target(std::string_view codes, const SearchBackfillOptions& options,
                                   std::string_view from);
// The same search counted only (_summary=count: Bundle.total, no entries).
std::string search_backfill_count_target(std::string_view codes, const SearchBackfillOptions& options);

// The state store cursor of a search backfill.
struct SearchCursor {
  std::string request;      // the first page's target from options.since: stands for the options
  std::string version;      // the run version of its events
  std::string next;         // the page to read next: the first page's target, or a "next" link of the server
  std::string position;     // meta.lastUpdated of the newest result settled (to the second); empty: none yet
  std::size_t pages = 0;    // pages settled, by every run of this search (display)
  std::size_t results = 0;  // results read on them (display, ETA)
};
inline constexpr std::string_view kSearchCursorName = "backfill.search";

// One "key value" line per field. Parsing gives nothing for an empty cursor (none, or cleared) or one without
// request, version and next.
std::string format_search_cursor(const SearchCursor& cursor);
std::optional<SearchCursor> parse_search_cursor(std::string_view text);

// Where a search the server has forgotten is asked again: from the newest lastUpdated settled (ge: the results of
// that second are found again, as duplicates), or from options.since when nothing was settled yet.
std::string search_restart_target(std::string_view codes, const SearchBackfillOptions& options,
                                  const SearchCursor& cursor);

// Returns the exit status: 0 when every page was read (or --search-max-pages were) and every patient's analysis
// was written (or had nothing to write), 1 when the search failed, a result was rejected, or a patient's event
// ended failed or dead.
int run_search_backfill(const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                        const SearchBackfillOptions& search_options, std::ostream& err);

}  // namespace gg::gateway
