// The real Pipeline driven through its seams (issue 9, item 2): the FHIR server is the in-memory fake, the clock a
// ManualClock, the state store SQLite on ":memory:" (a file where a restart is simulated). The analysis is the
// real one, over the shipped config/ knowledge and the sample patients of tests/data/patients/. No timers: each
// test runs the pipeline until nothing is due and moves the clock itself.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fake_fhir_client.hpp"
#include "fhir/json_codec.hpp"
#include "fhir/url.hpp"
#include "gateway/config/knowledge_loader.hpp"
#include "gateway/ingress/reconciler.hpp"
#include "gateway/pipeline/pipeline.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/clock.hpp"
#include "gateway/telemetry/metrics.hpp"
#include "gateway/telemetry/trace_context.hpp"
#include "gateway_test_support.hpp"

namespace gg::gateway {
namespace {

using namespace std::chrono_literals;
using testing::FakeFailure;
using testing::FakeFhirClient;
using testing::Interaction;

const std::string kSource = GG_SOURCE_DIR;
const std::string kPatients = kSource + "/tests/data/patients/";
constexpr std::string_view kCursor = kReconcileCursor;
// The goldens' --as-of: every sample result lies within the 30-day lookback.
constexpr auto kStart = std::chrono::sys_days{std::chrono::November / 26 / 2026};

std::unique_ptr<StateStore> open_store(const std::string& path) {
  auto opened = StateStore::open(path);
  EXPECT_TRUE(opened) << opened.error();
  return opened ? std::move(*opened) : nullptr;
}

template <typename T>
std::vector<T> of_type(const std::vector<fhir::Resource>& resources) {
  std::vector<T> out;
  for (const auto& resource : resources) {
    if (const auto* typed = std::get_if<T>(&resource)) out.push_back(*typed);
  }
  return out;
}

bool derived_from(const fhir::Observation& observation, const std::string& input) {
  return std::any_of(observation.derived_from.begin(), observation.derived_from.end(),
                     [&](const fhir::Reference& r) { return r.reference.starts_with(input); });
}

std::size_t count_method(const fhir::Bundle& bundle, std::string_view method) {
  return static_cast<std::size_t>(std::count_if(bundle.entry.begin(), bundle.entry.end(), [&](const auto& entry) {
    return entry.request && entry.request->method == method;
  }));
}

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() : store_(open_store(":memory:")) {
    config_.max_attempts = 4;
    config_.retry_initial_backoff = 1000ms;
    config_.claim_lease = 300s;
  }

  // A pipeline wired as serve wires it: the reconcile search (gateway/ingress/reconciler.hpp) is its catch-up.
  std::unique_ptr<Pipeline> make_pipeline(StateStore& store) {
    auto pipeline = std::make_unique<Pipeline>(io_.get_executor(), store, fhir_, testing::shipped_knowledge(),
                                               metrics_, config_, 30, clock_);
    auto& reconciler = *reconcilers_.emplace_back(std::make_unique<Reconciler>(
        store, fhir_, testing::shipped_knowledge(), config_.reconcile_overlap, clock_, metrics_));
    pipeline->set_catch_up([&reconciler] { return reconciler.run_once(); });
    return pipeline;
  }
  Pipeline& pipeline() {
    if (!pipeline_) pipeline_ = make_pipeline(*store_);
    return *pipeline_;
  }

  // Runs the pipeline until nothing is due at the clock's now.
  void run_until_idle(Pipeline& pipeline) {
    auto done = boost::asio::co_spawn(io_, pipeline.run_until_idle(), boost::asio::use_future);
    io_.restart();
    io_.run();
    done.get();
  }
  void run_until_idle() { run_until_idle(pipeline()); }

  // What the REST-hook endpoint records for a notification carrying the resource.
  std::int64_t notify(const std::string& id, StateStore* store = nullptr) {
    const auto resource = fhir_.current("Observation", id);
    EXPECT_TRUE(resource) << id;
    const auto& observation = std::get<fhir::Observation>(*resource);
    auto outcome = (store ? *store : *store_)
                       .record_event(IntakeEvent{"Observation",
                                                 observation.id,
                                                 observation.meta.version_id,
                                                 observation.subject.reference,
                                                 IntakeSource::rest_hook,
                                                 format_instant(clock_.now()),
                                                 fhir::to_json(*resource),
                                                 {}});
    EXPECT_EQ(outcome.kind, RecordOutcome::Kind::inserted);
    return outcome.seq;
  }

  // What backfill records for a patient: an event of its own run, leased to it for config_.claim_lease.
  std::int64_t record_backfill(const std::string& patient_id, const std::string& run) {
    auto outcome = store_->events().record(IntakeEvent{"Patient",
                                                       patient_id,
                                                       run,
                                                       "Patient/" + patient_id,
                                                       IntakeSource::backfill,
                                                       format_instant(clock_.now()),
                                                       {},
                                                       {}},
                                           format_instant(clock_.now() + config_.claim_lease));
    EXPECT_EQ(outcome.kind, RecordOutcome::Kind::inserted);
    return outcome.seq;
  }
  // What backfill does each round: claim the run's due events (and expired ones) under a new lease, process them.
  std::size_t claim_and_process(const std::string& run) {
    auto claimed = store_->events().claim_leased(IntakeSource::backfill, run, format_instant(clock_.now()),
                                                 format_instant(clock_.now() + config_.claim_lease), 100);
    const auto count = claimed.size();
    if (claimed.empty()) return 0;
    auto done = boost::asio::co_spawn(io_, pipeline().process(std::move(claimed), config_.claim_lease),
                                      boost::asio::use_future);
    io_.restart();
    io_.run();
    done.get();
    return count;
  }

  StoredEvent event(std::int64_t seq) {
    auto found = store_->find_event(seq);
    EXPECT_TRUE(found);
    return found.value_or(StoredEvent{});
  }

  std::vector<fhir::Observation> derived() {
    std::vector<fhir::Observation> out;
    for (auto& observation : of_type<fhir::Observation>(fhir_.all("Observation"))) {
      if (!observation.derived_from.empty()) out.push_back(std::move(observation));
    }
    return out;
  }

  boost::asio::io_context io_;
  ManualClock clock_{kStart};
  FakeFhirClient fhir_{clock_};
  MetricsRegistry metrics_;
  PipelineConfig config_;
  std::unique_ptr<StateStore> store_;
  std::vector<std::unique_ptr<Reconciler>> reconcilers_;  // before the pipelines that call them
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PipelineTest, AnalysesANotifiedResultAndWritesOneTransaction) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  const auto seq = notify("qs-a-2");
  run_until_idle();

