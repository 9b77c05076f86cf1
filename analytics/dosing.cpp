#include "analytics/dosing.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace gg::analytics {
namespace {

constexpr std::string_view kSnomed = "http://snomed.info/sct";

// Route::unknown is not spelt here: it is what a medication's route is when none of these is recognised, never a
// name a configuration may give.
constexpr std::array<EnumText<Route>, 8> kRouteText{{
    {Route::oral, "oral"},
    {Route::sublingual, "sublingual"},
    {Route::intramuscular, "intramuscular"},
    {Route::subcutaneous, "subcutaneous"},
    {Route::intravenous, "intravenous"},
    {Route::transdermal, "transdermal"},
    {Route::vaginal, "vaginal"},
    {Route::topical, "topical"},
}};

constexpr std::array<EnumText<DosePhase>, 4> kDosePhaseText{{
    {DosePhase::expected_peak, "expected-peak"},
    {DosePhase::before_peak, "before-peak"},
    {DosePhase::after_peak, "after-peak"},
    {DosePhase::unknown, "unknown"},
}};

// SNOMED CT route of administration values (FHIR ValueSet route-codes, an exemplar expansion of 284009009
// descendants): 26643006 Oral route, 37839007 Sublingual route, 78421000 Intramuscular route, 34206005
// Subcutaneous route, 47625008 Intravenous route, 45890007 Transdermal route, 16857009 Per vagina, 6064005 Topical
// route.
struct RouteCode {
  std::string_view code;
  Route route;
};
constexpr std::array<RouteCode, 8> kRouteCodes{{{"26643006", Route::oral},
                                                {"37839007", Route::sublingual},
                                                {"78421000", Route::intramuscular},
                                                {"34206005", Route::subcutaneous},
                                                {"47625008", Route::intravenous},
                                                {"45890007", Route::transdermal},
                                                {"16857009", Route::vaginal},
                                                {"6064005", Route::topical}}};

// Words of a route's text: "by mouth", "PO", "IM injection", "transdermal gel", "per vagina".
struct RouteWord {
  std::string_view word;
  Route route;
};
constexpr std::array<RouteWord, 16> kRouteWords{{{"oral", Route::oral},
                                                 {"mouth", Route::oral},
                                                 {"po", Route::oral},
                                                 {"sublingual", Route::sublingual},
                                                 {"intramuscular", Route::intramuscular},
                                                 {"im", Route::intramuscular},
                                                 {"subcutaneous", Route::subcutaneous},
                                                 {"sc", Route::subcutaneous},
                                                 {"intravenous", Route::intravenous},
                                                 {"iv", Route::intravenous},
                                                 {"transdermal", Route::transdermal},
                                                 {"cutaneous", Route::transdermal},
                                                 {"vaginal", Route::vaginal},
                                                 {"vagina", Route::vaginal},
                                                 {"topical", Route::topical},
                                                 {"skin", Route::topical}}};

// Lower-case words (letters and digits) of a text.
std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      word.push_back(static_cast<char>(std::tolower(u)));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

// True when `phrase` (one or more words) occurs as consecutive whole words in `words`.
bool contains_phrase(const std::vector<std::string>& words, std::string_view phrase) {
  const auto wanted = words_of(phrase);
  if (wanted.empty() || wanted.size() > words.size()) return false;
  return std::search(words.begin(), words.end(), wanted.begin(), wanted.end()) != words.end();
}

// The medication's codings and texts: medicationCodeableConcept, or the contained Medication "#id" refers to. A
// reference to a Medication elsewhere is not followed (its code is unknown here).
const fhir::CodeableConcept* medication_concept(const fhir::MedicationUse& use) {
  if (use.medication_codeable_concept) return &*use.medication_codeable_concept;
  if (!use.medication_reference) return nullptr;
  const auto& reference = use.medication_reference->reference;
  if (reference.size() < 2 || reference.front() != '#') return nullptr;
  for (const auto& medication : use.contained_medications) {
    if (medication.id == std::string_view(reference).substr(1)) return &medication.code;
  }
  return nullptr;
}

// The medication a concept names: a catalogue code first; else an ingredient name in its text or displays, unless
// a word of that medication's own local products is there too ("hydrocortisone cream").
const Medication* identify(const fhir::CodeableConcept& code, const MedicationCatalogue& catalogue,
                           const std::vector<std::string>& words) {
  for (const auto& coding : code.coding) {
    for (const auto& medication : catalogue.medications) {
      for (const auto& code : medication.codes) {
        if (code.system == coding.system && code.code == coding.code) return &medication;
      }
    }
  }
  for (const auto& medication : catalogue.medications) {
    const auto named = [&](const std::string& name) { return contains_phrase(words, name); };
    if (std::none_of(medication.names.begin(), medication.names.end(), named)) continue;
    if (std::any_of(medication.local_product_words.begin(), medication.local_product_words.end(), named)) continue;
    return &medication;
  }
  return nullptr;
}

// The words of a concept's text and its codings' displays.
std::vector<std::string> concept_words(const fhir::CodeableConcept& code) {
  std::vector<std::string> words = words_of(code.text);
  for (const auto& coding : code.coding) {
    auto more = words_of(coding.display);
    words.insert(words.end(), more.begin(), more.end());
  }
  return words;
}

bool taken(const fhir::MedicationUse& use) {
  const std::string_view status = use.status;
  if (status == "entered-in-error") return false;
  if (use.resource_type == "MedicationStatement") return status != "not-taken";
  if (use.resource_type == "MedicationAdministration") return status != "not-done";
  if (use.resource_type == "MedicationRequest") {
    if (status == "cancelled" || status == "draft") return false;
    const std::string_view intent = use.intent;
    return intent == "order" || intent == "original-order" || intent == "instance-order" || intent == "plan";
  }
  return false;
}

std::optional<FhirInstant> timed(std::string_view text) {
  return parse_fhir_date_time(text).instant;
}

// A bound of a regimen: a dateTime with a time, or a date (its start in UTC: the bound is approximate by the
// patient's offset).
std::optional<std::chrono::sys_seconds> bound(std::string_view text, bool end) {
  if (text.empty()) return std::nullopt;
  if (auto instant = timed(text)) return instant->utc;
  if (auto date = parse_fhir_date(text)) {
    const std::chrono::sys_seconds start{std::chrono::sys_days(*date)};
    return end ? start + std::chrono::days(1) : start;
  }
  return std::nullopt;
}

// "07:30:00" -> 450 min.
std::optional<std::chrono::minutes> clock_time(std::string_view text) {
  if (text.size() < 5 || text[2] != ':') return std::nullopt;
  const auto digit = [&](std::size_t i) { return std::isdigit(static_cast<unsigned char>(text[i])) != 0; };
  if (!digit(0) || !digit(1) || !digit(3) || !digit(4)) return std::nullopt;
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59) return std::nullopt;
  return std::chrono::minutes(hours * 60 + minutes);
}

