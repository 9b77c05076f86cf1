#include "gateway/commands/command_line.hpp"

#include <gtest/gtest.h>

namespace gg::gateway {
namespace {

TEST(CommandLine, OptionsMayComeAnywhereAfterTheCommand) {
  const auto args = parse_arguments(
      {"analyze", "a.json", "--as-of", "2026-11-26T00:00:00Z", "--ndjson", "-", "--config", "site/config"});
  EXPECT_EQ(args.error, "");
  EXPECT_EQ(args.command, "analyze");
  EXPECT_EQ(args.config, "site/config");
  EXPECT_EQ(args.as_of, "2026-11-26T00:00:00Z");
  EXPECT_TRUE(args.ndjson);
  EXPECT_EQ(args.files, (std::vector<std::string>{"a.json", "-"}));
}

TEST(CommandLine, StateAndEventsCommandsTakeTheirWordsAndOptions) {
  const auto backup = parse_arguments({"state", "backup", "/backups/state.db", "--force", "--config", "g.yaml"});
  EXPECT_EQ(backup.error, "");
  EXPECT_EQ(backup.command, "state");
  EXPECT_EQ(backup.files, (std::vector<std::string>{"backup", "/backups/state.db"}));
  EXPECT_TRUE(backup.force);
  const auto retry =
      parse_arguments({"events", "retry", "--since", "2026-11-25", "--failed", "--config", "g.yaml"});
  EXPECT_EQ(retry.error, "");
  EXPECT_EQ(retry.files, (std::vector<std::string>{"retry"}));
  EXPECT_EQ(retry.since, "2026-11-25");
  EXPECT_TRUE(retry.failed);
  EXPECT_FALSE(retry.force);
  EXPECT_EQ(parse_arguments({"events", "retry", "--since"}).error, "--since needs a value");
}

TEST(CommandLine, AnOptionWithoutItsValueIsAUsageError) {
  EXPECT_EQ(parse_arguments({"serve", "--config"}).error, "--config needs a value");
  EXPECT_EQ(parse_arguments({"analyze", "x.json", "--as-of"}).error, "--as-of needs a value");
}

TEST(CommandLine, UnknownOptionsAndNoCommandAreUsageErrors) {
  EXPECT_EQ(parse_arguments({"analyze", "--ndjsn", "x.json"}).error, "unknown option --ndjsn");
  EXPECT_EQ(parse_arguments({}).error, "no command given");
}

TEST(CommandLine, TheWordAfterAnOptionIsItsValueEvenWhenItLooksLikeAFile) {
  const auto args = parse_arguments({"backfill", "--config", "-", "export.ndjson"});
  EXPECT_EQ(args.config, "-");
  EXPECT_EQ(args.files, (std::vector<std::string>{"export.ndjson"}));
}

TEST(CommandLine, AsOfIsAFhirDateTimeWithZoneToTheSecond) {
  using namespace std::chrono;
  EXPECT_EQ(parse_as_of("2026-11-26T08:30:15+01:00"),
            sys_days{2026y / 11 / 26} + hours{7} + minutes{30} + seconds{15});
  EXPECT_EQ(parse_as_of("2026-11-26T08:30:00"), std::nullopt);  // no zone: not an instant
  EXPECT_EQ(parse_as_of("yesterday"), std::nullopt);
  const auto before = floor<seconds>(system_clock::now());
  const auto now = parse_as_of("");
  ASSERT_TRUE(now.has_value());
  EXPECT_GE(*now, before);
}

}  // namespace
}  // namespace gg::gateway
