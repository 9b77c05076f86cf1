// The analyte catalogue: which hormones we know, the LOINC codes that carry them, their canonical unit, molar mass
// and the units we accept. It is data supplied by the caller (the gateway loads config/terminology/analytes.yaml);
// nothing here hard-codes a hormone.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/enum_text.hpp"
#include "analytics/knowledge_problem.hpp"
#include "analytics/unit_conversion.hpp"
#include "fhir/string_hash.hpp"

namespace gg::analytics {

inline constexpr std::string_view kLoincSystem = "http://loinc.org";

// The LOINC "System" axis as far as pairing cares: serum and plasma are one specimen type (LOINC "Ser/Plas");
// whole blood is another.
enum class Specimen { serum_plasma, saliva, urine, blood };
// Spelt so in the knowledge files (`specimen:`) and in texts; read by to_string, specimen_from_string and the
// loaders' "expected ..." messages.
inline constexpr std::array<EnumText<Specimen>, 4> kSpecimenText{{
    {Specimen::serum_plasma, "serum-plasma"},
    {Specimen::saliva, "saliva"},
    {Specimen::urine, "urine"},
    {Specimen::blood, "blood"},
}};

// The LOINC "Property" axis, for the properties hormone results come in.
enum class LoincProperty {
  mass_concentration,       // MCnc: g/L
  substance_concentration,  // SCnc: mol/L
  arbitrary_concentration,  // ACnc: [IU]/L
  mass_ratio,               // MRto: g/g (e.g. per creatinine)
  substance_ratio,          // SRto: mol/mol
  mass_fraction,            // MFr: % of a total
  mass_rate,                // MRat: g/d (24 h urine)
  substance_rate,           // SRat: mol/d
};
struct LoincPropertyText {
  LoincProperty value;
  std::string_view text;          // LOINC's own abbreviation, as analytes.yaml spells it (`property:`)
  std::string_view typical_unit;  // a UCUM unit of the property, to check that a code can reach its canonical unit
};
inline constexpr std::array<LoincPropertyText, 8> kLoincPropertyText{{
    {LoincProperty::mass_concentration, "MCnc", "g/L"},
    {LoincProperty::substance_concentration, "SCnc", "mol/L"},
    {LoincProperty::arbitrary_concentration, "ACnc", "[IU]/L"},
    {LoincProperty::mass_ratio, "MRto", "g/g"},
    {LoincProperty::substance_ratio, "SRto", "mol/mol"},
    {LoincProperty::mass_fraction, "MFr", "%"},
    {LoincProperty::mass_rate, "MRat", "g/d"},
    {LoincProperty::substance_rate, "SRat", "mol/d"},
}};

struct LoincCode {
  std::string code;              // "2143-6"
  std::string long_common_name;  // "Cortisol [Mass/volume] in Serum or Plasma"
  LoincProperty property = LoincProperty::mass_concentration;
  Specimen specimen = Specimen::serum_plasma;
  std::string timing;  // where LOINC distinguishes it: "am", "pm", "midnight", "fasting", "24h"; empty otherwise
  std::string method;  // where the LOINC method axis matters: "calculated"; empty otherwise
  friend bool operator==(const LoincCode&, const LoincCode&) = default;
};

struct MolarMass {
  double g_per_mol = 0;
  std::string source;  // citation, e.g. "PubChem CID 5754 (hydrocortisone), C21H30O5"
  friend bool operator==(const MolarMass&, const MolarMass&) = default;
};

// What one international unit of an analyte's reference standard equals, as a mass or amount of substance.
struct InternationalUnitEquivalent {
  double quantity = 0;   // 6
  std::string unit;      // UCUM mass or amount unit: "nmol"
  std::string standard;  // "WHO 1st IS 83/500 (insulin)"
  std::string source;    // citation for the equivalence
  friend bool operator==(const InternationalUnitEquivalent&, const InternationalUnitEquivalent&) = default;
};

// The values an assay can report as exact numbers, from a cited measuring range. A result outside it is not a
// measurement (a typing, unit or transmission error, an overflow) and is rejected with its reason, never computed
// with. Bounds are in `unit` and are compared in the analyte's canonical unit.
struct PlausibleRange {
  std::optional<double> low;   // a result below it is rejected, unless it is an upper bound ("<", "<=")
  std::optional<double> high;  // a result or bound above it is rejected
  std::string unit;            // UCUM: "nmol/L"
  std::string source;          // the measuring range it comes from: package insert or laboratory, with the figures
  friend bool operator==(const PlausibleRange&, const PlausibleRange&) = default;
};

struct Analyte {
  std::string id;              // "cortisol", "dhea-s"
  std::string display;         // "Cortisol"
  std::string canonical_unit;  // UCUM, e.g. "nmol/L"
  std::optional<MolarMass> molar_mass;
  std::optional<InternationalUnitEquivalent> iu_equivalent;
  std::vector<UnitAlias> unit_aliases;
  std::vector<LoincCode> loinc;
  // UCUM units a result may arrive in. A unit that is convertible but not listed is rejected (a cortisol in g/L is
  // a mislabelled unit, not a value to convert). Free-text spellings (µg/dL, mcg/dL, NMOL/L) match their UCUM
  // form, so list UCUM only. Empty: every convertible unit is accepted.
  std::vector<std::string> accepted_units;
  // Absent: no source gave a measuring range that covers what laboratories report as exact numbers.
  std::optional<PlausibleRange> plausible_range = std::nullopt;
  friend bool operator==(const Analyte&, const Analyte&) = default;
};

// A site's own code mapped to a LOINC code, read from a FHIR ConceptMap in config/terminology/.
struct LocalCodeMapping {
  std::string system;       // the site's code system URI
  std::string code;         // the site's code
  std::string loinc_code;   // the LOINC code it maps to
  std::string concept_map;  // the ConceptMap's url (or file name), for traceability
  friend bool operator==(const LocalCodeMapping&, const LocalCodeMapping&) = default;
};

// The catalogue with its LOINC and local-code indexes. Construction never fails; validate_catalogue() reports
// what is wrong.
class Catalogue {
 public:
  Catalogue() = default;
  explicit Catalogue(std::vector<Analyte> analytes, std::vector<LocalCodeMapping> local_codes = {});

