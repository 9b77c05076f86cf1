// The access token of SMART Backend Services (fhir/smart_auth.hpp), obtained and kept for a RestClient: found by
// discovery ({base_url}/.well-known/smart-configuration) unless the token endpoint is configured, asked for with a
// fresh signed assertion each time, kept until shortly before it expires, and dropped when the FHIR server refuses
// it (401), so the next call asks for a new one.
//
// Threading: token() and refused() may be called from any thread of the executor; they run on a strand of their
// own, and one token request is in flight at a time: callers that arrive meanwhile wait for its answer.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "fhir/client.hpp"
#include "fhir/smart_auth.hpp"

namespace gg::fhir {

struct SmartConnection {
  std::string base_url;  // the FHIR server's: discovery is {base_url}/.well-known/smart-configuration
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};
  bool verify_peer = true;
  std::string ca_file;
  std::string user_agent = "gradient-gateway";
};

class SmartTokenSource {
 public:
  // What happened, for the caller's log and metrics: "token-obtained" (with the lifetime in seconds, 0 when the
  // server gave none), "token-refused" (the FHIR server answered 401 to a token), "token-failed" (the reason).
  using Observer = std::function<void(const std::string& event, const std::string& detail)>;

  // Throws std::invalid_argument when the options are incomplete (no private key, no kid) or the key does not
  // load.
  SmartTokenSource(boost::asio::any_io_executor executor, SmartBackendOptions options, SmartConnection connection,
                   Observer observer = {});
  ~SmartTokenSource();
  SmartTokenSource(const SmartTokenSource&) = delete;
  SmartTokenSource& operator=(const SmartTokenSource&) = delete;

  // The access token: the kept one while more than the refresh margin of it is left, else a new one. An error
  // says which step failed (discovery, the token request, its answer), with the authorization server's error code
  // and description, never the token or the assertion.
  boost::asio::awaitable<RestResult<std::string>> token();

  // The FHIR server refused `token` (401): it is dropped, unless a newer one was obtained meanwhile.
  boost::asio::awaitable<void> refused(std::string token);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gg::fhir
