#include "workloads/mamba1/quant_replay.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "models/common/error.hpp"
#include "models/numerics/observers.hpp"
#include "models/numerics/quantize.hpp"
#include "models/numerics/rng.hpp"
#include "workloads/mamba1/mamba_eval.hpp"

namespace cimba::workloads {

using numerics::MatrixF;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

const char* replay_block_name(ReplayBlock block) {
  switch (block) {
    case ReplayBlock::InProj:
      return "in_proj";
    case ReplayBlock::SsmInput:
      return "ssm_input";
    case ReplayBlock::XProj:
      return "x_proj";
    case ReplayBlock::DtProj:
      return "dt_proj";
    case ReplayBlock::Scan:
      return "ssm";
    case ReplayBlock::OutProj:
      return "out_proj";
    case ReplayBlock::Residual:
      return "residual";
    case ReplayBlock::LmHead:
      return "lm_head";
  }
  return "?";
}

int SsmInputQuantConfig::bits_per_element() const {
  return ssm_input_storage_bits(scheme, dual.value_bits);
}

void check_group_layout(std::int64_t d_inner, const SsmInputQuantConfig& c) {
  const std::string where =
      "SSM-input group layout (n_ssd_groups " + std::to_string(c.n_ssd_groups) + ", head_dim " +
      std::to_string(c.head_dim) + ", d_inner " + std::to_string(d_inner) + "): ";
  if (c.n_ssd_groups < 1 || c.head_dim < 1 || c.n_head_groups < 1 || c.n_dim_groups < 1)
    throw InvalidArgument(where + "every group count and head_dim must be >= 1");
  if (d_inner % c.n_ssd_groups != 0 || (d_inner / c.n_ssd_groups) % c.head_dim != 0)
    throw InvalidArgument(where + "head_dim must divide d_inner / n_ssd_groups = " +
                          std::to_string(d_inner / c.n_ssd_groups));
  const std::int64_t heads = d_inner / c.n_ssd_groups / c.head_dim;
  if (c.n_head_groups > heads)
    throw InvalidArgument(where + "n_head_groups " + std::to_string(c.n_head_groups) +
                          " exceeds the " + std::to_string(heads) + " heads per SSD group");
  if (c.n_dim_groups > c.head_dim)
    throw InvalidArgument(where + "n_dim_groups " + std::to_string(c.n_dim_groups) +
                          " exceeds head_dim");
}

bool QuantReplayConfig::needs_calibration() const {
  if (ssm_input.static_range && ssm_input.scheme != SsmInputScheme::Fp32) return true;
  for (int k = 0; k < kMambaLinearKinds; ++k) {
    if (!quantize[static_cast<std::size_t>(k)]) continue;
    if (static_range_x) return true;
    if (linear[static_cast<std::size_t>(k)].adc.range == numerics::AdcRange::Static) return true;
  }
  return false;
}

// ---- Hooks ----------------------------------------------------------------------------------

struct QuantReplayHooks::LinearState {
  LinearKind kind = LinearKind::InProj;
  std::unique_ptr<numerics::BitSerialLinear> layer;  // nullptr: FP32
  ErrorAccumulator isolated;
  std::int64_t elements = 0, conversions = 0, adc_saturated = 0, act_saturated = 0, mac_ops = 0;
  double max_range_x = 0.0;
  int n_slices = 0, n_tiles = 0;
};

struct QuantReplayHooks::SsmState {
  numerics::GroupTables tables;  // static group tables
  double int8_range = 0.0;
  numerics::DualScaleParams dual;
  ErrorAccumulator isolated;
  std::int64_t elements = 0, saturated = 0, outliers = 0;
  std::int64_t table_bytes = 0;
  int n_scales = 0;
};

QuantReplayHooks::~QuantReplayHooks() = default;

QuantReplayHooks::QuantReplayHooks(const MambaModel& model, const QuantReplayConfig& config,
                                   const MambaCalibration* calibration)
    : model_(model), config_(config) {
  const int n_layers = static_cast<int>(model.layers.size());
  if (config.needs_calibration()) {
    if (calibration == nullptr)
      throw InvalidArgument("quantized replay: a static range needs a calibration");
    if (calibration->layers.size() != model.layers.size())
      throw InvalidArgument("quantized replay: the calibration has " +
                            std::to_string(calibration->layers.size()) + " layers, the model " +
                            std::to_string(n_layers));
  }
  const std::int64_t Di = model.config.intermediate_size;
  if (config.ssm_input.scheme == SsmInputScheme::Group) check_group_layout(Di, config.ssm_input);

  linears_.resize(static_cast<std::size_t>((n_layers + 1) * kMambaLinearKinds));
  for (int l = 0; l <= n_layers; ++l) {
    for (int k = 0; k < kMambaLinearKinds; ++k) {
      const auto kind = static_cast<LinearKind>(k);
      if ((kind == LinearKind::LmHead) != (l == n_layers)) continue;
      auto s = std::make_unique<LinearState>();
      s->kind = kind;
      if (config.quantize[static_cast<std::size_t>(k)]) {
        numerics::BitSerialConfig bs = config.linear[static_cast<std::size_t>(k)];
        bs.noise_key = numerics::stream_key(config.seed, static_cast<std::uint64_t>(l),
                                            static_cast<std::uint64_t>(k));
        bs.range_x.reset();
        bs.acc_full_scale.clear();
        const int cal_layer = kind == LinearKind::LmHead ? -1 : l;
        if (config.static_range_x) bs.range_x = calibration->linear(cal_layer, kind).range_x;
        if (bs.adc.range == numerics::AdcRange::Static)
          bs.acc_full_scale = calibration->linear(cal_layer, kind).acc_full_scale;
        const MatrixF& W =
            kind == LinearKind::LmHead   ? model.lm_head_weight()
            : kind == LinearKind::InProj ? model.layers[static_cast<std::size_t>(l)].in_proj_weight
            : kind == LinearKind::XProj  ? model.layers[static_cast<std::size_t>(l)].x_proj_weight
            : kind == LinearKind::DtProj
                ? model.layers[static_cast<std::size_t>(l)].dt_proj_weight
                : model.layers[static_cast<std::size_t>(l)].out_proj_weight;
        try {
          s->layer = std::make_unique<numerics::BitSerialLinear>(W, bs);
        } catch (const InvalidArgument& e) {
          throw InvalidArgument(std::string(linear_kind_name(kind)) + " of layer " +
                                std::to_string(l) + ": " + e.what() +
                                (bs.adc.range == numerics::AdcRange::Static
                                     ? " (the calibration was made with other slicing settings?)"
                                     : ""));
        }
        s->n_slices = s->layer->plan().n_slices;
        s->n_tiles = s->layer->n_tiles();
      }
      linears_[static_cast<std::size_t>(l * kMambaLinearKinds + k)] = std::move(s);
    }
  }

  const SsmInputQuantConfig& sc = config.ssm_input;
  for (int l = 0; l < n_layers; ++l) {
    auto s = std::make_unique<SsmState>();
    switch (sc.scheme) {
      case SsmInputScheme::Fp32:
        break;
      case SsmInputScheme::Int8:
        s->table_bytes = 4;  // one fp32 scale
        s->n_scales = 1;
        break;
      case SsmInputScheme::Group:
        s->n_scales = sc.n_ssd_groups * sc.n_head_groups * sc.n_dim_groups;
        s->table_bytes =
            std::int64_t{4} * sc.n_ssd_groups * sc.n_head_groups * (1 + 2 * sc.n_dim_groups);
        break;
      case SsmInputScheme::DualScale:
        s->table_bytes = 8;  // scale1, scale2 (k a shift when a power of two)
        s->n_scales = 2;
        break;
    }
    if (sc.static_range && sc.scheme != SsmInputScheme::Fp32) {
      const SsmInputCalibration& cal = calibration->layers[static_cast<std::size_t>(l)].ssm_input;
      s->int8_range = cal.int8_range;
      s->dual = cal.dual;
      if (sc.scheme == SsmInputScheme::DualScale && cal.dual.value_bits != sc.dual.value_bits)
        throw InvalidArgument("dual-scale calibration has value_bits " +
                              std::to_string(cal.dual.value_bits) + ", the replay " +
                              std::to_string(sc.dual.value_bits));
      if (sc.scheme == SsmInputScheme::Group) {
        if (static_cast<std::int64_t>(cal.channel_absmax.size()) != Di)
          throw InvalidArgument("calibration of layer " + std::to_string(l) + " has " +
                                std::to_string(cal.channel_absmax.size()) +
                                " channel ranges, the model d_inner " + std::to_string(Di));
        s->tables = numerics::calibrate_group_scales(
            cal.channel_absmax, numerics::GroupLayout::for_mamba1(Di, sc.n_ssd_groups, sc.head_dim),
            sc.n_head_groups, sc.n_dim_groups, sc.grouping);
        s->table_bytes = s->tables.table_bytes();
      }
    }
    ssm_.push_back(std::move(s));
  }
}

QuantReplayHooks::LinearState& QuantReplayHooks::state(int layer, LinearKind kind) {
  const int n_layers = static_cast<int>(model_.layers.size());
  const int l = kind == LinearKind::LmHead ? n_layers : layer;
  if (l < 0 || l > n_layers)
    throw InvalidArgument("quantized replay: no layer " + std::to_string(layer));
  return *linears_[static_cast<std::size_t>(l * kMambaLinearKinds) + kind_index(kind)];
}

void QuantReplayHooks::linear(int layer, LinearKind kind, const MatrixF& X, const MatrixF& W,
                              const float* bias, MatrixF& Y) {
  LinearState& s = state(layer, kind);
  if (!s.layer) {
    numerics::linear_fp32(X, W, bias, Y);
    s.elements += Y.size();
    return;
  }
  if (W.rows() != s.layer->w_q().rows() || W.cols() != s.layer->w_q().cols())
    throw InvalidArgument(std::string("quantized replay: ") + linear_kind_name(kind) +
                          " weight shape differs from the programmed one");
  numerics::BitSerialStats st;
  const auto t0 = Clock::now();
  s.layer->forward_into(X, bias, Y, &st);
  bitserial_seconds_ += seconds_since(t0);
  s.elements += Y.size();
  s.conversions += st.conversions;
  s.adc_saturated += st.saturated;
  s.act_saturated += st.act_saturated;
  s.mac_ops += st.mac_ops;
  s.max_range_x = std::max(s.max_range_x, st.range_x);
  if (config_.measure_isolated) {
    // The FP32 result on the same input, in a scratch buffer released at once: no layer keeps a
    // whole-batch copy (replay memory stays that of one linear, whatever the window).
    numerics::linear_fp32(X, W, bias, scratch_);
    s.isolated.add(scratch_.data(), Y.data(), Y.size());
    release_scratch();
  }
}

void QuantReplayHooks::release_scratch() { scratch_ = MatrixF(); }

void QuantReplayHooks::conv_output(int layer, MatrixF& u) {
  SsmState& s = *ssm_.at(static_cast<std::size_t>(layer));
  const SsmInputQuantConfig& sc = config_.ssm_input;
  s.elements += u.size();
  if (sc.scheme == SsmInputScheme::Fp32) return;
  if (config_.measure_isolated) scratch_ = u;  // u before quantization
  const std::int64_t n = u.size();
  switch (sc.scheme) {
    case SsmInputScheme::Fp32:
      break;
    case SsmInputScheme::Int8: {
      const double range = sc.static_range ? s.int8_range : numerics::absmax(u.data(), n);
      s.saturated += numerics::fake_quantize_inplace(u.data(), n, range, 8).saturated;
      break;
    }
    case SsmInputScheme::Group: {
      if (sc.static_range) {
        s.saturated += numerics::group_fake_quantize(u.data(), u.rows(), s.tables, u.data());
      } else {
        std::vector<double> channel(static_cast<std::size_t>(u.cols()), 0.0);
        for (Eigen::Index r = 0; r < u.rows(); ++r)
          for (Eigen::Index c = 0; c < u.cols(); ++c)
            channel[static_cast<std::size_t>(c)] = std::max(channel[static_cast<std::size_t>(c)],
                                                            static_cast<double>(std::abs(u(r, c))));
        const numerics::GroupTables tables = numerics::calibrate_group_scales(
            channel, numerics::GroupLayout::for_mamba1(u.cols(), sc.n_ssd_groups, sc.head_dim),
            sc.n_head_groups, sc.n_dim_groups, sc.grouping);
        s.table_bytes = tables.table_bytes();
        s.saturated += numerics::group_fake_quantize(u.data(), u.rows(), tables, u.data());
      }
      break;
    }
    case SsmInputScheme::DualScale: {
      const numerics::DualScaleParams params =
          sc.static_range ? s.dual : numerics::calibrate_dual_scale(u.data(), n, sc.dual);
      const numerics::DualScaleStats st =
          numerics::dual_scale_fake_quantize(u.data(), n, params, u.data());
      s.saturated += st.saturated;
      s.outliers += st.outliers;
      break;
    }
  }
  if (config_.measure_isolated) {
    s.isolated.add(scratch_.data(), u.data(), n);
    release_scratch();
  }
}

const numerics::GroupTables* QuantReplayHooks::group_tables(int layer) const {
  if (config_.ssm_input.scheme != SsmInputScheme::Group || !config_.ssm_input.static_range)
    return nullptr;
  return &ssm_.at(static_cast<std::size_t>(layer))->tables;
}

std::vector<ReplayPoint> QuantReplayHooks::points() const {
  std::vector<ReplayPoint> out;
  const int n_layers = static_cast<int>(model_.layers.size());
  const std::int64_t Di = model_.config.intermediate_size;
  auto linear_point = [&](int layer, LinearKind kind, ReplayBlock block, const char* point) {
    const LinearState& s =
        *linears_[static_cast<std::size_t>((kind == LinearKind::LmHead ? n_layers : layer) *
                                           kMambaLinearKinds) +
                  kind_index(kind)];
    ReplayPoint p;
    p.layer = layer;
    p.block = block;
    p.point = point;
    p.elements = s.elements;
    if (s.layer) {
      const numerics::BitSerialConfig& bs = s.layer->config();
      p.quantized = true;
      p.has_isolated = config_.measure_isolated;
      p.isolated = s.isolated;
      p.saturated = s.act_saturated;
      p.w_bits = bs.w_bits;
      p.a_bits = bs.a_bits;
      p.adc_bits = bs.adc.range == numerics::AdcRange::Bypass ? 0 : bs.adc.bits;
      p.n_slices = s.n_slices;
      p.n_row_tiles = s.n_tiles;
      p.adc_conversions = s.conversions;
      p.adc_saturated = s.adc_saturated;
      p.mac_ops = s.mac_ops;
      p.range_x = bs.range_x ? *bs.range_x : s.max_range_x;
      p.range_w = s.layer->range_w();
    }

    return p;
  };
  for (int l = 0; l < n_layers; ++l) {
    out.push_back(linear_point(l, LinearKind::InProj, ReplayBlock::InProj, "in_proj.out"));
    {
      const SsmState& s = *ssm_[static_cast<std::size_t>(l)];
      const SsmInputQuantConfig& sc = config_.ssm_input;
      ReplayPoint p;
      p.layer = l;
      p.block = ReplayBlock::SsmInput;
      p.point = "conv1d.out";
      p.quantized = sc.scheme != SsmInputScheme::Fp32;
      p.has_isolated = p.quantized && config_.measure_isolated;
      p.isolated = s.isolated;
      p.elements = s.elements;
      p.saturated = s.saturated;
      p.outliers = s.outliers;
      p.bits_per_element = sc.bits_per_element();
      p.bytes_per_token = Di * p.bits_per_element / 8;
      p.scale_table_bytes = s.table_bytes;
      p.n_scales = s.n_scales;
      if (sc.scheme == SsmInputScheme::Int8 && sc.static_range) p.range_x = s.int8_range;
      if (sc.scheme == SsmInputScheme::DualScale && sc.static_range) p.range_x = s.dual.tau;
      out.push_back(p);
    }
    out.push_back(linear_point(l, LinearKind::XProj, ReplayBlock::XProj, "x_proj.out"));
    out.push_back(linear_point(l, LinearKind::DtProj, ReplayBlock::DtProj, "dt_proj.out"));
    ReplayPoint scan;
    scan.layer = l;
    scan.block = ReplayBlock::Scan;
    scan.point = "ssm.y";
    scan.quantized = config_.scan.exp_impl != numerics::ExpImpl::Exact;

    out.push_back(scan);
    out.push_back(linear_point(l, LinearKind::OutProj, ReplayBlock::OutProj, "mixer.out"));
    ReplayPoint residual;
    residual.layer = l;
    residual.block = ReplayBlock::Residual;
    residual.point = "block.out";

    out.push_back(residual);
  }
  out.push_back(linear_point(-1, LinearKind::LmHead, ReplayBlock::LmHead, "logits"));
  return out;
}

// ---- The replay loop ------------------------------------------------------------------------

namespace {

// The compared points a mixer emits, in the order of the report rows of a layer (residual
// last, compared by the loop itself); index into `rows` of the layer.
const char* const kMixerPoints[] = {"in_proj.out", "conv1d.out", "x_proj.out",
                                    "dt_proj.out", "ssm.y",      "mixer.out"};
constexpr int kRowsPerLayer = 7;

// Index of `point` in kMixerPoints (-1: not a compared point).
int point_index(const std::string& point) {
  for (int i = 0; i < 6; ++i)
    if (point == kMixerPoints[i]) return i;
  return -1;
}

// Sums the next-token losses of windows [first, first + nw) from their logits into `nats`.
void add_window_nats(const MatrixF& logits, const TokenWindows& windows, std::int64_t first,
                     std::int64_t nw, std::int64_t L, std::int64_t V, std::vector<double>& nats) {
  for (std::int64_t k = 0; k < nw; ++k) {
    const std::int32_t* target = windows.target(first + k);
    double sum = 0.0;
    for (std::int64_t t = 0; t < L; ++t)
      sum += token_nll(logits.data() + (k * L + t) * V, V, target[t]);
    nats[static_cast<std::size_t>(first + k)] = sum;
  }
}

// One replay: the FP32 reference and the quantized model side by side over the windows.
class QuantReplayRun {
 public:
  // Builds the quantized model's hooks (InvalidArgument as QuantReplayHooks) and the observers.
  QuantReplayRun(const MambaModel& model, const TokenWindows& windows,
                 const QuantReplayConfig& config, const MambaCalibration* calibration)
      : model_(model),
        windows_(windows),
        config_(config),
        hooks_(model, config, calibration),
        c_(model.config),
        n_layers_(static_cast<int>(model.layers.size())),
        L_(windows.window),
        V_(c_.vocab_size),
        e2e_(static_cast<std::size_t>(n_layers_ * kRowsPerLayer + 1)),
        reference_(6),
        scan_approx_(config.scan.exp_impl != numerics::ExpImpl::Exact),
        exact_scan_(numerics::ScanConfig{}),
        scan_isolated_(static_cast<std::size_t>(n_layers_)) {
    r_.windows = windows.count;
    r_.predicted_tokens = windows.predicted_tokens();
    r_.fp32_window_nats.assign(static_cast<std::size_t>(windows.count), 0.0);
    r_.window_nats.assign(static_cast<std::size_t>(windows.count), 0.0);
    set_observers();
  }