  EXPECT_EQ(event(seq).state, EventState::done);
  ASSERT_EQ(fhir_.committed_transactions().size(), 1u);
  const auto ratios = derived();
  ASSERT_EQ(ratios.size(), 1u);
  EXPECT_TRUE(derived_from(ratios[0], "Observation/qs-a-1"));
  EXPECT_TRUE(derived_from(ratios[0], "Observation/qs-a-2"));
  EXPECT_EQ(ratios[0].subject.reference, "Patient/qs-a");
  EXPECT_EQ(of_type<fhir::RiskAssessment>(fhir_.all("RiskAssessment")).size(), 1u);
}

// 500 from a server that answers: the request may be at fault (a poison transaction), so it spends attempts.
TEST_F(PipelineTest, RetriesWithExponentialBackoffThenParksTheEventDeadAfterMaxAttempts) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  fhir_.fail_next(Interaction::transaction, 100, FakeFailure{500});
  const auto seq = notify("qs-a-2");

  // Attempts 1..3 fail and wait 1 s, 2 s, 4 s (retry_initial_backoff doubled per attempt); nothing runs earlier.
  for (int attempt = 1; attempt < config_.max_attempts; ++attempt) {
    run_until_idle();
    const auto stored = event(seq);
    ASSERT_EQ(stored.state, EventState::pending) << "attempt " << attempt;
    EXPECT_EQ(stored.attempts, attempt);
    const auto backoff = std::chrono::seconds(1 << (attempt - 1));
    EXPECT_EQ(stored.next_attempt_at, format_instant(clock_.now() + backoff));
    EXPECT_EQ(fhir_.count(Interaction::transaction), static_cast<std::size_t>(attempt));

    clock_.advance(backoff - 1s);
    run_until_idle();
    EXPECT_EQ(fhir_.count(Interaction::transaction), static_cast<std::size_t>(attempt)) << "ran before it was due";
    clock_.advance(1s);
  }
  run_until_idle();
  const auto dead = event(seq);
  EXPECT_EQ(dead.state, EventState::dead);
  EXPECT_EQ(dead.attempts, config_.max_attempts);
  EXPECT_NE(dead.last_error.find("500"), std::string::npos) << dead.last_error;
  EXPECT_TRUE(fhir_.committed_transactions().empty());

  // Dead is an end state: a later clock claims it no more.
  clock_.advance(1h);
  run_until_idle();
  EXPECT_EQ(fhir_.count(Interaction::transaction), static_cast<std::size_t>(config_.max_attempts));
}

struct StatusCase {
  unsigned status;  // 0: no answer
  EventState after_one_attempt;
};

class PipelineStatusTest : public PipelineTest, public ::testing::WithParamInterface<StatusCase> {};

// 4xx is a refusal that retrying will not change: failed at once. 5xx, 429 and no answer at all say "later".
TEST_P(PipelineStatusTest, RefusalsFailAndTransientErrorsAreRetried) {
  const auto [status, expected] = GetParam();
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  fhir_.fail_next(Interaction::transaction, 1, FakeFailure{status});
  const auto seq = notify("qs-a-2");
  run_until_idle();

  const auto stored = event(seq);
  EXPECT_EQ(stored.state, expected);
  // No answer at all is never the event's fault: it costs no attempt (the circuit breaker handles outages).
  EXPECT_EQ(stored.attempts, status == 0 ? 0 : 1);
  if (expected != EventState::pending) return;
  // The retry succeeds once due.
  clock_.advance(1s);
  run_until_idle();
  EXPECT_EQ(event(seq).state, EventState::done);
  EXPECT_EQ(fhir_.committed_transactions().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Statuses, PipelineStatusTest,
    ::testing::Values(StatusCase{400, EventState::failed}, StatusCase{404, EventState::failed},
                      StatusCase{422, EventState::failed}, StatusCase{429, EventState::pending},
                      StatusCase{500, EventState::pending}, StatusCase{503, EventState::pending},
                      StatusCase{0, EventState::pending}),
    [](const auto& info) {
      return info.param.status == 0 ? std::string("NoAnswer") : "Http" + std::to_string(info.param.status);
    });

// Issue 11, item 5: an outage of any length loses nothing. The breaker opens after circuit_failures unavailable
// answers; the rest of the batch waits without trying; probes find the server down for as long as it is; nothing
// spends an attempt; once a probe answers, every event drains, each patient written once.
TEST_F(PipelineTest, AnOutageOpensTheBreakerAndEventsWaitWithoutSpendingAttempts) {
  config_.circuit_failures = 3;
  config_.circuit_open = 0ms;  // probe at once: the test decides what the probe finds
  config_.max_attempts = 2;
  bool server_up = false;
  std::size_t probes = 0;
  pipeline().set_probe([&]() -> boost::asio::awaitable<bool> {
    ++probes;
    co_return server_up;
  });
  std::vector<CircuitBreaker::State> changes;
  pipeline().set_on_circuit([&](CircuitBreaker::State state) { changes.push_back(state); });
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  fhir_.load(kPatients + "full-panel.json");
  fhir_.load(kPatients + "testosterone-gel-4h.json");
  fhir_.load(kPatients + "serum-cortisol-day.json");
  fhir_.load(kPatients + "midnight-cortisol-dheas.json");
  std::vector<std::int64_t> seqs;
  std::vector<std::string> patients;
  for (const auto& resource : fhir_.all("Observation")) {
    const auto& observation = std::get<fhir::Observation>(resource);
    if (std::find(patients.begin(), patients.end(), observation.subject.reference) != patients.end()) continue;
    patients.push_back(observation.subject.reference);
    seqs.push_back(notify(observation.id));
  }
  ASSERT_EQ(seqs.size(), 5u);
  fhir_.fail_next(1000, FakeFailure{0});  // the server is gone

  run_until_idle();
  EXPECT_EQ(pipeline().circuit(), CircuitBreaker::State::open);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0], CircuitBreaker::State::open);
  // Three patients tried (one request each: the first read fails), the other two waited without a request.
  EXPECT_EQ(fhir_.count(Interaction::read), 3u);
  for (const auto seq : seqs) {
    EXPECT_EQ(event(seq).state, EventState::pending);
    EXPECT_EQ(event(seq).attempts, 0);
  }

  // Hours of outage: each round is one probe, never a request per event, never an attempt.
  const auto probes_before = probes;
  for (int round = 0; round < 10; ++round) {
    clock_.advance(1h);
    run_until_idle();
  }
  EXPECT_EQ(probes - probes_before, 10u);
  EXPECT_EQ(fhir_.count(Interaction::read), 3u);
  for (const auto seq : seqs) EXPECT_EQ(event(seq).attempts, 0);
  EXPECT_EQ(store_->counts().dead, 0);

  server_up = true;
  fhir_.heal();
  clock_.advance(1s);
  run_until_idle();
  EXPECT_EQ(pipeline().circuit(), CircuitBreaker::State::closed);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1], CircuitBreaker::State::closed);
  for (const auto seq : seqs) EXPECT_EQ(event(seq).state, EventState::done) << seq;
  // Exactly what the same results give without an outage.
  FakeFhirClient calm{clock_};
  for (const char* file : {"cortisol-dheas-pair.json", "full-panel.json", "testosterone-gel-4h.json",
                           "serum-cortisol-day.json", "midnight-cortisol-dheas.json"}) {
    calm.load(kPatients + file);
  }
  auto calm_store = open_store(":memory:");
  Pipeline calm_pipeline(io_.get_executor(), *calm_store, calm, testing::shipped_knowledge(), metrics_, config_,
                         30, clock_);
  for (const auto seq : seqs) {
    auto notified = event(seq);
    notified.seq = 0;
    calm_store->record_event(IntakeEvent{notified.resource_type,
                                         notified.resource_id,
                                         notified.version_id,
                                         notified.patient,
                                         IntakeSource::rest_hook,
                                         notified.received_at,
                                         {},
                                         {}});
  }
  run_until_idle(calm_pipeline);
  EXPECT_EQ(fhir_.all("RiskAssessment").size(), calm.all("RiskAssessment").size());
  EXPECT_EQ(fhir_.all("Observation").size(), calm.all("Observation").size());
  EXPECT_GE(fhir_.all("RiskAssessment").size(), 4u);
  const auto text = metrics_.render();
  EXPECT_NE(text.find("gradient_gateway_fhir_circuit_opened_total 1"), std::string::npos);
  EXPECT_NE(text.find("gradient_gateway_fhir_circuit_open 0"), std::string::npos);
  EXPECT_NE(text.find("gradient_gateway_events_dead_total 0"), std::string::npos);
}

