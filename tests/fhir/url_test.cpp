#include "fhir/url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gg::fhir {
namespace {

struct ParseCase {
  std::string text;
  std::string scheme;
  std::string host;
  std::uint16_t port;
  std::string target;
};

TEST(ParseUrl, ReadsSchemeHostPortAndTarget) {
  const ParseCase cases[] = {
      {"http://127.0.0.1:8080/fhir", "http", "127.0.0.1", 8080, "/fhir"},
      {"https://fhir.example.org/r4", "https", "fhir.example.org", 443, "/r4"},
      {"http://fhir.example.org", "http", "fhir.example.org", 80, "/"},
      {"http://fhir.example.org?x=1", "http", "fhir.example.org", 80, "/?x=1"},
      {"HTTPS://FHIR.Example.ORG:8443/R4/", "https", "fhir.example.org", 8443, "/R4/"},
      {"http://h:/fhir", "http", "h", 80, "/fhir"},
      {"http://h/fhir?_getpages=abc&_count=10#frag", "http", "h", 80, "/fhir?_getpages=abc&_count=10"},
      {"http://[::1]:8080/fhir", "http", "::1", 8080, "/fhir"},
      {"https://[2001:DB8::1]/", "https", "2001:db8::1", 443, "/"},
      {"http://h/Patient?name=M\xc3\xbcller", "http", "h", 80, "/Patient?name=M%C3%BCller"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const auto url = parse_url(c.text);
    ASSERT_TRUE(url.has_value());
    EXPECT_EQ(url->scheme, c.scheme);
    EXPECT_EQ(url->host, c.host);
    EXPECT_EQ(url->port, c.port);
    EXPECT_EQ(url->target, c.target);
  }
}

TEST(ParseUrl, DefaultPortsFollowTheScheme) {
  EXPECT_EQ(parse_url("http://h/x")->port, 80);
  EXPECT_EQ(parse_url("https://h/x")->port, 443);
  EXPECT_FALSE(parse_url("http://h/x")->tls());
  EXPECT_TRUE(parse_url("https://h/x")->tls());
}

TEST(ParseUrl, RefusesWhatIsNoHttpUrl) {
  const std::string cases[] = {
      "",
      "fhir.example.org/r4",
      "ftp://h/x",
      "file:///etc/passwd",
      "http://",
      "http:///fhir",
      "http://user:secret@h/fhir",
      "http://good.example@evil.example/fhir",
      "http://h:0/",
      "http://h:65536/",
      "http://h:80a/",
      "http://h:123456/",
      "http://[::1/",
      "http://[::1]x/",
      "http://[not-v6]/",
      "http://h/a b",
      "http://h/a\r\nX-Injected: 1",
      "http://h\x7f/",
      "http://h!/",
  };
  for (const auto& text : cases) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(parse_url(text).has_value());
  }
}

TEST(Url, AuthorityOmitsDefaultPortAndBracketsIpv6) {
  EXPECT_EQ(parse_url("http://h:80/")->authority(), "h");
  EXPECT_EQ(parse_url("http://h:8080/")->authority(), "h:8080");
  EXPECT_EQ(parse_url("https://h:443/")->authority(), "h");
  EXPECT_EQ(parse_url("http://[::1]:8080/")->authority(), "[::1]:8080");
  EXPECT_EQ(parse_url("http://[::1]/")->authority(), "[::1]");
}

TEST(Url, OriginAlwaysNamesThePortAndNothingElse) {
  EXPECT_EQ(parse_url("https://h/r4/Patient?name=x")->origin(), "https://h:443");
  EXPECT_EQ(parse_url("http://[::1]:8080/fhir")->origin(), "http://[::1]:8080");
}

struct ResolveCase {
  std::string base;
  std::string reference;
  std::string target;
};

TEST(ResolveTarget, JoinsRelativeReferencesToTheBasePath) {
  const ResolveCase cases[] = {
      {"http://h:8080/fhir", "Patient/1", "/fhir/Patient/1"},
      {"http://h:8080/fhir/", "Patient/1", "/fhir/Patient/1"},
      {"http://h:8080", "Patient/1", "/Patient/1"},
      {"http://h:8080/fhir", "Observation?code=http://loinc.org|2986-8&_count=100",
       "/fhir/Observation?code=http://loinc.org|2986-8&_count=100"},
      {"http://h:8080/fhir", "", "/fhir"},
      {"http://h:8080/fhir", "?_getpages=abc", "/fhir?_getpages=abc"},
      {"http://h:8080/fhir", "/other/path?x=1", "/other/path?x=1"},
      {"http://h:8080/fhir", "Patient/1#section", "/fhir/Patient/1"},
      {"http://h:8080/fhir", "Patient?name=M\xc3\xbcller", "/fhir/Patient?name=M%C3%BCller"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.base + " + " + c.reference);
    const auto resolved = resolve_target(*parse_url(c.base), c.reference);
    ASSERT_TRUE(resolved.target.has_value()) << resolved.refusal;
    EXPECT_EQ(*resolved.target, c.target);
  }
}

TEST(ResolveTarget, AcceptsAbsoluteNextLinksOnTheSameOrigin) {
  const ResolveCase cases[] = {
      // HAPI's paging links are absolute URLs on the base (R4 section 3.1.1.5.6).
      {"http://localhost:8080/fhir", "http://localhost:8080/fhir?_getpages=6f1c&_getpagesoffset=20&_count=20",
       "/fhir?_getpages=6f1c&_getpagesoffset=20&_count=20"},
      {"http://localhost:8080/fhir", "HTTP://LOCALHOST:8080/fhir/Observation?page=2", "/fhir/Observation?page=2"},
      {"https://fhir.example.org/r4", "https://fhir.example.org:443/r4/Observation?page=2",
       "/r4/Observation?page=2"},
      {"http://fhir.example.org/r4", "http://fhir.example.org:80/r4?page=2", "/r4?page=2"},
      {"http://fhir.example.org/r4", "//fhir.example.org/r4?page=3", "/r4?page=3"},
      {"http://[::1]:8080/fhir", "http://[::1]:8080/fhir?page=2", "/fhir?page=2"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.base + " + " + c.reference);
    const auto resolved = resolve_target(*parse_url(c.base), c.reference);
    ASSERT_TRUE(resolved.target.has_value()) << resolved.refusal;
    EXPECT_EQ(*resolved.target, c.target);
  }
}

TEST(ResolveTarget, RefusesOtherOrigins) {
  const std::string base = "https://fhir.example.org/r4";
  const std::string cases[] = {
      "http://fhir.example.org/r4?page=2",        // downgraded scheme
      "https://fhir.example.org:8443/r4?page=2",  // other port
      "https://evil.example/r4?page=2",           // other host
      "https://fhir.example.org.evil.example/r4",
      "https://fhir.example.org@evil.example/r4",  // user information
      "//evil.example/r4",
      "ftp://fhir.example.org/r4",
      "javascript:alert(1)",
  };
  for (const auto& reference : cases) {
    SCOPED_TRACE(reference);
    const auto resolved = resolve_target(*parse_url(base), reference);
    EXPECT_FALSE(resolved.target.has_value());
    EXPECT_FALSE(resolved.refusal.empty());
  }
}

TEST(ResolveTarget, RefusalNamesTheOriginButNotThePathOrQuery) {
  const auto resolved = resolve_target(*parse_url("https://fhir.example.org/r4"),
                                       "https://evil.example/r4/Patient?identifier=MRN123");
  ASSERT_FALSE(resolved.target.has_value());
  EXPECT_NE(resolved.refusal.find("https://evil.example:443"), std::string::npos);
  EXPECT_EQ(resolved.refusal.find("MRN123"), std::string::npos);
  EXPECT_EQ(resolved.refusal.find("Patient"), std::string::npos);
}

TEST(ResolveTarget, RefusesControlCharactersAndSpaces) {
  const auto base = *parse_url("http://h/fhir");
  EXPECT_FALSE(resolve_target(base, "Patient/1 HTTP/1.1\r\nHost: evil").target.has_value());
  EXPECT_FALSE(resolve_target(base, "Patient?name=a b").target.has_value());
  EXPECT_FALSE(resolve_target(base, std::string("Patient/1\0", 10)).target.has_value());
}

TEST(ResolveTarget, ColonInsideQueryIsNoScheme) {
  const auto resolved = resolve_target(*parse_url("http://h/fhir"), "Observation?date=ge2024-01-01T10:00:00Z");
  ASSERT_TRUE(resolved.target.has_value());
  EXPECT_EQ(*resolved.target, "/fhir/Observation?date=ge2024-01-01T10:00:00Z");
}

TEST(PercentEncode, KeepsUnreservedAndEncodesTheRest) {
  // RFC 3986 section 2.3: ALPHA / DIGIT / "-" / "." / "_" / "~" stay; everything else is %XX, upper-case hex.
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("http://loinc.org|2143-6,x"), "http%3A%2F%2Floinc.org%7C2143-6%2Cx");
  EXPECT_EQ(percent_encode("2026-11-25T10:00:00+01:00"), "2026-11-25T10%3A00%3A00%2B01%3A00");
  EXPECT_EQ(percent_encode("\xc2\xb5"), "%C2%B5");  // UTF-8 bytes one by one
  EXPECT_EQ(percent_encode(""), "");
}

