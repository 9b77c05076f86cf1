// An Observation decoded where the caller keeps it (decode_observation_in_place, as analyze decodes its patients'
// results) is the Observation decode_resource gives, with the same issues; anything else comes back as
// decode_resource gives it.
#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "fhir/json_codec.hpp"

namespace gg::fhir {
namespace {

void expect_same_issues(const std::vector<DecodeIssue>& in_place, const std::vector<DecodeIssue>& decoded) {
  ASSERT_EQ(in_place.size(), decoded.size());
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    EXPECT_EQ(in_place[i].severity, decoded[i].severity);
    EXPECT_EQ(in_place[i].code, decoded[i].code);
    EXPECT_EQ(in_place[i].path, decoded[i].path);
    EXPECT_EQ(in_place[i].message, decoded[i].message);
  }
}

// Decodes `json` both ways; true when it was decoded in place.
bool expect_same_decode(const std::string& json, const DecodeOptions& options = {}) {
  SCOPED_TRACE(json);
  const auto decoded = decode_resource(json, options);
  Observation place;
  DecodeResult<Resource> result;
  const bool in_place = decode_observation_in_place(json, options, place, result);
  expect_same_issues(result.issues, decoded.issues);
  const auto* observation = decoded.value ? std::get_if<Observation>(&*decoded.value) : nullptr;
  EXPECT_EQ(in_place, observation != nullptr);
  if (in_place) {
    EXPECT_FALSE(result.value);
    if (observation != nullptr) {
      EXPECT_EQ(place, *observation);
    }
  } else {
    EXPECT_EQ(result.value, decoded.value);
  }
  return in_place;
}

const std::string kObservation = R"({"resourceType":"Observation","id":"o1","meta":{"versionId":"2"},
  "status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2986-8"}]},
  "subject":{"reference":"Patient/p"},"effectiveDateTime":"2025-07-21T09:45:00+02:00",
  "valueQuantity":{"value":5.2,"unit":"ng/mL","system":"http://unitsofmeasure.org","code":"ng/mL"}})";

TEST(DecodeObservationInPlace, AnObservationIsDecodedIntoTheCallersPlace) {
  EXPECT_TRUE(expect_same_decode(kObservation));
  // resourceType after the other elements: read the same way.
  EXPECT_TRUE(expect_same_decode(R"({"id":"o2","status":"final","code":{"text":"cortisol"},
    "resourceType":"Observation"})"));
}

TEST(DecodeObservationInPlace, WarningsStayWithAnObservationDecodedInPlace) {
  // An unknown element is not modelled and skipped; an empty id is a warning or an error as decode_resource says.
  expect_same_decode(R"({"resourceType":"Observation","id":"","status":"final","code":{"text":"x"}})");
  expect_same_decode(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{}})");
}

TEST(DecodeObservationInPlace, AnObservationWithAnErrorIsNotInPlace) {
  EXPECT_FALSE(expect_same_decode(R"({"resourceType":"Observation","id":"o3","code":{"text":"x"}})"));
  EXPECT_FALSE(expect_same_decode(R"({"resourceType":"Observation","status":7,"code":{"text":"x"}})"));
  EXPECT_FALSE(expect_same_decode(R"({"resourceType":"Observation","status":"final","code":{"text":"x"})"));
  EXPECT_FALSE(expect_same_decode(kObservation + " {}"));  // trailing content
  EXPECT_FALSE(expect_same_decode(R"({"status":"final"})"));
  EXPECT_FALSE(expect_same_decode("[1,2]"));
}

TEST(DecodeObservationInPlace, OtherResourcesComeBackAsTheResult) {
  EXPECT_FALSE(expect_same_decode(R"({"resourceType":"Patient","id":"p","gender":"female"})"));
  EXPECT_FALSE(expect_same_decode(R"({"resourceType":"MedicationStatement","id":"m","status":"active",
    "medicationCodeableConcept":{"text":"hydrocortisone"},"subject":{"reference":"Patient/p"}})"));
  EXPECT_FALSE(expect_same_decode(R"({"resourceType":"Bundle","type":"collection"})"));
}

TEST(DecodeObservationInPlace, AnUnwantedObservationComesBackAsTheResult) {
  DecodeOptions options;
  options.observation_wanted = [](const CodeableConcept& code) { return code.text == "wanted"; };
  EXPECT_FALSE(expect_same_decode(kObservation, options));
  EXPECT_TRUE(expect_same_decode(R"({"resourceType":"Observation","id":"o4","status":"final",
    "code":{"text":"wanted"}})",
                                 options));
}

}  // namespace
}  // namespace gg::fhir
