// config/terminology/reproductive-status.yaml and the target ranges that use it (menopausal_status, cycle_days).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "knowledge_test_support.hpp"

namespace gg::gateway {
namespace {

using testing::kConfig;
using testing::problems_text;

class ReproductiveStatusLoadingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::copy(kConfig + "/rules/gradients.yaml", scratch_.path() / "gradients.yaml");
  }
  KnowledgeLoad load_with_site_rules(const std::string& text) {
    std::ofstream(scratch_.path() / "site.yaml") << text;
    return load_knowledge(kConfig + "/terminology", scratch_.path().string());
  }
  testing::ScratchDirectory scratch_{"reproductive"};
};

TEST_F(ReproductiveStatusLoadingTest, ShippedCodesAreReadSearchedAndDecoded) {
  const auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.has_value()) << problems_text(loaded);
  const auto& codes = loaded->knowledge.reproductive;
  EXPECT_EQ(codes.last_menstrual_period, (std::vector<analytics::ConceptCode>{{"http://loinc.org", "8665-2"}}));
  EXPECT_EQ(codes.menopausal_status_answers.size(), 5u);
  const auto subscribed = loaded->subscription_codes();
  EXPECT_NE(std::find(subscribed.begin(), subscribed.end(),
                      std::pair<std::string, std::string>{"http://loinc.org", "8665-2"}),
            subscribed.end());
  EXPECT_NE(std::find(subscribed.begin(), subscribed.end(),
                      std::pair<std::string, std::string>{"http://snomed.info/sct", "161712005"}),
            subscribed.end());
  const auto wanted = loaded->decode_options().observation_wanted;
  EXPECT_TRUE(wanted(fhir::CodeableConcept{{{"http://snomed.info/sct", "", "161712005", ""}}, ""}));
}

TEST_F(ReproductiveStatusLoadingTest, RangesReadTheirReproductiveCriteria) {
  const auto loaded = load_with_site_rules(R"yaml(version: 1
target_ranges:
  - gradient: progesterone-estradiol-ratio
    sex: female
    cycle_days: {from: 19, to: 23}
    low: 10
    source: "Site protocol (test)"
  - gradient: progesterone-estradiol-ratio
    sex: female
    menopausal_status: postmenopausal
    high: 5
    source: "Site protocol (test)"
)yaml");
  ASSERT_TRUE(loaded.has_value()) << problems_text(loaded);
  const auto& ranges = loaded->knowledge.assessment.target_ranges;
  ASSERT_GE(ranges.size(), 2u);
  const auto& luteal = ranges[ranges.size() - 2];
  ASSERT_TRUE(luteal.cycle_days);
  EXPECT_EQ(luteal.cycle_days->from, 19);
  EXPECT_EQ(luteal.cycle_days->to, 23);
  EXPECT_EQ(ranges.back().menopausal_status, analytics::MenopausalStatus::postmenopausal);
}

TEST_F(ReproductiveStatusLoadingTest, AnUnknownStatusIsReportedWithItsLocation) {
  const auto loaded = load_with_site_rules(R"yaml(version: 1
target_ranges:
  - gradient: progesterone-estradiol-ratio
    sex: female
    menopausal_status: menopausal
    high: 5
    source: "Site protocol (test)"
)yaml");
  EXPECT_FALSE(loaded.has_value());
  EXPECT_NE(problems_text(loaded).find("site.yaml:5:24 (target_ranges[0].menopausal_status)"), std::string::npos)
      << problems_text(loaded);
}

}  // namespace
}  // namespace gg::gateway