// Hours of one Timing.repeat period unit; none for units whose length varies (mo, a) or is too short to be a
// dosing interval (s, min).
std::optional<double> unit_hours(std::string_view unit) {
  if (unit == "h") return 1.0;
  if (unit == "d") return 24.0;
  if (unit == "wk") return 168.0;
  return std::nullopt;
}

void read_dosage(const fhir::Dosage& dosage, MedicationExposure& exposure) {
  if (!dosage.timing) return;
  for (const auto& event : dosage.timing->event) {
    if (auto instant = timed(event)) exposure.doses.push_back(*instant);
  }
  const auto& repeat = dosage.timing->repeat;
  if (!repeat) return;
  // The patient's interval: `frequency` doses per `period` `periodUnit` (R4 Timing.repeat), e.g. 1 per 1 wk.
  if (const auto hours = unit_hours(repeat->period_unit); hours && repeat->period && *repeat->period > 0) {
    const int frequency = repeat->frequency.value_or(1);
    if (frequency > 0 && !exposure.interval_hours) exposure.interval_hours = *repeat->period * *hours / frequency;
  }
  // Every day at the given clock times: a period of one day (or none given); weekday-only regimens are not placed.
  const bool daily = (repeat->period_unit.empty() || repeat->period_unit == "d") &&
                     (!repeat->period || *repeat->period == 1) && repeat->day_of_week.empty();
  if (daily) {
    for (const auto& text : repeat->time_of_day) {
      if (auto time = clock_time(text)) exposure.daily_times.push_back(*time);
    }
  }
  if (repeat->bounds_period) {
    if (auto from = bound(repeat->bounds_period->start, false)) exposure.from = from;
    if (auto to = bound(repeat->bounds_period->end, true)) exposure.to = to;
  }
}

