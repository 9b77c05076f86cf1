#include "gateway/cds/finding_cards.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <optional>

#include "analytics/assessment.hpp"
#include "analytics/gradient_rules.hpp"
#include "gateway/pipeline/write_back.hpp"

namespace gg::gateway {
namespace {

constexpr std::string_view kEnteredInError = "entered-in-error";
// Card Attributes: summary is a "one-sentence, <140-character summary message".
constexpr std::size_t kSummaryLimit = 139;

bool written_by_gateway(const std::vector<fhir::Identifier>& identifiers) {
  return std::any_of(identifiers.begin(), identifiers.end(),
                     [](const fhir::Identifier& id) { return id.system == kWriteBackIdentifierSystem; });
}

// "Patient/7", "https://x/fhir/Patient/7" or "Patient/7/_history/2" all name Patient/7.
bool names(const std::string& reference, std::string_view type, std::string_view id) {
  std::string_view text = reference;
  if (auto history = text.find("/_history/"); history != std::string_view::npos) text = text.substr(0, history);
  const std::string tail = std::string(type) + "/" + std::string(id);
  return text == tail || (text.size() > tail.size() && text.ends_with("/" + tail));
}

const fhir::Coding* coding_in(const std::optional<fhir::CodeableConcept>& codeable, std::string_view system) {
  if (!codeable) return nullptr;
  for (const auto& coding : codeable->coding) {
    if (coding.system == system) return &coding;
  }
  return nullptr;
}

// Inside a line of text, GFM gives meaning to these characters (emphasis, code, links, HTML, tables,
// strikethrough); text from the resources is escaped so that it shows as written (GFM section 2.4, backslash
// escapes). Line breaks become spaces: each text stays in its own paragraph or list item.
std::string markdown_text(std::string_view text) {
  std::string out;
  for (char ch : text) {
    if (std::string_view("\\`*_[]<>|~").find(ch) != std::string_view::npos) out.push_back('\\');
    out.push_back(ch == '\n' || ch == '\r' ? ' ' : ch);
  }
  return out;
}

// Cut at a UTF-8 character boundary, with an ellipsis, to stay within the summary limit.
std::string shortened(std::string text) {
  if (text.size() <= kSummaryLimit) return text;
  std::size_t cut = kSummaryLimit - 3;  // "…" is three bytes
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "\xE2\x80\xA6";
}

int urgency(std::string_view indicator) {
  if (indicator == "critical") return 0;
  if (indicator == "warning") return 1;
  return 2;
}

struct Current {
  const fhir::RiskAssessment* risk = nullptr;
  const fhir::RiskAssessmentPrediction* prediction = nullptr;
};

// Later occurrence first; the same occurrence: the later lastUpdated.
bool later(const fhir::RiskAssessment& a, const fhir::RiskAssessment& b) {
  if (a.occurrence_date_time != b.occurrence_date_time) return a.occurrence_date_time > b.occurrence_date_time;
  return a.meta.last_updated > b.meta.last_updated;
}

const fhir::CarePlan* plan_citing(const FindingResources& resources, const fhir::RiskAssessment& risk) {
  const fhir::CarePlan* found = nullptr;
  for (const auto& plan : resources.care_plans) {
    if (plan.status == kEnteredInError || !written_by_gateway(plan.identifier)) continue;
    for (const auto& info : plan.supporting_info) {
      if (names(info.reference, "RiskAssessment", risk.id)) found = &plan;
    }
  }
  return found;
}

// The proposals of the plan that answer this prediction. write_back gives every activity the finding's rationale
// as reasonCode text (and RiskAssessment.prediction.rationale the same text), so that text pairs them; when the
// RiskAssessment has a single prediction every activity is its own (the repeat proposals for results drawn at the
// wrong time carry another reason).
std::vector<std::string> proposals_for(const fhir::CarePlan& plan, const fhir::RiskAssessment& risk,
                                       const fhir::RiskAssessmentPrediction& prediction) {
  std::vector<std::string> out;
  for (const auto& activity : plan.activity) {
    const auto& detail = activity.detail;
    if (detail.status == "cancelled" || detail.status == kEnteredInError) continue;
    const bool matches = risk.prediction.size() == 1 ||
                         std::any_of(detail.reason_code.begin(), detail.reason_code.end(),
                                     [&](const fhir::CodeableConcept& reason) {
                                       return !prediction.rationale.empty() && reason.text == prediction.rationale;
                                     });
    if (!matches) continue;
    std::string text = detail.description;
    if (text.empty() && detail.code) text = detail.code->text;
    if (!text.empty()) out.push_back(std::move(text));
  }
  return out;
}

Card card_for(const Current& current, const FindingResources& resources, std::string_view fhir_base) {
  const auto& risk = *current.risk;
  const auto& prediction = *current.prediction;
  const fhir::Coding* gradient = coding_in(prediction.outcome, analytics::kGradientCodeSystem);
  const fhir::Coding* level = coding_in(prediction.qualitative_risk, analytics::kRiskProbabilitySystem);
  const std::string risk_code = level->code;  // finding_cards keeps graded predictions only
  const std::string finding = prediction.outcome && !prediction.outcome->text.empty()
                                  ? prediction.outcome->text
                                  : (gradient->display.empty() ? gradient->code : gradient->display);

  Card card;
  card.code = gradient->code;
  card.indicator = std::string(indicator_for(risk_code));
  card.summary = shortened("Gradient finding, " + risk_code + " risk: " + finding);

  if (const fhir::Coding* rule_set = coding_in(risk.method, kRuleSetSystem)) {
    card.topic = {rule_set->system, rule_set->code,
                  risk.method->text.empty() ? "Gradient Gateway rule set " + rule_set->code : risk.method->text};
  }

  std::string detail = "**" + markdown_text(finding) + "** (risk: " + risk_code + ")\n\n";
  if (!prediction.rationale.empty()) detail += markdown_text(prediction.rationale) + "\n\n";
  const fhir::CarePlan* plan = plan_citing(resources, risk);
  if (plan != nullptr) {
    const auto proposals = proposals_for(*plan, risk, prediction);
    // Suggestions stay in the detail, not in card.suggestions: CDS Hooks suggestions are actions a client may
    // apply (create, update, delete), and these are proposals for review, never orders.
    if (!proposals.empty()) {
      detail += "Proposals for clinician review (not orders):\n\n";
      for (const auto& proposal : proposals) detail += "- " + markdown_text(proposal) + "\n";
      detail += "\n";
    }
    auto url = resources.care_plan_urls.find(plan->id);
    card.links.push_back(
        {"Draft CarePlan (proposal for review)",
         url != resources.care_plan_urls.end() ? url->second : std::string(fhir_base) + "/CarePlan/" + plan->id});
  }
  detail += "Assessed " + markdown_text(risk.occurrence_date_time);
  if (!card.topic.display.empty()) detail += " with " + markdown_text(card.topic.display);
  detail +=
      " (RiskAssessment/" + markdown_text(risk.id) + "). Decision support, not an order: review before acting.";
  card.detail = std::move(detail);
  return card;
}

}  // namespace

std::string_view indicator_for(std::string_view risk_code) {
  if (risk_code == "high" || risk_code == "certain") return "critical";
  if (risk_code == "moderate") return "warning";
  return "info";
}

std::vector<Card> finding_cards(std::string_view patient_id, const FindingResources& resources,
                                std::string_view fhir_base) {
  std::map<std::string, Current> latest;  // by gradient code
  for (const auto& risk : resources.risk_assessments) {
    // A retracted assessment (retraction.hpp) is no finding; a prefetch is also checked for the patient, since the
    // client, not this service, ran its query.
    if (risk.status == kEnteredInError || !written_by_gateway(risk.identifier)) continue;
    if (!names(risk.subject.reference, "Patient", patient_id)) continue;
    for (const auto& prediction : risk.prediction) {
      const fhir::Coding* gradient = coding_in(prediction.outcome, analytics::kGradientCodeSystem);
      if (gradient == nullptr || gradient->code.empty()) continue;
      // A value without a target range is reported, not graded (analytics Finding::level): no finding to show.
      const fhir::Coding* level = coding_in(prediction.qualitative_risk, analytics::kRiskProbabilitySystem);
      if (level == nullptr || level->code.empty()) continue;
      auto& slot = latest[gradient->code];
      if (slot.risk == nullptr || later(risk, *slot.risk)) slot = Current{&risk, &prediction};
    }
  }
  std::vector<Card> cards;
  cards.reserve(latest.size());
  for (const auto& [code, current] : latest) cards.push_back(card_for(current, resources, fhir_base));
  std::stable_sort(cards.begin(), cards.end(),
                   [](const Card& a, const Card& b) { return urgency(a.indicator) < urgency(b.indicator); });
  return cards;
}

std::string cards_json(const std::vector<Card>& cards) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto string = [&](std::string_view text) {
    writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  };
  auto member = [&](std::string_view key, std::string_view value) {
    writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    string(value);
  };
  writer.StartObject();
  writer.Key("cards");
  writer.StartArray();
  for (const auto& card : cards) {
    writer.StartObject();
    member("summary", card.summary);
    member("detail", card.detail);
    member("indicator", card.indicator);
    writer.Key("source");
    writer.StartObject();
    member("label", kCardSourceLabel);
    if (!card.topic.code.empty()) {
      writer.Key("topic");
      writer.StartObject();
      member("system", card.topic.system);
      member("code", card.topic.code);
      member("display", card.topic.display);
      writer.EndObject();
    }
    writer.EndObject();
    if (!card.links.empty()) {
      writer.Key("links");
      writer.StartArray();
      for (const auto& link : card.links) {
        writer.StartObject();
        member("label", link.label);
        member("url", link.url);
        member("type", "absolute");
        writer.EndObject();
      }
      writer.EndArray();
    }
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace gg::gateway
