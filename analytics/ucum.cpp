#include "analytics/ucum.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>

#include "fhir/string_hash.hpp"

namespace gg::analytics {
namespace {

struct Prefix {
  std::string_view symbol;
  double factor;
};

// UCUM table 1 ("The metric prefixes"), case-sensitive codes. "da" is first so it wins over "d".
constexpr std::array kUcumPrefixes{
    Prefix{"da", 1e1},  Prefix{"Y", 1e24},  Prefix{"Z", 1e21},  Prefix{"E", 1e18},  Prefix{"P", 1e15},
    Prefix{"T", 1e12},  Prefix{"G", 1e9},   Prefix{"M", 1e6},   Prefix{"k", 1e3},   Prefix{"h", 1e2},
    Prefix{"d", 1e-1},  Prefix{"c", 1e-2},  Prefix{"m", 1e-3},  Prefix{"u", 1e-6},  Prefix{"n", 1e-9},
    Prefix{"p", 1e-12}, Prefix{"f", 1e-15}, Prefix{"a", 1e-18}, Prefix{"z", 1e-21}, Prefix{"y", 1e-24},
};

// Free text: only the prefixes that occur in laboratory concentration units, plus the spellings of micro that labs
// use ("mc" as in mcg, the micro sign U+00B5 and the Greek mu U+03BC). Large prefixes are left out on purpose so
// that "Mg/L" is never read as megagrams per litre (the case-insensitive retry reads it as mg/L).
constexpr std::array kLabTextPrefixes{
    Prefix{"mc", 1e-6}, Prefix{"\u00b5", 1e-6}, Prefix{"\u03bc", 1e-6}, Prefix{"k", 1e3},
    Prefix{"d", 1e-1},  Prefix{"c", 1e-2},      Prefix{"m", 1e-3},      Prefix{"u", 1e-6},
    Prefix{"n", 1e-9},  Prefix{"p", 1e-12},     Prefix{"f", 1e-15},
};

struct Atom {
  std::string_view symbol;
  double factor;
  Dimension dimension;
  bool metric;  // may carry a prefix
};

// UCUM base units and the derived units we need, with their factor to the coherent base (g, mol, m, s, [IU]).
// "L" and "l" are both the litre in UCUM (table "Derived units", 1 L = 1 dm3). "10*" and "10^" are UCUM's special
// powers of ten ("10*3/L"). [IU] and [iU] are the international unit, an arbitrary unit (UCUM section 4.5). "U" is
// UCUM's enzyme unit (1 umol/min), not an international unit: "mU/L" for a TSH is a unit alias in the catalogue,
// never a silent reading. Time units (min, h, d) serve rates such as a cortisol slope in nmol/L/h.
constexpr std::array kUcumAtoms{
    Atom{"g", 1, {.mass = 1}, true},
    Atom{"mol", 1, {.amount = 1}, true},
    Atom{"L", 1e-3, {.length = 3}, true},
    Atom{"l", 1e-3, {.length = 3}, true},
    Atom{"m", 1, {.length = 1}, true},
    Atom{"s", 1, {.time = 1}, true},
    Atom{"min", 60, {.time = 1}, false},
    Atom{"h", 3600, {.time = 1}, false},
    Atom{"d", 86400, {.time = 1}, false},
    Atom{"wk", 604800, {.time = 1}, false},
    Atom{"U", 1e-6 / 60, {.amount = 1, .time = -1}, true},
    Atom{"kat", 1, {.amount = 1, .time = -1}, true},
    Atom{"[IU]", 1, {.arbitrary_unit = 1}, true},
    Atom{"[iU]", 1, {.arbitrary_unit = 1}, true},
    Atom{"%", 1e-2, {}, false},
    Atom{"10*", 10, {}, false},
    Atom{"10^", 10, {}, false},
};

// Free-text spellings of the international unit.
constexpr std::array kLabTextAtoms{
    Atom{"IU", 1, {.arbitrary_unit = 1}, true},
    Atom{"iu", 1, {.arbitrary_unit = 1}, true},
    Atom{"[iu]", 1, {.arbitrary_unit = 1}, true},
};

UnitOfMeasure multiply(const UnitOfMeasure& a, const UnitOfMeasure& b) {
  return {a.factor * b.factor, combined(a.dimension, b.dimension)};
}

UnitOfMeasure power(const UnitOfMeasure& u, int exponent) {
  return {std::pow(u.factor, exponent), scaled(u.dimension, exponent)};
}

}  // namespace

std::string quoted_unit(std::string_view text) {
  constexpr std::size_t kMax = 32;
  std::size_t keep = std::min(text.size(), kMax);
  // Never cut a UTF-8 character in two (µ is two bytes): back off to the start of the character at the cut.
  if (keep < text.size()) {
    while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  }
  std::string out = "'";
  for (std::size_t i = 0; i < keep; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    out += (c >= 0x20 && c != 0x7f) ? static_cast<char>(c) : '?';
  }
  if (text.size() > kMax) out += "...";
  out += "'";
  return out;
}

namespace {

// Recursive descent over UCUM's grammar (UCUM section 2.1, "Syntax rules"):
//   main      := '/' term | term
//   term      := component (('.' | '/') component)*      operators bind left to right
//   component := '(' term ')' exponent? | simple annotation? | annotation | digits
//   simple    := prefix? atom exponent?
class Parser {
 public:
  // Real units are short and flat; the limits keep hostile input (issue 3 fuzzes this) from recursing deeply.
  static constexpr std::size_t kMaxUnitLength = 64;
  static constexpr int kMaxNesting = 4;