bool names_a_form(const MedicationRoute& entry, const std::vector<std::string>& forms) {
  return std::any_of(entry.forms.begin(), entry.forms.end(), [&](const std::string& form) {
    return std::find(forms.begin(), forms.end(), form) != forms.end();
  });
}

const MedicationRoute* route_of(const Medication& medication, Route route, const std::vector<std::string>& forms) {
  if (route != Route::unknown) {
    for (const auto& entry : medication.routes) {
      if (entry.route == route && names_a_form(entry, forms)) return &entry;
    }
    for (const auto& entry : medication.routes) {
      if (entry.route == route && entry.forms.empty()) return &entry;
    }
    return nullptr;
  }
  // An unstated route: the entry whose form the product names, or the medication's only entry.
  for (const auto& entry : medication.routes) {
    if (names_a_form(entry, forms)) return &entry;
  }
  if (medication.routes.size() == 1) return &medication.routes.front();
  return nullptr;
}

// A recorded route this medication's catalogue calls by another name (a testosterone gel recorded "topical" is
// transdermal); the route itself otherwise.
Route catalogue_route(const Medication& medication, Route recorded) {
  for (const auto& entry : medication.routes) {
    if (entry.route == recorded) return recorded;
  }
  for (const auto& entry : medication.routes) {
    if (std::find(entry.recorded_as.begin(), entry.recorded_as.end(), recorded) != entry.recorded_as.end()) {
      return entry.route;
    }
  }
  return recorded;
}

// The last dose at or before `at`, and whether it came from a regimen's clock times (which state every dose)
// rather than a recorded one (after which a later dose may be missing from the record).
struct LastDose {
  std::chrono::sys_seconds at;
  bool from_regimen = false;
};

std::optional<LastDose> last_dose(const MedicationExposure& exposure, const FhirInstant& at) {
  std::optional<LastDose> last;
  const auto consider = [&](std::chrono::sys_seconds dose, bool from_regimen) {
    if (dose <= at.utc && (!last || dose > last->at)) last = LastDose{dose, from_regimen};
  };
  for (const auto& dose : exposure.doses) consider(dose.utc, false);
  // A regimen runs while its use is active, or until its stated end; an undated finished one says nothing of now.
  if (!exposure.daily_times.empty() && (exposure.active || exposure.to)) {
    const auto local_day = std::chrono::floor<std::chrono::days>(at.utc + at.utc_offset);
    for (const auto day : {local_day, local_day - std::chrono::days(1)}) {
      for (const auto time : exposure.daily_times) {
        const std::chrono::sys_seconds dose = day + time - at.utc_offset;
        if (exposure.from && dose < *exposure.from) continue;
        if (exposure.to && dose > *exposure.to) continue;
        consider(dose, true);
      }
    }
  }
  return last;
}

