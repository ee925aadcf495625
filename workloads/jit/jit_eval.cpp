#include "workloads/jit/jit_eval.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "models/common/error.hpp"
#include "models/numerics/rng.hpp"
#include "workloads/io/safetensors.hpp"

namespace cimba::workloads {

using numerics::MatrixF;

namespace {

bool is_float(DType d) {
  return d == DType::F32 || d == DType::F16 || d == DType::BF16 || d == DType::F64;
}

}  // namespace

std::vector<GoldenRow> verify_jit_golden(const JitModel& model, const std::filesystem::path& golden,
                                         double tolerance) {
  const JitConfig& c = model.config;
  const SafetensorsFile file = SafetensorsFile::read(golden);
  const std::string where = golden.string() + ": ";
  for (const char* name : {"input.z", "input.t", "input.y"})
    if (!file.contains(name)) throw FormatError(where + "no tensor '" + name + "'");
  const Tensor& zt = file.at("input.z");
  if (zt.shape.size() != 4 || zt.shape[0] <= 0 || zt.shape[1] != c.in_channels ||
      zt.shape[2] != c.image_size || zt.shape[3] != c.image_size)
    throw FormatError(where + "'input.z' has shape " + shape_string(zt.shape) + ", expected [B, " +
                      std::to_string(c.in_channels) + ", " + std::to_string(c.image_size) + ", " +
                      std::to_string(c.image_size) + "]");
  if (!is_float(zt.dtype)) throw FormatError(where + "'input.z' is not a float tensor");
  const std::int64_t B = zt.shape[0];
  const std::vector<std::int64_t> batch_shape{B};
  const Tensor& tt = file.at("input.t");
  if (tt.shape != batch_shape || !is_float(tt.dtype))
    throw FormatError(where + "'input.t' has shape " + shape_string(tt.shape) + " and dtype " +
                      dtype_name(tt.dtype) + ", expected a float tensor " +
                      shape_string(batch_shape));
  const Tensor& yt = file.at("input.y");
  if (yt.shape != batch_shape || is_float(yt.dtype))
    throw FormatError(where + "'input.y' has shape " + shape_string(yt.shape) + " and dtype " +
                      dtype_name(yt.dtype) + ", expected an integer tensor " +
                      shape_string(batch_shape));
  const std::vector<float> z_values = zt.to_f32();
  const MatrixF z = numerics::ConstMapF(z_values.data(), B, c.image_numel());
  const std::vector<float> t = tt.to_f32();
  std::vector<std::int32_t> y;
  for (std::int64_t v : yt.to_i64()) {
    if (v < 0 || v > c.num_classes)
      throw FormatError(where + "'input.y' holds label " + std::to_string(v) + " outside 0.." +
                        std::to_string(c.num_classes));
    y.push_back(static_cast<std::int32_t>(v));
  }

  std::map<std::string, bool> known;  // every name the forward produces
  for (const auto& p : jit_model_points_before_blocks()) known[p] = true;
  for (int i = 0; i < c.depth; ++i)
    for (const auto& p : jit_block_points()) known[jit_activation_name(i, p)] = true;
  for (const auto& p : jit_model_points_after_blocks()) known[p] = true;
  std::vector<std::string> unknown;
  for (const auto& name : file.names())
    if (name.rfind("input.", 0) != 0 && !known.count(name)) unknown.push_back(name);
  for (const auto& name : file.names())
    if (name.rfind("input.", 0) == 0 && name != "input.z" && name != "input.t" &&
        name != "input.y" && name != "input.x_clean" && name != "input.noise")
      unknown.push_back(name);
  if (!unknown.empty()) {
    std::string list;
    for (const auto& n : unknown) list += (list.empty() ? "'" : ", '") + n + "'";
    throw FormatError(where + "unknown golden tensor(s) " + list +
                      " (expected input.{z,t,y,x_clean,noise}, patches, t_embed.out, c, "
                      "x_embed.out, blocks.{0.." +
                      std::to_string(c.depth - 1) +
                      "}.{adaLN.out, attn.in, attn.qkv.out, attn.proj.in, attn.out, mlp.in, "
                      "mlp.w12.out, mlp.w3.in, mlp.w3.out, out}, final.adaLN.out, final.in, "
                      "final.out, pred_x, pred_v)");
  }

  std::vector<GoldenRow> rows;
  JitForwardOptions options;
  options.observer = [&](int block, const std::string& point, const MatrixF& value) {
    const std::string name = jit_activation_name(block, point);
    if (!file.contains(name)) return;
    const std::vector<std::int64_t> expected = jit_golden_shape(
        c, B, point, point == "pred_x" || point == "pred_v" ? c.image_numel() : value.cols());
    rows.push_back(compare_golden_tensor(where, file.at(name), value.data(), expected, tolerance));
  };
  jit_forward(model, z, t, y, options);
  return rows;
}

std::vector<GoldenRow> verify_jit_golden(const std::filesystem::path& model_dir,
                                         const std::filesystem::path& golden, double tolerance) {
  return verify_jit_golden(load_jit(model_dir), golden, tolerance);
}

MatrixF jit_gaussian_noise(std::uint64_t seed, std::int64_t rows, std::int64_t cols,
                           std::int64_t first_row) {
  if (rows < 0 || cols < 0 || first_row < 0)
    throw InvalidArgument("jit_gaussian_noise: negative size");
  MatrixF noise(rows, cols);
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::uint64_t key = numerics::stream_key(seed, 0x4a69546e /* "JiTn" */,
                                                   static_cast<std::uint64_t>(first_row + r));
    for (std::int64_t k = 0; k < cols; ++k)
      noise(r, k) = static_cast<float>(numerics::normal_at(key, static_cast<std::uint64_t>(k)));
  }
  return noise;
}

