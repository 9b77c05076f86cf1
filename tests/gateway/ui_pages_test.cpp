// The pages' pure parts (issue 14, docs/ui.md): the patient view built from an analysis (through `analyze --html`
// and directly, with derived Observations of the server), the operations view windowed over the metrics, and the
// page's HTML (its CSP hashes, data that cannot end its element).
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "analytics/date_time.hpp"
#include "fhir/json_codec.hpp"
#include "fhir/url.hpp"
#include "gateway/commands/analyze_command.hpp"
#include "gateway/pipeline/pipeline.hpp"
#include "gateway/pipeline/write_back.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/ui/assets.hpp"
#include "gateway/ui/page.hpp"
#include "gateway/ui/patient_page.hpp"
#include "gateway/ui/status_page.hpp"

namespace gg::gateway {
namespace {

namespace fs = std::filesystem;

const std::string kConfig = std::string(GG_SOURCE_DIR) + "/config";
const std::string kPanel = std::string(GG_SOURCE_DIR) + "/tests/data/patients/full-panel.json";

std::chrono::sys_seconds at(const char* text) {
  return analytics::parse_fhir_date_time(text).instant->utc;
}

const LoadedKnowledge& knowledge() {
  static const LoadedKnowledge loaded = *load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  return loaded;
}

fs::path temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "gg-ui-XXXXXX").string();
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  return pattern;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A parsed JSON value read the way the assertions read it (simdjson's DOM; a missing member or a wrong type
// throws, and the test fails with it). Every document keeps its own parser, alive for the whole test run.
class Json {
 public:
  static Json parse(const std::string& text) {
    static std::deque<simdjson::dom::parser> parsers;
    parsers.emplace_back();
    return Json(parsers.back().parse(text).value());
  }
  Json operator[](const char* key) const { return Json(element_.at_key(key).value()); }
  Json operator[](std::size_t index) const { return Json(element_.at(index).value()); }
  Json operator[](int index) const { return (*this)[static_cast<std::size_t>(index)]; }
  double num() const { return element_.get_double().value(); }
  std::string str() const { return std::string(element_.get_string().value()); }
  bool boolean() const { return element_.get_bool().value(); }
  bool is_null() const { return element_.is_null(); }
  bool is_object() const { return element_.is_object(); }
  std::size_t size() const { return element_.get_array().size(); }
  std::vector<Json> items() const {
    const simdjson::dom::array array = element_.get_array().value();
    std::vector<Json> out;
    out.reserve(array.size());
    for (const auto item : array) out.push_back(Json(item));
    return out;
  }
  bool has(const char* key) const { return element_.at_key(key).error() == simdjson::SUCCESS; }

 private:
  explicit Json(simdjson::dom::element element) : element_(element) {}
  simdjson::dom::element element_;
};

// The report's data: the JSON array in its <script type="application/json" id="gg-data">.
Json report_data(const std::string& html) {
  const std::string open = R"(<script type="application/json" id="gg-data">)";
  const auto from = html.find(open);
  EXPECT_NE(from, std::string::npos);
  const auto to = html.find("</script>", from);
  return Json::parse(html.substr(from + open.size(), to - from - open.size()));
}

// Runs analyze --html over `inputs` and returns the report's data.
Json analyze_report(const std::vector<std::string>& inputs, const char* as_of) {
  const auto dir = temp_dir();
  AnalyzeOptions options{inputs, at(as_of), false};
  options.html = (dir / "report.html").string();
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_analyze(knowledge(), options, out, err), 0) << err.str();
  auto data = report_data(read_file(options.html));
  fs::remove_all(dir);
  return data;
}

Json with_member(const Json& array, const char* key, const char* value) {
  for (const auto& item : array.items()) {
    if (item.has(key) && !item[key].is_null() && item[key].str() == value) return item;
  }
  throw std::runtime_error(std::string("no element with ") + key + " = " + value);
}

// full-panel.json: saliva cortisol 12, 18, 15, 10, 8, 4, 2.5, 1.5 nmol/L at 07:00, 07:30, 08:00, 10:00, 12:00,
// 17:00, 20:00, 23:00 (+01:00); fasting glucose 5.2 mmol/L and insulin 18 uIU/mL; serum cortisol 15 ug/dL.
TEST(PatientPage, TheReportHoldsTheDayCurveItsFitTheAwakeningAreaAndEachValueAgainstItsTarget) {
  const auto data = analyze_report({kPanel}, "2026-11-21T12:00:00Z");
  ASSERT_EQ(data.size(), 1U);
  const auto& view = data[0];
  EXPECT_EQ(view["patient"]["reference"].str(), "Patient/full-panel");
  EXPECT_EQ(view["review"].str(), kReviewNote);

  const auto& curve = with_member(view["day_curves"], "prefix", "cortisol");
  EXPECT_EQ(curve["specimen"].str(), "saliva");
  ASSERT_EQ(curve["points"].size(), 8U);
  int in_fit = 0;
  int awakening = 0;
  for (const auto& point : curve["points"].items()) {
    in_fit += point["in_fit"].boolean() ? 1 : 0;
    awakening += point["awakening"].boolean() ? 1 : 0;
  }
  EXPECT_EQ(awakening, 3);  // waking (07:00) to +60 min
  // The cosinor leaves out the awakening samples after waking (07:30, 08:00): Cornelissen 2014 fits the circadian
  // curve, not the burst on top of it (review L13).
  EXPECT_EQ(in_fit, 6);
  EXPECT_DOUBLE_EQ(curve["points"][0]["clock_hours"].num(), 7.0);
  EXPECT_DOUBLE_EQ(curve["points"][7]["clock_hours"].num(), 23.0);

  // The drawn curve is the fitted model y = M + A cos(2 pi (t - acrophase) / 24) (Cornelissen 2014, eq. 1).
  const auto& fit = curve["cosinor"];
  const double m = fit["mesor"].num();
  const double a = fit["amplitude"].num();
  const double peak = fit["acrophase_hours"].num();
  EXPECT_EQ(fit["n"].num(), 6);
  ASSERT_EQ(fit["curve"].size(), static_cast<unsigned>(kCurvePoints));
  for (const auto& point : fit["curve"].items()) {
    const double t = point["clock_hours"].num();
    EXPECT_NEAR(point["value"].num(), m + a * std::cos(2 * std::numbers::pi * (t - peak) / 24), 1e-9);
  }
  EXPECT_DOUBLE_EQ(fit["curve"][0]["clock_hours"].num(), 0.0);
  EXPECT_DOUBLE_EQ(fit["curve"][kCurvePoints - 1]["clock_hours"].num(), 24.0);

  // Pruessner 2003 formulas 2 and 3 over 12, 18, 15 nmol/L at 0, 30, 60 min: AUCg = (12 + 18) / 2 x 30 +
  // (18 + 15) / 2 x 30 = 945; AUCi = 945 - 12 x 60 = 225 nmol/L x min.
  const auto& car = curve["awakening"];
  EXPECT_DOUBLE_EQ(car["aucg"].num(), 945);
  EXPECT_DOUBLE_EQ(car["auci"].num(), 225);
  EXPECT_DOUBLE_EQ(car["waking_clock_hours"].num(), 7.0);
  EXPECT_EQ(car["observations"].size(), 3U);
  EXPECT_TRUE(curve["doses"].size() == 0);
  EXPECT_TRUE(curve["dose_peak"].is_null());

  // HOMA-IR (Matthews 1985): 5.2 x 18 / 22.5 = 4.16, above the shipped cut-off 2.05 (Gayoso-Diz 2013) by more
  // than half of it: high.
  const auto& homa = with_member(view["series"], "code", "homa-ir");
  ASSERT_TRUE(homa["target"].is_object());
  EXPECT_TRUE(homa["target"]["low"].is_null());
  EXPECT_DOUBLE_EQ(homa["target"]["high"].num(), 2.05);
  EXPECT_NE(homa["target"]["source"].str().find("Gayoso-Diz"), std::string::npos);
  ASSERT_EQ(homa["points"].size(), 1U);
  const auto& value = homa["points"][0];
  EXPECT_NEAR(value["value"].num(), 5.2 * 18 / 22.5, 1e-12);
  EXPECT_EQ(value["outside"].str(), "above");
  EXPECT_EQ(value["level"].str(), "high");
  EXPECT_TRUE(value["current"].boolean());
  EXPECT_TRUE(value["observation"].is_null());  // offline: nothing is written under an id

  // An input as sent and in the canonical unit: cortisol 15 ug/dL = 150 ug/L / 362.46 g/mol (cortisol, C21H30O5)
  // = 413.84 nmol/L.
  const auto& ratio = with_member(view["series"], "code", "cortisol-dheas-ratio");
  EXPECT_TRUE(ratio["target"].is_null());  // no published target: no band, nothing outside
  EXPECT_TRUE(ratio["points"][0]["outside"].is_null());
  const auto& cortisol = with_member(ratio["points"][0]["inputs"], "analyte", "cortisol");
  EXPECT_DOUBLE_EQ(cortisol["original"]["value"].num(), 15);
  EXPECT_EQ(cortisol["original"]["unit"].str(), "ug/dL");
  EXPECT_NEAR(cortisol["canonical"]["value"].num(), 150.0 / 362.46 * 1000, 1e-6);
  EXPECT_EQ(cortisol["canonical"]["unit"].str(), "nmol/L");

  // Findings name their rule; the proposal names its catalogue entry and the finding's inputs.
  const auto& finding = with_member(view["findings"], "code", "homa-ir");
  EXPECT_EQ(finding["rule"].str(), "homa-ir");
  EXPECT_EQ(finding["level"].str(), "high");
  const auto& proposal = with_member(view["proposals"], "rule", "glycaemia-screening");
  EXPECT_EQ(proposal["finding"].str(), "homa-ir");
  EXPECT_EQ(proposal["inputs"].size(), 2U);
}

// A saliva day series under hydrocortisone (10 mg at 07:30, 5 mg at 12:00; the shipped peak window 0.33-2 h,
// hydrocortisone SmPC 5.2): a dose curve, not a rhythm. The doses are marked; the peak is the 08:30 sample 1 h
// after the 07:30 dose, the trough the 07:00 sample 19 h after the previous day's 12:00 dose.
TEST(PatientPage, UnderHydrocortisoneTheDayCurveMarksTheDosesThePeakAndTheTrough) {
  const auto dir = temp_dir();
  std::string bundle = R"({"resourceType":"Bundle","type":"collection","entry":[
    {"resource":{"resourceType":"Patient","id":"hc","gender":"male","birthDate":"1975-02-01"}},
    {"resource":{"resourceType":"MedicationStatement","id":"ms","status":"active",
      "medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB09",
                                               "display":"hydrocortisone"}]},
      "subject":{"reference":"Patient/hc"},"effectivePeriod":{"start":"2026-11-01"},
      "dosage":[{"route":{"coding":[{"system":"http://snomed.info/sct","code":"26643006"}]},
                 "timing":{"repeat":{"frequency":2,"period":1,"periodUnit":"d",
                                     "timeOfDay":["07:30:00","12:00:00"]}}}]}})";
  const std::pair<const char*, int> samples[] = {
      {"07:00", 4}, {"08:30", 30}, {"11:30", 12}, {"13:00", 22}, {"22:00", 3}};
  int n = 0;
  for (const auto& [time, value] : samples) {
    bundle += R"(,{"resource":{"resourceType":"Observation","id":"s)" + std::to_string(++n) +
              R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"51844-9"}]},
      "subject":{"reference":"Patient/hc"},"effectiveDateTime":"2026-11-20T)" +
              time + R"(:00+01:00","valueQuantity":{"value":)" + std::to_string(value) +
              R"(,"unit":"nmol/L","system":"http://unitsofmeasure.org","code":"nmol/L"}}})";
  }
  bundle += "]}";
  std::ofstream(dir / "hc.json") << bundle;
  const auto data = analyze_report({(dir / "hc.json").string()}, "2026-11-21T12:00:00Z");
  fs::remove_all(dir);
  ASSERT_EQ(data.size(), 1U);
  const auto& curve = with_member(data[0]["day_curves"], "prefix", "cortisol");
  EXPECT_EQ(curve["points"].size(), 5U);
  EXPECT_TRUE(curve["cosinor"].is_null());  // a dose curve is never fitted as an endogenous rhythm
  std::vector<std::string> doses;
  for (const auto& dose : curve["doses"].items()) {
    doses.push_back(dose["time"].str());
    EXPECT_EQ(dose["medication"].str(), "MedicationStatement/ms");
  }
  // Once per clock time, the day's own (the day before's 12:00 dose is the trough's, the same mark on the clock).
  std::sort(doses.begin(), doses.end());
  EXPECT_EQ(doses, (std::vector<std::string>{"2026-11-20T07:30:00+01:00", "2026-11-20T12:00:00+01:00"}));
  EXPECT_EQ(curve["dose_peak"]["observation"].str(), "Observation/s2");
  EXPECT_DOUBLE_EQ(curve["dose_peak"]["value"].num(), 30);
  EXPECT_DOUBLE_EQ(curve["dose_peak"]["hours_since_dose"].num(), 1);
  EXPECT_EQ(curve["dose_trough"]["observation"].str(), "Observation/s1");
  EXPECT_DOUBLE_EQ(curve["dose_trough"]["hours_since_dose"].num(), 19);
  EXPECT_DOUBLE_EQ(curve["points"][1]["hours_since_dose"].num(), 1);
}