  Parser(std::string_view text, UnitDialect dialect) : text_(text), dialect_(dialect) {}

  UnitParseResult parse() {
    UnitParseResult result;
    if (text_.empty()) {
      result.error = "empty unit";
      return result;
    }
    if (text_.size() > kMaxUnitLength) {
      result.error = "unit too long: " + quoted_unit(text_);
      return result;
    }
    std::optional<UnitOfMeasure> unit;
    if (peek() == '/') {
      ++pos_;
      auto rest = term();
      if (rest) unit = power(*rest, -1);
    } else {
      unit = term();
    }
    if (unit && pos_ != text_.size()) {
      fail("unexpected character in unit " + quoted_unit(text_));
      unit.reset();
    }
    // Prefixes and exponents can multiply past what a double holds ("Yg9" nested): such a unit means nothing.
    if (unit && !(std::isfinite(unit->factor) && unit->factor > 0 && std::isnormal(unit->factor))) {
      fail("unit magnitude out of range in " + quoted_unit(text_));
      unit.reset();
    }
    if (unit) {
      result.unit = unit;
    } else {
      result.error = error_;
    }
    return result;
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

  std::optional<UnitOfMeasure> term() {
    auto unit = component();
    while (unit && (peek() == '.' || peek() == '/')) {
      const bool divide = peek() == '/';
      ++pos_;
      auto next = component();
      if (!next) return std::nullopt;
      unit = multiply(*unit, divide ? power(*next, -1) : *next);
    }
    return unit;
  }

  std::optional<UnitOfMeasure> component() {
    if (peek() == '(') {
      if (++depth_ > kMaxNesting) {
        fail("parentheses nested too deeply in unit " + quoted_unit(text_));
        return std::nullopt;
      }
      ++pos_;
      auto inner = term();
      --depth_;
      if (!inner) return std::nullopt;
      if (peek() != ')') {
        fail("unbalanced parenthesis in unit " + quoted_unit(text_));
        return std::nullopt;
      }
      ++pos_;
      const std::size_t start = pos_;
      while (pos_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) != 0 ||
                                     ((text_[pos_] == '-' || text_[pos_] == '+') && pos_ == start))) {
        ++pos_;
      }
      if (pos_ == start) return inner;
      auto exponent = parse_exponent(text_.substr(start, pos_ - start));
      if (!exponent) return std::nullopt;
      return power(*inner, *exponent);
    }
    // Read one component's text: up to the next operator or parenthesis, keeping [..] and {..} whole.
    std::string symbol;
    bool annotated = false;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '.' || c == '/' || c == '(' || c == ')') break;
      if (c == '{' || c == '[') {
        const char close = c == '{' ? '}' : ']';
        const auto end = text_.find(close, pos_);
        if (end == std::string_view::npos) {
          fail("unbalanced bracket in unit " + quoted_unit(text_));
          return std::nullopt;
        }
        if (c == '{') {
          annotated = true;  // annotations carry no meaning (UCUM section 2.5), e.g. ug{creat}
        } else {
          symbol.append(text_.substr(pos_, end - pos_ + 1));
        }
        pos_ = end + 1;
        continue;
      }
      symbol += c;
      ++pos_;
    }
    if (symbol.empty()) {
      if (annotated) return UnitOfMeasure{};  // an annotation alone is the unity
      fail("missing unit symbol in " + quoted_unit(text_));
      return std::nullopt;
    }
    return simple(symbol);
  }

  // One signed digit is plenty for concentrations; larger exponents are refused rather than overflowing.
  static std::optional<int> parse_exponent_value(std::string_view digits) {
    int sign = 1;
    if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
      sign = digits.front() == '-' ? -1 : 1;
      digits.remove_prefix(1);
    }
    if (digits.size() != 1 || digits.front() < '1' || digits.front() > '9') return std::nullopt;
    return sign * (digits.front() - '0');
  }

  std::optional<int> parse_exponent(std::string_view digits) {
    auto exponent = parse_exponent_value(digits);
    if (!exponent) fail("unsupported exponent in unit " + quoted_unit(text_));
    return exponent;
  }

  std::optional<UnitOfMeasure> simple(std::string_view symbol) {
    // A component made only of digits is a factor ("10.L" or "1").
    if (symbol.find_first_not_of("0123456789") == std::string_view::npos) {
      if (symbol.size() > 9) {
        fail("factor too large in unit " + quoted_unit(text_));
        return std::nullopt;
      }
      double factor = 0;
      for (const char c : symbol) factor = factor * 10 + (c - '0');
      if (factor <= 0) {
        fail("zero factor in unit " + quoted_unit(text_));
        return std::nullopt;
      }
      return UnitOfMeasure{factor, {}};
    }
    // Split a trailing exponent ("m3", "L-1", "10*3"); brackets end an atom, so "[IU]" never loses a digit.
    std::size_t exponent_start = symbol.size();
    while (exponent_start > 0 && std::isdigit(static_cast<unsigned char>(symbol[exponent_start - 1])) != 0) {
      --exponent_start;
    }
    if (exponent_start < symbol.size() && exponent_start > 0 &&
        (symbol[exponent_start - 1] == '-' || symbol[exponent_start - 1] == '+')) {
      --exponent_start;
    }
    std::string_view base = symbol.substr(0, exponent_start);
    int exponent = 1;
    if (exponent_start < symbol.size()) {
      if (base.empty()) {
        fail("missing unit symbol in " + quoted_unit(text_));
        return std::nullopt;
      }
      auto parsed = parse_exponent(symbol.substr(exponent_start));
      if (!parsed) return std::nullopt;
      exponent = *parsed;
    }
    auto unit = prefixed_atom(base);
    if (!unit) {
      fail("unknown unit " + quoted_unit(text_));
      return std::nullopt;
    }
    return power(*unit, exponent);
  }

  std::optional<Atom> atom(std::string_view symbol) const {
    for (const auto& atom : kUcumAtoms) {
      if (atom.symbol == symbol) return atom;
    }
    if (dialect_ == UnitDialect::lab_text) {
      for (const auto& atom : kLabTextAtoms) {
        if (atom.symbol == symbol) return atom;
      }
    }
    return std::nullopt;
  }

  std::optional<UnitOfMeasure> prefixed_atom(std::string_view symbol) const {
    if (auto whole = atom(symbol)) return UnitOfMeasure{whole->factor, whole->dimension};
    const std::span<const Prefix> prefixes = dialect_ == UnitDialect::ucum
                                                 ? std::span<const Prefix>(kUcumPrefixes)
                                                 : std::span<const Prefix>(kLabTextPrefixes);
    for (const auto& prefix : prefixes) {
      if (symbol.size() <= prefix.symbol.size() || !symbol.starts_with(prefix.symbol)) continue;
      auto rest = atom(symbol.substr(prefix.symbol.size()));
      if (rest && rest->metric) return UnitOfMeasure{prefix.factor * rest->factor, rest->dimension};
    }
    return std::nullopt;
  }

  std::string_view text_;
  UnitDialect dialect_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  std::string error_;
};

