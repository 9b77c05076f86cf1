// FHIR R4 JSON decoding: specification-like examples, the Observation filter, Bundles, NDJSON, and the issues
// (with their element paths) that broken input produces.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "fhir/json_codec.hpp"

namespace gg::fhir {
namespace {

std::string read_data(const std::string& name) {
  std::ifstream in(std::string(GG_SOURCE_DIR) + "/tests/data/fhir/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing test data " << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string describe(const std::vector<DecodeIssue>& issues) {
  std::string text;
  for (const DecodeIssue& issue : issues) {
    text += "\n  " + issue.code + " at '" + issue.path + "': " + issue.message;
  }
  return text;
}

Coding loinc(std::string code, std::string display = {}) {
  return Coding{"http://loinc.org", "", std::move(code), std::move(display)};
}

// ---- Decoding examples -----------------------------------------------------------------------------------------

TEST(JsonReader, DecodesTheSpecificationObservationExample) {
  const DecodeResult<Resource> decoded = decode_resource(read_data("observation-example.json"));
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  const auto& o = std::get<Observation>(*decoded.value);
  EXPECT_EQ(o.id, "example");
  EXPECT_EQ(o.meta.tag, (std::vector<Coding>{{"http://terminology.hl7.org/CodeSystem/v3-ActReason", "", "HTEST",
                                              "test health data"}}));
  EXPECT_EQ(o.status, "final");
  ASSERT_EQ(o.category.size(), 1u);
  EXPECT_EQ(o.category[0].coding[0].code, "vital-signs");
  ASSERT_EQ(o.code.coding.size(), 4u);
  EXPECT_EQ(o.code.coding[0], loinc("29463-7", "Body Weight"));
  EXPECT_EQ(o.code.coding[3].system, "http://acme.org/devices/clinical-codes");
  EXPECT_EQ(o.subject.reference, "Patient/example");
  EXPECT_EQ(o.effective_date_time, "2016-03-28");
  EXPECT_EQ(o.value_quantity, (Quantity{185.0, "", "lbs", "http://unitsofmeasure.org", "[lb_av]"}));
}

TEST(JsonReader, DecodesASearchsetBundleWithItsNextLink) {
  const DecodeResult<Bundle> decoded = decode_bundle(read_data("bundle-searchset.json"));
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  const Bundle& b = *decoded.value;
  EXPECT_EQ(b.type, "searchset");
  EXPECT_EQ(b.total, 3);
  ASSERT_EQ(b.link.size(), 2u);
  EXPECT_EQ(b.link[1].relation, "next");
  EXPECT_EQ(b.link[1].url,
            "http://localhost:8080/"
            "fhir?_getpages=5c1f7a&_getpagesoffset=2&_count=2&_pretty=false&_bundletype=searchset");
  ASSERT_EQ(b.entry.size(), 3u);
  EXPECT_EQ(b.entry[0].full_url, "http://localhost:8080/fhir/Observation/glu-1");
  const auto& first = std::get<Observation>(*b.entry[0].resource);
  EXPECT_EQ(first.meta.version_id, "1");
  EXPECT_EQ(first.value_quantity->value, 95.5);
  EXPECT_EQ(first.reference_range.at(0).high->value, 99.0);
  EXPECT_EQ(std::get<Observation>(*b.entry[1].resource).value_quantity->value, 5.3);
  EXPECT_EQ(std::get<Patient>(*b.entry[2].resource).birth_date, "1974-12-25");
}

TEST(JsonReader, DecodesAHapiRestHookSubscription) {
  const DecodeResult<Resource> decoded = decode_resource(read_data("subscription-rest-hook.json"));
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  const auto& s = std::get<Subscription>(*decoded.value);
  EXPECT_EQ(s.status, "active");
  EXPECT_EQ(s.criteria, "Observation?category=laboratory");
  EXPECT_EQ(s.channel.type, "rest-hook");
  EXPECT_EQ(s.channel.endpoint, "https://gateway.example.org/notify/rest-hook");
  EXPECT_EQ(s.channel.payload, "application/fhir+json");
  EXPECT_EQ(s.channel.header, (std::vector<std::string>{"Authorization: Bearer secret-token", "X-Tenant: lab"}));
  // Only boolean extensions are modelled; the valueInteger one is skipped.
  EXPECT_EQ(s.channel.extension_flags,
            (std::vector<std::pair<std::string, bool>>{
                {"http://hapifhir.io/fhir/StructureDefinition/subscription-send-delete-messages", true}}));
}

TEST(JsonReader, KeepsNumbersAsTheNearestDouble) {
  const auto decoded = decode_resource(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
      "valueQuantity":{"value":0.1},"component":[{"valueQuantity":{"value":1.0000000000000002}},
      {"valueQuantity":{"value":-4.5e-3}}]})");
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  const auto& o = std::get<Observation>(*decoded.value);
  EXPECT_EQ(o.value_quantity->value, 0.1);
  EXPECT_EQ(o.component[0].value_quantity->value, 1.0000000000000002);
  EXPECT_EQ(o.component[1].value_quantity->value, -4.5e-3);
}

TEST(JsonReader, ReadsAComponentsValueTimeAndValueDateTimeAsSent) {
  const auto decoded = decode_resource(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
      "component":[{"code":{"coding":[{"system":"urn:local","code":"T1"}]},"valueTime":"06:45:00"},
      {"code":{"text":"y"},"valueDateTime":"2024-05-01T06:45:00+02:00"},{"code":{"text":"z"},"valueBoolean":true}]})");
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  const auto& o = std::get<Observation>(*decoded.value);
  ASSERT_EQ(o.component.size(), 3u);
  EXPECT_EQ(o.component[0].code.coding.at(0).code, "T1");
  EXPECT_EQ(o.component[0].value_time, "06:45:00");
  EXPECT_EQ(o.component[0].value_date_time, "");
  EXPECT_EQ(o.component[1].value_date_time, "2024-05-01T06:45:00+02:00");
  EXPECT_EQ(o.component[1].value_time, "");
  // Other value[x] types stay unmodelled: the component is kept with its code only.
  EXPECT_EQ(o.component[2].code.text, "z");
  EXPECT_FALSE(o.component[2].value_quantity);
}

TEST(JsonReader, StoresEffectiveInstantAsEffectiveDateTimeAndReadsEffectivePeriod) {
  const auto instant = decode_resource(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
      "effectiveInstant":"2024-05-01T07:00:00.000+02:00"})");
  ASSERT_TRUE(instant.ok()) << describe(instant.issues);
  EXPECT_EQ(std::get<Observation>(*instant.value).effective_date_time, "2024-05-01T07:00:00.000+02:00");
  const auto period = decode_resource(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
      "effectivePeriod":{"start":"2024-05-01","end":"2024-05-02"}})");
  ASSERT_TRUE(period.ok()) << describe(period.issues);
  EXPECT_EQ(std::get<Observation>(*period.value).effective_period, (Period{"2024-05-01", "2024-05-02"}));
}

