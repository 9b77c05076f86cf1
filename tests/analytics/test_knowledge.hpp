// Test fixtures built in code: the cortisol and DHEA-S catalogue entries (mirroring
// config/terminology/analytes.yaml), the cortisol:DHEA-S ratio rule, and an Observation builder.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analytics/knowledge.hpp"
#include "fhir/resources.hpp"

namespace gg::analytics::testing {

// Cortisol, C21H30O5: 362.46 g/mol (PubChem CID 5754, hydrocortisone), so 1 ug/dL = 27.59 nmol/L.
inline Analyte cortisol() {
  return Analyte{
      "cortisol",
      "Cortisol",
      "nmol/L",
      MolarMass{362.46, "PubChem CID 5754 (hydrocortisone, C21H30O5)"},
      std::nullopt,
      {},
      {
          {"2143-6", "Cortisol [Mass/volume] in Serum or Plasma", LoincProperty::mass_concentration,
           Specimen::serum_plasma, "", ""},
          {"14675-3", "Cortisol [Moles/volume] in Serum or Plasma", LoincProperty::substance_concentration,
           Specimen::serum_plasma, "", ""},
          {"83090-1", "Cortisol [Moles/volume] in Serum or Plasma by Immunoassay",
           LoincProperty::substance_concentration, Specimen::serum_plasma, "", ""},
          {"2142-8", "Cortisol [Mass/volume] in Saliva (oral fluid)", LoincProperty::mass_concentration,
           Specimen::saliva, "", ""},
          {"51844-9", "Cortisol [Moles/volume] in Saliva (oral fluid)", LoincProperty::substance_concentration,
           Specimen::saliva, "", ""},
      },
      {"nmol/L", "umol/L", "ug/dL", "ug/L", "ng/mL", "ug/mL", "ng/dL"},
  };
}

// DHEA sulfate, C19H28O5S: 368.49 g/mol (PubChem CID 12594, prasterone sulfate), so 1 ug/dL = 0.02714 umol/L.
inline Analyte dhea_s() {
  return Analyte{
      "dhea-s",
      "DHEA-S",
      "nmol/L",
      MolarMass{368.49, "PubChem CID 12594 (prasterone sulfate, C19H28O5S)"},
      std::nullopt,
      {},
      {
          {"2191-5", "Dehydroepiandrosterone sulfate (DHEA-S) [Mass/volume] in Serum or Plasma",
           LoincProperty::mass_concentration, Specimen::serum_plasma, "", ""},
          {"14688-6", "Dehydroepiandrosterone sulfate (DHEA-S) [Moles/volume] in Serum or Plasma",
           LoincProperty::substance_concentration, Specimen::serum_plasma, "", ""},
      },
      {"nmol/L", "umol/L", "ug/dL", "ug/mL", "ug/L", "ng/mL", "mg/L"},
  };
}

inline RatioRule cortisol_dheas_ratio() {
  RatioRule rule;
  rule.code = "cortisol-dheas-ratio";
  rule.display = "Cortisol:DHEA-S molar ratio";
  rule.numerator = "cortisol";
  rule.denominator = "dhea-s";
  rule.input_unit = "nmol/L";
  rule.unit = "1";
  rule.window = std::chrono::hours{24};
  rule.specimen = Specimen::serum_plasma;
  return rule;
}

inline Knowledge test_knowledge(std::vector<TargetRange> ranges = {}) {
  Knowledge knowledge;
  knowledge.catalogue = Catalogue({cortisol(), dhea_s()});
  knowledge.rules.ratios = {cortisol_dheas_ratio()};
  knowledge.assessment.target_ranges = std::move(ranges);
  return knowledge;
}

// A site-configured range for tests only: the numbers are not clinical advice and cite no real source.
inline TargetRange site_range(double low, double high, SexCriterion sex = SexCriterion::any, AgeBand age = {}) {
  TargetRange range;
  range.gradient_code = "cortisol-dheas-ratio";
  range.sex = sex;
  range.age = age;
  range.low = low;
  range.high = high;
  range.source = "Test site protocol T-1";
  return range;
}

inline fhir::Quantity ucum_quantity(double value, std::string code) {
  fhir::Quantity quantity;
  quantity.value = value;
  quantity.unit = code;
  quantity.system = "http://unitsofmeasure.org";
  quantity.code = std::move(code);
  return quantity;
}

inline fhir::Quantity text_quantity(double value, std::string unit) {
  fhir::Quantity quantity;
  quantity.value = value;
  quantity.unit = std::move(unit);
  return quantity;
}

// A final laboratory Observation with one LOINC coding and a UCUM quantity.
inline fhir::Observation lab_result(std::string id, std::string loinc, double value, std::string ucum,
                                    std::string effective, std::string subject = "Patient/p1") {
  fhir::Observation observation;
  observation.id = std::move(id);
  observation.meta.version_id = "1";
  observation.status = "final";
  observation.code.coding.push_back({"http://loinc.org", "", std::move(loinc), ""});
  observation.subject.reference = std::move(subject);
  observation.effective_date_time = std::move(effective);
  observation.value_quantity = ucum_quantity(value, std::move(ucum));
  return observation;
}

}  // namespace gg::analytics::testing