std::vector<float> jit_logit_normal_timesteps(std::uint64_t seed, std::int64_t count, double p_mean,
                                              double p_std) {
  if (count < 0 || !(p_std >= 0.0)) throw InvalidArgument("jit_logit_normal_timesteps: bad args");
  const std::uint64_t key = numerics::stream_key(seed, 0x4a695474 /* "JiTt" */);
  std::vector<float> t(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    const double u = p_mean + p_std * numerics::normal_at(key, static_cast<std::uint64_t>(i));
    t[i] = static_cast<float>(1.0 / (1.0 + std::exp(-u)));
  }
  return t;
}

MatrixF jit_noisy_images(const MatrixF& x, const std::vector<float>& t, const MatrixF& noise) {
  if (noise.rows() != x.rows() || noise.cols() != x.cols() ||
      static_cast<std::size_t>(x.rows()) != t.size())
    throw InvalidArgument("jit_noisy_images: " + std::to_string(x.rows()) + "x" +
                          std::to_string(x.cols()) + " images, " + std::to_string(noise.rows()) +
                          "x" + std::to_string(noise.cols()) + " noise and " +
                          std::to_string(t.size()) + " timesteps");
  MatrixF z(x.rows(), x.cols());
  for (std::int64_t b = 0; b < x.rows(); ++b)
    z.row(b) = t[b] * x.row(b) + (1.0f - t[b]) * noise.row(b);
  return z;
}

JitDenoiseResult jit_denoise(const JitModel& model, const MatrixF& x_clean,
                             const std::vector<std::int32_t>& y, const std::vector<float>& t,
                             const MatrixF& noise, const JitForwardOptions& options,
                             std::int64_t batch_size) {
  if (static_cast<std::size_t>(x_clean.rows()) != y.size())
    throw InvalidArgument("jit_denoise: " + std::to_string(x_clean.rows()) + " images but " +
                          std::to_string(y.size()) + " labels");
  if (batch_size < 0) throw InvalidArgument("jit_denoise: batch_size must be >= 0");
  JitDenoiseResult r;
  r.z = jit_noisy_images(x_clean, t, noise);
  const std::int64_t B = x_clean.rows();
  const std::int64_t step = batch_size == 0 ? std::max<std::int64_t>(B, 1) : batch_size;
  r.pred_x.resize(B, x_clean.cols());
  for (std::int64_t b0 = 0; b0 < B; b0 += step) {
    const std::int64_t n = std::min(step, B - b0);
    const std::vector<float> tb(t.begin() + b0, t.begin() + b0 + n);
    const std::vector<std::int32_t> yb(y.begin() + b0, y.begin() + b0 + n);
    r.pred_x.middleRows(b0, n) = jit_forward(model, r.z.middleRows(b0, n), tb, yb, options);
  }
  r.pred_v = jit_velocity(model.config, r.pred_x, r.z, t);
  return r;
}

double mean_squared_error(const MatrixF& ref, const MatrixF& test) {
  if (ref.rows() != test.rows() || ref.cols() != test.cols())
    throw InvalidArgument("mean_squared_error: " + std::to_string(ref.rows()) + "x" +
                          std::to_string(ref.cols()) + " vs " + std::to_string(test.rows()) + "x" +
                          std::to_string(test.cols()));
  if (ref.size() == 0) throw InvalidArgument("mean_squared_error: empty inputs");
  double sum = 0.0;
  for (Eigen::Index i = 0; i < ref.size(); ++i) {
    const double d = static_cast<double>(ref.data()[i]) - test.data()[i];
    sum += d * d;
  }
  return sum / static_cast<double>(ref.size());
}

double psnr_db(const MatrixF& ref, const MatrixF& test, double peak) {
  if (!(peak > 0.0)) throw InvalidArgument("psnr_db: peak must be positive");
  const double mse = mean_squared_error(ref, test);
  if (mse == 0.0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(peak * peak / mse);
}

}  // namespace cimba::workloads
