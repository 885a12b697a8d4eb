// A character-level language model of English words (Debian's wamerican word list): it reads
// the words as one stream of letters and word ends and learns to predict the next symbol.
//
//   ids -> Embedding(27, E) -> LSTM or GRU (H units, carried across windows) -> Linear(H, 27)
//   ids -> Embedding(27, H) + a learned position embedding -> Transformer encoder layers
//          (4 heads, causal mask, pre-norm) -> Linear(H, 27)                 (--model transformer)
//
// The training stream is cut into --batch parallel streams, read --seq symbols at a time; the
// state at the end of a window starts the next one, detached (truncated backpropagation
// through time: gradients stop at the window's start, the state does not); the Transformer
// sees only its window, each position attending to itself and the positions before. Adam, gradient
// norm clipped. The program reports validation bits per character next to a smoothed
// character trigram model (interpolated Kneser-Ney) counted on the same training words, and
// samples new words.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <xtensor/xview.hpp>

#include "char_corpus.hpp"
#include "char_trigram.hpp"
#include "cli.hpp"
#include "xgrad/memory.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"
#include "xgrad/threads.hpp"

namespace {

namespace nn = xg::nn;
using Tf = xg::Tensor<float>;

struct Config {
  std::string model = "lstm";
  std::string words = "/usr/share/dict/american-english";
  std::size_t embed = 32, hidden = 256, layers = 1, seq = 64, batch = 64;
  std::size_t epochs = 3, limit = 0, samples = 12, threads = 2;
  double lr = 3e-3, clip = 1.0, valid = 0.1;
  std::uint64_t seed = 1;
  double max_bpc = 0;  // > 0: exit 1 unless the model's validation bpc is below this
  bool beat_trigram = false;
};

std::optional<int> parse(int argc, char** argv, Config& c) {
  CLI::App app{"Character-level language model of a word list: LSTM or GRU against a trigram",
               "char_lm"};
  app.add_option("--model", c.model, "lstm, gru or transformer (default: lstm)")
      ->check(CLI::IsMember({"lstm", "gru", "transformer"}));
  app.add_option("--words", c.words, "the word list, one word per line")->check(CLI::ExistingFile);
  app.add_option("--embed", c.embed, "embedding size (default: 32)")->check(examples::kCount);
  app.add_option("--hidden", c.hidden, "recurrent units, or the Transformer's width (default: 256)")
      ->check(examples::kCount);
  app.add_option("--layers", c.layers, "stacked recurrent or encoder layers (default: 1)")
      ->check(examples::kCount);
  app.add_option("--seq", c.seq, "symbols per window of backpropagation (default: 64)")
      ->check(examples::kCount);
  app.add_option("--batch", c.batch, "parallel streams (default: 64)")->check(examples::kCount);
  app.add_option("--epochs", c.epochs, "passes over the training words (default: 3)")
      ->check(examples::kCount);
  app.add_option("--limit", c.limit, "use only the first N words after shuffling (0: all)")
      ->check(examples::kWhole);
  app.add_option("--lr", c.lr, "Adam's learning rate (default: 3e-3)")->check(examples::kPositive);
  app.add_option("--clip", c.clip, "gradient norm clipped to this (default: 1)")
      ->check(examples::kPositive);
  app.add_option("--valid", c.valid, "share of the words held out (default: 0.1)")
      ->check(examples::kFraction);
  app.add_option("--samples", c.samples, "words to sample at the end (default: 12)")
      ->check(examples::kWhole);
  app.add_option("--threads", c.threads, "threads (default: 2)")->check(examples::kCount);
  app.add_option("--seed", c.seed, "seed of the split, the weights and the samples")
      ->check(examples::kWhole);
  app.add_option("--max-bpc", c.max_bpc, "exit 1 unless validation bits per char end below X")
      ->check(examples::kPositive);
  app.add_flag("--beat-trigram", c.beat_trigram,
               "exit 1 unless the model's validation bits per char end below the trigram's");
  if (auto status = examples::parse_command_line(app, argc, argv)) return status;
  if (c.model == "transformer" && c.hidden % 4 != 0) {
    std::fprintf(stderr,
                 "char_lm: --hidden: the Transformer's 4 heads need a width divisible by "
                 "4, got %zu (see --help)\n",
                 c.hidden);
    return 2;
  }
  return std::nullopt;
}

/// The network: embedding, recurrent layers or Transformer encoder layers, a linear read-out
/// of the 27 symbols.
struct CharModel {
  std::shared_ptr<nn::Embedding<float>> embed, position;
  std::shared_ptr<nn::RecurrentBase<float>> rnn;
  std::shared_ptr<nn::TransformerEncoder<float>> encoder;
  std::shared_ptr<nn::Linear<float>> head;
  std::size_t window = 0;  // the Transformer's longest input

