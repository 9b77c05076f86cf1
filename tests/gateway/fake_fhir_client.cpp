#include "fake_fhir_client.hpp"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "analytics/date_time.hpp"
#include "fhir/json_codec.hpp"

namespace gg::gateway::testing {
namespace {

// The parts joined: one allocation, where `a + b + c` makes a temporary per `+`.
std::string text(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const auto part : parts) out += part;
  return out;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (text[i] == '+') {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> parameters;
  if (query.starts_with('?')) query.remove_prefix(1);
  while (!query.empty()) {
    const auto end = std::min(query.find('&'), query.size());
    const auto pair = query.substr(0, end);
    const auto equals = pair.find('=');
    if (equals != std::string_view::npos) {
      parameters.emplace_back(percent_decode(pair.substr(0, equals)), percent_decode(pair.substr(equals + 1)));
    }
    query.remove_prefix(std::min(end + 1, query.size()));
  }
  return parameters;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, separator);) parts.push_back(part);
  return parts;
}

fhir::Meta* meta_of(fhir::Resource& resource) {
  return std::visit(
      [](auto& r) -> fhir::Meta* {
        if constexpr (requires { r.meta; }) {
          return &r.meta;
        } else {
          return nullptr;
        }
      },
      resource);
}

const fhir::Meta* meta_of(const fhir::Resource& resource) {
  return std::visit(
      [](const auto& r) -> const fhir::Meta* {
        if constexpr (requires { r.meta; }) {
          return &r.meta;
        } else {
          return nullptr;
        }
      },
      resource);
}

void set_id(fhir::Resource& resource, const std::string& id) {
  std::visit(
      [&](auto& r) {
        if constexpr (requires { r.id; }) r.id = id;
      },
      resource);
}

std::string subject_of(const fhir::Resource& resource) {
  return std::visit(
      [](const auto& r) -> std::string {
        if constexpr (requires { r.subject.reference; }) {
          return r.subject.reference;
        } else {
          return {};
        }
      },
      resource);
}

std::vector<fhir::Identifier> identifiers_of(const fhir::Resource& resource) {
  return std::visit(
      [](const auto& r) -> std::vector<fhir::Identifier> {
        if constexpr (requires { r.identifier; }) {
          return r.identifier;
        } else {
          return {};
        }
      },
      resource);
}

std::vector<fhir::Coding> codes_of(const fhir::Resource& resource) {
  if (const auto* observation = std::get_if<fhir::Observation>(&resource)) return observation->code.coding;
  return {};
}

std::string effective_of(const fhir::Resource& resource) {
  return std::visit(
      [](const auto& r) -> std::string {
        if constexpr (requires { r.effective_date_time; }) {
          if (!r.effective_date_time.empty()) return r.effective_date_time;
          if (r.effective_period) return r.effective_period->start;
        }
        return {};
      },
      resource);
}

// "ge2026-11-20T00:00:00Z" against an instant (R4 section 3.1.1.4.2, prefixes). Text that is no instant never
// matches.
bool date_matches(const std::string& condition, const std::string& value) {
  std::string prefix = "eq";
  std::string when = condition;
  if (condition.size() > 2 && std::isalpha(static_cast<unsigned char>(condition[0]))) {
    prefix = condition.substr(0, 2);
    when = condition.substr(2);
  }
  const auto wanted = analytics::parse_fhir_date_time(when).instant;
  const auto actual = analytics::parse_fhir_date_time(value).instant;
  if (!wanted || !actual) return false;
  if (prefix == "ge") return actual->utc >= wanted->utc;
  if (prefix == "gt") return actual->utc > wanted->utc;
  if (prefix == "le") return actual->utc <= wanted->utc;
  if (prefix == "lt") return actual->utc < wanted->utc;
  if (prefix == "eq") return actual->utc == wanted->utc;
  throw std::invalid_argument("fake FHIR server: date prefix " + prefix);
}

// A token parameter (R4 section 3.1.1.4.5): "system|code", "system|" or "code"; a comma means any of them.
bool token_matches(const std::string& list, const std::vector<std::pair<std::string, std::string>>& pairs) {
  for (const auto& token : split(list, ',')) {
    const auto bar = token.find('|');
    for (const auto& [system, code] : pairs) {
      if (bar == std::string::npos
              ? code == token
              : system == token.substr(0, bar) && (bar + 1 == token.size() || code == token.substr(bar + 1))) {
        return true;
      }
    }
  }
  return false;
}

