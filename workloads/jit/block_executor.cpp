#include "workloads/jit/block_executor.hpp"

#include <algorithm>
#include <cmath>

#include "hw/accelerator.hpp"
#include "models/common/error.hpp"
#include "models/numerics/activations.hpp"
#include "models/numerics/fp32_ops.hpp"

namespace cimba::hw {

using numerics::MatrixF;
using workloads::ElementwiseFn;
using workloads::JitLinearKind;
using workloads::MacFn;
using workloads::Op;
using workloads::OpKind;

workloads::JitQuantConfig apply_hw(const workloads::JitQuantConfig& config, const HwParams& hw) {
  workloads::JitQuantConfig q = config;
  for (auto& c : q.linear) hw.cim.apply_to(c);
  return q;
}

workloads::JitBlockShape jit_block_shape(const workloads::JitConfig& c) {
  workloads::JitBlockShape s;
  s.tokens = c.num_patches();
  s.hidden = c.hidden_size;
  s.heads = c.num_heads;
  s.head_dim = c.head_dim();
  s.ffn_hidden = c.ffn_hidden;
  return s;
}

std::int64_t jit_block_weight_tiles(const HwParams& hw, const workloads::JitBlockShape& s,
                                    bool adaLN_on_cim) {
  const std::int64_t H = s.hidden, F = s.ffn_hidden;
  std::int64_t tiles =
      cim_tiles(hw, 3 * H, H) + cim_tiles(hw, H, H) + cim_tiles(hw, 2 * F, H) + cim_tiles(hw, H, F);
  if (adaLN_on_cim) tiles += cim_tiles(hw, 6 * H, H);
  return tiles;
}

workloads::JitBlockProgramOptions jit_block_program_options(const HwParams& hw,
                                                            const workloads::JitBlockShape& s,
                                                            const workloads::JitQuantConfig& q,
                                                            std::int64_t blocks) {
  workloads::JitBlockProgramOptions o;
  o.w_bits = hw.cim.w_bits;
  o.adaLN_on_cim = q.quantize[workloads::jit_kind_index(JitLinearKind::adaLN)];
  // hw.cim.weights over the whole model (all `blocks` blocks' tiles), as hw::plan_cim_weights.
  o.weights_resident =
      plan_cim_weights(hw.cim, blocks * jit_block_weight_tiles(hw, s, o.adaLN_on_cim)).resident;
  const std::int64_t H = s.hidden, F = s.ffn_hidden, wb = (hw.cim.w_bits + 7) / 8;
  const std::int64_t bytes =
      (3 * H * H + H * H + 2 * F * H + H * F + (o.adaLN_on_cim ? 6 * H * H : 0)) * wb;
  const SramParams& w = hw.sram_for("weights");
  o.weights_streamed_from_dram = !o.weights_resident && w.bytes > 0 && w.bytes < bytes;
  o.w3_input_shift = q.taq.enabled && q.taq.channel_shift;
  o.batch = hw.batch;
  for (JitLinearKind k : workloads::jit_linear_kinds()) {
    const std::size_t i = static_cast<std::size_t>(k);
    if (o.cim_input_bits.size() <= i) o.cim_input_bits.resize(i + 1, 0);
    const std::size_t qi = workloads::jit_kind_index(k);
    o.cim_input_bits[i] = q.quantize[qi] ? q.linear[qi].a_bits : 0;
  }
  return o;
}

namespace {

void check_shape(const MatrixF& m, std::int64_t rows, std::int64_t cols, const char* what) {
  if (m.rows() != rows || m.cols() != cols)
    throw InvalidArgument(std::string("JiT block executor: ") + what + " is " +
                          std::to_string(m.rows()) + "x" + std::to_string(m.cols()) +
                          ", expected " + std::to_string(rows) + "x" + std::to_string(cols));
}

const MatrixF& weight_of(const workloads::JitBlockWeights& w, JitLinearKind k) {
  switch (k) {
    case JitLinearKind::qkv:
      return w.qkv;
    case JitLinearKind::proj:
      return w.proj;
    case JitLinearKind::w12:
      return w.w12;
    case JitLinearKind::w3:
      return w.w3;
    case JitLinearKind::adaLN:
      return w.adaLN_weight;
    default:
      throw InvalidArgument(std::string("JiT block executor: no linear '") +
                            workloads::jit_linear_kind_name(k) + "' in a block");
  }
}

}  // namespace

JitBlockExecutor::JitBlockExecutor(const workloads::JitConfig& config,
                                   const workloads::JitBlockWeights& weights, int block,
                                   const workloads::JitQuantConfig& quant,
                                   const workloads::JitCalibration* calibration, const HwParams& hw,
                                   const MatrixF& input, const MatrixF& cond, float t)
    : config_(config), w_(weights), block_(block), quant_(quant), x_(input), cond_(cond) {
  (void)hw;
  const std::int64_t P = config.num_patches(), H = config.hidden_size, F = config.ffn_hidden;
  check_shape(input, P, H, "input");
  check_shape(cond, 1, H, "conditioning s");
  check_shape(weights.qkv, 3 * H, H, "attn.qkv.weight");
  check_shape(weights.proj, H, H, "attn.proj.weight");
  check_shape(weights.w12, 2 * F, H, "mlp.w12.weight");
  check_shape(weights.w3, H, F, "mlp.w3.weight");
  check_shape(weights.adaLN_weight, 6 * H, H, "adaLN.weight");
  for (JitLinearKind k : {JitLinearKind::qkv, JitLinearKind::proj, JitLinearKind::w12,
                          JitLinearKind::w3, JitLinearKind::adaLN}) {
    if (k != JitLinearKind::adaLN && !quant_.quantize[workloads::jit_kind_index(k)])
      throw InvalidArgument(std::string("JiT block executor: ") +
                            workloads::jit_linear_kind_name(k) +
                            " must be quantized (it runs on the CIM)");
    linears_.push_back(quant_.quantize[workloads::jit_kind_index(k)]
                           ? std::make_unique<workloads::JitQuantLinear>(
                                 weight_of(weights, k), block, k, quant_, calibration)
                           : nullptr);
  }
  bucket_ = quant_.taq.enabled ? workloads::jit_timestep_bucket(t, quant_.taq.buckets) : -1;
  for (auto& l : linears_)
    if (l) l->select(bucket_);
  scores_.resize(static_cast<std::size_t>(config.num_heads));
}

JitBlockExecutor::~JitBlockExecutor() = default;

bool JitBlockExecutor::on_cim(JitLinearKind kind) const {
  const std::size_t i = workloads::jit_kind_index(kind);
  return i < linears_.size() && linears_[i] != nullptr;
}

workloads::JitQuantLinear& JitBlockExecutor::quantized(JitLinearKind kind) const {
  if (!on_cim(kind))
    throw InvalidArgument(std::string("JiT block executor: ") +
                          workloads::jit_linear_kind_name(kind) + " does not run on the CIM");
  return *linears_[workloads::jit_kind_index(kind)];
}

const numerics::BitSerialLinear& JitBlockExecutor::cim_linear(const Op& op) const {
  return quantized(kind_of(op)).select(bucket_);
}

bool JitBlockExecutor::cim_has_bias(const Op& op) const {
  return kind_of(op) == JitLinearKind::adaLN || quantized(kind_of(op)).shift() != nullptr;
}

ProgramNeeds JitBlockExecutor::prepare(const workloads::OpProgram& program,
                                       const HwParams& hw) const {
  if (program.family != "jit_block")
    throw InvalidArgument("run_on_hardware: program '" + program.layer_name +
                          "' is not a JiT block program");
  bool adaLN_on_cim = false;
  for (const Op& op : program.ops) {
    if (op.kind != OpKind::CimMatmul) continue;
    if (!on_cim(kind_of(op)))
      throw InvalidArgument("run_on_hardware: op '" + op.name +
                            "' runs on the CIM, the executor computes it in FP32");
    adaLN_on_cim |= kind_of(op) == JitLinearKind::adaLN;
    if (!hw.cim.holds(cim_linear(op)))
      throw InvalidArgument(
          "run_on_hardware: the executor was built for other hw.cim parameters (w_bits, "
          "weight digit columns, adc.bits, rows, slice_bits; use hw::apply_hw)");
  }
  if (on_cim(JitLinearKind::adaLN) != adaLN_on_cim)
    throw InvalidArgument(
        "run_on_hardware: the program and the executor disagree on where adaLN runs (CIM or MAC "
        "array)");
  ProgramNeeds needs;
  needs.default_reason = "the JiT block program keeps its data in '{buffer}' for the whole block";
  needs.weight_tiles = jit_block_weight_tiles(hw, shape(), adaLN_on_cim);
  needs.weights_owner = "block";
  return needs;
}

OpWork JitBlockExecutor::execute(const Op& op) {
  OpWork work;
  switch (op.kind) {
    case OpKind::DramLoad:
    case OpKind::DramStore:
      break;  // data movement only
    case OpKind::CimMatmul:
      run_cim(op, work);
      break;
    case OpKind::MacMatmul:
      run_mac(op);
      break;
    case OpKind::Elementwise:
      run_elementwise(op);
      break;
    default:
      throw InvalidArgument("JiT block executor: op '" + op.name + "' of kind " +
                            workloads::op_kind_name(op.kind) + " is not part of a JiT block");
  }
  return work;
}

void JitBlockExecutor::run_cim(const Op& op, OpWork& work) {
  if (!op.accumulate_last) return;
  workloads::JitQuantLinear& lin = quantized(kind_of(op));
  switch (kind_of(op)) {
    case JitLinearKind::adaLN:
      lin.forward(cond_, w_.adaLN_bias.data(), bucket_, mod_, &work.cim);
      break;
    case JitLinearKind::qkv:
      lin.forward(a_, nullptr, bucket_, qkv_, &work.cim);
      break;
    case JitLinearKind::proj:
      lin.forward(o_, nullptr, bucket_, po_, &work.cim);
      break;
    case JitLinearKind::w12:
      lin.forward(f_, nullptr, bucket_, gu_, &work.cim);
      break;
    case JitLinearKind::w3:
      lin.forward(act_, nullptr, bucket_, w3o_, &work.cim);
      break;
    default:
      throw InvalidArgument("JiT block executor: op '" + op.name + "' has no block linear");
  }
}

void JitBlockExecutor::run_mac(const Op& op) {
  const std::int64_t H = config_.hidden_size, D = config_.head_dim();
  switch (op.mac) {
    case MacFn::Linear:  // FP32 adaLN: JitHooks' FP32 path
      numerics::linear_fp32(cond_, w_.adaLN_weight, w_.adaLN_bias.data(), mod_);
      break;
    case MacFn::AttnScores: {
      const std::int64_t P = config_.num_patches(), h = op.head;
      MatrixF& s = scores_.at(static_cast<std::size_t>(h));
      s.resize(P, P);
      const auto qh = q_.block(0, h * D, P, D);
      const auto kh = k_.block(0, h * D, P, D);
      s.noalias() = qh * kh.transpose();
      break;
    }
    case MacFn::AttnContext: {
      const std::int64_t P = config_.num_patches(), h = op.head;
      if (o_.rows() != P || o_.cols() != H) o_.resize(P, H);
      const auto vh = v_.block(0, h * D, P, D);
      o_.block(0, h * D, P, D).noalias() = scores_.at(static_cast<std::size_t>(h)) * vh;
      break;
    }
    case MacFn::None:
      throw InvalidArgument("JiT block executor: MAC op '" + op.name + "' has no function");
  }
}

void JitBlockExecutor::run_elementwise(const Op& op) {
  const std::int64_t H = config_.hidden_size, F = config_.ffn_hidden, D = config_.head_dim();
  switch (op.fn) {
    case ElementwiseFn::RmsNorm:
      if (op.dst == "xn")
        numerics::rms_norm(x_, w_.norm1, config_.norm_eps, xn_);
      else
        numerics::rms_norm(h1_, w_.norm2, config_.norm_eps, xn2_);
      break;
    case ElementwiseFn::Modulate:
      if (op.dst == "a")
        workloads::jit_modulate(xn_, mod_, 0, H, config_.num_patches(), a_);
      else
        workloads::jit_modulate(xn2_, mod_, 3 * H, 4 * H, config_.num_patches(), f_);
      break;
    case ElementwiseFn::Rope:
      q_ = qkv_.leftCols(H);
      k_ = qkv_.middleCols(H, H);
      v_ = qkv_.rightCols(H);
      workloads::jit_apply_rope(config_, q_);
      workloads::jit_apply_rope(config_, k_);
      break;
    case ElementwiseFn::Softmax: {
      workloads::jit_scaled_softmax_rows(scores_.at(static_cast<std::size_t>(op.head)),
                                         1.0f / std::sqrt(static_cast<float>(D)));
      break;
    }
    case ElementwiseFn::GatedResidual:
      if (op.dst == "h1") {
        h1_ = x_;
        workloads::jit_gated_residual(h1_, mod_, 2 * H, config_.num_patches(), po_);
      } else {
        out_ = h1_;
        workloads::jit_gated_residual(out_, mod_, 5 * H, config_.num_patches(), w3o_);
      }
      break;
    case ElementwiseFn::SwiGlu:
      act_.resize(gu_.rows(), F);
      for (std::int64_t r = 0; r < gu_.rows(); ++r) {
        const float* g = gu_.data() + r * 2 * F;
        float* out = act_.data() + r * F;
        for (std::int64_t j = 0; j < F; ++j) out[j] = numerics::silu(g[j]) * g[F + j];
      }
      break;
    default:
      throw InvalidArgument("JiT block executor: elementwise op '" + op.name +
                            "' is not a JiT block function");
  }
}

}  // namespace cimba::hw
