// FHIR R4 resource value types: plain structs holding the elements Gradient Gateway reads or writes.
// Names follow the FHIR element names (snake_case), so a FHIR reader finds them. Elements we do not use are not
// modelled; what we write back we build completely from these types.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace gg::fhir {

// ---- Data types (R4 section 2.24) ------------------------------------------------------------------------------

struct Coding {
  std::string system;
  std::string version;
  std::string code;
  std::string display;
  friend bool operator==(const Coding&, const Coding&) = default;
};

struct CodeableConcept {
  std::vector<Coding> coding;
  std::string text;
  friend bool operator==(const CodeableConcept&, const CodeableConcept&) = default;
};

struct Quantity {
  std::optional<double> value;
  std::string comparator;  // "<", "<=", ">=", ">" or empty
  std::string unit;        // human-readable
  std::string system;      // usually http://unitsofmeasure.org
  std::string code;        // UCUM code when system is UCUM
  friend bool operator==(const Quantity&, const Quantity&) = default;
};

struct Identifier {
  std::string system;
  std::string value;
  friend bool operator==(const Identifier&, const Identifier&) = default;
};

struct Reference {
  std::string reference;  // "Patient/123", "urn:uuid:...", absolute URL
  std::string display;
  friend bool operator==(const Reference&, const Reference&) = default;
};

struct Period {
  std::string start;  // FHIR dateTime text, kept as sent (time zone included)
  std::string end;
  friend bool operator==(const Period&, const Period&) = default;
};

struct Annotation {
  std::string text;
  friend bool operator==(const Annotation&, const Annotation&) = default;
};

struct Meta {
  std::string version_id;
  std::string last_updated;
  std::vector<std::string> profile;
  std::vector<Coding> tag;
  friend bool operator==(const Meta&, const Meta&) = default;
};

// ---- Resources
// --------------------------------------------------------------------------------------------------

struct ObservationReferenceRange {
  std::optional<Quantity> low;
  std::optional<Quantity> high;
  std::string text;
  friend bool operator==(const ObservationReferenceRange&, const ObservationReferenceRange&) = default;
};

struct ObservationComponent {
  CodeableConcept code;
  std::optional<Quantity> value_quantity;
  std::string value_string;
  std::string value_time{};       // FHIR time "hh:mm:ss", as sent (a clock time without a date or zone)
  std::string value_date_time{};  // FHIR dateTime, as sent
  friend bool operator==(const ObservationComponent&, const ObservationComponent&) = default;
};

// A Specimen contained in an Observation (R4 2.36 contained resources): only what tells the specimen type.
struct ContainedSpecimen {
  std::string id;        // referenced as "#id" from Observation.specimen
  CodeableConcept type;  // Specimen.type, e.g. SNOMED CT 119364003 "Serum specimen"
  friend bool operator==(const ContainedSpecimen&, const ContainedSpecimen&) = default;
};

struct Observation {
  std::string id;
  Meta meta;
  std::vector<ContainedSpecimen> contained_specimens;  // other contained resources are not modelled
  std::vector<Identifier> identifier;
  std::string
      status;  // registered | preliminary | final | amended | corrected | cancelled | entered-in-error | unknown
  std::vector<CodeableConcept> category;
  CodeableConcept code;
  Reference subject;
  std::string effective_date_time;
  std::optional<Period> effective_period;
  std::string issued;
  std::optional<Quantity> value_quantity;
  std::string value_string;
  std::optional<CodeableConcept> value_codeable_concept;  // coded answers (menopausal status)
  std::string value_date_time;                            // dates as answers (last menstrual period)
  std::optional<CodeableConcept> data_absent_reason;
  std::vector<CodeableConcept> interpretation;
  std::vector<Annotation> note;
  std::optional<CodeableConcept> method;
  std::optional<Reference> specimen;
  std::vector<ObservationReferenceRange> reference_range;
  std::vector<Reference> derived_from;
  std::vector<ObservationComponent> component;
  friend bool operator==(const Observation&, const Observation&) = default;
};

struct Patient {
  std::string id;
  Meta meta;
  std::vector<Identifier> identifier;
  std::string gender;      // male | female | other | unknown
  std::string birth_date;  // FHIR date
  friend bool operator==(const Patient&, const Patient&) = default;
};

// Timing (R4 2.24.0.14): when a dose is taken. Explicit events, or a repeat rule: `frequency` times per `period`
// `period_unit` (s | min | h | d | wk | mo | a), at the local clock times `time_of_day` ("08:00:00"), within
// `bounds_period`.
struct TimingRepeat {
  std::optional<Period> bounds_period;
  std::optional<int> frequency;
  std::optional<double> period;
  std::string period_unit;
  std::vector<std::string> day_of_week;  // mon | tue | ...
  std::vector<std::string> time_of_day;  // FHIR time, local to the patient
  std::vector<std::string> when;         // event codes (MORN, HS, ...), kept, not interpreted
  friend bool operator==(const TimingRepeat&, const TimingRepeat&) = default;
};