TEST(JsonReader, IgnoresUnknownElementsExtensionsAndPrimitiveSiblings) {
  const auto decoded = decode_resource(R"({"resourceType":"Observation","id":"u",
      "extension":[{"url":"urn:e","valueString":"x"}],"modifierExtension":[],
      "text":{"status":"generated","div":"<div/>"},"contained":[{"resourceType":"Patient","id":"c"}],
      "status":"final","_status":{"extension":[{"url":"urn:e","valueCode":"y"}]},
      "code":{"coding":[{"system":"http://loinc.org","code":"2339-0","userSelected":true}]},
      "performer":[{"reference":"Practitioner/1"}],"valueCodeableConcept":{"coding":[{"code":"POS"}]},
      "valueQuantity":{"value":1,"extension":[{"url":"urn:q","valueDecimal":2}]},"_effectiveDateTime":{"id":"z"},
      "referenceRange":[{"low":{"value":0},"appliesTo":[{"text":"adult"}],"age":{"low":{"value":18}}}]})");
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  EXPECT_TRUE(decoded.issues.empty());
  const auto& o = std::get<Observation>(*decoded.value);
  EXPECT_EQ(o.status, "final");
  EXPECT_EQ(o.code.coding.at(0).code, "2339-0");
  EXPECT_EQ(o.value_quantity->value, 1.0);
  EXPECT_EQ(o.reference_range.at(0).low->value, 0.0);
}

TEST(JsonReader, FindsResourceTypeWhenItIsNotTheFirstProperty) {
  const auto decoded =
      decode_resource(R"({"id":"p1","gender":"male","resourceType":"Patient","birthDate":"1970-01-01"})");
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  EXPECT_EQ(std::get<Patient>(*decoded.value), (Patient{"p1", {}, {}, "male", "1970-01-01"}));
}

TEST(JsonReader, DecodesUnmodelledResourceTypesAsOtherResource) {
  const auto decoded =
      decode_resource(R"({"resourceType":"Encounter","id":"e","meta":{"versionId":"3"},"status":"finished"})");
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  EXPECT_EQ(std::get<OtherResource>(*decoded.value), (OtherResource{"Encounter", "e", Meta{"3", "", {}, {}}}));
}

