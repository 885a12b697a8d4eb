// The baseline of char_lm.cpp: a character trigram model with interpolated Kneser-Ney smoothing
// (Chen & Goodman, "An Empirical Study of Smoothing Techniques for Language Modeling", 1998):
// each order's counts less a discount D, the freed mass given to the next lower order, whose
// counts are continuation counts (in how many contexts a symbol follows), down to a uniform
// distribution. Every probability is positive and each distribution sums to 1.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace char_lm {

class Trigram {
 public:
  explicit Trigram(std::size_t symbols, double discount = 0.75)
      : v_(symbols), d_(discount), c3_(v_ * v_ * v_, 0), c2_(v_ * v_, 0), c1_(v_, 0) {}

  /// Counts the trigrams of `stream` (the first symbol's context padded with symbol 0).
  void fit(const std::vector<std::uint8_t>& stream) {
    for (std::size_t i = 1; i < stream.size(); ++i) {
      const std::size_t a = i >= 2 ? stream[i - 2] : 0;
      ++c3_[(a * v_ + stream[i - 1]) * v_ + stream[i]];
    }
    // Continuation counts: bigram (b, c) in how many contexts a; symbol c after how many b.
    for (std::size_t a = 0; a < v_; ++a)
      for (std::size_t bc = 0; bc < v_ * v_; ++bc) c2_[bc] += c3_[a * v_ * v_ + bc] > 0;
    for (std::size_t b = 0; b < v_; ++b)
      for (std::size_t c = 0; c < v_; ++c) c1_[c] += c2_[b * v_ + c] > 0;
  }

  /// P(c | a b).
  double prob(std::size_t a, std::size_t b, std::size_t c) const {
    const std::uint64_t* row = &c3_[(a * v_ + b) * v_];
    double n = 0, types = 0;
    for (std::size_t k = 0; k < v_; ++k) {
      n += static_cast<double>(row[k]);
      types += row[k] > 0;
    }
    const double lower = bigram(b, c);
    if (n == 0) return lower;
    return (std::max(static_cast<double>(row[c]) - d_, 0.0) + d_ * types * lower) / n;
  }

  /// The mean of -log2 P over stream[1..], each symbol predicted from the two before it.
  double bits_per_symbol(const std::vector<std::uint8_t>& stream) const {
    double bits = 0;
    for (std::size_t i = 1; i < stream.size(); ++i) {
      const std::size_t a = i >= 2 ? stream[i - 2] : 0;
      bits -= std::log2(prob(a, stream[i - 1], stream[i]));
    }
    return bits / static_cast<double>(stream.size() - 1);
  }

 private:
  double bigram(std::size_t b, std::size_t c) const {
    double n = 0, types = 0;
    for (std::size_t k = 0; k < v_; ++k) {
      n += static_cast<double>(c2_[b * v_ + k]);
      types += c2_[b * v_ + k] > 0;
    }
    const double lower = unigram(c);
    if (n == 0) return lower;
    return (std::max(static_cast<double>(c2_[b * v_ + c]) - d_, 0.0) + d_ * types * lower) / n;
  }
  double unigram(std::size_t c) const {
    double n = 0, types = 0;
    for (std::size_t k = 0; k < v_; ++k) {
      n += static_cast<double>(c1_[k]);
      types += c1_[k] > 0;
    }
    const double uniform = 1.0 / static_cast<double>(v_);
    if (n == 0) return uniform;
    return (std::max(static_cast<double>(c1_[c]) - d_, 0.0) + d_ * types * uniform) / n;
  }

  std::size_t v_;
  double d_;
  std::vector<std::uint64_t> c3_, c2_, c1_;
};

}  // namespace char_lm
