// The accuracy evaluation of the JiT quantized replay (evaluate_jit_quant, declared in
// jit_quant_replay.hpp): denoiser comparisons per timestep and the sampling comparison.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>

#include "models/common/error.hpp"
#include "workloads/jit/jit_eval.hpp"
#include "workloads/jit/jit_quant_replay.hpp"
#include "workloads/jit/jit_sampler.hpp"

namespace cimba::workloads {

using numerics::MatrixF;

double JitReplayRow::adc_saturation() const {
  return linear.adc_conversions ? double(linear.adc_saturated) / double(linear.adc_conversions)
                                : 0.0;
}

double JitReplayRow::act_saturation() const {
  return linear.act_elements ? double(linear.act_saturated) / double(linear.act_elements) : 0.0;
}

namespace {

// The observation point holding a linear's output (empty: none).
const char* output_point(JitLinearKind k) {
  switch (k) {
    case JitLinearKind::qkv:
      return "attn.qkv.out";
    case JitLinearKind::proj:
      return "attn.out";
    case JitLinearKind::w12:
      return "mlp.w12.out";
    case JitLinearKind::w3:
      return "mlp.w3.out";
    case JitLinearKind::adaLN:
      return "adaLN.out";
    case JitLinearKind::x_embed:
      return "x_embed.out";
    case JitLinearKind::t_fc2:
      return "t_embed.out";
    case JitLinearKind::final_adaLN:
      return "final.adaLN.out";
    case JitLinearKind::final_linear:
      return "final.out";
    default:
      return "";
  }
}

void merge(ErrorAccumulator& a, const ErrorAccumulator& b) {
  a.ref_sq += b.ref_sq;
  a.err_sq += b.err_sq;
  a.dot += b.dot;
  a.y_sq += b.y_sq;
  a.max_abs = std::max(a.max_abs, b.max_abs);
  a.n += b.n;
}

void merge(JitLinearStats& a, const JitLinearStats& b) {
  merge(a.isolated, b.isolated);
  a.quantized = b.quantized;
  a.elements += b.elements;
  a.adc_conversions += b.adc_conversions;
  a.adc_saturated += b.adc_saturated;
  a.act_saturated += b.act_saturated;
  a.act_elements += b.act_elements;
  a.mac_ops += b.mac_ops;
  a.w_bits = std::max(a.w_bits, b.w_bits);
  a.adc_bits = std::max(a.adc_bits, b.adc_bits);
  a.n_slices = std::max(a.n_slices, b.n_slices);
  a.n_row_tiles = std::max(a.n_row_tiles, b.n_row_tiles);
  if (b.min_a_bits)
    a.min_a_bits = a.min_a_bits ? std::min(a.min_a_bits, b.min_a_bits) : b.min_a_bits;
  a.max_a_bits = std::max(a.max_a_bits, b.max_a_bits);
  a.max_range_x = std::max(a.max_range_x, b.max_range_x);
}

// Row layout of one timestep: per block 5 linears + "out"; model level 5 linears + "pred_x".
const JitLinearKind kBlockKinds[] = {JitLinearKind::qkv, JitLinearKind::proj, JitLinearKind::w12,
                                     JitLinearKind::w3, JitLinearKind::adaLN};
const JitLinearKind kModelKinds[] = {JitLinearKind::x_embed, JitLinearKind::t_fc1,
                                     JitLinearKind::t_fc2, JitLinearKind::final_adaLN,
                                     JitLinearKind::final_linear};

// The empty report rows of timestep t (-1: over all timesteps) in the row layout.
std::vector<JitReplayRow> make_rows(const JitQuantConfig& config, int depth, double t) {
  std::vector<JitReplayRow> rows;
  for (int b = 0; b < depth; ++b) {
    for (JitLinearKind k : kBlockKinds) {
      JitReplayRow row;
      row.t = t;
      row.block = b;
      row.point = jit_linear_kind_name(k);
      row.is_linear = true;
      row.quantized = config.quantize[jit_kind_index(k)];
      row.linear.block = b;
      row.linear.kind = k;
      rows.push_back(row);
    }
    JitReplayRow out;
    out.t = t;
    out.block = b;
    out.point = "out";
    rows.push_back(out);
  }
  for (JitLinearKind k : kModelKinds) {
    JitReplayRow row;
    row.t = t;
    row.block = -1;
    row.point = jit_linear_kind_name(k);
    row.is_linear = true;
    row.quantized = config.quantize[jit_kind_index(k)];
    row.linear.kind = k;
    rows.push_back(row);
  }
  JitReplayRow px;
  px.t = t;
  px.point = "pred_x";
  rows.push_back(px);
  return rows;
}

// Index of the row of (block, point name) in one timestep's rows (-1: not a row).
int row_index(int depth, int block, const std::string& observed) {
  if (block >= 0) {
    if (observed == "out") return block * 6 + 5;
    for (int i = 0; i < 5; ++i)
      if (observed == output_point(kBlockKinds[i])) return block * 6 + i;
    return -1;
  }
  for (int i = 0; i < 5; ++i)
    if (observed == output_point(kModelKinds[i])) return depth * 6 + i;
  if (observed == "pred_x") return depth * 6 + 5;
  return -1;
}

// The evaluated images, their labels and the noise of z_t.
struct EvalInputs {
  MatrixF x;
  std::vector<std::int32_t> y;
  MatrixF noise;
};

// Runs the FP32 and the quantized denoiser at timestep t on every image, batch by batch, adding
// each row's end-to-end error; pred_fp32 / pred_q [n, image_numel] receive the x-predictions.
void compare_denoisers(const JitModel& model, JitQuantHooks& hooks, const EvalInputs& in,
                       const JitQuantEvalOptions& options, float t, std::vector<JitReplayRow>& rows,
                       MatrixF& pred_fp32, MatrixF& pred_q) {
  const int depth = static_cast<int>(model.config.depth);
  const std::int64_t n = options.images;
  const std::vector<float> ts(static_cast<std::size_t>(n), t);
  std::map<std::string, MatrixF> reference;
  JitForwardOptions fo;
  fo.observer = [&](int block, const std::string& point, const MatrixF& v) {
    if (row_index(depth, block, point) >= 0) reference[jit_activation_name(block, point)] = v;
  };
  // Batches are processed in order, so the reference of a batch is consumed by the same batch
  // of the quantized run: run both per batch.
  const std::int64_t bs = options.batch_size > 0 ? options.batch_size : n;
  for (std::int64_t b0 = 0; b0 < n; b0 += bs) {
    const std::int64_t m = std::min(bs, n - b0);
    const MatrixF xb = in.x.middleRows(b0, m), nb = in.noise.middleRows(b0, m);
    const std::vector<std::int32_t> yb(in.y.begin() + b0, in.y.begin() + b0 + m);
    const std::vector<float> tb(ts.begin() + b0, ts.begin() + b0 + m);
    reference.clear();
    const JitDenoiseResult ref = jit_denoise(model, xb, yb, tb, nb, fo);
    pred_fp32.middleRows(b0, m) = ref.pred_x;
    JitForwardOptions qo;
    qo.hooks = &hooks;
    qo.observer = [&](int block, const std::string& point, const MatrixF& v) {
      const int i = row_index(depth, block, point);
      if (i < 0) return;
      const MatrixF& rv = reference.at(jit_activation_name(block, point));
      rows[static_cast<std::size_t>(i)].end_to_end.add(rv.data(), v.data(), v.size());
    };
    const JitDenoiseResult q = jit_denoise(model, xb, yb, tb, nb, qo);
    pred_q.middleRows(b0, m) = q.pred_x;
  }
}

// Puts the hooks' per-linear statistics into their rows and lowers r.min_linear_sqnr_db to the
// worst isolated SQNR of a quantized linear.
void add_linear_stats(const JitQuantHooks& hooks, int depth, std::vector<JitReplayRow>& rows,
                      JitQuantEvalResult& r) {
  for (const JitLinearStats& s : hooks.stats()) {
    const int i = s.block >= 0 ? s.block * 6 + static_cast<int>(jit_kind_index(s.kind))
                               : depth * 6 + static_cast<int>(jit_kind_index(s.kind)) - 5;
    JitReplayRow& row = rows[static_cast<std::size_t>(i)];
    row.linear = s;
    row.isolated = s.isolated;
    if (s.quantized && s.isolated.n > 0)
      r.min_linear_sqnr_db = std::min(r.min_linear_sqnr_db, s.isolated.metrics().sqnr_db);
  }
}

// Adds one timestep's rows into the rows over all timesteps.
void merge_rows(std::vector<JitReplayRow>& total, const std::vector<JitReplayRow>& rows) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    merge(total[i].isolated, rows[i].isolated);
    merge(total[i].end_to_end, rows[i].end_to_end);
    if (rows[i].is_linear) merge(total[i].linear, rows[i].linear);
  }
}

