#include "workloads/mamba1/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "models/common/error.hpp"
#include "workloads/io/safetensors.hpp"

namespace cimba::workloads {

using numerics::MatrixF;

const LinearCalibration& MambaCalibration::linear(int layer, LinearKind kind) const {
  if (kind == LinearKind::LmHead) return lm_head;
  return layers.at(static_cast<std::size_t>(layer)).linear.at(kind_index(kind));
}

LinearCalibration& MambaCalibration::linear(int layer, LinearKind kind) {
  if (kind == LinearKind::LmHead) return lm_head;
  return layers.at(static_cast<std::size_t>(layer)).linear.at(kind_index(kind));
}

namespace {

constexpr LinearKind kKinds[kMambaLinearKinds] = {LinearKind::InProj, LinearKind::XProj,
                                                  LinearKind::DtProj, LinearKind::OutProj,
                                                  LinearKind::LmHead};

/// Observers of one linear: its input range and its ADC full scales [slice][tile].
struct LinearObservers {
  std::unique_ptr<numerics::Observer> range;
  std::unique_ptr<numerics::BitSerialLinear> probe;  // weights quantized once
  std::vector<std::vector<numerics::Observer>> acc;
};

/// Observers of the whole model; slot n_layers holds the lm_head.
class CalibrationHooks : public MambaHooks {
 public:
  /// `windows`: the calibration windows the forward passes will show (every SSM input is
  /// observed once: the dual-scale percentile is taken over all of them).
  CalibrationHooks(const MambaModel& model, const MambaCalibrationOptions& options,
                   const TokenWindows& windows, bool observe_ranges, bool observe_acc,
                   const MambaCalibration* ranges)
      : options_(options),
        window_(windows.window),
        observe_ranges_(observe_ranges),
        observe_acc_(observe_acc),
        ranges_(ranges) {
    const auto n_layers = static_cast<int>(model.layers.size());
    linears_.resize(static_cast<std::size_t>(n_layers + 1));
    for (int l = 0; l <= n_layers; ++l) {
      for (LinearKind kind : kKinds) {
        if ((kind == LinearKind::LmHead) != (l == n_layers)) continue;
        const numerics::BitSerialConfig& bs = options.linear[kind_index(kind)];
        LinearObservers& o = linears_[static_cast<std::size_t>(l)][kind_index(kind)];
        numerics::ObserverConfig oc = options.observer;
        oc.bits = bs.a_bits;
        o.range = std::make_unique<numerics::Observer>(oc);
        if (observe_acc) {
          numerics::BitSerialConfig probe_config = bs;
          probe_config.adc.range = numerics::AdcRange::Dynamic;  // partial sums before the ADC
          probe_config.range_x.reset();
          probe_config.acc_full_scale.clear();
          o.probe =
              std::make_unique<numerics::BitSerialLinear>(weight(model, l, kind), probe_config);
          oc.bits = bs.adc.bits;
          o.acc.assign(
              static_cast<std::size_t>(o.probe->plan().n_slices),
              std::vector<numerics::Observer>(static_cast<std::size_t>(o.probe->n_adc_terms()),
                                              numerics::Observer(oc)));
        }
      }
    }
    if (observe_ranges) {
      const std::int64_t Di = model.config.intermediate_size;
      ssm_.resize(static_cast<std::size_t>(n_layers));
      numerics::ObserverConfig oc = options.observer;
      oc.bits = 8;
      const std::int64_t values = windows.count * windows.window * Di;
      for (auto& s : ssm_) {
        s.int8 = std::make_unique<numerics::Observer>(oc);
        s.channel_absmax.assign(static_cast<std::size_t>(Di), 0.0);
        s.dual = std::make_unique<numerics::DualScaleCalibrator>(options.dual, values);
      }
    }
  }

