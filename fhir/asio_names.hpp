// The short names of Boost.Asio and Boost.Beast that the Beast client's sources use, as Beast's own examples
// spell them, written once instead of at the top of each file (http_connection.cpp, connection_pool.cpp,
// rest_client.cpp and the transport test, tests/fhir/rest_client_test.cpp).
// Internal to fhir/: no fhir/ header includes it, so the names never reach a user of the library; a source brings
// them in with `using namespace gg::fhir::detail::asio_names;` inside its own namespace.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/system/error_code.hpp>

namespace gg::fhir::detail::asio_names {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using boost::system::error_code;
using tcp = asio::ip::tcp;

}  // namespace gg::fhir::detail::asio_names