struct Timing {
  std::vector<std::string> event;  // FHIR dateTimes
  std::optional<TimingRepeat> repeat;
  std::optional<CodeableConcept> code;  // BID, QD, ...: text only, no times
  friend bool operator==(const Timing&, const Timing&) = default;
};

// Dosage (R4 2.24.0.15), and MedicationAdministration.dosage read into the same shape (its text, route and dose).
struct Dosage {
  std::string text;
  std::optional<Timing> timing;
  std::optional<CodeableConcept> route;
  std::optional<Quantity> dose_quantity;  // doseAndRate[0].doseQuantity; MedicationAdministration.dosage.dose
  friend bool operator==(const Dosage&, const Dosage&) = default;
};

// A Medication contained in a medication resource, referenced as "#id" from medicationReference.
struct ContainedMedication {
  std::string id;
  CodeableConcept code;
  friend bool operator==(const ContainedMedication&, const ContainedMedication&) = default;
};

// R4 Medication: what a medicationReference names; only its code is read.
struct Medication {
  std::string id;
  Meta meta;
  CodeableConcept code;
  friend bool operator==(const Medication&, const Medication&) = default;
};

// The elements MedicationStatement, MedicationAdministration and MedicationRequest share, which tell what was or
// is to be taken and when (R4 resource pages). `resource_type` says which of the three it is; the elements of
// another type stay empty (MedicationRequest has authoredOn and dosageInstruction, read into `dosage`; the
// others effective[x]; MedicationAdministration has one dosage, without timing).
struct MedicationUse {
  std::string resource_type;  // MedicationStatement | MedicationAdministration | MedicationRequest
  std::string id;
  Meta meta;
  std::vector<ContainedMedication> contained_medications;
  std::string status;
  std::string intent;  // MedicationRequest only
  std::optional<CodeableConcept> medication_codeable_concept;
  std::optional<Reference> medication_reference;
  Reference subject;
  std::string effective_date_time;
  std::optional<Period> effective_period;
  std::string authored_on;    // MedicationRequest only
  std::string date_asserted;  // MedicationStatement only
  std::vector<Dosage> dosage;
  friend bool operator==(const MedicationUse&, const MedicationUse&) = default;
};

struct RiskAssessmentPrediction {
  std::optional<CodeableConcept> outcome;
  std::optional<CodeableConcept> qualitative_risk;
  std::string rationale;
  friend bool operator==(const RiskAssessmentPrediction&, const RiskAssessmentPrediction&) = default;
};

struct RiskAssessment {
  std::string id;
  Meta meta;
  std::vector<Identifier> identifier;
  std::string status;  // registered | preliminary | final | amended | ...
  std::optional<CodeableConcept> method;
  std::optional<CodeableConcept> code;
  Reference subject;
  std::string occurrence_date_time;
  std::vector<Reference> basis;
  std::vector<RiskAssessmentPrediction> prediction;
  std::vector<Annotation> note;
  friend bool operator==(const RiskAssessment&, const RiskAssessment&) = default;
};

struct CarePlanActivityDetail {
  std::string kind;  // Appointment | CommunicationRequest | DeviceRequest | MedicationRequest | NutritionOrder |
                     // Task | ServiceRequest | VisionPrescription (empty: none)
  std::optional<CodeableConcept> code;
  std::vector<CodeableConcept> reason_code;
  std::vector<Reference> reason_reference;
  std::string status;                                     // not-started | scheduled | ... (required in R4)
  std::vector<std::string> scheduled_timing_time_of_day;  // Timing.repeat.timeOfDay, "08:00:00"
  std::string description;
  friend bool operator==(const CarePlanActivityDetail&, const CarePlanActivityDetail&) = default;
};

struct CarePlanActivity {
  CarePlanActivityDetail detail;
  friend bool operator==(const CarePlanActivity&, const CarePlanActivity&) = default;
};

struct CarePlan {
  std::string id;
  Meta meta;
  std::vector<Identifier> identifier;
  std::string status;  // draft | active | ...
  std::string intent;  // proposal | plan | order | option
  std::vector<CodeableConcept> category;
  std::string title;
  std::string description;
  Reference subject;
  std::string created;
  std::vector<Reference> supporting_info;
  std::vector<CarePlanActivity> activity;
  std::vector<Annotation> note;
  friend bool operator==(const CarePlan&, const CarePlan&) = default;
};

struct ProvenanceAgent {
  std::optional<CodeableConcept> type;
  Reference who;
  friend bool operator==(const ProvenanceAgent&, const ProvenanceAgent&) = default;
};

struct ProvenanceEntity {
  std::string role;  // derivation | revision | quotation | source | removal
  Reference what;
  friend bool operator==(const ProvenanceEntity&, const ProvenanceEntity&) = default;
};

struct Provenance {
  std::string id;
  Meta meta;
  std::vector<Reference> target;
  std::string recorded;  // instant
  std::optional<CodeableConcept> activity;
  std::vector<ProvenanceAgent> agent;
  std::vector<ProvenanceEntity> entity;
  friend bool operator==(const Provenance&, const Provenance&) = default;
};

