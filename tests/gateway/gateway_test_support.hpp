// Shared by the gateway's service tests: the shipped knowledge loaded once, a state store to test against, and the
// OperationOutcome an HTTP answer carries.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <variant>

#include "fhir/json_codec.hpp"
#include "gateway/config/knowledge_loader.hpp"
#include "gateway/http/message.hpp"
#include "gateway/store/state_store.hpp"

namespace gg::gateway::testing {

// config/terminology and config/rules as shipped, loaded once for the whole test program.
inline const LoadedKnowledge& shipped_knowledge() {
  static const LoadedKnowledge knowledge = [] {
    const std::string source = GG_SOURCE_DIR;
    auto loaded = load_knowledge(source + "/config/terminology", source + "/config/rules");
    if (!loaded.has_value()) throw std::runtime_error("config/ knowledge did not load");
    return *loaded;
  }();
  return knowledge;
}

// The state store at path (":memory:": a private one), or nothing after a failed expectation naming why.
inline std::unique_ptr<StateStore> open_test_store(const std::string& path = ":memory:") {
  auto opened = StateStore::open(path);
  EXPECT_TRUE(opened) << opened.error();
  return opened ? std::move(*opened) : nullptr;
}

// The OperationOutcome in an answer's body (an empty one, after a failed expectation, when there is none).
inline fhir::OperationOutcome outcome_of(const HttpResponse& response) {
  auto decoded = fhir::decode_resource(response.body);
  EXPECT_TRUE(decoded.ok()) << response.body;
  if (!decoded.ok()) return {};
  const auto* outcome = std::get_if<fhir::OperationOutcome>(&*decoded.value);
  EXPECT_NE(outcome, nullptr) << response.body;
  return outcome == nullptr ? fhir::OperationOutcome{} : *outcome;
}

}  // namespace gg::gateway::testing