// R4 MedicationStatement with a contained Medication and a daily regimen (Dosage.timing.repeat, route, dose).
TEST(JsonReader, DecodesMedicationStatementRegimen) {
  const auto decoded = decode_resource(R"({"resourceType":"MedicationStatement","id":"ms",
    "contained":[{"resourceType":"Medication","id":"med","code":{"text":"Hydrocortisone 10 mg tablet"}}],
    "status":"active","medicationReference":{"reference":"#med"},"subject":{"reference":"Patient/7"},
    "effectivePeriod":{"start":"2026-01-01"},
    "dosage":[{"text":"10 mg at 07:00, 5 mg at 12:00","route":{"coding":[{"system":"http://snomed.info/sct",
      "code":"26643006","display":"Oral route"}]},
      "timing":{"repeat":{"frequency":2,"period":1,"periodUnit":"d","timeOfDay":["07:00:00","12:00:00"]}},
      "doseAndRate":[{"doseQuantity":{"value":10,"unit":"mg"}}]}]})");
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  EXPECT_TRUE(decoded.issues.empty()) << describe(decoded.issues);
  const auto& use = std::get<MedicationUse>(*decoded.value);
  EXPECT_EQ(use.resource_type, "MedicationStatement");
  ASSERT_EQ(use.contained_medications.size(), 1U);
  EXPECT_EQ(use.contained_medications[0].code.text, "Hydrocortisone 10 mg tablet");
  ASSERT_TRUE(use.medication_reference);
  EXPECT_EQ(use.medication_reference->reference, "#med");
  ASSERT_EQ(use.dosage.size(), 1U);
  const auto& dosage = use.dosage[0];
  ASSERT_TRUE(dosage.timing && dosage.timing->repeat);
  EXPECT_EQ(dosage.timing->repeat->time_of_day, (std::vector<std::string>{"07:00:00", "12:00:00"}));
  EXPECT_EQ(dosage.timing->repeat->frequency, 2);
  EXPECT_EQ(dosage.timing->repeat->period_unit, "d");
  ASSERT_TRUE(dosage.route);
  EXPECT_EQ(dosage.route->coding[0].code, "26643006");
  ASSERT_TRUE(dosage.dose_quantity);
  EXPECT_EQ(dosage.dose_quantity->value, 10);
}

// MedicationAdministration.dosage is one element (text, route, dose), not a Dosage list; MedicationRequest's
// Dosage list is dosageInstruction.
TEST(JsonReader, DecodesAdministrationAndRequestDosages) {
  const auto administration = decode_resource(R"({"resourceType":"MedicationAdministration","id":"ma",
    "status":"completed","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc",
    "code":"G03BA03"}]},"subject":{"reference":"Patient/7"},"effectiveDateTime":"2026-03-02T09:15:00+01:00",
    "dosage":{"route":{"text":"intramuscular"},"dose":{"value":200,"unit":"mg"}}})");
  ASSERT_TRUE(administration.ok()) << describe(administration.issues);
  const auto& given = std::get<MedicationUse>(*administration.value);
  EXPECT_EQ(given.effective_date_time, "2026-03-02T09:15:00+01:00");
  ASSERT_EQ(given.dosage.size(), 1U);
  EXPECT_EQ(given.dosage[0].route->text, "intramuscular");
  EXPECT_EQ(given.dosage[0].dose_quantity->value, 200);

  const auto request = decode_resource(R"({"resourceType":"MedicationRequest","id":"mr","status":"active",
    "intent":"order","medicationCodeableConcept":{"text":"levothyroxine"},"subject":{"reference":"Patient/7"},
    "authoredOn":"2026-01-05","dosageInstruction":[{"timing":{"repeat":{"timeOfDay":["06:30:00"]}}}]})");
  ASSERT_TRUE(request.ok()) << describe(request.issues);
  const auto& ordered = std::get<MedicationUse>(*request.value);
  EXPECT_EQ(ordered.intent, "order");
  EXPECT_EQ(ordered.authored_on, "2026-01-05");
  ASSERT_EQ(ordered.dosage.size(), 1U);
  EXPECT_EQ(ordered.dosage[0].timing->repeat->time_of_day, (std::vector<std::string>{"06:30:00"}));
}

TEST(JsonReader, MedicationUseWithoutStatusOrMedicationIsReportedWithPaths) {
  const auto decoded = decode_resource(R"({"resourceType":"MedicationStatement","id":"ms"})");
  std::vector<std::string> paths;
  for (const auto& issue : decoded.issues) paths.push_back(issue.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"MedicationStatement.status", "MedicationStatement.medication[x]"}));
}

TEST(JsonReader, UnescapesStrings) {
  const auto decoded = decode_resource(R"({"resourceType":"Patient","id":"caf\u00e9 \"q\"\ttab"})");
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  EXPECT_EQ(std::get<Patient>(*decoded.value).id, "caf\xc3\xa9 \"q\"\ttab");
}

// Property names are JSON strings too (RFC 8259 section 4): one written with escapes names the same element, at
// every depth, and one holding an escaped quote or backslash is one name, skipped like any unknown one.
TEST(JsonReader, UnescapesPropertyNames) {
  const auto decoded = decode_resource(R"({"resourceType":"Observation","st\u0061tus":"final",
    "code":{"coding":[{"system":"http://loinc.org","c\u006fde":"2986-8"}]},"\u0069d":"o1",
    "valu\u0065Quantity":{"value":5}})");
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  const auto& observation = std::get<Observation>(*decoded.value);
  EXPECT_EQ(observation.status, "final");
  ASSERT_EQ(observation.code.coding.size(), 1U);
  EXPECT_EQ(observation.code.coding[0].code, "2986-8");
  EXPECT_EQ(observation.id, "o1");
  ASSERT_TRUE(observation.value_quantity);
  EXPECT_EQ(observation.value_quantity->value, 5);
  const auto quoted = decode_resource(R"({"resourceType":"Patient","a\"b":{"id":"x"},"\\":"y","id":"p"})");
  ASSERT_TRUE(quoted.ok()) << describe(quoted.issues);
  EXPECT_EQ(std::get<Patient>(*quoted.value).id, "p");
}