// The sampling comparison: quantized against FP32 samples from the same noise and classes.
void compare_samples(const JitModel& model, const JitQuantConfig& config,
                     const JitCalibration* calibration, const JitQuantEvalOptions& options,
                     JitQuantEvalResult& r) {
  const JitConfig& c = model.config;
  std::vector<std::int32_t> classes(static_cast<std::size_t>(options.samples));
  for (std::int64_t i = 0; i < options.samples; ++i)
    classes[i] = static_cast<std::int32_t>(i % c.num_classes);
  JitSamplerOptions so;
  so.steps = options.sample_steps;
  so.cfg_scale = options.cfg_scale;
  const MatrixF fp32 = jit_sample(model, classes, options.sample_seed, so);
  JitQuantConfig qc = config;
  qc.measure_isolated = false;
  JitQuantHooks sample_hooks(model, qc, calibration);
  so.forward.hooks = &sample_hooks;
  const MatrixF quant = jit_sample(model, classes, options.sample_seed, so);
  r.samples = options.samples;
  r.sample_steps = options.sample_steps;
  r.sample_psnr_db = psnr_db(fp32, quant);
  ErrorAccumulator sa;
  sa.add(fp32.data(), quant.data(), fp32.size());
  r.sample_sqnr_db = sa.metrics().sqnr_db;
}

}  // namespace

