// The image-loader code of docs/nn.md, compiled and run by ctest (docs.snippet.data_images_doc):
// NCHW batches, crop-and-flip augmentation in the training loader only, and a mid-epoch resume.
#include <cstdio>
#include <string>
#include <vector>

#include "snippet_check.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/data.hpp"

int main() {
  // 100 flat 28 x 28 "images" and their labels, as load_fashion_mnist gives them.
  std::vector<float> pixels(100 * 784);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = float(i % 251) / 251;
  const auto images = xg::Tensor<float>::from({100, 784}, pixels);
  const std::vector<std::size_t> labels(100, 3);
  const std::uint64_t seed = 1;
  {
    // snippet-begin: image_loaders
    const xg::Shape image{1, 28, 28};  // load_fashion_mnist's data.train.image_shape
    xg::data::DataLoader train(images, labels,
                               {.batch_size = 64,
                                .seed = seed,
                                .sample_shape = image,
                                .augment = xg::data::crop_and_flip(image, /*padding=*/2, seed)});
    xg::data::DataLoader eval(images, labels,
                              {.batch_size = 1000, .shuffle = false, .sample_shape = image});
    for (const auto& batch : train) {  // batch.inputs: (64, 1, 28, 28), then (36, 1, 28, 28)
      std::printf("%s\n", xg::shape_str(batch.inputs.shape()).c_str());
    }
    // snippet-end: image_loaders
    CHECK(image == xg::data::LabelledImages<>{}.image_shape);
    CHECK((*train.begin()).inputs.shape() == (xg::Shape{64, 1, 28, 28}));
    CHECK((*eval.begin()).inputs.shape() == (xg::Shape{100, 1, 28, 28}));
    CHECK((*eval.begin()).inputs.value() == xg::reshape(images, {-1, 1, 28, 28}).value());
  }
  {
    // snippet-begin: augment_options
    xg::data::Augmentation augment{
        .crop = xg::data::RandomCrop{.height = 24, .width = 24, .padding = 0},  // 28 -> 24
        .flip = xg::data::RandomHorizontalFlip{.p = 0.5},
        .seed = 7};
    xg::data::DataLoader loader(
        images, labels, {.batch_size = 10, .sample_shape = {1, 28, 28}, .augment = augment});
    // loader.batch_sample_shape() is (1, 24, 24)
    // snippet-end: augment_options
    CHECK(loader.batch_sample_shape() == (xg::Shape{1, 24, 24}));
  }
  {
    const xg::Shape image{1, 28, 28};
    auto make = [&] {
      return xg::data::DataLoader(images, labels,
                                  {.batch_size = 16,
                                   .seed = seed,
                                   .sample_shape = image,
                                   .augment = xg::data::crop_and_flip(image, 4, seed)});
    };
    auto loader = make();
    std::string saved;
    std::size_t step = 0, seen = 0;
    auto train_step = [&](const xg::data::Batch<float>& b) { seen += b.size(); };
    // snippet-begin: resume
    for (const auto& batch : loader) {  // 7 batches of 16 (the last of 4)
      train_step(batch);
      if (++step == 3) {
        saved = loader.get_state();  // text: save it with the model and the optimizer
        break;
      }
    }
    auto resumed = make();  // later: a loader built with the same data and options
    resumed.set_state(saved);
    for (const auto& batch : resumed) train_step(batch);  // batches 3..6, bit-identical
    // snippet-end: resume
    CHECK(seen == 100);
    auto straight = make();
    std::vector<xt::xarray<float>> want, got;
    for (const auto& b : straight) want.push_back(b.inputs.value());
    auto again = make();
    again.set_state(saved);
    for (const auto& b : again) got.push_back(b.inputs.value());
    CHECK(got.size() == 4);
    CHECK(std::vector<xt::xarray<float>>(want.begin() + 3, want.end()) == got);
  }
  return 0;
}
