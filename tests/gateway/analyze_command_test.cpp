// gradient-gateway analyze over a patient file with a full hormone panel and a saliva cortisol day series: every
// gradient of the contract, one RiskAssessment, and (with a site's target range) a CarePlan from the suggestion
// catalogue (the analytics issue's floor).
#include "gateway/commands/analyze_command.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <set>
#include <sstream>

#include <unistd.h>

#include "analytics/date_time.hpp"

namespace gg::gateway {
namespace {

const std::string kConfig = std::string(GG_SOURCE_DIR) + "/config";
const std::string kPanel = std::string(GG_SOURCE_DIR) + "/tests/data/patients/full-panel.json";
const std::string kGel = std::string(GG_SOURCE_DIR) + "/tests/data/patients/testosterone-gel-4h.json";

// The shipped configuration alone: the panel's fasting glucose 5.2 mmol/L and insulin 18 uIU/mL give HOMA-IR
// 5.2 x 18 / 22.5 = 4.16 (Matthews 1985), above the shipped adult cut-off 2.05 (Gayoso-Diz 2013, the cut-off the
// authors recommend), so a CarePlan is drafted. Cortisol:cortisone is two gradients (clinical review M2): serum
// (08:00 cortisol 15 ug/dL with cortisone 2.0 ug/dL) and saliva (the 23:00 cortisol 1.5 nmol/L with the PM-trough
// saliva cortisone 71893-2, 5 nmol/L).
TEST(AnalyzeCommand, FullPanelGivesEveryContractGradientTheRiskAssessmentAndACarePlan) {
  auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.has_value());

  AnalyzeOptions options{{kPanel}, analytics::parse_fhir_date_time("2026-11-21T00:00:00Z").instant->utc, false};
  AnalyzeSummary summary;
  std::ostringstream err;
  const auto written = analyze_inputs(*loaded, options, err, summary);
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
                       "cortisol-cortisone-ratio-saliva", "free-testosterone-calculated", "free-androgen-index",
                       "homa-ir", "cortisol-diurnal-slope", "cortisol-car-aucg", "cortisol-car-auci",
                       "cortisol-cosinor-mesor", "cortisol-cosinor-amplitude", "cortisol-cosinor-acrophase"}));
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
  bool homa_high = false;
  for (const auto& prediction : risk->prediction) {
    if (prediction.outcome->coding.at(0).code == "homa-ir") {
      ASSERT_TRUE(prediction.qualitative_risk);
      // Beyond the cut-off by at least half of it (the shipped level threshold 0.5): 4.16 >= 2.05 x 1.5 = 3.075.
      homa_high = prediction.qualitative_risk->coding.at(0).code == "high";
      EXPECT_NE(prediction.rationale.find("4.16"), std::string::npos) << prediction.rationale;
      EXPECT_NE(prediction.rationale.find("Gayoso-Diz"), std::string::npos) << prediction.rationale;
    }
  }
  EXPECT_TRUE(homa_high);
  for (const auto& entry : written[0].entries) {
    const auto* observation = std::get_if<fhir::Observation>(&*entry.resource);
    if (observation == nullptr || observation->code.coding.at(0).code != "cortisol-cortisone-ratio-saliva")
      continue;
    // 1.5 / 5 nmol/L; the saliva ratio is the 0.2-0.5 order the clinical review (M2) gives, far from serum's 5-10.
    EXPECT_NEAR(*observation->value_quantity->value, 0.3, 1e-12);
  }
}

// The floor of issue 8 (item 5): a midnight serum cortisol with a morning DHEA-S gives no cortisol:DHEA-S ratio.
// tests/data/patients/midnight-cortisol-dheas.json: cortisol 2143-6 drawn at 00:00, DHEA-S 2191-5 at 08:00 the
// same day (+01:00). The ratio takes only a morning cortisol (config/rules/gradients.yaml, from the morning
// samples of Phillips AC et al., Eur J Endocrinol 2010;163:285-292).
const std::string kMidnight = std::string(GG_SOURCE_DIR) + "/tests/data/patients/midnight-cortisol-dheas.json";

std::vector<PatientWriteBack> analyze_file(const LoadedKnowledge& knowledge, const std::string& file,
                                           AnalyzeSummary& summary, std::ostream& err) {
  AnalyzeOptions options{{file}, analytics::parse_fhir_date_time("2026-11-21T00:00:00Z").instant->utc, false};
  return analyze_inputs(knowledge, options, err, summary);
}

