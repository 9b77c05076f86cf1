// gradient-gateway analyze over a patient file with a full hormone panel and a saliva cortisol day series: every
// gradient of the contract, one RiskAssessment, and (with a site's target range) a CarePlan from the suggestion
// catalogue (the analytics issue's floor).
#include "gateway/analyze_command.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
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

// One patient of the reliability review's implausible-input probes (finding 3): a morning cortisol and DHEA-S pair
// in ug/dL as NDJSON lines, the cortisol value written as given (JSON number text).
std::string probe_pair(const std::string& patient, const std::string& cortisol, const std::string& dhea_s) {
  const auto observation = [&](const std::string& id, const std::string& code, const std::string& value,
                               const std::string& time) {
    return R"({"resourceType":"Observation","id":")" + id + R"(","status":"final","code":{"coding":[{)" +
           R"("system":"http://loinc.org","code":")" + code + R"("}]},"subject":{"reference":"Patient/)" +
           patient + R"("},"effectiveDateTime":")" + time + R"(","valueQuantity":{"value":)" + value +
           R"(,"unit":"ug/dL","system":"http://unitsofmeasure.org","code":"ug/dL"}})" + "\n";
  };
  return R"({"resourceType":"Patient","id":")" + patient + R"(","gender":"female","birthDate":"1984-06-12"})" +
         "\n" + observation(patient + "-cort", "2143-6", cortisol, "2026-11-20T07:45:00+01:00") +
         observation(patient + "-dheas", "2191-5", dhea_s, "2026-11-20T07:50:00+01:00");
}

// Through the command with the shipped catalogue: a cortisol of 1e308 ug/dL, one of 12345678901234567890 ug/dL and
// a DHEA-S of 0 are each reported on stderr as an OperationOutcome with its reason, the exit status is 1, and no
// derived Observation is written (before: "ratio inf", a ratio of 6.97e16, and silence).
TEST(AnalyzeCommand, ImplausibleResultsAreRejectedWithTheirReasonAndWriteNoGradient) {
  auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.knowledge);
  const auto file = std::filesystem::temp_directory_path() / "gg-analyze-implausible.ndjson";
  std::ofstream(file) << probe_pair("overflow", "1e308", "180")
                      << probe_pair("huge", "12345678901234567890", "180") << probe_pair("zero", "14.2", "0");

  AnalyzeOptions options{
      {file.string()}, analytics::parse_fhir_date_time("2026-11-21T00:00:00Z").instant->utc, false};
  std::ostringstream out;
  std::ostringstream err;
  AnalyzeSummary summary;
  const int status = run_analyze(*loaded.knowledge, options, out, err, &summary);
  std::filesystem::remove(file);

  EXPECT_EQ(status, 1) << err.str();
  EXPECT_EQ(summary.rejected, 3u) << err.str();
  const std::string reported = err.str();
  EXPECT_NE(reported.find("Observation/overflow-cort not used (invalid-value)"), std::string::npos) << reported;
  EXPECT_NE(reported.find("Observation/huge-cort not used (implausible-value)"), std::string::npos) << reported;
  EXPECT_NE(reported.find("Observation/zero-dheas not used (invalid-value)"), std::string::npos) << reported;
  EXPECT_EQ(out.str().find("\"Observation\""), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("cortisol-dheas-ratio"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace gg::gateway
