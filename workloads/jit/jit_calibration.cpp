#include "workloads/jit/jit_calibration.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <set>

#include "models/common/error.hpp"
#include "models/numerics/quantize.hpp"
#include "workloads/jit/jit_eval.hpp"
#include "workloads/jit/jit_forward.hpp"
#include "models/numerics/fp32_ops.hpp"
#include "workloads/io/safetensors.hpp"

namespace cimba::workloads {

using numerics::MatrixF;

namespace {

enum class Phase { Ranges, ShiftedRanges, Bits, Adc };

struct BitsError {
  std::vector<double> err_sq;  // per candidate
  double ref_sq = 0.0;
};

class CalibrationHooks : public JitHooks {
 public:
  CalibrationHooks(const JitModel& model, const JitQuantConfig& config,
                   const JitCalibrationOptions& options, JitCalibration& cal)
      : model_(model), config_(config), options_(options), cal_(cal) {}

  Phase phase = Phase::Ranges;

  void begin_forward(const std::vector<float>& t) override { t_ = t; }

  void linear(int block, JitLinearKind kind, const MatrixF& X, const MatrixF& W, const float* bias,
              MatrixF& Y) override {
    if (config_.quantize[jit_kind_index(kind)]) observe(block, kind, X, W);
    numerics::linear_fp32(X, W, bias, Y);
  }

  bool shifted(int block, JitLinearKind kind) const {
    return config_.taq.enabled && config_.taq.channel_shift && kind == JitLinearKind::w3 &&
           block >= 0;
  }

  // Finishes a pass: ranges into the calibration, bits chosen, full scales stored.
  void finish(Phase p) {
    if (p == Phase::Ranges || p == Phase::ShiftedRanges)
      for (auto& [key, obs] : range_obs_) cal_.linears[key].range_x = obs.range();
    if (p == Phase::Ranges) {
      for (auto& [block, s] : shift_) {
        std::vector<float> f(s.size());
        for (std::size_t i = 0; i < s.size(); ++i) f[i] = static_cast<float>(s[i]);
        cal_.w3_shift[static_cast<std::size_t>(block)] = f;
      }
    }
    if (p == Phase::Bits) {
      const auto& cand = config_.taq.bits;
      for (auto& [key, e] : bits_err_) {
        int chosen = cand.back();
        for (std::size_t i = 0; i < cand.size(); ++i) {
          const double sqnr = e.err_sq[i] == 0.0 ? std::numeric_limits<double>::infinity()
                                                 : 10.0 * std::log10(e.ref_sq / e.err_sq[i]);
          if (sqnr >= config_.taq.target_sqnr_db) {
            chosen = cand[i];
            break;
          }
        }
        cal_.linears[key].a_bits = chosen;
      }
    }
    if (p == Phase::Adc) {
      for (auto& [key, per_slice] : adc_obs_) {
        auto& fs = cal_.linears[key].acc_full_scale;
        fs.assign(per_slice.size(), {});
        for (std::size_t s = 0; s < per_slice.size(); ++s)
          for (const auto& o : per_slice[s]) fs[s].push_back(o.range());
      }
    }
  }

 private:
  numerics::ObserverConfig observer_for(int bits) const {
    numerics::ObserverConfig o = options_.observer;
    o.bits = bits;
    return o;
  }

  int range_bits(JitLinearKind kind) const {
    return config_.taq.enabled ? config_.taq.bits.back()
                               : config_.linear[jit_kind_index(kind)].a_bits;
  }

  // The bit-serial settings of (bucket, block, kind) as the replay will use them (ADC dynamic:
  // only the partial sums are visited).
  numerics::BitSerialConfig bitserial_config(int bucket, int block, JitLinearKind kind) const {
    numerics::BitSerialConfig c = config_.linear[jit_kind_index(kind)];
    if (config_.taq.enabled) {
      const JitLinearCalibration& e = cal_.at(bucket, block, kind);
      c.a_bits = e.a_bits > 0 ? e.a_bits : c.a_bits;
      if (c.a_bits <= c.slice_bits) {
        c.slice_bits = c.a_bits;
        c.overlap_bits = 0;
      }
    }
    c.range_x.reset();
    c.acc_full_scale.clear();
    c.adc.range = numerics::AdcRange::Dynamic;
    c.adc.noise_lsb = 0.0;
    c.adc.enob = 0.0;
    return c;
  }