std::string without_spaces(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c != ' ' && c != '\t') out += c;
  }
  return out;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

UnitParseResult parse_uncached(std::string_view text, UnitDialect dialect) {
  if (dialect == UnitDialect::ucum) return Parser(text, dialect).parse();
  const std::string compact = without_spaces(text);
  auto result = Parser(compact, dialect).parse();
  if (result.unit) return result;
  // Lab systems often send units in capitals ("NMOL/L", "UG/DL"): retry case-insensitively.
  const std::string lower = ascii_lower(compact);
  if (lower != compact) {
    auto retry = Parser(lower, dialect).parse();
    if (retry.unit) return retry;
  }
  return result;
}

// Each distinct unit string is parsed once per thread: results arrive in a handful of spellings, so a bulk
// analysis would otherwise parse "nmol/L" millions of times (issue 12's profile). Bounded, because free-text units
// come from the input: past the bound the cache starts again rather than grow.
struct UnitCache {
  static constexpr std::size_t kMaxEntries = 4096;
  fhir::StringMap<UnitParseResult> by_dialect[2];
};

// The units an analysis asked for lately, looked up before the hash map: it asks for the same few again and again
// (each result's unit, each rule's input unit, a ratio's units for every pair it weighs), some twenty a patient.
// Only short units that parsed are kept, each in the one slot its text and dialect hash to (a later unit of the
// same slot takes its place): a key is compared as 16 bytes, and a result is its unit alone.
struct RecentUnits {
  static constexpr std::size_t kSlotBits = 6;
  static constexpr std::size_t kKeyBytes = 16;
  // The text, zero-filled after it, as two words: a key is compared in two integer comparisons.
  struct Key {
    std::uint64_t low = 0;
    std::uint64_t high = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct Entry {
    Key key;
    std::uint8_t length = 0;
    bool used = false;
    UnitDialect dialect = UnitDialect::ucum;
    UnitOfMeasure unit;
  };
  std::array<Entry, std::size_t{1} << kSlotBits> entries{};

