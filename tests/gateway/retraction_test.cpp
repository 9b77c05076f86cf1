// A retracted input retracts what was written from it (ARCHITECTURE step 7): gateway/pipeline/retraction.hpp.
#include "gateway/pipeline/retraction.hpp"

#include <gtest/gtest.h>

namespace gg::gateway {
namespace {

analytics::Excluded excluded(std::string reference, std::string status) {
  analytics::Excluded e;
  e.reference = std::move(reference);
  e.status = std::move(status);
  return e;
}

fhir::Observation derived(std::string id, std::vector<std::string> inputs) {
  fhir::Observation o;
  o.id = std::move(id);
  o.meta.version_id = "4";
  o.status = "final";
  for (auto& input : inputs) o.derived_from.push_back({std::move(input), ""});
  return o;
}

fhir::RiskAssessment risk(std::string id, std::vector<std::string> basis) {
  fhir::RiskAssessment r;
  r.id = std::move(id);
  r.status = "final";
  for (auto& reference : basis) r.basis.push_back({std::move(reference), ""});
  return r;
}

fhir::CarePlan plan(std::string id, std::string supporting) {
  fhir::CarePlan p;
  p.id = std::move(id);
  p.status = "draft";
  p.supporting_info = {{std::move(supporting), ""}};
  return p;
}

TEST(Retraction, OnlyEnteredInErrorAndCancelledResultsRetract) {
  const std::vector<analytics::Excluded> results{
      excluded("Observation/1", "entered-in-error"), excluded("Observation/2", "cancelled"),
      excluded("Observation/3", "registered"), excluded("Observation/4", "data-absent"),
      excluded("Observation/1", "entered-in-error")};
  EXPECT_EQ(retracted_inputs(results), (std::vector<std::string>{"Observation/1", "Observation/2"}));
}

TEST(Retraction, WhatRestsOnARetractedInputIsEnteredInErrorWithANote) {
  const std::vector<std::string> retracted{"Observation/c1"};
  const std::vector<fhir::Resource> written{
      fhir::Resource{derived("ratio", {"Observation/c1/_history/2", "Observation/d1/_history/1"})},
      fhir::Resource{derived("other", {"Observation/d1/_history/1"})},
      fhir::Resource{risk("ra", {"Observation/c1/_history/2", "Observation/d1/_history/1"})},
      fhir::Resource{risk("ra-other", {"Observation/d1/_history/1"})},
      fhir::Resource{plan("cp", "RiskAssessment/ra")},
      fhir::Resource{plan("cp-other", "RiskAssessment/ra-other")}};
  const auto entries = retraction_entries(retracted, written, "2026-11-26T10:00:00Z");
  std::vector<std::string> urls;
  for (const auto& entry : entries) {
    urls.push_back(entry.request->method + " " + entry.request->url);
    std::visit(
        [](const auto& r) {
          if constexpr (requires {
                          r.status;
                          r.note;
                        }) {
            EXPECT_EQ(r.status, "entered-in-error");
            ASSERT_FALSE(r.note.empty());
            EXPECT_NE(r.note.back().text.find("retracted"), std::string::npos);
          }
        },
        *entry.resource);
  }
  EXPECT_EQ(urls, (std::vector<std::string>{"PUT Observation/ratio", "PUT RiskAssessment/ra", "PUT CarePlan/cp"}));
  // Version-aware: the update replaces the version read, never an edit made since.
  EXPECT_EQ(entries[0].request->if_match, "W/\"4\"");
  EXPECT_TRUE(entries[1].request->if_match.empty());  // read without a version: nothing to match
  const auto& note = std::get<fhir::Observation>(*entries[0].resource).note.back().text;
  EXPECT_NE(note.find("Observation/c1"), std::string::npos) << note;
}

TEST(Retraction, ARepeatWritesNothingButStillFindsThePlansOfEarlierRetractedAssessments) {
  const std::vector<std::string> retracted{"Observation/c1"};
  auto done = risk("ra", {"Observation/c1/_history/2"});
  done.status = "entered-in-error";
  auto done_observation = derived("ratio", {"Observation/c1/_history/2"});
  done_observation.status = "entered-in-error";
  const std::vector<fhir::Resource> written{fhir::Resource{done_observation}, fhir::Resource{done},
                                            fhir::Resource{plan("cp", "RiskAssessment/ra")}};
  const auto entries = retraction_entries(retracted, written, "2026-11-26T10:00:00Z");
  ASSERT_EQ(entries.size(), 1u);  // the plan left over from an interrupted earlier retraction
  EXPECT_EQ(entries[0].request->url, "CarePlan/cp");
  EXPECT_TRUE(retraction_entries({}, written, "2026-11-26T10:00:00Z").empty());
}

// A deleted input is cited by text only: HAPI refuses a write whose reference names a deleted resource
// (HAPI-1096).
TEST(Retraction, ADeletedInputIsCitedByDisplayOnly) {
  const std::vector<std::string> retracted{"Observation/c1"};
  const std::vector<fhir::Resource> written{
      fhir::Resource{derived("ratio", {"Observation/c1/_history/2", "Observation/d1/_history/1"})},
      fhir::Resource{risk("ra", {"Observation/c1/_history/2", "Observation/d1/_history/1"})}};
  const auto entries = retraction_entries(retracted, written, "2026-11-26T10:00:00Z", retracted);
  ASSERT_EQ(entries.size(), 2u);
  const auto& ratio = std::get<fhir::Observation>(*entries[0].resource);
  EXPECT_EQ(ratio.status, "entered-in-error");
  EXPECT_EQ(ratio.derived_from[0].reference, "");
  EXPECT_EQ(ratio.derived_from[0].display, "Observation/c1 (deleted)");
  EXPECT_EQ(ratio.derived_from[1].reference, "Observation/d1/_history/1");
  const auto& assessment = std::get<fhir::RiskAssessment>(*entries[1].resource);
  EXPECT_EQ(assessment.basis[0].reference, "");
  EXPECT_EQ(assessment.basis[0].display, "Observation/c1 (deleted)");
  // Retracted but not deleted (entered-in-error): the reference stays.
  const auto kept = retraction_entries(retracted, written, "2026-11-26T10:00:00Z");
  EXPECT_EQ(std::get<fhir::Observation>(*kept[0].resource).derived_from[0].reference, "Observation/c1/_history/2");
}

TEST(Retraction, AbsoluteAndVersionedReferencesMatch) {
  const std::vector<std::string> retracted{"Observation/c1"};
  const std::vector<fhir::Resource> written{
      fhir::Resource{derived("a", {"https://fhir.example.org/fhir/Observation/c1/_history/7"})},
      fhir::Resource{derived("b", {"Observation/c10"})}};
  const auto entries = retraction_entries(retracted, written, "2026-11-26T10:00:00Z");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].request->url, "Observation/a");
}

}  // namespace
}  // namespace gg::gateway
