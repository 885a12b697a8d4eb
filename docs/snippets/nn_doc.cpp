// The code of docs/nn.md, compiled and run by ctest (docs.snippet.nn_doc).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "xgrad/data.hpp"
#include "xgrad/nn.hpp"
#include "xgrad/optim.hpp"

// snippet-begin: mlp
#include <xgrad/nn.hpp>
namespace nn = xg::nn;
using Tn = xg::Tensor<float>;

class Mlp : public nn::Module<> {  // Module<> is Module<float>
 public:
  Mlp(std::size_t in, std::size_t hidden, std::size_t out) {
    fc1_ = register_module("fc1", nn::Linear(in, hidden));  // moved into a shared_ptr
    fc2_ = register_module("fc2", nn::Linear(hidden, out));
    register_parameter("gain", Tn::ones({out}));  // marked requires_grad, named "gain"
  }
  Tn forward(const Tn& x) override {
    return xg::mul(fc2_->forward(xg::tanh(fc1_->forward(x))), gain());
  }
  std::string type_name() const override { return "Mlp"; }
  Tn& gain() { return own_parameter(0); }  // the registered tensor itself

 private:
  std::shared_ptr<nn::Linear<>> fc1_, fc2_;
};
// snippet-end: mlp

int main() {
  Mlp mlp(3, 4, 2);
  std::string names;
  for (const auto& [name, p] : mlp.named_parameters()) names += name + " ";
  std::printf("%s\n", names.c_str());
  if (names != "gain fc1.weight fc1.bias fc2.weight fc2.bias ") return 1;
  if (mlp(Tn::ones({5, 3})).shape() != xg::Shape{5, 2}) return 1;

  const Tn x = Tn::ones({4, 10});
  // snippet-begin: sequential
  nn::Sequential model{nn::Linear(10, 10), nn::Tanh(), nn::Linear(10, 1)};
  model.add(nn::Sigmoid());  // add() returns *this, so calls chain
  Tn y = model(x);           // = model.forward(x)
  // snippet-end: sequential
  if (y.shape() != xg::Shape{4, 1}) return 1;
  {
    // snippet-begin: pooling
    nn::Sequential head{nn::MaxPool2d(2), nn::Dropout2d(0.25), nn::AdaptiveAvgPool2d({3, 3}),
                        nn::Flatten(), nn::Linear(8 * 3 * 3, 10)};
    Tn logits = head(Tn::ones({64, 8, 28, 28}));  // (64, 8, 14, 14) -> (64, 8, 3, 3) -> (64, 72)
    // snippet-end: pooling
    if (logits.shape() != xg::Shape{64, 10}) return 1;
    if (head.summary({8, 28, 28}).find("(None, 8, 14, 14)") == std::string::npos) return 1;
  }
  {
    // snippet-begin: summary
    nn::Sequential model{nn::Linear(10, 10), nn::Tanh(), nn::Linear(10, 1)};
    std::printf("%s", model.summary({10}).c_str());
    // snippet-end: summary
    if (model.summary({10}).find("Total params: 121") == std::string::npos) return 1;
  }
  std::filesystem::remove_all("ckpt");
  const auto before = model.parameters()[0].value();
  // snippet-begin: checkpoint
  nn::save_parameters(model, "ckpt");  // ckpt/0.weight.npy, ckpt/0.bias.npy, ckpt/2.weight.npy, ...
  nn::load_parameters(model, "ckpt");
  // snippet-end: checkpoint
  // snippet-begin: checkpoint_partial
  nn::Sequential first_layer{nn::Linear(10, 10)};
  // nn::load_parameters(first_layer, "ckpt") throws: unexpected entries '2.bias', '2.weight'
  const xg::IncompatibleKeys skipped = nn::load_parameters(first_layer, "ckpt", /*strict=*/false);
  // skipped.unexpected_keys == {"2.bias", "2.weight"}, skipped.missing_keys is empty
  // snippet-end: checkpoint_partial
  const bool partial = skipped.unexpected_keys == std::vector<std::string>{"2.bias", "2.weight"} &&
                       skipped.missing_keys.empty() &&
                       first_layer.parameters()[0].value() == before;
  const bool same = partial && model.parameters()[0].value() == before &&
                    std::filesystem::exists("ckpt/2.weight.npy");
  std::filesystem::remove_all("ckpt");
  if (!same) return 1;

  const Tn inputs = Tn::ones({100, 4});
  const std::vector<std::size_t> labels(100, 1);
  std::size_t steps = 0;
  // snippet-begin: loader
  xg::data::DataLoader loader(inputs, labels, {.batch_size = 32, .shuffle = true, .seed = 1});
  for (const auto& batch : loader) {  // one epoch: 3 batches of 32 rows, then one of 4
    steps += batch.size();            // batch.inputs, batch.labels (or batch.targets)
  }
  const auto epoch = loader.epoch();  // the next epoch: its order is drawn here
  std::printf("%zu batches\n", epoch.size());
  // snippet-end: loader
  if (steps != 100 || epoch.size() != 4) return 1;

  {
    // snippet-begin: batchnorm
    nn::Sequential net{nn::Linear(4, 8), nn::BatchNorm1d(8), nn::ReLU(), nn::Linear(8, 2)};
    net.train();
    net(Tn::ones({16, 4}));  // batch statistics; running_mean / running_var updated
    net.eval();
    const Tn y = net(Tn::ones({1, 4}));  // running statistics: one sample is fine
    for (const auto& [name, b] : net.named_buffers()) std::printf("%s\n", name.c_str());
    // 1.running_mean, 1.running_var, 1.num_batches_tracked; saved by nn::save_parameters too
    // snippet-end: batchnorm
    if (net.buffers().size() != 3 || net.parameters().size() != 6 || y.shape() != xg::Shape{1, 2}) {
      return 1;
    }
  }

  {
    // snippet-begin: readme
    nn::Sequential model{nn::Linear(4, 8), nn::Sigmoid(), nn::Linear(8, 2)};
    xg::optim::SGD sgd(model.parameters(), {.lr = 0.1});
    for (const auto& batch : loader) {  // one epoch, reshuffled, a batch at a time
      auto loss = xg::cross_entropy(model(batch.inputs), batch.labels);
      sgd.zero_grad();
      loss.backward();
      sgd.step();
    }
    // snippet-end: readme
    return model.parameters()[0].has_grad() ? 0 : 1;
  }
}
