#include "workloads/mamba1/hw_bench.hpp"

#include "workloads/mamba1/layer_executor.hpp"
#include "workloads/mamba1/mamba_model.hpp"

namespace cimba::hw {

HwBench make_mamba1_hw_bench(const workloads::Mamba1LayerShape& shape, const HwParams& params,
                             workloads::SsmInputScheme scheme, std::int64_t token_chunk,
                             std::uint64_t seed) {
  // The CIM planned over the one-layer model (hw.cim.macros 0: sized to it, weights resident).
  HwParams hw = params;
  hw.cim.macros = plan_cim_weights(hw.cim, layer_weight_tiles(hw, shape)).macros;
  struct State {
    workloads::MambaModel model;
    numerics::MatrixF x;
    LayerQuant quant;
    workloads::OpProgram program;
  };
  auto st = std::make_shared<State>();
  workloads::MambaConfig c;
  c.hidden_size = shape.d_model;
  c.intermediate_size = shape.d_inner;
  c.state_size = shape.d_state;
  c.time_step_rank = shape.dt_rank;
  c.conv_kernel = shape.conv_kernel;
  c.num_hidden_layers = 1;
  c.vocab_size = 16;  // the embeddings are not used
  workloads::MambaRandomOptions ro;
  ro.seed = seed;
  st->model = workloads::make_random_mamba(c, ro);
  // The block input: a reproducible pattern of unit scale (a residual stream).
  st->x.resize(shape.length, shape.d_model);
  std::uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (Eigen::Index i = 0; i < st->x.size(); ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    st->x.data()[i] = static_cast<float>(static_cast<double>(s >> 11) / 4503599627370496.0 - 1.0);
  }
  LayerQuant base;
  base.ssm_input = scheme;
  st->quant = calibrate_static(st->model.layers[0], shape, base, hw, st->x);
  st->program = workloads::build_mamba1_layer_program(
      shape, mamba1_program_options(hw, shape, st->quant, token_chunk));
  HwBench b;
  b.shape = shape;
  b.hw = hw;
  b.n_ops = static_cast<std::int64_t>(st->program.ops.size());
  b.run_hardware = [st, shape, hw]() {
    LayerExecutor ex(shape, st->model.layers[0], st->quant, hw, st->x);
    return run_on_hardware(st->program, ex, hw);
  };
  b.run_functional = [st, shape, hw]() {
    LayerExecutor ex(shape, st->model.layers[0], st->quant, hw, st->x);
    ex.run_all(st->program);
  };
  return b;
}

}  // namespace cimba::hw
