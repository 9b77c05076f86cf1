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

}  // namespace
}  // namespace gg::gateway
