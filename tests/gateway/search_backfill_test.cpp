// backfill --search (gateway/commands/search_backfill.hpp): the search it asks the FHIR server, built from the
// catalogue's codes and the options; the cursor an interrupted run leaves; where a forgotten search is asked
// again.
#include "gateway/commands/search_backfill.hpp"

#include <gtest/gtest.h>

#include <string>

#include "fhir/url.hpp"
#include "gateway/config/knowledge_loader.hpp"
#include "gateway_test_support.hpp"

namespace gg::gateway {
namespace {

std::string shipped_codes() {
  return hormone_code_list(testing::shipped_knowledge());
}

TEST(SearchBackfillTarget, AsksForEveryCatalogueCodeOldestFirstAPageAtATime) {
  SearchBackfillOptions options;
  options.count = 50;
  const auto target = search_backfill_target(shipped_codes(), options, "");
  EXPECT_EQ(target, "Observation?code=" + shipped_codes() + "&_sort=_lastUpdated&_count=50");
  const auto codes = testing::shipped_knowledge().subscription_codes();
  ASSERT_FALSE(codes.empty());
  for (const auto& [system, code] : codes) {
    const std::string token = std::string(system).append("|").append(code);
    EXPECT_NE(target.find(fhir::percent_encode(token)), std::string::npos) << token;
  }
  EXPECT_NE(target.find("http%3A%2F%2Floinc.org%7C1558-6"), std::string::npos);  // glucose, as the server reads it
}

TEST(SearchBackfillTarget, SinceAndUntilBoundLastUpdatedInclusively) {
  const SearchBackfillOptions options{"2026-01-01T00:00:00Z", "2026-02-01T12:30:00+01:00", 200, 0};
  EXPECT_EQ(search_backfill_target("C", options, options.since),
            "Observation?code=C&_lastUpdated=ge2026-01-01T00%3A00%3A00Z"
            "&_lastUpdated=le2026-02-01T12%3A30%3A00%2B01%3A00&_sort=_lastUpdated&_count=200");
  // The count has the same bounds, and asks for the total only.
  EXPECT_EQ(search_backfill_count_target("C", options),
            "Observation?code=C&_lastUpdated=ge2026-01-01T00%3A00%3A00Z"
            "&_lastUpdated=le2026-02-01T12%3A30%3A00%2B01%3A00&_summary=count");
}

TEST(SearchBackfillTarget, TheOptionsThatChangeWhatIsFoundChangeTheRequestAndTheStopDoesNot) {
  // The cursor's request stands for the options: an interrupted search is resumed only with the same ones.
  const SearchBackfillOptions base{"2026-01-01T00:00:00Z", "", 200, 0};
  const auto request = [](const SearchBackfillOptions& o) { return search_backfill_target("C", o, o.since); };
  auto other = base;
  other.since = "2026-01-02T00:00:00Z";
  EXPECT_NE(request(other), request(base));
  other = base;
  other.until = "2026-03-01T00:00:00Z";
  EXPECT_NE(request(other), request(base));
  other = base;
  other.count = 20;
  EXPECT_NE(request(other), request(base));
  EXPECT_NE(search_backfill_target("D", base, base.since), request(base));  // a changed catalogue
  other = base;
  other.max_pages = 3;  // a run that stops early is continued by one that does not
  EXPECT_EQ(request(other), request(base));
}

TEST(SearchCursor, ReadsBackWhatWasWritten) {
  const SearchCursor cursor{"Observation?code=C&_sort=_lastUpdated&_count=10",
                            "backfill-2026-12-03T07:00:00Z-42-1",
                            "http://127.0.0.1:8080/fhir?_getpages=3f1c&_getpagesoffset=20&_count=10",
                            "2026-12-03T07:01:02Z",
                            2,
                            20};
  const auto parsed = parse_search_cursor(format_search_cursor(cursor));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->request, cursor.request);
  EXPECT_EQ(parsed->version, cursor.version);
  EXPECT_EQ(parsed->next, cursor.next);
  EXPECT_EQ(parsed->position, cursor.position);
  EXPECT_EQ(parsed->pages, 2U);
  EXPECT_EQ(parsed->results, 20U);
}

TEST(SearchCursor, AClearedOrIncompleteCursorIsNone) {
  EXPECT_FALSE(parse_search_cursor(""));
  EXPECT_FALSE(parse_search_cursor("request R\nnext N\n"));                  // no version
  EXPECT_FALSE(parse_search_cursor("request R\nversion v\n"));               // no next page
  EXPECT_FALSE(parse_search_cursor("version v\nnext N\n"));                  // no request
  const auto minimal = parse_search_cursor("request R\nversion v\nnext N");  // no position, counts, final line end
  ASSERT_TRUE(minimal);
  EXPECT_EQ(minimal->position, "");
  EXPECT_EQ(minimal->pages, 0U);
  const auto garbled = parse_search_cursor("request R\nversion v\nnext N\npages -3\nresults x\n");
  ASSERT_TRUE(garbled);
  EXPECT_EQ(garbled->pages, 0U);
  EXPECT_EQ(garbled->results, 0U);
}

TEST(SearchRestart, AForgottenSearchIsAskedAgainFromTheNewestResultSettled) {
  const SearchBackfillOptions options{"2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z", 10, 0};
  SearchCursor cursor{search_backfill_target("C", options, options.since),
                      "v",
                      "http://127.0.0.1:8080/fhir?_getpages=gone",
                      "2026-03-04T05:06:07Z",
                      4,
                      40};
  EXPECT_EQ(search_restart_target("C", options, cursor),
            "Observation?code=C&_lastUpdated=ge2026-03-04T05%3A06%3A07Z"
            "&_lastUpdated=le2026-06-01T00%3A00%3A00Z&_sort=_lastUpdated&_count=10");
  cursor.position.clear();  // forgotten before a page was settled: from the start again
  EXPECT_EQ(search_restart_target("C", options, cursor), cursor.request);
}

}  // namespace
}  // namespace gg::gateway