  void linear(int layer, LinearKind kind, const MatrixF& X, const MatrixF& W, const float* bias,
              MatrixF& Y) override {
    const std::size_t slot =
        kind == LinearKind::LmHead ? linears_.size() - 1 : static_cast<std::size_t>(layer);
    LinearObservers& o = linears_[slot][kind_index(kind)];
    const std::int64_t windows = X.rows() / window_;
    if (observe_ranges_) {
      for (std::int64_t w = 0; w < windows; ++w)
        o.range->observe(X.data() + w * window_ * X.cols(), window_ * X.cols());
    }
    if (observe_acc_) {
      // The replay quantizes a whole forward batch with one range: the calibrated one, or
      // max|X| of the batch.
      const double range_x = options_.static_range_x ? ranges_->linear(layer, kind).range_x
                                                     : numerics::absmax(X.data(), X.size());
      for (std::int64_t w = 0; w < windows; ++w) {
        const MatrixF rows = X.middleRows(w * window_, window_);
        o.probe->visit_partial_sums(rows, range_x, [&](int s, int term, const MatrixF& P) {
          o.acc[static_cast<std::size_t>(s)][static_cast<std::size_t>(term)].observe(P.data(),
                                                                                     P.size());
        });
      }
    }
    numerics::linear_fp32(X, W, bias, Y);
  }

  void conv_output(int layer, MatrixF& u) override {
    if (!observe_ranges_) return;
    SsmObservers& s = ssm_[static_cast<std::size_t>(layer)];
    const std::int64_t windows = u.rows() / window_, C = u.cols();
    for (std::int64_t w = 0; w < windows; ++w)
      s.int8->observe(u.data() + w * window_ * C, window_ * C);
    for (std::int64_t r = 0; r < u.rows(); ++r) {
      const float* row = u.data() + r * C;
      for (std::int64_t c = 0; c < C; ++c)
        s.channel_absmax[static_cast<std::size_t>(c)] = std::max(
            s.channel_absmax[static_cast<std::size_t>(c)], static_cast<double>(std::abs(row[c])));
    }
    s.dual->observe(u.data(), u.size());
  }

  /// Writes what was observed into `out`.
  void finish(MambaCalibration& out) const {
    const std::size_t n_layers = linears_.size() - 1;
    for (std::size_t l = 0; l <= n_layers; ++l) {
      for (LinearKind kind : kKinds) {
        if ((kind == LinearKind::LmHead) != (l == n_layers)) continue;
        const LinearObservers& o = linears_[l][kind_index(kind)];
        LinearCalibration& c = out.linear(static_cast<int>(l), kind);
        if (observe_ranges_) c.range_x = o.range->range();
        if (observe_acc_) {
          c.acc_full_scale.assign(o.acc.size(), {});
          for (std::size_t s = 0; s < o.acc.size(); ++s)
            for (const auto& obs : o.acc[s]) c.acc_full_scale[s].push_back(obs.range());
        }
      }
    }
    if (observe_ranges_) {
      for (std::size_t l = 0; l < n_layers; ++l) {
        const SsmObservers& s = ssm_[l];
        SsmInputCalibration& c = out.layers[l].ssm_input;
        c.int8_range = s.int8->range();
        c.channel_absmax = s.channel_absmax;
        c.dual = s.dual->finish();
      }
    }
  }

 private:
  struct SsmObservers {
    std::unique_ptr<numerics::Observer> int8;
    std::vector<double> channel_absmax;
    // The dual-scale percentile over every u seen, holding only the values beyond it.
    std::unique_ptr<numerics::DualScaleCalibrator> dual;
  };