// Patients overlap (their FHIR round trips are awaited together), at most pipeline.workers at once, on an
// io_context run by two threads as serve runs it: every patient is analysed once and the batch ends.
TEST_F(PipelineTest, PatientsAreAnalysedWorkersAtATimeAndTheBatchEnds) {
  config_.workers = 2;
  fhir_.answer_later(true);
  std::vector<std::int64_t> seqs;
  for (const char* file : {"cortisol-dheas-pair.json", "full-panel.json", "testosterone-gel-4h.json",
                           "serum-cortisol-day.json", "midnight-cortisol-dheas.json"}) {
    fhir_.load(kPatients + file);
  }
  for (const auto& resource : fhir_.all("Observation"))
    seqs.push_back(notify(std::string(fhir::resource_id(resource))));
  auto done = boost::asio::co_spawn(pipeline().executor(), pipeline().run_until_idle(), boost::asio::use_future);
  io_.restart();
  std::thread second([this] { io_.run_for(30s); });
  io_.run_for(30s);
  second.join();
  ASSERT_EQ(done.wait_for(0s), std::future_status::ready) << "the batch never ended";
  done.get();
  for (const auto seq : seqs) EXPECT_EQ(event(seq).state, EventState::done) << seq;
  EXPECT_GE(fhir_.all("RiskAssessment").size(), 4u);
  EXPECT_EQ(fhir_.max_in_flight(), 2u) << "two patients' requests overlapped, never more";
}

// Issue 11, item 3: a patient's next notification within context_cache_ttl costs a read of the notified result,
// not the whole context again; the result is still read from the server, so what it holds is what is analysed.
TEST_F(PipelineTest, APatientsNextResultIsReadAloneWhileItsContextIsCached) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  notify("qs-a-2");
  run_until_idle();
  ASSERT_EQ(derived().size(), 1u);
  const auto first_value = derived()[0].value_quantity->value;
  const auto searches = fhir_.count(Interaction::search);
  const auto reads = fhir_.count(Interaction::read);

  // The lab corrects the DHEA-S a minute later.
  auto dheas = std::get<fhir::Observation>(*fhir_.current("Observation", "qs-a-2"));
  dheas.value_quantity->value = *dheas.value_quantity->value * 2;
  clock_.advance(1min);
  fhir_.put(dheas);
  notify("qs-a-2");
  run_until_idle();

  EXPECT_EQ(fhir_.count(Interaction::search), searches) << "no search: the context came from the cache";
  EXPECT_EQ(fhir_.count(Interaction::read), reads + 1) << "one read: the notified result";
  EXPECT_EQ(metrics_.counter("gradient_gateway_context_cache_total", "", {{"result", "hit"}}).value(), 1.0);
  std::vector<double> values;
  for (const auto& observation : derived()) values.push_back(*observation.value_quantity->value);
  ASSERT_EQ(values.size(), 2u) << "the corrected value gives a new derived Observation";
  EXPECT_NEAR(std::min(values[0], values[1]), *first_value / 2, 1e-9 * *first_value) << "analysed as read";

  // Past the time to live, the whole context is fetched again.
  clock_.advance(config_.context_cache_ttl);
  fhir_.put(dheas);
  notify("qs-a-2");
  run_until_idle();
  EXPECT_GT(fhir_.count(Interaction::search), searches);
  EXPECT_EQ(metrics_.counter("gradient_gateway_context_cache_total", "", {{"result", "miss"}}).value(), 2.0);
}

