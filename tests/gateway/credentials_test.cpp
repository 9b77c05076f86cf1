// The shared-secret checks of the HTTP side: constant-time equality that an unset secret never passes, and the
// bearer token of an Authorization header (RFC 6750 section 2.1).
#include "gateway/http/credentials.hpp"

#include <gtest/gtest.h>

namespace gg::gateway {
namespace {

TEST(Credentials, SecretEqualsOnlyTheSameNonEmptySecret) {
  EXPECT_TRUE(secret_equals("s3cret", "s3cret"));
  EXPECT_FALSE(secret_equals("s3cres", "s3cret"));
  EXPECT_FALSE(secret_equals("s3cre", "s3cret"));
  EXPECT_FALSE(secret_equals("s3crett", "s3cret"));
  EXPECT_FALSE(secret_equals("", "s3cret"));
  EXPECT_FALSE(secret_equals("", ""));  // an unset secret opens nothing
}

TEST(Credentials, BearerTokenReadsTheSchemeCaseInsensitivelyAndNothingElse) {
  HttpRequest request;
  EXPECT_FALSE(bearer_token(request));
  request.headers["authorization"] = "Bearer abc.def";
  EXPECT_EQ(bearer_token(request), "abc.def");
  request.headers["authorization"] = "bEaReR   abc ";
  EXPECT_EQ(bearer_token(request), "abc");
  request.headers["authorization"] = "Basic abc";
  EXPECT_FALSE(bearer_token(request));
  request.headers["authorization"] = "Bearer";
  EXPECT_FALSE(bearer_token(request));
}

}  // namespace
}  // namespace gg::gateway
