// The embedding and recurrent code of docs/nn.md, compiled and run by ctest
// (docs.snippet.recurrent_doc).
#include <xtensor/xmanipulation.hpp>

#include "snippet_check.hpp"
#include "xgrad/nn.hpp"

int main() {
  namespace nn = xg::nn;
  using Tn = xg::Tensor<float>;
  {
    // snippet-begin: embedding
    nn::Embedding emb(1000, 16, /*padding_idx=*/0);  // weight (1000, 16), N(0, 1), row 0 zeros
    xt::xarray<std::size_t> ids = {{5, 17, 0}, {42, 5, 999}};  // (N, L)
    Tn vectors = emb.forward(ids);                             // (2, 3, 16); row 0 gets no gradient
    nn::Sequential bag{nn::Embedding(1000, 16), nn::Flatten(), nn::Linear(3 * 16, 2)};
    Tn logits = bag(Tn::from({2, 3}, {5, 17, 0, 42, 5, 999}));  // float ids: whole numbers
    // snippet-end: embedding
    CHECK(vectors.shape() == (xg::Shape{2, 3, 16}));
    CHECK(logits.shape() == (xg::Shape{2, 2}));
    CHECK(emb.weight().value()(0, 3) == 0.0f);
  }
  {
    // snippet-begin: lstm
    nn::LSTM lstm(8, 32, {.num_layers = 2, .batch_first = true, .bidirectional = true});
    Tn x = Tn::ones({4, 10, 8});  // (N, L, input_size)
    Tn out = lstm(x);             // (4, 10, 64): both directions side by side
    // Initial and final states: (num_layers * 2, N, H) each, also with batch_first.
    auto r = lstm.forward_with_state(x, {Tn::zeros({4, 4, 32}), Tn::zeros({4, 4, 32})});
    // r.output (4, 10, 64), r.state.h and r.state.c (4, 4, 32)

    // Truncated backpropagation through time: carry the state, cut from the tape.
    nn::RecurrentState<float> state;
    for (int chunk = 0; chunk < 3; ++chunk) {
      auto step = lstm.forward_with_state(x, state);
      xg::sum(step.output).backward();  // stops at this chunk's first step
      state = step.state.detach();
    }
    // snippet-end: lstm
    CHECK(out.shape() == (xg::Shape{4, 10, 64}));
    CHECK(r.state.h.shape() == (xg::Shape{4, 4, 32}));
    CHECK(r.state.c.shape() == (xg::Shape{4, 4, 32}));
    CHECK(lstm.weight_ih(1, true).shape() == (xg::Shape{64, 128}));
    CHECK(lstm.named_parameters()[4].first == "weight_ih_l0_reverse");
    CHECK(!state.h.requires_grad());
  }
  {
    using Td = xg::Tensor<double>;
    xt::xarray<double> torch_w_ih = xt::zeros<double>({12, 5});  // PyTorch's (3 H, in)
    xt::xarray<double> torch_b_ih = xt::zeros<double>({12});
    // snippet-begin: load_torch
    nn::GRU<double> gru(5, 4);
    // PyTorch's weight_ih_l0 is (3 H, in) = (12, 5); xgrad's is its transpose (5, 12).
    gru.weight_ih(0).set_value(xt::transpose(torch_w_ih));
    gru.bias_ih(0).set_value(torch_b_ih);  // biases are the same (3 H) vectors
    // snippet-end: load_torch
    CHECK(gru.weight_ih(0).shape() == (xg::Shape{5, 12}));
    nn::GRUCell<double> cell(5, 4);
    auto h = cell.forward_with_state(Td::ones({2, 5})).h;  // from a zero state
    CHECK(h.shape() == (xg::Shape{2, 4}));
  }
  return 0;
}
