#pragma once
// Counter-based random numbers: the value for (key, index) is a pure function of both, so noise
// is reproducible whatever the order of evaluation, and identical on every platform (no
// std::normal_distribution, whose algorithm the standard leaves to the library).
#include <cmath>
#include <cstdint>

namespace cimba::numerics {

/// SplitMix64 finaliser (Steele, Lea, Flood: "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): a bijective 64-bit mix.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// Key of a named noise stream derived from a run seed and stream ids.
constexpr std::uint64_t stream_key(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0,
                                   std::uint64_t c = 0) {
  return splitmix64(splitmix64(splitmix64(splitmix64(seed) ^ a) ^ b) ^ c);
}

/// Uniform in (0, 1) from 53 random bits.
inline double uniform_open(std::uint64_t bits) {
  return (static_cast<double>(bits >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/// Standard normal sample number `index` of stream `key` (Box-Muller on two counter draws).
inline double normal_at(std::uint64_t key, std::uint64_t index) {
  const double u1 = uniform_open(splitmix64(key ^ (2 * index)));
  const double u2 = uniform_open(splitmix64(key ^ (2 * index + 1)));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace cimba::numerics
