// read_csv: good files, the documented details, and errors naming file, line and column.
#include <gtest/gtest.h>

#include <cmath>

#include "data/data_test_util.hpp"
#include "xgrad/data/csv.hpp"
#include "xgrad/errors.hpp"

namespace {

using xg::test::TempDir;
using xg::test::write_text;

TEST(DataCsv, ReadsHeaderAndValues) {
  TempDir dir;
  const std::string path = dir.file("good.csv");
  write_text(path, "temperature,sales\n14.2,215\n16.4, 325\n  11.9 ,185\n-3e-1,+7\n");
  const auto t = xg::data::read_csv(path);
  ASSERT_EQ(t.columns, (std::vector<std::string>{"temperature", "sales"}));
  ASSERT_EQ(t.values.dimension(), 2u);
  ASSERT_EQ(t.values.shape()[0], 4u);
  ASSERT_EQ(t.values.shape()[1], 2u);
  EXPECT_DOUBLE_EQ(t.values(0, 0), 14.2);
  EXPECT_DOUBLE_EQ(t.values(0, 1), 215.0);
  EXPECT_DOUBLE_EQ(t.values(1, 1), 325.0);
  EXPECT_DOUBLE_EQ(t.values(2, 0), 11.9);
  EXPECT_DOUBLE_EQ(t.values(3, 0), -0.3);
  EXPECT_DOUBLE_EQ(t.values(3, 1), 7.0);
  EXPECT_EQ(t.column("sales"), 1u);
  EXPECT_EQ(t.column("temperature"), 0u);
}

TEST(DataCsv, CrLfBlankLinesQuotesBomAndNoFinalNewline) {
  TempDir dir;
  const std::string path = dir.file("windows.csv");
  write_text(path,
             "\xEF\xBB\xBF\r\n\"x, in cm\",\"y \"\"raw\"\"\" , z\r\n\r\n1,2,3\r\n   \r\n"
             "4,\"5.5\",6");
  const auto t = xg::data::read_csv(path);
  ASSERT_EQ(t.columns, (std::vector<std::string>{"x, in cm", "y \"raw\"", "z"}));
  ASSERT_EQ(t.values.shape()[0], 2u);
  EXPECT_DOUBLE_EQ(t.values(0, 2), 3.0);
  EXPECT_DOUBLE_EQ(t.values(1, 1), 5.5);
  EXPECT_DOUBLE_EQ(t.values(1, 2), 6.0);
}

TEST(DataCsv, CrOnlyLineEndingsAreLines) {
  TempDir dir;
  const std::string path = dir.file("mac.csv");
  write_text(path, "a,b\r1,2\r\r3,4\r");
  auto t = xg::data::read_csv(path);
  ASSERT_EQ(t.columns, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(t.values.shape()[0], 2u);
  EXPECT_DOUBLE_EQ(t.values(0, 1), 2.0);
  EXPECT_DOUBLE_EQ(t.values(1, 0), 3.0);
  write_text(path, "a,b\r1,2");  // no final line break
  t = xg::data::read_csv(path);
  ASSERT_EQ(t.values.shape()[0], 1u);
  EXPECT_DOUBLE_EQ(t.values(0, 1), 2.0);
  // Line numbers count CR line breaks.
  write_text(path, "a,b\r1,2\r3,x\r");
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 3, column 2 ('b')",
                    "'x' is not a number");
}

TEST(DataCsv, StrayLineBreaksAreRejectedNamingLineAndColumn) {
  TempDir dir;
  const std::string path = dir.file("mixed.csv");
  write_text(path, "a,b\n1,b\r1\n");  // a CR inside a cell of an LF file
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 2, column 2",
                    "stray carriage return (CR)", "end in LF");
  // The first line break decides: here it is a lone CR, so the LF is the stray one.
  write_text(path, "a,b\rc\n1,2\r");
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 2, column 1",
                    "stray line feed (LF)", "end in CR");
  write_text(path, "x,y\r\n1,2\r3\r\n");  // a lone CR in a CRLF file
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 2, column 2",
                    "stray carriage return (CR)");
  write_text(path, "x,y\n1,\"2\r\"\n");  // inside a quoted cell
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 2, column 2",
                    "stray carriage return");
  write_text(path, "x,y\n1,\"2\" \r \n");  // after a closing quote
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 2, column 2",
                    "stray carriage return");
  write_text(path, "x,y\r1,2\n3,4\r");  // an LF in a CR file
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 2, column 2",
                    "stray line feed (LF)", "end in CR");
  write_text(path, "x,y\r1,2\r\n3,4\r");  // CR, then CRLF: mixed
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 3, column 1",
                    "stray line feed");
}