// R4 2.24.0.1: an id is [A-Za-z0-9\-\.]{1,64}; a resource type name is a capital letter and letters.
TEST(ResourceAddress, IdsAndTypeNamesAsFhirAllowsThem) {
  const std::string kNonAscii = std::string("\xc3\x96") + "bservation";  // "Observation" with an O umlaut
  for (const char* id : {"o1", "A-9.z", "0", "p0000001-h001"}) EXPECT_TRUE(is_resource_id(id)) << id;
  EXPECT_TRUE(is_resource_id(std::string(64, 'a')));
  EXPECT_TRUE(is_resource_id("..."));
  EXPECT_TRUE(is_resource_id("a.."));
  for (const char* id : {"", "a_b", "a/b", "..%2Fetc", "a b", "o\n1", "\xc2\xb5", ".", ".."})
    EXPECT_FALSE(is_resource_id(id)) << id;
  EXPECT_FALSE(is_resource_id(std::string(65, 'a')));
  for (const char* type : {"Observation", "MedicationStatement", "X"})
    EXPECT_TRUE(is_resource_type_name(type)) << type;
  for (const std::string& type : {std::string(), std::string("observation"), std::string("Observation1"),
                                  std::string("Obs-ervation"), std::string("Observation/1"), kNonAscii}) {
    EXPECT_FALSE(is_resource_type_name(type)) << type;
  }
  EXPECT_FALSE(is_resource_type_name(std::string(65, 'A')));
}