// Mutual TLS (issue 13, item 1): a payload trusted at intake is analysed as it came, without the read; an
// untrusted one never is (AForgedPayloadChangesNothingThatIsWritten).
TEST_F(PipelineTest, ATrustedPayloadIsAnalysedWithoutReadingTheResultAgain) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  notify("qs-a-2");
  run_until_idle();
  ASSERT_EQ(derived().size(), 1u);
  const auto reads = fhir_.count(Interaction::read);

  auto dheas = std::get<fhir::Observation>(*fhir_.current("Observation", "qs-a-2"));
  dheas.value_quantity->value = *dheas.value_quantity->value * 2;
  clock_.advance(1min);
  const auto stored = fhir_.put(dheas);
  auto event = IntakeEvent{"Observation",
                           dheas.id,
                           std::get<fhir::Observation>(stored).meta.version_id,
                           dheas.subject.reference,
                           IntakeSource::rest_hook,
                           format_instant(clock_.now()),
                           fhir::to_json(stored),
                           {}};
  event.payload_trusted = true;
  ASSERT_TRUE(store_->record_event(event).stored());
  run_until_idle();

  EXPECT_EQ(fhir_.count(Interaction::read), reads) << "no read: the payload was trusted";
  EXPECT_EQ(metrics_.counter("gradient_gateway_trusted_payloads_total", "").value(), 1.0);
  EXPECT_EQ(derived().size(), 2u) << "the new value gives a new derived Observation";
  EXPECT_TRUE(store_->events_of("Observation", "qs-a-2").back().payload_trusted);

  // A trusted payload that is not the notified result of this patient is not used: the result is read.
  clock_.advance(1min);
  dheas.value_quantity->value = *dheas.value_quantity->value * 2;
  const auto again = fhir_.put(dheas);
  auto other = std::get<fhir::Observation>(again);
  other.subject.reference = "Patient/someone-else";
  event = IntakeEvent{"Observation",
                      dheas.id,
                      other.meta.version_id,
                      dheas.subject.reference,
                      IntakeSource::rest_hook,
                      format_instant(clock_.now()),
                      fhir::to_json(fhir::Resource{other}),
                      {}};
  event.payload_trusted = true;
  ASSERT_TRUE(store_->record_event(event).stored());
  run_until_idle();
  EXPECT_EQ(fhir_.count(Interaction::read), reads + 1);
}

// A panel delivered over several batches: the later batch's analysis sees the same results and would write the
// same resources, so nothing is sent (the bench found a conditional-create transaction per repeat).
TEST_F(PipelineTest, ResultsOfOnePanelNotifiedInTwoBatchesAreWrittenOnce) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  notify("qs-a-1");
  run_until_idle();
  ASSERT_EQ(fhir_.committed_transactions().size(), 1u);
  const auto seq = notify("qs-a-2");
  run_until_idle();
  EXPECT_EQ(event(seq).state, EventState::done);
  EXPECT_EQ(fhir_.count(Interaction::transaction), 1u) << "the same resources were not sent again";
  EXPECT_EQ(metrics_.counter("gradient_gateway_writeback_unchanged_total", "").value(), 1.0);

  // A new version of a result is a new input: written.
  clock_.advance(1min);
  fhir_.put(*fhir_.current("Observation", "qs-a-2"));
  notify("qs-a-2");
  run_until_idle();
  EXPECT_EQ(fhir_.committed_transactions().size(), 2u);
}

// Issue 11, item 4: a gradient whose results hold no previous value is compared with the gateway's own latest
// derived Observation of its code from before the lookback, found by one search; the trend cites it.
TEST_F(PipelineTest, ATrendReachesBackToTheGatewaysOwnEarlierDerivedObservation) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  notify("qs-a-2");
  run_until_idle();
  ASSERT_EQ(derived().size(), 1u);
  auto earlier = derived()[0];
  const auto has_trend = [](const fhir::Observation& observation) {
    return std::any_of(observation.component.begin(), observation.component.end(), [](const auto& component) {
      return !component.code.coding.empty() && component.code.coding[0].code == "trend-previous-value";
    });
  };
  EXPECT_FALSE(has_trend(earlier)) << "one pair in the lookback: nothing to compare with";

  // The same ratio, written by the gateway ten months ago, twice today's value.
  earlier.id = "earlier-ratio";
  earlier.meta = {};
  earlier.effective_date_time = "2026-01-12T08:00:00+01:00";
  earlier.value_quantity->value = *earlier.value_quantity->value * 2;
  earlier.derived_from.clear();
  earlier.identifier.clear();
  fhir_.put(earlier);
  clock_.advance(config_.context_cache_ttl);  // the cached context predates it
  fhir_.put(*fhir_.current("Observation", "qs-a-2"));
  notify("qs-a-2");
  run_until_idle();

  const auto ratios = derived();
  const auto now = std::find_if(ratios.begin(), ratios.end(), has_trend);
  ASSERT_NE(now, ratios.end()) << "the new analysis states a trend";
  EXPECT_TRUE(derived_from(*now, "Observation/earlier-ratio/_history/1"));
  for (const auto& component : now->component) {
    if (component.code.coding[0].code == "trend-previous-value") {
      EXPECT_DOUBLE_EQ(*component.value_quantity->value, *earlier.value_quantity->value);
    }
    if (component.code.coding[0].code == "trend-change-percent") {
      EXPECT_NEAR(*component.value_quantity->value, -50.0, 1e-6);
    }
  }
}

// A request the client refuses to send (an invalid reference) will never be sent: failed at once, not retried.
TEST_F(PipelineTest, AnInvalidReferenceFailsAtOnce) {
  const fhir::RestError refused{make_error_code(fhir::RestErrc::invalid_request), "invalid resource type or id", 0,
                                std::nullopt};
  const auto outcome = classify(refused, "read Patient");
  EXPECT_EQ(outcome.kind, Outcome::Kind::failed);
  EXPECT_FALSE(outcome.unavailable);

  const fhir::RestError refused_target{make_error_code(fhir::RestErrc::target_refused), "another origin", 0,
                                       std::nullopt};
  EXPECT_EQ(classify(refused_target, "read").kind, Outcome::Kind::failed);

  const fhir::RestError no_answer{make_error_code(boost::asio::error::connection_refused), "refused", 0,
                                  std::nullopt};
  EXPECT_TRUE(classify(no_answer, "read").unavailable);
  EXPECT_TRUE(classify(no_answer, "read").no_answer);
  const fhir::RestError gateway{make_error_code(fhir::RestErrc::http_status), "503", 503, std::nullopt};
  EXPECT_TRUE(classify(gateway, "read").unavailable);
  EXPECT_FALSE(classify(gateway, "read").no_answer);
  const fhir::RestError broken{make_error_code(fhir::RestErrc::http_status), "500", 500, std::nullopt};
  EXPECT_EQ(classify(broken, "read").kind, Outcome::Kind::retry);
  EXPECT_FALSE(classify(broken, "read").unavailable);
  const fhir::RestError not_fhir{make_error_code(fhir::RestErrc::invalid_response), "not a Bundle", 0,
                                 std::nullopt};
  EXPECT_EQ(classify(not_fhir, "search").kind, Outcome::Kind::retry);
  EXPECT_FALSE(classify(not_fhir, "search").unavailable);
}

