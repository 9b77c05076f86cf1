// The analyte catalogue: which hormones we know, the LOINC codes that carry them, their canonical unit, molar mass
// and the units we accept. It is data supplied by the caller (the gateway loads config/terminology/analytes.yaml);
// nothing here hard-codes a hormone.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/knowledge_problem.hpp"

namespace gg::analytics {

inline constexpr std::string_view kLoincSystem = "http://loinc.org";

// The LOINC "System" axis as far as pairing cares: serum and plasma are one specimen type (LOINC "Ser/Plas").
enum class Specimen { serum_plasma, saliva, urine };

// The LOINC "Property" axis: MCnc (mass concentration) or SCnc (substance concentration).
enum class LoincProperty { mass_concentration, substance_concentration };

struct LoincCode {
  std::string code;              // "2143-6"
  std::string long_common_name;  // "Cortisol [Mass/volume] in Serum or Plasma"
  LoincProperty property = LoincProperty::mass_concentration;
  Specimen specimen = Specimen::serum_plasma;
  friend bool operator==(const LoincCode&, const LoincCode&) = default;
};

struct MolarMass {
  double g_per_mol = 0;
  std::string source;  // citation, e.g. "PubChem CID 5754 (hydrocortisone), C21H30O5"
  friend bool operator==(const MolarMass&, const MolarMass&) = default;
};

struct Analyte {
  std::string id;              // "cortisol", "dhea-s"
  std::string display;         // "Cortisol"
  std::string canonical_unit;  // UCUM, e.g. "nmol/L"
  std::optional<MolarMass> molar_mass;
  std::vector<LoincCode> loinc;
  // UCUM units a result may arrive in. A unit that is convertible but not listed is rejected (a cortisol in g/L is
  // a mislabelled unit, not a value to convert). Free-text spellings (µg/dL, mcg/dL, NMOL/L) match their UCUM
  // form, so list UCUM only. Empty: every convertible unit is accepted.
  std::vector<std::string> accepted_units;
  friend bool operator==(const Analyte&, const Analyte&) = default;
};

// The catalogue with its LOINC index. Construction never fails; validate_catalogue() reports what is wrong.
class Catalogue {
 public:
  Catalogue() = default;
  explicit Catalogue(std::vector<Analyte> analytes);

  struct LoincMatch {
    const Analyte* analyte = nullptr;
    const LoincCode* code = nullptr;
  };

  const Analyte* find(std::string_view analyte_id) const;
  // The analyte and code entry for a LOINC code (system http://loinc.org). The first entry wins on duplicates.
  std::optional<LoincMatch> find_loinc(std::string_view code) const;
  std::span<const Analyte> analytes() const { return analytes_; }
  // Every LOINC code in the catalogue, sorted (for the Subscription criteria and search queries).
  std::vector<std::string> loinc_codes() const;

 private:
  std::vector<Analyte> analytes_;
  std::map<std::string, std::pair<std::size_t, std::size_t>, std::less<>> by_loinc_;  // (analyte, code) indices
};

// Every problem in the catalogue data: missing ids, duplicate ids or codes, malformed LOINC codes (format and
// check digit), units that do not parse or cannot reach the canonical unit, molar masses without a source.
std::vector<KnowledgeProblem> validate_catalogue(std::span<const Analyte> analytes);

std::string_view to_string(Specimen specimen);       // "serum-plasma" | "saliva" | "urine"
std::string_view to_string(LoincProperty property);  // "MCnc" | "SCnc"
std::optional<Specimen> specimen_from_string(std::string_view text);
std::optional<LoincProperty> loinc_property_from_string(std::string_view text);

// LOINC's mod-10 check digit (LOINC Users' Guide, "Calculating Mod 10 check digits"): true for "2143-6".
bool loinc_check_digit_valid(std::string_view code);

}  // namespace gg::analytics
