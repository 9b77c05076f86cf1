// UCUM unit codes: a small parser (prefix + atom, '.', '/', integer exponents, annotations in braces,
// parentheses) that reads a unit into its factor and dimension, in strict UCUM or in the free text labs write. The
// subset is what hormone results arrive in; issue 3 widens the atom table. Conversion between units, and across
// dimensions through an analyte's molar mass, is unit_conversion.hpp's.
//
// UCUM reference: https://ucum.org/ucum (sections 2 "Syntax rules", 3 "Semantics", table of prefixes and base
// units). Codes are case-sensitive ("c/s" form), as FHIR requires for Quantity.code (R4 section 2.24.0.15).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gg::analytics {

inline constexpr std::string_view kUcumSystem = "http://unitsofmeasure.org";

// Exponents of the base quantities a unit is made of. Volume is length^3. Arbitrary (international) units have a
// base of their own: they are commensurable only with themselves, unless an analyte's catalogue entry says what
// one unit of its reference standard equals (ConversionBridges::per_international_unit).
struct Dimension {
  int mass = 0;            // g
  int amount = 0;          // mol
  int length = 0;          // m
  int time = 0;            // s
  int arbitrary_unit = 0;  // [IU]
  friend bool operator==(const Dimension&, const Dimension&) = default;
};

// The dimension of a product of two units, and of a unit raised to a power.
inline Dimension combined(const Dimension& a, const Dimension& b) {
  return {a.mass + b.mass, a.amount + b.amount, a.length + b.length, a.time + b.time,
          a.arbitrary_unit + b.arbitrary_unit};
}
inline Dimension scaled(const Dimension& d, int by) {
  return {d.mass * by, d.amount * by, d.length * by, d.time * by, d.arbitrary_unit * by};
}

// A parsed unit: a value v in this unit is v * factor in the coherent base units (g, mol, m, s, [IU]).
struct UnitOfMeasure {
  double factor = 1;
  Dimension dimension;
};

// How a unit string is read.
enum class UnitDialect {
  ucum,      // strict UCUM (Quantity.code with system http://unitsofmeasure.org)
  lab_text,  // free text as labs write it (Quantity.unit): also "µg", "μg", "mcg", "IU", and a case-insensitive
             // retry ("NMOL/L"); never used for a UCUM code
};

struct UnitParseResult {
  std::optional<UnitOfMeasure> unit;
  std::string error;  // why it did not parse; names the unit text, never a result value
};

UnitParseResult parse_unit(std::string_view text, UnitDialect dialect);

// True when both denote the same unit (same dimension, same factor to 1e-12 relative), e.g. "ug/dL" and "10.ug/L".
bool same_unit(const UnitOfMeasure& a, const UnitOfMeasure& b);

// Human-readable name of a dimension for messages: "mass concentration", "substance concentration", ...
std::string describe(const Dimension& dimension);

// A unit string quoted for a message: control characters replaced, at most 32 bytes, so a stray free-text unit
// field cannot flood or break a log line.
std::string quoted_unit(std::string_view text);

}  // namespace gg::analytics
