#include "analytics/unit_conversion.hpp"

#include <array>
#include <cmath>
#include <span>

#include "analytics/enum_text.hpp"

namespace gg::analytics {
namespace {

UnitRejection rejection(UnitRejection::Reason reason, std::string message, std::string element) {
  return UnitRejection{reason, std::move(message), std::move(element)};
}

void parse_into(QuantityUnit& out, UnitDialect dialect, std::span<const UnitAlias> aliases) {
  for (const auto& alias : aliases) {
    if (alias.text == out.text) {
      dialect = UnitDialect::ucum;
      auto parsed = parse_unit(alias.ucum, dialect);
      if (parsed.unit) {
        out.unit = parsed.unit;
      } else {
        out.rejection = rejection(UnitRejection::Reason::unknown_unit, parsed.error, out.element);
      }
      return;
    }
  }
  auto parsed = parse_unit(out.text, dialect);
  if (parsed.unit) {
    out.unit = parsed.unit;
  } else {
    out.rejection = rejection(UnitRejection::Reason::unknown_unit, parsed.error, out.element);
  }
}

}  // namespace

QuantityUnit read_quantity_unit(const fhir::Quantity& quantity, std::span<const UnitAlias> aliases) {
  QuantityUnit out;
  UnitDialect dialect = UnitDialect::lab_text;
  if (quantity.system == kUcumSystem && !quantity.code.empty()) {
    out.text = quantity.code;
    out.element = "code";
    dialect = UnitDialect::ucum;
  } else if (!quantity.unit.empty()) {
    out.text = quantity.unit;
    out.element = "unit";
  } else if (!quantity.code.empty()) {
    out.text = quantity.code;  // a code without the UCUM system: read it like free text
    out.element = "code";
  } else {
    out.rejection =
        rejection(UnitRejection::Reason::missing_unit, "the quantity has neither a code nor a unit", "unit");
    return out;
  }
  parse_into(out, dialect, aliases);
  return out;
}

QuantityUnit read_quantity_unit(const fhir::Quantity& quantity) {
  return read_quantity_unit(quantity, {});
}

QuantityUnit read_unit_text(std::string_view text, std::span<const UnitAlias> aliases) {
  QuantityUnit out;
  out.text = std::string(text);
  out.element = "unit";
  if (text.empty()) {
    out.rejection = rejection(UnitRejection::Reason::missing_unit, "no unit is given", "unit");
    return out;
  }
  parse_into(out, UnitDialect::lab_text, aliases);
  return out;
}

ConversionResult convert(double value, const UnitOfMeasure& from, std::string_view target_ucum,
                         const ConversionBridges& bridges) {
  ConversionResult result;
  const auto target = parse_unit(target_ucum, UnitDialect::ucum);
  if (!target.unit) {
    result.rejection =
        rejection(UnitRejection::Reason::unknown_unit, "target unit does not parse: " + target.error, "code");
    return result;
  }
  const Dimension& have = from.dimension;
  const Dimension& want = target.unit->dimension;
  const Dimension difference = combined(have, scaled(want, -1));
  // The bridges' dimensions: g/mol, and (g or mol)/[IU]. A value crosses bridge B k times (k in -1..1) when the
  // difference between its dimension and the target's is the sum of k * dim(B); the value is then divided by B^k.
  const Dimension molar{.mass = 1, .amount = -1};
  const Dimension per_iu = bridges.per_international_unit ? combined(bridges.per_international_unit->dimension,
                                                                     Dimension{.arbitrary_unit = -1})
                                                          : Dimension{};  // unused: no crossing is tried
  // Without an equivalence an analyte has no international unit at all: [IU] is then simply incompatible.
  const int iu_crossings = bridges.per_international_unit ? 1 : 0;
  for (int k_molar = -1; k_molar <= 1; ++k_molar) {
    for (int k_iu = -iu_crossings; k_iu <= iu_crossings; ++k_iu) {
      if (combined(scaled(molar, k_molar), scaled(per_iu, k_iu)) != difference) continue;
      const bool molar_missing =
          k_molar != 0 && (!bridges.molar_mass_g_per_mol || !(*bridges.molar_mass_g_per_mol > 0));
      if (molar_missing) {
        result.rejection = rejection(UnitRejection::Reason::no_molar_mass,
                                     "converting " + describe(have) + " to " + std::string(target_ucum) +
                                         " needs a molar mass, and the analyte has none",
                                     "code");
        return result;
      }
      double converted_base = value * from.factor;
      if (k_molar != 0) converted_base /= std::pow(*bridges.molar_mass_g_per_mol, k_molar);
      if (k_iu != 0) converted_base /= std::pow(bridges.per_international_unit->factor, k_iu);
      result.value = UcumValue{converted_base / target.unit->factor, std::string(target_ucum)};
      return result;
    }
  }
  result.rejection = rejection(
      UnitRejection::Reason::incompatible_dimension,
      describe(have) + " cannot be converted to " + std::string(target_ucum) + " (" + describe(want) + ")",
      "code");
  return result;
}

ConversionResult convert(double value, const UnitOfMeasure& from, std::string_view target_ucum,
                         std::optional<double> molar_mass_g_per_mol) {
  return convert(value, from, target_ucum, ConversionBridges{molar_mass_g_per_mol, std::nullopt});
}

ConversionResult convert_quantity(const fhir::Quantity& quantity, std::string_view target_ucum,
                                  std::optional<double> molar_mass_g_per_mol) {
  ConversionResult result;
  if (!quantity.value) {
    result.rejection = rejection(UnitRejection::Reason::missing_value, "the quantity has no value", "value");
    return result;
  }
  auto unit = read_quantity_unit(quantity);
  if (!unit.unit) {
    result.rejection = std::move(unit.rejection);
    return result;
  }
  result = convert(*quantity.value, *unit.unit, target_ucum, molar_mass_g_per_mol);
  if (result.rejection && result.rejection->reason != UnitRejection::Reason::unknown_unit) {
    result.rejection->message = "unit " + quoted_unit(unit.text) + ": " + result.rejection->message;
    result.rejection->element = unit.element;
  }
  return result;
}

std::optional<UcumValue> rescale(const UcumValue& value, std::string_view target_ucum) {
  const auto from = parse_unit(value.unit, UnitDialect::ucum);
  if (!from.unit) return std::nullopt;
  // Mostly already in the target unit (a ratio weighs every pair of its inputs): the same text is the same unit,
  // looked up once; the arithmetic stays the same.
  if (value.unit == target_ucum) {
    return UcumValue{value.value * from.unit->factor / from.unit->factor, std::string(target_ucum)};
  }
  const auto to = parse_unit(target_ucum, UnitDialect::ucum);
  if (!to.unit || from.unit->dimension != to.unit->dimension) return std::nullopt;
  return UcumValue{value.value * from.unit->factor / to.unit->factor, std::string(target_ucum)};
}

namespace {

// The same codes as the RejectionReason each becomes (normalise.cpp): incompatible_dimension is
// "incompatible-unit".
constexpr std::array<EnumText<UnitRejection::Reason>, 5> kUnitRejectionText{{
    {UnitRejection::Reason::missing_value, "missing-value"},
    {UnitRejection::Reason::missing_unit, "missing-unit"},
    {UnitRejection::Reason::unknown_unit, "unknown-unit"},
    {UnitRejection::Reason::incompatible_dimension, "incompatible-unit"},
    {UnitRejection::Reason::no_molar_mass, "no-molar-mass"},
}};

}  // namespace

std::string_view to_string(UnitRejection::Reason reason) {
  return text_of(kUnitRejectionText, reason);
}

}  // namespace gg::analytics
