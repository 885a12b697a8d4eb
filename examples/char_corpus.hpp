// The character-level corpus of char_lm.cpp: the words of a word list (Debian's wamerican,
// /usr/share/dict/american-english), lowercased, those of letters only, each once, split into
// training and validation words by a seeded shuffle. Each part becomes one stream of symbol ids:
// a newline, then the words, each followed by a newline (symbol 0), so a model of the stream
// also learns where words end.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace char_lm {

/// Symbol 0 is the newline that ends every word; 1..26 are 'a'..'z'.
inline constexpr std::size_t kSymbols = 27;

inline char symbol_char(std::size_t id) {
  return id == 0 ? '\n' : static_cast<char>('a' + id - 1);
}

struct Corpus {
  std::vector<std::string> train_words, valid_words;
  std::vector<std::uint8_t> train, valid;  // the streams of symbol ids
};

inline std::vector<std::uint8_t> stream_of(const std::vector<std::string>& words) {
  std::vector<std::uint8_t> s{0};
  for (const std::string& w : words) {
    for (char c : w) s.push_back(static_cast<std::uint8_t>(c - 'a' + 1));
    s.push_back(0);
  }
  return s;
}

/// Reads the word list at `path`; `valid_fraction` of the distinct words (at least one) go to
/// validation. Throws std::runtime_error naming the file when it cannot be read or holds fewer
/// than two usable words.
inline Corpus load_corpus(const std::string& path, double valid_fraction, std::uint64_t seed) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("char_lm: cannot read the word list " + path);
  std::set<std::string> distinct;
  std::string line;
  while (std::getline(in, line)) {
    bool letters = !line.empty();
    for (char& c : line) {
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x80 || !std::isalpha(u)) {
        letters = false;
        break;
      }
      c = static_cast<char>(std::tolower(u));
    }
    if (letters) distinct.insert(line);
  }
  if (distinct.size() < 2) {
    throw std::runtime_error("char_lm: " + path + " holds " + std::to_string(distinct.size()) +
                             " words of letters only; at least 2 are needed");
  }
  std::vector<std::string> words(distinct.begin(), distinct.end());
  std::mt19937_64 rng(seed);
  std::shuffle(words.begin(), words.end(), rng);
  auto n_valid = static_cast<std::size_t>(valid_fraction * static_cast<double>(words.size()));
  n_valid = std::clamp<std::size_t>(n_valid, 1, words.size() - 1);
  Corpus c;
  c.valid_words.assign(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(n_valid));
  c.train_words.assign(words.begin() + static_cast<std::ptrdiff_t>(n_valid), words.end());
  c.train = stream_of(c.train_words);
  c.valid = stream_of(c.valid_words);
  return c;
}

}  // namespace char_lm
