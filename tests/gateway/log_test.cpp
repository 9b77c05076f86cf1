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

// Issue 13, item 5: one JSON object a line (RFC 8259: every control character escaped, so a value cannot break
// the line or the object), or the text form for a terminal.
TEST(Log, JsonLinesAreOneObjectWithEveryValueEscaped) {
  const std::string line =
      format_log_line(LogFormat::json, "2026-12-05T12:00:00.123Z", LogLevel::warn, "notification.unauthorized",
                      {{"remote", "127.0.0.2"}, {"error", "a \"quoted\" \\ path\nnext\tline\x01\x7f"}});
  EXPECT_EQ(line, R"({"time":"2026-12-05T12:00:00.123Z","level":"warn","event":"notification.unauthorized",)"
                  R"("remote":"127.0.0.2","error":"a \"quoted\" \\ path\nnext\tline\u0001\u007f"})"
                  "\n");
  EXPECT_EQ(format_log_line(LogFormat::json, "t", LogLevel::info, "service.stopped", {}),
            "{\"time\":\"t\",\"level\":\"info\",\"event\":\"service.stopped\"}\n");
}

TEST(Log, TextLinesQuoteValuesWithSpaces) {
  EXPECT_EQ(
      format_log_line(LogFormat::text, "t", LogLevel::info, "event.recorded",
                      {{"type", "Observation"}, {"id", "1"}, {"error", "no \"such\" thing"}, {"version", ""}}),
      "t info event.recorded type=Observation id=1 error=\"no \\\"such\\\" thing\" version=\"\"\n");
}

}  // namespace
}  // namespace gg::gateway