  CharModel(const Config& c) : window(c.seq) {
    if (c.model == "transformer") {
      embed = std::make_shared<nn::Embedding<float>>(char_lm::kSymbols, c.hidden);
      position = std::make_shared<nn::Embedding<float>>(c.seq, c.hidden);
      const nn::TransformerEncoderLayer<float> layer(
          c.hidden, 4, {.dim_feedforward = 4 * c.hidden, .dropout = 0.1, .norm_first = true});
      encoder = std::make_shared<nn::TransformerEncoder<float>>(
          layer, c.layers, std::make_shared<nn::LayerNorm<float>>(xg::Shape{c.hidden}));
    } else {
      embed = std::make_shared<nn::Embedding<float>>(char_lm::kSymbols, c.embed);
      nn::RecurrentOptions o{.num_layers = c.layers};
      if (c.model == "gru") {
        rnn = std::make_shared<nn::GRU<float>>(c.embed, c.hidden, o);
      } else {
        rnn = std::make_shared<nn::LSTM<float>>(c.embed, c.hidden, o);
      }
    }
    head = std::make_shared<nn::Linear<float>>(c.hidden, char_lm::kSymbols);
  }
  std::vector<nn::Module<float>*> modules() const {
    std::vector<nn::Module<float>*> m{embed.get(), head.get()};
    if (position) m.push_back(position.get());
    if (rnn) m.push_back(rnn.get());
    if (encoder) m.push_back(encoder.get());
    return m;
  }
  std::vector<Tf> parameters() const {
    std::vector<Tf> p;
    for (const auto* m : modules()) {
      for (const Tf& t : m->parameters()) p.push_back(t);
    }
    return p;
  }
  void set_training(bool on) {
    for (auto* m : modules()) on ? m->train() : m->eval();
  }
  /// The longest window run() takes (the Transformer's position table), or 0: any.
  std::size_t max_window() const { return encoder ? window : 0; }
  /// ids (L, N) -> logits (L N, 27) and the state after the window (none for the Transformer).
  std::pair<Tf, nn::RecurrentState<float>> run(const xt::xarray<std::size_t>& ids,
                                               const nn::RecurrentState<float>& state) {
    Tf out;
    nn::RecurrentState<float> next;
    if (encoder) {
      xt::xarray<std::size_t> at = xt::xarray<std::size_t>::from_shape({ids.shape()[0], 1});
      for (std::size_t t = 0; t < ids.shape()[0]; ++t) at(t, 0) = t;
      out = encoder->encode((*embed)(ids) + (*position)(at), {.is_causal = true});
    } else {
      auto r = rnn->forward_with_state((*embed)(ids), state);
      out = r.output;
      next = r.state;
    }
    const auto h = static_cast<std::ptrdiff_t>(out.shape()[2]);
    return {(*head)(xg::reshape(out, {-1, h})), next};
  }
};

nn::RecurrentState<float> detached(const nn::RecurrentState<float>& s) {
  return {s.h.defined() ? s.h.detach() : Tf(), s.c.defined() ? s.c.detach() : Tf()};
}

/// `stream` cut into `streams` equal contiguous parts, as columns: (length, streams).
xt::xarray<std::size_t> columns(const std::vector<std::uint8_t>& stream, std::size_t streams) {
  const std::size_t len = stream.size() / streams;
  xt::xarray<std::size_t> cols = xt::xarray<std::size_t>::from_shape({len, streams});
  for (std::size_t s = 0; s < streams; ++s) {
    for (std::size_t t = 0; t < len; ++t) cols(t, s) = stream[s * len + t];
  }
  return cols;
}

/// Rows [t0, t1) of a (length, streams) array.
xt::xarray<std::size_t> rows(const xt::xarray<std::size_t>& cols, std::size_t t0, std::size_t t1) {
  return xt::view(cols, xt::range(t0, t1), xt::all());
}

/// The labels of rows [t0, t1) flattened as the logits are: (t, stream) row-major.
std::vector<std::size_t> labels(const xt::xarray<std::size_t>& cols, std::size_t t0,
                                std::size_t t1) {
  std::vector<std::size_t> y;
  y.reserve((t1 - t0) * cols.shape()[1]);
  for (std::size_t t = t0; t < t1; ++t) {
    for (std::size_t s = 0; s < cols.shape()[1]; ++s) y.push_back(cols(t, s));
  }
  return y;
}

constexpr std::size_t kEvalStreams = 16;

/// Validation bits per symbol: the stream cut into kEvalStreams parts, each read from a zero
/// state, every symbol after the first of a part predicted.
double model_bits(CharModel& m, const std::vector<std::uint8_t>& stream, std::size_t window) {
  xg::NoGradGuard no_grad;
  m.set_training(false);
  if (m.max_window() > 0) window = std::min(window, m.max_window());
  const auto cols = columns(stream, kEvalStreams);
  const std::size_t len = cols.shape()[0];
  nn::RecurrentState<float> state;
  double nats = 0;
  std::size_t count = 0;
  for (std::size_t t0 = 0; t0 + 1 < len; t0 += window) {
    const std::size_t t1 = std::min(len - 1, t0 + window);
    auto [logits, next] = m.run(rows(cols, t0, t1), state);
    state = next;
    const auto y = labels(cols, t0 + 1, t1 + 1);
    nats += static_cast<double>(xg::cross_entropy(logits, y, xg::Reduction::sum).value().data()[0]);
    count += y.size();
  }
  m.set_training(true);
  return nats / static_cast<double>(count) / std::log(2.0);
}

/// The trigram's bits on the same symbols model_bits predicts.
double trigram_bits(const char_lm::Trigram& tri, const std::vector<std::uint8_t>& stream) {
  const std::size_t len = stream.size() / kEvalStreams;
  double bits = 0;
  std::size_t count = 0;
  for (std::size_t s = 0; s < kEvalStreams; ++s) {
    const std::vector<std::uint8_t> part(
        stream.begin() + static_cast<std::ptrdiff_t>(s * len),
        stream.begin() + static_cast<std::ptrdiff_t>((s + 1) * len));
    bits += tri.bits_per_symbol(part) * static_cast<double>(len - 1);
    count += len - 1;
  }
  return bits / static_cast<double>(count);
}

/// Samples a word: from a word end, symbols drawn from the softmax until the next word end.
/// The recurrent models carry their state; the Transformer rereads the word so far.
std::string sample_word(CharModel& m, std::mt19937_64& rng, std::size_t max_len = 24) {
  xg::NoGradGuard no_grad;
  m.set_training(false);
  nn::RecurrentState<float> state;
  std::vector<std::size_t> context{0};
  std::string word;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  while (word.size() < max_len) {
    const bool reread = m.max_window() > 0;
    if (reread && context.size() > m.max_window()) context.erase(context.begin());
    const std::size_t len = reread ? context.size() : 1;
    xt::xarray<std::size_t> ids = xt::xarray<std::size_t>::from_shape({len, 1});
    for (std::size_t t = 0; t < len; ++t) ids(t, 0) = context[context.size() - len + t];
    auto [logits, next] = m.run(ids, state);
    state = next;
    const Tf p = xg::softmax(logits, -1);
    const float* last = p.value().data() + (len - 1) * char_lm::kSymbols;
    double r = u(rng), acc = 0;
    std::size_t symbol = char_lm::kSymbols - 1;
    for (std::size_t k = 0; k < char_lm::kSymbols; ++k) {
      acc += static_cast<double>(last[k]);
      if (r < acc) {
        symbol = k;
        break;
      }
    }
    if (symbol == 0) break;
    word += char_lm::symbol_char(symbol);
    context.push_back(symbol);
  }
  m.set_training(true);
  return word;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  if (auto status = parse(argc, argv, cfg)) return *status;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines as they come, also into a pipe
  xg::tune_allocator();
  xg::set_num_threads(static_cast<int>(cfg.threads));
  xg::manual_seed(cfg.seed);

  char_lm::Corpus corpus = char_lm::load_corpus(cfg.words, cfg.valid, cfg.seed);
  if (cfg.limit > 0 && cfg.limit < corpus.train_words.size()) {
    corpus.train_words.resize(cfg.limit);
    corpus.valid_words.resize(
        std::min(corpus.valid_words.size(), std::max<std::size_t>(cfg.limit / 9, 1)));
    corpus.train = char_lm::stream_of(corpus.train_words);
    corpus.valid = char_lm::stream_of(corpus.valid_words);
  }
  if (corpus.train.size() < 2 * cfg.batch || corpus.valid.size() < 2 * kEvalStreams) {
    std::fprintf(stderr, "char_lm: too few words for --batch %zu (train %zu symbols, valid %zu)\n",
                 cfg.batch, corpus.train.size(), corpus.valid.size());
    return 1;
  }
  std::printf("words: %zu training (%zu symbols), %zu validation (%zu symbols)\n",
              corpus.train_words.size(), corpus.train.size(), corpus.valid_words.size(),
              corpus.valid.size());

  char_lm::Trigram trigram(char_lm::kSymbols);
  trigram.fit(corpus.train);
  const double tri_bits = trigram_bits(trigram, corpus.valid);
  std::printf("trigram (interpolated Kneser-Ney, D = 0.75): validation %.4f bits/char\n", tri_bits);

  CharModel model(cfg);
  std::size_t count = 0;
  for (const Tf& p : model.parameters()) count += p.size();
  if (cfg.model == "transformer") {
    std::printf(
        "model: Embedding(27, %zu) + positions -> %zu x TransformerEncoderLayer(%zu, 4 "
        "heads, causal, pre-norm) -> Linear(%zu, 27), %zu parameters\n",
        cfg.hidden, cfg.layers, cfg.hidden, cfg.hidden, count);
  } else {
    std::printf(
        "model: Embedding(27, %zu) -> %s(%zu, %zu, layers %zu) -> Linear(%zu, 27), %zu "
        "parameters\n",
        cfg.embed, cfg.model == "gru" ? "GRU" : "LSTM", cfg.embed, cfg.hidden, cfg.layers,
        cfg.hidden, count);
  }
  xg::optim::Adam<float> opt(model.parameters(), {.lr = cfg.lr});

  const auto cols = columns(corpus.train, cfg.batch);
  const std::size_t len = cols.shape()[0];
  double bits = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t epoch = 1; epoch <= cfg.epochs; ++epoch) {
    const auto t_epoch = std::chrono::steady_clock::now();
    nn::RecurrentState<float> state;
    double nats = 0;
    std::size_t windows = 0;
    for (std::size_t t0 = 0; t0 + 1 < len; t0 += cfg.seq) {
      const std::size_t t1 = std::min(len - 1, t0 + cfg.seq);
      opt.zero_grad();
      auto [logits, next] = model.run(rows(cols, t0, t1), detached(state));
      state = next;
      const Tf loss = xg::cross_entropy(logits, labels(cols, t0 + 1, t1 + 1));
      loss.backward();
      nn::clip_grad_norm_(model.parameters(), cfg.clip);
      opt.step();
      nats += static_cast<double>(loss.value().data()[0]);
      ++windows;
    }
    bits = model_bits(model, corpus.valid, 256);  // the Transformer: its own window
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_epoch).count();
    std::printf(
        "epoch %zu: train %.4f bits/char, validation %.4f bits/char, %.1f s (%.0f chars/s)\n",
        epoch, nats / static_cast<double>(windows) / std::log(2.0), bits, secs,
        static_cast<double>(len * cfg.batch) / secs);
  }
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "validation: %s %.4f bits/char, trigram %.4f bits/char (%s by %.4f), %.1f s of training\n",
      cfg.model.c_str(), bits, tri_bits, bits < tri_bits ? "better" : "worse",
      std::abs(tri_bits - bits), total);

  std::mt19937_64 rng(cfg.seed);
  const std::set<std::string> known(corpus.train_words.begin(), corpus.train_words.end());
  std::size_t novel = 0;
  std::string line;
  for (std::size_t i = 0; i < cfg.samples; ++i) {
    const std::string w = sample_word(model, rng);
    const bool is_new = !known.count(w);
    novel += is_new;
    line += (i ? ", " : "") + w + (is_new ? "" : "*");
  }
  if (cfg.samples > 0) {
    std::printf("samples (* = a training word): %s\n%zu of %zu are new words\n", line.c_str(),
                novel, cfg.samples);
  }
  if (cfg.beat_trigram && !(bits < tri_bits)) {
    std::fprintf(stderr, "char_lm: %.4f bits/char is not below the trigram's %.4f\n", bits,
                 tri_bits);
    return 1;
  }
  if (cfg.max_bpc > 0 && !(bits < cfg.max_bpc)) {
    std::fprintf(stderr, "char_lm: %.4f bits/char is not below --max-bpc %.4f\n", bits,
                 cfg.max_bpc);
    return 1;
  }
  return 0;
}