// ---- Observation filter ----------------------------------------------------------------------------------------

DecodeOptions wanting_loinc(const std::string& code) {
  return DecodeOptions{[code](const CodeableConcept& code_concept) {
    for (const Coding& coding : code_concept.coding) {
      if (coding.system == "http://loinc.org" && coding.code == code) return true;
    }
    return false;
  }};
}

TEST(ObservationFilter, UnwantedObservationBecomesOtherResourceEvenWhenCodeComesLast) {
  const char* json = R"({"resourceType":"Observation","id":"w","meta":{"versionId":"2"},"status":"final",
      "valueQuantity":{"value":80},"code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},
      "component":[{"valueQuantity":{"value":1}}]})";
  const auto decoded = decode_resource(json, wanting_loinc("2339-0"));
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  EXPECT_EQ(std::get<OtherResource>(*decoded.value), (OtherResource{"Observation", "w", Meta{"2", "", {}, {}}}));
}

TEST(ObservationFilter, WantedObservationsInABundleAreDecodedInFull) {
  const auto bundle = decode_bundle(read_data("bundle-searchset.json"), wanting_loinc("2339-0"));
  ASSERT_TRUE(bundle.ok()) << describe(bundle.issues);
  EXPECT_EQ(std::get<Observation>(*bundle.value->entry[1].resource).value_quantity->value, 5.3);
  EXPECT_EQ(std::get<Patient>(*bundle.value->entry[2].resource).id, "pat-1");
  const auto weight = decode_bundle(read_data("bundle-searchset.json"), wanting_loinc("29463-7"));
  ASSERT_TRUE(weight.ok()) << describe(weight.issues);
  EXPECT_EQ(std::get<OtherResource>(*weight.value->entry[1].resource),
            (OtherResource{"Observation", "glu-2", Meta{"3", "2024-05-02T07:05:00.000+00:00", {}, {}}}));
}

TEST(ObservationFilter, ProblemsInAnUnwantedObservationAreNotReported) {
  const char* json = R"({"resourceType":"Observation","id":"w","valueQuantity":{"value":"x"},
      "code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"status":7})";
  const auto decoded = decode_resource(json, wanting_loinc("2339-0"));
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  EXPECT_TRUE(decoded.issues.empty()) << describe(decoded.issues);
  EXPECT_EQ(std::get<OtherResource>(*decoded.value).id, "w");
}

