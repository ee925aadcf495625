// The op program of a Mamba1 layer (workloads/program/op_program.hpp) on the mamba-130m shape.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "hw/accelerator.hpp"
#include "models/common/error.hpp"
#include "workloads/program/op_program.hpp"
#include "workloads/mamba1/layer_executor.hpp"
#include "workloads/mamba1/layer_program.hpp"

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
  // 16 chunks x 6 blocks x (scan, gate, out_proj) = 288, 4 weight loads: 420
  EXPECT_EQ(p.ops.size(), 420u);
  auto k = kinds(p);
  EXPECT_EQ(k[OpKind::CimMatmul], 16 * 3 + 16 * 6);
  EXPECT_EQ(k[OpKind::SsmScan], 16 * 6);
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
  // a scan covers one chunk of one block and waits for that chunk's dt_proj and for the same
  // block's scan of the chunk before (its state, NUMERICS.md 7.1); out_proj of block j is
  // K-partial, the last one of a chunk finalizes
  int last_out = -1;
  for (const Op& op : p.ops) {
    if (op.kind == OpKind::SsmScan) {
      EXPECT_EQ(op.tokens(), 64);
      EXPECT_EQ(op.channel_end - op.channel_begin, 256);
      // (and, from chunk 2 on, for the gates that read the y slot it overwrites)
      int dt = 0, prev_scan = 0, slot_readers = 0;
      for (int d : op.deps) {
        const Op& dep = p.ops[d];
        dt += dep.name == "dt_proj[t" + std::to_string(op.token_begin) + ":" +
                              std::to_string(op.token_end) + "]";
        prev_scan += dep.kind == OpKind::SsmScan && dep.token_end == op.token_begin &&
                     dep.channel_begin == op.channel_begin;
        slot_readers += dep.fn == ElementwiseFn::Gate && dep.token_end == op.token_begin - 64;
      }
      EXPECT_EQ(dt, 1) << op.name;
      EXPECT_EQ(prev_scan, op.token_begin == 0 ? 0 : 1) << op.name;
      EXPECT_EQ(slot_readers, op.token_begin < 128 ? 0 : 6) << op.name;
      EXPECT_EQ(op.deps.size(), std::size_t(dt + prev_scan + slot_readers)) << op.name;
    }
    if (op.kind == OpKind::CimMatmul && p.linear_name(op.linear) == "out_proj") {
      EXPECT_EQ(op.channel_end - op.channel_begin, 256);
      EXPECT_EQ(op.accumulate_last, op.channel_end == 1536);
      last_out = op.id;
    }
  }
  EXPECT_TRUE(p.ops[last_out].accumulate_last);
  // activation buffers hold two chunks of 64 tokens (double buffering), not the sequence
  EXPECT_EQ(p.buffer("u")->bytes, 2 * 64 * 1536 * 4);
  EXPECT_EQ(p.buffer("xz")->bytes, 2 * 64 * 3072 * 4);
}

// batch_program: per-sequence buffers and activation transfers scale, staged weights do not.
TEST(OpProgram, BatchScalesPerSequenceBuffersAndActivationTransfers) {
  Mamba1LayerShape s;
  s.length = 128;
  Mamba1ProgramOptions o;
  o.token_chunk = 64;
  o.weights_resident = false;  // one weight load per matrix into `weights`
  const OpProgram one = build_mamba1_layer_program(s, o);
  OpProgram two = one;
  batch_program(two, 2);
  EXPECT_EQ(two.batch, 2);
  for (std::size_t i = 0; i < one.buffers.size(); ++i)
    EXPECT_EQ(two.buffers[i].bytes,
              one.buffers[i].bytes * (one.buffers[i].per_sequence ? 2 : 1))
        << one.buffers[i].name;
  EXPECT_FALSE(one.buffer("weights")->per_sequence);
  EXPECT_TRUE(one.buffer("xz")->per_sequence);
  for (std::size_t i = 0; i < one.ops.size(); ++i) {
    const Op& a = one.ops[i];
    const bool activation = (a.kind == OpKind::DramLoad && !a.is_weight) ||
                            a.kind == OpKind::DramStore;
    EXPECT_EQ(two.ops[i].bytes, a.bytes * (activation ? 2 : 1)) << a.name;
  }
  EXPECT_NE(format_op_program(two).find("batch 2"), std::string::npos);
  EXPECT_THROW(batch_program(two, 2), InvalidArgument);  // already batched
  OpProgram bad = one;
  EXPECT_THROW(batch_program(bad, 0), InvalidArgument);
  o.batch = 2;
  const OpProgram built = build_mamba1_layer_program(s, o);
  for (std::size_t i = 0; i < built.buffers.size(); ++i)
    EXPECT_EQ(built.buffers[i].bytes, two.buffers[i].bytes) << built.buffers[i].name;
}

