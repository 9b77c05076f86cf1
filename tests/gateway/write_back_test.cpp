#include "gateway/pipeline/write_back.hpp"

#include <gtest/gtest.h>

#include "gateway/config/knowledge_loader.hpp"

namespace gg::gateway {
namespace {

fhir::Observation result(std::string id, std::string version, std::string loinc, double value, std::string when) {
  fhir::Observation observation;
  observation.id = std::move(id);
  observation.meta.version_id = std::move(version);
  observation.status = "final";
  observation.code.coding = {{"http://loinc.org", "", std::move(loinc), ""}};
  observation.subject.reference = "Patient/p1";
  observation.effective_date_time = std::move(when);
  observation.value_quantity = fhir::Quantity{value, "", "ug/dL", "http://unitsofmeasure.org", "ug/dL"};
  return observation;
}

class WriteBackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = load_knowledge(std::string(GG_SOURCE_DIR) + "/config/terminology",
                                 std::string(GG_SOURCE_DIR) + "/config/rules");
    ASSERT_TRUE(loaded.has_value());
    knowledge_ = *loaded;
  }

  // With the shipped suggestion catalogue unless `with_catalogue` is false.
  analytics::Analysis analyse(std::vector<fhir::Observation> observations, bool with_range,
                              bool with_catalogue = true) {
    auto knowledge = knowledge_.knowledge;
    if (!with_catalogue) knowledge.suggestions.clear();
    if (with_range) {
      analytics::TargetRange range;
      range.gradient_code = "cortisol-dheas-ratio";
      range.low = 0.02;
      range.high = 0.05;
      range.source = "test site policy";
      knowledge.assessment.target_ranges = {range};
    }
    analytics::PatientFacts facts;
    facts.reference = "Patient/p1";
    facts.sex = analytics::Sex::female;  // the shipped DHEA-S CVi was measured in women
    return analytics::analyze(facts, observations, knowledge,
                              std::chrono::sys_days{std::chrono::year{2026} / 11 / 25});
  }

  WriteBackContext context() const { return {"Patient/p1", "2026-11-25T00:00:00Z", "rules", "1", "0.1.0"}; }

  LoadedKnowledge knowledge_;
};

TEST_F(WriteBackTest, NoGradientWritesNothing) {
  auto analysis = analyse({result("c1", "1", "2143-6", 15, "2026-11-20T08:00:00+01:00")}, true);
  EXPECT_TRUE(write_back_entries(analysis, context()).empty());
}

