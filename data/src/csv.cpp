// Numeric CSV reader (see csv.hpp).
#include "xgrad/data/csv.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string_view>
#include <system_error>

#include "xgrad/errors.hpp"

namespace xg::data {

namespace {

struct Field {
  std::string text;
  bool quoted = false;
};

bool is_blank(char c, char separator) {
  return c != separator && (c == ' ' || c == '\t');
}

std::string_view trim(std::string_view s, char separator) {
  while (!s.empty() && is_blank(s.front(), separator)) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back(), separator)) s.remove_suffix(1);
  return s;
}

/// 'text', built piecewise: GCC 12 warns falsely (-Wrestrict) about "'" + std::string&&.
std::string quoted(std::string_view text) {
  std::string out = "'";
  out += text;
  out += "'";
  return out;
}

std::string where(const std::string& path, std::size_t line) {
  return "read_csv: '" + path + "' line " + std::to_string(line);
}

/// The byte that ends a line: '\r' in a file whose first line break is a lone CR (classic Mac
/// files), else '\n' (LF files; in CRLF files the CR before each LF is dropped).
char line_end_of(std::string_view text) {
  const std::size_t at = text.find_first_of("\r\n");
  const bool lone_cr = at != std::string_view::npos && text[at] == '\r' &&
                       (at + 1 == text.size() || text[at + 1] != '\n');
  return lone_cr ? '\r' : '\n';
}

/// A CR or LF left inside a line is not the file's line break: the file mixes line endings, or
/// a cell holds a line break (which quoted fields cannot either).
void reject_stray_break(char c, const std::string& path, std::size_t line_no, std::size_t column) {
  if (c != '\r' && c != '\n') return;
  throw Error(where(path, line_no) + ", column " + std::to_string(column) + ": a stray " +
              (c == '\r' ? "carriage return (CR)" : "line feed (LF)") +
              " in the cell; the lines of this file end in " + (c == '\r' ? "LF or CRLF" : "CR") +
              ", and a cell cannot hold a line break");
}

/// Splits one line into fields. A field may be enclosed in double quotes (then it may hold the
/// separator, and "" stands for one quote); spaces around a field are dropped.
std::vector<Field> split(std::string_view line, char separator, const std::string& path,
                         std::size_t line_no) {
  std::vector<Field> fields;
  std::size_t i = 0;
  while (true) {
    Field field;
    while (i < line.size() && is_blank(line[i], separator)) ++i;
    if (i < line.size() && line[i] == '"') {
      field.quoted = true;
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.text += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        reject_stray_break(line[i], path, line_no, fields.size() + 1);
        field.text += line[i++];
      }
      if (!closed) {
        throw Error(where(path, line_no) + ", column " + std::to_string(fields.size() + 1) +
                    ": a quoted field is not closed (quoted fields cannot span lines)");
      }
      while (i < line.size() && is_blank(line[i], separator)) ++i;
      if (i < line.size()) reject_stray_break(line[i], path, line_no, fields.size() + 1);
      if (i < line.size() && line[i] != separator) {
        throw Error(where(path, line_no) + ", column " + std::to_string(fields.size() + 1) +
                    ": unexpected text after a closing quote");
      }
    } else {
      const std::size_t end = std::min(line.find(separator, i), line.size());
      field.text = std::string(trim(line.substr(i, end - i), separator));
      for (char c : field.text) reject_stray_break(c, path, line_no, fields.size() + 1);
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) break;
    ++i;  // the separator
  }
  return fields;
}

std::string column_label(std::size_t index, const std::vector<std::string>& names) {
  return "column " + std::to_string(index + 1) + " ('" + names[index] + "')";
}

double parse_number(std::string_view text, const std::string& path, std::size_t line_no,
                    std::size_t col, const std::vector<std::string>& names) {
  const auto fail = [&](const std::string& what) {
    throw Error(where(path, line_no) + ", " + column_label(col, names) + ": " + what);
  };
  if (text.empty()) fail("empty cell (expected a number)");
  std::string_view digits = text;
  if (digits.size() > 1 && digits.front() == '+' && digits[1] != '-' && digits[1] != '+') {
    digits.remove_prefix(1);  // from_chars does not take a leading '+'
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range) {
    fail(quoted(text) + " is out of the range of a double");
  }
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    fail(quoted(text) + " is not a number");
  }
  return value;
}

}  // namespace

std::size_t CsvTable::column(const std::string& name) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return i;
  }
  std::string known;
  for (const auto& c : columns) known += (known.empty() ? "'" : ", '") + c + "'";
  throw Error("CsvTable::column: no column named '" + name + "' (columns: " + known + ")");
}

CsvTable read_csv(const std::string& path, char separator) {
  if (separator == '"' || separator == '\n' || separator == '\r') {
    throw Error(
        std::string("read_csv: the separator cannot be a quote or a line break (reading '") + path +
        "')");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("read_csv: cannot open '" + path + "' (missing or unreadable file)");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = std::move(buffer).str();
  std::string_view rest = text;
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);  // UTF-8 byte order mark

  CsvTable table;
  std::vector<double> values;
  bool have_header = false;
  std::size_t line_no = 0;
  const char line_end = line_end_of(rest);
  while (!rest.empty()) {
    const std::size_t nl = rest.find(line_end);
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++line_no;
    if (line_end == '\n' && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line, separator).empty()) continue;

    auto fields = split(line, separator, path, line_no);
    if (!have_header) {
      for (std::size_t c = 0; c < fields.size(); ++c) {
        if (fields[c].text.empty()) {
          throw Error(where(path, line_no) + ", column " + std::to_string(c + 1) +
                      ": empty column name in the header");
        }
        for (std::size_t d = 0; d < c; ++d) {
          if (table.columns[d] == fields[c].text) {  // earlier names are already moved
            throw Error(where(path, line_no) + ": the header names column '" + fields[c].text +
                        "' twice (columns " + std::to_string(d + 1) + " and " +
                        std::to_string(c + 1) + ")");
          }
        }
        table.columns.push_back(std::move(fields[c].text));
      }
      have_header = true;
      continue;
    }
    if (fields.size() != table.columns.size()) {
      // The column of the first missing or extra field.
      const std::size_t column = std::min(fields.size(), table.columns.size()) + 1;
      throw Error(where(path, line_no) + ", column " + std::to_string(column) + ": the row has " +
                  std::to_string(fields.size()) + " fields but the header has " +
                  std::to_string(table.columns.size()) + " columns");
    }
    for (std::size_t c = 0; c < fields.size(); ++c) {
      values.push_back(parse_number(fields[c].text, path, line_no, c, table.columns));
    }
  }
  if (!have_header) {
    throw Error("read_csv: '" + path + "' is empty: expected a header line of column names");
  }
  const std::size_t cols = table.columns.size();
  table.values = xt::xarray<double>::from_shape({values.size() / cols, cols});
  std::copy(values.begin(), values.end(), table.values.data());
  return table;
}

}  // namespace xg::data