  static const MatrixF& weight(const MambaModel& model, int layer, LinearKind kind) {
    if (kind == LinearKind::LmHead) return model.lm_head_weight();
    const MambaLayerWeights& w = model.layers[static_cast<std::size_t>(layer)];
    switch (kind) {
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

  const MambaCalibrationOptions& options_;
  std::int64_t window_;
  bool observe_ranges_, observe_acc_;
  const MambaCalibration* ranges_;
  std::vector<std::array<LinearObservers, kMambaLinearKinds>> linears_;
  std::vector<SsmObservers> ssm_;
};

void run_windows(const MambaModel& model, const TokenWindows& windows, std::int64_t batch_windows,
                 MambaHooks& hooks) {
  MambaForwardOptions forward;
  forward.hooks = &hooks;
  for (std::int64_t first = 0; first < windows.count; first += batch_windows) {
    const std::int64_t n = std::min(batch_windows, windows.count - first);
    mamba_forward(model, windows.input(first), n, windows.window, forward);
  }
}

// ---- File format ----------------------------------------------------------------------------

constexpr const char* kFormat = "cimba-mamba-calibration-1";

void add_linear(std::vector<Tensor>& out, const std::string& prefix, const LinearCalibration& c) {
  out.push_back(make_tensor_f64(prefix + ".range_x", {1}, {c.range_x}));
  std::vector<double> flat;
  const std::int64_t slices = static_cast<std::int64_t>(c.acc_full_scale.size());
  const std::int64_t tiles = slices ? static_cast<std::int64_t>(c.acc_full_scale[0].size()) : 0;
  for (const auto& row : c.acc_full_scale) flat.insert(flat.end(), row.begin(), row.end());
  out.push_back(make_tensor_f64(prefix + ".acc_full_scale", {slices, tiles}, flat));
}

LinearCalibration read_linear(const SafetensorsFile& file, const std::string& prefix) {
  LinearCalibration c;
  c.range_x = file.f64_scalar(prefix + ".range_x");
  std::vector<std::int64_t> shape;
  const std::vector<double> flat = file.f64_values(prefix + ".acc_full_scale", &shape);
  if (shape.size() != 2)
    throw FormatError(file.path().string() + ": '" + prefix + ".acc_full_scale' has shape " +
                      shape_string(shape) + ", expected [slices, weight columns x row tiles]");
  for (std::int64_t s = 0; s < shape[0]; ++s)
    c.acc_full_scale.emplace_back(flat.begin() + s * shape[1], flat.begin() + (s + 1) * shape[1]);
  return c;
}

std::string layer_prefix(std::size_t layer) { return "layers." + std::to_string(layer); }

std::int64_t metadata_int(const SafetensorsFile& file, const std::string& key) {
  const auto it = file.metadata().find(key);
  if (it == file.metadata().end())
    throw FormatError(file.path().string() + ": calibration metadata has no '" + key + "'");
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {
    throw FormatError(file.path().string() + ": calibration metadata '" + key + "' = '" +
                      it->second + "' is not an integer");
  }
}

}  // namespace

MambaCalibration calibrate_mamba(const MambaModel& model, const TokenWindows& windows,
                                 const MambaCalibrationOptions& options) {
  if (windows.count <= 0 || windows.window <= 0)
    throw InvalidArgument("calibration needs at least one window");
  if (options.batch_windows < 1) throw InvalidArgument("calibration batch_windows must be >= 1");
  MambaCalibration out;
  out.layers.resize(model.layers.size());
  out.windows = windows.count;
  out.tokens = windows.predicted_tokens();
  if (options.static_range_x) {
    // Pass 1: ranges; pass 2: ADC full scales on activations quantized with those ranges.
    {
      CalibrationHooks ranges(model, options, windows, true, false, nullptr);
      run_windows(model, windows, options.batch_windows, ranges);
      ranges.finish(out);
    }
    CalibrationHooks acc(model, options, windows, false, true, &out);
    run_windows(model, windows, options.batch_windows, acc);
    acc.finish(out);
  } else {
    CalibrationHooks both(model, options, windows, true, true, nullptr);
    run_windows(model, windows, options.batch_windows, both);
    both.finish(out);
  }
  return out;
}

void save_calibration(const MambaCalibration& c, const std::filesystem::path& path) {
  std::vector<Tensor> tensors;
  static const char* names[4] = {"in_proj", "x_proj", "dt_proj", "out_proj"};
  int value_bits = 0;
  for (std::size_t l = 0; l < c.layers.size(); ++l) {
    const MambaLayerCalibration& layer = c.layers[l];
    for (std::size_t k = 0; k < 4; ++k)
      add_linear(tensors, layer_prefix(l) + "." + names[k], layer.linear[k]);
    const SsmInputCalibration& s = layer.ssm_input;
    const std::string p = layer_prefix(l) + ".ssm_input";
    tensors.push_back(make_tensor_f64(p + ".int8_range", {1}, {s.int8_range}));
    tensors.push_back(make_tensor_f64(p + ".channel_absmax",
                                      {static_cast<std::int64_t>(s.channel_absmax.size())},
                                      s.channel_absmax));
    tensors.push_back(make_tensor_f64(p + ".dual_scale", {4},
                                      {s.dual.tau, s.dual.scale1, s.dual.k, s.dual.scale2}));
    value_bits = s.dual.value_bits;
  }
  add_linear(tensors, "lm_head", c.lm_head);
  std::map<std::string, std::string> meta{{"format", kFormat},
                                          {"n_layers", std::to_string(c.layers.size())},
                                          {"windows", std::to_string(c.windows)},
                                          {"tokens", std::to_string(c.tokens)},
                                          {"dual_scale_value_bits", std::to_string(value_bits)}};
  for (const auto& [key, value] : c.fingerprint) meta["fingerprint." + key] = value;
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);  // write_safetensors reports
  }
  write_safetensors(path, tensors, meta);
}

MambaCalibration load_calibration(const std::filesystem::path& path) {
  const SafetensorsFile file = SafetensorsFile::read(path);
  const auto format = file.metadata().find("format");
  if (format == file.metadata().end() || format->second != kFormat)
    throw FormatError(path.string() + ": not a cimba Mamba calibration file (metadata format " +
                      (format == file.metadata().end() ? "missing" : "'" + format->second + "'") +
                      ", expected '" + kFormat + "')");
  MambaCalibration c;
  const std::int64_t n_layers = metadata_int(file, "n_layers");
  if (n_layers < 0) throw FormatError(path.string() + ": negative n_layers");
  c.windows = metadata_int(file, "windows");
  c.tokens = metadata_int(file, "tokens");
  const int value_bits = static_cast<int>(metadata_int(file, "dual_scale_value_bits"));
  static const char* names[4] = {"in_proj", "x_proj", "dt_proj", "out_proj"};
  c.layers.resize(static_cast<std::size_t>(n_layers));
  for (std::size_t l = 0; l < c.layers.size(); ++l) {
    for (std::size_t k = 0; k < 4; ++k)
      c.layers[l].linear[k] = read_linear(file, layer_prefix(l) + "." + names[k]);
    SsmInputCalibration& s = c.layers[l].ssm_input;
    const std::string p = layer_prefix(l) + ".ssm_input";
    s.int8_range = file.f64_scalar(p + ".int8_range");
    s.channel_absmax = file.f64_values(p + ".channel_absmax");
    const std::vector<double> d = file.f64_values(p + ".dual_scale");
    if (d.size() != 4)
      throw FormatError(path.string() + ": '" + p + ".dual_scale' has " + std::to_string(d.size()) +
                        " values, expected 4 (tau, scale1, k, scale2)");
    s.dual.value_bits = value_bits;
    s.dual.tau = d[0];
    s.dual.scale1 = d[1];
    s.dual.k = d[2];
    s.dual.scale2 = d[3];
  }
  c.lm_head = read_linear(file, "lm_head");
  const std::string prefix = "fingerprint.";
  for (const auto& [key, value] : file.metadata())
    if (key.compare(0, prefix.size(), prefix) == 0)
      c.fingerprint[key.substr(prefix.size())] = value;
  return c;
}

}  // namespace cimba::workloads
