// Every conversion in the shipped catalogue, checked against conversion factors as laboratories and references
// print them (issue 3: "a table-driven test of every catalogue conversion against published conversion factors,
// both directions, to 0.1 %"). The table with the source of each row is tests/data/conversions/
// published-factors.tsv: 1 from_unit = factor to_unit. The conversion under test uses only the catalogue's own
// data (molar masses from PubChem, IU equivalences), loaded exactly as the service loads it.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "analytics/unit_conversion.hpp"
#include "gateway/config/knowledge_loader.hpp"

namespace gg::gateway {
namespace {

const std::string kConfig = std::string(GG_SOURCE_DIR) + "/config";
const std::string kTable = std::string(GG_SOURCE_DIR) + "/tests/data/conversions/published-factors.tsv";
constexpr double kTolerance = 0.001;  // 0.1 %

struct PublishedFactor {
  int line = 0;
  std::string analyte, from_unit, to_unit, source;
  double factor = 0;
};

std::vector<PublishedFactor> read_table() {
  std::vector<PublishedFactor> rows;
  std::ifstream in(kTable);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (number == 1 || line.empty()) continue;  // header
    std::istringstream fields(line);
    PublishedFactor row;
    row.line = number;
    std::string factor;
    std::getline(fields, row.analyte, '\t');
    std::getline(fields, row.from_unit, '\t');
    std::getline(fields, row.to_unit, '\t');
    std::getline(fields, factor, '\t');
    std::getline(fields, row.source);
    row.factor = std::stod(factor);
    rows.push_back(std::move(row));
  }
  return rows;
}

const analytics::Catalogue& shipped_catalogue() {
  static const auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  return loaded->knowledge.catalogue;
}

TEST(PublishedFactors, TableIsReadableAndEveryRowCitesASource) {
  const auto rows = read_table();
  ASSERT_GE(rows.size(), 15u) << kTable;
  for (const auto& row : rows) {
    EXPECT_FALSE(row.source.empty()) << "line " << row.line;
    EXPECT_GT(row.factor, 0) << "line " << row.line;
    EXPECT_NE(shipped_catalogue().find(row.analyte), nullptr) << "line " << row.line << ": " << row.analyte;
  }
}

TEST(PublishedFactors, CatalogueReproducesEveryPublishedFactorInBothDirections) {
  for (const auto& row : read_table()) {
    SCOPED_TRACE("published-factors.tsv line " + std::to_string(row.line) + ": 1 " + row.from_unit + " = " +
                 std::to_string(row.factor) + " " + row.to_unit + " (" + row.source + ")");
    const analytics::Analyte* analyte = shipped_catalogue().find(row.analyte);
    ASSERT_NE(analyte, nullptr);
    const auto bridges = analytics::conversion_bridges(*analyte);
    const auto from = analytics::parse_unit(row.from_unit, analytics::UnitDialect::ucum);
    const auto to = analytics::parse_unit(row.to_unit, analytics::UnitDialect::ucum);
    ASSERT_TRUE(from.unit) << from.error;
    ASSERT_TRUE(to.unit) << to.error;

    const auto forward = analytics::convert(1.0, *from.unit, row.to_unit, bridges);
    ASSERT_TRUE(forward.ok()) << forward.rejection->message;
    EXPECT_NEAR(forward.value->value / row.factor, 1.0, kTolerance);

    const auto back = analytics::convert(row.factor, *to.unit, row.from_unit, bridges);
    ASSERT_TRUE(back.ok()) << back.rejection->message;
    EXPECT_NEAR(back.value->value, 1.0, kTolerance);
  }
}

TEST(PublishedFactors, EveryPublishedUnitIsOneTheAnalyteAccepts) {
  // A factor for a unit the catalogue would refuse tests nothing a lab can send.
  for (const auto& row : read_table()) {
    SCOPED_TRACE("line " + std::to_string(row.line));
    const analytics::Analyte* analyte = shipped_catalogue().find(row.analyte);
    ASSERT_NE(analyte, nullptr);
    if (analyte->accepted_units.empty()) continue;
    for (const auto& unit_text : {row.from_unit, row.to_unit}) {
      const auto unit = analytics::parse_unit(unit_text, analytics::UnitDialect::ucum);
      ASSERT_TRUE(unit.unit);
      const bool accepted =
          unit_text == analyte->canonical_unit ||
          std::any_of(analyte->accepted_units.begin(), analyte->accepted_units.end(), [&](const std::string& a) {
            const auto parsed = analytics::parse_unit(a, analytics::UnitDialect::ucum);
            return parsed.unit && analytics::same_unit(*parsed.unit, *unit.unit);
          });
      EXPECT_TRUE(accepted) << row.analyte << " does not accept " << unit_text;
    }
  }
}

TEST(PublishedFactors, EveryAcceptedUnitOfEveryAnalyteReachesItsCanonicalUnit) {
  // The catalogue's own promise, on the shipped data: nothing it accepts is then refused for want of a bridge.
  for (const auto& analyte : shipped_catalogue().analytes()) {
    const auto bridges = analytics::conversion_bridges(analyte);
    for (const auto& unit_text : analyte.accepted_units) {
      const auto unit = analytics::parse_unit(unit_text, analytics::UnitDialect::ucum);
      ASSERT_TRUE(unit.unit) << analyte.id << " " << unit_text;
      const auto converted = analytics::convert(1.0, *unit.unit, analyte.canonical_unit, bridges);
      EXPECT_TRUE(converted.ok()) << analyte.id << ": " << unit_text << " -> " << analyte.canonical_unit;
    }
  }
}

}  // namespace
}  // namespace gg::gateway
