// The log level's one table (gateway/telemetry/log.hpp): each level's text reads back as itself, and anything else
// is the default, info.
#include "gateway/telemetry/log.hpp"

#include <gtest/gtest.h>

namespace gg::gateway {
namespace {

TEST(Log, LevelTextRoundTrips) {
  for (const auto level : {LogLevel::error, LogLevel::warn, LogLevel::info, LogLevel::debug}) {
    const auto text = analytics::text_of(kLogLevelText, level);
    EXPECT_FALSE(text.empty());
    EXPECT_EQ(parse_log_level(text), level) << text;
  }
  EXPECT_EQ(parse_log_level("verbose"), LogLevel::info);
  EXPECT_EQ(parse_log_level(""), LogLevel::info);
}

}  // namespace
}  // namespace gg::gateway