// The series over time: the gateway's derived Observations of this patient (the server's), the value computed now
// matched to the one written for it, another patient's and retracted ones left out.
TEST(PatientPage, TheSeriesAreThePatientsDerivedObservationsWithTheValueComputedNow) {
  const auto panel = fhir::decode_bundle(read_file(kPanel));
  ASSERT_TRUE(panel.ok());
  PatientContext context;
  for (const auto& entry : panel.value->entry) {
    if (const auto* patient = std::get_if<fhir::Patient>(&*entry.resource)) {
      context.facts = analytics::patient_facts(*patient);
    }
    if (const auto* observation = std::get_if<fhir::Observation>(&*entry.resource)) {
      context.observations.push_back(*observation);
    }
  }
  context.facts.reference = "Patient/full-panel";
  const auto as_of = at("2026-11-21T12:00:00Z");
  const auto analysed = analyze_patient(context, knowledge(), as_of);
  const auto homa = std::find_if(analysed.analysis.gradients.begin(), analysed.analysis.gradients.end(),
                                 [](const analytics::Gradient& g) { return g.code == "homa-ir"; });
  ASSERT_NE(homa, analysed.analysis.gradients.end());

  const auto derived = [](const char* id, const char* subject, const char* status, const char* code,
                          const std::string& when, double value) {
    fhir::Observation observation;
    observation.id = id;
    observation.status = status;
    observation.subject.reference = subject;
    observation.code.coding.push_back({std::string(analytics::kGradientCodeSystem), "", code, code});
    observation.effective_date_time = when;
    fhir::Quantity quantity;
    quantity.value = value;
    quantity.code = "1";
    observation.value_quantity = quantity;
    fhir::Reference source;
    source.reference = "Observation/fp-13/_history/1";
    observation.derived_from.push_back(source);
    return observation;
  };
  const std::vector<fhir::Observation> on_server{
      derived("d1", "Patient/full-panel", "final", "homa-ir", homa->effective.text, homa->value.value),
      derived("d0", "Patient/full-panel", "final", "homa-ir", "2026-10-01T08:00:00+01:00", 1.5),
      derived("x1", "Patient/other", "final", "homa-ir", "2026-10-02T08:00:00+01:00", 9.0),
      derived("r1", "Patient/full-panel", "entered-in-error", "homa-ir", "2026-10-03T08:00:00+01:00", 7.0),
      derived("c0", "Patient/full-panel", "amended", "cortisol-dheas-ratio", "2026-09-01T08:00:00+01:00", 0.1)};
  const std::string json = patient_page_json({context, analysed.analysis, on_server, knowledge(), as_of});
  const auto view = Json::parse(json);

  const auto& series = with_member(view["series"], "code", "homa-ir");
  ASSERT_EQ(series["points"].size(), 2U);  // d0, then d1 holding the value computed now
  EXPECT_EQ(series["points"][0]["observation"].str(), "Observation/d0");
  EXPECT_FALSE(series["points"][0]["current"].boolean());
  EXPECT_TRUE(series["points"][0]["outside"].is_null());  // 1.5 <= 2.05
  EXPECT_EQ(series["points"][1]["observation"].str(), "Observation/d1");
  EXPECT_TRUE(series["points"][1]["current"].boolean());
  EXPECT_EQ(series["points"][1]["outside"].str(), "above");
  EXPECT_EQ(series["points"][0]["inputs"][0]["observation"].str(), "Observation/fp-13");
  EXPECT_EQ(with_member(view["findings"], "code", "homa-ir")["observation"].str(), "Observation/d1");

  const auto& ratio = with_member(view["series"], "code", "cortisol-dheas-ratio");
  ASSERT_EQ(ratio["points"].size(), 2U);  // the amended earlier value, and the one computed now (not written)
  EXPECT_EQ(ratio["points"][0]["observation"].str(), "Observation/c0");
  EXPECT_TRUE(ratio["points"][1]["observation"].is_null());
}