std::string reference_of(const fhir::Resource& resource) {
  return std::string(fhir::resource_type(resource)) + "/" + std::string(fhir::resource_id(resource));
}

template <typename T>
fhir::RestResult<T> failed(unsigned status, const std::string& what) {
  return fhir::RestResult<T>(
      boost::system::in_place_error,
      fhir::RestError{fhir::make_error_code(fhir::RestErrc::http_status),
                      what + ": HTTP " + std::to_string(status) + " (fake)", status, std::nullopt});
}

template <typename T>
fhir::RestResult<T> succeeded(T value) {
  return fhir::RestResult<T>(boost::system::in_place_value, std::move(value));
}

}  // namespace

fhir::Resource FakeFhirClient::store_version(Store& store, fhir::Resource resource) const {
  const std::string type(fhir::resource_type(resource));
  const std::string id(fhir::resource_id(resource));
  if (id.empty()) throw std::invalid_argument("fake FHIR server: a stored resource needs an id");
  auto& stored = store[type][id];
  if (auto* meta = meta_of(resource)) {
    meta->version_id = std::to_string(stored.versions.size() + 1);
    meta->last_updated = format_instant(clock_.now());
  }
  stored.versions.push_back(resource);
  return resource;
}

fhir::Resource FakeFhirClient::put(fhir::Resource resource) {
  const std::string type(fhir::resource_type(resource));
  const std::string id(fhir::resource_id(resource));
  if (!store_[type].contains(id)) store_[type][id].created = ++created_;
  return store_version(store_, std::move(resource));
}

std::size_t FakeFhirClient::load(const std::filesystem::path& bundle_file) {
  std::ifstream in(bundle_file);
  std::stringstream text;
  text << in.rdbuf();
  auto bundle = fhir::decode_bundle(text.str());
  if (!bundle.ok()) throw std::runtime_error("fake FHIR server: cannot read " + bundle_file.string());
  std::size_t count = 0;
  for (auto& entry : bundle.value->entry) {
    if (!entry.resource) continue;
    put(std::move(*entry.resource));
    ++count;
  }
  return count;
}

std::optional<fhir::Resource> FakeFhirClient::current(const std::string& type, const std::string& id) const {
  const auto of_type = store_.find(type);
  if (of_type == store_.end()) return std::nullopt;
  const auto stored = of_type->second.find(id);
  if (stored == of_type->second.end()) return std::nullopt;
  return stored->second.versions.back();
}

std::vector<fhir::Resource> FakeFhirClient::all(const std::string& type) const {
  auto found = find(store_, type, "");
  return found.has_value() ? found->resources : std::vector<fhir::Resource>{};
}

void FakeFhirClient::fail_next(std::size_t count, FakeFailure failure) {
  any_interaction_.insert(any_interaction_.end(), count, failure);
}

void FakeFhirClient::fail_next(Interaction interaction, std::size_t count, FakeFailure failure) {
  auto& queue = per_interaction_[interaction];
  queue.insert(queue.end(), count, failure);
}

void FakeFhirClient::heal() {
  any_interaction_.clear();
  per_interaction_.clear();
}

std::size_t FakeFhirClient::count(Interaction interaction) const {
  return static_cast<std::size_t>(std::count_if(
      calls_.begin(), calls_.end(), [&](const FakeCall& call) { return call.interaction == interaction; }));
}

std::optional<fhir::RestError> FakeFhirClient::scripted_failure(Interaction interaction) {
  auto& own = per_interaction_[interaction];
  auto& queue = own.empty() ? any_interaction_ : own;
  if (queue.empty()) return std::nullopt;
  const auto failure = queue.front();
  queue.pop_front();
  if (failure.http_status == 0) {
    return fhir::RestError{make_error_code(boost::asio::error::connection_refused), "fake: connection refused", 0,
                           std::nullopt};
  }
  return fhir::RestError{fhir::make_error_code(fhir::RestErrc::http_status),
                         "fake: HTTP " + std::to_string(failure.http_status), failure.http_status, std::nullopt};
}

