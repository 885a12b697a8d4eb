// The command line of every example, with CLI11 and one convention: --help prints the usage
// on stdout and exits 0; a command line that does not parse is one line on stderr and exit
// status 2, before the program has touched a file.
#pragma once

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace examples {

namespace detail {
/// A validator from a test of the parsed number; `text` must be that number and nothing else.
template <class Number, class Test>
CLI::Validator number_check(Test test, std::string expected, std::string description) {
  return CLI::Validator(
      [test, expected](std::string& text) -> std::string {
        std::size_t used = 0;
        try {
          Number v;
          if constexpr (std::is_integral_v<Number>) {
            v = std::stoll(text, &used);
          } else {
            v = std::stod(text, &used);
          }
          if (used == text.size() && test(v)) return {};
        } catch (const std::exception&) {
        }
        return "must be " + expected + ", got '" + text + "'";
      },
      std::move(description));
}
}  // namespace detail

/// Accepts a whole number of at least 1 (refuses "--runs 0").
inline const CLI::Validator kCount = detail::number_check<long long>(
    [](long long v) { return v >= 1; }, "a whole number of at least 1", "N>=1");

/// Accepts a whole number of at least 0 (refuses "-1", which an unsigned option would wrap).
inline const CLI::Validator kWhole = detail::number_check<long long>(
    [](long long v) { return v >= 0; }, "a whole number of at least 0", "N>=0");

/// Accepts a finite number above 0.
inline const CLI::Validator kPositive = detail::number_check<double>(
    [](double v) { return v > 0 && std::isfinite(v); }, "a finite number above 0", "X>0");

/// Accepts a fraction in [0, 1): a share held out or dropped, which cannot be all of it.
inline const CLI::Validator kFraction = detail::number_check<double>(
    [](double v) { return v >= 0 && v < 1; }, "a number in [0, 1)", "0<=X<1");

/// Accepts a number in [0, 1].
inline const CLI::Validator kUnit = detail::number_check<double>(
    [](double v) { return v >= 0 && v <= 1; }, "a number in [0, 1]", "0<=X<=1");

/// Parses argv into `app`'s options. Returns the status to exit with (0 after --help, 2 after
/// a bad command line), or nothing when the program should run.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success&) {  // --help
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    for (char& c : message) {
      if (c == '\n') c = ' ';
    }
    std::fprintf(stderr, "%s: %s (see --help)\n", app.get_name().c_str(), message.c_str());
    return 2;
  }
  return std::nullopt;
}

}  // namespace examples