TEST_F(WriteBackTest, FindingOutsideTargetWritesObservationRiskAssessmentCarePlanAndProvenance) {
  auto analysis = analyse({result("c1", "1", "2143-6", 15, "2026-11-20T08:00:00+01:00"),
                           result("d1", "3", "2191-5", 200, "2026-11-20T08:30:00+01:00")},
                          true);
  auto entries = write_back_entries(analysis, context());
  ASSERT_EQ(entries.size(), 4u);
  std::vector<std::string> types;
  types.reserve(entries.size());
  for (const auto& entry : entries) types.emplace_back(fhir::resource_type(*entry.resource));
  EXPECT_EQ(types, (std::vector<std::string>{"Observation", "RiskAssessment", "CarePlan", "Provenance"}));

  const auto& derived = std::get<fhir::Observation>(*entries[0].resource);
  EXPECT_EQ(derived.code.coding[0].system, "http://gradient-gateway.dev/fhir/CodeSystem/gradient");
  EXPECT_EQ(derived.code.coding[0].code, "cortisol-dheas-ratio");
  EXPECT_EQ(derived.derived_from.size(), 2u);
  EXPECT_EQ(derived.derived_from[0].reference, "Observation/c1/_history/1");
  EXPECT_EQ(derived.derived_from[1].reference, "Observation/d1/_history/3");
  EXPECT_EQ(derived.effective_date_time, "2026-11-20T08:30:00+01:00");  // the later input's time, as written
  // (15 ug/dL / 362.46 g/mol) / (200 ug/dL / 368.49 g/mol), molar masses from config/terminology/analytes.yaml
  EXPECT_NEAR(*derived.value_quantity->value, (15.0 / 362.46) / (200.0 / 368.49), 1e-9);

  const auto& risk = std::get<fhir::RiskAssessment>(*entries[1].resource);
  EXPECT_EQ(risk.status, "final");
  ASSERT_EQ(risk.prediction.size(), 1u);
  EXPECT_EQ(risk.prediction[0].qualitative_risk->coding[0].system,
            "http://terminology.hl7.org/CodeSystem/risk-probability");
  EXPECT_EQ(risk.basis.size(), 2u);

  const auto& plan = std::get<fhir::CarePlan>(*entries[2].resource);
  EXPECT_EQ(plan.intent, "proposal");
  EXPECT_EQ(plan.status, "draft");
  EXPECT_EQ(plan.supporting_info[0].reference, entries[1].full_url);
  EXPECT_EQ(plan.activity[0].detail.reason_reference[0].reference, entries[0].full_url);
  // The shipped catalogue's answer to a cortisol:DHEA-S finding (config/rules/suggestions.yaml).
  ASSERT_EQ(plan.activity.size(), 1u);
  EXPECT_EQ(plan.activity[0].detail.kind, "ServiceRequest");
  EXPECT_EQ(plan.activity[0].detail.scheduled_timing_time_of_day, std::vector<std::string>{"08:00:00"});
  EXPECT_EQ(plan.activity[0].detail.description.rfind("Proposal for clinician review, not an order.", 0), 0u);
  EXPECT_NE(plan.activity[0].detail.description.find("Phillips AC"), std::string::npos);  // morning samples
  EXPECT_EQ(plan.activity[0].detail.reason_code[0].text, risk.prediction[0].rationale);

  const auto& provenance = std::get<fhir::Provenance>(*entries[3].resource);
  EXPECT_EQ(provenance.target.size(), 3u);
  EXPECT_EQ(provenance.entity.size(), 2u);
}

// A gradient's code member is written once and reused: a rule set reloaded with another display for the same code
// writes the new display, and the first gradient written keeps its own.
TEST_F(WriteBackTest, AGradientsCodeIsWrittenWithItsOwnDisplay) {
  auto analysis = analyse({result("c1", "1", "2143-6", 15, "2026-11-20T08:00:00+01:00"),
                           result("d1", "3", "2191-5", 200, "2026-11-20T08:30:00+01:00")},
                          true);
  ASSERT_FALSE(analysis.gradients.empty());
  const std::string shipped = analysis.gradients[0].display;
  const auto display_of = [&](const analytics::Analysis& written) {
    const auto entries = write_back_entries(written, context());
    const auto& derived = std::get<fhir::Observation>(*entries.at(0).resource);
    return std::make_pair(derived.code.coding.at(0).display, derived.code.text);
  };
  EXPECT_EQ(display_of(analysis), std::make_pair(shipped, shipped));
  auto renamed = analysis;
  renamed.gradients[0].display = "Cortisol to DHEA-S";
  EXPECT_EQ(display_of(renamed),
            std::make_pair(std::string("Cortisol to DHEA-S"), std::string("Cortisol to DHEA-S")));
  EXPECT_EQ(display_of(analysis), std::make_pair(shipped, shipped));
  // More displays than a thread keeps (KeptTexts): each still written with its own.
  for (int i = 0; i < 300; ++i) {
    renamed.gradients[0].display = "Cortisol to DHEA-S " + std::to_string(i);
    ASSERT_EQ(display_of(renamed).first, renamed.gradients[0].display);
  }
  EXPECT_EQ(display_of(analysis), std::make_pair(shipped, shipped));
}