std::string FakeFhirClient::next_id() {
  return "fake-" + std::to_string(next_id_++);
}

fhir::RestResult<fhir::SearchResult> FakeFhirClient::find(const Store& store, const std::string& type,
                                                          const std::string& query) const {
  const auto parameters = parse_query(query);
  std::vector<std::pair<std::size_t, const fhir::Resource*>> matches;
  const auto of_type = store.find(type);
  std::size_t page_size = 0;
  bool by_last_updated = false;
  bool latest_first = false;  // _sort=-date: by effective time, latest first
  std::vector<std::string> includes;
  for (const auto& [name, value] : parameters) {
    if (name == "_count") page_size = std::stoul(value);
    if (name == "_sort") {
      if (value != "_lastUpdated" && value != "-date") {
        return failed<fhir::SearchResult>(400, "search " + type + ": _sort");
      }
      by_last_updated = value == "_lastUpdated";
      latest_first = value == "-date";
    }
    if (name == "_include") includes.push_back(value);
  }
  if (of_type != store.end()) {
    for (const auto& [id, stored] : of_type->second) {
      const auto& resource = stored.versions.back();
      bool match = true;
      for (const auto& [name, value] : parameters) {
        if (name == "_count" || name == "_sort" || name == "_include") continue;
        if (name == "subject" || name == "patient") {
          match = subject_of(resource) == value;
        } else if (name == "code") {
          std::vector<std::pair<std::string, std::string>> pairs;
          for (const auto& coding : codes_of(resource)) pairs.emplace_back(coding.system, coding.code);
          match = token_matches(value, pairs);
        } else if (name == "identifier") {
          std::vector<std::pair<std::string, std::string>> pairs;
          for (const auto& identifier : identifiers_of(resource))
            pairs.emplace_back(identifier.system, identifier.value);
          match = token_matches(value, pairs);
        } else if (name == "_tag") {
          std::vector<std::pair<std::string, std::string>> pairs;
          if (const auto* meta = meta_of(resource)) {
            for (const auto& tag : meta->tag) pairs.emplace_back(tag.system, tag.code);
          }
          match = token_matches(value, pairs);
        } else if (name == "date" || name == "effective-time") {
          match = date_matches(value, effective_of(resource));
        } else if (name == "_lastUpdated") {
          const auto* meta = meta_of(resource);
          match = meta != nullptr && date_matches(value, meta->last_updated);
        } else if (name == "url" && type == "Subscription") {
          match = std::get<fhir::Subscription>(resource).channel.endpoint == value;
        } else if (name == "type" && type == "Subscription") {
          match = std::get<fhir::Subscription>(resource).channel.type == value;
        } else {
          return failed<fhir::SearchResult>(400, text({"search ", type, ": unknown parameter ", name}));
        }
        if (!match) break;
      }
      if (match) matches.emplace_back(stored.created, &resource);
    }
  }
  std::sort(matches.begin(), matches.end(), [&](const auto& a, const auto& b) {
    if (latest_first) {
      const auto when_a = analytics::parse_fhir_date_time(effective_of(*a.second)).instant;
      const auto when_b = analytics::parse_fhir_date_time(effective_of(*b.second)).instant;
      if (when_a && when_b && when_a->utc != when_b->utc) return when_a->utc > when_b->utc;
    }
    if (by_last_updated) {
      const auto* meta_a = meta_of(*a.second);
      const auto* meta_b = meta_of(*b.second);
      if (meta_a && meta_b && meta_a->last_updated != meta_b->last_updated) {
        return meta_a->last_updated < meta_b->last_updated;
      }
    }
    return a.first < b.first;
  });
  fhir::SearchResult result;
  for (const auto& [order, resource] : matches) result.resources.push_back(*resource);
  // _include=X:medication brings the Medication a use names (R4 section 3.1.1.5.4).
  for (const auto& include : includes) {
    if (!include.ends_with(":medication")) {
      return failed<fhir::SearchResult>(400, text({"search ", type, ": _include ", include}));
    }
    for (const auto& [order, resource] : matches) {
      const auto* use = std::get_if<fhir::MedicationUse>(resource);
      if (use == nullptr || !use->medication_reference) continue;
      const auto& reference = use->medication_reference->reference;
      if (!reference.starts_with("Medication/")) continue;
      if (auto medication = current("Medication", reference.substr(std::string_view("Medication/").size()))) {
        result.resources.push_back(std::move(*medication));
      }
    }
  }
  (void)page_size;  // one page holds everything: paging is the client's concern, not the seam's
  return succeeded(std::move(result));
}

