#include "gateway/commands/command_line.hpp"

#include <gtest/gtest.h>

namespace gg::gateway {
namespace {

TEST(CommandLine, OptionsMayComeAnywhereAfterTheCommand) {
  const auto args = parse_arguments({"analyze", "a.json", "--as-of", "2026-11-26T00:00:00Z", "--ndjson", "-",
                                     "--config", "site/config", "--jobs", "3", "--index-budget", "64"});
  EXPECT_EQ(args.error, "");
  EXPECT_EQ(args.jobs, "3");
  EXPECT_EQ(args.index_budget, "64");
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

TEST(CommandLine, BackfillSearchTakesItsOptions) {
  const auto args =
      parse_arguments({"backfill", "--search", "--config", "g.yaml", "--since", "2026-01-01T00:00:00Z", "--until",
                       "2026-02-01T00:00:00Z", "--search-count", "20", "--search-max-pages", "3"});
  EXPECT_EQ(args.error, "");
  EXPECT_TRUE(args.search);
  EXPECT_FALSE(args.bulk_export);
  EXPECT_EQ(args.since, "2026-01-01T00:00:00Z");
  EXPECT_EQ(args.until, "2026-02-01T00:00:00Z");
  EXPECT_EQ(args.search_count, "20");
  EXPECT_EQ(args.search_max_pages, "3");
  EXPECT_TRUE(args.files.empty());
  EXPECT_EQ(parse_arguments({"backfill", "--search", "--until"}).error, "--until needs a value");
}

TEST(CommandLine, WholeNumbersAreDigitsWithinTheirRange) {
  EXPECT_EQ(parse_whole_number("20", 1, 1000), 20);
  EXPECT_EQ(parse_whole_number("1000", 1, 1000), 1000);
  EXPECT_EQ(parse_whole_number("1001", 1, 1000), std::nullopt);
  EXPECT_EQ(parse_whole_number("0", 1, 1000), std::nullopt);
  EXPECT_EQ(parse_whole_number("-5", 1, 1000), std::nullopt);
  EXPECT_EQ(parse_whole_number("+5", 1, 1000), std::nullopt);
  EXPECT_EQ(parse_whole_number("5 ", 1, 1000), std::nullopt);
  EXPECT_EQ(parse_whole_number("", 1, 1000), std::nullopt);
  EXPECT_EQ(parse_whole_number("99999999999999999999", 1, 1000), std::nullopt);  // no overflow
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