TEST_F(WriteBackTest, EveryEntryIsAConditionalCreateOnItsIdentifier) {
  auto analysis = analyse({result("c1", "1", "2143-6", 15, "2026-11-20T08:00:00+01:00"),
                           result("d1", "1", "2191-5", 200, "2026-11-20T08:30:00+01:00")},
                          true);
  for (const auto& entry : write_back_entries(analysis, context())) {
    ASSERT_TRUE(entry.request);
    EXPECT_EQ(entry.request->method, "POST");
    EXPECT_EQ(entry.full_url.rfind("urn:uuid:", 0), 0u);
    if (entry.request->url == "Provenance") {
      EXPECT_EQ(entry.request->if_none_exist.rfind("_tag=" + std::string(kWriteBackIdentifierSystem) + "|", 0),
                0u);
    } else {
      EXPECT_EQ(
          entry.request->if_none_exist.rfind("identifier=" + std::string(kWriteBackIdentifierSystem) + "|", 0),
          0u);
    }
  }
}

TEST_F(WriteBackTest, SameInputsInAnyOrderGiveTheSameBytes) {
  auto c = result("c1", "1", "2143-6", 15, "2026-11-20T08:00:00+01:00");
  auto d = result("d1", "1", "2191-5", 200, "2026-11-20T08:30:00+01:00");
  auto first = fhir::to_json(transaction_bundle(write_back_entries(analyse({c, d}, true), context())));
  auto second = fhir::to_json(transaction_bundle(write_back_entries(analyse({d, c}, true), context())));
  EXPECT_EQ(first, second);
}

TEST_F(WriteBackTest, CorrectedInputGetsNewIdentifiers) {
  auto c = result("c1", "1", "2143-6", 15, "2026-11-20T08:00:00+01:00");
  auto d = result("d1", "1", "2191-5", 200, "2026-11-20T08:30:00+01:00");
  auto before = write_back_entries(analyse({c, d}, true), context());
  c.meta.version_id = "2";
  auto after = write_back_entries(analyse({c, d}, true), context());
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_NE(before[i].full_url, after[i].full_url);
}

TEST_F(WriteBackTest, WithoutTargetRangeTheValueIsReportedWithoutLevelAndNoCarePlan) {
  auto analysis = analyse({result("c1", "1", "2143-6", 15, "2026-11-20T08:00:00+01:00"),
                           result("d1", "1", "2191-5", 200, "2026-11-20T08:30:00+01:00")},
                          false);
  auto entries = write_back_entries(analysis, context());
  ASSERT_EQ(entries.size(), 3u);  // Observation, RiskAssessment, Provenance
  const auto& risk = std::get<fhir::RiskAssessment>(*entries[1].resource);
  EXPECT_FALSE(risk.prediction[0].qualitative_risk.has_value());
}

TEST_F(WriteBackTest, PreliminaryInputMakesThePreliminaryRiskAssessment) {
  auto c = result("c1", "1", "2143-6", 15, "2026-11-20T08:00:00+01:00");
  c.status = "preliminary";
  auto entries = write_back_entries(
      analyse({c, result("d1", "1", "2191-5", 200, "2026-11-20T08:30:00+01:00")}, true), context());
  ASSERT_GE(entries.size(), 2u);
  EXPECT_EQ(std::get<fhir::Observation>(*entries[0].resource).status, "preliminary");
  EXPECT_EQ(std::get<fhir::RiskAssessment>(*entries[1].resource).status, "preliminary");
}

TEST_F(WriteBackTest, FindingNoSuggestionAnswersGetsAReviewActivity) {
  auto analysis = analyse({result("c1", "1", "2143-6", 15, "2026-11-20T08:00:00+01:00"),
                           result("d1", "3", "2191-5", 200, "2026-11-20T08:30:00+01:00")},
                          true, false);
  const auto entries = write_back_entries(analysis, context());
  ASSERT_EQ(entries.size(), 4u);
  const auto& plan = std::get<fhir::CarePlan>(*entries[2].resource);
  ASSERT_EQ(plan.activity.size(), 1u);
  EXPECT_TRUE(plan.activity[0].detail.kind.empty());
  ASSERT_EQ(analysis.finding_proposals.size(), 1u);
  EXPECT_EQ(plan.activity[0].detail.code->text, analysis.finding_proposals[0].title);
  EXPECT_EQ(plan.activity[0].detail.code->text, "Review the Cortisol:DHEA-S molar ratio finding");
  EXPECT_EQ(plan.activity[0].detail.reason_reference[0].reference, entries[0].full_url);
  EXPECT_EQ(plan.activity[0].detail.reason_code[0].text, analysis.findings[0].rationale);
  EXPECT_EQ(plan.activity[0].detail.description.rfind("Proposal for clinician review, not an order.", 0), 0u);
}