bool has_code(const std::vector<PatientWriteBack>& written, std::string_view code) {
  for (const auto& patient : written) {
    for (const auto& entry : patient.entries) {
      const auto* observation = std::get_if<fhir::Observation>(&*entry.resource);
      if (observation != nullptr && observation->code.coding.at(0).code == code) return true;
    }
  }
  return false;
}

TEST(AnalyzeCommand, MidnightSerumCortisolWithAMorningDheasGivesNoCortisolDheasRatio) {
  auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.has_value());
  AnalyzeSummary summary;
  std::ostringstream err;
  const auto written = analyze_file(*loaded, kMidnight, summary, err);
  EXPECT_EQ(summary.hormone_results, 2u) << err.str();
  EXPECT_EQ(summary.rejected, 0u) << err.str();
  EXPECT_FALSE(has_code(written, "cortisol-dheas-ratio"));
  EXPECT_EQ(summary.written, 0u);
}

// The same file with the pairing window widened to the whole day (what the rule used to have): the draws are 8 h
// apart, so only the time of day of the cortisol keeps them apart.
TEST(AnalyzeCommand, MidnightCortisolFormsNoRatioEvenWithAWholeDayWindow) {
  auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.has_value());
  for (auto& rule : loaded->knowledge.rules.ratios) {
    if (rule.code == "cortisol-dheas-ratio") rule.window = std::chrono::hours{24};
  }
  AnalyzeSummary summary;
  std::ostringstream err;
  EXPECT_FALSE(has_code(analyze_file(*loaded, kMidnight, summary, err), "cortisol-dheas-ratio"));

  for (auto& rule : loaded->knowledge.rules.ratios) {
    if (rule.code == "cortisol-dheas-ratio") {
      rule.numerator_timings.clear();
      rule.numerator_clock.reset();
    }
  }
  EXPECT_TRUE(has_code(analyze_file(*loaded, kMidnight, summary, err), "cortisol-dheas-ratio"));
}

// tests/data/patients/cortisol-dheas-pair.json: cortisol and DHEA-S both drawn at 07:45+01:00, a morning draw.
TEST(AnalyzeCommand, MorningCortisolAndDheasStillFormTheRatio) {
  auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.has_value());
  AnalyzeSummary summary;
  std::ostringstream err;
  const auto written = analyze_file(
      *loaded, std::string(GG_SOURCE_DIR) + "/tests/data/patients/cortisol-dheas-pair.json", summary, err);
  EXPECT_TRUE(has_code(written, "cortisol-dheas-ratio")) << err.str();
}

// Issue 8 floor: a serum cortisol day series of 6 samples over 24 h (tests/data/patients/serum-cortisol-day.json:
// 08:00 16.3 ug/dL by 2143-6, then 310, 220, 140, 45 and 160 nmol/L by 14675-3 at 12:00, 16:00, 20:00, 00:00 and
// 04:00, +01:00; illustrative values of a diurnal curve) prints the three serum cosinor values, and nothing of the
// saliva rules.
TEST(AnalyzeCommand, SerumCortisolDaySeriesPrintsTheSerumCosinor) {
  auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.has_value());
  const std::string file = std::string(GG_SOURCE_DIR) + "/tests/data/patients/serum-cortisol-day.json";
  AnalyzeOptions options{{file}, analytics::parse_fhir_date_time("2026-11-22T00:00:00Z").instant->utc, false};

  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_analyze(*loaded, options, out, err), 0) << err.str();
  for (const char* code :
       {"cortisol-serum-cosinor-mesor", "cortisol-serum-cosinor-amplitude", "cortisol-serum-cosinor-acrophase"}) {
    EXPECT_NE(out.str().find(std::string("\"code\":\"") + code + "\""), std::string::npos) << code;
  }

  AnalyzeSummary summary;
  std::ostringstream err2;
  const auto written = analyze_inputs(*loaded, options, err2, summary);
  ASSERT_EQ(written.size(), 1u) << err2.str();
  std::map<std::string, double> values;
  for (const auto& entry : written[0].entries) {
    if (const auto* observation = std::get_if<fhir::Observation>(&*entry.resource)) {
      values[observation->code.coding.at(0).code] = observation->value_quantity->value.value();
    }
  }
  ASSERT_EQ(values.size(), 3u);  // no slope, no awakening response, no saliva code

  // Independent computation: equally spaced samples over one whole 24 h cycle make the cosinor's normal equations
  // diagonal (Cornelissen G, Theor Biol Med Model 2014;11:16), so MESOR = mean, beta = (2/n) sum y cos(2 pi t/24),
  // gamma = (2/n) sum y sin(2 pi t/24), amplitude = sqrt(beta^2 + gamma^2), peak clock time = atan2(gamma, beta)
  // in hours. 16.3 ug/dL = 16.3 x 10^4 / 362.46 nmol/L (cortisol 362.46 g/mol, config/terminology/analytes.yaml).
  const std::vector<std::pair<double, double>> series = {
      {8, 16.3e4 / 362.46}, {12, 310}, {16, 220}, {20, 140}, {0, 45}, {4, 160}};
  double mean = 0, beta = 0, gamma = 0;
  for (const auto& [hours, value] : series) {
    const double angle = 2 * std::numbers::pi * hours / 24;
    mean += value / 6;
    beta += 2 * value * std::cos(angle) / 6;
    gamma += 2 * value * std::sin(angle) / 6;
  }
  double peak = std::atan2(gamma, beta) * 24 / (2 * std::numbers::pi);
  if (peak < 0) peak += 24;
  EXPECT_NEAR(values["cortisol-serum-cosinor-mesor"], mean, 1e-9);
  EXPECT_NEAR(values["cortisol-serum-cosinor-amplitude"], std::hypot(beta, gamma), 1e-9);
  EXPECT_NEAR(values["cortisol-serum-cosinor-acrophase"], peak, 1e-9);
}

