// A Keras-style regression on the tape: make_regression(10000 samples, 10 features, noise 0.1),
// 80/20 split, Dense(10, tanh) + Dense(1), SGD, MSE, batch 64, early stopping on the validation
// loss. Prints the Keras-style summary (110 + 11 = 121 parameters) and R².
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli.hpp"
#include "xgrad/data.hpp"
#include "xgrad/memory.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"

namespace nn = xg::nn;

namespace {

/// Coefficient of determination on the original scale.
double r2_score(const auto& p, const auto& target) {
  const auto& y = target.value();
  double mean = 0;
  for (std::size_t i = 0; i < y.size(); ++i) mean += y.flat(i);
  mean /= y.size();
  double ss_res = 0, ss_tot = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    ss_res += (y.flat(i) - p.flat(i)) * (y.flat(i) - p.flat(i));
    ss_tot += (y.flat(i) - mean) * (y.flat(i) - mean);
  }
  return 1 - ss_res / ss_tot;
}

double mse_of(nn::Module<>& model, const auto& x, const auto& y) {
  xg::NoGradGuard no_grad;
  return xg::mse_loss(model(x), y).item();
}

}  // namespace

int main(int argc, char** argv) {
  xg::tune_allocator();  // a training loop: keep freed step buffers for the next step
  std::size_t max_epochs = 1000;
  CLI::App app{
      "Seed 004's Keras regression on the tape: Dense(10, tanh) + Dense(1), SGD, MSE, early "
      "stopping on the validation loss; prints the summary and R².",
      "regression"};
  app.add_option("max-epochs", max_epochs, "epochs at most (early stopping may end sooner)")
      ->check(examples::kCount)
      ->capture_default_str();
  if (auto status = examples::parse_command_line(app, argc, argv)) return *status;
  const std::size_t patience = 20;
  nn::manual_seed(0);

  auto data = xg::data::make_regression(10000, 10, 0.1, /*seed=*/42);
  auto split = xg::data::train_val_split(data.inputs, data.targets, 0.2, /*seed=*/42);
  // Targets are ~N(0, 150^2): standardise them (fit on training data only) so that SGD's
  // default step suits them; R² is reported on the original scale.
  xg::data::Standardizer y_scale;
  const auto y_train = y_scale.fit_transform(split.train_targets);
  // Early stopping watches a validation slice of the training part, as Keras' callbacks do.
  auto inner = xg::data::train_val_split(split.train_inputs, y_train, 0.1, /*seed=*/7);

  nn::Sequential model{nn::Linear(10, 10), nn::Tanh(), nn::Linear(10, 1)};
  std::printf("%s\n", model.summary({10}).c_str());

  xg::optim::SGD sgd(model.parameters(), {.lr = 0.01});
  xg::data::DataLoader loader(inner.train_inputs, inner.train_targets,
                              {.batch_size = 64, .shuffle = true, .seed = 1});
  double best = 1e300;
  std::size_t best_epoch = 0, epoch = 0;
  const std::string best_dir = "regression_best";
  for (epoch = 1; epoch <= max_epochs; ++epoch) {
    for (const auto& batch : loader) {  // one epoch, batches gathered as they are reached
      auto loss = xg::mse_loss(model(batch.inputs), batch.targets);
      sgd.zero_grad();
      loss.backward();
      sgd.step();
    }
    const double val = mse_of(model, inner.val_inputs, inner.val_targets);
    if (val < best - 1e-6) {
      best = val;
      best_epoch = epoch;
      nn::save_parameters(model, best_dir);
    }
    if (epoch % 50 == 0 || epoch == 1) {
      std::printf("epoch %4zu  train mse %.5f  val mse %.5f\n", epoch,
                  mse_of(model, inner.train_inputs, inner.train_targets), val);
    }
    if (epoch - best_epoch >= patience) {
      std::printf("early stopping at epoch %zu (best validation mse %.5f at epoch %zu)\n", epoch,
                  best, best_epoch);
      break;
    }
  }
  nn::load_parameters(model, best_dir);  // restore the best weights, like restore_best_weights
  auto p = [&] {
    xg::NoGradGuard no_grad;
    model.eval();
    return model(split.val_inputs).value();
  }();
  // Back to the original scale: y = z * std + mean.
  p = p * y_scale.stddev() + y_scale.mean();
  const double r2 = r2_score(p, split.val_targets);
  std::printf("test R^2 = %.4f on %zu held-out samples (seed 004 reports 0.9855)\n", r2,
              split.val_targets.shape()[0]);
  return r2 >= 0.98 ? 0 : 1;
}
