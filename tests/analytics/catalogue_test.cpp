// The catalogue's plausible ranges: validated as data (a bound, a source, a unit that reaches the canonical unit)
// and converted once into the canonical unit normalisation compares in.
#include "analytics/catalogue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

bool has_problem_at(const std::vector<KnowledgeProblem>& problems, std::string_view path) {
  return std::any_of(problems.begin(), problems.end(), [&](const auto& p) { return p.path == path; });
}

std::vector<KnowledgeProblem> problems_with(PlausibleRange range) {
  auto analyte = testing::dhea_s();
  analyte.plausible_range = std::move(range);
  const std::vector<Analyte> analytes = {analyte};
  return validate_catalogue(analytes);
}

TEST(CataloguePlausibleRange, ACitedRangeIsValid) {
  // Elecsys DHEA-S technical range 0.2-1000 ug/dL (config/terminology/analytes.yaml).
  EXPECT_TRUE(problems_with({0.2, 1000, "ug/dL", "Elecsys DHEA-S technical range"}).empty());
  EXPECT_TRUE(problems_with({std::nullopt, 1000, "ug/dL", "an upper bound only"}).empty());
}

TEST(CataloguePlausibleRange, NeedsABoundAndASource) {
  const auto problems = problems_with({std::nullopt, std::nullopt, "ug/dL", ""});
  EXPECT_TRUE(has_problem_at(problems, "analytes[0].plausible_range"));
  EXPECT_TRUE(has_problem_at(problems, "analytes[0].plausible_range.source"));
}

TEST(CataloguePlausibleRange, BoundsMustBeFiniteAboveZeroAndOrdered) {
  EXPECT_TRUE(has_problem_at(problems_with({0, 1000, "ug/dL", "s"}), "analytes[0].plausible_range.low"));
  EXPECT_TRUE(has_problem_at(problems_with({0.2, -1, "ug/dL", "s"}), "analytes[0].plausible_range.high"));
  EXPECT_TRUE(has_problem_at(problems_with({0.2, std::numeric_limits<double>::infinity(), "ug/dL", "s"}),
                             "analytes[0].plausible_range.high"));
  EXPECT_TRUE(has_problem_at(problems_with({1000, 0.2, "ug/dL", "s"}), "analytes[0].plausible_range.high"));
}

TEST(CataloguePlausibleRange, UnitMustBeUcumAndReachTheCanonicalUnit) {
  EXPECT_TRUE(has_problem_at(problems_with({0.2, 1000, "mcg/dL", "s"}), "analytes[0].plausible_range.unit"));
  EXPECT_TRUE(has_problem_at(problems_with({0.2, 1000, "[IU]/L", "s"}), "analytes[0].plausible_range.unit"));
}

TEST(CataloguePlausibleRange, IsConvertedToTheCanonicalUnitOnce) {
  auto analyte = testing::dhea_s();
  analyte.plausible_range = PlausibleRange{0.2, 1000, "ug/dL", "Elecsys DHEA-S technical range"};
  const Catalogue catalogue({analyte});
  const auto& units = catalogue.units(*catalogue.find("dhea-s"));
  // 0.2 ug/dL = 2 ug/L = 2000 ng/L / 368.49 g/mol = 5.4276 nmol/L; 1000 ug/dL = 27137.7 nmol/L.
  ASSERT_TRUE(units.plausible_low);
  ASSERT_TRUE(units.plausible_high);
  EXPECT_NEAR(*units.plausible_low, 2000 / 368.49, 1e-9);
  EXPECT_NEAR(*units.plausible_high, 1e7 / 368.49, 1e-6);
}

TEST(CataloguePlausibleRange, AnAnalyteWithoutARangeHasNoBounds) {
  const Catalogue catalogue({testing::cortisol()});
  const auto& units = catalogue.units(*catalogue.find("cortisol"));
  EXPECT_FALSE(units.plausible_low);
  EXPECT_FALSE(units.plausible_high);
}

}  // namespace
}  // namespace gg::analytics