  static Key key_of(std::string_view text) {
    std::array<char, kKeyBytes> bytes{};
    std::memcpy(bytes.data(), text.data(), text.size());
    Key key;
    std::memcpy(&key.low, bytes.data(), sizeof key.low);
    std::memcpy(&key.high, bytes.data() + sizeof key.low, sizeof key.high);
    return key;
  }
  static std::size_t slot_of(const Key& key, std::size_t length, UnitDialect dialect) {
    // Multiplicative hashing (Knuth, TAOCP vol. 3, 6.4): the top bits of the product mix every byte of the key.
    const std::uint64_t mixed = (key.low ^ (key.high * 0x9E3779B97F4A7C15ULL) ^ (length << 1) ^
                                 static_cast<std::uint64_t>(dialect == UnitDialect::ucum)) *
                                0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>(mixed >> (64 - kSlotBits));
  }
  const UnitOfMeasure* find(std::string_view text, UnitDialect dialect) const {
    if (text.size() >= kKeyBytes) return nullptr;
    const Key key = key_of(text);
    const Entry& entry = entries[slot_of(key, text.size(), dialect)];
    if (entry.used && entry.key == key && entry.length == text.size() && entry.dialect == dialect) {
      return &entry.unit;
    }
    return nullptr;
  }
  void remember(std::string_view text, UnitDialect dialect, const UnitOfMeasure& unit) {
    if (text.size() >= kKeyBytes) return;
    const Key key = key_of(text);
    Entry& entry = entries[slot_of(key, text.size(), dialect)];
    entry.key = key;
    entry.length = static_cast<std::uint8_t>(text.size());
    entry.used = true;
    entry.dialect = dialect;
    entry.unit = unit;
  }
};

}  // namespace

UnitParseResult parse_unit(std::string_view text, UnitDialect dialect) {
  thread_local RecentUnits recent;  // trivially destructible: no guard on each call
  if (const UnitOfMeasure* unit = recent.find(text, dialect)) return UnitParseResult{*unit, {}};
  thread_local UnitCache cache;
  auto& entries = cache.by_dialect[dialect == UnitDialect::ucum ? 0 : 1];
  auto found = entries.find(text);
  if (found == entries.end()) {
    if (entries.size() >= UnitCache::kMaxEntries) entries.clear();
    found = entries.emplace(std::string(text), parse_uncached(text, dialect)).first;
  }
  if (found->second.unit) recent.remember(text, dialect, *found->second.unit);
  return found->second;
}

bool same_unit(const UnitOfMeasure& a, const UnitOfMeasure& b) {
  if (a.dimension != b.dimension) return false;
  return std::fabs(a.factor - b.factor) <= 1e-12 * std::max(std::fabs(a.factor), std::fabs(b.factor));
}

std::string describe(const Dimension& d) {
  if (d == Dimension{.mass = 1, .length = -3}) return "mass concentration";
  if (d == Dimension{.amount = 1, .length = -3}) return "substance concentration";
  if (d == Dimension{.length = -3, .arbitrary_unit = 1}) return "arbitrary-unit concentration";
  if (d == Dimension{}) return "dimensionless";
  if (d == Dimension{.mass = 1}) return "mass";
  if (d == Dimension{.amount = 1}) return "amount of substance";
  if (d == Dimension{.length = 3}) return "volume";
  if (d == Dimension{.length = 1}) return "length";
  if (d == Dimension{.time = 1}) return "time";
  if (d == Dimension{.amount = 1, .time = -1}) return "catalytic activity";
  if (d == Dimension{.amount = 1, .length = -3, .time = -1}) return "catalytic concentration";
  return "g^" + std::to_string(d.mass) + ".mol^" + std::to_string(d.amount) + ".m^" + std::to_string(d.length) +
         ".s^" + std::to_string(d.time) + ".[IU]^" + std::to_string(d.arbitrary_unit);
}

}  // namespace gg::analytics
