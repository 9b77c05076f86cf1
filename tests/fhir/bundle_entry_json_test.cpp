// decode_bundle_keeping_entry_json: one pass gives the Bundle and each entry's resource as the bytes it came as.
#include "fhir/bundle_entry_json.hpp"

#include <gtest/gtest.h>

namespace gg::fhir {
namespace {

constexpr std::string_view kObservation =
    R"({"resourceType":"Observation", "id":"o1" ,"status":"final","code":{"text":"x"},"extra":[1,{"a":"}"}]})";
constexpr std::string_view kPatient = R"({ "resourceType" : "Patient", "id" : "p1" })";

TEST(BundleEntryJson, KeepsEachEntrysResourceBytesAsReceived) {
  const std::string json = R"({"resourceType":"Bundle","type":"history","entry":[ {"resource": )" +
                           std::string(kObservation) +
                           " , \"fullUrl\":\"x\"},\n {\"fullUrl\":\"y\",\"resource\":" + std::string(kPatient) +
                           "\n}, {\"fullUrl\":\"no-resource\"}]}";
  std::vector<std::string> entry_json;
  auto decoded = decode_bundle_keeping_entry_json(json, {}, &entry_json);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded.value->entry.size(), 3u);
  ASSERT_EQ(entry_json.size(), 3u);
  EXPECT_EQ(entry_json[0], kObservation);
  EXPECT_EQ(entry_json[1], kPatient);
  EXPECT_EQ(entry_json[2], "");
  EXPECT_EQ(decoded.value->entry[0].full_url, "x");
}

TEST(BundleEntryJson, ABrokenEntryKeepsNoBytesAndTheOthersStillDo) {
  const std::string json = R"({"resourceType":"Bundle","type":"collection","entry":[)"
                           R"({"resource":{"resourceType":"Observation","id":"bad","status":7}},)"
                           R"({"resource":)" +
                           std::string(kPatient) + "}]}";
  std::vector<std::string> entry_json;
  auto decoded = decode_bundle_keeping_entry_json(json, {}, &entry_json);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(entry_json.size(), 2u);
  EXPECT_EQ(entry_json[0], "");
  EXPECT_EQ(entry_json[1], kPatient);
}

TEST(BundleEntryJson, DecodesTheSameBundleAsDecodeBundle) {
  const std::string json =
      R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":)" + std::string(kObservation) + "}]}";
  std::vector<std::string> entry_json;
  auto kept = decode_bundle_keeping_entry_json(json, {}, &entry_json);
  auto plain = decode_bundle(json);
  ASSERT_TRUE(kept.ok());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*kept.value, *plain.value);
}

}  // namespace
}  // namespace gg::fhir
