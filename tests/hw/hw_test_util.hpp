#pragma once
// Small Mamba-shaped layers, their quantization and the functional reference of workloads/
// (mamba_mixer_forward with hooks that run the bit-serial CIM linears and the SSM-input
// quantizers), shared by the hw tests.
#include <memory>

#include <cstring>
#include "hw/accelerator.hpp"
#include "workloads/mamba1/layer_executor.hpp"
#include "models/numerics/dual_scale.hpp"
#include "models/numerics/group_scales.hpp"
#include "models/numerics/quantize.hpp"
#include "workloads/mamba1/mamba_forward.hpp"
#include "workloads/mamba1/mamba_model.hpp"

namespace cimba::hw::test {

inline workloads::Mamba1LayerShape small_shape(std::int64_t length = 8) {
  workloads::Mamba1LayerShape s;
  s.d_model = 32;
  s.d_inner = 64;
  s.d_state = 4;
  s.dt_rank = 4;
  s.conv_kernel = 4;
  s.length = length;
  return s;
}

inline workloads::MambaModel small_model(const workloads::Mamba1LayerShape& s,
                                         std::uint64_t seed = 7) {
  workloads::MambaConfig c;
  c.hidden_size = s.d_model;
  c.intermediate_size = s.d_inner;
  c.state_size = s.d_state;
  c.time_step_rank = s.dt_rank;
  c.conv_kernel = s.conv_kernel;
  c.num_hidden_layers = 1;
  c.vocab_size = 16;
  workloads::MambaRandomOptions o;
  o.seed = seed;
  o.init_std = 0.2f;  // larger than the default so that the activations are not tiny
  return workloads::make_random_mamba(c, o);
}

inline numerics::MatrixF random_input(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
  numerics::MatrixF x(rows, cols);
  std::uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    x.data()[i] = static_cast<float>(static_cast<double>(state >> 11) / 9007199254740992.0 - 0.5);
  }
  return x;
}

/// The hardware parameters of the small tests: 64 x 64 macros, 2-bit cells (4 per weight, 16
/// outputs per macro), 2 outputs per ADC, 2 ns conversions at 1000 MHz, 16 macros, wide SRAMs,
/// 8-bit input slices.
inline HwParams small_hw() {
  HwParams hw = default_hw_params();
  hw.clock_mhz = 1000.0;
  hw.cim.rows = 64;
  hw.cim.cols = 64;
  hw.cim.w_bits = 8;
  hw.cim.cell_bits = 2;
  hw.cim.cols_per_adc = 2;
  hw.cim.macros = 16;
  hw.cim.weights = WeightPlacement::Auto;  // resident when the layer fits the 16 macros
  hw.cim.adc.bits = 10;
  hw.cim.adc.conversion_ns = 2.0;
  // The numerics' default slices (2 overlapped 8-bit slices), driven by amplitude DACs: one
  // cycle on a 64-column row line.
  hw.cim.slice_bits = 8;
  hw.sram_default = SramParams{0, 1024, 2};
  hw.dram.bandwidth_gbps = 16.0;
  hw.dram.latency_ns = 50.0;
  return hw;
}

/// Reference hooks: every linear through BitSerialLinear (static ranges of `quant`), u quantized
/// by the scheme on the whole tensor.
class ReferenceHooks : public workloads::MambaHooks {
 public:
  explicit ReferenceHooks(const LayerQuant& q) : q_(q) {}
  void linear(int layer, workloads::LinearKind kind, const numerics::MatrixF& X,
              const numerics::MatrixF& W, const float* bias, numerics::MatrixF& Y) override {
    if (kind == workloads::LinearKind::LmHead)
      return MambaHooks::linear(layer, kind, X, W, bias, Y);
    numerics::BitSerialLinear lin(W, q_.linear[static_cast<std::size_t>(kind)]);
    lin.forward_into(X, bias, Y);
  }
  void conv_output(int, numerics::MatrixF& u) override {
    switch (q_.ssm_input) {
      case workloads::SsmInputScheme::Fp32:
        break;
      case workloads::SsmInputScheme::Int8:
        numerics::fake_quantize_inplace(u.data(), u.size(), q_.int8_range, 8);
        break;
      case workloads::SsmInputScheme::Group:
        numerics::group_fake_quantize(u.data(), u.rows(), q_.groups, u.data(), 8);
        break;
      case workloads::SsmInputScheme::DualScale:
        numerics::dual_scale_fake_quantize(u.data(), u.size(), q_.dual, u.data());
        break;
    }
  }

 private:
  LayerQuant q_;
};

/// Block output x + mixer(rms_norm(x)) of the functional reference of workloads/.
inline numerics::MatrixF reference_block(const workloads::MambaModel& model, const LayerQuant& q,
                                         const numerics::MatrixF& x) {
  numerics::MatrixF normed, mixed;
  numerics::rms_norm(x, model.layers[0].norm, q.rms_eps, normed);
  ReferenceHooks hooks(q);
  workloads::MambaForwardOptions o;
  o.hooks = &hooks;
  o.scan = q.scan;
  workloads::mamba_mixer_forward(model, 0, normed, 1, x.rows(), o, mixed);
  return x + mixed;
}

inline bool bit_identical(const numerics::MatrixF& a, const numerics::MatrixF& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<std::size_t>(a.size())) == 0;
}

}  // namespace cimba::hw::test
