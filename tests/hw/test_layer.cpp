// Whole-layer runs through the SystemC accelerator: numerics against the functional path of
// workloads/, cycle counts against hand-derived formulas, ledger counts, rejected configs.
#include <gtest/gtest.h>

#include "hw_test_util.hpp"
#include "models/common/error.hpp"

namespace cimba::hw {
namespace {

using test::bit_identical;
using workloads::OpKind;
using workloads::SsmInputScheme;

struct LayerSetup {
  workloads::Mamba1LayerShape shape;
  workloads::MambaModel model;
  numerics::MatrixF x;
  HwParams hw;
  LayerQuant quant;
  workloads::OpProgram program;
};

LayerSetup make_setup(SsmInputScheme scheme, std::int64_t length, std::int64_t chunk, HwParams hw,
                      std::int64_t scan_block = -1) {
  LayerSetup s{test::small_shape(length), {}, {}, hw, {}, {}};
  s.model = test::small_model(s.shape);
  s.x = test::random_input(length, s.shape.d_model, 3);
  LayerQuant base;
  base.ssm_input = scheme;
  s.quant = calibrate_static(s.model.layers[0], s.shape, base, s.hw, s.x, 16);
  auto opts = mamba1_program_options(s.hw, s.shape, s.quant, chunk);
  if (scan_block >= 0) opts.scan_channel_block = scan_block;
  s.program = workloads::build_mamba1_layer_program(s.shape, opts);
  return s;
}

std::int64_t latency_of(const HwReport& r, const std::string& name) {
  for (const auto& t : r.ops)
    if (t.name == name) return t.latency_cycles();
  ADD_FAILURE() << "no op " << name;
  return -1;
}

// One token chunk (L = 8) and one scan block: the program is a chain, so the layer takes the sum
// of its op latencies. small_hw(): 1000 MHz, SRAM 1024 bits x 2 ports = 2048 bits/cycle, DRAM
// 16 GB/s + 50 ns, CIM step = max(1, 2 outputs/ADC x 2 cycles) = 4, 2 input slices (a_bits 12,
// slice 8, overlap 4), 15 tiles <= 16 macros: weights resident, no programming.
TEST(HwLayer, ChainCycleExactAndNumerics) {
  LayerSetup s = make_setup(SsmInputScheme::Fp32, 8, 8, test::small_hw());
  ASSERT_EQ(s.program.ops.size(), 11u);
  LayerExecutor ex(s.shape, s.model.layers[0], s.quant, s.hw, s.x);
  const HwReport r = run_on_hardware(s.program, ex, s.hw);
  // load_x: 8 x 32 x 4 = 1024 B: 50 ns + 1024 / 16 = 114 ns = 114 cycles (SRAM 8192/2048 = 4)
  EXPECT_EQ(latency_of(r, "load_x[t0:8]"), 114);
  // norm: 256 elements, 2 passes x 256/16 + 4 = 36 (SRAM: read 2 x 8192 / 2048 = 8)
  EXPECT_EQ(latency_of(r, "norm[t0:8]"), 36);
  // in_proj: 8 tiles, 1 round: 1 + 8 tokens x 2 slices x 4 + 1 = 66 (xz write 32768/2048 = 16)
  EXPECT_EQ(latency_of(r, "in_proj[t0:8]"), 66);
  // conv: 8 x 64 = 512 elements: 512/16 + 8 = 40 (xz read 16384/2048 = 8)
  EXPECT_EQ(latency_of(r, "conv1d[t0:8]"), 40);
  EXPECT_EQ(latency_of(r, "x_proj[t0:8]"), 66);   // 1 tile, 1 round
  EXPECT_EQ(latency_of(r, "dt_proj[t0:8]"), 66);  // 4 tiles, 1 round
  // scan D 64, N 4, L 8, 16 lanes: passes 256/16 + 64/16 = 20 > rec 3+4+3+3 = 13 -> II 20;
  // front 4+3 = 7, tail 3 + 2 x 3 + 3 = 12: 7 + 8 x 20 + 12 = 179. SRAM: state 2 x 8x64x4x32 =
  // 131072 bits / (512 x 2) = 128; params (8x64x4 + 8x64) x 32 = 81920 / 512 = 160 < 179.
  EXPECT_EQ(latency_of(r, "scan[t0:8][d0:64]"), 179);
  EXPECT_EQ(latency_of(r, "gate[t0:8][d0:64]"), 36);  // 512/16 + 4
  EXPECT_EQ(latency_of(r, "out_proj[t0:8]"), 66);     // 2 tiles, 1 round
  EXPECT_EQ(latency_of(r, "residual[t0:8]"), 20);     // 256/16 + 4
  EXPECT_EQ(latency_of(r, "store[t0:8]"), 114);
  // 114 + 36 + 66 + 40 + 66 + 66 + 179 + 36 + 66 + 20 + 114 = 803
  EXPECT_EQ(r.total_cycles, 803);
  EXPECT_DOUBLE_EQ(r.latency_ns, 803.0);
  EXPECT_TRUE(r.cim_weights_stationary);
  EXPECT_EQ(r.cim_weight_tiles, 15);  // 8 + 1 + 4 + 2
  EXPECT_EQ(r.critical_path.size(), 11u);
  // CIM 4 x 66 = 264 > DRAM 228 > SSM 179: the CIM bounds this layer
  EXPECT_EQ(r.bounding_unit, "cim");
  EXPECT_EQ(r.unit(UnitId::Cim).busy_cycles, 264);
  // CIM active from in_proj's start (114 + 36 = 150) to out_proj's end (803 - 20 - 114 = 669):
  // 519 cycles, 264 busy, 255 waiting for conv, scan and gate
  EXPECT_EQ(r.unit(UnitId::Cim).stall_cycles, 255);
  EXPECT_EQ(r.unit(UnitId::Cim).critical_path_cycles, 264);

  // numerics: the hardware run, the functional path and workloads' reference agree bit for bit
  LayerExecutor functional(s.shape, s.model.layers[0], s.quant, s.hw, s.x);
  functional.run_all(s.program);
  EXPECT_TRUE(bit_identical(ex.output(), functional.output()));
  EXPECT_TRUE(bit_identical(ex.output(), test::reference_block(s.model, ex.quant(), s.x)));

  // ledger: 2 slices x 8 tokens x outputs x K tiles conversions; cells: x K x 4 cells per weight
  const std::int64_t convs = 2 * 8 * (128 + 12 + 64 + 32);
  EXPECT_EQ(r.ledger.count("cim", Action::AdcConversion), convs);
  EXPECT_EQ(r.ledger.count("cim", Action::CimCellMac),
            2 * 8 * 4 * (128 * 32 + 12 * 64 + 64 * 4 + 32 * 64));
  EXPECT_EQ(r.ledger.count("cim", Action::CimCellWrite), 0);  // resident weights
  EXPECT_EQ(r.ledger.count("ssm", Action::Fp32Exp), 64 * 4 * 8);
  EXPECT_EQ(r.ledger.count("ssm", Action::Fp32Softplus), 64 * 8);
  EXPECT_EQ(r.ledger.count("dram", Action::DramReadBit), 1024 * 8);
  EXPECT_EQ(r.ledger.count("dram", Action::DramWriteBit), 1024 * 8);
  EXPECT_EQ(r.ledger.count("sram.ssm_state", Action::SramReadBit), 8 * 64 * 4 * 32);
  // CIM inputs are stored as 12-bit codes in 16-bit words (xn: in_proj's, g: out_proj's): the
  // norm and the gate write them, the CIM reads them once; x, xz and y stay FP32.
  EXPECT_EQ(r.ledger.count("sram.xn", Action::SramWriteBit), 8 * 32 * 16);
  EXPECT_EQ(r.ledger.count("sram.xn", Action::SramReadBit), 8 * 32 * 16);
  EXPECT_EQ(r.ledger.count("sram.g", Action::SramWriteBit), 8 * 64 * 16);
  EXPECT_EQ(r.ledger.count("sram.g", Action::SramReadBit), 8 * 64 * 16);
  EXPECT_EQ(r.ledger.count("sram.xz", Action::SramWriteBit), 8 * 128 * 32);
  EXPECT_EQ(r.ledger.count("sram.y", Action::SramWriteBit), 8 * 64 * 32);
}

TEST(HwLayer, ResidualStreamProgramsComputeTheSameLayer) {
  // A middle layer reads its input from the on-chip stream and writes its output over it: no
  // DRAM traffic at all (resident weights), the same output bit for bit, x / out not needed.
  LayerSetup s = make_setup(SsmInputScheme::Fp32, 32, 8, test::small_hw());
  auto opts = mamba1_program_options(s.hw, s.shape, s.quant, 8);
  opts.stream_in = opts.stream_out = true;
  const workloads::OpProgram mid = workloads::build_mamba1_layer_program(s.shape, opts);
  EXPECT_EQ(mid.buffer("x"), nullptr);
  EXPECT_EQ(mid.buffer("out"), nullptr);
  ASSERT_NE(mid.buffer("stream"), nullptr);
  EXPECT_EQ(mid.buffer("stream")->bytes, 32 * 32 * 4);  // [L, d_model] FP32
  HwParams hw = s.hw;
  LayerExecutor a(s.shape, s.model.layers[0], s.quant, hw, s.x);
  LayerExecutor b(s.shape, s.model.layers[0], s.quant, hw, s.x);
  const HwReport ra = run_on_hardware(s.program, a, hw);
  const HwReport rb = run_on_hardware(mid, b, hw);
  EXPECT_TRUE(bit_identical(a.output(), b.output()));
  EXPECT_EQ(rb.ledger.count("dram", Action::DramReadBit), 0);
  EXPECT_EQ(rb.ledger.count("dram", Action::DramWriteBit), 0);
  EXPECT_EQ(ra.ledger.count("dram", Action::DramReadBit), 32 * 32 * 32);
  // the stream: read by every norm and residual, written by every residual (32 x 32 elements)
  EXPECT_EQ(rb.ledger.count("sram.stream", Action::SramWriteBit), 32 * 32 * 32);
  EXPECT_EQ(rb.ledger.count("sram.stream", Action::SramReadBit), 3 * 32 * 32 * 32);
  EXPECT_LT(rb.total_cycles, ra.total_cycles);
}

// hw.batch: B sequences in flight share every weight load and macro program; everything else
// (cell MACs, conversions, the scan, activation transfers and buffers) is B times one sequence's.
TEST(HwLayer, BatchSharesWeightLoadsAndMultipliesTheDataWork) {
  LayerSetup s = make_setup(SsmInputScheme::Int8, 32, 8, test::small_hw());
  HwParams hw = s.hw;
  hw.cim.macros = 4;  // fewer than the layer's 15 tiles: reprogrammed every CIM op
  hw.cim.weights = WeightPlacement::Streamed;
  auto opts = mamba1_program_options(hw, s.shape, s.quant, 8);
  ASSERT_FALSE(opts.weights_resident);
  opts.weights_streamed_from_dram = true;  // a weight load before every CIM op
  const workloads::OpProgram one = workloads::build_mamba1_layer_program(s.shape, opts);
  opts.batch = 3;
  const workloads::OpProgram three = workloads::build_mamba1_layer_program(s.shape, opts);
  EXPECT_EQ(one.batch, 1);
  EXPECT_EQ(three.batch, 3);
  ASSERT_EQ(one.buffers.size(), three.buffers.size());
  for (std::size_t i = 0; i < one.buffers.size(); ++i)
    EXPECT_EQ(three.buffers[i].bytes,
              one.buffers[i].bytes * (one.buffers[i].name == "weights" ? 1 : 3))
        << one.buffers[i].name;
  std::int64_t weight_bytes = 0, act_load_bytes = 0, store_bytes = 0;
  for (const auto& op : one.ops) {
    if (op.kind == OpKind::DramLoad) (op.is_weight ? weight_bytes : act_load_bytes) += op.bytes;
    if (op.kind == OpKind::DramStore) store_bytes += op.bytes;
  }
  ASSERT_GT(weight_bytes, 0);
  LayerExecutor a(s.shape, s.model.layers[0], s.quant, hw, s.x);
  LayerExecutor b(s.shape, s.model.layers[0], s.quant, hw, s.x);
  const HwReport r1 = run_on_hardware(one, a, hw);
  const HwReport r3 = run_on_hardware(three, b, hw);
  EXPECT_TRUE(bit_identical(a.output(), b.output()));  // the executor computes one sequence
  EXPECT_EQ(r1.ledger.count("dram", Action::DramReadBit), 8 * (weight_bytes + act_load_bytes));
  EXPECT_EQ(r3.ledger.count("dram", Action::DramReadBit), 8 * (weight_bytes + 3 * act_load_bytes));
  EXPECT_EQ(r3.ledger.count("dram", Action::DramWriteBit), 3 * 8 * store_bytes);
  EXPECT_EQ(r3.ledger.count("cim", Action::CimCellWrite), r1.ledger.count("cim", Action::CimCellWrite));
  EXPECT_GT(r1.ledger.count("cim", Action::CimCellWrite), 0);
  for (const auto& [component, action] :
       std::vector<std::pair<std::string, Action>>{{"cim", Action::CimCellMac},
                                                   {"cim", Action::AdcConversion},
                                                   {"conv", Action::Fp32Mul},
                                                   {"ssm", Action::Fp32Exp},
                                                   {"vec", Action::Fp32Silu}})
    EXPECT_EQ(r3.ledger.count(component, action), 3 * r1.ledger.count(component, action))
        << component << " " << action_name(action);
  for (const auto& b3 : r3.buffers)
    if (b3.name == "ssm_state")
      for (const auto& b1 : r1.buffers)
        if (b1.name == "ssm_state") EXPECT_EQ(b3.required_bytes, 3 * b1.required_bytes);
  // The shared weight traffic and programming: three sequences take less than three runs.
  EXPECT_LT(r3.total_cycles, 3 * r1.total_cycles);
  EXPECT_GT(r3.total_cycles, r1.total_cycles);
}

// The worked example of docs/hardware.md: the first chunk (64 tokens) of a mamba-bytes-4l /
// mamba-130m-shaped layer (768, 1536, 16, 48, 4) on the default accelerator (28 nm, 1000 MHz,
// 256 x 256 macros with 8 weight columns per ADC and 5 ns conversions, weights resident, SRAM
// 256 b x 2 ports = 512 b/cycle, the state 1024 b/cycle, the parameters 512 b/cycle, LPDDR4
// 17.064 GB/s + 52.9 ns), SSM input int8, W8A12 in 3 plain 4-bit slices driven as 15-pulse
// trains (quant.slice_bits 4, hw.cim.dac auto -> pulse_count, 1 ns pulses). Every figure is
// derived by hand below; the hardware model must agree to the cycle and the bit.
TEST(HwLayer, WorkedExampleOneChunkOfTheDefaultLayer) {
  HwParams hw = default_hw_params();
  hw.cim.macros = 1008;  // the 4-layer model, resident
  hw.cim.adc.conversion_ns = 5.0;  // pinned (the default is the ADC model's own: 11 ns at 10 b)
  workloads::Mamba1LayerShape shape;
  shape.length = 64;
  const workloads::MambaModel model = test::small_model(shape);
  const numerics::MatrixF x = test::random_input(64, 768, 5);
  LayerQuant base;
  base.ssm_input = SsmInputScheme::Int8;
  for (auto& l : base.linear) {  // the run's defaults (quant.slice_bits 4, overlap_bits 0)
    l.slice_bits = hw.cim.slice_bits;
    l.overlap_bits = 0;
  }
  const LayerQuant q = calibrate_static(model.layers[0], shape, base, hw, x, 64);
  const auto program =
      workloads::build_mamba1_layer_program(shape, mamba1_program_options(hw, shape, q, 64, 4));
  LayerExecutor ex(shape, model.layers[0], q, hw, x);
  const HwReport r = run_on_hardware(program, ex, hw);
  // load_x: 64 x 768 x 4 = 196608 B: 52.9 ns + 196608 / 17.064 ns = 11574.8 -> 11575 cycles.
  EXPECT_EQ(latency_of(r, "load_x[t0:64]"), 11575);
  // norm: 49152 elements, 2 passes x 49152 / 16 lanes + 4 = 6148; SRAM: x read twice in FP32
  // 2 x 49152 x 32 / 512 = 6144, xn written as 16-bit codes 49152 x 16 / 512 = 1536.
  EXPECT_EQ(latency_of(r, "norm[t0:64]"), 6148);
  EXPECT_EQ(r.ledger.count("sram.xn", Action::SramWriteBit), 49152 * 16);
  // in_proj: 3072 outputs / 64 per macro (256 cols / 4 cells of 2 bits) = 48 x 3 row tiles =
  // 144 tiles, one round: drive 15 + 64 tokens x 3 slices x max(15, 8 columns x 5 cycles) + 1 =
  // 7696; but xz is written in FP32: 64 x 3072 x 32 / 512 = 12288 cycles: memory-bound.
  EXPECT_EQ(latency_of(r, "in_proj[t0:64]"), 12288);
  // conv: 64 x 1536 = 98304 elements / 16 lanes + 8 = 6152 (xz read 6144, u written int8 1536).
  EXPECT_EQ(latency_of(r, "conv1d[t0:64]"), 6152);
  // x_proj: 80 outputs -> 2 x 6 row tiles, one round: 7696 (u read 64 x 1536 x 8 / 512 = 1536).
  EXPECT_EQ(latency_of(r, "x_proj[t0:64]"), 7696);
  // dt_proj: 1536 outputs -> 24 tiles of K 48: 7696 > delta written FP32 64 x 1536 x 32 / 512 =
  // 6144.
  EXPECT_EQ(latency_of(r, "dt_proj[t0:64]"), 7696);
  // scan of a 256-channel block: passes 256 x 16 / 16 + 256 / 16 = 272 > recurrence 13, so
  // II 272; (4 + 3) + 64 x 272 + (3 + 4 x 3 + 3) = 17433. Its parameters (A per (d, n, t), D per
  // (d, t)): (64 x 256 x 16 + 64 x 256) x 32 / 512 = 17408 < 17433; the state read + write
  // 2 x 64 x 256 x 16 x 32 / 1024 = 16384.
  EXPECT_EQ(latency_of(r, "scan[t0:64][d0:256]"), 17433);
  EXPECT_EQ(r.ledger.count("sram.ssm_state", Action::SramReadBit), 6 * 64 * 256 * 16 * 32);
  // gate of a block: 16384 elements / 16 + 4 = 1028 (y and xz read 1024 each, g 16-bit 512).
  EXPECT_EQ(latency_of(r, "gate[t0:64][d0:256]"), 1028);
  // out_proj K-partial on block 0: 768 outputs -> 12 tiles of one row tile: 7696; mo written
  // FP32 64 x 768 x 32 / 512 = 3072 (block 1 on also reads it back: 6144 < 7696).
  EXPECT_EQ(latency_of(r, "out_proj[t0:64][k0:256]"), 7696);
  EXPECT_EQ(latency_of(r, "out_proj[t0:64][k256:512]"), 7696);
  // residual: 49152 / 16 + 4 = 3076 (x, mo read and out written FP32: 3072 each).
  EXPECT_EQ(latency_of(r, "residual[t0:64]"), 3076);
  EXPECT_EQ(latency_of(r, "store[t0:64]"), 11575);
  // bytes of the chunk through DRAM: its input and its output, 196608 B each.
  EXPECT_EQ(r.ledger.count("dram", Action::DramReadBit), 196608 * 8);
  EXPECT_EQ(r.ledger.count("dram", Action::DramWriteBit), 196608 * 8);
}

TEST(HwLayer, CimAndSsmMatchTheirNumericsFunctions) {
  LayerSetup s = make_setup(SsmInputScheme::Fp32, 16, 8, test::small_hw());
  LayerExecutor ex(s.shape, s.model.layers[0], s.quant, s.hw, s.x);
  const HwReport r = run_on_hardware(s.program, ex, s.hw);
  const auto& w = s.model.layers[0];
  numerics::BitSerialStats st;
  const numerics::MatrixF xz = numerics::BitSerialLinear(w.in_proj_weight, ex.quant().linear[0])
                                   .forward(ex.normed(), nullptr, &st);
  EXPECT_TRUE(bit_identical(ex.xz(), xz));
  numerics::BitSerialStats st_out;
  const numerics::MatrixF mo = numerics::BitSerialLinear(w.out_proj_weight, ex.quant().linear[3])
                                   .forward(ex.gated(), nullptr, &st_out);
  EXPECT_TRUE(bit_identical(ex.output(), s.x + mo));
  // the scan: selective_scan over the whole layer in the [B, D, L] layout
  const std::int64_t L = 16, D = 64, N = 4, R = 4;
  numerics::MatrixF u = ex.u().transpose(), dl = ex.delta().transpose();
  numerics::MatrixF Bm = ex.xp().middleCols(R, N).transpose(),
                    Cm = ex.xp().middleCols(R + N, N).transpose();
  numerics::MatrixF y(D, L);
  numerics::selective_scan_bdl(1, D, N, L, u.data(), dl.data(), nullptr, w.A_log.data(), Bm.data(),
                               Cm.data(), w.D.data(), nullptr, y.data(), ex.quant().scan);
  EXPECT_TRUE(bit_identical(ex.y(), numerics::MatrixF(y.transpose())));
  // the ledger's conversions equal what the numerics converted (two token chunks of 8)
  EXPECT_EQ(r.ledger.count("cim", Action::AdcConversion) -
                2 * 16 * (12 + 64 + 32),  // x_proj, dt_proj, out_proj
            st.conversions);
}

class HwLayerSchemes : public ::testing::TestWithParam<SsmInputScheme> {};

// Three token chunks, rows 32 so out_proj's K = 64 splits into 2 row tiles aligned with 2 scan
// blocks of 32 channels; 18 weight tiles > 16 macros: weights loaded from DRAM and re-programmed.
TEST_P(HwLayerSchemes, ChunkedProgramIsBitIdenticalToTheReference) {
  HwParams hw = test::small_hw();
  hw.cim.rows = 32;
  LayerSetup s = make_setup(GetParam(), 24, 8, hw, 32);
  LayerExecutor ex(s.shape, s.model.layers[0], s.quant, s.hw, s.x);
  const HwReport r = run_on_hardware(s.program, ex, s.hw);
  EXPECT_FALSE(r.cim_weights_stationary);
  EXPECT_GT(r.ledger.count("cim", Action::CimCellWrite), 0);
  EXPECT_TRUE(bit_identical(ex.output(), test::reference_block(s.model, ex.quant(), s.x)));
  LayerExecutor functional(s.shape, s.model.layers[0], s.quant, s.hw, s.x);
  functional.run_all(s.program);
  EXPECT_TRUE(bit_identical(ex.output(), functional.output()));
  // overlap: the layer takes fewer cycles than its units' busy cycles added up
  std::int64_t busy = 0;
  for (const auto& u : r.units) busy += u.busy_cycles;
  EXPECT_LT(r.total_cycles, busy);
  // The CIM works while the SSM core scans: some CIM op (out_proj of a block, or the next
  // chunk's in_proj / x_proj / dt_proj) runs during some scan.
  bool cim_during_scan = false;
  for (const auto& a : r.ops)
    for (const auto& b : r.ops)
      if (a.unit == UnitId::Cim && b.unit == UnitId::Ssm && a.start_cycle < b.end_cycle &&
          a.end_cycle > b.start_cycle)
        cim_during_scan = true;
  EXPECT_TRUE(cim_during_scan);
  if (GetParam() == SsmInputScheme::Group) {
    EXPECT_EQ(r.ledger.count("index", Action::ScaleLookup), 24 * 64);
  }
  if (GetParam() == SsmInputScheme::DualScale) {
    EXPECT_EQ(r.ledger.count("mux", Action::MuxSelect), 24 * 64);
  }
}

// The scan of every token chunk continues the state of the chunk before (NUMERICS.md 7.1): the
// layer's numerics are bit-identical to the whole-sequence reference for any chunk size,
// including 1 and sizes that do not divide L, with one or several channel blocks.
TEST(HwLayer, TokenChunkedScanIsBitIdenticalForAnyChunk) {
  HwParams hw = test::small_hw();
  hw.cim.rows = 32;
  for (std::int64_t chunk : {1, 5, 7, 24})
    for (std::int64_t block : {0, 32}) {
      LayerSetup s = make_setup(SsmInputScheme::Int8, 24, chunk, hw, block);
      LayerExecutor functional(s.shape, s.model.layers[0], s.quant, s.hw, s.x);
      functional.run_all(s.program);
      EXPECT_TRUE(bit_identical(functional.output(),
                                test::reference_block(s.model, functional.quant(), s.x)))
          << "chunk " << chunk << " block " << block;
    }
  // The chunks of a block must come in token order.
  LayerSetup s = make_setup(SsmInputScheme::Fp32, 24, 8, hw, 0);
  LayerExecutor ex(s.shape, s.model.layers[0], s.quant, s.hw, s.x);
  for (const workloads::Op& op : s.program.ops)
    if (op.token_begin < 8) ex.execute(op);
  for (const workloads::Op& op : s.program.ops)
    if (op.kind == OpKind::SsmScan && op.token_begin == 16)
      EXPECT_THROW(ex.execute(op), InvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Schemes, HwLayerSchemes,
                         ::testing::Values(SsmInputScheme::Fp32, SsmInputScheme::Int8,
                                           SsmInputScheme::Group, SsmInputScheme::DualScale));

// The lookup and MUX ops of the chain configuration (one chunk of 8 tokens x 64 channels).
TEST(HwLayer, LookupAndMuxLatencies) {
  for (IndexImpl impl : {IndexImpl::Sequential, IndexImpl::Parallel, IndexImpl::Lut}) {
    HwParams hw = test::small_hw();
    hw.index.impl = impl;
    hw.index.units = 16;
    LayerSetup s = make_setup(SsmInputScheme::Group, 8, 8, hw);
    LayerExecutor ex(s.shape, s.model.layers[0], s.quant, s.hw, s.x);
    const HwReport r = run_on_hardware(s.program, ex, s.hw);
    EXPECT_TRUE(bit_identical(ex.output(), test::reference_block(s.model, ex.quant(), s.x)));
    // 8 x 64 = 512 lookups; tables G 1, HG 4, DG 4 (4 heads of 16 dims)
    std::int64_t walk = 0;
    for (int c = 0; c < 64; ++c) walk += 8 * ex.walk_comparisons(c);
    const std::int64_t lat = latency_of(r, "scale_lookup[t0:8]");
    switch (impl) {
      case IndexImpl::Sequential:  // ceil((walk + 512) / 16)
        EXPECT_EQ(lat, (walk + 512 + 15) / 16);
        EXPECT_EQ(r.ledger.count("index", Action::Comparison), walk);
        break;
      case IndexImpl::Parallel:  // 512 / 16 + 2 = 34; 512 x (4 + 4) comparisons
        EXPECT_EQ(lat, 34);
        EXPECT_EQ(r.ledger.count("index", Action::Comparison), 512 * 8);
        EXPECT_EQ(r.ledger.count("sram.scale_tables", Action::SramReadBit), 512 * 9 * 32);
        break;
      case IndexImpl::Lut:  // 512 / 16 + 1 = 33; reads: 4-bit group id + 32-bit scale
        EXPECT_EQ(lat, 33);
        EXPECT_EQ(r.ledger.count("index", Action::Comparison), 0);
        EXPECT_EQ(r.ledger.count("sram.scale_tables", Action::SramReadBit), 512 * 36);
        break;
    }
  }
  LayerSetup s = make_setup(SsmInputScheme::DualScale, 8, 8, test::small_hw());
  LayerExecutor ex(s.shape, s.model.layers[0], s.quant, s.hw, s.x);
  const HwReport r = run_on_hardware(s.program, ex, s.hw);
  // 512 elements / 16 lanes + 2 = 34 (reads 512 x 5 bits = 2560 / 2048 = 2)
  EXPECT_EQ(latency_of(r, "dequant_mux[t0:8]"), 34);
  EXPECT_EQ(r.ledger.count("sram.u", Action::SramWriteBit), 512 * 5);
  EXPECT_TRUE(bit_identical(ex.output(), test::reference_block(s.model, ex.quant(), s.x)));
}

void expect_run_error(LayerSetup& s, const std::string& text) {
  LayerExecutor ex(s.shape, s.model.layers[0], s.quant, s.hw, s.x);
  try {
    run_on_hardware(s.program, ex, s.hw);
    FAIL() << "expected ConfigError containing: " << text;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

// Weights held in 2-bit digit columns (NUMERICS.md 2.8): each output is 4 ADC inputs of one
// 2-bit cell (the same 4 cells per weight as the analog-combined default, so the same tiles and
// timing), and the ledger books 4x the conversions: what the numerics converted.
TEST(HwLayer, SlicedWeightsBookTheNumericsConversions) {
  for (numerics::WeightEncoding e :
       {numerics::WeightEncoding::Offset, numerics::WeightEncoding::TwosComplement}) {
    HwParams hw = test::small_hw();
    hw.cim.weight_slice_bits = 2;
    hw.cim.weight_encoding = e;
    ASSERT_EQ(hw.cim.digit_columns(), 4);
    ASSERT_EQ(hw.cim.weight_cells(), 4);
    LayerSetup s = make_setup(SsmInputScheme::Fp32, 8, 8, hw);
    LayerExecutor ex(s.shape, s.model.layers[0], s.quant, s.hw, s.x);
    ASSERT_EQ(ex.linear(workloads::LinearKind::InProj).n_columns(), 4);
    const HwReport r = run_on_hardware(s.program, ex, s.hw);
    EXPECT_EQ(r.ledger.count("cim", Action::AdcConversion), 4 * 2 * 8 * (128 + 12 + 64 + 32));
    EXPECT_EQ(r.total_cycles, 803);  // as ChainCycleExactAndNumerics: same tiles, same steps
    LayerExecutor functional(s.shape, s.model.layers[0], s.quant, s.hw, s.x);
    functional.run_all(s.program);
    EXPECT_TRUE(bit_identical(ex.output(), functional.output()));
    EXPECT_TRUE(bit_identical(ex.output(), test::reference_block(s.model, ex.quant(), s.x)));
    // An executor built for unsliced weights cannot run on this hardware.
    HwParams other = hw;
    other.cim.weight_slice_bits = 0;
    LayerQuant q = apply_hw(s.quant, other);
    for (auto& c : q.linear) {
      c.adc.range = numerics::AdcRange::Dynamic;
      c.acc_full_scale.clear();
    }
    LayerExecutor unsliced(s.shape, s.model.layers[0], q, other, s.x);
    EXPECT_THROW(run_on_hardware(s.program, unsliced, hw), InvalidArgument);
  }
}

TEST(HwLayer, RejectsHardwareThatCannotRunTheProgram) {
  {  // an activation buffer smaller than the layer's data: not streamable
    LayerSetup s = make_setup(SsmInputScheme::Fp32, 8, 8, test::small_hw());
    s.hw.sram["xz"] = SramParams{100, 256, 2};
    expect_run_error(s, "hw.sram.xz.bytes: needs 4096 bytes, got 100");
  }
  {  // weights streamed from DRAM one matrix at a time: the buffer must hold the largest (in_proj
     // 128 x 32 x 1 B = 4096 B)
    HwParams hw = test::small_hw();
    hw.cim.macros = 2;
    hw.sram["weights"] = SramParams{1000, 256, 2};
    LayerSetup s = make_setup(SsmInputScheme::Fp32, 8, 8, hw);
    expect_run_error(s, "hw.sram.weights.bytes: needs 4096 bytes, got 1000");
  }
  {  // weights declared resident but the CIM holds fewer tiles than the layer's 15
    LayerSetup s = make_setup(SsmInputScheme::Fp32, 8, 8, test::small_hw());
    s.hw.cim.macros = 8;
    expect_run_error(s, "hw.cim.macros: the layer's weights need 15 macro tiles");
  }
  {  // a bad parameter is rejected before anything runs
    LayerSetup s = make_setup(SsmInputScheme::Fp32, 8, 8, test::small_hw());
    s.hw.ssm.lanes = 0;
    expect_run_error(s, "hw.ssm.lanes: must be >= 1, got 0");
  }
}

}  // namespace
}  // namespace cimba::hw
