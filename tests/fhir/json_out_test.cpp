#include "fhir/json_out.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>

namespace gg::fhir {
namespace {

TEST(JsonOut, SeparatesMembersAndItemsWithCommasAtEveryDepth) {
  std::string out;
  JsonOut w(out);
  w.start_object();
  w.string("a", "x");
  w.start_array("b");
  w.start_object();
  w.decimal("c", 1.5);
  w.end_object();
  w.start_object();
  w.end_object();
  w.text("y");
  w.end_array();
  w.strings("d", {"1", "2"});
  w.end_object();
  EXPECT_EQ(out, R"({"a":"x","b":[{"c":1.5},{},"y"],"d":["1","2"]})");
}

// A key is appended in one piece up to 61 characters and in three beyond: both give the same JSON.
TEST(JsonOut, WritesKeysOfEveryLength) {
  for (const std::size_t length : {1, 60, 61, 62, 200}) {
    const std::string name(length, 'k');
    std::string out;
    JsonOut w(out);
    w.start_object();
    w.string("a", "x");
    w.string(name, "y");
    w.end_object();
    EXPECT_EQ(out, "{\"a\":\"x\",\"" + name + "\":\"y\"}") << length;
  }
}

// NDJSON lines and the entries of a Bundle are written one document after another into one string: what the
// string held before is kept and a new document gets no comma of its own.
TEST(JsonOut, AppendsDocumentsAfterWhatTheStringHeld) {
  std::string out = R"({"first":true})";
  {
    JsonOut w(out);
    w.start_object();
    w.boolean("second", false);
    w.end_object();
  }
  out += '\n';
  JsonOut w(out);
  w.start_object();
  w.end_object();
  EXPECT_EQ(out, "{\"first\":true}{\"second\":false}\n{}");
}

// JSON written before (the write-back's fixed parts, written once) goes in as it is, separated like what JsonOut
// writes itself: as the first member or item, after others, and followed by others.
TEST(JsonOut, PutsJsonWrittenBeforeInAsItIsWithItsSeparators) {
  std::string out;
  JsonOut w(out);
  w.start_object();
  w.raw(R"("a":[1],"b":{})");
  w.string("c", "x");
  w.raw(R"("d":true)");
  w.start_array("e");
  w.raw(R"({"f":1})");
  w.raw(R"({"g":2})");
  w.text("h");
  w.end_array();
  w.end_object();
  EXPECT_EQ(out, R"({"a":[1],"b":{},"c":"x","d":true,"e":[{"f":1},{"g":2},"h"]})");
}

// The writer gathers bytes in a buffer of its own (512 bytes) before the string: keys and texts of every length
// around it, escaped or not, arrive whole and in order, and the string holds everything after each document, after
// buffer() (with the commas that follow still right) and when the writer ends inside a document.
TEST(JsonOut, HandsEverythingToTheStringAcrossItsBuffer) {
  std::string expected = "{";
  std::string out;
  {
    JsonOut w(out);
    w.start_object();
    bool first = true;
    for (const std::size_t length : {1, 100, 400, 509, 510, 511, 512, 513, 1000, 3000}) {
      for (const char fill : {'v', '"'}) {
        const std::string value(length, fill);
        const std::string name(length % 70 + 1, 'k');
        w.string(name, value);
        w.decimal("n", 0.5);  // separated from the member before it, whichever side of a flush
        expected += std::string(first ? "" : ",") + "\"" + name + "\":\"";
        for (const char c : value) expected += c == '"' ? std::string("\\\"") : std::string(1, c);
        expected += R"(","n":0.5)";
        first = false;
      }
    }
    w.buffer();  // hands over all that was written
    EXPECT_EQ(out, expected);
    w.boolean("after", true);  // after buffer(), the comma is decided from the string
    expected += ",\"after\":true";
  }
  EXPECT_EQ(out, expected);  // the writer ended inside its object: what it held is in the string
  out.clear();
  JsonOut w(out);
  w.text("alone");  // a value outside any container is in the string at once
  EXPECT_EQ(out, "\"alone\"");
  w.start_array();
  w.integer(1);
  w.end_array();
  EXPECT_EQ(out, "\"alone\"[1]");
}

// R4 2.6.2: no empty strings and no absent values; a FHIR decimal keeps no fraction when it is whole.
TEST(JsonOut, LeavesOutEmptyStringsAndAbsentOrInfiniteDecimals) {
  std::string out;
  JsonOut w(out);
  w.start_object();
  w.string("empty", "");
  w.decimal("absent", std::nullopt);
  w.decimal("infinite", std::numeric_limits<double>::infinity());
  w.decimal("whole", 3.0);
  w.decimal("negative", -0.25);
  w.integer("count", std::optional<int>{});
  w.end_object();
  EXPECT_EQ(out, R"({"whole":3,"negative":-0.25})");
}

// Every text is escaped where it must be, whatever its length and wherever the byte to escape lies (texts are
// checked eight bytes at a time): random texts of every byte value against RFC 8259's rules byte by byte.
TEST(JsonOut, EscapesEveryTextThatNeedsIt) {
  const auto expected = [](const std::string& text) {
    std::string out = "\"";
    for (const char ch : text) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += ch;
      } else if (c < 0x20) {
        static constexpr const char* kShort[] = {
            "u0000", "u0001", "u0002", "u0003", "u0004", "u0005", "u0006", "u0007", "b",     "t",     "n",
            "u000B", "f",     "r",     "u000E", "u000F", "u0010", "u0011", "u0012", "u0013", "u0014", "u0015",
            "u0016", "u0017", "u0018", "u0019", "u001A", "u001B", "u001C", "u001D", "u001E", "u001F"};
        out += '\\';
        out += kShort[c];
      } else {
        out += ch;
      }
    }
    return out + "\"";
  };
  std::mt19937 random(7);
  for (int i = 0; i < 20000; ++i) {
    const std::size_t length = random() % 40;
    std::string text(length, 'a');
    // Mostly plain text; now and then one byte (or a few) of any value, at any place.
    for (std::size_t j = 0; j < length; ++j) {
      text[j] = static_cast<char>(random() % 8 == 0 ? random() % 256 : 'a' + random() % 26);
    }
    std::string out;
    JsonOut w(out);
    w.text(text);
    ASSERT_EQ(out, expected(text)) << i;
  }
}

}  // namespace
}  // namespace gg::fhir
