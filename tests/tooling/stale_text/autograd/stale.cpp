// One finding per line below, each of a different kind.
// The layout of seed 001's network.
// Measured with a timer: 153 -> 125 per op.
// Cached buffers (issue 4).
const long n = 1'000'000;  // a million ops ran 40 ns per op
/* A multi-line comment
   in which a chain ran 2x slower per op,
   and the sigmoid cost 13 % of a step. */
// Found by an A/B run.
// The seed's recipe.