// Issue 11, item 1: the FHIR server is the source of truth. A notification carrying the right secret and an
// altered value (a forged, higher version) is only a hint: what is analysed and written is what the server holds.
TEST_F(PipelineTest, AForgedPayloadChangesNothingThatIsWritten) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  const auto honest = *fhir_.current("Observation", "qs-a-2");
  auto forged = std::get<fhir::Observation>(honest);
  ASSERT_TRUE(forged.value_quantity && forged.value_quantity->value);
  forged.value_quantity->value = *forged.value_quantity->value / 100.0;
  forged.meta.version_id = "99";
  const auto outcome = store_->record_event(IntakeEvent{"Observation",
                                                        forged.id,
                                                        "99",
                                                        forged.subject.reference,
                                                        IntakeSource::rest_hook,
                                                        format_instant(clock_.now()),
                                                        fhir::to_json(fhir::Resource{forged}),
                                                        {}});
  ASSERT_EQ(outcome.kind, RecordOutcome::Kind::inserted);
  run_until_idle();

  const auto ratios = derived();
  ASSERT_EQ(ratios.size(), 1u);
  // The same analysis from the server's own data, on a fresh fake, gives the same value.
  FakeFhirClient truth{clock_};
  truth.load(kPatients + "cortisol-dheas-pair.json");
  auto truth_store = open_store(":memory:");
  Pipeline honest_pipeline(io_.get_executor(), *truth_store, truth, testing::shipped_knowledge(), metrics_,
                           config_, 30, clock_);
  const auto& observation = std::get<fhir::Observation>(honest);
  truth_store->record_event(IntakeEvent{"Observation",
                                        observation.id,
                                        observation.meta.version_id,
                                        observation.subject.reference,
                                        IntakeSource::rest_hook,
                                        format_instant(clock_.now()),
                                        {},
                                        {}});
  run_until_idle(honest_pipeline);
  std::vector<fhir::Observation> truth_ratios;
  for (auto& o : of_type<fhir::Observation>(truth.all("Observation"))) {
    if (!o.derived_from.empty()) truth_ratios.push_back(std::move(o));
  }
  ASSERT_EQ(truth_ratios.size(), 1u);
  ASSERT_TRUE(ratios[0].value_quantity && truth_ratios[0].value_quantity);
  EXPECT_EQ(ratios[0].value_quantity->value, truth_ratios[0].value_quantity->value);
  // The forged version is cited nowhere.
  for (const auto& reference : ratios[0].derived_from)
    EXPECT_EQ(reference.reference.find("_history/99"), std::string::npos);
}

// A notified result the context search did not bring (dated before the lookback) is read from the server.
TEST_F(PipelineTest, ANotifiedResultOutsideTheSearchIsReadFromTheServer) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  const auto seq = notify("qs-a-2");
  clock_.advance(std::chrono::days(400));  // both results now lie before the 30-day lookback
  run_until_idle();
  EXPECT_EQ(event(seq).state, EventState::done);
  EXPECT_GE(fhir_.count(Interaction::read), 2u);  // the Patient and the notified Observation
}

TEST_F(PipelineTest, ContextFailuresAreClassifiedLikeWriteFailures) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  fhir_.fail_next(Interaction::search, 1, FakeFailure{500});
  const auto retried = notify("qs-a-1");
  run_until_idle();
  EXPECT_EQ(event(retried).state, EventState::pending);

  fhir_.fail_next(Interaction::read, 1, FakeFailure{403});
  clock_.advance(1s);
  run_until_idle();
  EXPECT_EQ(event(retried).state, EventState::failed);
  EXPECT_TRUE(fhir_.committed_transactions().empty());
}

TEST_F(PipelineTest, APatientTheServerDoesNotHoldIsAnalysedWithoutSexAndAge) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  fhir_.fail_next(Interaction::read, 1, FakeFailure{404});  // a read's 404 is an answer, not an error
  const auto seq = notify("qs-a-2");
  run_until_idle();
  EXPECT_EQ(event(seq).state, EventState::done);
  EXPECT_EQ(derived().size(), 1u);
}

TEST_F(PipelineTest, GroupsEventsByPatientAndAnalysesEachPatientOnceInIntakeOrder) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  fhir_.load(kPatients + "full-panel.json");
  const std::vector<std::int64_t> seqs = {notify("fp-0"), notify("qs-a-1"), notify("fp-1"), notify("qs-a-2")};
  run_until_idle();

  for (const auto seq : seqs) EXPECT_EQ(event(seq).state, EventState::done);
  // One pass per patient: one Patient read, one context search, one transaction each, the first-notified first.
  std::vector<std::string> patient_reads;
  for (const auto& call : fhir_.calls()) {
    if (call.interaction == Interaction::read && call.type == "Patient") patient_reads.push_back(call.query);
  }
  EXPECT_EQ(patient_reads, (std::vector<std::string>{"full-panel", "qs-a"}));
  ASSERT_EQ(fhir_.committed_transactions().size(), 2u);
  const auto subject_of_first = [](const fhir::Bundle& bundle) {
    for (const auto& entry : bundle.entry) {
      if (const auto* observation = std::get_if<fhir::Observation>(&*entry.resource)) {
        return observation->subject.reference;
      }
    }
    return std::string();
  };
  EXPECT_EQ(subject_of_first(fhir_.committed_transactions()[0]), "Patient/full-panel");
  EXPECT_EQ(subject_of_first(fhir_.committed_transactions()[1]), "Patient/qs-a");
}

