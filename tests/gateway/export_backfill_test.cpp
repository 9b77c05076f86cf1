// The resumable cursor of backfill --export (gateway/commands/export_backfill.hpp): what an interrupted run left
// in the state store is read back as the same job, version and processed files.
#include "gateway/commands/export_backfill.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gg::gateway {
namespace {

TEST(ExportCursor, ReadsBackWhatWasWritten) {
  const ExportCursor cursor{"$export?_type=Observation&_since=2026-01-01T00%3A00%3A00Z",
                            "http://127.0.0.1:8080/fhir/$export-poll-status?_jobId=f175",
                            "backfill-2026-12-03T07:00:00Z-42-1",
                            {"http://127.0.0.1:8080/fhir/Binary/a", "http://127.0.0.1:8080/fhir/Binary/b"}};
  const auto parsed = parse_export_cursor(format_export_cursor(cursor));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->request, cursor.request);
  EXPECT_EQ(parsed->status_url, cursor.status_url);
  EXPECT_EQ(parsed->version, cursor.version);
  EXPECT_EQ(parsed->done_files, cursor.done_files);
}

TEST(ExportCursor, AClearedOrIncompleteCursorIsNone) {
  EXPECT_FALSE(parse_export_cursor(""));
  EXPECT_FALSE(parse_export_cursor("request $export\nversion v\n"));                  // no status URL
  EXPECT_FALSE(parse_export_cursor("request $export\nstatus http://h/s\n"));          // no version
  EXPECT_TRUE(parse_export_cursor("request $export\nstatus http://h/s\nversion v"));  // no final line end
}

}  // namespace
}  // namespace gg::gateway
