#include "analytics/number_text.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace gg::analytics {
namespace {

std::string text_of(double value) {
  std::string out;
  append_significant_number(out, value);
  return out;
}

// The text by its definition: std::to_chars in fixed notation with 2 - floor(log10|value|) decimals (0 to 9),
// which rounds the exact binary value, then the zeros after the point and a bare point removed.
std::string defined_text(double value) {
  char buffer[64];
  if (value == 0 || !std::isfinite(value))
    return {buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr};
  const int exponent = static_cast<int>(std::floor(std::log10(std::fabs(value))));
  const int decimals = std::clamp(2 - exponent, 0, 9);
  char* end = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, decimals).ptr;
  if (std::find(buffer, end, '.') != end) {
    while (end[-1] == '0') --end;
    if (end[-1] == '.') --end;
  }
  return {buffer, end};
}

TEST(SignificantNumber, WritesThreeSignificantDigitsWithoutAnExponent) {
  EXPECT_EQ(text_of(12.34), "12.3");
  EXPECT_EQ(text_of(0.08771), "0.0877");
  EXPECT_EQ(text_of(402.4), "402");
  EXPECT_EQ(text_of(3300.7), "3301");  // above 999 the integer is kept whole
  EXPECT_EQ(text_of(3300), "3300");
  EXPECT_EQ(text_of(-0.6654), "-0.665");
  EXPECT_EQ(text_of(999.6), "1000");
  EXPECT_EQ(text_of(0.5), "0.5");
  EXPECT_EQ(text_of(2), "2");
  EXPECT_EQ(text_of(0.0000000004), "0");    // nine decimals at most
  EXPECT_EQ(text_of(-0.0000000004), "-0");  // the sign stays, as with printf's %f
  EXPECT_EQ(text_of(0.0000000012345), "0.000000001");
  EXPECT_EQ(text_of(1.5e9), "1500000000");
  EXPECT_EQ(text_of(0), "0");
  EXPECT_EQ(text_of(-0.0), "-0");
  EXPECT_EQ(text_of(INFINITY), "inf");
}

TEST(SignificantNumber, RoundsTheExactValueHalfToEven) {
  // 1.125 and 0.3125 are exact in binary: true ties, rounded to the even digit as std::to_chars does.
  EXPECT_EQ(text_of(1.125), "1.12");
  EXPECT_EQ(text_of(1.375), "1.38");
  EXPECT_EQ(text_of(0.3125), "0.312");
  EXPECT_EQ(text_of(1002.5), "1002");
  EXPECT_EQ(text_of(1003.5), "1004");
  // Their products by 100 are 113.5 and 267.5 in doubles, but 1.135 is 1.13500000000000000888... (above the half)
  // and 2.675 is 2.67499999999999982236... (below it): the product must not be trusted near a half.
  EXPECT_EQ(text_of(1.135), "1.14");
  EXPECT_EQ(text_of(2.675), "2.67");
}

// Every value agrees with the definition: random magnitudes from 1e-12 to 1e12 of both signs, values with few
// decimals as labs report them, the doubles next to the halves between three-digit texts, and the doubles next
// to every power of ten (where the number of decimals changes).
TEST(SignificantNumber, AgreesWithTheDefinitionEverywhere) {
  std::mt19937_64 random(20261205);
  std::uniform_real_distribution<double> exponent(-12, 12);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<double> values;
  for (int i = 0; i < 400000; ++i) {
    const double magnitude = std::pow(10.0, exponent(random));
    values.push_back(unit(random) < 0.5 ? magnitude : -magnitude);
  }
  for (int i = 0; i < 200000; ++i) {
    const auto hundredths = static_cast<std::int64_t>(unit(random) * 1e7);
    values.push_back(static_cast<double>(hundredths) / std::pow(10.0, static_cast<int>(unit(random) * 7)));
  }
  for (int digits = 100; digits < 1000; ++digits) {
    for (int power = -11; power <= 12; ++power) {
      const double half = (digits + 0.5) * std::pow(10.0, power - 2);
      values.push_back(half);
      values.push_back(std::nextafter(half, 0.0));
      values.push_back(std::nextafter(half, INFINITY));
    }
  }
  for (int power = -12; power <= 12; ++power) {
    double exact = std::pow(10.0, power);
    for (int step = 0; step < 40; ++step) exact = std::nextafter(exact, 0.0);
    for (int step = 0; step < 80; ++step, exact = std::nextafter(exact, INFINITY)) {
      values.push_back(exact);
      values.push_back(-exact);
    }
  }
  std::size_t differing = 0;
  for (const double value : values) {
    if (text_of(value) != defined_text(value)) {
      if (++differing <= 5)
        ADD_FAILURE() << "value " << value << ": " << text_of(value) << " != " << defined_text(value);
    }
  }
  EXPECT_EQ(differing, 0u) << "of " << values.size();
}

}  // namespace
}  // namespace gg::analytics