TEST_F(PipelineTest, ARetractedInputRetractsItsOutputInTheSameTransactionAsTheNewAnalysis) {
  fhir_.load(kPatients + "full-panel.json");
  notify("fp-13");
  run_until_idle();
  ASSERT_EQ(fhir_.committed_transactions().size(), 1u);
  const auto homa = [&] {
    std::vector<fhir::Observation> found;
    for (auto& observation : derived()) {
      if (derived_from(observation, "Observation/fp-13")) found.push_back(std::move(observation));
    }
    return found;
  };
  ASSERT_FALSE(homa().empty());
  const auto first_risks = of_type<fhir::RiskAssessment>(fhir_.all("RiskAssessment"));
  ASSERT_EQ(first_risks.size(), 1u);

  // The lab marks the insulin entered-in-error.
  auto insulin = std::get<fhir::Observation>(*fhir_.current("Observation", "fp-13"));
  insulin.status = "entered-in-error";
  clock_.advance(1h);
  fhir_.put(insulin);
  const auto seq = notify("fp-13");
  run_until_idle();

  EXPECT_EQ(event(seq).state, EventState::done);
  // One transaction: the retraction (PUT, version-checked) and the new analysis (conditional creates) together.
  ASSERT_EQ(fhir_.committed_transactions().size(), 2u);
  const auto& both = fhir_.committed_transactions()[1];
  EXPECT_GE(count_method(both, "PUT"), 2u);
  EXPECT_GE(count_method(both, "POST"), 1u);
  for (const auto& entry : both.entry) {
    if (entry.request->method == "PUT") {
      EXPECT_FALSE(entry.request->if_match.empty());
    }
  }
  for (const auto& observation : homa()) EXPECT_EQ(observation.status, "entered-in-error");
  const auto risks = of_type<fhir::RiskAssessment>(fhir_.all("RiskAssessment"));
  ASSERT_EQ(risks.size(), 2u);
  const auto old_risk =
      std::find_if(risks.begin(), risks.end(), [&](const auto& r) { return r.id == first_risks[0].id; });
  ASSERT_NE(old_risk, risks.end());
  EXPECT_EQ(old_risk->status, "entered-in-error");
  EXPECT_FALSE(old_risk->note.empty());
  for (const auto& plan : of_type<fhir::CarePlan>(fhir_.all("CarePlan"))) {
    const bool rests_on_old =
        std::any_of(plan.supporting_info.begin(), plan.supporting_info.end(),
                    [&](const auto& r) { return r.reference == "RiskAssessment/" + first_risks[0].id; });
    if (rests_on_old) {
      EXPECT_EQ(plan.status, "entered-in-error");
    }
  }

  // A retried notification of the same retraction writes nothing new.
  clock_.advance(1h);
  fhir_.put(insulin);
  notify("fp-13");
  run_until_idle();
  for (std::size_t i = 2; i < fhir_.committed_transactions().size(); ++i) {
    EXPECT_EQ(count_method(fhir_.committed_transactions()[i], "PUT"), 0u);
  }
}