// analyze only analyses the results it reads: what no analysis reads is checked but not stored (DecodeOptions).
TEST(ObservationFilter, UnanalysedElementsAreCheckedTheSameButNotKept) {
  const char* json = R"({"resourceType":"Observation","id":"t",
      "meta":{"versionId":"2","lastUpdated":"2025-07-21T12:31:38.000+02:00","profile":["http://x.org/p"],
        "tag":[{"system":"http://x.org/t","code":"t"}]},"status":"final",
      "identifier":[{"system":"http://lab.example.org/accession","value":"0000001-0201-001"}],
      "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category",
        "code":"laboratory","display":"Laboratory"}]}],
      "code":{"coding":[{"system":"http://loinc.org","code":"2986-8","display":"Testosterone [Mass/volume]"}],
        "text":"Testosterone"},"subject":{"reference":"Patient/p"},
      "effectiveDateTime":"2025-07-21T09:45:00+02:00","valueQuantity":{"value":5.2,"unit":"ng/mL"},
      "referenceRange":[{"low":{"value":2.5,"unit":"ng/mL"},"high":{"value":8.4,"unit":"ng/mL"}}],
      "interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
        "code":"H","display":"High"}]}],
      "note":[{"text":"serum specimen, received in the laboratory"},{"text":"second note"}]})";
  DecodeOptions lean;
  lean.keep_unanalysed_elements = false;
  const auto full = decode_resource(json);
  const auto read = decode_resource(json, lean);
  ASSERT_TRUE(full.ok() && read.ok()) << describe(full.issues) << describe(read.issues);
  Observation expected = std::get<Observation>(*full.value);
  ASSERT_FALSE(expected.identifier.empty() || expected.category.empty() || expected.interpretation.empty() ||
               expected.note.empty() || expected.reference_range.empty() || expected.meta.last_updated.empty() ||
               expected.meta.profile.empty() || expected.meta.tag.empty() ||
               expected.code.coding[0].display.empty());
  expected.identifier.clear();
  expected.category.clear();
  expected.interpretation.clear();
  expected.note.clear();
  expected.reference_range.clear();
  expected.code.coding[0].display.clear();
  expected.meta.last_updated.clear();
  expected.meta.profile.clear();
  expected.meta.tag.clear();
  EXPECT_EQ(std::get<Observation>(*read.value), expected);
  EXPECT_EQ(expected.code.text, "Testosterone");
  EXPECT_EQ(expected.meta.version_id, "2");

  // The reference range gives the unit of a valueString that has none: kept there, wherever it stands.
  const char* string_value = R"({"resourceType":"Observation","status":"final",
      "referenceRange":[{"high":{"value":8.4,"unit":"ng/mL"}}],"code":{"coding":[{"code":"x"}]},
      "valueString":"<0.5"})";
  const auto with_string = decode_resource(string_value, lean);
  ASSERT_TRUE(with_string.ok()) << describe(with_string.issues);
  EXPECT_EQ(std::get<Observation>(*with_string.value).reference_range.size(), 1u);
  // Before or after a valueQuantity, it is not kept beside one.
  const char* range_first = R"({"resourceType":"Observation","status":"final",
      "referenceRange":[{"high":{"value":8.4,"unit":"ng/mL"}}],"code":{"coding":[{"code":"x"}]},
      "valueQuantity":{"value":5.2,"unit":"ng/mL"}})";
  const auto before = decode_resource(range_first, lean);
  ASSERT_TRUE(before.ok()) << describe(before.issues);
  EXPECT_TRUE(std::get<Observation>(*before.value).reference_range.empty());
  EXPECT_EQ(std::get<Observation>(*decode_resource(range_first).value).reference_range.size(), 1u);

  // The same problems, at the same paths, in lists of any depth; the value is still refused.
  const char* broken = R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
      "identifier":[{"system":"a","value":1}],"category":[{"text":"a"},{"coding":[{"system":42}]}],
      "interpretation":[{"coding":[{"code":7}]}],"note":{"text":"not an array"},"valueQuantity":{"value":true},
      "referenceRange":[{"low":{"unit":3}}],"meta":{"lastUpdated":5}})";
  const auto kept = decode_resource(broken);
  const auto checked = decode_resource(broken, lean);
  EXPECT_FALSE(checked.ok());
  ASSERT_EQ(checked.issues.size(), 7u) << describe(checked.issues);
  ASSERT_EQ(kept.issues.size(), checked.issues.size());
  for (std::size_t i = 0; i < kept.issues.size(); ++i) {
    EXPECT_EQ(checked.issues[i].path, kept.issues[i].path);
    EXPECT_EQ(checked.issues[i].message, kept.issues[i].message);
  }
  EXPECT_EQ(checked.issues[0].path, "Observation.identifier[0].value");
  EXPECT_EQ(checked.issues[1].path, "Observation.category[1].coding[0].system");
  EXPECT_EQ(checked.issues[2].path, "Observation.interpretation[0].coding[0].code");
  EXPECT_EQ(checked.issues[3].path, "Observation.note");
  EXPECT_EQ(checked.issues[5].path, "Observation.referenceRange[0].low.unit");
  EXPECT_EQ(checked.issues[6].path, "Observation.meta.lastUpdated");
}

// ---- Issues and their paths ------------------------------------------------------------------------------------

TEST(JsonReaderIssues, WrongTypeForValueQuantityValueIsAnErrorAtItsPath) {
  const auto decoded = decode_resource(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
      "valueQuantity":{"value":"12.5","unit":"mg/dL"}})");
  EXPECT_FALSE(decoded.ok());
  ASSERT_EQ(decoded.issues.size(), 1u) << describe(decoded.issues);
  EXPECT_EQ(decoded.issues[0].severity, DecodeIssue::Severity::error);
  EXPECT_EQ(decoded.issues[0].code, "structure");
  EXPECT_EQ(decoded.issues[0].path, "Observation.valueQuantity.value");
  EXPECT_EQ(decoded.issues[0].message, "wrong JSON type: expected a JSON number, found a JSON string");
}

TEST(JsonReaderIssues, ArrayElementsGetIndexedPaths) {
  const auto decoded = decode_resource(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
      "category":[{"text":"a"},{"coding":[{"system":42}]}]})");
  EXPECT_FALSE(decoded.ok());
  ASSERT_EQ(decoded.issues.size(), 1u) << describe(decoded.issues);
  EXPECT_EQ(decoded.issues[0].path, "Observation.category[1].coding[0].system");
}

TEST(JsonReaderIssues, OneBadElementDoesNotHideTheNext) {
  const auto decoded = decode_resource(R"({"resourceType":"Observation","status":3,"code":{"text":"x"},
      "category":{"text":"not an array"},"valueQuantity":{"value":true}})");
  EXPECT_FALSE(decoded.ok());
  ASSERT_EQ(decoded.issues.size(), 3u) << describe(decoded.issues);
  EXPECT_EQ(decoded.issues[0].path, "Observation.status");
  EXPECT_EQ(decoded.issues[1].path, "Observation.category");
  EXPECT_EQ(decoded.issues[2].path, "Observation.valueQuantity.value");
}

