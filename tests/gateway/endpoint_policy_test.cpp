// Webhook endpoint policy (issue 10, item 2): https only; http only to a loopback address literal or `localhost`,
// and only when alerts.allow_insecure_loopback is true; no credentials, no fragment, a host required.
#include "gateway/alerts/endpoint_policy.hpp"

#include <gtest/gtest.h>

namespace gg::gateway {
namespace {

struct EndpointCase {
  std::string_view url;
  bool allow_insecure_loopback;
  std::string_view expected;  // the normalised URL, or empty when refused
  std::string_view reason;    // a word the refusal must contain
};

TEST(EndpointPolicy, AcceptsHttpsAndLoopbackHttpOnlyWhenAllowed) {
  const EndpointCase cases[] = {
      {"https://hooks.example.org/gradient", false, "https://hooks.example.org/gradient", ""},
      {"https://hooks.example.org:8443/a?b=c", false, "https://hooks.example.org:8443/a?b=c", ""},
      {"HTTPS://Hooks.Example.ORG/Path", false, "https://hooks.example.org/Path", ""},
      {"https://hooks.example.org/a/./b/../c", false, "https://hooks.example.org/a/c", ""},
      {"https://10.1.2.3/hook", false, "https://10.1.2.3/hook", ""},
      {"https://[2001:db8::1]/hook", false, "https://[2001:db8::1]/hook", ""},
      {"http://localhost:8080/hook", true, "http://localhost:8080/hook", ""},
      {"http://LOCALHOST/hook", true, "http://localhost/hook", ""},
      {"HTTP://127.0.0.1:9000/x", true, "http://127.0.0.1:9000/x", ""},
      {"http://127.255.0.9/x", true, "http://127.255.0.9/x", ""},
      {"http://[::1]:9000/x", true, "http://[::1]:9000/x", ""},
      // http needs both the opt-in and a loopback host.
      {"http://localhost:8080/hook", false, "", "allow_insecure_loopback"},
      {"http://[::1]:9000/x", false, "", "allow_insecure_loopback"},
      {"http://127.0.0.1/x", false, "", "allow_insecure_loopback"},
      {"http://hooks.example.org/x", true, "", "loopback"},
      {"http://10.0.0.1/x", true, "", "loopback"},
      {"http://128.0.0.1/x", true, "", "loopback"},
      {"http://[::2]/x", true, "", "loopback"},
      {"http://[::ffff:127.0.0.1]/x", true, "", "loopback"},
      // A DNS name that merely starts like a loopback address resolves wherever its owner wants.
      {"http://127.0.0.1.evil.com/x", true, "", "valid URL"},
      {"https://10.0.0.1.example.org/x", false, "", "valid URL"},
      {"https://10.0.0.1.example.org", false, "", "valid URL"},
      {"http://[::1]x/", true, "", "valid URL"},
      {"http://localhost.evil.com/x", true, "", "loopback"},
      {"ftp://x/y", true, "", "https://"},
      {"ws://localhost/x", true, "", "https://"},
      {"https:///nohost", false, "", "host"},
      {"https:/nohost", false, "", "host"},
      {"https:nohost", false, "", "host"},
      {"https://user:pw@host/", false, "", "credentials"},
      {"https://user@host/", false, "", "credentials"},
      {"https://@host/", false, "", "credentials"},
      {"https://host/x#frag", false, "", "fragment"},
      {"/relative/path", false, "", "absolute"},
      {"hooks.example.org/x", false, "", "absolute"},
      {"", false, "", "absolute"},
      {"https://host name/x", false, "", "absolute"},
      {"https://[v1.x]/x", false, "", "host"},
  };
  for (const auto& test : cases) {
    const auto checked = check_endpoint(test.url, test.allow_insecure_loopback);
    if (test.expected.empty()) {
      ASSERT_FALSE(checked) << test.url << " was accepted as " << *checked;
      EXPECT_NE(checked.error().find(test.reason), std::string::npos) << test.url << ": " << checked.error();
    } else {
      ASSERT_TRUE(checked) << test.url << ": " << checked.error();
      EXPECT_EQ(*checked, test.expected) << test.url;
    }
  }
}

TEST(EndpointPolicy, RefusalOfHttpNamesTheSetting) {
  const auto checked = check_endpoint("http://hooks.example.org/x", false);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error(),
            "http:// is accepted only for a loopback address (127.0.0.0/8, [::1], localhost) with "
            "alerts.allow_insecure_loopback: true; use https://");
}

}  // namespace
}  // namespace gg::gateway