// The operations view: /metrics' numbers now minus the oldest sample of the last hour.
TEST(StatusPage, EachFigureIsTheMetricsChangeOverTheWindow) {
  MetricsRegistry metrics;
  auto& rest_hook = metrics.counter("gradient_gateway_events_recorded_total", "", {{"source", "rest-hook"}});
  auto& poll = metrics.counter("gradient_gateway_events_recorded_total", "", {{"source", "poll"}});
  auto& done = metrics.counter("gradient_gateway_events_done_total", "");
  auto& unit = metrics.counter("gradient_gateway_results_rejected_total", "", {{"reason", "unit-unknown"}});
  auto& latency = metrics.histogram(std::string(kFhirRequestSeconds), "", {0.01, 0.1});
  rest_hook.inc(5);  // before the window: not counted
  const auto t0 = at("2026-12-05T10:00:00Z");
  StatusSampler sampler(metrics, t0);
  rest_hook.inc(3);
  poll.inc(1);
  done.inc(2);
  unit.inc(2);
  latency.observe(0.005);
  latency.observe(0.05);

  auto opened = StateStore::open(":memory:");
  ASSERT_TRUE(opened);
  auto store = std::move(*opened);
  IntakeEvent event;
  event.resource_type = "Observation";
  event.resource_id = "1";
  event.source = IntakeSource::rest_hook;
  event.received_at = "2026-12-05T09:59:30Z";
  store->record_event(event);

  auto status = Json::parse(sampler.status_json(*store, t0 + std::chrono::minutes(2)));
  EXPECT_EQ(status["events"]["received"].num(), 4);
  EXPECT_EQ(status["events"]["recorded"].num(), 4);
  EXPECT_EQ(status["events"]["reconciled"].num(), 1);
  EXPECT_EQ(status["events"]["processed"].num(), 2);
  ASSERT_EQ(status["rejected"].size(), 1U);
  EXPECT_EQ(status["rejected"][0]["reason"].str(), "unit-unknown");
  EXPECT_EQ(status["rejected"][0]["count"].num(), 2);
  EXPECT_EQ(status["queue"]["pending"].num(), 1);
  EXPECT_EQ(status["queue"]["oldest_pending_age_seconds"].num(), 150);
  EXPECT_EQ(status["fhir_latency"]["count"].num(), 2);
  ASSERT_EQ(status["fhir_latency"]["buckets"].size(), 3U);
  EXPECT_EQ(status["fhir_latency"]["buckets"][0]["count"].num(), 1);  // <= 0.01 s
  EXPECT_EQ(status["fhir_latency"]["buckets"][1]["count"].num(), 2);  // <= 0.1 s (cumulative)
  EXPECT_EQ(status["fhir_latency"]["buckets"][2]["le"].str(), "+Inf");

  // An hour and a half later, with a sample every half hour: what happened since the sample at the window's
  // start (t0 + 30 min) counts; the earlier 3 received do not.
  sampler.sample(t0 + std::chrono::minutes(30));
  rest_hook.inc(7);
  sampler.sample(t0 + std::chrono::minutes(60));
  status = Json::parse(sampler.status_json(*store, t0 + std::chrono::minutes(95)));
  EXPECT_EQ(status["events"]["received"].num(), 7);
  EXPECT_EQ(status["events"]["processed"].num(), 0);
  EXPECT_TRUE(status["rejected"].size() == 0);
  EXPECT_EQ(status["since"].str(), "2026-12-05T10:35:00Z");
  ASSERT_EQ(status["timeline"].size(), 2U);  // t0 + 60 min (7 received), and since then until now
  EXPECT_EQ(status["timeline"][0]["received"].num(), 7);
  EXPECT_EQ(status["timeline"][1]["received"].num(), 0);
}