TEST(JsonReaderIssues, MissingStatusAndCodeAreRequiredErrors) {
  const auto decoded = decode_resource(R"({"resourceType":"Observation","id":"o"})");
  EXPECT_FALSE(decoded.ok());
  ASSERT_EQ(decoded.issues.size(), 2u) << describe(decoded.issues);
  EXPECT_EQ(decoded.issues[0].code, "required");
  EXPECT_EQ(decoded.issues[0].path, "Observation.status");
  EXPECT_EQ(decoded.issues[1].code, "required");
  EXPECT_EQ(decoded.issues[1].path, "Observation.code");
}

TEST(JsonReaderIssues, EmptyStatusAndCodeCountAsMissing) {
  const auto decoded = decode_resource(R"({"resourceType":"Observation","status":"","code":{"coding":[]}})");
  EXPECT_FALSE(decoded.ok());
  ASSERT_EQ(decoded.issues.size(), 2u) << describe(decoded.issues);
  EXPECT_EQ(decoded.issues[0].path, "Observation.status");
  EXPECT_EQ(decoded.issues[1].path, "Observation.code");
}

TEST(JsonReaderIssues, MissingResourceTypeIsAnError) {
  const auto decoded = decode_resource(R"({"id":"x","status":"final"})");
  EXPECT_FALSE(decoded.ok());
  ASSERT_EQ(decoded.issues.size(), 1u) << describe(decoded.issues);
  EXPECT_EQ(decoded.issues[0].code, "required");
  EXPECT_EQ(decoded.issues[0].path, "resourceType");
}

TEST(JsonReaderIssues, MalformedJsonIsAFatalStructureIssueWithBytePosition) {
  const auto decoded = decode_resource(R"({"resourceType":"Patient","id":"x" "gender":"male"})");
  EXPECT_FALSE(decoded.ok());
  ASSERT_EQ(decoded.issues.size(), 1u) << describe(decoded.issues);
  EXPECT_EQ(decoded.issues[0].severity, DecodeIssue::Severity::fatal);
  EXPECT_EQ(decoded.issues[0].code, "structure");
  // Byte 35 is where the comma is missing: the token "gender" that follows "x" directly.
  EXPECT_NE(decoded.issues[0].message.find("at byte 35"), std::string::npos) << decoded.issues[0].message;
}

TEST(JsonReaderIssues, TruncatedEmptyTrailingAndNonObjectInputsAreRejected) {
  for (const char* json :
       {R"({"resourceType":"Observation","status":"final","code":{)", "", "   ",
        R"({"resourceType":"Patient"} {"resourceType":"Patient"})", R"([{"resourceType":"Patient"}])",
        R"("Patient")", R"({"resourceType":"Patient","id":"x",})"}) {
    const auto decoded = decode_resource(json);
    EXPECT_FALSE(decoded.ok()) << json;
    EXPECT_FALSE(decoded.issues.empty()) << json;
  }
}

TEST(JsonReaderIssues, MessagesNeverContainTheValuesFound) {
  for (const char* json : {R"({"resourceType":"Observation","status":"SECRET","code":{"text":"SECRET"},
                               "valueQuantity":{"value":"SECRET"},"subject":"SECRET","note":["SECRET"]})",
                           R"({"id":"SECRET"})", R"({"resourceType":"Patient","id":"SECRET" "gender":"SECRET"})",
                           R"({"resourceType":"Bundle","type":"searchset","total":-1,"entry":"SECRET"})"}) {
    const auto decoded = decode_resource(json);
    const auto bundle = decode_bundle(json);
    ASSERT_FALSE(decoded.issues.empty() && bundle.issues.empty()) << json;
    for (const auto* issues : {&decoded.issues, &bundle.issues}) {
      for (const DecodeIssue& issue : *issues)
        EXPECT_EQ(issue.message.find("SECRET"), std::string::npos) << issue.message;
    }
  }
}

// ---- Bundles and documents -------------------------------------------------------------------------------------

TEST(JsonReaderBundle, BrokenEntryIsReportedAndTheOtherEntriesStillDecode) {
  const DecodeResult<Bundle> decoded = decode_bundle(read_data("bundle-broken-entry.json"));
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  ASSERT_EQ(decoded.issues.size(), 1u) << describe(decoded.issues);
  EXPECT_EQ(decoded.issues[0].severity, DecodeIssue::Severity::error);
  EXPECT_EQ(decoded.issues[0].path, "Bundle.entry[3].resource.valueQuantity.value");
  const auto& entries = decoded.value->entry;
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_FALSE(entries[3].resource.has_value());
  EXPECT_EQ(entries[3].full_url, "urn:uuid:8f0c6c35-7b6a-4f43-9a0e-000000000003");
  EXPECT_EQ(std::get<Observation>(*entries[0].resource).value_quantity->value, 90.0);
  EXPECT_EQ(std::get<Observation>(*entries[1].resource).id, "o1");
  EXPECT_EQ(std::get<Patient>(*entries[2].resource).gender, "female");
  EXPECT_EQ(std::get<Observation>(*entries[4].resource).value_quantity->value, 94.0);
}

