#include "workloads/jit/jit_quant_replay.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "models/common/error.hpp"
#include "models/numerics/fp32_ops.hpp"
#include "models/numerics/rng.hpp"

namespace cimba::workloads {

using numerics::MatrixF;

// ---- Config ---------------------------------------------------------------------------------

const std::array<JitLinearKind, kJitLinearKinds>& jit_linear_kinds() {
  static const std::array<JitLinearKind, kJitLinearKinds> kinds{
      JitLinearKind::qkv,         JitLinearKind::proj,  JitLinearKind::w12,
      JitLinearKind::w3,          JitLinearKind::adaLN, JitLinearKind::x_embed,
      JitLinearKind::t_fc1,       JitLinearKind::t_fc2, JitLinearKind::final_adaLN,
      JitLinearKind::final_linear};
  return kinds;
}

const char* jit_linear_key_name(JitLinearKind kind) {
  switch (kind) {
    case JitLinearKind::qkv:
      return "qkv";
    case JitLinearKind::proj:
      return "proj";
    case JitLinearKind::w12:
      return "w12";
    case JitLinearKind::w3:
      return "w3";
    case JitLinearKind::adaLN:
      return "adaLN";
    case JitLinearKind::x_embed:
      return "x_embed";
    case JitLinearKind::t_fc1:
      return "t_fc1";
    case JitLinearKind::t_fc2:
      return "t_fc2";
    case JitLinearKind::final_adaLN:
      return "final_adaLN";
    case JitLinearKind::final_linear:
      return "final_linear";
  }
  return "?";
}

JitLinearKind parse_jit_linear_key_name(const std::string& name) {
  std::string valid;
  for (JitLinearKind k : jit_linear_kinds()) {
    if (name == jit_linear_key_name(k)) return k;
    valid += (valid.empty() ? "" : ", ") + std::string(jit_linear_key_name(k));
  }
  throw InvalidArgument("unknown JiT linear '" + name + "' (valid: " + valid + ")");
}

bool jit_linear_in_block(JitLinearKind kind) {
  return kind == JitLinearKind::qkv || kind == JitLinearKind::proj || kind == JitLinearKind::w12 ||
         kind == JitLinearKind::w3 || kind == JitLinearKind::adaLN;
}

int jit_timestep_bucket(double t, int buckets) {
  if (buckets <= 0) return -1;
  const double c = std::min(1.0, std::max(0.0, t));
  return std::min(buckets - 1, static_cast<int>(std::floor(c * buckets)));
}

bool JitQuantConfig::needs_calibration() const {
  if (taq.enabled || static_range_x) {
    for (bool q : quantize)
      if (q) return true;
    return false;
  }
  for (std::size_t k = 0; k < quantize.size(); ++k)
    if (quantize[k] && linear[k].adc.range == numerics::AdcRange::Static) return true;
  return false;
}

std::string jit_calibration_key(int bucket, int block, JitLinearKind kind) {
  std::string key = bucket >= 0 ? "bucket" + std::to_string(bucket) + "." : "";
  if (jit_linear_in_block(kind))
    key += "blocks." + std::to_string(block) + "." + jit_linear_kind_name(kind);
  else
    key += jit_linear_kind_name(kind);
  return key;
}

const JitLinearCalibration* JitCalibration::find(int bucket, int block, JitLinearKind kind) const {
  const auto it = linears.find(jit_calibration_key(bucket, block, kind));
  return it == linears.end() ? nullptr : &it->second;
}

const JitLinearCalibration& JitCalibration::at(int bucket, int block, JitLinearKind kind) const {
  const JitLinearCalibration* c = find(bucket, block, kind);
  if (!c)
    throw InvalidArgument("JiT calibration has no entry '" +
                          jit_calibration_key(bucket, block, kind) + "'");
  return *c;
}

// ---- JitQuantLinear -------------------------------------------------------------------------

JitQuantLinear::JitQuantLinear(const MatrixF& W, int block, JitLinearKind kind,
                               const JitQuantConfig& config, const JitCalibration* calibration)
    : W_(W), block_(block), kind_(kind), config_(config), calibration_(calibration) {
  if (config.needs_calibration() && !calibration)
    throw InvalidArgument("JiT quantized linear " + jit_calibration_key(-1, block, kind) +
                          ": the config needs a calibration");
  if (config.taq.enabled && config.taq.channel_shift && kind == JitLinearKind::w3 && calibration &&
      block >= 0 && block < static_cast<int>(calibration->w3_shift.size()))
    shift_ = calibration->w3_shift[static_cast<std::size_t>(block)];
  if (!shift_.empty() && static_cast<std::int64_t>(shift_.size()) != W.cols())
    throw InvalidArgument("JiT calibration: the w3 shift of block " + std::to_string(block) +
                          " has " + std::to_string(shift_.size()) + " channels, w3 has " +
                          std::to_string(W.cols()));
}

numerics::BitSerialConfig JitQuantLinear::config_for(int bucket) const {
  numerics::BitSerialConfig c = config_.linear[jit_kind_index(kind_)];
  const int b = config_.taq.enabled ? bucket : -1;
  if (config_.taq.enabled && b < 0)
    throw InvalidArgument("JiT quantized linear: TaQ-DiT needs a timestep bucket");
  const JitLinearCalibration* cal = calibration_ ? calibration_->find(b, block_, kind_) : nullptr;
  if (config_.needs_calibration() && !cal)
    throw InvalidArgument("JiT calibration has no entry '" + jit_calibration_key(b, block_, kind_) +
                          "'");
  if (config_.taq.enabled) {
    c.a_bits = cal->a_bits > 0 ? cal->a_bits : c.a_bits;
    if (c.a_bits <= c.slice_bits) {  // single pass
      c.slice_bits = c.a_bits;
      c.overlap_bits = 0;
    }
  }
  c.range_x.reset();
  if (config_.static_range_x) c.range_x = cal->range_x;
  c.acc_full_scale.clear();
  if (c.adc.range == numerics::AdcRange::Static) {
    if (!cal || cal->acc_full_scale.empty())
      throw InvalidArgument("JiT calibration entry '" + jit_calibration_key(b, block_, kind_) +
                            "' has no ADC full scales (static ADC)");
    c.acc_full_scale = cal->acc_full_scale;
  }
  c.noise_key = numerics::stream_key(config_.seed, static_cast<std::uint64_t>(block_ + 1),
                                     static_cast<std::uint64_t>(kind_));
  return c;
}

const numerics::BitSerialLinear& JitQuantLinear::select(int bucket) {
  const int b = config_.taq.enabled ? bucket : -1;
  if (layer_ && b == bucket_) return *layer_;
  layer_ = std::make_unique<numerics::BitSerialLinear>(W_, config_for(b));
  bucket_ = b;
  if (!shift_.empty() && shift_bias_.empty()) {
    // c[m] = s_w sum_k w_q[m, k] shift[k], in double (the weights the array holds).
    const MatrixF& wq = layer_->w_q();
    shift_bias_.resize(static_cast<std::size_t>(wq.rows()));
    for (std::int64_t m = 0; m < wq.rows(); ++m) {
      double s = 0.0;
      for (std::int64_t k = 0; k < wq.cols(); ++k)
        s += static_cast<double>(wq(m, k)) * static_cast<double>(shift_[k]);
      shift_bias_[m] = static_cast<float>(s * layer_->scale_w());
    }
  }
  return *layer_;
}

void JitQuantLinear::forward(const MatrixF& X, const float* bias, int bucket, MatrixF& Y,
                             numerics::BitSerialStats* stats) {
  const numerics::BitSerialLinear& lin = select(bucket);
  if (shift_.empty()) {
    lin.forward_into(X, bias, Y, stats);
    return;
  }
  shifted_.resize(X.rows(), X.cols());
  const std::int64_t K = X.cols();
  for (std::int64_t r = 0; r < X.rows(); ++r) {
    const float* x = X.data() + r * K;
    float* o = shifted_.data() + r * K;
    for (std::int64_t k = 0; k < K; ++k) o[k] = x[k] - shift_[k];
  }
  bias_tmp_.resize(shift_bias_.size());
  for (std::size_t m = 0; m < shift_bias_.size(); ++m)
    bias_tmp_[m] =
        bias ? static_cast<float>(static_cast<double>(bias[m]) + shift_bias_[m]) : shift_bias_[m];
  lin.forward_into(shifted_, bias_tmp_.data(), Y, stats);
}

// ---- Hooks ----------------------------------------------------------------------------------

void JitLinearStats::reset_counts() {
  isolated = {};
  elements = adc_conversions = adc_saturated = act_saturated = act_elements = mac_ops = 0;
  min_a_bits = max_a_bits = 0;
  max_range_x = 0.0;
}

struct JitQuantHooks::State {
  std::unique_ptr<JitQuantLinear> q;  // nullptr: FP32
  JitLinearStats stats;
  MatrixF reference, x_part, y_part;
};

JitQuantHooks::JitQuantHooks(const JitModel& model, const JitQuantConfig& config,
                             const JitCalibration* calibration)
    : model_(model), config_(config), calibration_(calibration) {
  if (config_.needs_calibration() && !calibration)
    throw InvalidArgument(
        "JiT quantized replay: the config needs a calibration (static ranges, "
        "static ADC or TaQ-DiT)");
  if (calibration && config_.taq.enabled && calibration->buckets != config_.taq.buckets)
    throw InvalidArgument("JiT quantized replay: the calibration has " +
                          std::to_string(calibration->buckets) + " timestep buckets, the config " +
                          std::to_string(config_.taq.buckets));
  const std::int64_t depth = model.config.depth;
  states_.resize(static_cast<std::size_t>((depth + 1) * kJitLinearKinds));
  auto weight = [&](int block, JitLinearKind k) -> const MatrixF* {
    if (block >= 0) {
      const JitBlockWeights& w = model.blocks[static_cast<std::size_t>(block)];
      switch (k) {
        case JitLinearKind::qkv:
          return &w.qkv;
        case JitLinearKind::proj:
          return &w.proj;
        case JitLinearKind::w12:
          return &w.w12;
        case JitLinearKind::w3:
          return &w.w3;
        case JitLinearKind::adaLN:
          return &w.adaLN_weight;
        default:
          return nullptr;
      }
    }
    switch (k) {
      case JitLinearKind::x_embed:
        return &model.x_embed_weight;
      case JitLinearKind::t_fc1:
        return &model.t_fc1_weight;
      case JitLinearKind::t_fc2:
        return &model.t_fc2_weight;
      case JitLinearKind::final_adaLN:
        return &model.final_adaLN_weight;
      case JitLinearKind::final_linear:
        return &model.final_linear_weight;
      default:
        return nullptr;
    }
  };
  for (int b = -1; b < depth; ++b)
    for (JitLinearKind k : jit_linear_kinds()) {
      const MatrixF* W = weight(b, k);
      if (!W) continue;
      auto st = std::make_unique<State>();
      st->stats.block = b;
      st->stats.kind = k;
      st->stats.quantized = config_.quantize[jit_kind_index(k)];
      if (st->stats.quantized)
        st->q = std::make_unique<JitQuantLinear>(*W, b, k, config_, calibration_);
      const std::size_t slot =
          static_cast<std::size_t>((b < 0 ? depth : b) * kJitLinearKinds) + jit_kind_index(k);
      states_[slot] = std::move(st);
    }
}

JitQuantHooks::~JitQuantHooks() = default;

JitQuantHooks::State* JitQuantHooks::state(int block, JitLinearKind kind) {
  const std::int64_t depth = model_.config.depth;
  if (block >= depth) return nullptr;
  return states_[static_cast<std::size_t>((block < 0 ? depth : block) * kJitLinearKinds) +
                 jit_kind_index(kind)]
      .get();
}

JitQuantLinear* JitQuantHooks::quantized_linear(int block, JitLinearKind kind) {
  State* s = state(block, kind);
  return s ? s->q.get() : nullptr;
}

void JitQuantHooks::begin_forward(const std::vector<float>& t) { t_ = t; }

namespace {

void add_stats(JitLinearStats& s, const numerics::BitSerialStats& b, const MatrixF& X,
               const numerics::BitSerialLinear& lin) {
  s.adc_conversions += b.conversions;
  s.adc_saturated += b.saturated;
  s.act_saturated += b.act_saturated;
  s.act_elements += X.size();
  s.mac_ops += b.mac_ops;
  s.max_range_x = std::max(s.max_range_x, b.range_x);
  const int a = lin.config().a_bits;
  s.min_a_bits = s.min_a_bits == 0 ? a : std::min(s.min_a_bits, a);
  s.max_a_bits = std::max(s.max_a_bits, a);
  s.w_bits = lin.config().w_bits;
  s.adc_bits = lin.config().adc.bits;
  s.n_slices = b.n_slices;
  s.n_row_tiles = b.n_tiles;
}

}  // namespace

void JitQuantHooks::linear(int block, JitLinearKind kind, const MatrixF& X, const MatrixF& W,
                           const float* bias, MatrixF& Y) {
  State* st = state(block, kind);
  if (!st || !st->q) {
    JitHooks::linear(block, kind, X, W, bias, Y);
    if (st) st->stats.elements += Y.size();
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::int64_t images = static_cast<std::int64_t>(t_.size());
  if (images <= 0 || X.rows() % images != 0)
    throw InvalidArgument("JiT quantized replay: linear " + jit_calibration_key(-1, block, kind) +
                          " has " + std::to_string(X.rows()) + " rows for " +
                          std::to_string(images) + " images (begin_forward not called?)");
  const std::int64_t per = X.rows() / images;
  const int K = config_.taq.enabled ? config_.taq.buckets : 0;
  std::vector<int> bucket(static_cast<std::size_t>(images));
  for (std::int64_t b = 0; b < images; ++b) bucket[b] = jit_timestep_bucket(t_[b], K);
  const bool uniform =
      std::all_of(bucket.begin(), bucket.end(), [&](int v) { return v == bucket[0]; });
  numerics::BitSerialStats bs;
  if (uniform) {
    st->q->forward(X, bias, bucket[0], Y, &bs);
    add_stats(st->stats, bs, X, st->q->select(bucket[0]));
  } else {
    Y.resize(X.rows(), W.rows());
    std::vector<int> order = bucket;
    std::sort(order.begin(), order.end());
    order.erase(std::unique(order.begin(), order.end()), order.end());
    for (int bk : order) {
      std::vector<std::int64_t> imgs;
      for (std::int64_t b = 0; b < images; ++b)
        if (bucket[b] == bk) imgs.push_back(b);
      st->x_part.resize(static_cast<std::int64_t>(imgs.size()) * per, X.cols());
      for (std::size_t i = 0; i < imgs.size(); ++i)
        st->x_part.middleRows(static_cast<std::int64_t>(i) * per, per) =
            X.middleRows(imgs[i] * per, per);
      st->q->forward(st->x_part, bias, bk, st->y_part, &bs);
      add_stats(st->stats, bs, st->x_part, st->q->select(bk));
      for (std::size_t i = 0; i < imgs.size(); ++i)
        Y.middleRows(imgs[i] * per, per) =
            st->y_part.middleRows(static_cast<std::int64_t>(i) * per, per);
    }
  }
  bitserial_seconds_ +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  st->stats.elements += Y.size();
  if (config_.measure_isolated) {
    numerics::linear_fp32(X, W, bias, st->reference);
    st->stats.isolated.add(st->reference.data(), Y.data(), Y.size());
  }
}

std::vector<JitLinearStats> JitQuantHooks::stats() const {
  std::vector<JitLinearStats> out;
  for (const auto& s : states_)
    if (s) out.push_back(s->stats);
  return out;
}

void JitQuantHooks::reset_stats() {
  for (auto& s : states_)
    if (s) s->stats.reset_counts();
}

}  // namespace cimba::workloads