TEST(DataCsv, OtherSeparator) {
  TempDir dir;
  const std::string path = dir.file("semi.csv");
  write_text(path, "a;b\n1,5;2\n");  // ',' is not special with ';' as the separator...
  EXPECT_THROW_WITH(xg::data::read_csv(path, ';'), xg::Error, "line 2, column 1 ('a')",
                    "'1,5' is not a number");
  write_text(path, "a\tb\n 1\t2 \n");
  const auto t = xg::data::read_csv(path, '\t');
  EXPECT_EQ(t.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_DOUBLE_EQ(t.values(0, 1), 2.0);
}

TEST(DataCsv, HeaderOnlyGivesZeroRows) {
  TempDir dir;
  const std::string path = dir.file("header.csv");
  write_text(path, "a,b,c\n\n");
  const auto t = xg::data::read_csv(path);
  EXPECT_EQ(t.columns.size(), 3u);
  ASSERT_EQ(t.values.dimension(), 2u);
  EXPECT_EQ(t.values.shape()[0], 0u);
  EXPECT_EQ(t.values.shape()[1], 3u);
}

TEST(DataCsv, EmptyFileIsAnError) {
  TempDir dir;
  const std::string path = dir.file("empty.csv");
  write_text(path, "");
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "empty", "header");
  write_text(path, "\n  \r\n\n");
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "empty", "header");
}

TEST(DataCsv, RaggedRowNamesLine) {
  TempDir dir;
  const std::string path = dir.file("ragged.csv");
  write_text(path, "a,b,c\n1,2,3\n\n4,5\n");
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 4, column 3", "2 fields",
                    "3 columns");
  write_text(path, "a,b\n1,2,3\n");
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 2, column 3", "3 fields",
                    "2 columns");
  write_text(path, "a,b\r1,2,3\r");
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 2, column 3", "3 fields");
}

TEST(DataCsv, NonNumericCellNamesLineAndColumn) {
  TempDir dir;
  const std::string path = dir.file("text.csv");
  write_text(path, "x,y,label\n1,2,3\n4,5,cat\n");
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 3, column 3 ('label')",
                    "'cat' is not a number");
  write_text(path, "x,y\n1,2\n3,4x\n");
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 3, column 2 ('y')", "'4x'");
  write_text(path, "x,y\n1, \n");
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 2, column 2 ('y')",
                    "empty cell");
  write_text(path, "x,y\n1,1e999\n");
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 2, column 2",
                    "out of the range");
  write_text(path, "x,y\n1,\"2\n");
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 2, column 2", "not closed");
}

TEST(DataCsv, BadHeaderIsAnError) {
  TempDir dir;
  const std::string path = dir.file("header.csv");
  write_text(path, "a,,c\n1,2,3\n");
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "line 1, column 2",
                    "empty column name");
  write_text(path, "a,b,a\n1,2,3\n");
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "'a' twice", "columns 1 and 3");
}

TEST(DataCsv, MissingFileAndUnknownColumn) {
  TempDir dir;
  const std::string path = dir.file("absent.csv");
  EXPECT_THROW_WITH(xg::data::read_csv(path), xg::Error, path, "cannot open");
  write_text(path, "a,b\n1,2\n");
  const auto t = xg::data::read_csv(path);
  EXPECT_THROW_WITH(t.column("c"), xg::Error, "'c'", "'a', 'b'");
}

TEST(DataCsv, SpecialValues) {
  TempDir dir;
  const std::string path = dir.file("special.csv");
  write_text(path, "a,b,c\nnan,inf,-inf\n");
  const auto t = xg::data::read_csv(path);
  EXPECT_TRUE(std::isnan(t.values(0, 0)));
  EXPECT_EQ(t.values(0, 1), INFINITY);
  EXPECT_EQ(t.values(0, 2), -INFINITY);
}

}  // namespace