  // Runs every batch of windows, then the losses and the report rows.
  QuantReplayResult run() {
    for (std::int64_t first = 0; first < windows_.count; first += config_.batch_windows)
      run_batch(first);
    finish();
    return r_;
  }

 private:
  // The reference keeps its compared points; the quantized model compares against them.
  void set_observers() {
    ref_options_.observer = [this](int, const std::string& point, const MatrixF& value) {
      const int i = point_index(point);
      if (i >= 0) reference_[static_cast<std::size_t>(i)] = value;
    };
    q_options_.hooks = &hooks_;
    q_options_.scan = config_.scan;
    q_options_.observer = [this](int, const std::string& point, const MatrixF& value) {
      observe_quantized(point, value);
    };
  }

  // A point of the quantized mixer: its end-to-end error (and the scan's isolated error).
  void observe_quantized(const std::string& point, const MatrixF& value) {
    // An approximated scan (pwl / lut) is also compared with the exact scan on the quantized
    // model's own scan inputs (its isolated error): keep them as the mixer emits them.
    if (scan_approx_) {
      if (point == "in_proj.out") q_xz_ = value;
      if (point == "conv1d.out") q_u_ = value;
      if (point == "x_proj.out") q_xp_ = value;
      if (point == "dt_proj.out") q_dt_ = value;
      if (point == "ssm.y") compare_exact_scan(value);
    }
    const int i = point_index(point);
    if (i < 0) return;
    const MatrixF& ref = reference_[static_cast<std::size_t>(i)];
    e2e_[static_cast<std::size_t>(current_layer_ * kRowsPerLayer + i)].add(ref.data(), value.data(),
                                                                           value.size());
  }

