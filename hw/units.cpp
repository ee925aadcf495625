// The hardware units: each books an op's actions in the ledger and returns its latency from
// the formulas of hw/timing (docs/hardware.md). Units know the op-program contract (Op, OpWork,
// the executor's CIM linears) and no model family.
#include <algorithm>

#include "hw/timing.hpp"
#include "hw/units.hpp"
#include "models/common/error.hpp"

namespace cimba::hw {

using workloads::ElementwiseFn;
using workloads::Op;
using workloads::OpKind;
using workloads::SsmInputScheme;

// ---------------------------------------------------------------------------------------------
// Units

HwUnit::HwUnit(const sc_core::sc_module_name& name, Accelerator& top, UnitId id)
    : sc_core::sc_module(name),
      commands("commands", 1 << 16),
      busy_signal("busy"),
      op_signal("op"),
      queue_signal("queue"),
      top_(top),
      id_(id) {
  SC_THREAD(thread);
  // The numerics (Eigen) run on this coroutine's stack: give it room for Eigen's stack buffers.
  set_stack_size(32 << 20);
}

void HwUnit::thread() {
  op_signal.write(-1);
  for (;;) {
    const int id = commands.read();
    top_.on_unit_started(id_);
    RunContext& ctx = *top_.context();
    const Op& op = ctx.program->ops[static_cast<std::size_t>(id)];
    OpTiming& t = ctx.timing[static_cast<std::size_t>(id)];
    t.start_cycle = top_.now_cycles() - ctx.t0_cycles;
    std::int64_t cycles = 0;
    if (!ctx.error) {
      try {
        const OpWork work = ctx.executor->execute(op);
        ctx.adc_saturated += work.cim.saturated;
        cycles = perform(op, work, ctx);
      } catch (...) {
        ctx.error = std::current_exception();
      }
    }
    if (top_.tracing()) {
      busy_signal.write(true);
      op_signal.write(id);
    }
    if (cycles > 0) wait(sc_core::sc_time(static_cast<double>(cycles), sc_core::SC_NS));
    t.end_cycle = top_.now_cycles() - ctx.t0_cycles;
    if (top_.tracing()) {
      busy_signal.write(false);
      op_signal.write(-1);
    }
    top_.done.write(id);
  }
}

// DRAM: cycles = max(dram_cycles(bytes), buffer access of the on-chip side).
std::int64_t DramController::perform(const Op& op, const OpWork&, RunContext& ctx) {
  const HwParams& hw = *ctx.hw;
  const std::int64_t bits = op.bytes * 8;
  const std::int64_t transfer =
      dram_cycles(op.bytes, hw.dram_bandwidth_gbps(), hw.dram_latency_ns(), hw);
  std::int64_t onchip = 0;
  if (op.kind == OpKind::DramLoad) {
    ctx.ledger.book("dram", Action::DramReadBit, bits);
    onchip = ctx.buffer_access(op.dst, 0, bits);
  } else {
    ctx.ledger.book("dram", Action::DramWriteBit, bits);
    onchip = ctx.buffer_access(op.src.at(0), bits, 0);
  }
  return std::max(transfer, onchip);
}

// CIM: the op's tiles (cdiv(M, outputs_per_macro) x its K row tiles) run in rounds of
// hw.cim.macros; each round = [program its tiles when not yet programmed] + compute:
//   op = max(sum_rounds(program + round_compute), sram(src), sram(dst))
std::int64_t CimArray::perform(const Op& op, const OpWork&, RunContext& ctx) {
  const HwParams& hw = *ctx.hw;
  const auto& lin = ctx.executor->cim_linear(op);
  const std::int64_t M = lin.w_q().rows(), K = lin.w_q().cols();
  const std::int64_t rpt = lin.rows_per_tile();
  const int n_slices = lin.plan().n_slices;
  const std::int64_t k0 = op.channel_end > op.channel_begin ? op.channel_begin : 0;
  const std::int64_t k1 = op.channel_end > op.channel_begin ? op.channel_end : K;
  if (k0 % rpt != 0 || (k1 % rpt != 0 && k1 != K) || k1 > K)
    throw ConfigError("hw.cim.rows: op '" + op.name + "' covers weight rows [" +
                      std::to_string(k0) + ", " + std::to_string(k1) +
                      ") which are not whole macro row tiles of " + std::to_string(rpt) + " rows");
  const std::int64_t n_vec = ctx.rows(op);  // the batch's rows share every programmed tile
  const std::int64_t opm = hw.cim.outputs_per_macro(), wc = hw.cim.weight_cells();
  // The array converts what the numerics convert: one ADC input per weight digit column of
  // this linear (its own w_bits when quant.layers.<type>.w_bits overrides the global one).
  const std::int64_t digit_cols = lin.n_columns();
  const std::int64_t m_tiles = cdiv(M, opm), kt0 = k0 / rpt, kt1 = cdiv(k1, rpt);
  const std::int64_t n_k_tiles_total = cdiv(K, rpt);
  const std::int64_t tiles = m_tiles * (kt1 - kt0);
  const bool has_weight_buffer = ctx.program->buffer("weights") != nullptr;
  const SramParams& wsram = hw.sram_for("weights");
  const int lin_index = op.linear;

  std::int64_t compute = 0, cell_macs = 0, conversions = 0, cell_writes = 0;
  for (std::int64_t first = 0; first < tiles; first += hw.cim.macros) {
    const std::int64_t last = std::min(tiles, first + hw.cim.macros);
    std::int64_t prog_rows = 0, prog_cells = 0;
    for (std::int64_t i = first; i < last; ++i) {
      const std::int64_t m = i / (kt1 - kt0), kt = kt0 + i % (kt1 - kt0);
      const std::int64_t rows_t = std::min(rpt, K - kt * rpt);
      const std::int64_t outs_t = std::min(opm, M - m * opm);
      cell_macs += n_vec * n_slices * rows_t * outs_t * wc;
      conversions += n_vec * n_slices * outs_t * digit_cols;
      const std::int64_t tile_key = m * n_k_tiles_total + kt;
      const bool need = !ctx.cim_stationary || (!ctx.weights_preloaded &&
                                                !ctx.programmed_tiles.count({lin_index, tile_key}));
      if (need) {
        if (ctx.cim_stationary) ctx.programmed_tiles.insert({lin_index, tile_key});
        prog_rows = std::max(prog_rows, rows_t);
        prog_cells += rows_t * outs_t * wc;
      }
    }
    if (prog_cells > 0) {
      const std::int64_t bits = prog_cells * hw.cim.cell_bits;
      compute += cim_program_cycles(hw, prog_rows, bits, wsram);
      cell_writes += prog_cells;
      if (has_weight_buffer) ctx.buffer_access("weights", bits, 0);
    }
    compute += cim_round_compute_cycles(hw, n_vec, n_slices);
  }
  auto& L = ctx.ledger;
  L.book("cim", Action::CimCellMac, cell_macs);
  L.book("cim", Action::CimCellWrite, cell_writes);
  L.book("cim", Action::AdcConversion, conversions);
  L.book("cim", Action::ShiftAdd, conversions);
  L.book("cim", Action::QuantEncode, n_vec * (k1 - k0));  // the input quantizer (a_bits)
  if (op.input_shift) L.book("cim", Action::Fp32Add, n_vec * (k1 - k0));  // x - shift
  const std::string& src = op.src.at(0);
  std::int64_t mem = ctx.read(src, n_vec * (k1 - k0));
  // K-partial ops accumulate in the output buffer: every op after the first reads it back.
  const std::int64_t out_bits = ctx.bits(op.dst);
  const std::int64_t acc_read = k0 > 0 ? n_vec * M * out_bits : 0;
  mem = std::max(mem, ctx.buffer_access(op.dst, acc_read, n_vec * M * out_bits));
  if (op.accumulate_last) {  // y = Y_int s_x s_w (+ bias)
    L.book("cim", Action::Fp32Mul, n_vec * M);
    if (ctx.executor->cim_has_bias(op)) L.book("cim", Action::Fp32Add, n_vec * M);
  }
  return std::max(compute, mem);
}

// Conv: cycles = max(conv_cycles(n d_inner), sram(xz: the chunk + K-1 history rows),
// sram(u: the quantized codes)).
std::int64_t ConvUnit::perform(const Op& op, const OpWork& work, RunContext& ctx) {
  const std::int64_t channels = op.out_shape.cols;
  const std::int64_t e = ctx.rows(op) * channels, K = work.conv_taps;
  auto& L = ctx.ledger;
  L.book("conv", Action::Fp32Mul, e * K);
  L.book("conv", Action::Fp32Add, e * K);  // K - 1 tap sums + the bias
  L.book("conv", Action::Fp32Silu, e);
  if (op.ssm_input != SsmInputScheme::Fp32) L.book("conv", Action::QuantEncode, e);
  if (op.ssm_input == SsmInputScheme::Int8 || op.ssm_input == SsmInputScheme::Group)
    L.book("conv", Action::DequantMul, e);
  const std::int64_t mem =
      std::max(ctx.read(op.src.at(0), op.in_shape.rows * ctx.batch() * channels),
               ctx.write(op.dst, e));
  return std::max(conv_cycles(*ctx.hw, e), mem);
}

// Index: cycles = lookup_cycles(n, walk) (each unit has its own table port; no width bound).
std::int64_t ScaleIndexUnit::perform(const Op& op, const OpWork& work, RunContext& ctx) {
  const HwParams& hw = *ctx.hw;
  const bool per_element = hw.index.lookups == LookupGranularity::PerElement;
  // Per element: every sequence of the batch looks up its own elements; per channel: the scale is
  // held for the op's tokens of every sequence.
  const std::int64_t n = per_element
                             ? work.lookups * ctx.batch()
                             : work.lookups / std::max<std::int64_t>(1, op.tokens());
  const std::int64_t walk =
      per_element ? work.walk_comparisons * ctx.batch()
                  : work.walk_comparisons / std::max<std::int64_t>(1, op.tokens());
  auto& L = ctx.ledger;
  L.book("index", Action::ScaleLookup, n);
  std::int64_t table_bits = 0;
  switch (hw.index.impl) {
    case IndexImpl::Sequential:
      L.book("index", Action::Comparison, walk);
      table_bits = (walk + n) * 32;
      break;
    case IndexImpl::Parallel:
      L.book("index", Action::Comparison, n * (work.index_head_groups + work.index_dim_groups));
      table_bits = n * (work.index_head_groups + work.index_dim_groups + 1) * 32;
      break;
    case IndexImpl::Lut:
      table_bits = n * (lut_id_bits(work.index_head_groups, work.index_dim_groups) + 32);
      break;
  }
  ctx.buffer_access(op.src.at(0), table_bits, 0);
  return lookup_cycles(hw, n, walk);
}

// MUX: cycles = max(mux_cycles(n), sram(u: (value_bits + 1) bits per element)).
std::int64_t DequantMux::perform(const Op& op, const OpWork&, RunContext& ctx) {
  const std::int64_t e = ctx.rows(op) * op.out_shape.cols;
  ctx.ledger.book("mux", Action::MuxSelect, e);
  ctx.ledger.book("mux", Action::DequantMul, e);
  const std::int64_t mem = ctx.read(op.src.at(0), e);
  return std::max(mux_cycles(*ctx.hw, e), mem);
}

// SSM: cycles = max(scan_cycles(D, N, L), sram of u, delta, xp (B and C), y, the state
// (read + write per (d, n, t)) and the parameters (A per (d, n, t), D per (d, t))).
std::int64_t SsmCore::perform(const Op& op, const OpWork& work, RunContext& ctx) {
  const std::int64_t D = op.channel_end - op.channel_begin, N = work.scan_state_size,
                     Lt = ctx.rows(op);  // the batch's sequences: independent recurrences
  const std::int64_t B = ctx.batch();
  auto& L = ctx.ledger;
  L.book("ssm", Action::Fp32Exp, work.scan.exp * B);
  L.book("ssm", Action::Fp32Softplus, work.scan.softplus * B);
  L.book("ssm", Action::Fp32Mul, work.scan.mul * B);
  L.book("ssm", Action::Fp32Add, work.scan.add * B);
  L.book("ssm", Action::Fp32Silu, work.scan.silu * B);
  std::int64_t mem = ctx.read("u", Lt * D);
  mem = std::max(mem, ctx.read("delta", Lt * D));
  mem = std::max(mem, ctx.read("xp", Lt * 2 * N));
  mem = std::max(mem, ctx.write(op.dst, Lt * D));
  mem = std::max(mem, ctx.buffer_access("ssm_state", Lt * D * N * 32, Lt * D * N * 32));
  mem = std::max(mem, ctx.buffer_access("ssm_params", Lt * D * N * 32 + Lt * D * 32, 0));
  return std::max(scan_cycles(*ctx.hw, D, N, Lt), mem);
}

// Vector: cycles = max(vec_cycles(n, passes), sram of its operands).
std::int64_t VectorUnit::perform(const Op& op, const OpWork&, RunContext& ctx) {
  const HwParams& hw = *ctx.hw;
  auto& L = ctx.ledger;
  const std::int64_t rows = ctx.rows(op);
  const std::int64_t cols =
      op.channel_end > op.channel_begin ? op.channel_end - op.channel_begin : op.out_shape.cols;
  const std::int64_t e = rows * cols;
  std::int64_t mem = 0, compute = 0;
  switch (op.fn) {
    case ElementwiseFn::RmsNorm:
      // x^2, x inv_rms, * w per element; the sum per element, + eps, 1 / sqrt per row
      L.book("vec", Action::Fp32Mul, 3 * e);
      L.book("vec", Action::Fp32Add, e + rows);
      L.book("vec", Action::Fp32Div, rows);
      L.book("vec", Action::Fp32Sqrt, rows);
      mem = std::max(ctx.read(op.src.at(0), 2 * e), ctx.write(op.dst, e));
      compute = vec_cycles(hw, e, 2);
      break;
    case ElementwiseFn::Gate:
      L.book("vec", Action::Fp32Silu, e);
      L.book("vec", Action::Fp32Mul, e);
      mem = std::max({ctx.read(op.src.at(0), e), ctx.read(op.src.at(1), e), ctx.write(op.dst, e)});
      compute = vec_cycles(hw, e, 1);
      break;
    case ElementwiseFn::Residual:
      L.book("vec", Action::Fp32Add, e);
      mem = std::max({ctx.read(op.src.at(0), e), ctx.read(op.src.at(1), e), ctx.write(op.dst, e)});
      compute = vec_cycles(hw, e, 1);
      break;
    case ElementwiseFn::Modulate: {
      // x (1 + scale) + shift: 1 + scale per column, then a multiply and an add per element
      L.book("vec", Action::Fp32Mul, e);
      L.book("vec", Action::Fp32Add, e + cols * ctx.batch());
      mem = std::max(
          {ctx.read(op.src.at(0), e), ctx.read(op.src.at(1), 2 * cols * ctx.batch()),
           ctx.write(op.dst, e)});
      compute = vec_cycles(hw, e, 1);
      break;
    }
    case ElementwiseFn::Rope:
      // per rotated pair (x1, x2): 4 multiplies and 2 adds = 2 mul + 1 add per element; the
      // cos / sin tables are read once per element pair each (e x 32 bits together)
      L.book("vec", Action::Fp32Mul, 2 * e);
      L.book("vec", Action::Fp32Add, e);
      mem = std::max(ctx.read(op.src.at(0), 2 * e), ctx.write(op.dst, e));
      compute = vec_cycles(hw, e, 1);
      break;
    case ElementwiseFn::Softmax:
      // pass 1: scale and running max; pass 2: exp(x - max) and the sum; pass 3: x / sum
      // (one reciprocal per row, then a multiply per element)
      L.book("vec", Action::Fp32Mul, 2 * e);
      L.book("vec", Action::Comparison, e);
      L.book("vec", Action::Fp32Add, 2 * e);
      L.book("vec", Action::Fp32Exp, e);
      L.book("vec", Action::Fp32Div, rows);
      mem = std::max(ctx.read(op.src.at(0), 3 * e), ctx.write(op.dst, 2 * e));
      compute = vec_cycles(hw, e, 3);
      break;
    case ElementwiseFn::GatedResidual:
      L.book("vec", Action::Fp32Mul, e);
      L.book("vec", Action::Fp32Add, e);
      mem = std::max({ctx.read(op.src.at(0), e), ctx.read(op.src.at(1), cols * ctx.batch()),
                      ctx.read(op.src.at(2), e), ctx.write(op.dst, e)});
      compute = vec_cycles(hw, e, 1);
      break;
    case ElementwiseFn::SwiGlu:
      L.book("vec", Action::Fp32Silu, e);
      L.book("vec", Action::Fp32Mul, e);
      mem = std::max(ctx.read(op.src.at(0), 2 * e), ctx.write(op.dst, e));
      compute = vec_cycles(hw, e, 1);
      break;
    case ElementwiseFn::None:
      throw InvalidArgument("vector unit: op '" + op.name + "' has no function");
  }
  return std::max(compute, mem);
}

// MAC array: cycles = max(mac_cycles(n, k, m), sram of its operands and result). Output
// stationary: the left operand is re-read once per column tile, the right one once per row tile.
std::int64_t MacArray::perform(const Op& op, const OpWork&, RunContext& ctx) {
  const HwParams& hw = *ctx.hw;
  std::int64_t n = 0, k = 0, m = 0;
  std::string a_buf, b_buf;
  switch (op.mac) {
    case workloads::MacFn::Linear:  // [n x k] x W^T [k x m] + b
      n = op.in_shape.rows, k = op.in_shape.cols, m = op.out_shape.cols;
      a_buf = op.src.at(0), b_buf = op.src.at(1);
      break;
    case workloads::MacFn::AttnScores:  // q_h [P x D] x k_h^T [D x P]
      n = op.in_shape.rows, k = op.in_shape.cols, m = op.out_shape.cols;
      a_buf = b_buf = op.src.at(0);
      break;
    case workloads::MacFn::AttnContext:  // p_h [P x P] x v_h [P x D]
      n = op.in_shape.rows, k = op.in_shape.cols, m = op.out_shape.cols;
      a_buf = op.src.at(0), b_buf = op.src.at(1);
      break;
    case workloads::MacFn::None:
      throw InvalidArgument("MAC array: op '" + op.name + "' has no function");
  }
  // The batch: a linear's B images are rows of one product sharing its weights; attention runs
  // per image (its right operand is the image's own keys / values).
  const std::int64_t B = ctx.batch();
  const bool shared_right = op.mac == workloads::MacFn::Linear;
  auto& L = ctx.ledger;
  n *= B;
  L.book("mac", Action::Fp32Mul, n * k * m);
  L.book("mac", Action::Fp32Add, n * k * m);
  if (op.mac == workloads::MacFn::Linear) L.book("mac", Action::Fp32Add, n * m);  // bias
  const std::int64_t col_tiles = cdiv(m, hw.mac.cols);
  const std::int64_t right_reads =
      shared_right ? cdiv(n, hw.mac.rows) : B * cdiv(n / B, hw.mac.rows);
  std::int64_t mem = ctx.read(a_buf, n * k * col_tiles);
  mem = std::max(mem, ctx.read(b_buf, k * m * right_reads));
  mem = std::max(mem, ctx.write(op.dst, n * m));
  return std::max(mac_cycles(hw, n, k, m), mem);
}

}  // namespace cimba::hw
