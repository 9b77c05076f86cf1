#include "fhir/client.hpp"

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

namespace gg::fhir {
namespace {

class RestCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "gg.fhir.rest"; }
  std::string message(int value) const override {
    static constexpr const char* messages[] = {
        "unknown FHIR REST client error", "the server answered with an error status",
        "the response is not the expected FHIR content", "the request target was refused",
        "the request was not sent: invalid argument"};
    return messages[value >= 1 && value <= 4 ? value : 0];
  }
};

}  // namespace

const boost::system::error_category& rest_category() {
  static const RestCategory category;
  return category;
}

boost::system::error_code make_error_code(RestErrc e) {
  return {static_cast<int>(e), rest_category()};
}

void throw_exception_from_error(const RestError& error, const boost::source_location& location) {
  boost::throw_exception(boost::system::system_error(error.code, error.message), location);
}

}  // namespace gg::fhir