  // Runs the exact scan on the quantized model's scan inputs and compares `y` with it.
  void compare_exact_scan(const MatrixF& value) {
    const MambaLayerWeights& w = model_.layers[static_cast<std::size_t>(current_layer_)];
    const std::int64_t Di = c_.intermediate_size, N = c_.state_size, R = c_.time_step_rank,
                       XP = c_.x_proj_size();
    y_exact_.resize(value.rows(), value.cols());
    gated_.resize(value.rows(), value.cols());
    for (std::int64_t b = 0; b < batch_now_; ++b) {
      const std::int64_t row0 = b * L_;
      numerics::ScanSequence s;
      s.d_inner = Di;
      s.d_state = N;
      s.length = L_;
      s.u = {q_u_.data() + row0 * Di, 1, Di};
      s.delta_raw = {q_dt_.data() + row0 * Di, 1, Di};
      s.z = {q_xz_.data() + row0 * 2 * Di + Di, 1, 2 * Di};
      s.Bm = {q_xp_.data() + row0 * XP + R, 1, XP};
      s.Cm = {q_xp_.data() + row0 * XP + R + N, 1, XP};
      s.A_log = w.A_log.data();
      s.Dv = w.D.data();
      s.out = gated_.data() + row0 * Di;
      s.y_out = y_exact_.data() + row0 * Di;
      s.out_row_stride = 1;
      s.out_time_stride = Di;
      numerics::selective_scan(s, exact_scan_);
    }
    scan_isolated_[static_cast<std::size_t>(current_layer_)].add(y_exact_.data(), value.data(),
                                                                 value.size());
  }

