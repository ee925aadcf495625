#include "workloads/jit/jit_sampler.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "models/common/error.hpp"
#include "workloads/jit/jit_eval.hpp"

namespace cimba::workloads {

using numerics::MatrixF;

namespace {

// Guided velocity for z [B, D] at timestep t: one forward of B (no guidance) or 2B images.
MatrixF guided_velocity(const JitModel& model, const MatrixF& z, float t,
                        const std::vector<std::int32_t>& classes,
                        const JitSamplerOptions& options) {
  const JitConfig& c = model.config;
  const std::int64_t B = z.rows();
  const bool guided = options.cfg_scale != 1.0;
  if (!guided) {
    const std::vector<float> ts(static_cast<std::size_t>(B), t);
    return jit_velocity(c, jit_forward(model, z, ts, classes, options.forward), z, ts);
  }
  MatrixF zz(2 * B, z.cols());
  zz.topRows(B) = z;
  zz.bottomRows(B) = z;
  std::vector<std::int32_t> yy(classes);
  yy.resize(static_cast<std::size_t>(2 * B), static_cast<std::int32_t>(c.null_class()));
  const std::vector<float> ts(static_cast<std::size_t>(2 * B), t);
  const MatrixF v = jit_velocity(c, jit_forward(model, zz, ts, yy, options.forward), zz, ts);
  const float scale = static_cast<float>(options.cfg_scale);
  MatrixF out = v.bottomRows(B);
  out += scale * (v.topRows(B) - v.bottomRows(B));
  return out;
}

// One independent group of images through the whole sampler.
MatrixF sample_group(const JitModel& model, const MatrixF& noise,
                     const std::vector<std::int32_t>& classes, const JitSamplerOptions& options,
                     bool report_trajectory) {
  const int N = options.steps;
  std::vector<float> ts(static_cast<std::size_t>(N) + 1);
  for (int i = 0; i <= N; ++i) ts[i] = static_cast<float>(static_cast<double>(i) / N);
  MatrixF z = noise;
  if (report_trajectory) options.trajectory(0, ts[0], z);
  for (int i = 0; i < N; ++i) {
    const float t = ts[i], t_next = ts[i + 1], dt = t_next - t;
    const MatrixF v = guided_velocity(model, z, t, classes, options);
    if (i == N - 1) {  // last step: Euler
      z += dt * v;
    } else {  // Heun
      const MatrixF z_euler = z + dt * v;
      const MatrixF v_next = guided_velocity(model, z_euler, t_next, classes, options);
      z += dt * (0.5f * (v + v_next));
    }
    if (report_trajectory) options.trajectory(i + 1, t_next, z);
  }
  return z;
}

}  // namespace

std::int64_t jit_sampler_network_calls(const JitSamplerOptions& options) {
  return (2 * static_cast<std::int64_t>(options.steps) - 1) * (options.cfg_scale != 1.0 ? 2 : 1);
}

MatrixF jit_sample(const JitModel& model, const MatrixF& noise,
                   const std::vector<std::int32_t>& classes, const JitSamplerOptions& options) {
  const JitConfig& c = model.config;
  if (options.steps < 1) throw InvalidArgument("jit_sample: steps must be >= 1");
  if (!std::isfinite(options.cfg_scale)) throw InvalidArgument("jit_sample: cfg_scale not finite");
  if (options.batch_size < 0) throw InvalidArgument("jit_sample: batch_size must be >= 0");
  if (noise.cols() != c.image_numel() || static_cast<std::size_t>(noise.rows()) != classes.size())
    throw InvalidArgument("jit_sample: noise is " + std::to_string(noise.rows()) + "x" +
                          std::to_string(noise.cols()) + " for " + std::to_string(classes.size()) +
                          " classes; expected rows of " + std::to_string(c.image_numel()));
  for (auto y : classes)
    if (y < 0 || y > c.num_classes)
      throw InvalidArgument("jit_sample: class " + std::to_string(y) + " outside 0.." +
                            std::to_string(c.num_classes));
  const std::int64_t B = noise.rows();
  const std::int64_t group =
      options.batch_size == 0 ? std::max<std::int64_t>(B, 1) : options.batch_size;
  // The trajectory callback sees whole-batch states, so it needs a single group.
  if (options.trajectory && group < B)
    throw InvalidArgument("jit_sample: a trajectory callback needs batch_size 0 or >= batch");
  MatrixF out(B, noise.cols());
  for (std::int64_t b0 = 0; b0 < B; b0 += group) {
    const std::int64_t n = std::min(group, B - b0);
    const std::vector<std::int32_t> cls(classes.begin() + b0, classes.begin() + b0 + n);
    out.middleRows(b0, n) = sample_group(model, noise.middleRows(b0, n), cls, options,
                                         static_cast<bool>(options.trajectory));
  }
  if (options.clamp_output) out = out.cwiseMax(-1.0f).cwiseMin(1.0f);
  return out;
}

MatrixF jit_sample(const JitModel& model, const std::vector<std::int32_t>& classes,
                   std::uint64_t seed, const JitSamplerOptions& options) {
  return jit_sample(model,
                    jit_gaussian_noise(seed, static_cast<std::int64_t>(classes.size()),
                                       model.config.image_numel()),
                    classes, options);
}

void write_png_gray8(const std::filesystem::path& path, std::int64_t width, std::int64_t height,
                     const std::vector<std::uint8_t>& pixels) {
  if (width <= 0 || height <= 0 || pixels.size() != static_cast<std::size_t>(width * height))
    throw InvalidArgument("write_png_gray8: " + std::to_string(pixels.size()) + " pixels for " +
                          std::to_string(width) + "x" + std::to_string(height));
  // Scanlines, each prefixed by filter type 0 (None).
  std::vector<std::uint8_t> raw;
  raw.reserve(static_cast<std::size_t>((width + 1) * height));
  for (std::int64_t y = 0; y < height; ++y) {
    raw.push_back(0);
    raw.insert(raw.end(), pixels.begin() + y * width, pixels.begin() + (y + 1) * width);
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<std::uint8_t> packed(packed_size);
  if (compress2(packed.data(), &packed_size, raw.data(), static_cast<uLong>(raw.size()), 9) != Z_OK)
    throw IoError(path.string() + ": zlib compression failed");
  packed.resize(packed_size);

  std::vector<std::uint8_t> file{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  const auto put32 = [](std::vector<std::uint8_t>& v, std::uint32_t x) {
    for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<std::uint8_t>(x >> s));
  };
  const auto chunk = [&](const char* type, const std::vector<std::uint8_t>& data) {
    put32(file, static_cast<std::uint32_t>(data.size()));
    const std::size_t start = file.size();
    file.insert(file.end(), type, type + 4);
    file.insert(file.end(), data.begin(), data.end());
    const uLong crc = crc32(0L, file.data() + start, static_cast<uInt>(file.size() - start));
    put32(file, static_cast<std::uint32_t>(crc));
  };
  std::vector<std::uint8_t> header;
  put32(header, static_cast<std::uint32_t>(width));
  put32(header, static_cast<std::uint32_t>(height));
  header.insert(header.end(),
                {8, 0, 0, 0, 0});  // 8-bit, grayscale, deflate, filter 0, no interlace
  chunk("IHDR", header);
  chunk("IDAT", packed);
  chunk("IEND", {});
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
  if (!out) throw IoError(path.string() + ": cannot write");
}

void write_png_grid(const std::filesystem::path& path, const MatrixF& images,
                    std::int64_t image_size, const PngGridOptions& o) {
  const std::int64_t S = image_size;
  if (S <= 0 || images.cols() != S * S || images.rows() <= 0)
    throw InvalidArgument("write_png_grid: " + std::to_string(images.rows()) + "x" +
                          std::to_string(images.cols()) + " images, expected rows of " +
                          std::to_string(S) + "x" + std::to_string(S) + " grayscale values");
  if (o.columns <= 0 || o.crop < 0 || o.crop > S || o.upscale < 1 || o.padding < 0)
    throw InvalidArgument(
        "write_png_grid: columns > 0, 0 <= crop <= image size, upscale >= 1, "
        "padding >= 0");
  const std::int64_t crop = o.crop == 0 ? S : o.crop, off = (S - crop) / 2;
  const std::int64_t cell = crop * o.upscale, N = images.rows();
  const std::int64_t cols = std::min(o.columns, N), rows = (N + cols - 1) / cols;
  const std::int64_t width = cols * cell + (cols + 1) * o.padding;
  const std::int64_t height = rows * cell + (rows + 1) * o.padding;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width * height), o.pad_gray);
  for (std::int64_t n = 0; n < N; ++n) {
    const std::int64_t x0 = o.padding + (n % cols) * (cell + o.padding);
    const std::int64_t y0 = o.padding + (n / cols) * (cell + o.padding);
    for (std::int64_t y = 0; y < cell; ++y)
      for (std::int64_t x = 0; x < cell; ++x) {
        const float v = images(n, (off + y / o.upscale) * S + off + x / o.upscale);
        const double g = std::nearbyint((static_cast<double>(v) + 1.0) * 0.5 * 255.0);
        const double clamped = std::isnan(g) ? 0.0 : std::clamp(g, 0.0, 255.0);
        pixels[static_cast<std::size_t>((y0 + y) * width + x0 + x)] =
            static_cast<std::uint8_t>(clamped);
      }
  }
  write_png_gray8(path, width, height, pixels);
}

}  // namespace cimba::workloads
