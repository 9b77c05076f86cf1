// Query parameters as the admin API reads them: percent-decoded, first value wins, and a malformed target refused.
#include "gateway/http/query.hpp"

#include <gtest/gtest.h>

#include "fhir/json_codec.hpp"

namespace gg::gateway {
namespace {

QueryParameters parsed(std::string_view target) {
  auto query = QueryParameters::parse(target);
  EXPECT_TRUE(query.has_value()) << target;
  return query.has_value() ? *query : QueryParameters{};
}

TEST(QueryParameters, ValuesArePercentDecoded) {
  const auto query = parsed("/admin/rejections?observation=Observation%2F1&limit=%31%30");
  EXPECT_EQ(query.value("observation"), "Observation/1");
  EXPECT_EQ(query.value("limit"), "10");
}

TEST(QueryParameters, AnUnencodedSlashReadsTheSame) {
  EXPECT_EQ(parsed("/admin/rejections?observation=Observation/1").value("observation"), "Observation/1");
}

TEST(QueryParameters, NamesComparePercentDecodedAndCaseSensitively) {
  const auto query = parsed("/admin/events?%74ype=Observation&ID=7");
  EXPECT_EQ(query.value("type"), "Observation");
  EXPECT_EQ(query.find("id"), std::nullopt);
  EXPECT_EQ(query.value("ID"), "7");
}

// application/x-www-form-urlencoded, as HTML forms and Python's urlencode write a query.
TEST(QueryParameters, PlusIsASpaceAndAnEncodedPlusIsAPlus) {
  const auto query = parsed("/x?a=one+two&b=1%2B1");
  EXPECT_EQ(query.value("a"), "one two");
  EXPECT_EQ(query.value("b"), "1+1");
}

TEST(QueryParameters, ARepeatedParameterGivesItsFirstValue) {
  EXPECT_EQ(parsed("/admin/events?id=1&id=2").value("id"), "1");
}

TEST(QueryParameters, AMissingParameterIsNulloptOrEmpty) {
  const auto query = parsed("/admin/events?type=Observation");
  EXPECT_EQ(query.find("id"), std::nullopt);
  EXPECT_EQ(query.value("id"), "");
  EXPECT_EQ(parsed("/admin/events").find("type"), std::nullopt);
  EXPECT_EQ(parsed("/admin/events?").find("type"), std::nullopt);
}

TEST(QueryParameters, AnEmptyParameterIsPresentAndEmpty) {
  const auto query = parsed("/admin/events?type=&id&&x=1");
  EXPECT_EQ(query.find("type"), std::optional<std::string>(""));
  EXPECT_EQ(query.find("id"), std::optional<std::string>(""));
  EXPECT_EQ(query.value("x"), "1");
}

TEST(QueryParameters, AValueMayHoldAnEqualsSignAndAQuestionMark) {
  EXPECT_EQ(parsed("/x?q=a=b?c").value("q"), "a=b?c");
}

TEST(QueryParameters, AMalformedTargetIsAnError) {
  for (const std::string_view target : {
           "/admin/events?id=%zz",         // not a percent-escape
           "/admin/events?id=%4",          // a truncated one
           "/admin/events?id=a b",         // a space
           "/admin/events?id=<1>",         // characters a query may not hold (RFC 3986 section 3.4)
           "/admin/events?id=1#fragment",  // a fragment: not part of a request target
           "admin/events?id=1",            // not an absolute path
           "http://host/admin/events",     // absolute-form: not what the gateway is sent
           "",
       }) {
    EXPECT_FALSE(QueryParameters::parse(target).has_value()) << target;
  }
}

TEST(QueryParameters, AMalformedTargetIsAnswered400WithAnOperationOutcome) {
  const auto query = QueryParameters::parse("/admin/events?id=%zz");
  ASSERT_FALSE(query.has_value());
  const auto response = malformed_target_response(query.error());
  EXPECT_EQ(response.status, 400U);
  EXPECT_EQ(response.content_type, kFhirJson);
  auto decoded = fhir::decode_resource(response.body);
  ASSERT_TRUE(decoded.ok()) << response.body;
  const auto* outcome = std::get_if<fhir::OperationOutcome>(&*decoded.value);
  ASSERT_NE(outcome, nullptr) << response.body;
  ASSERT_EQ(outcome->issue.size(), 1U);
  EXPECT_EQ(outcome->issue[0].severity, "error");
  EXPECT_EQ(outcome->issue[0].code, "structure");
}

}  // namespace
}  // namespace gg::gateway