  void observe_part(int bucket, int block, JitLinearKind kind, const MatrixF& Xs,
                    const MatrixF& W) {
    const std::string key = jit_calibration_key(bucket, block, kind);
    switch (phase) {
      case Phase::Ranges:
      case Phase::ShiftedRanges: {
        auto it = range_obs_.find(key);
        if (it == range_obs_.end())
          it = range_obs_.emplace(key, numerics::Observer(observer_for(range_bits(kind)))).first;
        it->second.observe(Xs.data(), Xs.size());
        break;
      }
      case Phase::Bits: {
        const auto& cand = config_.taq.bits;
        BitsError& e = bits_err_[key];
        e.err_sq.resize(cand.size(), 0.0);
        const double range = config_.static_range_x ? cal_.at(bucket, block, kind).range_x
                                                    : numerics::absmax(Xs.data(), Xs.size());
        const float* sh = shifted(block, kind) ? cal_.w3_shift[block].data() : nullptr;
        const std::int64_t K = Xs.cols();
        for (std::int64_t i = 0; i < Xs.size(); ++i) {
          const double x = Xs.data()[i] + (sh ? sh[i % K] : 0.0f);
          e.ref_sq += x * x;
        }
        for (std::size_t j = 0; j < cand.size(); ++j) {
          const auto q = numerics::Quantizer::from_range(range, cand[j]);
          double err = 0.0;
          for (std::int64_t i = 0; i < Xs.size(); ++i) {
            const double v = Xs.data()[i];
            const double d = v - static_cast<double>(q.level(v)) * q.scale;
            err += d * d;
          }
          e.err_sq[j] += err;
        }
        break;
      }
      case Phase::Adc: {
        const numerics::BitSerialConfig bc = bitserial_config(bucket, block, kind);
        const numerics::BitSerialLinear lin(W, bc);
        const double range = config_.static_range_x ? cal_.at(bucket, block, kind).range_x
                                                    : numerics::absmax(Xs.data(), Xs.size());
        auto& obs = adc_obs_[key];
        if (obs.empty())
          obs.assign(
              static_cast<std::size_t>(lin.plan().n_slices),
              std::vector<numerics::Observer>(
                  static_cast<std::size_t>(lin.n_adc_terms()),
                  numerics::Observer(observer_for(config_.linear[jit_kind_index(kind)].adc.bits))));
        lin.visit_partial_sums(Xs, range, [&](int s, int t, const MatrixF& P) {
          obs[static_cast<std::size_t>(s)][static_cast<std::size_t>(t)].observe(P.data(), P.size());
        });
        break;
      }
    }
  }

  void observe(int block, JitLinearKind kind, const MatrixF& X, const MatrixF& W) {
    const bool shift = shifted(block, kind);
    const numerics::BitSerialConfig& lc = config_.linear[jit_kind_index(kind)];
    if (phase == Phase::Adc && lc.adc.range != numerics::AdcRange::Static) return;
    if (phase == Phase::Bits && !config_.taq.enabled) return;
    if (phase == Phase::ShiftedRanges && !shift) return;
    if (phase == Phase::Ranges && shift) {  // EMA of the per-channel midpoint
      const std::int64_t K = X.cols();
      std::vector<double> mid(static_cast<std::size_t>(K));
      for (std::int64_t k = 0; k < K; ++k) {
        const auto col = X.col(k);
        mid[k] = (static_cast<double>(col.minCoeff()) + static_cast<double>(col.maxCoeff())) / 2;
      }
      auto it = shift_.find(block);
      if (it == shift_.end()) {
        shift_[block] = mid;
      } else {
        const double m = config_.taq.shift_momentum;
        for (std::int64_t k = 0; k < K; ++k) it->second[k] = m * it->second[k] + (1 - m) * mid[k];
      }
      return;
    }
    const MatrixF* Xs = &X;
    if (shift) {
      const std::vector<float>& sh = cal_.w3_shift[static_cast<std::size_t>(block)];
      shifted_ = X;
      for (std::int64_t r = 0; r < X.rows(); ++r)
        for (std::int64_t k = 0; k < X.cols(); ++k) shifted_(r, k) = X(r, k) - sh[k];
      Xs = &shifted_;
    }
    // The all-timestep entry (not for TaQ's bits and ADC passes, which are per bucket).
    if (!(config_.taq.enabled && (phase == Phase::Bits || phase == Phase::Adc)))
      observe_part(-1, block, kind, *Xs, W);
    if (!config_.taq.enabled) return;
    const std::int64_t images = static_cast<std::int64_t>(t_.size());
    const std::int64_t per = Xs->rows() / images;
    std::map<int, std::vector<std::int64_t>> by_bucket;
    for (std::int64_t b = 0; b < images; ++b)
      by_bucket[jit_timestep_bucket(t_[b], config_.taq.buckets)].push_back(b);
    for (const auto& [bucket, imgs] : by_bucket) {
      part_.resize(static_cast<std::int64_t>(imgs.size()) * per, Xs->cols());
      for (std::size_t i = 0; i < imgs.size(); ++i)
        part_.middleRows(static_cast<std::int64_t>(i) * per, per) =
            Xs->middleRows(imgs[i] * per, per);
      observe_part(bucket, block, kind, part_, W);
    }
  }