// Where the draw falls against the route's recommended sampling time (dosing.hpp, SamplingFit).
void fit_sampling(const MedicationRoute& route, DoseTiming& timing) {
  if (!route.sampling || !timing.hours_since_dose) return;
  const auto& sampling = *route.sampling;
  const double hours = *timing.hours_since_dose;
  switch (sampling.at) {
    case SamplingTime::after_dose:
      timing.window_from_hours = sampling.from_hours;
      timing.window_to_hours = sampling.to_hours;
      break;
    case SamplingTime::mid_interval: {
      const double middle = timing.interval_hours / 2;
      const double tolerance = sampling.site_tolerance_fraction * timing.interval_hours;
      timing.window_from_hours = middle - tolerance;
      timing.window_to_hours = middle + tolerance;
      break;
    }
    case SamplingTime::pre_dose:
      // Before the next dose: a draw during the dose's absorption and peak is not one; after the peak the level
      // is judged as before.
      if (timing.phase == DosePhase::before_peak || timing.phase == DosePhase::expected_peak) {
        timing.fit = SamplingFit::outside;
      }
      return;
  }
  if (timing.window_from_hours && timing.window_to_hours) {
    const bool inside = *timing.window_from_hours <= hours && hours <= *timing.window_to_hours;
    timing.fit = inside ? SamplingFit::inside : SamplingFit::outside;
  }
}

}  // namespace

std::string_view to_string(Route route) {
  const auto text = text_of(kRouteText, route);
  return text.empty() ? "unknown" : text;
}

std::optional<Route> route_from_string(std::string_view text) {
  return value_of(kRouteText, text);
}

Route route_of(const fhir::CodeableConcept& route) {
  for (const auto& coding : route.coding) {
    if (coding.system != kSnomed) continue;
    for (const auto& entry : kRouteCodes) {
      if (entry.code == coding.code) return entry.route;
    }
  }
  std::vector<std::string> words = words_of(route.text);
  for (const auto& coding : route.coding) {
    auto more = words_of(coding.display);
    words.insert(words.end(), more.begin(), more.end());
  }
  for (const auto& word : words) {
    for (const auto& entry : kRouteWords) {
      if (entry.word == word) return entry.route;
    }
  }
  return Route::unknown;
}

std::string_view to_string(SamplingTime at) {
  return text_of(kSamplingTimeText, at);
}

std::optional<SamplingTime> sampling_time_from_string(std::string_view text) {
  return value_of(kSamplingTimeText, text);
}

const Medication* MedicationCatalogue::find(std::string_view id) const {
  for (const auto& medication : medications) {
    if (medication.id == id) return &medication;
  }
  return nullptr;
}

std::optional<MedicationExposure> read_medication_use(const fhir::MedicationUse& use,
                                                      const MedicationCatalogue& catalogue) {
  if (!taken(use)) return std::nullopt;
  const auto* code = medication_concept(use);
  if (code == nullptr) return std::nullopt;
  const auto words = concept_words(*code);
  const auto* medication = identify(*code, catalogue, words);
  if (medication == nullptr) return std::nullopt;

  MedicationExposure exposure;
  if (!use.id.empty()) exposure.reference = use.resource_type + "/" + use.id;  // cited only when it has an id
  exposure.medication_id = medication->id;
  exposure.active = use.status == "active";
  for (const auto& dosage : use.dosage) {
    if (dosage.route && exposure.route == Route::unknown) exposure.route = route_of(*dosage.route);
  }
  exposure.route = catalogue_route(*medication, exposure.route);
  // Skin and other local uses do not act on serum levels the way the catalogue's routes do (unless the catalogue
  // says this medication's "topical" is one of them, above).
  if (exposure.route == Route::topical) return std::nullopt;
  for (const auto& entry : medication->routes) {
    for (const auto& form : entry.forms) {
      if (contains_phrase(words, form) &&
          std::find(exposure.forms.begin(), exposure.forms.end(), form) == exposure.forms.end()) {
        exposure.forms.push_back(form);
      }
    }
  }

  if (use.resource_type == "MedicationAdministration") {
    const std::string_view when = !use.effective_date_time.empty() ? std::string_view(use.effective_date_time)
                                  : use.effective_period           ? std::string_view(use.effective_period->start)
                                                                   : std::string_view();
    if (auto instant = timed(when)) exposure.doses.push_back(*instant);
    return exposure;
  }
  for (const auto& dosage : use.dosage) read_dosage(dosage, exposure);
  if (use.resource_type == "MedicationStatement") {
    // A statement's single dateTime with a time of day is when the dose was taken ("took it at 07:00").
    if (auto instant = timed(use.effective_date_time)) exposure.doses.push_back(*instant);
    if (use.effective_period) {
      if (!exposure.from) exposure.from = bound(use.effective_period->start, false);
      if (!exposure.to) exposure.to = bound(use.effective_period->end, true);
    }
  } else if (!exposure.from) {
    exposure.from = bound(use.authored_on, false);
  }
  return exposure;
}

