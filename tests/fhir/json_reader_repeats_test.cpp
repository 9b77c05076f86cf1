// Elements that recur byte for byte are read once per thread and then taken as read
// (DecodeOptions::reuse_repeated_elements, fhir/json_reader_repeats.hpp): the decode gives the same value and the
// same issues as reading every element, whatever was decoded before on the thread.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <variant>

#include "fhir/json_codec.hpp"
#include "fhir/json_reader_repeats.hpp"

namespace gg::fhir {
namespace {

using json_detail::bracketed_length;

TEST(BracketedLength, EndsAtTheBracketClosingTheFirstOutsideStrings) {
  EXPECT_EQ(bracketed_length(R"({"a":[1,2]},"b":3})"), 11u);
  EXPECT_EQ(bracketed_length(R"([{"a":"]}"},{"b":"\"]"}] tail)"), 24u);
  EXPECT_EQ(bracketed_length(R"({"a":"\\"},"b")"), 10u);  // an escaped backslash does not escape the quote
  EXPECT_EQ(bracketed_length("{}"), 2u);
}

TEST(BracketedLength, IsZeroWhereNoObjectOrArrayClosesWithinTheText) {
  EXPECT_EQ(bracketed_length(R"({"a":[1,2])"), 0u);
  EXPECT_EQ(bracketed_length(R"({"a":"}")"), 0u);  // the brace is inside the string
  EXPECT_EQ(bracketed_length(R"("text")"), 0u);
  EXPECT_EQ(bracketed_length(""), 0u);
}

// An Observation whose category, code, reference range, interpretation and note are each longer than the key a
// remembered element is found by, so each can be taken.
std::string observation(std::string_view id, std::string_view code_text, std::string_view extra = {}) {
  std::string json = R"({"resourceType":"Observation","id":")";
  json += id;
  json += R"(","status":"final",
      "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category",
        "code":"laboratory","display":"Laboratory"}]}],
      "code":{"coding":[{"system":"http://loinc.org","code":"2986-8","display":"Testosterone [Mass/volume]"}],
        "text":")";
  json += code_text;
  json += R"("},"subject":{"reference":"Patient/p"},"effectiveDateTime":"2025-07-21T09:45:00+02:00",
      "valueQuantity":{"value":5.2,"unit":"ng/mL"},
      "referenceRange":[{"low":{"value":2.5,"unit":"ng/mL"},"high":{"value":8.4,"unit":"ng/mL"}}],
      "interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
        "code":"H","display":"High"}]}],
      "note":[{"text":"serum specimen, received in the laboratory"}])";
  json += extra;
  json += "}";
  return json;
}

void expect_same(const DecodeResult<Resource>& taken, const DecodeResult<Resource>& read) {
  EXPECT_EQ(taken.value, read.value);
  ASSERT_EQ(taken.issues.size(), read.issues.size());
  for (std::size_t i = 0; i < read.issues.size(); ++i) {
    EXPECT_EQ(taken.issues[i].path, read.issues[i].path);
    EXPECT_EQ(taken.issues[i].message, read.issues[i].message);
  }
}

DecodeOptions options(bool keep_unanalysed, bool reuse) {
  DecodeOptions o;
  o.keep_unanalysed_elements = keep_unanalysed;
  o.reuse_repeated_elements = reuse;
  return o;
}

TEST(RepeatedElements, AreTakenAsTheyWereRead) {
  for (const bool keep : {false, true}) {
    for (const char* id : {"a", "b", "c"}) {  // the first reads and remembers, the others take
      const std::string json = observation(id, "Testosterone");
      expect_same(decode_resource(json, options(keep, true)), decode_resource(json, options(keep, false)));
    }
  }
  // The taken elements themselves, kept in full.
  const auto taken = decode_resource(observation("d", "Testosterone"), options(true, true));
  ASSERT_TRUE(taken.ok());
  const auto& o = std::get<Observation>(*taken.value);
  EXPECT_EQ(o.category.at(0).coding.at(0).code, "laboratory");
  EXPECT_EQ(o.code.coding.at(0).display, "Testosterone [Mass/volume]");
  EXPECT_EQ(o.reference_range.at(0).high->value, 8.4);
  EXPECT_EQ(o.interpretation.at(0).coding.at(0).code, "H");
  EXPECT_EQ(o.note.at(0).text, "serum specimen, received in the laboratory");
}

