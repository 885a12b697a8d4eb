// Everything of xgrad's nn layer.
#pragma once

#include "xgrad/autograd.hpp"
#include "xgrad/nn/activation.hpp"
#include "xgrad/nn/checkpoint.hpp"
#include "xgrad/nn/clip_grad.hpp"
#include "xgrad/nn/conv.hpp"
#include "xgrad/nn/dropout.hpp"
#include "xgrad/nn/flatten.hpp"
#include "xgrad/nn/graph.hpp"
#include "xgrad/nn/init.hpp"
#include "xgrad/nn/linear.hpp"
#include "xgrad/nn/loss.hpp"
#include "xgrad/nn/module.hpp"
#include "xgrad/nn/normalization.hpp"
#include "xgrad/nn/pooling.hpp"
#include "xgrad/nn/random.hpp"
#include "xgrad/nn/sequential.hpp"