boost::asio::awaitable<fhir::RestResult<fhir::ReadResult>> FakeFhirClient::read_resource(std::string type,
                                                                                         std::string id) {
  if (answer_later_) {
    max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
    const auto executor = co_await boost::asio::this_coro::executor;
    co_await boost::asio::post(executor, boost::asio::use_awaitable);
    --in_flight_;
  }
  calls_.push_back({Interaction::read, type, id});
  if (auto error = scripted_failure(Interaction::read)) {
    // 404 and 410 are answers to a read, not errors.
    if (error->http_status == 404 || error->http_status == 410)
      co_return succeeded(fhir::ReadResult{error->http_status, {}});
    co_return fhir::RestResult<fhir::ReadResult>(boost::system::in_place_error, std::move(*error));
  }
  auto resource = current(type, id);
  if (!resource) co_return succeeded(fhir::ReadResult{404, std::nullopt});
  co_return succeeded(fhir::ReadResult{200, resource});  // a copy: clang-analyzer misreads a move here
}

boost::asio::awaitable<fhir::RestResult<fhir::SearchResult>> FakeFhirClient::search(
    std::string type, std::string query, std::size_t /*max_pages*/, fhir::DecodeOptions /*options*/,
    bool keep_json) {
  if (answer_later_) {
    max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
    const auto executor = co_await boost::asio::this_coro::executor;
    co_await boost::asio::post(executor, boost::asio::use_awaitable);
    --in_flight_;
  }
  calls_.push_back({Interaction::search, type, query});
  if (auto error = scripted_failure(Interaction::search)) {
    co_return fhir::RestResult<fhir::SearchResult>(boost::system::in_place_error, std::move(*error));
  }
  auto found = find(store_, type, query);
  // The fake holds decoded resources: the bytes it "sent" are their JSON.
  if (found.has_value() && keep_json) {
    for (const auto& resource : found->resources) found->resource_json.push_back(fhir::to_json(resource));
  }
  co_return found;
}