  const JitModel& model_;
  const JitQuantConfig& config_;
  const JitCalibrationOptions& options_;
  JitCalibration& cal_;
  std::vector<float> t_;
  std::map<std::string, numerics::Observer> range_obs_;
  std::map<int, std::vector<double>> shift_;
  std::map<std::string, BitsError> bits_err_;
  std::map<std::string, std::vector<std::vector<numerics::Observer>>> adc_obs_;
  MatrixF shifted_, part_;
};

// Buckets without calibration images take the entry of the nearest bucket that has one (`filled`
// remembers which entries are copies, so a later pass refreshes them).
void fill_empty_buckets(JitCalibration& cal, const JitQuantConfig& config,
                        std::set<std::string>& filled) {
  const int K = cal.buckets;
  for (const std::string& key : filled) cal.linears.erase(key);
  for (int block = -1; block < cal.depth; ++block)
    for (JitLinearKind kind : jit_linear_kinds()) {
      if (!config.quantize[jit_kind_index(kind)] || (block >= 0) != jit_linear_in_block(kind))
        continue;
      std::vector<int> have;
      for (int b = 0; b < K; ++b)
        if (cal.find(b, block, kind)) have.push_back(b);
      if (have.empty()) continue;
      for (int b = 0; b < K; ++b) {
        if (cal.find(b, block, kind) && !filled.count(jit_calibration_key(b, block, kind)))
          continue;
        int best = have[0];
        for (int h : have)
          if (std::abs(h - b) < std::abs(best - b)) best = h;
        const std::string key = jit_calibration_key(b, block, kind);
        cal.linears[key] = *cal.find(best, block, kind);
        filled.insert(key);
      }
    }
}

std::string fingerprint_of(const numerics::BitSerialConfig& c) {
  // The encodings of NUMERICS.md 2.7 / 2.8 appear only when they differ from the defaults, so
  // that files calibrated before they existed (with the defaults) still match.
  std::string encodings;
  if (c.input_encoding != numerics::InputEncoding::TwosComplement)
    encodings += std::string(" in:") + numerics::to_string(c.input_encoding);
  if (c.weight_slice_bits > 0)
    encodings +=
        " wc" + std::to_string(c.weight_slice_bits) + ":" + numerics::to_string(c.weight_encoding);
  const char* range = c.adc.range == numerics::AdcRange::Static    ? "static"
                      : c.adc.range == numerics::AdcRange::Dynamic ? "dynamic"
                                                                   : "bypass";
  return "w" + std::to_string(c.w_bits) + " a" + std::to_string(c.a_bits) + " s" +
         std::to_string(c.slice_bits) + " o" + std::to_string(c.overlap_bits) + " r" +
         std::to_string(c.rows_per_adc) + " adc" + std::to_string(c.adc.bits) + " " + range +
         " clip" + std::to_string(c.w_clip_pct) + encodings;
}

}  // namespace

JitCalibration calibrate_jit(const JitModel& model, const MnistSet& mnist,
                             const JitQuantConfig& config, const JitCalibrationOptions& options) {
  if (options.images <= 0 || options.batch_size <= 0)
    throw InvalidArgument("calibrate_jit: images and batch_size must be positive");
  if (config.taq.enabled) {
    if (config.taq.buckets <= 0 || config.taq.bits.empty())
      throw InvalidArgument("calibrate_jit: TaQ-DiT needs buckets > 0 and candidate bits");
    if (!std::is_sorted(config.taq.bits.begin(), config.taq.bits.end()))
      throw InvalidArgument("calibrate_jit: workload.jit.taq.bits must be ascending");
  }
  const JitConfig& c = model.config;
  const std::int64_t n = options.images;
  const MatrixF x = mnist_to_model_images(mnist.images, options.first_image, n, c.image_size,
                                          static_cast<float>(c.pad_value));
  std::vector<std::int32_t> y = mnist_labels_range(mnist.labels, options.first_image, n);
  if (options.null_class_every > 0)
    for (std::int64_t i = 0; i < n; ++i)
      if (i % options.null_class_every == options.null_class_every - 1)
        y[i] = static_cast<std::int32_t>(c.null_class());
  std::vector<float> t;
  if (options.timesteps == JitCalibrationTimesteps::LogitNormal) {
    t = jit_logit_normal_timesteps(options.seed, n, options.p_mean, options.p_std);
  } else {
    for (std::int64_t i = 0; i < n; ++i)
      t.push_back(static_cast<float>((static_cast<double>(i) + 0.5) / static_cast<double>(n)));
  }
  const MatrixF noise = jit_gaussian_noise(options.seed, n, c.image_numel());
  const MatrixF z = jit_noisy_images(x, t, noise);

  JitCalibration cal;
  cal.depth = c.depth;
  cal.buckets = config.taq.enabled ? config.taq.buckets : 0;
  cal.w3_shift.assign(static_cast<std::size_t>(c.depth), {});
  cal.images = n;
  cal.batches = (n + options.batch_size - 1) / options.batch_size;
  CalibrationHooks hooks(model, config, options, cal);
  JitForwardOptions fo;
  fo.hooks = &hooks;
  auto pass = [&](Phase p) {
    hooks.phase = p;
    for (std::int64_t b0 = 0; b0 < n; b0 += options.batch_size) {
      const std::int64_t m = std::min(options.batch_size, n - b0);
      const std::vector<float> tb(t.begin() + b0, t.begin() + b0 + m);
      const std::vector<std::int32_t> yb(y.begin() + b0, y.begin() + b0 + m);
      jit_forward(model, z.middleRows(b0, m), tb, yb, fo);
    }
    hooks.finish(p);
  };
  bool any_static_adc = false;
  for (std::size_t k = 0; k < config.quantize.size(); ++k)
    any_static_adc |=
        config.quantize[k] && config.linear[k].adc.range == numerics::AdcRange::Static;
  const bool shift = config.taq.enabled && config.taq.channel_shift;
  pass(Phase::Ranges);
  if (shift) pass(Phase::ShiftedRanges);
  std::set<std::string> filled;
  if (config.taq.enabled) {
    fill_empty_buckets(cal, config, filled);
    pass(Phase::Bits);
    fill_empty_buckets(cal, config, filled);
  }
  if (any_static_adc) {
    pass(Phase::Adc);
    if (config.taq.enabled) fill_empty_buckets(cal, config, filled);
  }
  std::string empty;
  for (const std::string& key : filled)
    if (key.rfind("bucket", 0) == 0 && key.find(".blocks.0.attn.qkv") != std::string::npos)
      empty += (empty.empty() ? "" : ",") + key.substr(6, key.find('.') - 6);

  auto& fp = cal.fingerprint;
  for (JitLinearKind k : jit_linear_kinds())
    if (config.quantize[jit_kind_index(k)])
      fp[std::string("quant.layers.") + jit_linear_key_name(k)] =
          fingerprint_of(config.linear[jit_kind_index(k)]);
  fp["quant.activations.static"] = config.static_range_x ? "true" : "false";
  fp["workload.jit.taq.enabled"] = config.taq.enabled ? "true" : "false";
  if (config.taq.enabled) {
    fp["workload.jit.taq.buckets"] = std::to_string(config.taq.buckets);
    std::string bits;
    for (int b : config.taq.bits) bits += (bits.empty() ? "" : ",") + std::to_string(b);
    fp["workload.jit.taq.bits"] = bits;
    fp["workload.jit.taq.target_sqnr_db"] = std::to_string(config.taq.target_sqnr_db);
    fp["workload.jit.taq.channel_shift"] = config.taq.channel_shift ? "true" : "false";
  }
  fp["calibration.images"] = std::to_string(n);
  fp["calibration.seed"] = std::to_string(options.seed);
  if (!empty.empty()) fp["calibration.empty_buckets"] = empty;
  return cal;
}

// ---- File format ----------------------------------------------------------------------------

namespace {

constexpr const char* kFormat = "cimba-jit-calibration-1";

std::int64_t metadata_int(const SafetensorsFile& file, const std::string& key) {
  const auto it = file.metadata().find(key);
  if (it == file.metadata().end())
    throw FormatError(file.path().string() + ": JiT calibration metadata has no '" + key + "'");
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {
    throw FormatError(file.path().string() + ": JiT calibration metadata '" + key + "' = '" +
                      it->second + "' is not an integer");
  }
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

void save_jit_calibration(const JitCalibration& cal, const std::filesystem::path& path) {
  std::vector<Tensor> tensors;
  for (const auto& [key, e] : cal.linears) {
    tensors.push_back(make_tensor_f64(key + ".range_x", {1}, {e.range_x}));
    tensors.push_back(make_tensor_f64(key + ".a_bits", {1}, {static_cast<double>(e.a_bits)}));
    if (!e.acc_full_scale.empty()) {
      std::vector<double> flat;
      for (const auto& row : e.acc_full_scale) flat.insert(flat.end(), row.begin(), row.end());
      tensors.push_back(make_tensor_f64(key + ".acc_full_scale",
                                        {static_cast<std::int64_t>(e.acc_full_scale.size()),
                                         static_cast<std::int64_t>(e.acc_full_scale[0].size())},
                                        flat));
    }
  }
  for (std::size_t b = 0; b < cal.w3_shift.size(); ++b)
    if (!cal.w3_shift[b].empty())
      tensors.push_back(make_tensor_f32("blocks." + std::to_string(b) + ".mlp.w3.shift",
                                        {static_cast<std::int64_t>(cal.w3_shift[b].size())},
                                        cal.w3_shift[b]));
  std::map<std::string, std::string> meta{{"format", kFormat},
                                          {"depth", std::to_string(cal.depth)},
                                          {"buckets", std::to_string(cal.buckets)},
                                          {"images", std::to_string(cal.images)},
                                          {"batches", std::to_string(cal.batches)}};
  for (const auto& [k, v] : cal.fingerprint) meta["fingerprint." + k] = v;
  write_safetensors(path, tensors, meta);
}

JitCalibration load_jit_calibration(const std::filesystem::path& path) {
  const SafetensorsFile file = SafetensorsFile::read(path);
  const auto fmt = file.metadata().find("format");
  if (fmt == file.metadata().end() || fmt->second != kFormat)
    throw FormatError(path.string() + ": not a JiT calibration file (metadata format is not " +
                      kFormat + ")");
  JitCalibration cal;
  cal.depth = metadata_int(file, "depth");
  cal.buckets = static_cast<int>(metadata_int(file, "buckets"));
  cal.images = metadata_int(file, "images");
  cal.batches = metadata_int(file, "batches");
  for (const auto& [k, v] : file.metadata())
    if (k.rfind("fingerprint.", 0) == 0) cal.fingerprint[k.substr(12)] = v;
  cal.w3_shift.assign(static_cast<std::size_t>(std::max<std::int64_t>(0, cal.depth)), {});
  for (const std::string& name : file.names()) {
    if (ends_with(name, ".range_x")) {
      const std::string key = name.substr(0, name.size() - 8);
      JitLinearCalibration e;
      e.range_x = file.f64_scalar(name);
      e.a_bits = static_cast<int>(file.f64_scalar(key + ".a_bits"));
      if (file.contains(key + ".acc_full_scale")) {
        std::vector<std::int64_t> shape;
        const std::vector<double> flat = file.f64_values(key + ".acc_full_scale", &shape);
        if (shape.size() != 2)
          throw FormatError(path.string() + ": '" + key + ".acc_full_scale' has shape " +
                            shape_string(shape) +
                            ", expected [slices, weight columns x row tiles]");
        for (std::int64_t s = 0; s < shape[0]; ++s)
          e.acc_full_scale.emplace_back(flat.begin() + s * shape[1],
                                        flat.begin() + (s + 1) * shape[1]);
      }
      cal.linears[key] = e;
    } else if (ends_with(name, ".mlp.w3.shift")) {
      const std::int64_t b = std::stoll(name.substr(7, name.find('.', 7) - 7));
      if (b < 0 || b >= cal.depth)
        throw FormatError(path.string() + ": '" + name + "' names a block outside the depth " +
                          std::to_string(cal.depth));
      cal.w3_shift[static_cast<std::size_t>(b)] = file.f32(name);
    } else if (!ends_with(name, ".a_bits") && !ends_with(name, ".acc_full_scale")) {
      throw FormatError(path.string() + ": unknown JiT calibration tensor '" + name + "'");
    }
  }
  return cal;
}

}  // namespace cimba::workloads
