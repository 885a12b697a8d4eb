// A CSV reader for numeric user data with a header row.
#pragma once

#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

namespace xg::data {

struct CsvTable {
  std::vector<std::string> columns;  ///< header names
  xt::xarray<double> values;         ///< (rows, columns)
  /// Index of a column by name; xg::Error naming it if absent.
  std::size_t column(const std::string& name) const;
};

/// Reads a comma-separated file whose first line is the header and whose other lines hold
/// numbers (surrounding spaces allowed, blank lines skipped). Throws xg::Error naming the file,
/// line and column for a missing file, a ragged row or a value that is not a number.
///
/// Details: lines may end in "\n", "\r\n" or "\r" (old Mac files), as the file's first line
/// break shows; a CR or LF anywhere else (mixed line endings, a line break in a cell) is an
/// error naming line and column. A UTF-8 byte order mark is ignored; any field
/// may be enclosed in double quotes (then it may contain the separator, and "" is one quote;
/// a quoted field cannot span lines); numbers are read by std::from_chars (a leading '+',
/// "nan" and "inf" are accepted). Line and column numbers in messages count from 1 and count
/// blank lines. A file with no header (empty, or blank lines only) is an error; a header
/// without data rows gives a table of shape (0, columns). Empty or duplicate column names and
/// empty cells are errors.
CsvTable read_csv(const std::string& path, char separator = ',');

}  // namespace xg::data