// Issue 10, "What an alert is": a finding with a level raises one gradient.finding naming the resources as the
// server assigned them; the same analysis again raises nothing; a retraction raises gradient.retracted.
// W3C Trace Context: the FHIR calls of a processing carry a span of the event's trace, and its alerts keep it, so
// a trace links the notification to its write-back and its alert deliveries.
TEST_F(PipelineTest, AProcessingsCallsAndAlertsCarryASpanOfTheEventsTrace) {
  constexpr std::string_view kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
  fhir_.load(kPatients + "full-panel.json");
  const auto resource = fhir_.current("Observation", "fp-13");
  ASSERT_TRUE(resource);
  const auto& observation = std::get<fhir::Observation>(*resource);
  ASSERT_TRUE(store_
                  ->record_event(IntakeEvent{"Observation", observation.id, observation.meta.version_id,
                                             observation.subject.reference, IntakeSource::rest_hook,
                                             format_instant(clock_.now()), fhir::to_json(*resource),
                                             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
                  .stored());
  run_until_idle();
  ASSERT_EQ(fhir_.header_sets().size(), 1u);
  const auto& headers = fhir_.header_sets()[0];
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers[0].first, "traceparent");
  const auto span = parse_traceparent(headers[0].second);
  ASSERT_TRUE(span) << headers[0].second;
  EXPECT_EQ(span->trace_id, kTrace);
  EXPECT_NE(span->parent_id, "00f067aa0ba902b7");  // a span of the gateway's own, not the notifier's
  EXPECT_EQ(fhir_.count(Interaction::transaction), 1u);
  const auto alerts = store_->alerts().after(0, 100);
  ASSERT_FALSE(alerts.empty());
  for (const auto& alert : alerts) EXPECT_EQ(alert.traceparent, headers[0].second);

  // An event stored before traces were kept gets a trace of its own.
  clock_.advance(1h);
  fhir_.put(*resource);
  notify("fp-13");
  run_until_idle();
  ASSERT_EQ(fhir_.header_sets().size(), 2u);
  const auto started = parse_traceparent(fhir_.header_sets()[1].at(0).second);
  ASSERT_TRUE(started);
  EXPECT_NE(started->trace_id, kTrace);
}

TEST_F(PipelineTest, AWrittenFindingRaisesOneAlertOnceAndItsRetractionAnother) {
  fhir_.load(kPatients + "full-panel.json");
  notify("fp-13");
  run_until_idle();
  auto alerts = store_->alerts().after(0, 100);
  const auto findings = std::count_if(alerts.begin(), alerts.end(),
                                      [](const StoredAlert& a) { return a.type == "gradient.finding"; });
  ASSERT_GE(findings, 1);
  const auto risks = of_type<fhir::RiskAssessment>(fhir_.all("RiskAssessment"));
  ASSERT_EQ(risks.size(), 1U);
  for (const auto& alert : alerts) {
    EXPECT_EQ(alert.patient, "Patient/full-panel");
    EXPECT_FALSE(alert.level.empty());
    EXPECT_TRUE(alert.webhook_id.starts_with("msg_"));
    // The derived Observation and the RiskAssessment as the server assigned them, not the urn:uuid fullUrls.
    ASSERT_TRUE(alert.observation.starts_with("Observation/")) << alert.observation;
    const auto derived_one = fhir_.current("Observation", alert.observation.substr(12));
    ASSERT_TRUE(derived_one);
    EXPECT_EQ(std::get<fhir::Observation>(*derived_one).code.coding.at(0).code, alert.code);
    EXPECT_NE(alert.body.find(R"("risk_assessment":"RiskAssessment/)" + risks[0].id + R"(")"), std::string::npos)
        << alert.body;
    EXPECT_NE(alert.body.find(R"("correlation_id":")"), std::string::npos);
  }
  EXPECT_EQ(metrics_.counter("gradient_gateway_alerts_queued_total", "").value(),
            static_cast<double>(alerts.size()));

  // The same result re-sent as a new version: the same finding, no new alert.
  auto glucose = std::get<fhir::Observation>(*fhir_.current("Observation", "fp-13"));
  clock_.advance(1h);
  fhir_.put(glucose);
  notify("fp-13");
  run_until_idle();
  EXPECT_EQ(store_->alerts().after(0, 100).size(), alerts.size());

  // Retracted: each alert about a voided derived Observation gets its gradient.retracted.
  glucose = std::get<fhir::Observation>(*fhir_.current("Observation", "fp-13"));
  glucose.status = "entered-in-error";
  clock_.advance(1h);
  fhir_.put(glucose);
  notify("fp-13");
  run_until_idle();
  const auto after = store_->alerts().after(alerts.back().seq, 100);
  std::vector<std::string> retracted;
  for (const auto& alert : after) {
    if (alert.type == "gradient.retracted") retracted.push_back(alert.observation);
  }
  ASSERT_FALSE(retracted.empty());
  for (const auto& observation : retracted) {
    EXPECT_EQ(std::get<fhir::Observation>(*fhir_.current("Observation", observation.substr(12))).status,
              "entered-in-error");
  }
}

TEST_F(PipelineTest, ARetractionThatLostARaceIsRetriedWithWhatTheServerHoldsThen) {
  fhir_.load(kPatients + "full-panel.json");
  notify("fp-13");
  run_until_idle();
  auto insulin = std::get<fhir::Observation>(*fhir_.current("Observation", "fp-13"));
  insulin.status = "entered-in-error";
  fhir_.put(insulin);
  const auto seq = notify("fp-13");
  fhir_.fail_next(Interaction::transaction, 1, FakeFailure{412});
  run_until_idle();
  EXPECT_EQ(event(seq).state, EventState::pending);
  clock_.advance(1s);
  run_until_idle();
  EXPECT_EQ(event(seq).state, EventState::done);
  EXPECT_EQ(fhir_.committed_transactions().size(), 2u);
}

TEST_F(PipelineTest, ReconcileRecordsMissedResultsAdvancesTheCursorAndARestartResumesFromIt) {
  run_until_idle();  // the first start only sets the cursor: history is backfill's job
  EXPECT_EQ(store_->cursor(std::string(kCursor)), format_instant(kStart));

  // Results stored while no notification came.
  clock_.advance(5min);
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  const auto first_seen = format_instant(clock_.now());
  clock_.advance(1min);
  pipeline().wake(true);
  run_until_idle();

  EXPECT_EQ(store_->events_of("Observation", "qs-a-1").size(), 1u);
  EXPECT_EQ(store_->events_of("Observation", "qs-a-2").size(), 1u);
  EXPECT_EQ(store_->events_of("Observation", "qs-a-1")[0].source, IntakeSource::poll);
  EXPECT_EQ(store_->events_of("Observation", "qs-a-1")[0].state, EventState::done);
  EXPECT_EQ(store_->cursor(std::string(kCursor)), first_seen);
  EXPECT_EQ(fhir_.committed_transactions().size(), 1u);

  // A restart: a new pipeline over the same store searches from the cursor, less the overlap.
  pipeline_.reset();
  clock_.advance(10min);
  fhir_.load(kPatients + "full-panel.json");
  const auto second_seen = format_instant(clock_.now());
  clock_.advance(1min);
  run_until_idle();

  const auto from = format_instant(kStart + 5min - config_.reconcile_overlap);
  const auto last_search =
      std::find_if(fhir_.calls().rbegin(), fhir_.calls().rend(), [](const testing::FakeCall& call) {
        return call.interaction == Interaction::search && call.query.find("_lastUpdated") != std::string::npos;
      });
  ASSERT_NE(last_search, fhir_.calls().rend());
  EXPECT_NE(last_search->query.find("_lastUpdated=ge" + fhir::percent_encode(from)), std::string::npos)
      << last_search->query;
  EXPECT_EQ(store_->events_of("Observation", "fp-0").size(), 1u);
  EXPECT_EQ(store_->events_of("Observation", "qs-a-1").size(), 1u) << "seen again in the overlap, recorded once";
  EXPECT_EQ(store_->cursor(std::string(kCursor)), second_seen);
  EXPECT_EQ(fhir_.committed_transactions().size(), 2u);
}

TEST_F(PipelineTest, ReconcileThatFailsKeepsTheCursor) {
  store_->set_cursor(std::string(kCursor), format_instant(kStart - 1h));
  fhir_.fail_next(Interaction::search, 1, FakeFailure{503});
  run_until_idle();
  EXPECT_EQ(store_->cursor(std::string(kCursor)), format_instant(kStart - 1h));
}

// Backfill (issue 9, item 3): one event per patient, naming no Observation, leased to the backfill run that
// recorded it; the pipeline analyses the patient from what the server holds, as for a notification.
TEST_F(PipelineTest, ABackfillEventIsAnalysedFromTheServerAndServeLeavesItAloneWhileLeased) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  const auto seq = record_backfill("qs-a", "backfill-1");
  run_until_idle();  // serve's claim: the event is not due before its lease ends
  EXPECT_EQ(event(seq).state, EventState::pending);
  EXPECT_EQ(event(seq).attempts, 0);
  EXPECT_EQ(fhir_.count(Interaction::transaction), 0u);

  EXPECT_EQ(claim_and_process("backfill-1"), 1u);
  EXPECT_EQ(event(seq).state, EventState::done);
  ASSERT_EQ(fhir_.committed_transactions().size(), 1u);
  const auto ratios = derived();
  ASSERT_EQ(ratios.size(), 1u);
  EXPECT_TRUE(derived_from(ratios[0], "Observation/qs-a-1"));
  EXPECT_TRUE(derived_from(ratios[0], "Observation/qs-a-2"));
  EXPECT_EQ(of_type<fhir::RiskAssessment>(fhir_.all("RiskAssessment")).size(), 1u);
  EXPECT_EQ(claim_and_process("backfill-1"), 0u);
}

TEST_F(PipelineTest, ABackfillEventIsRetriedWithBackoffOn5xxAndServeGetsItOnlyALeaseLater) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  fhir_.fail_next(Interaction::transaction, 2, FakeFailure{503});
  const auto seq = record_backfill("qs-a", "backfill-1");
  for (int attempt = 1; attempt <= 2; ++attempt) {
    EXPECT_EQ(claim_and_process("backfill-1"), 1u);
    const auto stored = event(seq);
    ASSERT_EQ(stored.state, EventState::pending);
    EXPECT_EQ(stored.attempts, attempt);
    const auto backoff = std::chrono::seconds(1 << (attempt - 1));
    // The backoff, then the lease: the backfill run's head start over serve's claim.
    EXPECT_EQ(stored.next_attempt_at, format_instant(clock_.now() + backoff + config_.claim_lease));
    clock_.advance(backoff - 1s);
    EXPECT_EQ(claim_and_process("backfill-1"), 0u) << "claimed before its backoff ended";
    run_until_idle();
    EXPECT_EQ(fhir_.count(Interaction::transaction), static_cast<std::size_t>(attempt)) << "serve took it";
    clock_.advance(1s);
  }
  EXPECT_EQ(claim_and_process("backfill-1"), 1u);
  EXPECT_EQ(event(seq).state, EventState::done);
  EXPECT_EQ(fhir_.committed_transactions().size(), 1u);
}

