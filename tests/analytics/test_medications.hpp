// Medication fixtures built in code, mirroring config/terminology/medications.yaml (each figure cites the source
// the shipped file cites), and builders for the FHIR medication resources that tell of doses.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analytics/dosing.hpp"
#include "fhir/resources.hpp"

namespace gg::analytics::testing {

inline constexpr const char* kAtc = "http://www.whocc.no/atc";
inline constexpr const char* kSnomed = "http://snomed.info/sct";

inline MedicationRoute route_entry(Route route, std::optional<double> peak_from, std::optional<double> peak_to,
                                   std::string peak_source, double interval_hours, std::string interval_source,
                                   std::vector<std::string> forms = {},
                                   std::optional<SamplingWindow> sampling = std::nullopt) {
  MedicationRoute entry;
  entry.route = route;
  entry.peak_from_hours = peak_from;
  entry.peak_to_hours = peak_to;
  entry.peak_source = std::move(peak_source);
  entry.dosing_interval_hours = interval_hours;
  entry.interval_source = std::move(interval_source);
  entry.forms = std::move(forms);
  entry.sampling = std::move(sampling);
  return entry;
}

inline SamplingWindow pre_dose(std::string advice, std::string source) {
  SamplingWindow window;
  window.at = SamplingTime::pre_dose;
  window.advice = std::move(advice);
  window.source = std::move(source);
  return window;
}

inline SamplingWindow after_dose(double from, double to, std::string advice, std::string source) {
  SamplingWindow window;
  window.at = SamplingTime::after_dose;
  window.from_hours = from;
  window.to_hours = to;
  window.advice = std::move(advice);
  window.source = std::move(source);
  return window;
}

// The tolerance is the shipped SITE SETTING (0.15), not a clinical figure.
inline SamplingWindow mid_interval(std::string advice, std::string source, double site_tolerance_fraction = 0.15) {
  SamplingWindow window;
  window.at = SamplingTime::mid_interval;
  window.site_tolerance_fraction = site_tolerance_fraction;
  window.advice = std::move(advice);
  window.source = std::move(source);
  return window;
}

// Hydrocortisone: oral peak 0.33-2 h (SmPC 5.2), pre-dose sampling, a recorded dose covering 8 h (24 h / 3 doses a
// day, SmPC 4.2; clinical review L10); local products dropped by name.
inline Medication hydrocortisone_medication() {
  Medication medication;
  medication.id = "hydrocortisone";
  medication.display = "Hydrocortisone";
  medication.affects = {"cortisol"};
  medication.glucocorticoid = true;
  medication.codes = {{kAtc, "H02AB09"}, {kSnomed, "396458002"}};
  medication.names = {"hydrocortisone"};
  medication.local_product_words = {"cream", "ointment", "eye", "topical"};
  medication.routes = {route_entry(Route::oral, 0.33, 2.0, "SmPC 5.2", 8, "SmPC 4.2", {},
                                   pre_dose("before the next hydrocortisone dose (pre-dose)", "SmPC 5.2"))};
  return medication;
}

// Testosterone: IM cypionate/enanthate peak 48-120 h (Nankin HR, Fertil Steril 1987;47:1004-1009), sampled midway
// between injections (Bhasin 2010, table 8), interval 336 h; gel sampled 2-8 h after application (Bhasin 2018),
// patch 3-12 h (Bhasin 2010, table 8); a gel recorded "topical" is transdermal.
inline Medication testosterone_medication() {
  Medication medication;
  medication.id = "testosterone";
  medication.display = "Testosterone";
  medication.affects = {"testosterone", "testosterone-free", "estradiol"};
  medication.codes = {{kAtc, "G03BA03"}};
  medication.names = {"testosterone"};
  auto gel = route_entry(Route::transdermal, std::nullopt, std::nullopt, "", 24, "gel labels", {"gel"},
                         after_dose(2, 8, "2-8 h after applying the gel", "Bhasin 2018"));
  gel.recorded_as = {Route::topical};
  medication.routes = {
      route_entry(Route::intramuscular, 48.0, 120.0, "Nankin 1987", 336, "label", {},
                  mid_interval("midway between two injections", "Bhasin 2010, table 8")),
      gel,
      route_entry(Route::transdermal, std::nullopt, std::nullopt, "", 24, "Androderm label", {"patch"},
                  after_dose(3, 12, "3-12 h after applying the patch", "Bhasin 2010, table 8")),
      route_entry(Route::transdermal, std::nullopt, std::nullopt, "", 24, "gel and patch labels"),
  };
  return medication;
}

// Estradiol and progesterone: systemic gels, sprays and suppositories, no local products.
inline Medication estradiol_medication() {
  Medication medication;
  medication.id = "estradiol";
  medication.display = "Estradiol";
  medication.affects = {"estradiol"};
  medication.names = {"estradiol", "oestradiol"};
  medication.routes = {
      route_entry(Route::transdermal, std::nullopt, std::nullopt, "", 24, "Evamist label", {"gel", "spray"}),
      route_entry(Route::transdermal, std::nullopt, std::nullopt, "", 84, "clinical review L11")};
  return medication;
}

inline Medication progesterone_medication() {
  Medication medication;
  medication.id = "progesterone";
  medication.display = "Progesterone";
  medication.affects = {"progesterone"};
  medication.names = {"progesterone"};
  medication.routes = {route_entry(Route::oral, 1.0, 3.0, "Prometrium label 12.3", 24, "Prometrium label 2"),
                       route_entry(Route::vaginal, std::nullopt, std::nullopt, "", 24, "Crinone label")};
  return medication;
}

// Prednisolone: cortisol drawn on it is not assessed (clinical review M9); not a glucocorticoid dose curve.
inline Medication prednisolone_medication() {
  Medication medication;
  medication.id = "prednisolone";
  medication.display = "Prednisolone";
  medication.affects = {"cortisol"};
  medication.names = {"prednisolone"};
  medication.local_product_words = {"eye", "drops", "enema"};
  medication.not_assessed = NotAssessed{
      {"cortisol"}, "interpret with care: glucocorticoid other than hydrocortisone.", "clinical review M9"};
  medication.routes = {route_entry(Route::oral, 1.0, 3.0, "SmPC 5.2", 24, "SmPC 4.2")};
  return medication;
}

// Insulin: HOMA-IR of an insulin-treated patient is not assessed (clinical review M8).
inline Medication insulin_medication() {
  Medication medication;
  medication.id = "insulin";
  medication.display = "Insulin";
  medication.affects = {"insulin"};
  medication.names = {"insulin"};
  medication.not_assessed =
      NotAssessed{{"insulin"}, "the patient is treated with insulin.", "Matthews 1985; clinical review M8"};
  medication.routes = {route_entry(Route::subcutaneous, std::nullopt, std::nullopt, "", 24, "glargine SmPC 4.2")};
  return medication;
}

inline MedicationCatalogue medications() {
  MedicationCatalogue catalogue;
  catalogue.medications = {hydrocortisone_medication(), testosterone_medication(), estradiol_medication(),
                           progesterone_medication(),   prednisolone_medication(), insulin_medication()};
  return catalogue;
}

inline fhir::CodeableConcept route(std::string code, std::string display) {
  return fhir::CodeableConcept{{{kSnomed, "", std::move(code), std::move(display)}}, ""};
}

// A MedicationStatement taken by Patient/p1: the product's name, its route text, and (optionally) when the last
// dose was taken.
inline fhir::MedicationUse statement(std::string id, std::string product, std::string route_text = "",
                                     std::string taken_at = "") {
  fhir::MedicationUse use;
  use.resource_type = "MedicationStatement";
  use.id = std::move(id);
  use.status = "active";
  use.medication_codeable_concept = fhir::CodeableConcept{{}, std::move(product)};
  use.subject.reference = "Patient/p1";
  use.effective_date_time = std::move(taken_at);
  if (!route_text.empty()) {
    fhir::Dosage dosage;
    dosage.route = fhir::CodeableConcept{{}, std::move(route_text)};
    use.dosage = {dosage};
  }
  return use;
}

// A MedicationAdministration to Patient/p1 at `when`.
inline fhir::MedicationUse administration(std::string id, std::string product, std::string route_text,
                                          std::string when) {
  auto use = statement(std::move(id), std::move(product), std::move(route_text));
  use.resource_type = "MedicationAdministration";
  use.status = "completed";
  use.effective_date_time = std::move(when);
  return use;
}

}  // namespace gg::analytics::testing
