// What every part of the state store (event queue, rejection log, cursors) is made of: the one shared connection
// and the part's own prepared statements. `Statements` is defined in the part's .cpp, with
// `sqlite::Status prepare(sqlite::Database&)`; that .cpp includes part_impl.hpp and instantiates
// Part<Statements> explicitly, so the statements stay private to it.
#pragma once

#include <memory>
#include <string>

#include "gateway/store/sqlite.hpp"

namespace gg::gateway::store {

struct Connection;

template <typename Statements>
class Part {
 public:
  explicit Part(Connection& connection);
  ~Part();
  Part(const Part&) = delete;
  Part& operator=(const Part&) = delete;

  // Prepares the statements; call once after the schema is current.
  [[nodiscard]] sqlite::Status prepare();

 protected:
  Connection& connection_;
  std::unique_ptr<Statements> statements_;
};

}  // namespace gg::gateway::store