TEST(JsonReaderBundle, ErrorOutsideEntryResourcesRejectsTheBundle) {
  const auto decoded = decode_bundle(R"({"resourceType":"Bundle","type":"searchset","total":2.5,"entry":[]})");
  EXPECT_FALSE(decoded.ok());
  ASSERT_EQ(decoded.issues.size(), 1u) << describe(decoded.issues);
  EXPECT_EQ(decoded.issues[0].path, "Bundle.total");
}

TEST(JsonReaderBundle, NestedBundleEntryIsKeptAsOtherResource) {
  const auto decoded = decode_bundle(R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":
      {"resourceType":"Bundle","id":"inner","type":"searchset",
       "entry":[{"resource":{"resourceType":"Patient"}}]}}]})");
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  EXPECT_EQ(std::get<OtherResource>(*decoded.value->entry.at(0).resource), (OtherResource{"Bundle", "inner", {}}));
}

TEST(JsonReaderBundle, EntryResourceWithoutResourceTypeIsReportedAtItsPath) {
  const auto decoded = decode_bundle(R"({"resourceType":"Bundle","type":"batch","entry":[{"resource":{"id":"a"}},
      {"resource":{"resourceType":"Patient","id":"b"}}]})");
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  ASSERT_EQ(decoded.issues.size(), 1u) << describe(decoded.issues);
  EXPECT_EQ(decoded.issues[0].path, "Bundle.entry[0].resource.resourceType");
  EXPECT_EQ(std::get<Patient>(*decoded.value->entry[1].resource).id, "b");
}

TEST(JsonReaderBundle, DecodeResourceKeepsABundleAsOtherResource) {
  const auto decoded = decode_resource(read_data("bundle-searchset.json"));
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  const auto& other = std::get<OtherResource>(*decoded.value);
  EXPECT_EQ(other.resource_type, "Bundle");
  EXPECT_EQ(other.id, "b0f2c7e5-3a4d-4c1e-9f55-1d2a3b4c5d6e");
  EXPECT_EQ(other.meta.last_updated, "2024-05-02T10:15:30.123+00:00");
}

TEST(JsonReaderBundle, DecodeBundleRejectsAnotherResourceType) {
  const auto decoded = decode_bundle(R"({"resourceType":"Patient","id":"p"})");
  EXPECT_FALSE(decoded.ok());
  ASSERT_EQ(decoded.issues.size(), 1u);
  EXPECT_EQ(decoded.issues[0].code, "invalid");
}

TEST(JsonReaderDocument, DispatchesOnResourceType) {
  const auto bundle = decode_document(read_data("bundle-searchset.json"));
  ASSERT_TRUE(bundle.ok()) << describe(bundle.issues);
  EXPECT_EQ(std::get<Bundle>(bundle.value->content).entry.size(), 3u);
  const auto single = decode_document(read_data("observation-example.json"));
  ASSERT_TRUE(single.ok()) << describe(single.issues);
  EXPECT_EQ(std::get<Observation>(std::get<Resource>(single.value->content)).id, "example");
  EXPECT_FALSE(decode_document("{").ok());
}

// ---- NDJSON ----------------------------------------------------------------------------------------------------

struct Line {
  std::size_t number;
  DecodeResult<Resource> result;
};

std::vector<Line> decode_lines(std::string_view text) {
  std::vector<Line> lines;
  decode_ndjson(text, {}, [&](std::size_t number, DecodeResult<Resource>&& result) {
    lines.push_back(Line{number, std::move(result)});
  });
  return lines;
}

TEST(JsonReaderNdjson, BrokenLinesBetweenGoodOnesDoNotStopTheRest) {
  const std::vector<Line> lines = decode_lines(read_data("observations.ndjson"));
  ASSERT_EQ(lines.size(), 5u);  // line 4 is blank
  EXPECT_EQ(lines[0].number, 1u);
  EXPECT_EQ(std::get<Observation>(*lines[0].result.value).value_quantity->value, 101.25);
  EXPECT_EQ(lines[1].number, 2u);
  EXPECT_FALSE(lines[1].result.ok());
  ASSERT_FALSE(lines[1].result.issues.empty());
  EXPECT_EQ(lines[1].result.issues[0].severity, DecodeIssue::Severity::fatal);
  EXPECT_EQ(lines[2].number, 3u);
  EXPECT_EQ(std::get<Observation>(*lines[2].result.value).id, "n3");
  EXPECT_EQ(lines[3].number, 5u);
  EXPECT_FALSE(lines[3].result.ok());
  EXPECT_EQ(lines[4].number, 6u);
  EXPECT_EQ(std::get<Patient>(*lines[4].result.value).id, "n6");
}

TEST(JsonReaderNdjson, AcceptsCrLfAndAMissingFinalNewline) {
  const std::vector<Line> lines = decode_lines(
      "{\"resourceType\":\"Patient\",\"id\":\"a\"}\r\n\r\n{\"resourceType\":\"Patient\",\"id\":\"b\"}");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(std::get<Patient>(*lines[0].result.value).id, "a");
  EXPECT_EQ(lines[1].number, 3u);
  EXPECT_EQ(std::get<Patient>(*lines[1].result.value).id, "b");
}

}  // namespace
}  // namespace gg::fhir