std::optional<std::chrono::sys_seconds> last_dose_before(const MedicationExposure& exposure,
                                                         const FhirInstant& at) {
  const auto last = last_dose(exposure, at);
  if (!last) return std::nullopt;
  return last->at;
}

std::string cited(std::string_view reference) {
  return reference.empty() ? std::string() : " (" + std::string(reference) + ")";
}

std::string_view to_string(DosePhase phase) {
  return text_of(kDosePhaseText, phase);
}

std::vector<DoseTiming> dose_timings(const Measurement& measurement, std::span<const MedicationExposure> exposures,
                                     const MedicationCatalogue& catalogue) {
  std::vector<DoseTiming> timings;
  // A timing is matched to its result by reference: a result without an id cannot be cited, nor timed.
  if (measurement.reference.empty()) return timings;
  const auto& at = measurement.effective.instant;
  for (const auto& exposure : exposures) {
    const auto* medication = catalogue.find(exposure.medication_id);
    if (medication == nullptr) continue;
    if (std::find(medication->affects.begin(), medication->affects.end(), measurement.analyte_id) ==
        medication->affects.end()) {
      continue;
    }
    const auto* route = route_of(*medication, exposure.route, exposure.forms);

    DoseTiming timing;
    timing.measurement = measurement.reference;
    timing.medication_id = medication->id;
    timing.medication_display = medication->display;
    timing.exposure = exposure.reference;
    timing.route = route != nullptr ? route->route : exposure.route;
    // Without a catalogue entry for the route, one day: the shortest interval the catalogue's routes use.
    timing.interval_hours = exposure.interval_hours.value_or(route != nullptr ? route->dosing_interval_hours : 24);
    if (route != nullptr) timing.sampling = route->sampling;
    if (const auto last = last_dose(exposure, at)) {
      const double hours = std::chrono::duration<double>(at.utc - last->at).count() / 3600.0;
      // A recorded dose older than the interval may have been followed by one the record lacks; a regimen's clock
      // times state every dose.
      if (!last->from_regimen && hours > timing.interval_hours) continue;
      timing.hours_since_dose = hours;
      if (route != nullptr && route->peak_from_hours && route->peak_to_hours) {
        timing.peak_source = route->peak_source;
        timing.phase = hours < *route->peak_from_hours  ? DosePhase::before_peak
                       : hours <= *route->peak_to_hours ? DosePhase::expected_peak
                                                        : DosePhase::after_peak;
      }
      if (route != nullptr) fit_sampling(*route, timing);
    } else {
      // No dose time: still on the medication when a regimen without clock times runs at the draw.
      const bool untimed_regimen = exposure.doses.empty() && exposure.daily_times.empty();
      const bool dated = exposure.from || exposure.to;
      const bool running =
          dated ? (!exposure.from || *exposure.from <= at.utc) && (!exposure.to || at.utc <= *exposure.to)
                : exposure.active;
      if (!untimed_regimen || !running) continue;
    }
    timings.push_back(std::move(timing));
  }
  return timings;
}

}  // namespace gg::analytics