  // One batch of windows from `first`: embeddings, every layer, then the losses of both models.
  void run_batch(std::int64_t first) {
    const std::int64_t nw = std::min(config_.batch_windows, windows_.count - first);
    const std::int64_t T = nw * L_;
    const std::int32_t* tokens = windows_.input(first);
    batch_now_ = nw;
    auto t0 = Clock::now();
    embed(tokens, T);
    h_q_ = h_ref_;
    r_.fp32_seconds += seconds_since(t0);
    for (int l = 0; l < n_layers_; ++l) run_layer(l, nw);
    t0 = Clock::now();
    numerics::rms_norm(h_ref_, model_.norm_f, c_.layer_norm_epsilon, n_ref_);
    numerics::linear_fp32(n_ref_, model_.lm_head_weight(), nullptr, logits_ref_);
    add_window_nats(logits_ref_, windows_, first, nw, L_, V_, r_.fp32_window_nats);
    r_.fp32_seconds += seconds_since(t0);
    t0 = Clock::now();
    numerics::rms_norm(h_q_, model_.norm_f, c_.layer_norm_epsilon, n_q_);
    hooks_.linear(-1, LinearKind::LmHead, n_q_, model_.lm_head_weight(), nullptr, logits_q_);
    e2e_.back().add(logits_ref_.data(), logits_q_.data(), logits_q_.size());
    add_window_nats(logits_q_, windows_, first, nw, L_, V_, r_.window_nats);
    r_.quantized_seconds += seconds_since(t0);
  }

