// DataLoader::get_state / set_state (see loader.hpp): the position of a loader as text.
//
// Four lines: a header, the options (compared on restore), "epoch E position P", and the
// shuffle generator's state before epoch E's order was drawn (std::mt19937_64's own text form).
// Restoring sets the generator back, so the next epoch() draws epoch E's order again and starts
// at batch P; the augmentation of a sample depends only on (seed, E, position), so it repeats too.
#include <cstdio>
#include <sstream>

#include "xgrad/data/loader.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"

namespace xg::data {

namespace {

constexpr const char* kHeader = "xgrad DataLoader state 1";

/// Exact text of a double (round-trips).
std::string exact(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

template <class T>
std::string DataLoader<T>::config_text() const {
  std::ostringstream out;
  out << "samples " << rows_ << " batch_size " << options_.batch_size << " shuffle "
      << options_.shuffle << " drop_last " << options_.drop_last << " sample_shape "
      << shape_str(sample_shape_);
  const Augmentation& a = options_.augment;
  if (a.crop) {
    out << " crop " << a.crop->height << "x" << a.crop->width << " padding " << a.crop->padding
        << " fill " << exact(a.crop->fill);
  }
  if (a.flip) out << " flip " << exact(a.flip->p);
  if (a.enabled()) out << " augment_seed " << a.seed;
  return out.str();
}

template <class T>
std::string DataLoader<T>::get_state() const {
  // The latest epoch while it still has batches to hand out; otherwise the next epoch's start.
  const bool mid = in_epoch_ && handed_ < batches_per_epoch();
  std::ostringstream out;
  out << kHeader << '\n' << config_text() << '\n';
  out << "epoch " << (mid ? epoch_number_ : next_epoch_) << " position "
      << (mid ? handed_ : resume_from_) << '\n';
  out << (mid ? rng_before_ : rng_) << '\n';
  return out.str();
}

template <class T>
void DataLoader<T>::set_state(const std::string& state) {
  const std::string who = "DataLoader::set_state";
  std::istringstream in(state);
  std::string header, config, position_line;
  std::getline(in, header);
  std::getline(in, config);
  std::getline(in, position_line);
  if (!in || header != kHeader) {
    throw Error(who + ": not a loader state (" + std::to_string(state.size()) +
                " characters; expected the text of DataLoader::get_state())");
  }
  if (config != config_text()) {
    throw Error(who + ": the state was saved by a loader with " + config +
                ", but this loader has " + config_text() +
                " (build it with the same inputs and options)");
  }
  std::istringstream pos(position_line);
  std::string epoch_word, position_word, rest;
  std::uint64_t epoch = 0;
  std::size_t position = 0;
  pos >> epoch_word >> epoch >> position_word >> position;
  if (pos.fail() || epoch_word != "epoch" || position_word != "position" || (pos >> rest)) {
    throw Error(who + ": not a loader state (bad line '" + position_line +
                "'; expected 'epoch E position P')");
  }
  if (position > 0 && position >= batches_per_epoch()) {
    throw Error(who + ": position " + std::to_string(position) + " is past the last of the " +
                std::to_string(batches_per_epoch()) + " batches of an epoch");
  }
  std::mt19937_64 restored;
  in >> restored;
  // A complete generator state is exactly 313 numbers: anything missing or left over is corrupt.
  if (in.fail() || (in >> rest)) {
    throw Error(who + ": not a loader state (the generator state is incomplete or followed by '" +
                rest + "')");
  }
  rng_ = restored;
  rng_before_ = restored;
  next_epoch_ = epoch;
  resume_from_ = position;
  in_epoch_ = false;
  handed_ = 0;
  ++serial_;  // iterators of earlier epochs no longer count as progress
}

#define XG_INSTANTIATE(T)                                  \
  template std::string DataLoader<T>::config_text() const; \
  template std::string DataLoader<T>::get_state() const;   \
  template void DataLoader<T>::set_state(const std::string&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::data
