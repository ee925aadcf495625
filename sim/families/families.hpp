#pragma once
// The model families cimba ships (one .cpp each in this folder); sim/family.cpp registers them.
#include <memory>

#include "sim/family.hpp"

namespace cimba::sim {

std::unique_ptr<ModelFamily>
make_mamba1_family();                            // workload.kind: mamba (sim/families/mamba1.cpp)
std::unique_ptr<ModelFamily> make_jit_family();  // workload.kind: jit (sim/families/jit.cpp)
std::unique_ptr<ModelFamily>
make_linear_family();  // workload.kind: linear (sim/families/linear.cpp)

}  // namespace cimba::sim
