// The scan that decides, before decoding, what a resource is and whether it is wanted (fhir/json_scan.hpp).
#include "fhir/json_scan.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fhir/json_codec.hpp"

namespace gg::fhir {
namespace {

// A Bundle with the zero padding scan_bundle_entries needs after it.
struct Padded {
  explicit Padded(std::string json) : text(std::move(json)) { storage = text + std::string(kJsonPadding, '\0'); }
  std::string_view view() const { return {storage.data(), text.size()}; }
  std::string text;
  std::string storage;
};

ScanOptions loinc_only(const std::string& wanted_code) {
  ScanOptions options;
  options.coding_wanted = [wanted_code](std::string_view system, std::string_view code) {
    return system == "http://loinc.org" && code == wanted_code;
  };
  return options;
}

ScannedResource scan(const std::string& json, const ScanOptions& options = loinc_only("2143-6")) {
  ScannedResource out;
  scan_resource(json, options, out);
  return out;
}

const std::string kCortisol =
    R"({"resourceType":"Observation","id":"c1","meta":{"versionId":"2"},"status":"final",)"
    R"("code":{"coding":[{"system":"http://other.example","code":"x"},{"system":"http://loinc.org","code":"2143-6"}]},)"
    R"("subject":{"reference":"Patient/7"},"valueQuantity":{"value":14.2,"unit":"ug/dL"}})";

TEST(JsonScan, AnObservationWithAWantedCodingIsWantedWithItsSubject) {
  const auto scanned = scan(kCortisol);
  EXPECT_FALSE(scanned.broken);
  EXPECT_EQ(scanned.resource_type, "Observation");
  EXPECT_EQ(scanned.id, "c1");
  EXPECT_EQ(scanned.subject, "Patient/7");
  EXPECT_TRUE(scanned.wanted);
}

TEST(JsonScan, AnObservationWithoutAWantedCodingIsNotWanted) {
  const auto scanned = scan(kCortisol, loinc_only("8867-4"));
  EXPECT_FALSE(scanned.broken);
  EXPECT_FALSE(scanned.wanted);
}

// Skipping is not validating every value, but a malformed value after the code still breaks the walk over the
// top-level properties of an Observation nobody wants (as decoding would fail on it), so a broken line is never
// counted as skipped.
TEST(JsonScan, ATruncatedOrTrailingTextIsBroken) {
  const auto unwanted = loinc_only("8867-4");
  EXPECT_TRUE(scan(kCortisol.substr(0, kCortisol.size() - 20), unwanted).broken);
  EXPECT_TRUE(scan(kCortisol + "{}", unwanted).broken);
  EXPECT_TRUE(scan("[1,2]").broken);
  EXPECT_TRUE(scan(R"({"id":"no-type"})").broken);
  // A text cut inside a string is broken before any property is read, wanted or not.
  EXPECT_TRUE(scan(kCortisol.substr(0, kCortisol.size() - 20)).broken);
}

// A wanted Observation is read until its type, code and subject are known: what follows is read when it is
// decoded, which reports a fault there (so the line is neither skipped nor lost, and its patient is known).
TEST(JsonScan, AWantedObservationIsReadUntilItsSubject) {
  std::string missing_comma = kCortisol;
  missing_comma.erase(missing_comma.find(R"(,"valueQuantity")"), 1);
  for (const std::string& text :
       {kCortisol + "{}", kCortisol.substr(0, kCortisol.size() - 1) + R"(,"note":tru})", missing_comma}) {
    SCOPED_TRACE(text);
    const auto scanned = scan(text);
    EXPECT_FALSE(scanned.broken);
    EXPECT_TRUE(scanned.wanted);
    EXPECT_EQ(scanned.subject, "Patient/7");
    const auto decoded = decode_resource(text);
    EXPECT_FALSE(decoded.ok());
    ASSERT_FALSE(decoded.issues.empty());
    EXPECT_EQ(decoded.issues[0].code, "structure");
  }
}

TEST(JsonScan, AnUnreadableCodeIsWantedSoThatDecodingReportsIt) {
  const auto scanned = scan(R"({"resourceType":"Observation","id":"o","code":{"coding":"2143-6"}})");
  EXPECT_FALSE(scanned.broken);
  EXPECT_TRUE(scanned.wanted);
}

TEST(JsonScan, ResourceTypeAfterCodeAndSubjectIsStillRead) {
  const auto scanned = scan(
      R"({"code":{"coding":[{"system":"http://loinc.org","code":"2143-6"}]},"subject":{"reference":"Patient/9"},)"
      R"("resourceType":"Observation"})");
  EXPECT_FALSE(scanned.broken);
  EXPECT_TRUE(scanned.wanted);
  EXPECT_EQ(scanned.subject, "Patient/9");
}

TEST(JsonScan, OtherTypesKeepTheirTypeAndIdAndSubjectOnlyWhereTheyHaveOne) {
  const auto patient = scan(R"({"resourceType":"Patient","id":"7","gender":"female"})");
  EXPECT_EQ(patient.resource_type, "Patient");
  EXPECT_EQ(patient.id, "7");
  EXPECT_TRUE(patient.subject.empty());
  const auto statement =
      scan(R"({"resourceType":"MedicationStatement","id":"m","subject":{"reference":"Patient/7"}})");
  EXPECT_EQ(statement.subject, "Patient/7");
  const auto encounter = scan(R"({"resourceType":"Encounter","id":"e","subject":{"reference":"Patient/7"}})");
  EXPECT_EQ(encounter.resource_type, "Encounter");
  EXPECT_TRUE(encounter.subject.empty());
  EXPECT_FALSE(encounter.wanted);
}

TEST(JsonScan, BundleEntriesAreHandedOverAsTheirOwnBytes) {
  Padded bundle(R"({"resourceType":"Bundle","type":"collection","entry":[)"
                R"({"fullUrl":"http://x/Observation/c1","resource":)" +
                kCortisol +
                R"( },)"
                R"({"request":{"method":"DELETE","url":"Observation/9"}},)"
                R"({"resource":{"resourceType":"Patient","id":"7"}}]})");
  std::vector<ScannedEntry> entries;
  std::vector<std::string> resources;
  ASSERT_TRUE(scan_bundle_entries(bundle.view(), [&](const ScannedEntry& entry) {
    entries.push_back(entry);
    resources.emplace_back(entry.resource_json);
  }));
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].full_url, "http://x/Observation/c1");
  EXPECT_EQ(resources[0], kCortisol);
  EXPECT_TRUE(resources[1].empty());
  EXPECT_EQ(entries[2].index, 2u);
  const auto decoded = decode_resource(entries[0].resource_json);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<Observation>(*decoded.value).subject.reference, "Patient/7");
}

TEST(JsonScan, AMalformedBundleOrAnotherTypeIsNotScannedAsABundle) {
  Padded truncated(R"({"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient"}})");
  EXPECT_FALSE(scan_bundle_entries(truncated.view(), [](const ScannedEntry&) {}));
  Padded patient(R"({"resourceType":"Patient","id":"7"})");
  EXPECT_FALSE(scan_bundle_entries(patient.view(), [](const ScannedEntry&) {}));
}

}  // namespace
}  // namespace gg::fhir