// The key is an element's first bytes; an element is taken only where all of its bytes are the same.
TEST(RepeatedElements, AnElementSharingOnlyItsFirstBytesIsRead) {
  const auto first = decode_resource(observation("a", "Testosterone"), options(false, true));
  const auto second = decode_resource(observation("b", "Total testosterone"), options(false, true));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(std::get<Observation>(*first.value).code.text, "Testosterone");
  EXPECT_EQ(std::get<Observation>(*second.value).code.text, "Total testosterone");
}

// What a read gives depends on the reader's switches: an element remembered without its displays is not taken
// where displays are kept.
TEST(RepeatedElements, ReadsUnderOtherSwitchesAreKeptApart) {
  const std::string json = observation("a", "Testosterone");
  const auto lean = decode_resource(json, options(false, true));
  const auto full = decode_resource(json, options(true, true));
  ASSERT_TRUE(lean.ok() && full.ok());
  EXPECT_TRUE(std::get<Observation>(*lean.value).code.coding.at(0).display.empty());
  EXPECT_EQ(std::get<Observation>(*full.value).code.coding.at(0).display, "Testosterone [Mass/volume]");
  EXPECT_TRUE(std::get<Observation>(*lean.value).category.empty());
  EXPECT_FALSE(std::get<Observation>(*full.value).category.empty());
}

// An element read with an issue is never remembered: the issue is reported every time, at its path.
TEST(RepeatedElements, AnElementWithAnIssueIsReportedEveryTime) {
  const std::string broken = R"(,"method":{"coding":[{"system":"http://snomed.info/sct","code":1234567890123}]})";
  const std::string bad_category = R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
      "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":7}]}]})";
  for (int round = 0; round < 3; ++round) {
    const auto taken = decode_resource(bad_category, options(false, true));
    EXPECT_FALSE(taken.ok());
    ASSERT_EQ(taken.issues.size(), 1u);
    EXPECT_EQ(taken.issues[0].path, "Observation.category[0].coding[0].code");
    expect_same(decode_resource(observation("m", "T", broken), options(false, true)),
                decode_resource(observation("m", "T", broken), options(false, false)));
  }
}

// A key given twice adds its second list to the first: such an element is read, not taken.
TEST(RepeatedElements, AKeyGivenTwiceIsRead) {
  const std::string once = observation("a", "Testosterone");
  const std::string twice = observation("b", "Testosterone",
                                        R"(,"note":[{"text":"serum specimen, received in the laboratory"}],
         "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category",
        "code":"laboratory","display":"Laboratory"}]}])");
  decode_resource(once, options(true, true));  // remembers both
  const auto taken = decode_resource(twice, options(true, true));
  expect_same(taken, decode_resource(twice, options(true, false)));
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(std::get<Observation>(*taken.value).note.size(), 2u);
  EXPECT_EQ(std::get<Observation>(*taken.value).category.size(), 2u);
}

// Malformed JSON after a remembered element is reported as when every element is read.
TEST(RepeatedElements, MalformedJsonAfterATakenElementIsReportedTheSame) {
  decode_resource(observation("a", "Testosterone"), options(false, true));
  std::string json = observation("b", "Testosterone");
  json.replace(json.find(R"("reference":)"), 12, R"("reference" )");  // after the code, which is taken
  const auto taken = decode_resource(json, options(false, true));
  EXPECT_FALSE(taken.ok());
  expect_same(taken, decode_resource(json, options(false, false)));
}

// On-Demand checks what it reads, not all it passes over: in this malformed Observation (found by fuzzing) the
// code reads without an issue but ends elsewhere than its brackets do, and the error comes later. Taken, the code
// would be skipped to another place and the rest read differently ("missing status" instead of the structure
// error): such an element is not remembered.
TEST(RepeatedElements, AnElementReadWithoutIssueWhereItsBracketsDoNotEndIsNotRemembered) {
  const std::string json =
      R"({"resourceType":"Observation","id":"big","sta4us":"final","code":{"coding":[{"systemA":"http:/inc.org",)"
      R"("co0.1de":"2143-6","dimplay":"Cortisvalue":5e-324},"high":{"value"CarePl99254740993}}]})";
  const auto read = decode_resource(json, options(false, false));
  ASSERT_FALSE(read.ok());
  ASSERT_EQ(read.issues.size(), 1u);
  EXPECT_EQ(read.issues[0].code, "structure");
  for (int round = 0; round < 2; ++round) expect_same(decode_resource(json, options(false, true)), read);
}

}  // namespace
}  // namespace gg::fhir
