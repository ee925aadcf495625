// AVX-512 VNNI slice-product kernel: u8 x s8 -> s32 with vpdpbusd (64 exact MACs per instruction).
// Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni (models/CMakeLists.txt); called only
// when cpuid reports them. Includes nothing but intrinsics (see slice_gemm_isa.hpp).
#include <immintrin.h>

#include <cstdint>

#include "models/numerics/slice_gemm_isa.hpp"

namespace cimba::numerics::detail {
namespace {

constexpr int kLanes = 16;  // output columns per zmm
constexpr int kGroup = 4;   // k values per lane (vpdpbusd)

// acc += u8 x s8 in groups of four (vpdpbusd). Inline assembly: GCC 12 copies every accumulator
// around each _mm512_dpbusd_epi32 of an unrolled block, which halves the kernel's speed.
inline __m512i dpbusd(__m512i acc, __m512i u8, __m512i s8) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u8), "v"(s8));
  return acc;
}

// Rows r0 .. r0 + NR of the 16 NB columns starting at block mb (NB blocks of 16 columns).
template <int NR, int NB>
void micro(const SliceGemmTask& t, std::int64_t r0, std::int64_t mb, __m512i& vmax) {
  const auto* a = static_cast<const std::uint8_t*>(t.a) + r0 * t.lda;
  const auto* b = static_cast<const std::int8_t*>(t.b) + mb * t.k_steps * kLanes * kGroup;
  __m512i acc[NR][NB];
  for (int r = 0; r < NR; ++r)
    for (int j = 0; j < NB; ++j) acc[r][j] = _mm512_setzero_si512();
  for (int s = 0; s < t.k_steps; ++s) {
    __m512i bv[NB];
    for (int j = 0; j < NB; ++j)
      bv[j] = _mm512_loadu_si512(b + (static_cast<std::int64_t>(j) * t.k_steps + s) * 64);
    for (int r = 0; r < NR; ++r) {
      std::int32_t group;  // four input bytes, broadcast to every lane
      __builtin_memcpy(&group, a + r * t.lda + std::int64_t{kGroup} * s, sizeof group);
      const __m512i av = _mm512_set1_epi32(group);
      for (int j = 0; j < NB; ++j) acc[r][j] = dpbusd(acc[r][j], av, bv[j]);
    }
  }
  for (int j = 0; j < NB; ++j) {
    const std::int64_t col = (mb + j) * kLanes;
    const std::int64_t valid = t.m - col < kLanes ? t.m - col : kLanes;
    const __mmask16 mask = static_cast<__mmask16>((1u << valid) - 1u);
    const __m512i corr = _mm512_mullo_epi32(_mm512_maskz_loadu_epi32(mask, t.b_sum + col),
                                            _mm512_set1_epi32(t.a_off));
    for (int r = 0; r < NR; ++r) {
      const __m512i v = _mm512_add_epi32(_mm512_add_epi32(acc[r][j], corr),
                                         _mm512_set1_epi32(t.b_off * t.a_sum[r0 + r]));
      vmax = _mm512_mask_max_epi32(vmax, mask, vmax, _mm512_maskz_abs_epi32(mask, v));
      const std::int64_t at = (r0 + r) * t.ldc + col;
      if (t.c_int16)
        _mm512_mask_cvtepi32_storeu_epi16(static_cast<std::int16_t*>(t.c) + at, mask, v);
      else
        _mm512_mask_storeu_epi32(static_cast<std::int32_t*>(t.c) + at, mask, v);
    }
  }
}

constexpr int kRows = 8;  // rows per micro-kernel: 16 accumulators + operands fit 32 registers

template <int NB>
void rows_tail(const SliceGemmTask& t, std::int64_t r0, std::int64_t mb, __m512i& vmax) {
  switch (t.n - r0) {
    case 1:
      return micro<1, NB>(t, r0, mb, vmax);
    case 2:
      return micro<2, NB>(t, r0, mb, vmax);
    case 3:
      return micro<3, NB>(t, r0, mb, vmax);
    case 4:
      return micro<4, NB>(t, r0, mb, vmax);
    case 5:
      return micro<5, NB>(t, r0, mb, vmax);
    case 6:
      return micro<6, NB>(t, r0, mb, vmax);
    case 7:
      return micro<7, NB>(t, r0, mb, vmax);
    default:
      return;
  }
}

template <int NB>
void column_block(const SliceGemmTask& t, std::int64_t mb, __m512i& vmax) {
  std::int64_t r = 0;
  for (; r + kRows <= t.n; r += kRows) micro<kRows, NB>(t, r, mb, vmax);
  if (r < t.n) rows_tail<NB>(t, r, mb, vmax);
}

}  // namespace

std::int64_t slice_gemm_avx512_vnni(const SliceGemmTask& t) {
  __m512i vmax = _mm512_setzero_si512();
  const std::int64_t blocks = (t.m + kLanes - 1) / kLanes;
  // Two column blocks (32 columns, 2 x 16 x k_steps x 4 bytes of weights: 16 KiB for a 256-row
  // tile) stay in L1 while every row of the tile streams past them.
  for (std::int64_t mb = 0; mb < blocks; mb += 2) {
    if (mb + 1 < blocks)
      column_block<2>(t, mb, vmax);
    else
      column_block<1>(t, mb, vmax);
  }
  alignas(64) std::int32_t lanes[kLanes];
  _mm512_store_si512(lanes, vmax);
  std::int32_t m = 0;
  for (int e = 0; e < kLanes; ++e) m = lanes[e] > m ? lanes[e] : m;
  return m;
}

}  // namespace cimba::numerics::detail
