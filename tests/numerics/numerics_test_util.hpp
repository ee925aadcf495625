#pragma once
// Helpers shared by the numerics tests.
#include <cstdint>

#include "models/numerics/rng.hpp"
#include "models/numerics/types.hpp"

namespace cimba::numerics::test {

/// A [r x c] matrix of N(0, sigma^2) samples from stream `key` (deterministic).
inline MatrixF gaussian(std::int64_t r, std::int64_t c, double sigma, std::uint64_t key) {
  MatrixF m(r, c);
  for (std::int64_t i = 0; i < m.size(); ++i)
    m.data()[i] = static_cast<float>(sigma * normal_at(key, static_cast<std::uint64_t>(i)));
  return m;
}

}  // namespace cimba::numerics::test