// RFC 4648 section 10's test vectors, and the refusals a strict decoder owes (sections 3.3, 3.5).
TEST(Base64Test, DecodesTheStandardAlphabetWithItsPadding) {
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(base64_decode("Zm9vYg"), "foob");  // unpadded is accepted
  EXPECT_EQ(base64_decode(base64("admin:s3cr\xC3\xA9t")), "admin:s3cr\xC3\xA9t");
  EXPECT_FALSE(base64_decode("Zg="));    // padding short of a multiple of 4
  EXPECT_FALSE(base64_decode("Zg==="));  // three '='
  EXPECT_FALSE(base64_decode("Z=g="));   // '=' inside
  EXPECT_FALSE(base64_decode(" Zg=="));  // whitespace
  EXPECT_FALSE(base64_decode("Zh=="));   // non-zero unused bits
  EXPECT_FALSE(base64_decode("-_8="));   // the URL-safe alphabet
}

TEST(Base64Test, DecodesTheUrlSafeAlphabetWithoutPadding) {
  EXPECT_EQ(base64_decode("aGk", true), "hi");
  EXPECT_EQ(base64_decode("-_8", true), std::string("\xFB\xFF", 2));
  EXPECT_EQ(base64_decode(base64("\xFB\xFF\x01", true), true), "\xFB\xFF\x01");
  EXPECT_FALSE(base64_decode("aGk=", true));
  EXPECT_FALSE(base64_decode("+/8", true));
  EXPECT_FALSE(base64_decode("a", true));
}

}  // namespace
}  // namespace gg::fhir