struct SubscriptionChannel {
  std::string type;  // rest-hook | websocket | email | sms | message
  std::string endpoint;
  std::string payload;  // mime type; empty means no payload
  std::vector<std::string> header;
  std::vector<std::pair<std::string, bool>> extension_flags;  // (url, valueBoolean), e.g. send-delete-messages
  friend bool operator==(const SubscriptionChannel&, const SubscriptionChannel&) = default;
};

struct Subscription {
  std::string id;
  Meta meta;
  std::string status;  // requested | active | error | off
  std::string reason;
  std::string criteria;
  std::string error;
  SubscriptionChannel channel;
  friend bool operator==(const Subscription&, const Subscription&) = default;
};

struct OperationOutcomeIssue {
  std::string severity;  // fatal | error | warning | information
  std::string code;      // IssueType: invalid | structure | required | value | processing | not-supported | ...
  std::string diagnostics;
  std::vector<std::string> expression;     // FHIRPath of the element, e.g. "Observation.valueQuantity.value"
  std::optional<CodeableConcept> details;  // a machine-readable reason, e.g. our rejection-reason code
  friend bool operator==(const OperationOutcomeIssue&, const OperationOutcomeIssue&) = default;
};

struct OperationOutcome {
  std::string id;
  std::vector<OperationOutcomeIssue> issue;
  friend bool operator==(const OperationOutcome&, const OperationOutcome&) = default;
};

// R4 ConceptMap (terminology mappings; we read a site's local lab codes -> LOINC from it).
struct ConceptMapTarget {
  std::string code;
  std::string display;
  std::string equivalence;  // R4 ConceptMapEquivalence: equivalent | equal | wider | subsumes | narrower | ...
  friend bool operator==(const ConceptMapTarget&, const ConceptMapTarget&) = default;
};

struct ConceptMapElement {
  std::string code;
  std::string display;
  std::vector<ConceptMapTarget> target;
  friend bool operator==(const ConceptMapElement&, const ConceptMapElement&) = default;
};

struct ConceptMapGroup {
  std::string source;  // code system URI of the source codes
  std::string target;  // code system URI of the target codes
  std::vector<ConceptMapElement> element;
  friend bool operator==(const ConceptMapGroup&, const ConceptMapGroup&) = default;
};

struct ConceptMap {
  std::string id;
  Meta meta;
  std::string url;
  std::string version;
  std::string name;
  std::string status;  // draft | active | retired | unknown
  std::vector<ConceptMapGroup> group;
  friend bool operator==(const ConceptMap&, const ConceptMap&) = default;
};

// A resource of a type we do not model: kept as its type, id and version so it can be counted and skipped.
struct OtherResource {
  std::string resource_type;
  std::string id;
  Meta meta;
  friend bool operator==(const OtherResource&, const OtherResource&) = default;
};

struct Bundle;

using Resource = std::variant<Observation, Patient, MedicationUse, Medication, RiskAssessment, CarePlan,
                              Provenance, Subscription, OperationOutcome, ConceptMap, OtherResource>;

// Replaces each medicationReference to one of `medications` ("Medication/12", or an absolute URL ending so) with
// that Medication's code as medicationCodeableConcept, so a use reads the same however it names its medication.
void resolve_medication_references(std::vector<MedicationUse>& uses, const std::vector<Medication>& medications);

struct BundleLink {
  std::string relation;  // self | next | previous ...
  std::string url;
  friend bool operator==(const BundleLink&, const BundleLink&) = default;
};

struct BundleEntryRequest {
  std::string method;  // GET | POST | PUT | DELETE
  std::string url;
  std::string if_none_exist;  // conditional create query, without the leading "?"
  std::string if_match;       // version-aware update (R4 3.1.0.11.3): the ETag it replaces, W/"3"
  friend bool operator==(const BundleEntryRequest&, const BundleEntryRequest&) = default;
};

struct BundleEntryResponse {
  std::string status;  // "201 Created"
  std::string location;
  std::string etag;
  friend bool operator==(const BundleEntryResponse&, const BundleEntryResponse&) = default;
};

struct BundleEntry {
  std::string full_url;
  std::optional<Resource> resource;  // nested Bundles are decoded as OtherResource
  std::optional<BundleEntryRequest> request;
  std::optional<BundleEntryResponse> response;
  friend bool operator==(const BundleEntry&, const BundleEntry&) = default;
};

struct Bundle {
  std::string id;
  Meta meta;
  std::string type;  // transaction | transaction-response | searchset | history | batch | collection ...
  std::optional<int> total;
  std::string timestamp;
  std::vector<BundleLink> link;
  std::vector<BundleEntry> entry;
  friend bool operator==(const Bundle&, const Bundle&) = default;
};

// The FHIR resourceType name of a resource ("Observation", or OtherResource::resource_type).
std::string_view resource_type(const Resource& resource);
// The logical id of a resource (may be empty).
std::string_view resource_id(const Resource& resource);

}  // namespace gg::fhir
