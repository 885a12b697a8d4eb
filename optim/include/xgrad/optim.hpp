// Everything of xgrad's optim layer.
#pragma once

#include "xgrad/optim/adam_variants.hpp"
#include "xgrad/optim/adaptive.hpp"
#include "xgrad/optim/lbfgs.hpp"
#include "xgrad/optim/optimizer.hpp"
#include "xgrad/optim/plateau.hpp"
#include "xgrad/optim/scheduler.hpp"
#include "xgrad/optim/sgd.hpp"
