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

// ---- Further catalogue entries (mirroring config/terminology/analytes.yaml) ------------------------------------

inline LoincCode loinc_code(std::string code, std::string name, LoincProperty property,
                            Specimen specimen = Specimen::serum_plasma, std::string timing = "",
                            std::string method = "") {
  return LoincCode{std::move(code), std::move(name), property, specimen, std::move(timing), std::move(method)};
}

// Testosterone, C19H28O2: 288.42 g/mol (PubChem CID 6013), so 1 ng/dL = 0.03467 nmol/L.
inline Analyte testosterone() {
  return Analyte{
      "testosterone",
      "Testosterone",
      "nmol/L",
      MolarMass{288.42, "PubChem CID 6013 (testosterone, C19H28O2): 288.42 g/mol"},
      std::nullopt,
      {},
      {
          loinc_code("2986-8", "Testosterone [Mass/volume] in Serum or Plasma", LoincProperty::mass_concentration),
          loinc_code("14913-8", "Testosterone [Moles/volume] in Serum or Plasma",
                     LoincProperty::substance_concentration),
      },
      {"nmol/L", "pmol/L", "ng/dL", "ng/mL", "ng/L", "ug/L", "pg/mL"},
  };
}

// Free testosterone, same molar mass (PubChem CID 6013); 103227-5 is the calculated (Vermeulen) code.
inline Analyte testosterone_free() {
  return Analyte{
      "testosterone-free",
      "Free testosterone",
      "pmol/L",
      MolarMass{288.42, "PubChem CID 6013 (testosterone, C19H28O2): 288.42 g/mol"},
      std::nullopt,
      {},
      {
          loinc_code("2991-8", "Testosterone Free [Mass/volume] in Serum or Plasma",
                     LoincProperty::mass_concentration),
          loinc_code("103227-5", "Testosterone Free [Mass/volume] in Serum or Plasma by Calculation",
                     LoincProperty::mass_concentration, Specimen::serum_plasma, "", "calculated"),
      },
      {"pmol/L", "nmol/L", "pg/mL", "ng/L", "ng/dL"},
  };
}

// TSH: international units (WHO standard); labs write "mU/L" meaning milli-IU, hence the aliases.
inline Analyte tsh() {
  return Analyte{
      "tsh",
      "TSH",
      "m[IU]/L",
      std::nullopt,
      std::nullopt,
      {{"mU/L", "m[IU]/L"}, {"uU/mL", "u[IU]/mL"}},
      {loinc_code("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma",
                  LoincProperty::arbitrary_concentration)},
      {"m[IU]/L", "u[IU]/mL"},
  };
}

// Insulin: 1 IU = 6 nmol, i.e. 1 uIU/mL = 6 pmol/L, the immunoassay convention (analytes.yaml cites Royal
// Liverpool and Broadgreen pathology and Knopp JL et al., J Diabetes Sci Technol 2019;13(3):597-600). No molar
// mass, as in the catalogue.
inline Analyte insulin() {
  return Analyte{
      "insulin",
      "Insulin",
      "u[IU]/mL",
      std::nullopt,
      InternationalUnitEquivalent{
          6, "nmol", "WHO International Standard for human insulin 83/500",
          "1 uIU/mL = 6 pmol/L (Knopp JL et al., J Diabetes Sci Technol 2019;13(3):597-600)"},
      {{"uU/mL", "u[IU]/mL"}, {"mU/L", "m[IU]/L"}},
      {
          loinc_code("20448-7", "Insulin [Units/volume] in Serum or Plasma",
                     LoincProperty::arbitrary_concentration),
          loinc_code("14796-7", "Insulin [Moles/volume] in Serum or Plasma",
                     LoincProperty::substance_concentration),
      },
      {"u[IU]/mL", "m[IU]/L", "pmol/L"},
  };
}

// Prolactin: canonical ug/L; 1 IU = 47.17 ug, i.e. 1 ug/L = 21.2 mIU/L (the usual factor, from the WHO 3rd IS
// 84/500).
inline Analyte prolactin() {
  return Analyte{
      "prolactin",
      "Prolactin",
      "ug/L",
      std::nullopt,
      InternationalUnitEquivalent{47.17, "ug", "WHO 3rd IS for prolactin, human, 84/500",
                                  "ng/mL x 21.2 = mIU/L for assays calibrated to IS 84/500"},
      {{"mU/L", "m[IU]/L"}, {"uU/mL", "u[IU]/mL"}},
      {loinc_code("2842-3", "Prolactin [Mass/volume] in Serum or Plasma", LoincProperty::mass_concentration)},
      {"ug/L", "ng/mL", "m[IU]/L", "u[IU]/mL"},
  };
}

// Glucose, C6H12O6: 180.16 g/mol (PubChem CID 5793), so 1 mg/dL = 0.0555 mmol/L. 1558-6 is the fasting code.
inline Analyte glucose() {
  return Analyte{
      "glucose",
      "Glucose",
      "mmol/L",
      MolarMass{180.16, "PubChem CID 5793 (D-glucose, C6H12O6): 180.16 g/mol"},
      std::nullopt,
      {},
      {
          loinc_code("2345-7", "Glucose [Mass/volume] in Serum or Plasma", LoincProperty::mass_concentration),
          loinc_code("1558-6", "Fasting glucose [Mass/volume] in Serum or Plasma",
                     LoincProperty::mass_concentration, Specimen::serum_plasma, "fasting"),
      },
      {"mmol/L", "mg/dL", "g/L"},
  };
}

inline fhir::Coding coding(std::string system, std::string code) {
  return fhir::Coding{std::move(system), "", std::move(code), ""};
}

// A bound, not a measurement: the same result with a comparator.
inline Measurement censored(Measurement m, std::string comparator = "<") {
  m.comparator = std::move(comparator);
  return m;
}

// A gradient's inputs as "Observation/id", in order; and the expected list from bare ids.
inline std::vector<std::string> references(const Gradient& gradient) {
  std::vector<std::string> out;
  for (const auto& input : gradient.inputs) out.push_back(input.reference);
  return out;
}
inline std::vector<std::string> observations(std::initializer_list<const char*> ids) {
  std::vector<std::string> out;
  for (const char* id : ids) out.push_back(std::string("Observation/") + id);
  return out;
}

}  // namespace gg::analytics::testing
