// A minimal SVG line chart for training curves: no dependency, opens in any browser.
#pragma once

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace examples {

struct Series {
  std::string label;
  std::string color;
  std::vector<double> values;  ///< one per epoch, starting at epoch 1
};

/// Writes one chart per group of series (e.g. losses, accuracies) stacked vertically.
inline void write_svg_chart(
    const std::string& path, const std::string& title,
    const std::vector<std::pair<std::string, std::vector<Series>>>& panels) {
  const double width = 720, panel_height = 260, left = 60, right = 160, top = 40, gap = 50;
  const double height = top + panels.size() * (panel_height + gap);
  std::ofstream out(path);
  char buf[256];
  out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' "
         "fill='white'/>\n"
      << "<text x='" << left << "' y='24' font-size='16'>" << title << "</text>\n";
  double y0 = top;
  for (const auto& [name, series] : panels) {
    double lo = 1e300, hi = -1e300;
    std::size_t n = 0;
    for (const auto& s : series) {
      for (double v : s.values) lo = std::min(lo, v), hi = std::max(hi, v);
      n = std::max(n, s.values.size());
    }
    if (n == 0) continue;
    if (hi - lo < 1e-12) hi = lo + 1;
    const double pw = width - left - right, ph = panel_height;
    auto px = [&](std::size_t i) { return left + (n == 1 ? 0.0 : pw * double(i) / double(n - 1)); };
    auto py = [&](double v) { return y0 + ph - ph * (v - lo) / (hi - lo); };
    out << "<rect x='" << left << "' y='" << y0 << "' width='" << pw << "' height='" << ph
        << "' fill='none' stroke='#888'/>\n";
    out << "<text x='" << left << "' y='" << y0 - 6 << "'>" << name << "</text>\n";
    for (int k = 0; k <= 4; ++k) {
      const double v = lo + (hi - lo) * k / 4.0;
      std::snprintf(buf, sizeof buf, "%.4g", v);
      out << "<text x='" << left - 6 << "' y='" << py(v) + 4 << "' text-anchor='end'>" << buf
          << "</text>\n";
    }
    out << "<text x='" << left + pw / 2 << "' y='" << y0 + ph + 28
        << "' text-anchor='middle'>epoch (1.." << n << ")</text>\n";
    double ly = y0 + 14;
    for (const auto& s : series) {
      out << "<polyline fill='none' stroke-width='2' stroke='" << s.color << "' points='";
      for (std::size_t i = 0; i < s.values.size(); ++i)
        out << px(i) << ',' << py(s.values[i]) << ' ';
      out << "'/>\n<text x='" << left + pw + 10 << "' y='" << ly << "' fill='" << s.color << "'>"
          << s.label << "</text>\n";
      ly += 16;
    }
    y0 += panel_height + gap;
  }
  out << "</svg>\n";
}

}  // namespace examples