// Issue 8 floor (clinical review H1): a man of 35 on testosterone gel (MedicationStatement, transdermal, applied
// at 07:00) with total testosterone 1010 ng/dL (35.0 nmol/L), SHBG 30 nmol/L and albumin 4.4 g/dL drawn at 11:00,
// 4 h after application: inside the 2-8 h window in which the Endocrine Society guideline (Bhasin S et al., J Clin
// Endocrinol Metab 2018;103:1715-1744) has the monitoring sample drawn. The Vermeulen free testosterone, 877
// pmol/L, is assessed against Ho 2006's 245-785 pmol/L (men 20-45 y) with its risk level, and no trough or other
// repeat is proposed.
TEST(AnalyzeCommand, TestosteroneGelDrawnFourHoursAfterApplicationIsAssessedWithoutATroughProposal) {
  auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.has_value());
  AnalyzeOptions options{{kGel}, analytics::parse_fhir_date_time("2026-11-21T00:00:00Z").instant->utc, false};
  AnalyzeSummary summary;
  std::ostringstream err;
  const auto written = analyze_inputs(*loaded, options, err, summary);
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
  ASSERT_TRUE(loaded.has_value());
  const auto file = std::filesystem::temp_directory_path() / "gg-analyze-implausible.ndjson";
  std::ofstream(file) << probe_pair("overflow", "1e308", "180")
                      << probe_pair("huge", "12345678901234567890", "180") << probe_pair("zero", "14.2", "0");

  AnalyzeOptions options{
      {file.string()}, analytics::parse_fhir_date_time("2026-11-21T00:00:00Z").instant->utc, false};
  std::ostringstream out;
  std::ostringstream err;
  AnalyzeSummary summary;
  const int status = run_analyze(*loaded, options, out, err, &summary);
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

