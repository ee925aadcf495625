#pragma once
// The instruction-set-specific slice-product kernels (internal to slice_kernels.cpp). Each lives in
// its own translation unit compiled for its instruction set (models/CMakeLists.txt) and is called
// only after cpuid says the CPU has it. Those units include nothing but <cstdint>, <immintrin.h>
// and this header, so that no inline function of a shared header is compiled with wider
// instructions than the build's baseline (the linker could otherwise keep that copy for all).
#include <cstdint>

namespace cimba::numerics::detail {

/// One exact integer product of a row tile: for rows r < n and columns j < m,
///   C[r][j] = sum_k A[r][k] B[j][k] + a_off * b_sum[j] + b_off * a_sum[r],
/// with A and B the stored (offset-removed) operands; the result equals the product of the
/// original digits (A + a_off) . (B + b_off) (see slice_kernels.hpp).
///  - a: row 0's first element of the tile, rows `lda` elements apart, k_steps * G elements per
///    row (zero padded); element type u8 (G = 4, VNNI) or i16 (G = 2, AVX2);
///  - b: the tile's weight panel [ceil(m / 16)][k_steps][16][G] of s8 (VNNI) or i16 (AVX2),
///    columns past m zero;
///  - c: row 0's first output, rows `ldc` elements apart, i16 when c_int16 (the caller has
///    bounded |C| by 32767) else i32.
struct SliceGemmTask {
  const void* a = nullptr;
  std::int64_t lda = 0;
  const void* b = nullptr;
  const std::int32_t* a_sum = nullptr;  // [n]: sum of the original input digits over the tile
  const std::int32_t* b_sum = nullptr;  // [m]: sum of the stored weight values over the tile
  std::int32_t a_off = 0, b_off = 0;
  std::int64_t n = 0, m = 0;
  int k_steps = 0;
  void* c = nullptr;
  std::int64_t ldc = 0;
  bool c_int16 = false;
};

/// Each returns max |C| over the task's outputs.
std::int64_t slice_gemm_avx2(const SliceGemmTask& task);
std::int64_t slice_gemm_avx512_vnni(const SliceGemmTask& task);

}  // namespace cimba::numerics::detail
