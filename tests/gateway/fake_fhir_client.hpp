// An in-memory FHIR server behind the client seam (fhir/client.hpp), for unit tests of the pipeline and the
// Subscription manager: resources by type and id with versions and lastUpdated (from the test's clock), reads,
// searches with the parameters the gateway sends, transactions (all or nothing: ids assigned, urn:uuid references
// rewritten, conditional create on If-None-Exist, version checks on If-Match) and creates and updates. It can be
// told to fail: no answer (a connection error) or an HTTP status, for the next N calls or the next N of one
// interaction. It is a fake, not HAPI: the integration tests against HAPI stay the proof of FHIR behaviour.
//
// Single-threaded: use it from one io_context thread.
#pragma once

#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fhir/client.hpp"
#include "gateway/telemetry/clock.hpp"

namespace gg::gateway::testing {

enum class Interaction { read, search, transaction, create, update };

struct FakeFailure {
  unsigned http_status = 0;  // 0: no answer (connection refused); else that status, e.g. 400, 404, 429, 500, 503
};

// One call as the fake received it.
struct FakeCall {
  Interaction interaction = Interaction::read;
  std::string type;   // resource type ("" for a transaction)
  std::string query;  // search query, or the id of a read
};

class FakeFhirClient final : public fhir::Client {
 public:
  // lastUpdated of what is stored comes from `clock`.
  explicit FakeFhirClient(const Clock& clock) : clock_(clock) {}

  // Stores a resource as a new version under its own id (which it must have), as if a client had PUT it.
  // Returns it as stored (meta.versionId and meta.lastUpdated set).
  fhir::Resource put(fhir::Resource resource);
  // Stores every entry of a Bundle file (tests/data/patients/*.json); returns how many.
  std::size_t load(const std::filesystem::path& bundle_file);

  // The current version of type/id, if stored.
  std::optional<fhir::Resource> current(const std::string& type, const std::string& id) const;
  // The current version of every resource of a type, in order of creation.
  std::vector<fhir::Resource> all(const std::string& type) const;

  // The next `count` calls (of any interaction, or of one) fail as `failure` says. Per-interaction scripts are
  // used before the ones for any interaction.
  void fail_next(std::size_t count, FakeFailure failure);
  void fail_next(Interaction interaction, std::size_t count, FakeFailure failure);
  // Drops every scripted failure not yet used: the server is back.
  void heal();

  // Called once a transaction is committed, before its answer is returned; the answer then waits for one turn
  // of the caller's executor, so that a hook which stops the io_context leaves the caller suspended after the
  // server wrote and before it heard back (a crash between claim and settle).
  void after_commit(std::function<void()> hook) { after_commit_ = std::move(hook); }
  // Every read and search answers only after one turn of the caller's executor, as a real server's answer does:
  // callers overlap (several patients in flight) instead of each finishing before the next starts.
  void answer_later(bool later) { answer_later_ = later; }
  // The most reads and searches that were waiting for their answer at one time (with answer_later).
  std::size_t max_in_flight() const { return max_in_flight_; }

  const std::vector<FakeCall>& calls() const { return calls_; }
  // The headers each with_headers() view was made with (a processing's traceparent), in order.
  std::unique_ptr<fhir::Client> with_headers(Headers headers) override {
    header_sets_.push_back(headers);
    return fhir::Client::with_headers(std::move(headers));
  }
  const std::vector<Headers>& header_sets() const { return header_sets_; }
  std::size_t count(Interaction interaction) const;
  // The transaction Bundles the fake committed, in order (failed and refused ones are not here).
  const std::vector<fhir::Bundle>& committed_transactions() const { return committed_; }

  boost::asio::awaitable<fhir::RestResult<fhir::ReadResult>> read_resource(std::string type,
                                                                           std::string id) override;
  boost::asio::awaitable<fhir::RestResult<fhir::SearchResult>> search(std::string type, std::string query,
                                                                      std::size_t max_pages = 50,
                                                                      fhir::DecodeOptions decode_options = {},
                                                                      bool keep_json = false) override;
  boost::asio::awaitable<fhir::RestResult<fhir::Bundle>> transaction(const fhir::Bundle& bundle) override;
  boost::asio::awaitable<fhir::RestResult<fhir::Resource>> create(const fhir::Resource& resource) override;
  boost::asio::awaitable<fhir::RestResult<fhir::Resource>> update(const fhir::Resource& resource,
                                                                  std::string if_match = {}) override;

 private:
  struct Stored {
    std::vector<fhir::Resource> versions;  // oldest first
    std::size_t created = 0;               // creation order across the store
  };
  using Store = std::map<std::string, std::map<std::string, Stored>>;  // type -> id -> versions

  std::optional<fhir::RestError> scripted_failure(Interaction interaction);
  fhir::Resource store_version(Store& store, fhir::Resource resource) const;
  std::string next_id();
  // The current resources of `type` matching a query, in creation order (or by _lastUpdated when sorted), or
  // an error for a parameter the fake does not know (a strict server's 400).
  fhir::RestResult<fhir::SearchResult> find(const Store& store, const std::string& type,
                                            const std::string& query) const;

  const Clock& clock_;
  Store store_;
  std::size_t created_ = 0;
  std::size_t next_id_ = 1;
  std::map<Interaction, std::deque<FakeFailure>> per_interaction_;
  std::deque<FakeFailure> any_interaction_;
  std::vector<FakeCall> calls_;
  std::vector<fhir::Bundle> committed_;
  std::vector<Headers> header_sets_;
  std::function<void()> after_commit_;
  bool answer_later_ = false;
  std::size_t in_flight_ = 0;
  std::size_t max_in_flight_ = 0;
};

}  // namespace gg::gateway::testing