  // h_ref = the embeddings of the T tokens (InvalidArgument for a token outside the vocabulary).
  void embed(const std::int32_t* tokens, std::int64_t T) {
    h_ref_.resize(T, c_.hidden_size);
    for (std::int64_t t = 0; t < T; ++t) {
      const std::int32_t id = tokens[t];
      if (id < 0 || id >= V_)
        throw InvalidArgument("quantized replay: token " + std::to_string(id) +
                              " outside the vocabulary");
      h_ref_.row(t) = model_.embeddings.row(id);
    }
  }

  // Block l of both models on a batch of nw windows, and the residual's end-to-end error.
  void run_layer(int l, std::int64_t nw) {
    current_layer_ = l;
    const MambaLayerWeights& w = model_.layers[static_cast<std::size_t>(l)];
    auto t0 = Clock::now();
    numerics::rms_norm(h_ref_, w.norm, c_.layer_norm_epsilon, n_ref_);
    mamba_mixer_forward(model_, l, n_ref_, nw, L_, ref_options_, m_ref_);
    h_ref_ += m_ref_;
    r_.fp32_seconds += seconds_since(t0);
    t0 = Clock::now();
    numerics::rms_norm(h_q_, w.norm, c_.layer_norm_epsilon, n_q_);
    mamba_mixer_forward(model_, l, n_q_, nw, L_, q_options_, m_q_);
    h_q_ += m_q_;
    e2e_[static_cast<std::size_t>(l * kRowsPerLayer + 6)].add(h_ref_.data(), h_q_.data(),
                                                              h_q_.size());
    r_.quantized_seconds += seconds_since(t0);
  }