namespace gg::fhir {
namespace {

// A MedicationStatement naming a Medication resource reads as if it carried that Medication's code.
TEST(MedicationReferences, AReferencedMedicationsCodeIsTakenOver) {
  const auto medication = decode_resource(R"({"resourceType":"Medication","id":"m12",
    "code":{"coding":[{"system":"http://www.whocc.no/atc","code":"H03AA01","display":"levothyroxine sodium"}]}})");
  ASSERT_TRUE(medication.ok()) << describe(medication.issues);
  const std::vector<Medication> named{std::get<Medication>(*medication.value)};
  MedicationUse relative;
  relative.medication_reference = Reference{"Medication/m12", ""};
  MedicationUse absolute;
  absolute.medication_reference = Reference{"https://fhir.example.org/fhir/Medication/m12", ""};
  MedicationUse other;
  other.medication_reference = Reference{"Medication/m1", ""};  // a different id that is a prefix-free mismatch
  MedicationUse coded;
  coded.medication_codeable_concept = CodeableConcept{{}, "as sent"};
  coded.medication_reference = Reference{"Medication/m12", ""};
  std::vector<MedicationUse> uses{relative, absolute, other, coded};
  resolve_medication_references(uses, named);
  ASSERT_TRUE(uses[0].medication_codeable_concept);
  EXPECT_EQ(uses[0].medication_codeable_concept->coding[0].code, "H03AA01");
  ASSERT_TRUE(uses[1].medication_codeable_concept);
  EXPECT_FALSE(uses[2].medication_codeable_concept);
  EXPECT_EQ(uses[3].medication_codeable_concept->text, "as sent");  // its own code stands
}

// ---- Limits (issue 13) -----------------------------------------------------------------------------------------

// An Observation whose unmodelled extension nests `levels` arrays (plus the resource's own object): the decoder
// would skip it, but the text is refused whole beyond max_depth, with one fatal issue and no value.
std::string nested_observation(int levels, std::string_view inner = "1") {
  std::string deep(static_cast<std::size_t>(levels), '[');
  deep += inner;
  deep += std::string(static_cast<std::size_t>(levels), ']');
  return R"({"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"extension":)" + deep +
         "}";
}

TEST(JsonReaderLimits, ATextNestedDeeperThanTheLimitIsRefusedWhole) {
  DecodeOptions options;
  options.max_depth = 64;
  // The resource's object is level 1: 63 arrays inside it reach the limit, 64 pass it.
  const auto at_limit = decode_resource(nested_observation(63), options);
  ASSERT_TRUE(at_limit.value.has_value()) << describe(at_limit.issues);
  const auto over = decode_resource(nested_observation(64), options);
  EXPECT_FALSE(over.value.has_value());
  ASSERT_EQ(over.issues.size(), 1u) << describe(over.issues);
  EXPECT_EQ(over.issues[0].severity, DecodeIssue::Severity::fatal);
  EXPECT_EQ(over.issues[0].code, "too-costly");
  EXPECT_EQ(over.issues[0].message, "the JSON text nests objects and arrays deeper than 64 levels");
  // A hundred thousand levels are refused the same way, before simdjson sees them.
  EXPECT_EQ(decode_resource(nested_observation(100'000), options).issues.at(0).code, "too-costly");
  // Brackets inside strings, escaped quotes included, are text, not nesting.
  const auto in_string = decode_resource(nested_observation(3, R"("\")" + std::string(200, '[') + "\""), options);
  EXPECT_TRUE(in_string.value.has_value()) << describe(in_string.issues);
  // Off: the decoder skips what it does not model, without recursion.
  options.max_depth = 0;
  EXPECT_TRUE(decode_resource(nested_observation(100'000), options).value.has_value());
}

TEST(JsonReaderLimits, ATextOverTheSizeLimitIsRefusedWhole) {
  DecodeOptions options;
  const std::string text = nested_observation(1);
  options.max_bytes = text.size();
  EXPECT_TRUE(decode_resource(text, options).value.has_value());
  options.max_bytes = text.size() - 1;
  const auto over = decode_resource(text, options);
  EXPECT_FALSE(over.value.has_value());
  ASSERT_EQ(over.issues.size(), 1u);
  EXPECT_EQ(over.issues[0].code, "too-long");
  EXPECT_EQ(over.issues[0].message, "the JSON text is " + std::to_string(text.size()) +
                                        " bytes, over the limit of " + std::to_string(text.size() - 1));
  // Bundles too.
  options.max_depth = 3;
  options.max_bytes = 0;
  EXPECT_EQ(
      decode_bundle(R"({"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"a":[[1]]}}]})", options)
          .issues.at(0)
          .code,
      "too-costly");
  // The defaults: 256 MiB and 64 levels.
  EXPECT_EQ(DecodeOptions{}.max_bytes, std::size_t{256} * 1024 * 1024);
  EXPECT_EQ(DecodeOptions{}.max_depth, 64u);
}

}  // namespace
}  // namespace gg::fhir
