// AVX2 slice-product kernel: i16 x i16 -> i32 with vpmaddwd (16 exact MACs per instruction; the
// u8 x s8 vpmaddubsw would saturate its 16-bit pair sums). Compiled with -mavx2 -mfma
// (models/CMakeLists.txt); called only when cpuid reports AVX2. Includes nothing but intrinsics
// (see slice_gemm_isa.hpp).
#include <immintrin.h>

#include <cstdint>

#include "models/numerics/slice_gemm_isa.hpp"

namespace cimba::numerics::detail {
namespace {

constexpr int kLanes = 8;   // output columns per ymm
constexpr int kGroup = 2;   // k values per lane (vpmaddwd)
constexpr int kBlock = 16;  // columns per panel block (two ymm)

// Rows r0 .. r0 + NR of the 16 columns of panel block mb.
template <int NR>
void micro(const SliceGemmTask& t, std::int64_t r0, std::int64_t mb, __m256i& vmax) {
  const auto* a = static_cast<const std::int16_t*>(t.a) + r0 * t.lda;
  const auto* b = static_cast<const std::int16_t*>(t.b) + mb * t.k_steps * kBlock * kGroup;
  __m256i acc[NR][2];
  for (int r = 0; r < NR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  for (int s = 0; s < t.k_steps; ++s) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + s * 32));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + s * 32 + 16));
    for (int r = 0; r < NR; ++r) {
      std::int32_t pair;  // two input int16, broadcast to every lane
      __builtin_memcpy(&pair, a + r * t.lda + std::int64_t{kGroup} * s, sizeof pair);
      const __m256i av = _mm256_set1_epi32(pair);
      acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(av, b0));
      acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(av, b1));
    }
  }
  for (int j = 0; j < 2; ++j) {
    const std::int64_t col = mb * kBlock + j * kLanes;
    if (col >= t.m) break;
    const std::int64_t valid = t.m - col < kLanes ? t.m - col : kLanes;
    alignas(32) std::int32_t bsum[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (std::int64_t e = 0; e < valid; ++e) bsum[e] = t.b_sum[col + e];
    const __m256i corr = _mm256_mullo_epi32(_mm256_load_si256(reinterpret_cast<__m256i*>(bsum)),
                                            _mm256_set1_epi32(t.a_off));
    for (int r = 0; r < NR; ++r) {
      const __m256i v = _mm256_add_epi32(_mm256_add_epi32(acc[r][j], corr),
                                         _mm256_set1_epi32(t.b_off * t.a_sum[r0 + r]));
      const std::int64_t at = (r0 + r) * t.ldc + col;
      if (valid == kLanes) {
        vmax = _mm256_max_epi32(vmax, _mm256_abs_epi32(v));
        if (t.c_int16)
          _mm_storeu_si128(
              reinterpret_cast<__m128i*>(static_cast<std::int16_t*>(t.c) + at),
              _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
        else
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(static_cast<std::int32_t*>(t.c) + at), v);
      } else {  // the last columns of a width that is not a multiple of 8
        alignas(32) std::int32_t out[kLanes];
        _mm256_store_si256(reinterpret_cast<__m256i*>(out), v);
        alignas(32) std::int32_t mag[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (std::int64_t e = 0; e < valid; ++e) {
          mag[e] = out[e] < 0 ? -out[e] : out[e];
          if (t.c_int16)
            static_cast<std::int16_t*>(t.c)[at + e] = static_cast<std::int16_t>(out[e]);
          else
            static_cast<std::int32_t*>(t.c)[at + e] = out[e];
        }
        vmax = _mm256_max_epi32(vmax, _mm256_load_si256(reinterpret_cast<__m256i*>(mag)));
      }
    }
  }
}

// 8 accumulators + 2 weight vectors + a broadcast and a product: 12 of 16 registers (6 rows
// spill accumulators to the stack).
constexpr int kRows = 4;

void column_block(const SliceGemmTask& t, std::int64_t mb, __m256i& vmax) {
  std::int64_t r = 0;
  for (; r + kRows <= t.n; r += kRows) micro<kRows>(t, r, mb, vmax);
  switch (t.n - r) {
    case 1:
      return micro<1>(t, r, mb, vmax);
    case 2:
      return micro<2>(t, r, mb, vmax);
    case 3:
      return micro<3>(t, r, mb, vmax);
    default:
      return;
  }
}

}  // namespace

std::int64_t slice_gemm_avx2(const SliceGemmTask& t) {
  __m256i vmax = _mm256_setzero_si256();
  const std::int64_t blocks = (t.m + kBlock - 1) / kBlock;
  for (std::int64_t mb = 0; mb < blocks; ++mb) column_block(t, mb, vmax);
  alignas(32) std::int32_t lanes[kLanes];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), vmax);
  std::int32_t m = 0;
  for (int e = 0; e < kLanes; ++e) m = lanes[e] > m ? lanes[e] : m;
  return m;
}

}  // namespace cimba::numerics::detail