  struct LoincMatch {
    const Analyte* analyte = nullptr;
    const LoincCode* code = nullptr;
    const LocalCodeMapping* via = nullptr;  // set when a local code led here
  };

  const Analyte* find(std::string_view analyte_id) const;
  // The analyte and code entry for a LOINC code (system http://loinc.org). The first entry wins on duplicates.
  std::optional<LoincMatch> find_loinc(std::string_view code) const;
  // A site's code mapped to a catalogue LOINC code; nullopt when unmapped or mapped to a code we do not know.
  std::optional<LoincMatch> find_local(std::string_view system, std::string_view code) const;
  std::span<const Analyte> analytes() const { return analytes_; }
  std::span<const LocalCodeMapping> local_codes() const { return local_codes_; }
  // Every LOINC code in the catalogue, sorted (for the Subscription criteria and search queries).
  std::vector<std::string> loinc_codes() const;
  // Every local (system, code) that maps to a catalogue analyte, sorted.
  std::vector<std::pair<std::string, std::string>> mapped_local_codes() const;

  // An analyte's units, parsed once when the catalogue is built (normalisation reads them for every result).
  struct AnalyteUnits {
    ConversionBridges bridges;
    std::vector<UnitOfMeasure> accepted;  // the accepted_units that parse
    // The plausible range in the canonical unit (a bound that does not convert is left out; validate_catalogue()
    // reports it).
    std::optional<double> plausible_low;
    std::optional<double> plausible_high;
  };
  // For an analyte of this catalogue (a pointer from find(), find_loinc() or find_local()).
  const AnalyteUnits& units(const Analyte& analyte) const { return units_[&analyte - analytes_.data()]; }

 private:
  std::vector<Analyte> analytes_;
  std::vector<LocalCodeMapping> local_codes_;
  std::vector<AnalyteUnits> units_;                                // parallel to analytes_
  fhir::StringMap<std::pair<std::size_t, std::size_t>> by_loinc_;  // (analyte, code) indices
  // (system, code) -> local_codes_ index; looked up with views, so a lookup allocates nothing.
  struct LocalKeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      using Views = std::pair<std::string_view, std::string_view>;
      return Views(a.first, a.second) < Views(b.first, b.second);
    }
  };
  std::map<std::pair<std::string, std::string>, std::size_t, LocalKeyLess> by_local_;
};

// The dimension-changing conversions an analyte allows (its molar mass, its international-unit equivalence).
ConversionBridges conversion_bridges(const Analyte& analyte);

// Every problem in the catalogue data: missing ids, duplicate ids or codes, malformed LOINC codes (format and
// check digit), units that do not parse or cannot reach the canonical unit, molar masses and IU equivalences
// without a source, LOINC properties that cannot reach the canonical unit, plausible ranges that are empty, not
// positive, in a unit that cannot reach the canonical unit, or without a source.
std::vector<KnowledgeProblem> validate_catalogue(std::span<const Analyte> analytes);

// Problems in local-code mappings: a local code mapped to two different LOINC codes, empty systems or codes.
std::vector<KnowledgeProblem> validate_local_codes(std::span<const LocalCodeMapping> mappings);

std::string_view to_string(Specimen specimen);       // kSpecimenText
std::string_view to_string(LoincProperty property);  // kLoincPropertyText
// A UCUM unit results of that property come in ("g/L" for MCnc), for checking a code can reach its canonical unit.
std::string_view typical_unit(LoincProperty property);
std::optional<Specimen> specimen_from_string(std::string_view text);
std::optional<LoincProperty> loinc_property_from_string(std::string_view text);

// LOINC's mod-10 check digit (LOINC Users' Guide, "Calculating Mod 10 check digits"): true for "2143-6".
bool loinc_check_digit_valid(std::string_view code);

}  // namespace gg::analytics
