// Table-driven enum <-> text (analytics/enum_text.hpp): every enumerator of every analytics enum has a text of its
// own, the parsers read each text back as its enumerator, and the loaders' messages list the table in order.
#include "analytics/enum_text.hpp"

#include <gtest/gtest.h>

#include <array>
#include <initializer_list>
#include <set>
#include <string_view>

#include "analytics/assessment.hpp"
#include "analytics/catalogue.hpp"
#include "analytics/dosing.hpp"
#include "analytics/gradient_rules.hpp"
#include "analytics/measurement.hpp"
#include "analytics/normalise.hpp"
#include "analytics/reproductive.hpp"
#include "analytics/unit_conversion.hpp"

namespace gg::analytics {
namespace {

// Every enumerator listed has a non-empty text, and no two share one.
template <typename Enum>
void expect_own_texts(std::initializer_list<Enum> values) {
  std::set<std::string_view> seen;
  for (const auto value : values) {
    const std::string_view text = to_string(value);
    EXPECT_FALSE(text.empty()) << "enumerator " << static_cast<int>(value);
    EXPECT_TRUE(seen.insert(text).second) << "'" << text << "' spells two enumerators";
  }
}

// ... and each text reads back as its enumerator; the empty text is nothing.
template <typename Enum, typename Parse>
void expect_round_trip(std::initializer_list<Enum> values, Parse parse) {
  expect_own_texts(values);
  for (const auto value : values) EXPECT_EQ(parse(to_string(value)), value) << to_string(value);
  EXPECT_FALSE(parse("").has_value());
}

TEST(EnumText, ParsedEnumsRoundTrip) {
  expect_round_trip({Specimen::serum_plasma, Specimen::saliva, Specimen::urine, Specimen::blood},
                    specimen_from_string);
  expect_round_trip(
      {LoincProperty::mass_concentration, LoincProperty::substance_concentration,
       LoincProperty::arbitrary_concentration, LoincProperty::mass_ratio, LoincProperty::substance_ratio,
       LoincProperty::mass_fraction, LoincProperty::mass_rate, LoincProperty::substance_rate},
      loinc_property_from_string);
  expect_round_trip({SexCriterion::any, SexCriterion::male, SexCriterion::female}, sex_criterion_from_string);
  expect_round_trip({Route::oral, Route::sublingual, Route::intramuscular, Route::subcutaneous, Route::intravenous,
                     Route::transdermal, Route::vaginal, Route::topical},
                    route_from_string);
  expect_round_trip({SamplingTime::pre_dose, SamplingTime::after_dose, SamplingTime::mid_interval},
                    sampling_time_from_string);
  expect_round_trip(
      {RhythmRule::Kind::diurnal_slope, RhythmRule::Kind::awakening_response, RhythmRule::Kind::cosinor},
      rhythm_kind_from_string);
  expect_round_trip({DerivedRule::Formula::free_testosterone_vermeulen, DerivedRule::Formula::free_androgen_index,
                     DerivedRule::Formula::homa_ir},
                    derived_formula_from_string);
  expect_round_trip(
      {MenopausalStatus::premenopausal, MenopausalStatus::perimenopausal, MenopausalStatus::postmenopausal},
      menopausal_status_from_string);
}

TEST(EnumText, WrittenOnlyEnumsHaveTextsOfTheirOwn) {
  expect_own_texts({RiskLevel::low, RiskLevel::moderate, RiskLevel::high});
  expect_own_texts({Direction::below, Direction::within, Direction::above});
  expect_own_texts(
      {ResultStatus::preliminary, ResultStatus::final, ResultStatus::amended, ResultStatus::corrected});
  expect_own_texts({TimeSource::effective_date_time, TimeSource::effective_period_start, TimeSource::issued});
  expect_own_texts({DosePhase::expected_peak, DosePhase::before_peak, DosePhase::after_peak, DosePhase::unknown});
  expect_own_texts(
      {RejectionReason::conflicting_codes, RejectionReason::specimen_conflict, RejectionReason::status_unusable,
       RejectionReason::missing_value, RejectionReason::unreadable_value, RejectionReason::missing_unit,
       RejectionReason::unknown_unit, RejectionReason::incompatible_unit, RejectionReason::no_molar_mass,
       RejectionReason::unit_not_accepted, RejectionReason::invalid_value, RejectionReason::implausible_value,
       RejectionReason::missing_effective_time, RejectionReason::imprecise_effective_time,
       RejectionReason::invalid_effective_time, RejectionReason::subject_mismatch,
       RejectionReason::non_finite_gradient});
  expect_own_texts({UnitRejection::Reason::missing_value, UnitRejection::Reason::missing_unit,
                    UnitRejection::Reason::unknown_unit, UnitRejection::Reason::incompatible_dimension,
                    UnitRejection::Reason::no_molar_mass});
}

// A unit rejection becomes the RejectionReason of the same code (normalise.cpp), so the codes must agree.
TEST(EnumText, UnitRejectionsSpellTheirRejectionReasonCodes) {
  EXPECT_EQ(to_string(UnitRejection::Reason::missing_value), to_string(RejectionReason::missing_value));
  EXPECT_EQ(to_string(UnitRejection::Reason::missing_unit), to_string(RejectionReason::missing_unit));
  EXPECT_EQ(to_string(UnitRejection::Reason::unknown_unit), to_string(RejectionReason::unknown_unit));
  EXPECT_EQ(to_string(UnitRejection::Reason::incompatible_dimension),
            to_string(RejectionReason::incompatible_unit));
  EXPECT_EQ(to_string(UnitRejection::Reason::no_molar_mass), to_string(RejectionReason::no_molar_mass));
}

// Route::unknown is what a route is when none is recognised: it has a text, but a configuration cannot name it.
TEST(EnumText, UnknownRouteIsWrittenButNeverRead) {
  EXPECT_EQ(to_string(Route::unknown), "unknown");
  EXPECT_FALSE(route_from_string("unknown").has_value());
}

TEST(EnumText, ChoicesAndAlternativesListTheTableInOrder) {
  EXPECT_EQ(choices(kSpecimenText), "serum-plasma, saliva, urine or blood");
  EXPECT_EQ(choices(kSexCriterionText), "any, male or female");
  EXPECT_EQ(alternatives(kSamplingTimeText), "pre-dose | after-dose | mid-interval");
  constexpr std::array<EnumText<Direction>, 2> kTwo{{{Direction::below, "below"}, {Direction::above, "above"}}};
  EXPECT_EQ(choices(kTwo), "below or above");
  constexpr std::array<EnumText<Direction>, 1> kOne{{{Direction::within, "within"}}};
  EXPECT_EQ(choices(kOne), "within");
  EXPECT_EQ(alternatives(kOne), "within");
}

// A table may carry more columns than the text: LoincProperty's typical unit sits beside its code.
TEST(EnumText, WiderTablesReadTheirValueAndText) {
  EXPECT_EQ(text_of(kLoincPropertyText, LoincProperty::substance_concentration), "SCnc");
  EXPECT_EQ(value_of(kLoincPropertyText, "MRat"), LoincProperty::mass_rate);
  EXPECT_EQ(typical_unit(LoincProperty::substance_concentration), "mol/L");
}

}  // namespace
}  // namespace gg::analytics
