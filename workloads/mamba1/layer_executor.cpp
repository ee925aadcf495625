#include "workloads/mamba1/layer_executor.hpp"

#include <algorithm>
#include <cmath>

#include "hw/accelerator.hpp"
#include "hw/timing.hpp"
#include "models/common/error.hpp"
#include "models/numerics/activations.hpp"
#include "models/numerics/conv1d.hpp"
#include "models/numerics/fp32_ops.hpp"
#include "models/numerics/quantize.hpp"
#include "workloads/mamba1/mamba_forward.hpp"

namespace cimba::hw {

using numerics::MatrixF;
using workloads::LinearKind;
using workloads::Op;
using workloads::OpKind;
using workloads::SsmInputScheme;

LayerQuant apply_hw(const LayerQuant& quant, const HwParams& hw) {
  LayerQuant q = quant;
  for (auto& c : q.linear) hw.cim.apply_to(c);
  q.scan.exp_impl = hw.ssm.exp_impl;
  return q;
}

namespace {

const MatrixF& weight_of(const workloads::MambaLayerWeights& w, LinearKind k) {
  switch (k) {
    case LinearKind::InProj:
      return w.in_proj_weight;
    case LinearKind::XProj:
      return w.x_proj_weight;
    case LinearKind::DtProj:
      return w.dt_proj_weight;
    default:
      return w.out_proj_weight;
  }
}

const float* bias_of(const workloads::MambaLayerWeights& w, LinearKind k) {
  const numerics::VectorF* b = nullptr;
  switch (k) {
    case LinearKind::InProj:
      b = &w.in_proj_bias;
      break;
    case LinearKind::DtProj:
      b = &w.dt_proj_bias;
      break;
    case LinearKind::OutProj:
      b = &w.out_proj_bias;
      break;
    default:
      break;
  }
  return b && b->size() ? b->data() : nullptr;
}

void check_shape(const MatrixF& m, std::int64_t rows, std::int64_t cols, const char* what) {
  if (m.rows() != rows || m.cols() != cols)
    throw InvalidArgument(std::string("layer executor: ") + what + " is " +
                          std::to_string(m.rows()) + "x" + std::to_string(m.cols()) +
                          ", expected " + std::to_string(rows) + "x" + std::to_string(cols));
}

}  // namespace

LayerExecutor::LayerExecutor(const workloads::Mamba1LayerShape& shape,
                             const workloads::MambaLayerWeights& weights, const LayerQuant& quant,
                             const HwParams& hw, const MatrixF& input)
    : shape_(shape), w_(weights), quant_(apply_hw(quant, hw)), functions_(quant_.scan), x_(input) {
  const std::int64_t L = shape.length, H = shape.d_model, Di = shape.d_inner, N = shape.d_state,
                     R = shape.dt_rank, XP = shape.x_proj_out(), K = shape.conv_kernel;
  check_shape(input, L, H, "input");
  check_shape(weights.in_proj_weight, 2 * Di, H, "in_proj.weight");
  check_shape(weights.x_proj_weight, XP, Di, "x_proj.weight");
  check_shape(weights.dt_proj_weight, Di, R, "dt_proj.weight");
  check_shape(weights.out_proj_weight, H, Di, "out_proj.weight");
  check_shape(weights.conv1d_weight, Di, K, "conv1d.weight");
  check_shape(weights.A_log, Di, N, "A_log");
  if (weights.D.size() != Di || weights.dt_proj_bias.size() != Di || weights.norm.size() != H)
    throw InvalidArgument("layer executor: D, dt_proj.bias or norm has the wrong size");
  for (int k = 0; k < 4; ++k)
    linears_.push_back(std::make_unique<numerics::BitSerialLinear>(
        weight_of(weights, static_cast<LinearKind>(k)), quant_.linear[k]));
  xn_.resize(L, H);
  xz_.resize(L, 2 * Di);
  u_.resize(L, Di);
  xp_.resize(L, XP);
  delta_.resize(L, Di);
  y_.resize(L, Di);
  g_.resize(L, Di);
  mo_.resize(L, H);
  out_.resize(L, H);
  scan_state_.assign(static_cast<std::size_t>(Di * shape.d_state), 0.0f);
  scan_next_token_.assign(static_cast<std::size_t>(Di), 0);
  if (quant_.ssm_input == SsmInputScheme::DualScale) {
    u_code_.assign(static_cast<std::size_t>(L * Di), 0);
    u_flag_.assign(static_cast<std::size_t>(L * Di), 0);
  }
  if (quant_.ssm_input == SsmInputScheme::Group) {
    if (quant_.groups.layout.channels() != Di)
      throw InvalidArgument("layer executor: the group tables cover " +
                            std::to_string(quant_.groups.layout.channels()) +
                            " channels, d_inner is " + std::to_string(Di));
    walk_.resize(static_cast<std::size_t>(Di));
    for (std::int64_t c = 0; c < Di; ++c)
      walk_[c] = numerics::group_lookup_channel(quant_.groups, c).comparisons;
  }
}

const numerics::BitSerialLinear& LayerExecutor::linear(LinearKind kind) const {
  return *linears_.at(static_cast<std::size_t>(kind));
}

bool LayerExecutor::has_bias(LinearKind kind) const { return bias_of(w_, kind) != nullptr; }

void OpExecutor::run_all(const workloads::OpProgram& program) {
  for (const Op& op : program.ops) execute(op);
}

OpWork LayerExecutor::execute(const Op& op) {
  OpWork work;
  switch (op.kind) {
    case OpKind::DramLoad:
    case OpKind::DramStore:
      break;  // data movement only: the input is in x_, the output stays in out_
    case OpKind::Elementwise:
      run_elementwise(op);
      break;
    case OpKind::CimMatmul:
      run_cim(op, work);
      break;
    case OpKind::ScaleLookup:
      run_scale_lookup(op, work);
      break;
    case OpKind::Conv1d:
      run_conv1d(op, work);
      break;
    case OpKind::DualScaleDequant:
      run_dual_scale_dequant(op);
      break;
    case OpKind::MacMatmul:
      throw InvalidArgument("layer executor: a Mamba1 layer has no MAC-array op ('" + op.name +
                            "')");
    case OpKind::SsmScan:
      run_scan(op, work);
      break;
  }
  return work;
}

void LayerExecutor::run_elementwise(const Op& op) {
  const std::int64_t Di = shape_.d_inner;
  const std::int64_t t0 = op.token_begin, n = op.tokens();
  if (op.fn == workloads::ElementwiseFn::RmsNorm) {
    tmp_in_ = x_.middleRows(t0, n);
    numerics::rms_norm(tmp_in_, w_.norm, quant_.rms_eps, tmp_out_);
    xn_.middleRows(t0, n) = tmp_out_;
  } else if (op.fn == workloads::ElementwiseFn::Gate) {
    const std::int64_t c0 = op.channel_begin, c1 = op.channel_end;
    for (std::int64_t t = t0; t < op.token_end; ++t) {
      const float* y = y_.data() + t * Di;
      const float* z = xz_.data() + t * 2 * Di + Di;
      float* g = g_.data() + t * Di;
      for (std::int64_t c = c0; c < c1; ++c) g[c] = y[c] * numerics::silu(z[c]);
    }
  } else if (op.fn == workloads::ElementwiseFn::Residual) {
    out_.middleRows(t0, n) = x_.middleRows(t0, n) + mo_.middleRows(t0, n);
  } else {
    throw InvalidArgument("layer executor: elementwise op '" + op.name + "' has no function");
  }
}

void LayerExecutor::run_cim(const Op& op, OpWork& work) {
  if (!op.accumulate_last) return;  // the group's product is produced by its last op
  const std::int64_t R = shape_.dt_rank;
  const std::int64_t t0 = op.token_begin, n = op.tokens();
  const auto kind = static_cast<LinearKind>(op.linear);
  const auto& lin = *linears_.at(static_cast<std::size_t>(op.linear));
  MatrixF* dst = nullptr;
  switch (kind) {
    case LinearKind::InProj:
      tmp_in_ = xn_.middleRows(t0, n);
      dst = &xz_;
      break;
    case LinearKind::XProj:
      tmp_in_ = u_.middleRows(t0, n);
      dst = &xp_;
      break;
    case LinearKind::DtProj:
      tmp_in_ = xp_.block(t0, 0, n, R);
      dst = &delta_;
      break;
    case LinearKind::OutProj:
      tmp_in_ = g_.middleRows(t0, n);
      dst = &mo_;
      break;
    default:
      throw InvalidArgument("layer executor: no linear '" +
                            std::string(workloads::linear_kind_name(kind)) + "' in a Mamba1 layer");
  }
  lin.forward_into(tmp_in_, bias_of(w_, kind), tmp_out_, &work.cim);
  dst->middleRows(t0, n) = tmp_out_;
}

void LayerExecutor::run_scale_lookup(const Op& op, OpWork& work) {
  const std::int64_t Di = shape_.d_inner;
  const std::int64_t t0 = op.token_begin, n = op.tokens();
  // One lookup per (token, channel) element; the scale of a channel is the same for every
  // token, so each channel's lookup is evaluated once and counted n times.
  std::vector<double>& scales = lookup_scale_[t0];
  scales.resize(static_cast<std::size_t>(Di));
  std::int64_t walk = 0;
  for (std::int64_t c = 0; c < Di; ++c) {
    const numerics::GroupLookup lk = numerics::group_lookup_channel(quant_.groups, c);
    scales[c] = lk.scale;
    walk += lk.comparisons;
  }
  work.lookups = n * Di;
  work.walk_comparisons = n * walk;
  work.index_head_groups = quant_.groups.HG;
  work.index_dim_groups = quant_.groups.DG;
}

void LayerExecutor::run_conv1d(const Op& op, OpWork& work) {
  const std::int64_t Di = shape_.d_inner, K = shape_.conv_kernel;
  const std::int64_t t0 = op.token_begin, n = op.tokens();
  const std::int64_t w0 = std::max<std::int64_t>(0, t0 - (K - 1)), rows = op.token_end - w0;
  tmp_in_ = xz_.block(w0, 0, rows, Di);
  tmp_out_.resize(rows, Di);
  const float* cb = w_.conv1d_bias.size() ? w_.conv1d_bias.data() : nullptr;
  numerics::conv1d_causal_token_major(tmp_in_.data(), rows, Di, w_.conv1d_weight.data(), K, cb,
                                      tmp_out_.data(), /*apply_silu=*/true);
  u_.middleRows(t0, n) = tmp_out_.bottomRows(n);
  quantize_u(op, work);
  work.conv_taps = static_cast<int>(K);
}

void LayerExecutor::quantize_u(const Op& op, OpWork& work) {
  const std::int64_t Di = shape_.d_inner;
  const std::int64_t t0 = op.token_begin, n = op.tokens();
  float* u = u_.data() + t0 * Di;
  switch (op.ssm_input) {
    case SsmInputScheme::Fp32:
      break;
    case SsmInputScheme::Int8:
      work.quant_saturated =
          numerics::quantize(u, n * Di, numerics::Quantizer::from_range(quant_.int8_range, 8),
                             nullptr, u)
              .saturated;
      break;
    case SsmInputScheme::Group: {
      auto it = lookup_scale_.find(t0);
      if (it == lookup_scale_.end())
        throw InvalidArgument("layer executor: conv1d op '" + op.name +
                              "' runs before the scale lookup of its tokens");
      const std::vector<double>& scale = it->second;
      for (std::int64_t t = 0; t < n; ++t)
        for (std::int64_t c = 0; c < Di; ++c) {
          float* v = u + t * Di + c;
          work.quant_saturated +=
              numerics::quantize(v, 1, numerics::Quantizer::from_scale(scale[c], 8), nullptr, v)
                  .saturated;
        }
      lookup_scale_.erase(it);
      break;
    }
    case SsmInputScheme::DualScale:
      work.dual = numerics::dual_scale_encode(u, n * Di, quant_.dual, u_code_.data() + t0 * Di,
                                              u_flag_.data() + t0 * Di);
      break;
  }
}

void LayerExecutor::run_dual_scale_dequant(const Op& op) {
  const std::int64_t Di = shape_.d_inner;
  const std::int64_t t0 = op.token_begin, n = op.tokens();
  float* u = u_.data() + t0 * Di;
  const std::int8_t* q = u_code_.data() + t0 * Di;
  const std::uint8_t* f = u_flag_.data() + t0 * Di;
  for (std::int64_t i = 0; i < n * Di; ++i)
    u[i] = numerics::dual_scale_decode_one(q[i], f[i], quant_.dual);
}

void LayerExecutor::run_scan(const Op& op, OpWork& work) {
  const std::int64_t Di = shape_.d_inner, N = shape_.d_state, R = shape_.dt_rank,
                     XP = shape_.x_proj_out();
  const std::int64_t t0 = op.token_begin, n = op.tokens();
  // A token chunk of a channel block, continuing from the state the previous chunk left
  // (the chunks of a block must come in token order; the first starts from h = 0).
  const std::int64_t c0 = op.channel_begin, c1 = op.channel_end;
  for (std::int64_t c = c0; c < c1; ++c)
    if (scan_next_token_[static_cast<std::size_t>(c)] != t0)
      throw InvalidArgument("layer executor: scan op '" + op.name + "' starts at token " +
                            std::to_string(t0) + ", but channel " + std::to_string(c) +
                            " has been scanned up to token " +
                            std::to_string(scan_next_token_[static_cast<std::size_t>(c)]));
  numerics::ScanSequence s;
  s.d_inner = c1 - c0;
  s.d_state = N;
  s.length = n;
  s.u = {u_.data() + t0 * Di + c0, 1, Di};
  s.delta_raw = {delta_.data() + t0 * Di + c0, 1, Di};
  s.z = {nullptr, 1, Di};  // the gate is an elementwise op of its own
  s.Bm = {xp_.data() + t0 * XP + R, 1, XP};
  s.Cm = {xp_.data() + t0 * XP + R + N, 1, XP};
  s.dt_bias = nullptr;  // already in the dt_proj output
  s.A_log = w_.A_log.data() + c0 * N;
  s.Dv = w_.D.data() + c0;
  s.out = y_.data() + t0 * Di + c0;
  s.out_row_stride = 1;
  s.out_time_stride = Di;
  float* state = scan_state_.data() + c0 * N;
  s.h0 = t0 == 0 ? nullptr : state;
  s.h_final = state;
  work.scan = numerics::selective_scan(s, functions_);
  for (std::int64_t c = c0; c < c1; ++c)
    scan_next_token_[static_cast<std::size_t>(c)] = op.token_end;
  work.scan_state_size = N;
}

LayerQuant calibrate_static(const workloads::MambaLayerWeights& weights,
                            const workloads::Mamba1LayerShape& shape, const LayerQuant& base,
                            const HwParams& hw, const MatrixF& input, int group_head_dim) {
  LayerQuant q = apply_hw(base, hw);
  for (auto& c : q.linear) {
    c.range_x.reset();
    c.adc.range = numerics::AdcRange::Dynamic;
    c.acc_full_scale.clear();
  }
  workloads::Mamba1ProgramOptions whole;
  whole.token_chunk = shape.length;
  whole.weights_resident = true;
  const std::int64_t Di = shape.d_inner;
  // Pass 1: u before quantization.
  {
    LayerQuant q1 = q;
    q1.ssm_input = SsmInputScheme::Fp32;
    whole.ssm_input = SsmInputScheme::Fp32;
    LayerExecutor ex(shape, weights, q1, hw, input);
    const auto program = workloads::build_mamba1_layer_program(shape, whole);
    for (const Op& op : program.ops) {
      ex.execute(op);
      if (op.kind == OpKind::Conv1d) break;
    }
    const MatrixF& u = ex.u_;
    switch (q.ssm_input) {
      case SsmInputScheme::Fp32:
        break;
      case SsmInputScheme::Int8:
        q.int8_range = static_cast<double>(u.cwiseAbs().maxCoeff());
        break;
      case SsmInputScheme::Group: {
        std::vector<double> range(static_cast<std::size_t>(Di));
        for (std::int64_t c = 0; c < Di; ++c)
          range[c] = static_cast<double>(u.col(c).cwiseAbs().maxCoeff());
        const auto layout = numerics::GroupLayout::for_mamba1(Di, 1, group_head_dim);
        q.groups = numerics::calibrate_group_scales(
            range, layout, std::min(4, layout.heads_per_group), std::min(4, group_head_dim),
            numerics::Grouping::EqualSize, 8);
        break;
      }
      case SsmInputScheme::DualScale: {
        numerics::DualScaleConfig dc;
        dc.value_bits = base.dual.value_bits;
        q.dual = numerics::calibrate_dual_scale(u.data(), u.size(), dc);
        break;
      }
    }
  }
  // Pass 2: the linears' ranges with u quantized as it will be.
  whole.ssm_input = q.ssm_input;
  LayerExecutor ex(shape, weights, q, hw, input);
  const auto program = workloads::build_mamba1_layer_program(shape, whole);
  LayerQuant out = q;
  for (const Op& op : program.ops) {
    const OpWork work = ex.execute(op);
    if (op.kind != OpKind::CimMatmul || !op.accumulate_last) continue;
    auto& c = out.linear[static_cast<std::size_t>(op.linear)];
    c.range_x = work.cim.range_x;
    c.adc.range = numerics::AdcRange::Static;
    c.acc_full_scale = work.cim.full_scale;
  }
  return out;
}

ProgramNeeds LayerExecutor::prepare(const workloads::OpProgram& program, const HwParams& hw) const {
  if (program.family != "mamba1")
    throw InvalidArgument("run_on_hardware: program '" + program.layer_name +
                          "' is not a Mamba1 layer program");
  const auto& s = shape_;
  const LayerQuant& q = quant_;
  for (int k = 0; k < 4; ++k) {
    if (!hw.cim.holds(linear(static_cast<LinearKind>(k))))
      throw InvalidArgument(
          "run_on_hardware: the executor was built for other hw.cim parameters (w_bits, "
          "weight digit columns, adc.bits, rows, slice_bits)");
  }
  if (q.scan.exp_impl != hw.ssm.exp_impl)
    throw InvalidArgument("run_on_hardware: the executor was built for another hw.ssm.exp_impl");
  ProgramNeeds needs;
  std::int64_t max_block = 0;
  bool has_scan = false, has_lookup = false, carries_state = false;
  for (const Op& op : program.ops) {
    if (op.kind == OpKind::SsmScan) {
      has_scan = true;
      carries_state = carries_state || op.token_begin > 0;
      max_block = std::max(max_block, op.channel_end - op.channel_begin);
      if (op.ssm_input != q.ssm_input)
        throw InvalidArgument("run_on_hardware: op '" + op.name + "' uses SSM input scheme " +
                              workloads::ssm_input_scheme_name(op.ssm_input) + ", the executor " +
                              workloads::ssm_input_scheme_name(q.ssm_input));
    }
    if (op.kind == OpKind::ScaleLookup) has_lookup = true;
  }
  if (has_scan) {
    // A scan in token chunks keeps every channel's state between its chunks (NUMERICS.md 7.1);
    // one chunk needs only the block being scanned.
    // one state per sequence in flight (program.batch)
    needs.buffers["ssm_state"] =
        (carries_state ? s.d_inner : max_block) * s.d_state * 4 * program.batch;
    needs.buffers["ssm_params"] = s.d_inner * s.d_state * 4 + s.d_inner * 4;  // A and D
  }
  if (has_lookup) {
    std::int64_t bytes = q.groups.table_bytes();
    if (hw.index.impl == IndexImpl::Lut)
      bytes += cdiv(q.groups.layout.channels() * lut_id_bits(q.groups.HG, q.groups.DG), 8);
    needs.buffers["scale_tables"] = bytes;
  }
  needs.default_reason =
      "the op program keeps its data in '{buffer}' for the whole layer; activation buffers are "
      "not streamed";
  needs.reasons["weights"] =
      "the weight buffer stages the layer's weights (one matrix when they are streamed from "
      "DRAM); a matrix cannot be split across loads";
  needs.reasons["ssm_state"] = "the SSM state carried between token chunks cannot be streamed";
  needs.weight_tiles = layer_weight_tiles(hw, s);
  needs.weights_owner = "layer";
  return needs;
}

std::int64_t layer_weight_tiles(const HwParams& hw, const workloads::Mamba1LayerShape& s) {
  return cim_tiles(hw, 2 * s.d_inner, s.d_model) + cim_tiles(hw, s.x_proj_out(), s.d_inner) +
         cim_tiles(hw, s.d_inner, s.dt_rank) + cim_tiles(hw, s.d_model, s.d_inner);
}

namespace {

std::int64_t weight_bytes(const workloads::Mamba1LayerShape& s, int w_bits) {
  const std::int64_t per = (w_bits + 7) / 8;
  return (2 * s.d_inner * s.d_model + s.x_proj_out() * s.d_inner + s.d_inner * s.dt_rank +
          s.d_model * s.d_inner) *
         per;
}

}  // namespace

workloads::Mamba1ProgramOptions mamba1_program_options(const HwParams& hw,
                                                       const workloads::Mamba1LayerShape& shape,
                                                       const LayerQuant& quant,
                                                       std::int64_t token_chunk,
                                                       std::int64_t layers) {
  workloads::Mamba1ProgramOptions o;
  o.ssm_input = quant.ssm_input;
  o.dual_value_bits = quant.dual.value_bits;
  o.w_bits = hw.cim.w_bits;
  o.token_chunk = token_chunk;
  o.batch = hw.batch;
  for (const numerics::BitSerialConfig& l : quant.linear) o.cim_input_bits.push_back(l.a_bits);
  // hw.cim.weights over the whole model (all `layers` layers' tiles), as hw::plan_cim_weights.
  o.weights_resident = plan_cim_weights(hw.cim, layers * layer_weight_tiles(hw, shape)).resident;
  const SramParams& wb = hw.sram_for("weights");
  o.weights_streamed_from_dram =
      !o.weights_resident && wb.bytes > 0 && wb.bytes < weight_bytes(shape, hw.cim.w_bits);
  const std::int64_t rows = hw.cim.rows;
  if (shape.d_inner <= rows)
    o.scan_channel_block = 0;
  else
    o.scan_channel_block = rows * std::max<std::int64_t>(1, shape.d_inner / (4 * rows));
  return o;
}

}  // namespace cimba::hw
