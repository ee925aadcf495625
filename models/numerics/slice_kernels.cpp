#include "models/numerics/slice_kernels.hpp"

#include <cmath>
#include <cstring>

#include "models/common/error.hpp"
#include "models/numerics/slice_gemm_isa.hpp"

namespace cimba::numerics {
namespace {

constexpr int kPanelLanes = 16;  // weight columns per panel block (one zmm, two ymm)
constexpr std::int64_t kInt32Max = 2147483647;

struct OperandTypes {
  int group = 0;       // k values per 32-bit lane
  int elem_bytes = 0;  // bytes per stored element
  DigitRange a, b;     // stored ranges of inputs and weights
};

OperandTypes operand_types(SliceKernel k) {
  switch (k) {
    case SliceKernel::Avx512Vnni:
      return {4, 1, {0, 255}, {-128, 127}};
    case SliceKernel::Avx2:
      return {2, 2, {-32768, 32767}, {-32768, 32767}};
    default:
      throw InvalidArgument(std::string("slice kernel ") + to_string(k) +
                            " has no integer operands");
  }
}

// The offset that brings [r.lo, r.hi] into [t.lo, t.hi] (0 when it is inside already).
bool fit_offset(DigitRange r, DigitRange t, std::int64_t* off) {
  if (r.lo >= t.lo && r.hi <= t.hi) {
    *off = 0;
    return true;
  }
  if (r.hi - r.lo > t.hi - t.lo) return false;
  *off = r.lo - t.lo;
  return true;
}

void store_element(std::uint8_t* dst, int elem_bytes, std::int64_t v) {
  if (elem_bytes == 1) {
    *dst = static_cast<std::uint8_t>(v);  // u8 inputs or s8 weights (two's complement bits)
  } else {
    const auto s = static_cast<std::int16_t>(v);
    std::memcpy(dst, &s, sizeof s);
  }
}

}  // namespace

const char* to_string(SliceKernel k) {
  switch (k) {
    case SliceKernel::Reference:
      return "reference";
    case SliceKernel::Avx2:
      return "avx2";
    case SliceKernel::Avx512Vnni:
      return "avx512_vnni";
    default:
      return "auto";
  }
}

SliceKernel slice_kernel_from_string(const std::string& name) {
  for (SliceKernel k :
       {SliceKernel::Auto, SliceKernel::Reference, SliceKernel::Avx2, SliceKernel::Avx512Vnni})
    if (name == to_string(k)) return k;
  throw InvalidArgument("unknown slice kernel '" + name +
                        "' (valid: auto, reference, avx2, avx512_vnni)");
}

bool slice_kernel_supported(SliceKernel k) {
  switch (k) {
    case SliceKernel::Avx2:
      return __builtin_cpu_supports("avx2");
    case SliceKernel::Avx512Vnni:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
    default:
      return true;
  }
}

std::vector<SliceKernel> supported_integer_kernels() {
  std::vector<SliceKernel> out;
  for (SliceKernel k : {SliceKernel::Avx512Vnni, SliceKernel::Avx2})
    if (slice_kernel_supported(k)) out.push_back(k);
  return out;
}

SliceProductPlan plan_slice_product(SliceKernel kernel, DigitRange a, DigitRange b, int tile_rows) {
  const OperandTypes t = operand_types(kernel);
  SliceProductPlan plan;
  std::int64_t a_off = 0, b_off = 0;
  if (!fit_offset(a, t.a, &a_off) || !fit_offset(b, t.b, &b_off)) return plan;
  // Every intermediate of the kernel stays in int32: sum A_s B_s, + a_off sum B_s,
  // + b_off sum A, and the exact product itself (bounded in double: no overflow here).
  const DigitRange as{a.lo - a_off, a.hi - a_off}, bs{b.lo - b_off, b.hi - b_off};
  const double rows = tile_rows;
  const double a_max = static_cast<double>(as.max_abs()), b_max = static_cast<double>(bs.max_abs());
  const double inter =
      rows * (a_max * b_max + std::fabs(static_cast<double>(a_off)) * b_max +
              std::fabs(static_cast<double>(b_off)) * static_cast<double>(a.max_abs()));
  const double product = rows * static_cast<double>(a.max_abs()) * static_cast<double>(b.max_abs());
  if (inter > static_cast<double>(kInt32Max) || product > static_cast<double>(kInt32Max))
    return plan;
  plan.fits = true;
  plan.a_off = static_cast<std::int32_t>(a_off);
  plan.b_off = static_cast<std::int32_t>(b_off);
  plan.out_int16 = product <= 32767.0;
  return plan;
}

std::int64_t PackedOperand::row_stride() const {
  return static_cast<std::int64_t>(n_tiles) * k_steps * operand_types(kernel).group;
}

namespace {

// The layout every packed operand shares: shape, tiles of tile_rows along k, groups per tile.
void set_layout(SliceKernel kernel, std::int64_t rows, std::int64_t k, int tile_rows,
                std::int32_t offset, PackedOperand& out) {
  const OperandTypes t = operand_types(kernel);
  out.kernel = kernel;
  out.rows = rows;
  out.k = k;
  out.tile_rows = tile_rows;
  out.n_tiles = static_cast<int>((k + tile_rows - 1) / tile_rows);
  out.k_steps = (tile_rows + t.group - 1) / t.group;
  out.offset = offset;
}

}  // namespace

void prepare_slice_input(SliceKernel kernel, std::int64_t rows, std::int64_t k, int tile_rows,
                         std::int32_t offset, PackedOperand& out) {
  const OperandTypes t = operand_types(kernel);
  set_layout(kernel, rows, k, tile_rows, offset, out);
  // + one group of slack: a kernel may read a whole group at the end of the last row.
  out.data.resize(static_cast<std::size_t>((rows * out.row_stride() + t.group) * t.elem_bytes));
  out.sums.resize(static_cast<std::size_t>(out.n_tiles * rows));
}

void pack_slice_input(const float* src, std::int64_t ld, std::int64_t row0, std::int64_t row1,
                      PackedOperand& out) {
  const OperandTypes t = operand_types(out.kernel);
  const std::int64_t stride = out.row_stride();
  const std::int64_t tile_len = static_cast<std::int64_t>(out.k_steps) * t.group;
  for (std::int64_t r = row0; r < row1; ++r) {
    const float* row = src + r * ld;
    std::uint8_t* dst = out.data.data() + r * stride * t.elem_bytes;
    for (int tile = 0; tile < out.n_tiles; ++tile) {
      const std::int64_t k0 = static_cast<std::int64_t>(tile) * out.tile_rows;
      const std::int64_t len = std::min<std::int64_t>(out.tile_rows, out.k - k0);
      std::uint8_t* d = dst + tile * tile_len * t.elem_bytes;
      std::int64_t sum = 0;
      if (t.elem_bytes == 1) {
        for (std::int64_t e = 0; e < len; ++e) {
          const auto v = static_cast<std::int32_t>(row[k0 + e]);
          sum += v;
          d[e] = static_cast<std::uint8_t>(v - out.offset);
        }
      } else {
        auto* d16 = reinterpret_cast<std::int16_t*>(d);
        for (std::int64_t e = 0; e < len; ++e) {
          const auto v = static_cast<std::int32_t>(row[k0 + e]);
          sum += v;
          d16[e] = static_cast<std::int16_t>(v - out.offset);
        }
      }
      std::memset(d + len * t.elem_bytes, 0,
                  static_cast<std::size_t>((tile_len - len) * t.elem_bytes));
      out.sums[static_cast<std::size_t>(tile * out.rows + r)] = static_cast<std::int32_t>(sum);
    }
  }
}

PackedOperand pack_slice_weights(SliceKernel kernel, const float* src, std::int64_t rows,
                                 std::int64_t k, int tile_rows, std::int32_t offset) {
  const OperandTypes t = operand_types(kernel);
  PackedOperand out;
  set_layout(kernel, rows, k, tile_rows, offset, out);
  const std::int64_t blocks = (rows + kPanelLanes - 1) / kPanelLanes;
  const std::int64_t tile_elems = blocks * out.k_steps * kPanelLanes * t.group;
  out.data.assign(static_cast<std::size_t>(out.n_tiles * tile_elems * t.elem_bytes), 0);
  out.sums.assign(static_cast<std::size_t>(out.n_tiles * rows), 0);
  for (int tile = 0; tile < out.n_tiles; ++tile) {
    const std::int64_t k0 = static_cast<std::int64_t>(tile) * tile_rows;
    const std::int64_t len = std::min<std::int64_t>(tile_rows, k - k0);
    std::uint8_t* panel = out.data.data() + tile * tile_elems * t.elem_bytes;
    for (std::int64_t j = 0; j < rows; ++j) {
      const std::int64_t block = j / kPanelLanes, lane = j % kPanelLanes;
      std::int64_t sum = 0;
      for (std::int64_t e = 0; e < len; ++e) {
        const std::int64_t v = static_cast<std::int64_t>(src[j * k + k0 + e]) - offset;
        sum += v;
        const std::int64_t step = e / t.group, g = e % t.group;
        const std::int64_t at = ((block * out.k_steps + step) * kPanelLanes + lane) * t.group + g;
        store_element(panel + at * t.elem_bytes, t.elem_bytes, v);
      }
      out.sums[static_cast<std::size_t>(tile * rows + j)] = static_cast<std::int32_t>(sum);
    }
  }
  return out;
}

std::int64_t slice_product(const PackedOperand& input, const PackedOperand& weights, int tile,
                           std::int64_t row0, std::int64_t row1, void* c, std::int64_t ldc,
                           bool out_int16) {
  if (input.kernel != weights.kernel || input.k != weights.k ||
      input.tile_rows != weights.tile_rows || tile < 0 || tile >= input.n_tiles || row0 < 0 ||
      row1 > input.rows || row0 > row1)
    throw InvalidArgument("slice_product: operands packed for different kernels or shapes");
  if (row0 == row1) return 0;
  const OperandTypes t = operand_types(input.kernel);
  const std::int64_t tile_len = static_cast<std::int64_t>(input.k_steps) * t.group;
  const std::int64_t blocks = (weights.rows + kPanelLanes - 1) / kPanelLanes;
  detail::SliceGemmTask task;
  task.a = input.data.data() + (row0 * input.row_stride() + tile * tile_len) * t.elem_bytes;
  task.lda = input.row_stride();
  task.b = weights.data.data() + tile * blocks * tile_len * kPanelLanes * t.elem_bytes;
  task.a_sum = input.sums.data() + tile * input.rows + row0;
  task.b_sum = weights.sums.data() + tile * weights.rows;
  task.a_off = input.offset;
  task.b_off = weights.offset;
  task.n = row1 - row0;
  task.m = weights.rows;
  task.k_steps = input.k_steps;
  task.c = c;
  task.ldc = ldc;
  task.c_int16 = out_int16;
  switch (input.kernel) {
    case SliceKernel::Avx512Vnni:
      return detail::slice_gemm_avx512_vnni(task);
    case SliceKernel::Avx2:
      return detail::slice_gemm_avx2(task);
    default:
      throw InvalidArgument("slice_product: not an integer kernel");
  }
}

}  // namespace cimba::numerics
