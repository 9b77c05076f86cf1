// An Observation decoded where the caller keeps it (decode_observation_in_place, as analyze decodes its patients'
// results) is the Observation decode_resource gives, with the same issues; anything else comes back as
// decode_resource gives it. So it is where the text lies (decode_observation_where_it_lies), whatever follows it.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fhir/json_codec.hpp"
#include "fhir/json_scan.hpp"

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

// What a decode into the caller's place gave (true when the Observation is in `place`, and `result`) against what
// decode_resource gave for the same text: the same issues, and the same Observation or other value.
void expect_same_outcome(bool in_place, const Observation& place, const DecodeResult<Resource>& result,
                         const DecodeResult<Resource>& decoded) {
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
}

// Decodes `json` both ways, and where it lies followed by other bytes; true when it was decoded in place.
bool expect_same_decode(const std::string& json, const DecodeOptions& options = {}) {
  SCOPED_TRACE(json);
  const auto decoded = decode_resource(json, options);
  Observation place;
  DecodeResult<Resource> result;
  const bool in_place = decode_observation_in_place(json, options, place, result);
  expect_same_outcome(in_place, place, result, decoded);
  // Where it lies, followed by bytes that continue it in every way: the same outcome.
  for (const std::string& follower :
       {std::string(), std::string("\n") + json, std::string("}"), std::string("}}]}"), std::string("3}}"),
        std::string(R"(e5,"id":"x"})"), std::string("ue}"), std::string("\"}"), std::string(" \t\r\n")}) {
    SCOPED_TRACE("followed by " + follower);
    std::string buffer = json + follower;
    buffer.append(kJsonPadding, '\x7f');
    Observation lying;
    DecodeResult<Resource> lying_result;
    const bool lies = decode_observation_where_it_lies(std::string_view(buffer).substr(0, json.size()), options,
                                                       lying, lying_result);
    EXPECT_EQ(lies, in_place);
    expect_same_outcome(lies, lying, lying_result, decoded);
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

// Texts cut short where the bytes after them would complete them (a number, an atom, a string, the closing
// braces): where they lie they are still the errors decode_resource reports for them alone.
TEST(DecodeObservationInPlace, ACutTextIsNotCompletedByTheBytesAfterIt) {
  const std::string head = R"({"resourceType":"Observation","status":"final","code":{"text":"x"})";
  EXPECT_FALSE(expect_same_decode(head));
  EXPECT_FALSE(expect_same_decode(head + R"(,"valueQuantity":{"value":12)"));
  EXPECT_FALSE(expect_same_decode(head + R"(,"valueQuantity":{"value":1.5)"));
  EXPECT_FALSE(expect_same_decode(head + R"(,"valueBoolean":tr)"));
  EXPECT_FALSE(expect_same_decode(head + R"(,"valueString":"ab)"));
  EXPECT_FALSE(expect_same_decode(head + R"(,"valueString":"ab\)"));
  EXPECT_FALSE(expect_same_decode(head + R"(,"note":[{"text":"n"})"));
  EXPECT_FALSE(expect_same_decode(R"({"resourceType":"Patient","id":"p")"));
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

// An Observation with every element the decoder models, each with content.
const std::string kEveryElement = R"({"resourceType":"Observation","id":"full","meta":{"versionId":"3",
  "lastUpdated":"2025-01-01T00:00:00Z","profile":["http://example.org/p"],"tag":[{"system":"s","code":"t"}]},
  "contained":[{"resourceType":"Specimen","id":"sp","type":{"coding":[{"system":"http://snomed.info/sct",
    "code":"119364003"}]}}],
  "identifier":[{"system":"http://lab.example.org","value":"A1"}],"status":"final",
  "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
  "code":{"coding":[{"system":"http://loinc.org","code":"2143-6","display":"Cortisol"}],"text":"cortisol"},
  "subject":{"reference":"Patient/p","display":"P"},"effectiveDateTime":"2025-07-21T09:45:00+02:00",
  "effectivePeriod":{"start":"2025-07-21T09:45:00+02:00","end":"2025-07-21T10:45:00+02:00"},
  "issued":"2025-07-21T12:00:00+02:00",
  "valueQuantity":{"value":14.2,"comparator":"<","unit":"ug/dL","system":"http://unitsofmeasure.org","code":"ug/dL"},
  "valueString":"14.2","valueCodeableConcept":{"text":"x"},"valueDateTime":"2025-07-01",
  "dataAbsentReason":{"text":"none"},"interpretation":[{"coding":[{"code":"H"}]}],"note":[{"text":"n"}],
  "method":{"text":"m"},"specimen":{"reference":"#sp"},
  "referenceRange":[{"low":{"value":1},"high":{"value":2},"text":"r"}],
  "derivedFrom":[{"reference":"Observation/o"}],
  "component":[{"code":{"text":"c"},"valueQuantity":{"value":1},"valueString":"s","valueTime":"07:00:00",
    "valueDateTime":"2025-07-21T07:00:00+02:00"}]})";

// Emptied for the next decode, an Observation equals Observation{} (so a decode into it is a decode into a fresh
// one), whatever it held.
TEST(DecodeObservationInPlace, AnEmptiedPlaceIsAFreshObservation) {
  const auto decoded = decode_resource(kEveryElement);
  ASSERT_TRUE(decoded.ok());
  Observation place = std::get<Observation>(*decoded.value);
  ASSERT_NE(place, Observation{});
  empty_keeping_memory(place);
  EXPECT_EQ(place, Observation{});
  // Decoded again into the emptied place, patient after patient: as decode_resource gives it.
  for (const std::string& json : {kObservation, kEveryElement, kObservation}) {
    empty_keeping_memory(place);
    DecodeResult<Resource> result;
    ASSERT_TRUE(decode_observation_in_place(json, {}, place, result));
    EXPECT_EQ(place, std::get<Observation>(*decode_resource(json).value));
  }
}

}  // namespace
}  // namespace gg::fhir
