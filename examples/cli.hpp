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

namespace examples {

/// Accepts a whole number of at least 1 (refuses "--runs 0").
inline const CLI::Validator kCount(
    [](std::string& text) -> std::string {
      std::size_t used = 0;
      try {
        if (std::stoll(text, &used) >= 1 && used == text.size()) return {};
      } catch (const std::exception&) {
      }
      return "must be a whole number of at least 1, got '" + text + "'";
    },
    "N>=1");

/// Accepts a finite number above 0.
inline const CLI::Validator kPositive(
    [](std::string& text) -> std::string {
      std::size_t used = 0;
      try {
        const double v = std::stod(text, &used);
        if (v > 0 && std::isfinite(v) && used == text.size()) return {};
      } catch (const std::exception&) {
      }
      return "must be a finite number above 0, got '" + text + "'";
    },
    "X>0");

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