TEST_F(PipelineTest, ASecondBackfillRunAnalysesThePatientAgainAndWritesNothingTwice) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  const auto first = record_backfill("qs-a", "backfill-1");
  EXPECT_EQ(claim_and_process("backfill-1"), 1u);
  clock_.advance(1min);
  const auto second = record_backfill("qs-a", "backfill-2");
  EXPECT_NE(first, second);
  EXPECT_EQ(claim_and_process("backfill-2"), 1u);
  EXPECT_EQ(event(second).state, EventState::done);
  EXPECT_EQ(fhir_.count(Interaction::transaction), 2u);
  EXPECT_EQ(derived().size(), 1u);
  EXPECT_EQ(of_type<fhir::RiskAssessment>(fhir_.all("RiskAssessment")).size(), 1u);
}

// A backfill that died after recording (or claiming) its events: serve takes them once the lease has run out,
// and so does the next backfill run; never both.
TEST_F(PipelineTest, ALeasedEventWhoseClaimerDiedIsDueAfterTheLease) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  fhir_.load(kPatients + "full-panel.json");
  const auto abandoned = record_backfill("qs-a", "backfill-1");
  const auto also_abandoned = record_backfill("full-panel", "backfill-1");
  clock_.advance(config_.claim_lease - 1s);
  EXPECT_EQ(claim_and_process("backfill-2"), 0u) << "another run's lease is still running";
  run_until_idle();
  EXPECT_EQ(event(abandoned).state, EventState::pending);
  EXPECT_EQ(fhir_.count(Interaction::transaction), 0u);

  clock_.advance(1s);
  // The next backfill run claims one, in one UPDATE; serve's claim no longer sees it, and takes the other.
  auto claimed = store_->events().claim_leased(IntakeSource::backfill, "backfill-2", format_instant(clock_.now()),
                                               format_instant(clock_.now() + config_.claim_lease), 1);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].seq, abandoned);
  EXPECT_EQ(store_->events()
                .claim_leased(IntakeSource::backfill, "backfill-3", format_instant(clock_.now()),
                              format_instant(clock_.now() + config_.claim_lease), 1)[0]
                .seq,
            also_abandoned);
  clock_.advance(config_.claim_lease);
  run_until_idle();  // both leases ran out: serve finishes both
  EXPECT_EQ(event(abandoned).state, EventState::done);
  EXPECT_EQ(event(also_abandoned).state, EventState::done);
  EXPECT_EQ(fhir_.committed_transactions().size(), 2u);
}

// A process that dies after the server committed the write-back and before the events were settled: on restart
// the claimed events are still pending, are processed again, and the conditional creates write nothing twice.
TEST(PipelineCrashTest, EventsClaimedButNotSettledAreProcessedAgainWithoutWritingTwice) {
  const auto path =
      std::filesystem::temp_directory_path() / ("gg-pipeline-crash-" + std::to_string(::getpid()) + ".sqlite");
  std::filesystem::remove(path);
  ManualClock clock{kStart};
  FakeFhirClient fhir{clock};
  fhir.load(kPatients + "cortisol-dheas-pair.json");
  fhir.load(kPatients + "full-panel.json");
  MetricsRegistry metrics;
  PipelineConfig config;
  config.workers = 1;  // one patient at a time: the first commit is the last thing the process does
  std::vector<std::int64_t> seqs;
  std::size_t written_first = 0;
  {
    boost::asio::io_context io;
    auto store = open_store(path.string());
    for (const char* id : {"qs-a-2", "fp-0"}) {
      const auto resource = *fhir.current("Observation", id);
      const auto& observation = std::get<fhir::Observation>(resource);
      seqs.push_back(store
                         ->record_event(IntakeEvent{"Observation",
                                                    observation.id,
                                                    observation.meta.version_id,
                                                    observation.subject.reference,
                                                    IntakeSource::rest_hook,
                                                    format_instant(clock.now()),
                                                    fhir::to_json(resource),
                                                    {}})
                         .seq);
    }
    fhir.after_commit([&io] { io.stop(); });  // the first commit is the last thing this process does
    auto pipeline = std::make_unique<Pipeline>(io.get_executor(), *store, fhir, testing::shipped_knowledge(),
                                               metrics, config, 30, clock);
    boost::asio::co_spawn(io, pipeline->run_until_idle(), [](const std::exception_ptr&) {});
    io.run();
    ASSERT_EQ(fhir.committed_transactions().size(), 1u);
    written_first = fhir.all("Observation").size() + fhir.all("RiskAssessment").size();
    fhir.after_commit(nullptr);
    pipeline.reset();
    store.reset();
  }  // the io_context goes with the suspended pipeline coroutine in it

  boost::asio::io_context io;
  auto store = open_store(path.string());
  for (const auto seq : seqs) EXPECT_EQ(store->find_event(seq)->state, EventState::pending);
  Pipeline pipeline(io.get_executor(), *store, fhir, testing::shipped_knowledge(), metrics, config, 30, clock);
  auto done = boost::asio::co_spawn(io, pipeline.run_until_idle(), boost::asio::use_future);
  io.run();
  done.get();

  for (const auto seq : seqs) EXPECT_EQ(store->find_event(seq)->state, EventState::done);
  // Both patients' transactions were sent again; the one already committed created nothing new.
  EXPECT_EQ(fhir.committed_transactions().size(), 3u);
  std::size_t qs_a_ratios = 0;
  for (const auto& observation : of_type<fhir::Observation>(fhir.all("Observation"))) {
    if (observation.subject.reference == "Patient/qs-a" && !observation.derived_from.empty()) ++qs_a_ratios;
  }
  EXPECT_EQ(qs_a_ratios, 1u);
  EXPECT_GT(fhir.all("Observation").size() + fhir.all("RiskAssessment").size(), written_first);
  std::size_t qs_a_risks = 0;
  for (const auto& risk : of_type<fhir::RiskAssessment>(fhir.all("RiskAssessment"))) {
    if (risk.subject.reference == "Patient/qs-a") ++qs_a_risks;
  }
  EXPECT_EQ(qs_a_risks, 1u);
  store.reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}

}  // namespace
}  // namespace gg::gateway
