// The conversion of a FHIR Quantity into an analyte's canonical unit: the Quantity's unit read the way FHIR asks
// (ucum.hpp parses it), the value rescaled, and its dimension changed only through the analyte's bridges (molar
// mass for mass <-> substance concentration, an international-unit equivalence).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "analytics/ucum.hpp"
#include "fhir/resources.hpp"

namespace gg::analytics {

// A number that always travels with its UCUM unit, so a value in nmol/L can never be read as ug/dL.
struct UcumValue {
  double value = 0;
  std::string unit;  // UCUM code, e.g. "nmol/L", "1"
  friend bool operator==(const UcumValue&, const UcumValue&) = default;
};

struct UnitRejection {
  enum class Reason {
    missing_value,           // Quantity.value absent
    missing_unit,            // neither a UCUM code nor a unit text
    unknown_unit,            // the unit does not parse
    incompatible_dimension,  // e.g. [IU]/L for a substance concentration
    no_molar_mass,           // mass <-> substance needed but the analyte has no molar mass
  };
  Reason reason = Reason::unknown_unit;
  std::string message;  // names units and dimensions, never the value
  std::string element;  // FHIRPath of the offending element relative to the Quantity: "value", "code", "unit"
};

// The Quantity's unit, read the way FHIR asks: Quantity.code when system is UCUM, otherwise the free-text unit.
// A UCUM code that does not parse is an error (it is never second-guessed from the text).
struct QuantityUnit {
  std::optional<UnitOfMeasure> unit;
  std::optional<UnitRejection> rejection;
  std::string text;     // the string that was read
  std::string element;  // where it was read: "code" or "unit"
};
QuantityUnit read_quantity_unit(const fhir::Quantity& quantity);

// A unit string labs send that does not mean what UCUM says (TSH in "mU/L" means milli-international units, UCUM's
// "U" is the enzyme unit), mapped to the UCUM code it stands for. Matched exactly, before parsing.
struct UnitAlias {
  std::string text;  // "mU/L"
  std::string ucum;  // "m[IU]/L"
  friend bool operator==(const UnitAlias&, const UnitAlias&) = default;
};

// The same, reading an analyte's aliases first (whichever element is read, code or unit).
QuantityUnit read_quantity_unit(const fhir::Quantity& quantity, std::span<const UnitAlias> aliases);
// A unit text (free text, e.g. from a valueString "<0.5 ng/mL"), aliases first.
QuantityUnit read_unit_text(std::string_view text, std::span<const UnitAlias> aliases);

struct ConversionResult {
  std::optional<UcumValue> value;  // in the target unit
  std::optional<UnitRejection> rejection;
  [[nodiscard]] bool ok() const { return value.has_value(); }
};

// What may change a value's dimension, from the analyte's catalogue entry. Nothing else ever does.
struct ConversionBridges {
  std::optional<double> molar_mass_g_per_mol;  // mass <-> amount of substance
  // What one international unit of the analyte's reference standard equals, as a mass or an amount of substance
  // (insulin: 1 [IU] = 6 nmol). International units <-> mass or substance.
  std::optional<UnitOfMeasure> per_international_unit;
};

// Converts `value` given in `from` into `target_ucum`, changing dimension only through the bridges (each used at
// most once, in either direction); every other dimension change is rejected.
ConversionResult convert(double value, const UnitOfMeasure& from, std::string_view target_ucum,
                         const ConversionBridges& bridges);
// The same with a molar mass as the only bridge.
ConversionResult convert(double value, const UnitOfMeasure& from, std::string_view target_ucum,
                         std::optional<double> molar_mass_g_per_mol);

// Reads the Quantity's unit and converts its value into `target_ucum`.
ConversionResult convert_quantity(const fhir::Quantity& quantity, std::string_view target_ucum,
                                  std::optional<double> molar_mass_g_per_mol);

// Rescales a value to another unit of the same dimension (no molar mass): nullopt when the dimensions differ or a
// unit does not parse.
std::optional<UcumValue> rescale(const UcumValue& value, std::string_view target_ucum);

std::string_view to_string(UnitRejection::Reason reason);

}  // namespace gg::analytics