TEST(OpProgram, CimInputsAreStoredAsCodes) {
  Mamba1LayerShape s;  // 768, 1536, 16, 48, 4
  s.length = 256;
  Mamba1ProgramOptions o;
  o.token_chunk = 64;
  o.ssm_input = SsmInputScheme::Int8;
  const OpProgram fp32 = build_mamba1_layer_program(s, o);
  o.cim_input_bits = {12, 8, 12, 4};  // in_proj, x_proj, dt_proj, out_proj
  const OpProgram p = build_mamba1_layer_program(s, o);
  auto buf = [](const OpProgram& q, const std::string& n) { return *q.buffer(n); };
  // Two chunks of 64 rows in flight. xn: in_proj's 12-bit codes in 16-bit words; g: out_proj's
  // 4-bit codes in bytes; both were FP32.
  EXPECT_EQ(buf(fp32, "xn").bytes, 128 * 768 * 4);
  EXPECT_EQ(buf(p, "xn").element_bits, 16);
  EXPECT_EQ(buf(p, "xn").bytes, 128 * 768 * 2);
  EXPECT_EQ(buf(p, "g").element_bits, 8);
  EXPECT_EQ(buf(p, "g").bytes, 128 * 1536);
  // u is read by the scan too: it keeps the scheme's 8 bits; xp holds B and C for the scan (FP32);
  // xz, delta, y, mo, x, out are FP32 where FP32 lives.
  EXPECT_EQ(buf(p, "u").element_bits, 8);
  EXPECT_EQ(buf(p, "u").bytes, 128 * 1536);
  for (const char* n : {"xp", "xz", "delta", "y", "mo", "x", "out"}) {
    EXPECT_EQ(buf(p, n).element_bits, 32) << n;
    EXPECT_EQ(buf(p, n).bytes, buf(fp32, n).bytes) << n;
  }
  EXPECT_EQ(code_container_bits(1), 8);
  EXPECT_EQ(code_container_bits(9), 16);
  EXPECT_THROW(code_container_bits(0), InvalidArgument);
  o.cim_input_bits = {12};
  EXPECT_THROW(build_mamba1_layer_program(s, o), InvalidArgument);
}

TEST(OpProgram, NoBufferGrowsWithTheSequence) {
  Mamba1LayerShape s;
  Mamba1ProgramOptions o;
  o.token_chunk = 64;
  o.scan_channel_block = 256;
  std::vector<BufferUse> first;
  for (std::int64_t L : {256, 1024, 4096}) {
    s.length = L;
    const OpProgram p = build_mamba1_layer_program(s, o);
    if (first.empty()) first = p.buffers;
    ASSERT_EQ(p.buffers.size(), first.size());
    for (std::size_t i = 0; i < first.size(); ++i) {
      EXPECT_EQ(p.buffers[i].name, first[i].name);
      EXPECT_EQ(p.buffers[i].bytes, first[i].bytes) << p.buffers[i].name << " at L " << L;
    }
  }
  // A slot is rewritten only after its readers are done: in_proj of chunk c waits for the conv
  // of chunk c - 1 (which reads chunk c - 2's last rows), and the gates of chunk c - 2.
  s.length = 256;
  const OpProgram p = build_mamba1_layer_program(s, o);
  for (const Op& op : p.ops) {
    if (op.kind != OpKind::CimMatmul || p.linear_name(op.linear) != "in_proj" || op.token_begin < 128)
      continue;
    std::vector<std::string> dep_names;
    for (int d : op.deps) dep_names.push_back(p.ops[d].name);
    const std::string prev = std::to_string(op.token_begin - 64);
    const std::string prev2 = std::to_string(op.token_begin - 128);
    auto has = [&](const std::string& n) {
      return std::find(dep_names.begin(), dep_names.end(), n) != dep_names.end();
    };
    EXPECT_TRUE(has("conv1d[t" + prev + ":" + std::to_string(op.token_begin) + "]")) << op.name;
    EXPECT_TRUE(has("gate[t" + prev2 + ":" + prev + "][d1280:1536]")) << op.name;
  }
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
  p.cim.macros = 16;
  p.cim.weights = hw::WeightPlacement::Auto;  // resident when the model fits the macros
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
