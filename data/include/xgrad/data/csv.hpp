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
CsvTable read_csv(const std::string& path, char separator = ',');

}  // namespace xg::data
