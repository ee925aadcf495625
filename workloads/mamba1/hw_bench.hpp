#pragma once
// Benchmark hook for `cimba bench hw`: one Mamba1 layer (mamba-130m shape by default, random
// weights, random input) replayed through the full hardware model and through the functional
// path alone (the same numerics calls in program order, no SystemC), so a harness can time both.
#include <cstdint>
#include <functional>
#include <memory>

#include "hw/accelerator.hpp"
#include "workloads/program/op_program.hpp"
#include "workloads/mamba1/layer_program.hpp"

namespace cimba::hw {

struct HwBench {
  workloads::Mamba1LayerShape shape;
  HwParams hw;
  std::int64_t n_ops = 0;
  /// Builds a fresh executor (quantizing the weights) and runs the op program on the hardware.
  std::function<HwReport()> run_hardware;
  /// Builds a fresh executor and runs the same op program without SystemC.
  std::function<void()> run_functional;
};

/// Setup (random layer, calibration of static ranges, op program) happens here, outside the
/// timed functions. `length` = 0 keeps shape.length.
HwBench make_mamba1_hw_bench(const workloads::Mamba1LayerShape& shape = {},
                             const HwParams& hw = default_hw_params(),
                             workloads::SsmInputScheme scheme = workloads::SsmInputScheme::Fp32,
                             std::int64_t token_chunk = 64, std::uint64_t seed = 1);

}  // namespace cimba::hw