// Issue 12: the inputs are scanned first and patients analysed in the order of their references, so the output is
// the same whatever order the inputs have and however many threads analyse. Forty patients of probe_pair (each a
// morning cortisol and DHEA-S pair that gives the ratio, values varied), written three ways: grouped by patient in
// one NDJSON file; by resource type as $export writes them (Patients, then Observations, here in reverse patient
// order); and one collection Bundle.
class AnalyzeOrder : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
    ASSERT_TRUE(loaded.has_value());
    knowledge_ = std::move(*loaded);
    directory_ = std::filesystem::temp_directory_path() / ("gg-analyze-order-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory_);
    std::vector<std::string> patients;
    std::vector<std::string> observations;
    std::ofstream grouped(directory_ / "grouped.ndjson");
    for (int i = 0; i < 40; ++i) {
      const std::string id = "p" + std::to_string(100 + i);
      std::istringstream lines(probe_pair(id, std::to_string(10 + i % 7), std::to_string(150 + 3 * i)));
      std::string line;
      for (int n = 0; std::getline(lines, line); ++n) {
        grouped << line << '\n';
        (n == 0 ? patients : observations).push_back(line);
      }
    }
    std::ofstream(directory_ / "Patient.ndjson") << join(patients, "\n");
    std::reverse(observations.begin(), observations.end());
    std::ofstream(directory_ / "Observation.ndjson") << join(observations, "\n");
    std::vector<std::string> entries;
    entries.reserve(patients.size() + observations.size());
    for (const auto& line : patients) entries.push_back(R"({"resource":)" + line + "}");
    for (const auto& line : observations) entries.push_back(R"({"resource":)" + line + "}");
    std::ofstream(directory_ / "collection.json")
        << R"({"resourceType":"Bundle","type":"collection","entry":[)" << join(entries, ",\n") << "]}";
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  static std::string join(const std::vector<std::string>& parts, const std::string& separator) {
    std::string text;
    for (const auto& part : parts) text += (text.empty() ? "" : separator) + part;
    return text;
  }

  // run_analyze over one file of the test directory on two threads: its status, counts and both streams.
  struct Run {
    int status = 0;
    AnalyzeSummary summary;
    std::string out;
    std::string err;
  };
  Run run_file(const std::string& file) {
    AnalyzeOptions options{{(directory_ / file).string()},
                           analytics::parse_fhir_date_time("2026-11-21T00:00:00Z").instant->utc,
                           false,
                           2};
    std::ostringstream out;
    std::ostringstream err;
    Run run;
    run.status = run_analyze(knowledge_, options, out, err, &run.summary);
    run.out = out.str();
    run.err = err.str();
    return run;
  }

  std::string analyze(const std::vector<std::string>& files, std::size_t jobs, bool ndjson = false,
                      std::size_t index_budget = kDefaultIndexBudget,
                      std::size_t scan_piece = ScanThreads::kDefaultMinPiece) {
    AnalyzeOptions options;
    options.as_of = analytics::parse_fhir_date_time("2026-11-21T00:00:00Z").instant->utc;
    options.ndjson = ndjson;
    options.jobs = jobs;
    options.index_budget = index_budget;
    options.scan_piece = scan_piece;
    for (const auto& file : files) options.inputs.push_back((directory_ / file).string());
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(run_analyze(knowledge_, options, out, err), 0) << err.str();
    return out.str();
  }

  LoadedKnowledge knowledge_;
  std::filesystem::path directory_;
};

TEST_F(AnalyzeOrder, GroupedByTypeAndBundledInputsGiveTheSameOutput) {
  const std::string grouped = analyze({"grouped.ndjson"}, 1);
  EXPECT_EQ(std::count(grouped.begin(), grouped.end(), '\n'), 1);
  for (int i = 0; i < 40; ++i) {
    EXPECT_NE(grouped.find("Patient/p" + std::to_string(100 + i)), std::string::npos) << i;
  }
  EXPECT_LT(grouped.find("Patient/p100"), grouped.find("Patient/p139"));  // in the order of the references
  EXPECT_EQ(analyze({"Patient.ndjson", "Observation.ndjson"}, 1), grouped);
  EXPECT_EQ(analyze({"Observation.ndjson", "Patient.ndjson"}, 1), grouped);
  EXPECT_EQ(analyze({"collection.json"}, 1), grouped);
}

TEST_F(AnalyzeOrder, ThreadsDoNotChangeTheOutput) {
  const std::string one = analyze({"Patient.ndjson", "Observation.ndjson"}, 1);
  EXPECT_EQ(analyze({"Patient.ndjson", "Observation.ndjson"}, 3), one);
  EXPECT_EQ(analyze({"grouped.ndjson"}, 2, true), analyze({"grouped.ndjson"}, 1, true));
  // Each input scanned in as many pieces as threads (pieces of any size here), within budget or spilled.
  EXPECT_EQ(analyze({"Patient.ndjson", "Observation.ndjson"}, 3, false, kDefaultIndexBudget, 1), one);
  EXPECT_EQ(analyze({"Observation.ndjson", "Patient.ndjson"}, 2, false, 1024, 1), one);
  EXPECT_EQ(analyze({"grouped.ndjson"}, 2, true, kDefaultIndexBudget, 1), analyze({"grouped.ndjson"}, 1, true));
}