std::string sha256_base64(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return fhir::base64(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

// CSP Level 3 (hash-source): the inline script and style are allowed by their SHA-256, nothing else is.
TEST(Page, AllowsExactlyItsOwnScriptAndStyleAndItsDataCannotEndItsElement) {
  ASSERT_FALSE(ui::script().empty());
  const auto policy = content_security_policy(PageKind::patient);
  EXPECT_NE(policy.find("script-src 'sha256-" + sha256_base64(ui::script()) + "'"), std::string::npos) << policy;
  EXPECT_NE(policy.find("style-src 'sha256-" + sha256_base64(ui::style()) + "'"), std::string::npos) << policy;
  EXPECT_NE(policy.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(policy.find("connect-src 'self'"), std::string::npos);
  EXPECT_NE(content_security_policy(PageKind::report).find("connect-src 'none'"), std::string::npos);

  const std::string hostile = R"([{"note":"</script><script>alert(1)</script><!--"}])";
  const auto html = page_html(PageKind::report, "Report <1>", "", hostile);
  EXPECT_NE(html.find(R"(\u003c/script>\u003cscript>alert(1)\u003c/script>\u003c!--)"), std::string::npos);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("<title>Report &lt;1&gt;</title>"), std::string::npos);
  // The data element closes once, then the bundle's script.
  const auto data_end = html.find("</script>");
  EXPECT_EQ(html.compare(data_end + 9, 8, "<script>"), 0);

  const auto served = page_response(PageKind::status, "Operations", "/ui/api/status");
  EXPECT_EQ(served.status, 200U);
  EXPECT_EQ(served.content_type, "text/html; charset=utf-8");
  EXPECT_NE(served.body.find(R"(data-api="/ui/api/status")"), std::string::npos);
  EXPECT_EQ(served.body.find(R"(<script type="application/json")"), std::string::npos);  // it holds no data
  bool frame_ancestors = false;
  for (const auto& [name, value] : served.headers) {
    if (name == "Content-Security-Policy") frame_ancestors = value.ends_with("frame-ancestors 'none'");
  }
  EXPECT_TRUE(frame_ancestors);
}

}  // namespace
}  // namespace gg::gateway
