// The op program of a Mamba1 layer (workloads/op_program.hpp) on the mamba-130m shape.
#include <gtest/gtest.h>

#include <map>

#include "hw/accelerator.hpp"
#include "models/common/error.hpp"
#include "workloads/op_program.hpp"

namespace cimba::workloads {
namespace {

std::map<OpKind, int> kinds(const OpProgram& p) {
  std::map<OpKind, int> k;
  for (const Op& op : p.ops) ++k[op.kind];
  return k;
}

TEST(OpProgram, Mamba130mLayerStructure) {
  Mamba1LayerShape s;  // 768, 1536, 16, 48, 4, L 1024
  Mamba1ProgramOptions o;
  o.token_chunk = 64;
  o.scan_channel_block = 256;
  const OpProgram p = build_mamba1_layer_program(s, o, "layers.0");
  // 16 chunks x (load_x, norm, in_proj, conv, x_proj, dt_proj, residual, store) = 128,
  // 6 blocks x (scan, gate, out_proj) = 18, 4 weight loads: 150
  EXPECT_EQ(p.ops.size(), 150u);
  auto k = kinds(p);
  EXPECT_EQ(k[OpKind::CimMatmul], 16 * 3 + 6);
  EXPECT_EQ(k[OpKind::SsmScan], 6);
  EXPECT_EQ(k[OpKind::DramLoad], 16 + 4);
  EXPECT_EQ(k[OpKind::DramStore], 16);
  EXPECT_EQ(k[OpKind::ScaleLookup], 0);
  EXPECT_NO_THROW(p.validate());
  // in_proj weights: 3072 x 768 x 1 B
  // in_proj of chunk 0 waits for its norm and for the in_proj weights: 3072 x 768 x 1 B
  const Op& in0 = p.ops[3];
  ASSERT_EQ(in0.name, "in_proj[t0:64]");
  ASSERT_EQ(in0.deps.size(), 2u);
  EXPECT_EQ(p.ops[in0.deps[1]].name, "load_w.in_proj");
  EXPECT_EQ(p.ops[in0.deps[1]].bytes, 3072 * 768);
  // every scan waits for every dt_proj; out_proj of block j is K-partial, the last one finalizes
  int last_out = -1;
  for (const Op& op : p.ops) {
    if (op.kind == OpKind::SsmScan) {
      EXPECT_EQ(op.tokens(), 1024);
      EXPECT_EQ(op.deps.size(), 16u);
    }
    if (op.kind == OpKind::CimMatmul && op.linear == LinearKind::OutProj) {
      EXPECT_EQ(op.channel_end - op.channel_begin, 256);
      EXPECT_EQ(op.accumulate_last, op.channel_end == 1536);
      last_out = op.id;
    }
  }
  EXPECT_TRUE(p.ops[last_out].accumulate_last);
  EXPECT_EQ(p.buffer("u")->bytes, 1024 * 1536 * 4);
}

TEST(OpProgram, SchemesAddLookupOrMuxOps) {
  Mamba1LayerShape s;
  s.length = 128;
  Mamba1ProgramOptions o;
  o.token_chunk = 64;
  o.weights_resident = true;
  o.ssm_input = SsmInputScheme::Group;
  OpProgram p = build_mamba1_layer_program(s, o);
  EXPECT_EQ(kinds(p)[OpKind::ScaleLookup], 2);
  EXPECT_EQ(kinds(p)[OpKind::DramLoad], 2);  // no weight loads
  for (const Op& op : p.ops)
    if (op.kind == OpKind::Conv1d) {
      EXPECT_EQ(p.ops[op.deps.back()].kind, OpKind::ScaleLookup);
      EXPECT_EQ(op.in_shape.rows, op.token_begin == 0 ? 64 : 64 + 3);  // K - 1 history rows
    }
  EXPECT_EQ(p.buffer("u")->bytes, 128 * 1536);  // 8-bit codes
  o.ssm_input = SsmInputScheme::DualScale;
  p = build_mamba1_layer_program(s, o);
  EXPECT_EQ(kinds(p)[OpKind::DualScaleDequant], 2);
  EXPECT_EQ(p.buffer("u")->bytes, 128 * 1536 * 5 / 8);  // 5-bit codes
  o.weights_resident = false;
  o.weights_streamed_from_dram = true;
  p = build_mamba1_layer_program(s, o);
  // a weight load before each of the 2 x 3 + 2 CIM ops (one scan block: out_proj per chunk)
  EXPECT_EQ(kinds(p)[OpKind::DramLoad], 2 + 8);
  EXPECT_EQ(p.buffer("weights")->bytes, 3072 * 768);  // the largest matrix
  EXPECT_THROW(parse_ssm_input_scheme("int4"), InvalidArgument);
  o.token_chunk = 0;
  EXPECT_THROW(build_mamba1_layer_program(s, o), InvalidArgument);
}

TEST(OpProgram, ProgramOptionsFollowTheHardware) {
  Mamba1LayerShape s;
  hw::HwParams p = hw::default_hw_params();  // 16 macros of 256 x 256, 2-bit cells: 64 outputs
  // in_proj 3 x 48 + x_proj 6 x 2 + dt_proj 1 x 24 + out_proj 6 x 12 = 252 tiles
  EXPECT_EQ(hw::cim_tiles(p, 3072, 768) + hw::cim_tiles(p, 80, 1536) + hw::cim_tiles(p, 1536, 48) +
                hw::cim_tiles(p, 768, 1536),
            252);
  auto o = hw::mamba1_program_options(p, s, hw::LayerQuant{});
  EXPECT_FALSE(o.weights_resident);
  EXPECT_FALSE(o.weights_streamed_from_dram);
  EXPECT_EQ(o.scan_channel_block, 256);  // 256 x max(1, 1536 / 1024)
  p.cim.macros = 252;
  EXPECT_TRUE(hw::mamba1_program_options(p, s, hw::LayerQuant{}).weights_resident);
  p.cim.macros = 16;
  // 2 MiB < 2359296 + 122880 + 73728 + 1179648 = 3735552 B of weights: streamed per CIM op
  p.sram["weights"].bytes = 2 << 20;
  EXPECT_TRUE(hw::mamba1_program_options(p, s, hw::LayerQuant{}).weights_streamed_from_dram);
}

}  // namespace
}  // namespace cimba::workloads
