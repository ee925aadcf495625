// JiT blocks and a real Mamba layer on the hardware model: the op-program listings, numerics
// bit-identical to the functional path of workloads/ (the quantized replay's forward), cycle
// counts against hand-derived schedules.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "hw/accelerator.hpp"
#include "hw/timing.hpp"
#include "hw_test_util.hpp"
#include "models/common/error.hpp"
#include "models/numerics/activations.hpp"
#include "tests/shared_data.hpp"
#include "workloads/io/mnist.hpp"
#include "workloads/io/safetensors.hpp"
#include "workloads/jit/block_executor.hpp"
#include "workloads/jit/jit_calibration.hpp"
#include "workloads/jit/jit_forward.hpp"
#include "workloads/jit/jit_quant_replay.hpp"
#include "workloads/mamba1/mamba_model.hpp"

namespace cimba::hw {
namespace {

// The accelerator of these tests: the defaults with 16 macros, weights resident when the
// block's tiles fit them (hw.cim.weights auto), driven with the numerics' default input slices
// (2 overlapped 8-bit slices: amplitude DACs).
HwParams jit_test_hw() {
  HwParams p = default_hw_params();
  p.cim.macros = 16;
  p.cim.slice_bits = 8;
  p.cim.weights = WeightPlacement::Auto;
  return p;
}

using numerics::MatrixF;
using test::bit_identical;
using workloads::JitLinearKind;

const std::filesystem::path kData(CIMBA_SHARED_DATA_DIR);

std::int64_t latency_of(const HwReport& r, const std::string& name) {
  for (const auto& t : r.ops)
    if (t.name == name) return t.latency_cycles();
  ADD_FAILURE() << "no op " << name;
  return -1;
}

void print_report(const HwReport& r) {
  std::printf("%s: %lld cycles (%.1f us at %.0f MHz), bounded by %s\n", r.layer.c_str(),
              static_cast<long long>(r.total_cycles), r.latency_ns / 1000.0, r.clock_mhz,
              r.bounding_unit.c_str());
  for (const auto& u : r.units)
    if (u.ops)
      std::printf("  %-5s ops %3lld busy %9lld critical %9lld util %.3f\n", u.name.c_str(),
                  static_cast<long long>(u.ops), static_cast<long long>(u.busy_cycles),
                  static_cast<long long>(u.critical_path_cycles), u.utilization);
}

// The workloads issue asks for the op program of one JiT block and of the Mamba layer.
TEST(HwJitProgram, PrintsJitBlockAndMambaLayerPrograms) {
  const HwParams hw = jit_test_hw();
  const workloads::JitBlockShape shape = jit_block_shape(workloads::jit_mnist_tiny_config());
  const workloads::JitQuantConfig q = apply_hw(workloads::JitQuantConfig{}, hw);
  const auto opts = jit_block_program_options(hw, shape, q);
  // 12 + 4 + 21 + 12 = 49 macro tiles (64 outputs per 256 x 256 macro) > 16 macros
  EXPECT_EQ(jit_block_weight_tiles(hw, shape, false), 49);
  EXPECT_FALSE(opts.weights_resident);
  const workloads::OpProgram p = workloads::build_jit_block_program(shape, opts, "blocks.0");
  const std::string text = workloads::format_op_program(p);
  std::printf("%s", text.c_str());
  // 3 loads (x, s, adaLN FP32 weights) + adaLN + norm1 + modulate1 + qkv + rope + 4 heads x
  // (scores, softmax, context) + proj + residual + norm2 + modulate2 + w12 + swiglu + w3 +
  // residual + store + 4 CIM weight loads = 33
  EXPECT_EQ(p.ops.size(), 33u);
  EXPECT_NE(text.find("mac_matmul"), std::string::npos);
  EXPECT_NE(text.find("fn=softmax"), std::string::npos);
  EXPECT_EQ(p.family, "jit_block");

  workloads::Mamba1LayerShape ms;  // mamba-bytes-4l / mamba-130m shape, L = 64
  ms.length = 64;
  LayerQuant lq;
  const auto mp =
      workloads::build_mamba1_layer_program(ms, mamba1_program_options(hw, ms, lq, 64), "layers.0");
  std::printf("%s", workloads::format_op_program(mp).c_str());
  EXPECT_EQ(mp.ops.size(), 9u + 6 * 3 + 1 + 2);  // load_w.out_proj comes with out_proj of block 0
}

struct RealJit {
  workloads::JitModel model;
  MatrixF z, x_embed, s, block0_out;
  std::vector<float> t;
  std::vector<std::int32_t> y;
};

// Golden-style input of block 0 (golden_dit.safetensors: MNIST #18, class 3, t = 0.5, torch noise)
// through the replay's forward with `hooks`; x_embed.out and s = silu(c) are block 0's inputs.
RealJit run_real(const workloads::JitQuantConfig& q, const workloads::JitCalibration* cal) {
  RealJit r;
  r.model = workloads::load_jit(kData / "jit-mnist-tiny");
  const auto g =
      workloads::SafetensorsFile::read(kData / "jit-mnist-tiny" / "golden_dit.safetensors");
  const std::vector<float> z = g.f32("input.z");
  r.z = Eigen::Map<const MatrixF>(z.data(), 1, 1024);
  r.t = g.f32("input.t");
  r.y = {static_cast<std::int32_t>(g.at("input.y").to_i64().at(0))};
  workloads::JitQuantHooks hooks(r.model, q, cal);
  workloads::JitForwardOptions fo;
  fo.hooks = &hooks;
  MatrixF c;
  fo.observer = [&](int block, const std::string& point, const MatrixF& v) {
    if (block == -1 && point == "x_embed.out") r.x_embed = v;
    if (block == -1 && point == "c") c = v;
    if (block == 0 && point == "out") r.block0_out = v;
  };
  workloads::jit_forward(r.model, r.z, r.t, r.y, fo);
  r.s = c.unaryExpr([](float v) { return numerics::silu(v); });  // as jit_forward computes s
  return r;
}

void expect_block0_identical(const workloads::JitQuantConfig& q,
                             const workloads::JitCalibration* cal, const HwParams& hw) {
  const RealJit r = run_real(q, cal);
  ASSERT_FLOAT_EQ(r.t[0], 0.5f);
  const workloads::JitBlockShape shape = jit_block_shape(r.model.config);
  const auto program =
      workloads::build_jit_block_program(shape, jit_block_program_options(hw, shape, q));
  JitBlockExecutor ex(r.model.config, r.model.blocks[0], 0, q, cal, hw, r.x_embed, r.s, r.t[0]);
  const HwReport rep = run_on_hardware(program, ex, hw);
  print_report(rep);
  EXPECT_TRUE(bit_identical(ex.output(), r.block0_out));
  JitBlockExecutor functional(r.model.config, r.model.blocks[0], 0, q, cal, hw, r.x_embed, r.s,
                              r.t[0]);
  functional.run_all(program);
  EXPECT_TRUE(bit_identical(functional.output(), r.block0_out));
  // the CIM converted what the numerics converted: 2 slices x 64 tokens x outputs x row tiles
  // (qkv 768 x 1, proj 256 x 1, w12 1344 x 1, w3 256 x 3 row tiles of 256 rows)
  if (!q.taq.enabled) {
    EXPECT_EQ(rep.ledger.count("cim", Action::AdcConversion),
              2 * 64 * (768 + 256 + 1344 + 256 * 3));
  }
  EXPECT_EQ(rep.ledger.count("mac", Action::Fp32Mul),
            1536 * 256 + 4 * 2 * 64 * 64 * 64);  // adaLN GEMV + 4 heads x (q k^T, p v)
  EXPECT_FALSE(rep.cim_weights_stationary);
}

// Block 0 of jit-mnist-tiny with real weights at t = 0.5: W8A12, dynamic ranges (one image per
// op, so per-op dynamic ranges are the replay's per-tensor ranges), default hardware (49 weight
// tiles on 16 macros: loaded from DRAM and re-programmed per round).
TEST(HwJitBlock, RealBlock0IsBitIdenticalToTheReplay) {
  CIMBA_SKIP_WITHOUT_SHARED_DATA(kData / "jit-mnist-tiny" / "golden_dit.safetensors");
  const HwParams hw = jit_test_hw();
  expect_block0_identical(apply_hw(workloads::JitQuantConfig{}, hw), nullptr, hw);
}

// The same with TaQ-DiT (4 buckets, static ranges and ADC full scales, the w3 shift folded).
TEST(HwJitBlock, RealBlock0WithTaqIsBitIdenticalToTheReplay) {
  CIMBA_SKIP_WITHOUT_SHARED_DATA(kData / "jit-mnist-tiny" / "golden_dit.safetensors");
  CIMBA_SKIP_WITHOUT_SHARED_DATA(kData / "mnist" / "t10k-images-idx3-ubyte.gz");
  const HwParams hw = jit_test_hw();
  workloads::JitQuantConfig q;
  q.taq.enabled = true;
  q.taq.buckets = 4;
  q.taq.target_sqnr_db = 25.0;
  q.static_range_x = true;
  for (auto& l : q.linear) l.adc.range = numerics::AdcRange::Static;
  q = apply_hw(q, hw);
  const workloads::MnistSet mnist = workloads::read_mnist_test(kData / "mnist");
  workloads::JitCalibrationOptions co;
  co.images = 8;
  co.batch_size = 8;
  co.timesteps = workloads::JitCalibrationTimesteps::Stratified;
  const workloads::JitCalibration cal =
      workloads::calibrate_jit(workloads::load_jit(kData / "jit-mnist-tiny"), mnist, q, co);
  expect_block0_identical(q, &cal, hw);
  const workloads::JitBlockShape shape = jit_block_shape(workloads::jit_mnist_tiny_config());
  EXPECT_TRUE(jit_block_program_options(hw, shape, q).w3_input_shift);
}

// A small JiT-shaped block (16 tokens, hidden 32, 2 heads of 16, FFN 32) on small_hw(): CIM
// weights resident (qkv 6 + proj 2 + w12 4 + w3 2 = 14 tiles <= 16 macros), adaLN in FP32 on the
// MAC array (16 x 16 PEs, latency 4) with its weights from DRAM (16 GB/s + 50 ns).
TEST(HwJitBlock, SmallBlockCycleExact) {
  workloads::JitConfig c;
  c.image_size = 16;
  c.patch_size = 4;
  c.hidden_size = 32;
  c.depth = 1;
  c.num_heads = 2;
  c.ffn_hidden = 32;
  workloads::JitRandomOptions ro;
  ro.seed = 3;
  const workloads::JitModel m = workloads::make_random_jit(c, ro);
  const HwParams hw = test::small_hw();
  const workloads::JitQuantConfig q = apply_hw(workloads::JitQuantConfig{}, hw);
  const MatrixF x = test::random_input(16, 32, 5), s = test::random_input(1, 32, 6);
  const workloads::JitBlockShape shape = jit_block_shape(c);
  EXPECT_EQ(jit_block_weight_tiles(hw, shape, false), 14);
  const auto opts = jit_block_program_options(hw, shape, q);
  EXPECT_TRUE(opts.weights_resident);
  const auto program = workloads::build_jit_block_program(shape, opts, "small");
  JitBlockExecutor ex(c, m.blocks[0], 0, q, nullptr, hw, x, s, 0.5f);
  const HwReport r = run_on_hardware(program, ex, hw);
  print_report(r);
  // DRAM: load_x 16 x 32 x 4 = 2048 B: 50 + 2048 / 16 = 178; load_cond 128 B: 50 + 8 = 58;
  // load_w.adaLN 192 x 32 x 4 = 24576 B: 50 + 1536 = 1586 (SRAM sides: 8, 1, 96 cycles)
  EXPECT_EQ(latency_of(r, "load_x[t0:16]"), 178);
  EXPECT_EQ(latency_of(r, "load_cond"), 58);
  EXPECT_EQ(latency_of(r, "load_w.adaLN"), 1586);
  // adaLN on the MAC array: n 1, k 32, m 192: tiles 1 x 12; 12 x 32 + (16 + 16 - 2) + 4 = 418
  EXPECT_EQ(latency_of(r, "adaLN"), 418);
  EXPECT_EQ(mac_cycles(hw, 1, 32, 192), 418);
  // vector (16 lanes, latency 4): norm 2 x 512 / 16 + 4 = 68; modulate 512 / 16 + 4 = 36;
  // rope on q and k (16 x 64 = 1024): 64 + 4 = 68; softmax 3 passes x 256 / 16 + 4 = 52
  EXPECT_EQ(latency_of(r, "norm1"), 68);
  EXPECT_EQ(latency_of(r, "modulate1"), 36);
  EXPECT_EQ(latency_of(r, "rope"), 68);
  EXPECT_EQ(latency_of(r, "softmax[h0]"), 52);
  // CIM (resident, one round each): 1 + 16 tokens x 2 slices x step 4 + 1 = 130
  for (const char* n : {"attn.qkv[t0:16]", "attn.proj[t0:16]", "mlp.w12[t0:16]", "mlp.w3[t0:16]"})
    EXPECT_EQ(latency_of(r, n), 130) << n;
  // attention per head on the MAC array: [16 x 16] x [16 x 16]: 1 tile x 16 + 30 + 4 = 50
  EXPECT_EQ(latency_of(r, "scores[h0]"), 50);
  EXPECT_EQ(latency_of(r, "context[h1]"), 50);
  EXPECT_EQ(latency_of(r, "gated_residual1"), 36);
  EXPECT_EQ(latency_of(r, "swiglu"), 36);  // 16 x 32 outputs
  EXPECT_EQ(latency_of(r, "store[t0:16]"), 178);
  // Schedule. DRAM runs load_x, load_cond, load_w.adaLN back to back: 178 + 58 + 1586 = 1822;
  // adaLN 1822..2240 (norm1 ran meanwhile, 178..246); modulate1 ..2276, qkv ..2406, rope ..2474.
  // Attention, S = scores 50, Sm = softmax 52, C = context 50: scores0 2474..2524, scores1
  // ..2574 (MAC), softmax0 2524..2576 (vec), context0 2576..2626, softmax1 2576..2628 (vec free
  // at 2576), context1 2628..2678: S + 2 Sm + C = 204.
  // Then proj 130, residual 36, norm2 68, modulate2 36, w12 130, swiglu 36, w3 130, residual 36,
  // store 178:
  // 1822 + 418 + 36 + 130 + 68 + 204 + 130 + 36 + 68 + 36 + 130 + 36 + 130 + 36 + 178 = 3458
  EXPECT_EQ(r.total_cycles, 3458);
  // critical path: DRAM 178 + 58 + 1586 + 178 = 2000, MAC 418 + 50 + 50 = 518, CIM 4 x 130 =
  // 520, vector 36 + 68 + 2 x 52 + 36 + 68 + 36 + 36 + 36 = 420: DRAM (the FP32 adaLN weights)
  EXPECT_EQ(r.bounding_unit, "dram");
  EXPECT_EQ(r.unit(UnitId::Dram).critical_path_cycles, 2000);
  EXPECT_EQ(r.unit(UnitId::Mac).critical_path_cycles, 518);
  EXPECT_EQ(r.unit(UnitId::Cim).critical_path_cycles, 520);
  EXPECT_EQ(r.unit(UnitId::Vec).critical_path_cycles, 420);
  EXPECT_TRUE(r.cim_weights_stationary);
  EXPECT_EQ(r.ledger.count("cim", Action::CimCellWrite), 0);
  // numerics: the functional path (the executor's ops in program order) gives the same bits
  JitBlockExecutor functional(c, m.blocks[0], 0, q, nullptr, hw, x, s, 0.5f);
  functional.run_all(program);
  EXPECT_TRUE(bit_identical(ex.output(), functional.output()));
}

TEST(HwJitBlock, RejectsInconsistentSetups) {
  workloads::JitConfig c;
  c.image_size = 16;
  c.hidden_size = 32;
  c.depth = 1;
  c.num_heads = 2;
  c.ffn_hidden = 32;
  const workloads::JitModel m = workloads::make_random_jit(c);
  HwParams hw = test::small_hw();
  const workloads::JitQuantConfig q = apply_hw(workloads::JitQuantConfig{}, hw);
  const MatrixF x = test::random_input(16, 32, 5), s = test::random_input(1, 32, 6);
  const auto shape = jit_block_shape(c);
  auto opts = jit_block_program_options(hw, shape, q);
  {  // weights declared resident on 8 macros: 14 tiles do not fit
    HwParams small = hw;
    small.cim.macros = 8;
    JitBlockExecutor ex(c, m.blocks[0], 0, q, nullptr, small, x, s, 0.5f);
    const auto p = workloads::build_jit_block_program(shape, opts);
    EXPECT_THROW(run_on_hardware(p, ex, small), ConfigError);
  }
  {  // the program puts adaLN on the CIM, the executor computes it in FP32
    auto o2 = opts;
    o2.adaLN_on_cim = true;
    JitBlockExecutor ex(c, m.blocks[0], 0, q, nullptr, hw, x, s, 0.5f);
    EXPECT_THROW(run_on_hardware(workloads::build_jit_block_program(shape, o2), ex, hw),
                 InvalidArgument);
  }
  {  // an executor built for other CIM parameters (8-bit ADCs, the hardware has 10)
    workloads::JitQuantConfig q8 = q;
    for (auto& l : q8.linear) l.adc.bits = 8;
    JitBlockExecutor ex(c, m.blocks[0], 0, q8, nullptr, hw, x, s, 0.5f);
    EXPECT_THROW(run_on_hardware(workloads::build_jit_block_program(shape, opts), ex, hw),
                 InvalidArgument);
  }
  EXPECT_THROW(JitBlockExecutor(c, m.blocks[0], 0, q, nullptr, hw, s, s, 0.5f), InvalidArgument);
}

// Layer 0 of mamba-bytes-4l (d_model 768, d_inner 1536, N 16, dt_rank 48) on L = 64 tokens of the
// golden input, default hardware.
TEST(HwMambaReal, Layer0L64BitIdenticalAndCycleExact) {
  const auto dir = kData / "mamba-bytes-4l";
  CIMBA_SKIP_WITHOUT_SHARED_DATA(dir / "golden_mamba.safetensors");
  const workloads::MambaModel model = workloads::load_mamba(dir);
  const auto g = workloads::SafetensorsFile::read(dir / "golden_mamba.safetensors");
  const std::vector<float> block_in = g.f32("layers.0.block.in", {1, 64, 768});
  const std::vector<float> mixer_in = g.f32("layers.0.mixer.in", {1, 64, 768});
  const MatrixF x = Eigen::Map<const MatrixF>(block_in.data(), 64, 768);
  workloads::Mamba1LayerShape shape;
  shape.length = 64;
  // The cycle counts below were derived with DDR4-3200 (25.6 GB/s, 41.25 ns), the default
  // preset when they were written; the default is now lpddr4_4266.
  HwParams hw = jit_test_hw();
  hw.dram.preset = "ddr4_3200";
  hw.cim.adc.conversion_ns = 5.0;  // and 5 ns conversions (now the model's own by default)
  LayerQuant base;
  base.rms_eps = model.config.layer_norm_epsilon;
  const LayerQuant q = calibrate_static(model.layers[0], shape, base, hw, x);
  const auto opts = mamba1_program_options(hw, shape, q, 64);
  EXPECT_FALSE(opts.weights_resident);  // 144 + 12 + 24 + 72 = 252 tiles > 16 macros
  EXPECT_EQ(opts.scan_channel_block, 256);
  const auto program = workloads::build_mamba1_layer_program(shape, opts, "layers.0");
  LayerExecutor ex(shape, model.layers[0], q, hw, x);
  const HwReport r = run_on_hardware(program, ex, hw);
  print_report(r);
  // the in_proj input is the golden mixer.in (the RMSNorm output) to FP32 rounding
  const MatrixF golden_xn = Eigen::Map<const MatrixF>(mixer_in.data(), 64, 768);
  EXPECT_LT((ex.normed() - golden_xn).cwiseAbs().maxCoeff(),
            1e-5f * golden_xn.cwiseAbs().maxCoeff());
  LayerExecutor functional(shape, model.layers[0], q, hw, x);
  functional.run_all(program);
  EXPECT_TRUE(bit_identical(ex.output(), functional.output()));
  EXPECT_TRUE(bit_identical(ex.output(), test::reference_block(model, ex.quant(), x)));

  // Latencies (default_hw_params: 1000 MHz; CIM 256 x 256, 2-bit cells -> 64 outputs per macro,
  // 16 macros, step = max(drive 2, 8 columns per ADC x 5 cycles) = 40, 2 slices: round compute
  // 2 + 64 x 2 x 40 + 1 = 5123 (the drive: 8-bit amplitude DACs settling into a 256-column row
  // line, 1.25 ns -> 2 cycles); SRAM 256 bits x 2 ports = 512 bits/cycle; DDR4-3200 25.6 GB/s
  // + 41.25 ns):
  // load_x 196608 B: 41.25 + 7680 -> 7722; load_w.in_proj 3072 x 768 B: 41.25 + 92160 -> 92202
  EXPECT_EQ(latency_of(r, "load_x[t0:64]"), 7722);
  EXPECT_EQ(latency_of(r, "load_w.in_proj"), 92202);
  // norm 64 x 768 = 49152: 2 x 3072 + 4 = 6148
  EXPECT_EQ(latency_of(r, "norm[t0:64]"), 6148);
  // in_proj: 3 row tiles x 48 column tiles = 144 tiles = 9 rounds of 16; each programs 16 tiles x
  // 256 rows x 64 outputs x 4 cells x 2 bits = 2097152 bits / 512 = 4096 cycles, then 5123
  EXPECT_EQ(latency_of(r, "in_proj[t0:64]"), 9 * (4096 + 5123));  // 82971
  // conv 64 x 1536 = 98304 / 16 + 8 = 6152
  EXPECT_EQ(latency_of(r, "conv1d[t0:64]"), 6152);
  // x_proj: 6 row tiles x 2 column tiles (64 + 16 outputs) = 12 tiles, 1 round: program
  // 6 x 256 x (64 + 16) x 4 x 2 bits = 983040 / 512 = 1920; + 5123 = 7043
  EXPECT_EQ(latency_of(r, "x_proj[t0:64]"), 7043);
  // dt_proj: 1 row tile of 48 rows x 24 column tiles: rounds of 16 and 8 tiles:
  // (16 x 48 x 64 x 8 bits / 512 = 768) + 5123 + (384 + 5123) = 11398
  EXPECT_EQ(latency_of(r, "dt_proj[t0:64]"), 11398);
  // scan of 256 channels: passes 256 x 16 / 16 + 256 / 16 = 272 > rec 13: 7 + 64 x 272 + 18
  EXPECT_EQ(latency_of(r, "scan[t0:64][d0:256]"), 17433);
  EXPECT_EQ(latency_of(r, "gate[t0:64][d0:256]"), 1028);  // 64 x 256 / 16 + 4
  // out_proj block j: 1 row tile x 12 column tiles, 1 round: program 12 x 256 x 64 x 8 bits / 512
  // = 3072, + 5123 = 8195
  EXPECT_EQ(latency_of(r, "out_proj[t0:64][k0:256]"), 8195);
  EXPECT_EQ(latency_of(r, "residual[t0:64]"), 3076);  // 49152 / 16 + 4
  EXPECT_EQ(latency_of(r, "store[t0:64]"), 7722);
  // Schedule: DRAM loads x then the in_proj weights (7722 + 92202 = 99924); the norm is long done,
  // so in_proj starts at 99924; then conv, x_proj, dt_proj in a chain (their weights arrived at
  // 104766 and 107688): T0 = 99924 + 82971 + 6152 + 7043 + 11398 = 207488. The six scans run back
  // to back (6 x 17433 = 104598); gate j + out_proj j (1028 + 8195 = 9223 < 17433) overlap the
  // next scan, so only the last block's are exposed: 207488 + 104598 + 1028 + 8195 = 321309;
  // residual 3076, store 7722: 332107.
  EXPECT_EQ(r.total_cycles, 332107);
  // Critical path: DRAM 7722 + 92202 + 7722 = 107646, CIM 82971 + 7043 + 11398 + 8195 = 109607,
  // SSM 104598, conv 6152, vector 1028 + 3076 = 4104: the CIM bounds the layer (just ahead of
  // DRAM).
  EXPECT_EQ(r.unit(UnitId::Cim).critical_path_cycles, 109607);
  EXPECT_EQ(r.unit(UnitId::Dram).critical_path_cycles, 107646);
  EXPECT_EQ(r.unit(UnitId::Ssm).critical_path_cycles, 104598);
  EXPECT_EQ(r.bounding_unit, "cim");
}

}  // namespace
}  // namespace cimba::hw
