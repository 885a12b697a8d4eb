// Everything of xgrad's data layer: readers, loaders and generators.
#pragma once

#include "xgrad/data/augment.hpp"
#include "xgrad/data/csv.hpp"
#include "xgrad/data/fashion_mnist.hpp"
#include "xgrad/data/idx.hpp"
#include "xgrad/data/loader.hpp"