// An index over its budget goes to sorted runs in temporary files and is merged back: the output does not change.
// A budget of 1 byte makes a run of every resource; 1 KB, runs of about 25 resources, so a patient's Patient and
// Observations land in different runs in every input order.
TEST_F(AnalyzeOrder, AnIndexSpilledToSortedRunsGivesTheSameOutput) {
  const std::string in_memory = analyze({"grouped.ndjson"}, 1);
  for (const std::size_t budget : {std::size_t{1}, std::size_t{1024}, std::size_t{4096}}) {
    EXPECT_EQ(analyze({"grouped.ndjson"}, 1, false, budget), in_memory) << budget;
    EXPECT_EQ(analyze({"Observation.ndjson", "Patient.ndjson"}, 1, false, budget), in_memory) << budget;
    EXPECT_EQ(analyze({"Patient.ndjson", "Observation.ndjson"}, 3, false, budget), in_memory) << budget;
    EXPECT_EQ(analyze({"collection.json"}, 2, false, budget), in_memory) << budget;
  }
  EXPECT_EQ(analyze({"grouped.ndjson"}, 2, true, 1024), analyze({"grouped.ndjson"}, 1, true));
}

// The Bundle written entry by entry is the Bundle fhir::to_json writes: parsed back, it is one transaction Bundle
// with every patient's entries, and with no patient to write it has no entry array at all.
TEST_F(AnalyzeOrder, TheStreamedBundleIsOneTransactionBundle) {
  const std::string text = analyze({"grouped.ndjson"}, 2);
  auto decoded = fhir::decode_bundle(text);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value->type, "transaction");
  EXPECT_EQ(std::count_if(decoded.value->entry.begin(), decoded.value->entry.end(),
                          [](const fhir::BundleEntry& entry) {
                            return std::holds_alternative<fhir::RiskAssessment>(*entry.resource);
                          }),
            40);
  EXPECT_EQ(fhir::to_json(*decoded.value) + "\n", text);
  EXPECT_EQ(analyze({"Patient.ndjson"}, 2), R"({"resourceType":"Bundle","type":"transaction"})"
                                            "\n");
}

// A non-hormone Observation is skipped from its code without being decoded, so a bad value in it is not a
// rejection; the same bad value in a hormone result is, with the line it was on, and a broken line between good
// ones stops nothing.
TEST_F(AnalyzeOrder, OnlyWantedResourcesAreDecodedAndABrokenLineStopsNothing) {
  std::ofstream(directory_ / "mixed.ndjson")
      << R"({"resourceType":"Observation","id":"hr","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p100"},"valueQuantity":{"value":"fast"}})"
      << "\n{\"resourceType\":\"Observation\",\"id\":\"cut\n"
      << R"({"resourceType":"Observation","id":"bad","code":{"coding":[{"system":"http://loinc.org","code":"2143-6"}]},"subject":{"reference":"Patient/p100"},"valueQuantity":{"value":"high"}})"
      << "\n"
      << probe_pair("p100", "12", "180");
  auto run = run_file("mixed.ndjson");
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.summary.rejected, 2u) << run.err;
  EXPECT_EQ(run.summary.skipped_by_type["Observation"], 1u) << run.err;
  EXPECT_NE(run.err.find("mixed.ndjson:2: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("mixed.ndjson:3: "), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("cortisol-dheas-ratio"), std::string::npos);
}

// A wanted result is scanned only until its subject (fhir::scan_resource); a fault after it is found when it is
// decoded, with its patient: reported with its line all the same, as is the same fault in a result nobody wants.
TEST_F(AnalyzeOrder, AFaultAfterTheSubjectIsReportedWantedOrNot) {
  std::ofstream(directory_ / "tails.ndjson")
      << R"({"resourceType":"Observation","id":"hr","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p100"},"valueQuantity":{"value":60} "note":[]})"
      << "\n"
      << R"({"resourceType":"Observation","id":"late","code":{"coding":[{"system":"http://loinc.org","code":"2143-6"}]},"subject":{"reference":"Patient/p100"},"valueQuantity":{"value":12,"unit":"ug/dL"} "note":[]})"
      << "\n"
      << probe_pair("p100", "12", "180");
  auto run = run_file("tails.ndjson");
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.summary.rejected, 2u) << run.err;
  EXPECT_EQ(run.summary.skipped, run.summary.skipped_by_type["Patient"]) << run.err;  // no Observation skipped
  EXPECT_NE(run.err.find("tails.ndjson:1: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("tails.ndjson:2: "), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("cortisol-dheas-ratio"), std::string::npos);
}

}  // namespace
}  // namespace gg::gateway
