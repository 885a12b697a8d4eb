// Everything of xgrad's autograd layer: tensors, the tape, operations and gradient checking.
#pragma once

#include "xgrad/dot.hpp"
#include "xgrad/engine.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/grad_mode.hpp"
#include "xgrad/gradcheck.hpp"
#include "xgrad/observer.hpp"
#include "xgrad/ops/activation.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/linalg.hpp"
#include "xgrad/ops/loss.hpp"
#include "xgrad/ops/reduction.hpp"
#include "xgrad/ops/shape.hpp"
#include "xgrad/serialize.hpp"
#include "xgrad/tensor.hpp"
#include "xgrad/threads.hpp"
#include "xgrad/trace.hpp"
