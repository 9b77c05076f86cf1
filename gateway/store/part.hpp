// What every part of the state store (event queue, rejection log, cursors) is made of: the one shared connection
// and the part's own prepared statements. `Statements` is defined in the part's .cpp, with
// `bool prepare(sqlite::Database&, std::string&)`; that .cpp includes part_impl.hpp and instantiates
// Part<Statements> explicitly, so the statements stay private to it.
#pragma once

#include <memory>
#include <string>

namespace gg::gateway::store {

struct Connection;

template <typename Statements>
class Part {
 public:
  explicit Part(Connection& connection);
  ~Part();
  Part(const Part&) = delete;
  Part& operator=(const Part&) = delete;

  // Prepares the statements; call once after the schema is current. On failure returns false and sets error.
  [[nodiscard]] bool prepare(std::string& error);

 protected:
  Connection& connection_;
  std::unique_ptr<Statements> statements_;
};

}  // namespace gg::gateway::store
