// Passes scripts/check-stale-text.sh: the figures and seed numbers below are in literals, not in
// comments, and the comments use "seed" for a generator's or a gradient's seed.
#include <cstdio>

// Reverse-mode pass from a one-element tensor (seed 1); the seed gradient is 1.
// Each thread starts from seed 0; equal seeds give equal masks.
int main() {
  const long steps = 100'000;  // a digit separator is not a character literal
  const char quote = '"';      // nor is a quote inside one a string
  std::printf("seed 003: 153 -> 125 ns per op, 2x slower // not a comment %c\n", quote);
  std::printf(R"raw(the seed's 50 epochs, 13 % of a step /* not a comment */)raw");
  std::printf("escaped \" quote, seed-004 %ld\n", steps);  // a 2-2-1 network, 10 x 2 x 2
  return 0;
}