JitQuantEvalResult evaluate_jit_quant(const JitModel& model, const MnistSet& mnist,
                                      const JitQuantConfig& config,
                                      const JitCalibration* calibration,
                                      const JitQuantEvalOptions& options) {
  const auto wall0 = std::chrono::steady_clock::now();
  if (options.images <= 0 || options.timesteps.empty())
    throw InvalidArgument("evaluate_jit_quant: needs images > 0 and at least one timestep");
  const JitConfig& c = model.config;
  const std::int64_t n = options.images;
  EvalInputs in;
  in.x = mnist_to_model_images(mnist.images, options.first_image, n, c.image_size,
                               static_cast<float>(c.pad_value));
  in.y = mnist_labels_range(mnist.labels, options.first_image, n);
  in.noise = jit_gaussian_noise(options.noise_seed, n, c.image_numel());

  JitQuantHooks hooks(model, config, calibration);
  JitQuantEvalResult r;
  const int depth = static_cast<int>(c.depth);
  std::vector<JitReplayRow> total = make_rows(config, depth, -1.0);
  double psnr_sum = 0.0;
  r.min_linear_sqnr_db = std::numeric_limits<double>::infinity();
  for (float t : options.timesteps) {
    std::vector<JitReplayRow> rows = make_rows(config, depth, t);
    MatrixF pred_fp32(n, c.image_numel()), pred_q(n, c.image_numel());
    hooks.reset_stats();
    compare_denoisers(model, hooks, in, options, t, rows, pred_fp32, pred_q);
    add_linear_stats(hooks, depth, rows, r);
    const double psnr = psnr_db(pred_fp32, pred_q);
    ErrorAccumulator pa;
    pa.add(pred_fp32.data(), pred_q.data(), pred_fp32.size());
    r.timesteps.push_back(t);
    r.pred_x_psnr_db.push_back(psnr);
    r.pred_x_sqnr_db.push_back(pa.metrics().sqnr_db);
    psnr_sum += psnr;
    merge_rows(total, rows);
    r.rows.insert(r.rows.end(), rows.begin(), rows.end());
  }
  r.rows.insert(r.rows.end(), total.begin(), total.end());
  r.mean_pred_x_psnr_db = psnr_sum / static_cast<double>(options.timesteps.size());

  if (options.samples > 0) compare_samples(model, config, calibration, options, r);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return r;
}

}  // namespace cimba::workloads
