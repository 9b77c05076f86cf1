// FHIR R4 JSON codec: round trips of every modelled resource (value -> to_json -> decode -> equal value, and the
// same text when written again) and the form of what the writer produces. Decoding on its own:
// json_reader_test.cpp.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "fhir/json_codec.hpp"

namespace gg::fhir {
namespace {

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
Quantity mg_per_dl(double value) {
  return Quantity{value, "", "mg/dL", "http://unitsofmeasure.org", "mg/dL"};
}
Meta versioned(std::string version) {
  return Meta{std::move(version),
              "2024-05-01T07:02:11.000+00:00",
              {"http://example.org/StructureDefinition/lab"},
              {Coding{"http://example.org/tags", "", "synthetic", "Synthetic data"}}};
}

// to_json, decode, compare; writing the decoded value again gives the same text.
template <typename T>
void expect_round_trip(const T& original) {
  const std::string json = to_json(Resource{original});
  const DecodeResult<Resource> decoded = decode_resource(json);
  ASSERT_TRUE(decoded.ok()) << json << describe(decoded.issues);
  EXPECT_TRUE(decoded.issues.empty()) << describe(decoded.issues);
  ASSERT_TRUE(std::holds_alternative<T>(*decoded.value)) << json;
  EXPECT_TRUE(std::get<T>(*decoded.value) == original) << json << "\n" << to_json(*decoded.value);
  EXPECT_EQ(to_json(*decoded.value), json);
}

Observation full_observation() {
  Observation o;
  o.id = "obs-1";
  o.meta = versioned("4");
  o.identifier = {Identifier{"urn:gradient-gateway:test", "obs-1"}};
  o.status = "final";
  o.category = {CodeableConcept{
      {Coding{"http://terminology.hl7.org/CodeSystem/observation-category", "", "laboratory", "Laboratory"}}, ""}};
  o.code = CodeableConcept{
      {loinc("2339-0", "Glucose [Mass/volume] in Blood"), Coding{"urn:local", "2", "GLU", ""}}, "Glucose"};
  o.subject = Reference{"Patient/pat-1", "Test Patient"};
  o.effective_date_time = "2024-05-01T07:00:00+02:00";
  o.issued = "2024-05-01T09:30:00.000+02:00";
  o.value_quantity = Quantity{95.5, "<", "mg/dL", "http://unitsofmeasure.org", "mg/dL"};
  o.interpretation = {CodeableConcept{
      {Coding{"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "", "N", "Normal"}}, ""}};
  o.note = {Annotation{"fasting sample"}, Annotation{"second note"}};
  o.method = CodeableConcept{{}, "enzymatic"};
  o.specimen = Reference{"Specimen/s-1", ""};
  o.reference_range = {ObservationReferenceRange{mg_per_dl(70), mg_per_dl(99), "fasting"}};
  o.derived_from = {Reference{"Observation/a", ""}, Reference{"Observation/b", ""}};
  o.component = {ObservationComponent{CodeableConcept{{loinc("8480-6")}, ""}, mg_per_dl(120), ""},
                 ObservationComponent{CodeableConcept{{}, "comment"}, std::nullopt, "haemolysed"},
                 ObservationComponent{CodeableConcept{{Coding{"urn:local", "", "T1", ""}}, ""}, std::nullopt, "",
                                      "06:45:00", ""},
                 ObservationComponent{CodeableConcept{{Coding{"urn:local", "", "T2", ""}}, ""}, std::nullopt, "",
                                      "", "2024-05-01T06:45:00+02:00"}};
  return o;
}

Bundle transaction_bundle() {
  Observation derived = full_observation();
  derived.id.clear();
  derived.meta = {};
  Bundle b;
  b.id = "tx-1";
  b.meta = Meta{"", "2024-05-02T00:00:00Z", {}, {}};
  b.type = "transaction";
  b.timestamp = "2024-05-02T00:00:00Z";
  b.total = 2;
  b.link = {BundleLink{"self", "http://localhost/fhir"}};
  BundleEntry first{"urn:uuid:11111111-1111-4111-8111-111111111111", Resource{derived},
                    BundleEntryRequest{"POST", "Observation", "identifier=urn:gradient-gateway:test|obs-1", ""},
                    std::nullopt};
  BundleEntry second{
      "urn:uuid:22222222-2222-4222-8222-222222222222", Resource{OtherResource{"Encounter", "m1", {}}},
      BundleEntryRequest{"PUT", "Encounter/m1", "", "W/\"3\""}, BundleEntryResponse{"200 OK", "", "W/\"3\""}};
  b.entry = {first, second};
  return b;
}

// ---- Round trips -----------------------------------------------------------------------------------------------

TEST(JsonCodecRoundTrip, ObservationWithEveryModelledElement) {
  expect_round_trip(full_observation());
}

TEST(JsonCodecRoundTrip, ObservationWithEffectivePeriodAndValueString) {
  Observation o;
  o.id = "o2";
  o.status = "preliminary";
  o.code = CodeableConcept{{loinc("2339-0")}, ""};
  o.effective_period = Period{"2024-05-01T07:00:00Z", "2024-05-01T08:00:00Z"};
  o.value_string = "see comment";
  o.data_absent_reason =
      CodeableConcept{{Coding{"http://terminology.hl7.org/CodeSystem/data-absent-reason", "", "error", ""}}, ""};
  expect_round_trip(o);
}

TEST(JsonCodecRoundTrip, Patient) {
  expect_round_trip(
      Patient{"pat-1", versioned("1"), {Identifier{"urn:oid:1.2.3", "12345"}}, "female", "1980-02-29"});
}

TEST(JsonCodecRoundTrip, RiskAssessment) {
  RiskAssessment r;
  r.id = "ra-1";
  r.meta = versioned("1");
  r.identifier = {Identifier{"urn:gradient-gateway:risk", "abc"}};
  r.status = "preliminary";
  r.method = CodeableConcept{{Coding{"urn:gg:method", "", "gradient", ""}}, ""};
  r.code = CodeableConcept{{}, "gradient assessment"};
  r.subject = Reference{"Patient/pat-1", ""};
  r.occurrence_date_time = "2024-05-02T00:00:00Z";
  r.basis = {Reference{"Observation/a", ""}, Reference{"Observation/b", ""}};
  r.prediction = {
      RiskAssessmentPrediction{CodeableConcept{{}, "outcome"},
                               CodeableConcept{{Coding{"urn:risk", "", "high", "High"}}, ""}, "ratio high"},
      RiskAssessmentPrediction{std::nullopt, std::nullopt, "only a rationale"}};
  r.note = {Annotation{"computed"}};
  expect_round_trip(r);
}

TEST(JsonCodecRoundTrip, CarePlanWithScheduledTiming) {
  CarePlan c;
  c.id = "cp-1";
  c.meta = versioned("1");
  c.identifier = {Identifier{"urn:gradient-gateway:careplan", "x"}};
  c.status = "draft";
  c.intent = "proposal";
  c.category = {CodeableConcept{{}, "monitoring"}};
  c.title = "Follow-up";
  c.description = "Repeat the measurement";
  c.subject = Reference{"Patient/pat-1", ""};
  c.created = "2024-05-02T00:00:00Z";
  c.supporting_info = {Reference{"RiskAssessment/ra-1", ""}};
  CarePlanActivityDetail detail{"ServiceRequest",
                                CodeableConcept{{loinc("2339-0")}, ""},
                                {CodeableConcept{{}, "reason"}},
                                {Reference{"RiskAssessment/ra-1", ""}},
                                "not-started",
                                {"08:00:00", "20:00:00"},
                                "Morning and evening sample"};
  c.activity = {CarePlanActivity{detail},
                CarePlanActivity{CarePlanActivityDetail{"", {}, {}, {}, "scheduled", {}, ""}}};
  c.note = {Annotation{"draft for review"}};
  expect_round_trip(c);
}

TEST(JsonCodecRoundTrip, Provenance) {
  Provenance p;
  p.id = "prov-1";
  p.meta = versioned("1");
  p.target = {Reference{"Observation/d1", ""}, Reference{"RiskAssessment/ra-1", ""}};
  p.recorded = "2024-05-02T00:00:00.000Z";
  p.activity =
      CodeableConcept{{Coding{"http://terminology.hl7.org/CodeSystem/v3-DataOperation", "", "CREATE", ""}}, ""};
  p.agent = {ProvenanceAgent{CodeableConcept{{}, "assembler"}, Reference{"Device/gradient-gateway", "Gateway"}}};
  p.entity = {ProvenanceEntity{"source", Reference{"Observation/a", ""}}};
  expect_round_trip(p);
}

TEST(JsonCodecRoundTrip, SubscriptionWithChannelHeadersAndExtensions) {
  Subscription s;
  s.id = "sub-1";
  s.meta = versioned("2");
  s.status = "requested";
  s.reason = "forward results";
  s.criteria = "Observation?category=laboratory";
  s.error = "";
  s.channel =
      SubscriptionChannel{"rest-hook",
                          "https://gateway.example.org/notify",
                          "application/fhir+json",
                          {"Authorization: Bearer x", "X-Tenant: lab"},
                          {{"http://hapifhir.io/fhir/StructureDefinition/subscription-send-delete-messages", true},
                           {"urn:flag:off", false}}};
  expect_round_trip(s);
}

TEST(JsonCodecRoundTrip, OperationOutcome) {
  expect_round_trip(OperationOutcome{
      "oo-1",
      {OperationOutcomeIssue{
           "error", "structure", "wrong JSON type", {"Observation.valueQuantity.value"}, std::nullopt},
       OperationOutcomeIssue{"warning",
                             "processing",
                             "no unit",
                             {},
                             CodeableConcept{{{"http://example.org/reasons", "", "no-unit", ""}}, ""}}}});
}

TEST(JsonCodecRoundTrip, UnmodelledResourceKeepsTypeIdAndMeta) {
  expect_round_trip(OtherResource{"Encounter", "e-1", versioned("7")});
}

TEST(JsonCodecRoundTrip, MedicationStatementAdministrationAndRequest) {
  Dosage regimen;
  regimen.text = "10 mg at 07:00";
  regimen.timing =
      Timing{{}, TimingRepeat{Period{"2026-01-01", ""}, 1, 1.0, "d", {}, {"07:00:00"}, {}}, std::nullopt};
  regimen.route = CodeableConcept{{{"http://snomed.info/sct", "", "26643006", "Oral route"}}, ""};
  regimen.dose_quantity = Quantity{10.0, "", "mg", "http://unitsofmeasure.org", "mg"};
  MedicationUse statement;
  statement.resource_type = "MedicationStatement";
  statement.id = "ms-1";
  statement.contained_medications = {{"med", CodeableConcept{{}, "Hydrocortisone 10 mg tablet"}}};
  statement.status = "active";
  statement.medication_reference = Reference{"#med", ""};
  statement.subject = Reference{"Patient/7", ""};
  statement.effective_period = Period{"2026-01-01", ""};
  statement.date_asserted = "2026-02-01";
  statement.dosage = {regimen};
  expect_round_trip(statement);

  MedicationUse request = statement;
  request.resource_type = "MedicationRequest";
  request.intent = "order";
  request.effective_period.reset();
  request.date_asserted.clear();
  request.authored_on = "2026-01-05";
  expect_round_trip(request);

  MedicationUse administration;
  administration.resource_type = "MedicationAdministration";
  administration.id = "ma-1";
  administration.status = "completed";
  administration.medication_codeable_concept =
      CodeableConcept{{{"http://www.whocc.no/atc", "", "G03BA03", "testosterone"}}, ""};
  administration.subject = Reference{"Patient/7", ""};
  administration.effective_date_time = "2026-03-02T09:15:00+01:00";
  Dosage given;
  given.route = CodeableConcept{{}, "intramuscular"};
  given.dose_quantity = Quantity{200.0, "", "mg", "", ""};
  administration.dosage = {given};
  expect_round_trip(administration);
}

TEST(JsonCodecRoundTrip, TransactionBundleWithRequestsAndResponses) {
  const Bundle original = transaction_bundle();
  const std::string json = to_json(original);
  const DecodeResult<Bundle> decoded = decode_bundle(json);
  ASSERT_TRUE(decoded.ok()) << describe(decoded.issues);
  EXPECT_TRUE(decoded.issues.empty()) << describe(decoded.issues);
  EXPECT_TRUE(*decoded.value == original) << json << "\n" << to_json(*decoded.value);
  EXPECT_EQ(to_json(*decoded.value), json);
}

TEST(JsonCodecRoundTrip, DecimalsComeBackAsTheSameDouble) {
  std::vector<double> values = {12.5,
                                3.0,
                                0.1,
                                0.30000000000000004,
                                1.0000000000000002,
                                -0.000123,
                                1e-7,
                                6.02e23,
                                1e300,
                                DBL_MAX,
                                DBL_MIN,
                                std::numeric_limits<double>::denorm_min(),
                                -1234567.891,
                                9007199254740993.0};
  std::mt19937_64 random(20240502);
  while (values.size() < 2000) {
    const std::uint64_t bits = random();
    double value;
    std::memcpy(&value, &bits, sizeof value);
    if (std::isfinite(value)) values.push_back(value);
  }
  for (double value : values) {
    Observation o;
    o.status = "final";
    o.code.text = "x";
    o.value_quantity = Quantity{value, "", "", "", ""};
    const DecodeResult<Resource> decoded = decode_resource(to_json(Resource{o}));
    ASSERT_TRUE(decoded.ok()) << to_json(Resource{o}) << describe(decoded.issues);
    EXPECT_EQ(std::get<Observation>(*decoded.value).value_quantity->value, value) << to_json(Resource{o});
  }
}

// ---- Writing ---------------------------------------------------------------------------------------------------

TEST(JsonWriter, PutsResourceTypeFirstAndLeavesOutEmptyElements) {
  const Patient patient{"p1", Meta{"2", "", {}, {}}, {Identifier{"urn:s", "1"}}, "", "1980-02-29"};
  EXPECT_EQ(to_json(Resource{patient}),
            R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"2"},)"
            R"("identifier":[{"system":"urn:s","value":"1"}],"birthDate":"1980-02-29"})");
}

TEST(JsonWriter, WritesObservationElementsInSpecificationOrder) {
  Observation o;
  o.derived_from = {Reference{"Observation/a", ""}};
  o.value_quantity = Quantity{12.5, "", "", "", "mg/dL"};
  o.subject = Reference{"Patient/1", ""};
  o.code = CodeableConcept{{}, "x"};
  o.status = "final";
  o.effective_period = Period{"2024-01-01", ""};
  o.id = "o";
  EXPECT_EQ(to_json(Resource{o}),
            R"({"resourceType":"Observation","id":"o","status":"final","code":{"text":"x"},)"
            R"("subject":{"reference":"Patient/1"},"effectivePeriod":{"start":"2024-01-01"},)"
            R"("valueQuantity":{"value":12.5,"code":"mg/dL"},"derivedFrom":[{"reference":"Observation/a"}]})");
}

TEST(JsonWriter, WritesWholeDecimalsWithoutFractionAndLeavesOutNaN) {
  Observation o;
  o.component = {
      ObservationComponent{{}, Quantity{3.0, "", "", "", ""}, ""},
      ObservationComponent{{}, Quantity{std::numeric_limits<double>::quiet_NaN(), "", "a", "", ""}, ""}};
  EXPECT_EQ(to_json(Resource{o}), R"({"resourceType":"Observation","component":[{"valueQuantity":{"value":3}},)"
                                  R"({"valueQuantity":{"unit":"a"}}]})");
}

TEST(JsonWriter, WritesAComponentsTimeAndDateTimeValues) {
  // component.value[x] is a choice (R4 Observation.component.value[x]): each component writes the one it holds.
  Observation o;
  o.component = {
      ObservationComponent{CodeableConcept{{}, "a"}, std::nullopt, "", "23:50:00", ""},
      ObservationComponent{CodeableConcept{{}, "b"}, std::nullopt, "", "", "2024-05-01T14:00:00+01:00"}};
  EXPECT_EQ(to_json(Resource{o}),
            R"({"resourceType":"Observation","component":[{"code":{"text":"a"},"valueTime":"23:50:00"},)"
            R"({"code":{"text":"b"},"valueDateTime":"2024-05-01T14:00:00+01:00"}]})");
}

TEST(JsonWriter, WritesCarePlanScheduledTimingAsTimingRepeatTimeOfDay) {
  CarePlan c;
  c.activity = {CarePlanActivity{CarePlanActivityDetail{"Task", {}, {}, {}, "scheduled", {"08:00:00"}, "d"}}};
  EXPECT_EQ(to_json(Resource{c}),
            R"({"resourceType":"CarePlan","activity":[{"detail":{"kind":"Task","status":"scheduled",)"
            R"("scheduledTiming":{"repeat":{"timeOfDay":["08:00:00"]}},"description":"d"}}]})");
}

TEST(JsonWriter, WritesSubscriptionChannelExtensionsFirst) {
  Subscription s;
  s.channel = SubscriptionChannel{"websocket", "", "", {}, {{"urn:x", true}}};
  EXPECT_EQ(to_json(Resource{s}), R"({"resourceType":"Subscription","channel":{"extension":)"
                                  R"([{"url":"urn:x","valueBoolean":true}],"type":"websocket"}})");
}

TEST(JsonWriter, EscapesStrings) {
  Patient p;
  p.id = "a\"b\\c\n";
  const std::string json = to_json(Resource{p});
  EXPECT_EQ(json, R"({"resourceType":"Patient","id":"a\"b\\c\n"})");
  EXPECT_EQ(std::get<Patient>(*decode_resource(json).value).id, p.id);
}

// Strings that need no escape are copied as they are, the others escaped (RFC 8259 section 7): wherever the
// character falls in a long string, control characters as \u00XX, a NUL byte included, UTF-8 untouched.
TEST(JsonWriter, EscapesOnlyWhatJsonRequiresAnywhereInALongString) {
  Patient p;
  p.id = std::string(33, 'x') + "\"" + std::string(20, 'y') + std::string(1, '\0') + "\x1f";
  p.gender = "\xc2\xb5g/dL, 10\xe2\x80\x93 20 per litre, long enough for sixteen-byte steps";
  p.birth_date = "tab\tthere";
  const std::string json = to_json(Resource{p});
  EXPECT_EQ(json, "{\"resourceType\":\"Patient\",\"id\":\"" + std::string(33, 'x') + "\\\"" +
                      std::string(20, 'y') + "\\u0000\\u001F\",\"gender\":\"" + p.gender +
                      "\",\"birthDate\":\"tab\\tthere\"}");
  const auto decoded = decode_resource(json);
  ASSERT_TRUE(decoded.value.has_value());
  EXPECT_EQ(std::get<Patient>(*decoded.value), p);
}

}  // namespace
}  // namespace gg::fhir