// Trends (issue 4): two days of cortisol and DHEA-S pairs. The shipped biological-variation.yaml gives cortisol
// CVa 9 %, CVi 18 % and DHEA-S CVa 10 %, CVi 20 %, so the ratio's log-normal limits are exp(+-1.96 * sqrt(2) *
// sigma) - 1 with sigma^2 = ln(1 + 0.09^2 + 0.18^2 + 0.10^2 + 0.20^2): +126.1 % and
// -55.8 % (computed by hand from the formula in analytics/trend.hpp).
std::vector<fhir::Observation> two_days(double day_two_cortisol_ug_dl) {
  return {result("c1", "1", "2143-6", 15, "2026-11-19T08:00:00+01:00"),
          result("d1", "1", "2191-5", 200, "2026-11-19T08:30:00+01:00"),
          result("c2", "1", "2143-6", day_two_cortisol_ug_dl, "2026-11-20T08:00:00+01:00"),
          result("d2", "1", "2191-5", 200, "2026-11-20T08:30:00+01:00")};
}

const fhir::ObservationComponent* component(const fhir::Observation& observation, std::string_view code) {
  for (const auto& c : observation.component) {
    if (c.code.coding.size() == 1 && c.code.coding[0].code == code) return &c;
  }
  return nullptr;
}

TEST_F(WriteBackTest, SignificantRiseIsWrittenAsComponentsInterpretationDerivedFromAndNote) {
  const auto entries = write_back_entries(analyse(two_days(40), false), context());  // +166.7 % > +126.1 %
  ASSERT_FALSE(entries.empty());
  const auto& derived = std::get<fhir::Observation>(*entries[0].resource);

  const auto* previous = component(derived, "trend-previous-value");
  ASSERT_NE(previous, nullptr);
  EXPECT_EQ(previous->code.coding[0].system, "http://gradient-gateway.dev/fhir/CodeSystem/gradient");
  EXPECT_NEAR(*previous->value_quantity->value, (15.0 / 362.46) / (200.0 / 368.49), 1e-9);
  EXPECT_EQ(previous->value_quantity->code, "1");
  const auto* change = component(derived, "trend-change-percent");
  ASSERT_NE(change, nullptr);
  EXPECT_NEAR(*change->value_quantity->value, 100.0 * (40.0 - 15.0) / 15.0, 1e-9);
  EXPECT_EQ(change->value_quantity->code, "%");
  EXPECT_EQ(change->value_quantity->system, "http://unitsofmeasure.org");
  const auto* up = component(derived, "trend-rcv-up-percent");
  ASSERT_NE(up, nullptr);
  EXPECT_NEAR(*up->value_quantity->value, 126.11423075538961, 1e-9);
  EXPECT_EQ(up->value_quantity->code, "%");
  const auto* down = component(derived, "trend-rcv-down-percent");
  ASSERT_NE(down, nullptr);
  EXPECT_NEAR(*down->value_quantity->value, -55.77456595017233, 1e-9);
  EXPECT_EQ(down->value_quantity->code, "%");
  EXPECT_EQ(component(derived, "trend-rcv-percent"), nullptr);  // replaced by the two limits

  ASSERT_EQ(derived.interpretation.size(), 1u);
  EXPECT_EQ(derived.interpretation[0].coding[0].system,
            "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation");
  EXPECT_EQ(derived.interpretation[0].coding[0].code, "U");
  EXPECT_EQ(derived.interpretation[0].coding[0].display, "Significant change up");

  std::vector<std::string> from;
  for (const auto& reference : derived.derived_from) from.push_back(reference.reference);
  EXPECT_EQ(from, (std::vector<std::string>{"Observation/c2/_history/1", "Observation/d2/_history/1",
                                            "Observation/c1/_history/1", "Observation/d1/_history/1"}));
  EXPECT_EQ(
      derived.note.back().text,
      "Change since the previous value (0.07625 on 2026-11-19T08:30:00+01:00): +166.7 %, above the reference "
      "change limits for Cortisol:DHEA-S molar ratio (-55.8 % to +126.1 %): a significant rise.");

  const auto json = fhir::to_json(derived);
  EXPECT_NE(json.find(R"("interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-)"
                      R"(ObservationInterpretation","code":"U")"),
            std::string::npos)
      << json;
}