boost::asio::awaitable<fhir::RestResult<fhir::Bundle>> FakeFhirClient::transaction(const fhir::Bundle& bundle) {
  calls_.push_back({Interaction::transaction, "", ""});
  if (auto error = scripted_failure(Interaction::transaction)) {
    co_return fhir::RestResult<fhir::Bundle>(boost::system::in_place_error, std::move(*error));
  }
  if (bundle.type != "transaction") co_return failed<fhir::Bundle>(400, "transaction: not a transaction Bundle");

  // All or nothing (R4 section 3.1.0.11.2): the entries are applied to a copy, which replaces the store only when
  // every entry succeeded.
  Store working = store_;
  std::size_t created = created_;
  fhir::Bundle response;
  response.type = "transaction-response";
  std::vector<std::pair<std::string, std::string>> assigned;  // fullUrl -> Type/id
  std::vector<std::pair<std::string, std::string>> written;   // Type, id of what this transaction wrote
  for (const auto& entry : bundle.entry) {
    if (!entry.request || !entry.resource)
      co_return failed<fhir::Bundle>(400, "transaction: entry without request");
    const auto& request = *entry.request;
    const std::string type(fhir::resource_type(*entry.resource));
    fhir::BundleEntry answer;
    if (request.method == "POST") {
      if (!request.if_none_exist.empty()) {
        auto existing = find(working, type, request.if_none_exist);
        if (!existing.has_value()) co_return failed<fhir::Bundle>(400, "transaction: " + existing.error().message);
        if (existing->resources.size() > 1) co_return failed<fhir::Bundle>(412, "transaction: If-None-Exist");
        if (existing->resources.size() == 1) {
          const auto reference = reference_of(existing->resources.front());
          if (!entry.full_url.empty()) assigned.emplace_back(entry.full_url, reference);
          answer.response = fhir::BundleEntryResponse{"200 OK", reference, ""};
          response.entry.push_back(std::move(answer));
          continue;
        }
      }
      auto resource = *entry.resource;
      const auto id = next_id();
      set_id(resource, id);
      working[type][id].created = ++created;
      store_version(working, std::move(resource));
      if (!entry.full_url.empty()) assigned.emplace_back(entry.full_url, text({type, "/", id}));
      written.emplace_back(type, id);
      answer.response = fhir::BundleEntryResponse{"201 Created", text({type, "/", id, "/_history/1"}), R"(W/"1")"};
    } else if (request.method == "PUT") {
      const auto slash = request.url.find('/');
      if (slash == std::string::npos || request.url.substr(0, slash) != type) {
        co_return failed<fhir::Bundle>(400, "transaction: PUT url");
      }
      const auto id = request.url.substr(slash + 1);
      auto& stored = working[type][id];
      if (!request.if_match.empty()) {
        const std::string current_tag =
            stored.versions.empty() ? std::string() : "W/\"" + std::to_string(stored.versions.size()) + "\"";
        if (current_tag != request.if_match) co_return failed<fhir::Bundle>(412, "transaction: If-Match");
      }
      if (stored.versions.empty()) stored.created = ++created;
      auto resource = *entry.resource;
      set_id(resource, id);
      const auto saved = store_version(working, std::move(resource));
      written.emplace_back(type, id);
      const auto version = meta_of(saved)->version_id;
      answer.response =
          fhir::BundleEntryResponse{version == "1" ? "201 Created" : "200 OK",
                                    text({type, "/", id, "/_history/", version}), text({"W/\"", version, "\""})};
    } else {
      co_return failed<fhir::Bundle>(400, "transaction: method " + request.method);
    }
    response.entry.push_back(std::move(answer));
  }
  // References between entries by fullUrl become the ids the server assigned (R4 section 3.1.0.11.2).
  if (!assigned.empty()) {
    for (const auto& [type, id] : written) {
      auto& latest = working[type][id].versions.back();
      std::string json = fhir::to_json(latest);
      for (const auto& [full_url, reference] : assigned) {
        for (auto at = json.find(full_url); at != std::string::npos; at = json.find(full_url, at)) {
          json.replace(at, full_url.size(), reference);
          at += reference.size();
        }
      }
      auto decoded = fhir::decode_resource(json);
      if (!decoded.ok()) co_return failed<fhir::Bundle>(500, "transaction: rewritten entry did not decode");
      latest = std::move(*decoded.value);
    }
  }
  store_ = std::move(working);
  created_ = created;
  committed_.push_back(bundle);
  if (after_commit_) {
    after_commit_();
    const auto executor = co_await boost::asio::this_coro::executor;
    co_await boost::asio::post(executor, boost::asio::use_awaitable);
  }
  co_return succeeded(std::move(response));
}

boost::asio::awaitable<fhir::RestResult<fhir::Resource>> FakeFhirClient::create(const fhir::Resource& resource) {
  const std::string type(fhir::resource_type(resource));
  calls_.push_back({Interaction::create, type, ""});
  if (auto error = scripted_failure(Interaction::create)) {
    co_return fhir::RestResult<fhir::Resource>(boost::system::in_place_error, std::move(*error));
  }
  auto copy = resource;
  set_id(copy, next_id());
  co_return succeeded(put(copy));  // a copy: clang-analyzer misreads a move here
}

boost::asio::awaitable<fhir::RestResult<fhir::Resource>> FakeFhirClient::update(const fhir::Resource& resource,
                                                                                std::string if_match) {
  const std::string type(fhir::resource_type(resource));
  const std::string id(fhir::resource_id(resource));
  calls_.push_back({Interaction::update, type, id});
  if (auto error = scripted_failure(Interaction::update)) {
    co_return fhir::RestResult<fhir::Resource>(boost::system::in_place_error, std::move(*error));
  }
  if (id.empty()) co_return failed<fhir::Resource>(400, "update " + type + ": no id");
  if (!if_match.empty()) {
    const auto stored = current(type, id);
    const auto* meta = stored ? meta_of(*stored) : nullptr;
    if (!meta || "W/\"" + meta->version_id + "\"" != if_match)
      co_return failed<fhir::Resource>(412, "update " + type);
  }
  co_return succeeded(put(resource));
}

}  // namespace gg::gateway::testing
