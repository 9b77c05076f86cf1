// gradient-gateway analyze over a patient file with a full hormone panel and a saliva cortisol day series: every
// gradient of the contract, one RiskAssessment, and (with a site's target range) a CarePlan from the suggestion
// catalogue (the analytics issue's floor).
#include "gateway/analyze_command.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "analytics/date_time.hpp"

namespace gg::gateway {
namespace {

const std::string kConfig = std::string(GG_SOURCE_DIR) + "/config";
const std::string kPanel = std::string(GG_SOURCE_DIR) + "/tests/data/patients/full-panel.json";
const std::string kGel = std::string(GG_SOURCE_DIR) + "/tests/data/patients/testosterone-gel-4h.json";

// The shipped configuration alone: the panel's fasting glucose 5.2 mmol/L and insulin 18 uIU/mL give HOMA-IR
// 5.2 x 18 / 22.5 = 4.16 (Matthews 1985), above the shipped 3.46 (Gayoso-Diz 2013, adults), so a CarePlan is
// drafted.
TEST(AnalyzeCommand, FullPanelGivesEveryContractGradientTheRiskAssessmentAndACarePlan) {
  auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.knowledge);

  AnalyzeOptions options{{kPanel}, analytics::parse_fhir_date_time("2026-11-21T00:00:00Z").instant->utc, false};
  AnalyzeSummary summary;
  std::ostringstream err;
  const auto written = analyse_inputs(*loaded.knowledge, options, err, summary);
  ASSERT_EQ(written.size(), 1u) << err.str();
  EXPECT_EQ(summary.rejected, 0u) << err.str();

  std::set<std::string> codes;
  std::vector<std::string> types;
  const fhir::CarePlan* plan = nullptr;
  for (const auto& entry : written[0].entries) {
    types.emplace_back(fhir::resource_type(*entry.resource));
    if (const auto* observation = std::get_if<fhir::Observation>(&*entry.resource)) {
      codes.insert(observation->code.coding.at(0).code);
    }
    if (const auto* care_plan = std::get_if<fhir::CarePlan>(&*entry.resource)) plan = care_plan;
  }
  EXPECT_EQ(codes, (std::set<std::string>{
                       "cortisol-dheas-ratio", "testosterone-estradiol-ratio", "free-t3-reverse-t3-ratio",
                       "lh-fsh-ratio", "progesterone-estradiol-ratio", "cortisol-cortisone-ratio",
                       "free-testosterone-calculated", "free-androgen-index", "homa-ir", "cortisol-diurnal-slope",
                       "cortisol-car-aucg", "cortisol-car-auci", "cortisol-cosinor-mesor",
                       "cortisol-cosinor-amplitude", "cortisol-cosinor-acrophase"}));
  EXPECT_EQ(std::count(types.begin(), types.end(), "RiskAssessment"), 1);
  EXPECT_EQ(std::count(types.begin(), types.end(), "Provenance"), 1);
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->intent, "proposal");
  ASSERT_EQ(plan->activity.size(),
            1u);  // config/rules/suggestions.yaml: glycaemia-screening answers homa-ir above
  EXPECT_EQ(plan->activity[0].detail.kind, "ServiceRequest");
  EXPECT_NE(plan->activity[0].detail.code->text.find("diabetes screening"), std::string::npos);
  const fhir::RiskAssessment* risk = nullptr;
  for (const auto& entry : written[0].entries) {
    if (const auto* r = std::get_if<fhir::RiskAssessment>(&*entry.resource)) risk = r;
  }
  ASSERT_NE(risk, nullptr);
  bool homa_moderate = false;
  for (const auto& prediction : risk->prediction) {
    if (prediction.outcome->coding.at(0).code == "homa-ir") {
      ASSERT_TRUE(prediction.qualitative_risk);
      homa_moderate = prediction.qualitative_risk->coding.at(0).code == "moderate";  // 4.16 < 3.46 x 1.5
      EXPECT_NE(prediction.rationale.find("4.16"), std::string::npos) << prediction.rationale;
      EXPECT_NE(prediction.rationale.find("Gayoso-Diz"), std::string::npos) << prediction.rationale;
    }
  }
  EXPECT_TRUE(homa_moderate);
}

// Issue 8 floor (clinical review H1): a man of 35 on testosterone gel (MedicationStatement, transdermal, applied
// at 07:00) with total testosterone 1010 ng/dL (35.0 nmol/L), SHBG 30 nmol/L and albumin 4.4 g/dL drawn at 11:00,
// 4 h after application: inside the 2-8 h window in which the Endocrine Society guideline (Bhasin S et al., J Clin
// Endocrinol Metab 2018;103:1715-1744) has the monitoring sample drawn. The Vermeulen free testosterone, 877
// pmol/L, is assessed against Ho 2006's 245-785 pmol/L (men 20-45 y) with its risk level, and no trough or other
// repeat is proposed.
TEST(AnalyzeCommand, TestosteroneGelDrawnFourHoursAfterApplicationIsAssessedWithoutATroughProposal) {
  auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.knowledge);
  AnalyzeOptions options{{kGel}, analytics::parse_fhir_date_time("2026-11-21T00:00:00Z").instant->utc, false};
  AnalyzeSummary summary;
  std::ostringstream err;
  const auto written = analyse_inputs(*loaded.knowledge, options, err, summary);
  ASSERT_EQ(written.size(), 1u) << err.str();
  EXPECT_EQ(summary.rejected, 0u) << err.str();

  const fhir::Observation* free_t = nullptr;
  const fhir::RiskAssessment* risk = nullptr;
  const fhir::CarePlan* plan = nullptr;
  for (const auto& entry : written[0].entries) {
    if (const auto* o = std::get_if<fhir::Observation>(&*entry.resource)) {
      if (o->code.coding.at(0).code == "free-testosterone-calculated") free_t = o;
    }
    if (const auto* r = std::get_if<fhir::RiskAssessment>(&*entry.resource)) risk = r;
    if (const auto* p = std::get_if<fhir::CarePlan>(&*entry.resource)) plan = p;
  }
  ASSERT_NE(free_t, nullptr);
  EXPECT_NEAR(*free_t->value_quantity->value, 876.7, 0.1);  // Vermeulen, derived.hpp
  bool hours_since_dose = false;
  for (const auto& component : free_t->component) {
    if (component.code.coding.at(0).code == "hours-since-dose") {
      hours_since_dose = true;
      EXPECT_EQ(component.value_quantity->value, 4.0);
    }
  }
  EXPECT_TRUE(hours_since_dose);
  ASSERT_NE(risk, nullptr);
  bool assessed = false;
  for (const auto& prediction : risk->prediction) {
    if (prediction.outcome->coding.at(0).code != "free-testosterone-calculated") continue;
    assessed = prediction.qualitative_risk.has_value();
    EXPECT_NE(prediction.rationale.find("Ho CK"), std::string::npos) << prediction.rationale;
    EXPECT_EQ(prediction.rationale.find("Not assessed"), std::string::npos) << prediction.rationale;
  }
  EXPECT_TRUE(assessed);
  ASSERT_NE(plan, nullptr);  // the finding above the range drafts a CarePlan from the suggestion catalogue
  for (const auto& activity : plan->activity) {
    const auto& title = activity.detail.code->text;
    EXPECT_EQ(title.find("trough"), std::string::npos) << title;
    EXPECT_EQ(title.find("Repeat the Testosterone result"), std::string::npos) << title;
    EXPECT_EQ(title.find("pre-dose"), std::string::npos) << title;
  }
}

}  // namespace
}  // namespace gg::gateway
