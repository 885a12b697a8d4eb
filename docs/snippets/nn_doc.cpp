// The code of docs/nn.md, compiled and run by ctest (docs.snippet.nn_doc).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "xgrad/nn.hpp"

// snippet-begin: mlp
#include <xgrad/nn.hpp>
namespace nn = xg::nn;
using Tn = xg::Tensor<float>;

class Mlp : public nn::Module<float> {
 public:
  Mlp(std::size_t in, std::size_t hidden, std::size_t out) {
    fc1_ = register_module("fc1", nn::make<nn::Linear<float>>(in, hidden));
    fc2_ = register_module("fc2", nn::make<nn::Linear<float>>(hidden, out));
    gain_ = register_parameter("gain", Tn::ones({out}));  // marked requires_grad, named "gain"
  }
  Tn forward(const Tn& x) override {
    return xg::mul(fc2_->forward(xg::tanh(fc1_->forward(x))), gain_);
  }
  std::string type_name() const override { return "Mlp"; }

 private:
  std::shared_ptr<nn::Linear<float>> fc1_, fc2_;
  Tn gain_;
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
  nn::Sequential<float> model{nn::make<nn::Linear<float>>(10, 10), nn::make<nn::Tanh<float>>(),
                              nn::make<nn::Linear<float>>(10, 1)};
  model.add(nn::make<nn::Sigmoid<float>>());  // add() returns *this, so calls chain
  Tn y = model(x);                            // = model.forward(x)
  // snippet-end: sequential
  if (y.shape() != xg::Shape{4, 1}) return 1;
  {
    // snippet-begin: summary
    nn::Sequential<float> model{nn::make<nn::Linear<float>>(10, 10), nn::make<nn::Tanh<float>>(),
                                nn::make<nn::Linear<float>>(10, 1)};
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
  nn::Sequential<float> first_layer{nn::make<nn::Linear<float>>(10, 10)};
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
  return same ? 0 : 1;
}