  // The mean losses and the report rows with their end-to-end (and scan isolated) errors.
  void finish() {
    double total_ref = 0.0, total_q = 0.0;
    for (std::size_t k = 0; k < r_.window_nats.size(); ++k) {  // fixed order
      total_ref += r_.fp32_window_nats[k];
      total_q += r_.window_nats[k];
    }
    r_.fp32_nats_per_token = total_ref / static_cast<double>(r_.predicted_tokens);
    r_.nats_per_token = total_q / static_cast<double>(r_.predicted_tokens);
    r_.points = hooks_.points();
    for (std::size_t i = 0; i < r_.points.size(); ++i) {
      r_.points[i].end_to_end = e2e_[i];
      if (r_.points[i].elements == 0) r_.points[i].elements = e2e_[i].n;
      if (r_.points[i].block == ReplayBlock::Scan && scan_approx_) {
        r_.points[i].has_isolated = true;
        r_.points[i].isolated = scan_isolated_[static_cast<std::size_t>(r_.points[i].layer)];
      }
    }
    r_.bitserial_seconds = hooks_.bitserial_seconds();
  }

  const MambaModel& model_;
  const TokenWindows& windows_;
  const QuantReplayConfig& config_;
  QuantReplayHooks hooks_;
  const MambaConfig& c_;
  const int n_layers_;
  const std::int64_t L_, V_;           // window length, vocabulary
  std::vector<ErrorAccumulator> e2e_;  // [n_layers * kRowsPerLayer + 1] (lm_head last)
  QuantReplayResult r_;
  std::vector<MatrixF> reference_;  // the reference's compared points of the current layer
  int current_layer_ = 0;
  MambaForwardOptions ref_options_, q_options_;
  const bool scan_approx_;  // the quantized model's scan is approximated (pwl / lut)
  const numerics::ScanFunctions exact_scan_;
  std::vector<ErrorAccumulator> scan_isolated_;  // per layer
  MatrixF q_xz_, q_u_, q_xp_, q_dt_, y_exact_, gated_;
  std::int64_t batch_now_ = 0;  // windows in the current batch
  MatrixF h_ref_, h_q_, n_ref_, n_q_, m_ref_, m_q_, logits_ref_, logits_q_;
};

}  // namespace

QuantReplayResult run_quant_replay(const MambaModel& model, const TokenWindows& windows,
                                   const QuantReplayConfig& config,
                                   const MambaCalibration* calibration) {
  if (windows.count <= 0 || windows.window <= 0)
    throw InvalidArgument("quantized replay needs at least one window");
  if (config.batch_windows < 1) throw InvalidArgument("batch_windows must be >= 1");
  return QuantReplayRun(model, windows, config, calibration).run();
}

}  // namespace cimba::workloads