TEST_F(WriteBackTest, SignificantFallIsInterpretedDown) {
  const auto entries = write_back_entries(analyse(two_days(5), false), context());  // -66.7 % < -55.8 %
  const auto& derived = std::get<fhir::Observation>(*entries[0].resource);
  ASSERT_EQ(derived.interpretation.size(), 1u);
  EXPECT_EQ(derived.interpretation[0].coding[0].code, "D");
  EXPECT_EQ(derived.interpretation[0].coding[0].display, "Significant change down");
  EXPECT_NE(derived.note.back().text.find("-66.7 %, below the reference change limits for Cortisol:DHEA-S molar "
                                          "ratio (-55.8 % to +126.1 %): a significant fall."),
            std::string::npos)
      << derived.note.back().text;
}

TEST_F(WriteBackTest, ChangeWithinTheLimitsHasNoInterpretation) {
  // +100 % is beyond the symmetric RCV (83.4 %) but within the log-normal limit for a rise (review finding M1).
  const auto entries = write_back_entries(analyse(two_days(30), false), context());
  const auto& derived = std::get<fhir::Observation>(*entries[0].resource);
  EXPECT_TRUE(derived.interpretation.empty());
  EXPECT_NE(component(derived, "trend-rcv-up-percent"), nullptr);
  EXPECT_NE(component(derived, "trend-rcv-down-percent"), nullptr);
  EXPECT_NE(
      derived.note.back().text.find(
          "+100.0 %, within the reference change limits for Cortisol:DHEA-S molar ratio (-55.8 % to +126.1 %): "
          "not a significant change."),
      std::string::npos)
      << derived.note.back().text;
}

TEST_F(WriteBackTest, ChangeWithoutLimitsIsReportedWithoutLimitComponentsOrInterpretation) {
  auto analysis = analyse(two_days(40), false);
  auto& trend = *analysis.gradients[0].trend;
  trend.rcv_up_percent.reset();
  trend.rcv_down_percent.reset();
  trend.significant = false;
  trend.no_rcv_reason = "no biological variation is known for dhea-s in serum-plasma";
  const auto entries = write_back_entries(analysis, context());
  const auto& derived = std::get<fhir::Observation>(*entries[0].resource);
  EXPECT_NE(component(derived, "trend-change-percent"), nullptr);
  EXPECT_EQ(component(derived, "trend-rcv-up-percent"), nullptr);
  EXPECT_EQ(component(derived, "trend-rcv-down-percent"), nullptr);
  EXPECT_TRUE(derived.interpretation.empty());
  EXPECT_NE(derived.note.back().text.find("+166.7 %, not judged: no biological variation is known for dhea-s"),
            std::string::npos)
      << derived.note.back().text;
}

TEST_F(WriteBackTest, OnePairWritesNoTrend) {
  const auto entries = write_back_entries(analyse({result("c1", "1", "2143-6", 15, "2026-11-20T08:00:00+01:00"),
                                                   result("d1", "1", "2191-5", 200, "2026-11-20T08:30:00+01:00")},
                                                  false),
                                          context());
  const auto& derived = std::get<fhir::Observation>(*entries[0].resource);
  EXPECT_TRUE(derived.component.empty());
  EXPECT_TRUE(derived.interpretation.empty());
  EXPECT_EQ(derived.derived_from.size(), 2u);
}

}  // namespace
}  // namespace gg::gateway

