#pragma once
// Exact integer kernels for the slice products of the bit-serial CIM linear (NUMERICS.md 2,
// step 4): C = A B^T over one row tile, A an input slice's digits, B a weight digit column's
// cells, both small integers. The float GEMM of bitserial.cpp is the reference; every kernel
// here gives the same exact integers. Which kernel runs (docs/numerics-kernels.md):
//  - avx512_vnni: u8 x s8 -> s32 (vpdpbusd), for digits that fit 8 bits after an offset;
//  - avx2: s16 x s16 -> s32 (vpmaddwd), for digits that fit 16 bits after an offset;
//  - reference: the float (or double) GEMM, for everything else.
// The CPU is asked at run time (cpuid), so one x86-64-v3 binary runs on any x86-64-v3 machine
// and uses AVX-512 only where the CPU has it.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace cimba::numerics {

/// The kernel of the slice products: Auto picks the fastest one the CPU has and the operands
/// fit; the others force one (a forced kernel the operands do not fit falls back to Reference).
enum class SliceKernel { Auto, Reference, Avx2, Avx512Vnni };

/// "auto" / "reference" / "avx2" / "avx512_vnni".
const char* to_string(SliceKernel k);
/// The inverse of to_string; throws InvalidArgument naming the valid values.
SliceKernel slice_kernel_from_string(const std::string& name);
/// Whether this CPU (and OS) can run the kernel; Auto and Reference always can.
bool slice_kernel_supported(SliceKernel k);
/// The integer kernels this CPU can run, fastest first (a subset of {Avx512Vnni, Avx2}).
std::vector<SliceKernel> supported_integer_kernels();

/// A closed integer range of digit values.
struct DigitRange {
  std::int64_t lo = 0, hi = 0;
  std::int64_t max_abs() const { return std::max(lo < 0 ? -lo : lo, hi < 0 ? -hi : hi); }
};

/// How one (input slice, weight column) product runs on an integer kernel: the offsets that
/// bring the digits into the kernel's operand types, and the output width.
struct SliceProductPlan {
  bool fits = false;       // false: the kernel cannot compute this product exactly
  std::int32_t a_off = 0;  // stored input = digit - a_off
  std::int32_t b_off = 0;  // stored weight = cell - b_off
  bool out_int16 = false;  // every |C| <= 32767: the partial sums are stored as int16
};

/// Whether `kernel` (Avx2 or Avx512Vnni) computes tiles of `tile_rows` rows of input digits in
/// `a` times weight cells in `b` exactly (int32 accumulators cannot overflow), and how.
SliceProductPlan plan_slice_product(SliceKernel kernel, DigitRange a, DigitRange b, int tile_rows);

/// One operand in a kernel's layout, every row tile padded to the kernel's k group with zeros.
/// Inputs: [row][tile][k_steps * group]; weights: [tile][ceil(rows / 16)][k_steps][16][group].
/// `sums[tile * rows + r]`: the sum over the tile of row r's original digits (inputs) or of its
/// stored values (weights), which the kernel's offset correction needs.
struct PackedOperand {
  SliceKernel kernel = SliceKernel::Reference;
  std::int64_t rows = 0, k = 0;
  int tile_rows = 0, n_tiles = 0, k_steps = 0;
  std::int32_t offset = 0;
  std::vector<std::uint8_t> data;  // u8, s8 or s16 elements, as the kernel reads them
  std::vector<std::int32_t> sums;
  /// Elements from one input row to the next.
  std::int64_t row_stride() const;
};

/// Packs integer-valued floats src [rows x k] (row-major, `ld` floats apart) as kernel operands.
/// Values must lie in the range the offset was planned for (plan_slice_product). Input rows
/// [row0, row1) only are packed by pack_slice_input (the buffers are sized for all rows on
/// row0 == 0 and must already be when row0 > 0), so that row ranges can be packed in parallel.
void prepare_slice_input(SliceKernel kernel, std::int64_t rows, std::int64_t k, int tile_rows,
                         std::int32_t offset, PackedOperand& out);
void pack_slice_input(const float* src, std::int64_t ld, std::int64_t row0, std::int64_t row1,
                      PackedOperand& out);
PackedOperand pack_slice_weights(SliceKernel kernel, const float* src, std::int64_t rows,
                                 std::int64_t k, int tile_rows, std::int32_t offset);

/// Rows [row0, row1) of one tile's product of a packed input and packed weights into c (rows ldc
/// elements apart, row0's first output at c; int16 when `out_int16`, else int32):
///   c[r][j] = sum over the tile's k of digit(r, k) * cell(j, k), exactly.
/// Returns max |c| over the rows written.
std::int64_t slice_product(const PackedOperand& input, const PackedOperand& weights, int tile,
                           std::int64_t row0, std::int64_t row1, void* c, std::int64_t ldc,
                           bool out_int16);

}  // namespace cimba::numerics
