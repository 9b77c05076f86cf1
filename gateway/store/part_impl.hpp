// The definitions of store::Part, for the .cpp of each part (after its Statements), which instantiates it.
#pragma once

#include <mutex>

#include "gateway/store/connection.hpp"
#include "gateway/store/part.hpp"

namespace gg::gateway::store {

template <typename Statements>
Part<Statements>::Part(Connection& connection)
    : connection_(connection), statements_(std::make_unique<Statements>()) {}

template <typename Statements>
Part<Statements>::~Part() = default;

template <typename Statements>
sqlite::Status Part<Statements>::prepare() {
  const std::lock_guard lock(connection_.mutex);
  return statements_->prepare(*connection_.db);
}

}  // namespace gg::gateway::store