namespace gg::gateway {
namespace {

// Dose timing (issues 4 and 8): a cortisol drawn 1 h after oral hydrocortisone (shipped medications.yaml: peak
// 0.33-2 h, hydrocortisone SmPC 5.2; sampling pre-dose) is not assessed; the analysis's timing proposal becomes a
// ServiceRequest activity without clock times, the RiskAssessment cites the MedicationStatement in its basis.
TEST_F(WriteBackTest, ADrawInTheDosesPeakGivesItsPreDoseProposalAndTheMedicationInTheBasis) {
  fhir::MedicationUse statement;
  statement.resource_type = "MedicationStatement";
  statement.id = "hc";
  statement.status = "active";
  statement.medication_codeable_concept =
      fhir::CodeableConcept{{{"http://www.whocc.no/atc", "", "H02AB09", "hydrocortisone"}}, ""};
  statement.subject.reference = "Patient/p1";
  fhir::Dosage dosage;
  dosage.route = fhir::CodeableConcept{{{"http://snomed.info/sct", "", "26643006", "Oral route"}}, ""};
  dosage.timing = fhir::Timing{{}, fhir::TimingRepeat{}, std::nullopt};
  dosage.timing->repeat->time_of_day = {"07:00:00"};
  statement.dosage = {dosage};
  const std::vector<fhir::MedicationUse> medications{statement};
  const std::vector<fhir::Observation> pair{result("c1", "1", "2143-6", 15, "2026-11-20T08:00:00+01:00"),
                                            result("d1", "1", "2191-5", 200, "2026-11-20T08:30:00+01:00")};
  analytics::PatientFacts facts;
  facts.reference = "Patient/p1";
  const auto analysis = analytics::analyze(facts, pair, medications, knowledge_.knowledge,
                                           std::chrono::sys_days{std::chrono::year{2026} / 11 / 25});
  const auto entries = write_back_entries(analysis, context());

  const fhir::RiskAssessment* risk = nullptr;
  const fhir::CarePlan* plan = nullptr;
  const fhir::Observation* ratio = nullptr;
  for (const auto& entry : entries) {
    if (const auto* r = std::get_if<fhir::RiskAssessment>(&*entry.resource)) risk = r;
    if (const auto* p = std::get_if<fhir::CarePlan>(&*entry.resource)) plan = p;
    if (const auto* o = std::get_if<fhir::Observation>(&*entry.resource)) ratio = o;
  }
  ASSERT_NE(risk, nullptr);
  ASSERT_NE(ratio, nullptr);
  bool cites_medication = false;
  for (const auto& basis : risk->basis)
    cites_medication = cites_medication || basis.reference == "MedicationStatement/hc";
  EXPECT_TRUE(cites_medication);
  ASSERT_EQ(ratio->component.size(), 1u);
  EXPECT_EQ(ratio->component[0].code.coding[0].code, "hours-since-dose");
  EXPECT_EQ(ratio->component[0].value_quantity->value, 1.0);
  EXPECT_EQ(ratio->component[0].value_quantity->code, "h");

  ASSERT_NE(plan, nullptr);
  ASSERT_EQ(plan->activity.size(), 1u);
  const auto& detail = plan->activity[0].detail;
  EXPECT_EQ(detail.kind, "ServiceRequest");
  ASSERT_EQ(analysis.timing_proposals.size(), 1u);
  EXPECT_EQ(detail.code->text, analysis.timing_proposals[0].title);
  EXPECT_EQ(detail.code->text, "Repeat the Cortisol result before the next hydrocortisone dose (pre-dose)");
  EXPECT_NE(detail.reason_code[0].text.find("Observation/c1 was drawn 1.0 h after"), std::string::npos)
      << detail.reason_code[0].text;
  EXPECT_EQ(detail.description.rfind("Proposal for clinician review, not an order.", 0), 0u);
  EXPECT_NE(detail.description.find("Source: Not a guideline's sampling time"), std::string::npos)
      << detail.description;
  EXPECT_TRUE(detail.scheduled_timing_time_of_day.empty());  // a repeat to arrange, not a dosing schedule
  ASSERT_EQ(detail.reason_reference.size(), 1u);  // the derived Observation only (R4 allows no medication here)
}

}  // namespace
}  // namespace gg::gateway

