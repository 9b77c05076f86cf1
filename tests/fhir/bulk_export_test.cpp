#include "fhir/bulk_export.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace gg::fhir {
namespace {

using std::chrono::seconds;

// 2026-12-03T07:00:00Z
const auto kNow = std::chrono::system_clock::time_point(
    std::chrono::sys_days(std::chrono::year(2026) / std::chrono::December / 3) + std::chrono::hours(7));

// The IG's example manifest ("Response - Complete Status"), shortened.
constexpr std::string_view kManifest = R"({
  "transactionTime": "2021-01-01T00:00:00Z",
  "request": "https://example.com/fhir/Patient/$export?_type=Patient,Observation",
  "requiresAccessToken": true,
  "output": [
    {"type": "Patient", "url": "https://example.com/output/patient_file_1.ndjson"},
    {"type": "Observation", "url": "https://example.com/output/observation_file_1.ndjson", "count": 2500}
  ],
  "deleted": [],
  "error": [
    {"type": "OperationOutcome", "url": "https://example.com/output/err_file_1.ndjson"}
  ],
  "extension": {"https://example.com/extra-property": true}
})";

TEST(ParseExportManifest, ReadsOutputAndErrorFilesWithTypesUrlsAndCounts) {
  const auto manifest = parse_export_manifest(kManifest);
  ASSERT_TRUE(manifest) << manifest.error().message;
  EXPECT_EQ(manifest->transaction_time, "2021-01-01T00:00:00Z");
  EXPECT_TRUE(manifest->requires_access_token);
  ASSERT_EQ(manifest->output.size(), 2u);
  EXPECT_EQ(manifest->output[0].type, "Patient");
  EXPECT_EQ(manifest->output[0].url, "https://example.com/output/patient_file_1.ndjson");
  EXPECT_FALSE(manifest->output[0].count);
  EXPECT_EQ(manifest->output[1].type, "Observation");
  EXPECT_EQ(manifest->output[1].count, 2500u);
  ASSERT_EQ(manifest->error.size(), 1u);
  EXPECT_EQ(manifest->error[0].type, "OperationOutcome");
}

TEST(ParseExportManifest, AcceptsAnEmptyOutputAndAMissingErrorArray) {
  const auto manifest = parse_export_manifest(R"({"transactionTime":"2021-01-01T00:00:00Z","output":[]})");
  ASSERT_TRUE(manifest) << manifest.error().message;
  EXPECT_TRUE(manifest->output.empty());
  EXPECT_TRUE(manifest->error.empty());
}

TEST(ParseExportManifest, RefusesWhatIsNoManifestNamingTheFieldNotItsValue) {
  const struct {
    std::string json;
    std::string names;
  } cases[] = {
      {"not json", "not JSON"},
      {"[]", "not a JSON object"},
      {R"({"transactionTime":"x"})", "output is missing"},
      {R"({"output":{}})", "output is not an array"},
      {R"({"output":[{"type":"Observation"}]})", "output[0].url is missing"},
      {R"({"output":[{"url":"https://h/secret-file"}]})", "output[0].type is missing"},
      {R"({"output":[],"error":[{"type":"OperationOutcome","url":""}]})", "error[0].url is missing"},
  };
  for (const auto& c : cases) {
    const auto manifest = parse_export_manifest(c.json);
    ASSERT_FALSE(manifest) << c.json;
    EXPECT_EQ(manifest.error().code, make_error_code(RestErrc::invalid_response));
    EXPECT_NE(manifest.error().message.find(c.names), std::string::npos) << manifest.error().message;
    EXPECT_EQ(manifest.error().message.find("secret-file"), std::string::npos);
  }
}

TEST(ParseRetryAfter, ReadsDelaySeconds) {
  EXPECT_EQ(parse_retry_after("120", kNow), seconds(120));
  EXPECT_EQ(parse_retry_after(" 0 ", kNow), seconds(0));
}

TEST(ParseRetryAfter, ReadsTheThreeHttpDateFormsAsADelayFromNow) {
  EXPECT_EQ(parse_retry_after("Thu, 03 Dec 2026 07:00:30 GMT", kNow), seconds(30));
  EXPECT_EQ(parse_retry_after("Thursday, 03-Dec-26 07:01:00 GMT", kNow), seconds(60));
  EXPECT_EQ(parse_retry_after("Thu Dec  3 07:02:00 2026", kNow), seconds(120));
}

TEST(ParseRetryAfter, ADateInThePastIsNoDelay) {
  EXPECT_EQ(parse_retry_after("Wed, 02 Dec 2026 07:00:00 GMT", kNow), seconds(0));
}

TEST(ParseRetryAfter, RefusesWhatIsNeitherSecondsNorADate) {
  for (const char* value :
       {"", "soon", "-5", "1.5", "Thu, 03 Dec 2026 07:00:30", "Thu, 03 Dec 2026 07:00:30 GMT x"}) {
    EXPECT_FALSE(parse_retry_after(value, kNow)) << value;
  }
}

TEST(PollDelay, KeepsTheServersDelayWithinTheBoundsAndFallsBackWithoutOne) {
  const PollDelays delays{seconds(1), seconds(120), seconds(5)};
  EXPECT_EQ(poll_delay(seconds(30), delays), seconds(30));
  EXPECT_EQ(poll_delay(seconds(0), delays), seconds(1));
  EXPECT_EQ(poll_delay(seconds(86400), delays), seconds(120));
  EXPECT_EQ(poll_delay(std::nullopt, delays), seconds(5));
}

TEST(ExportKickOffTarget, EncodesEachValueAndRepeatsTypeFilterPerQuery) {
  EXPECT_EQ(export_kick_off_target(
                {"Observation"},
                {"Observation?code=http://loinc.org|2143-6", "Observation?code=http://loinc.org|2191-5"},
                "2026-01-01T00:00:00Z"),
            "$export?_type=Observation"
            "&_typeFilter=Observation%3Fcode%3Dhttp%3A%2F%2Floinc.org%7C2143-6"
            "&_typeFilter=Observation%3Fcode%3Dhttp%3A%2F%2Floinc.org%7C2191-5"
            "&_since=2026-01-01T00%3A00%3A00Z");
  EXPECT_EQ(export_kick_off_target({"Patient", "Observation"}, {}, ""), "$export?_type=Patient%2CObservation");
  EXPECT_EQ(export_kick_off_target({}, {}, ""), "$export");
}

}  // namespace
}  // namespace gg::fhir