namespace gg::gateway {
namespace {

// A censored DHEA-S ("< 20 ug/dL") makes the cortisol:DHEA-S ratio a lower bound: written with its comparator.
TEST_F(WriteBackTest, ABoundedRatioIsWrittenWithItsComparator) {
  auto dheas = result("d1", "1", "2191-5", 20, "2026-11-20T08:30:00+01:00");
  dheas.value_quantity->comparator = "<";
  const auto entries = write_back_entries(
      analyse({result("c1", "1", "2143-6", 15, "2026-11-20T08:00:00+01:00"), dheas}, false), context());
  ASSERT_FALSE(entries.empty());
  const auto& derived = std::get<fhir::Observation>(*entries[0].resource);
  EXPECT_EQ(derived.value_quantity->comparator, ">");
  // 15 ug/dL cortisol = 413.8 nmol/L (362.46 g/mol); 20 ug/dL DHEA-S = 542.8 nmol/L (368.49 g/mol).
  EXPECT_NEAR(*derived.value_quantity->value, (150.0 / 362.46) / (200.0 / 368.49), 1e-9);
  const auto& risk = std::get<fhir::RiskAssessment>(*entries[1].resource);
  EXPECT_NE(risk.prediction[0].outcome->text.find("> 0.76"), std::string::npos)
      << risk.prediction[0].outcome->text;
}

// One authoring path: the write-back is written as JSON, and serve's entries are that JSON decoded. Decoded and
// encoded again by fhir::to_json, they must give the same bytes, in both forms, for every element the write-back
// writes: a CarePlan, trends up, down and unjudged, a bound, a series period with components, notes that need
// escapes and a note without text.
TEST_F(WriteBackTest, ItsJsonIsTheBytesOfItsEntriesEncoded) {
  std::vector<analytics::Analysis> analyses;
  const auto pair = std::vector{result("c1", "1", "2143-6", 15, "2026-11-20T08:00:00+01:00"),
                                result("d1", "3", "2191-5", 200, "2026-11-20T08:30:00+01:00")};
  analyses.push_back(analyse(pair, true));
  analyses.push_back(analyse(two_days(40), false));
  analyses.push_back(analyse(two_days(5), true));
  auto unjudged = analyse(two_days(40), false);
  unjudged.gradients[0].trend->rcv_up_percent.reset();
  unjudged.gradients[0].trend->rcv_down_percent.reset();
  unjudged.gradients[0].trend->no_rcv_reason = "no biological variation";
  analyses.push_back(unjudged);
  auto bounded = pair;
  bounded[1].value_quantity->comparator = "<";
  analyses.push_back(analyse(bounded, true));
  auto series = analyse(pair, true);
  series.gradients[0].period = analytics::GradientPeriod{"2026-11-20T07:00:00+01:00", "2026-11-20T22:00:00+01:00"};
  series.gradients[0].components.push_back({"cosinor-rse", "Residual standard error", {1.25, "nmol/L"}});
  series.gradients[0].notes = {"a \"quoted\"\nnote\twith a \x01 control", ""};
  series.notes = {"analysis note"};
  analyses.push_back(series);

  for (std::size_t i = 0; i < analyses.size(); ++i) {
    const auto entries = write_back_entries(analyses[i], context());
    ASSERT_FALSE(entries.empty()) << i;
    std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
    EXPECT_EQ(append_write_back(analyses[i], context(), WriteBackForm::bundle_entries, bundle), entries.size());
    bundle += "]}";
    EXPECT_EQ(bundle, fhir::to_json(transaction_bundle(entries))) << i;
    std::string ndjson;
    std::string expected;
    EXPECT_EQ(append_write_back(analyses[i], context(), WriteBackForm::ndjson, ndjson), entries.size());
    for (const auto& entry : entries) expected += fhir::to_json(*entry.resource) + "\n";
    EXPECT_EQ(ndjson, expected) << i;
  }
}

}  // namespace
}  // namespace gg::gateway
