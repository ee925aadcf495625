#include "models/numerics/conv1d.hpp"

#include <string>

#include "models/common/error.hpp"
#include "models/numerics/activations.hpp"

namespace cimba::numerics {
namespace {
void check_sizes(std::int64_t channels, std::int64_t length, std::int64_t kernel) {
  if (channels <= 0 || length <= 0 || kernel <= 0)
    throw InvalidArgument("conv1d_causal: channels, length and kernel must be positive (got " +
                          std::to_string(channels) + ", " + std::to_string(length) + ", " +
                          std::to_string(kernel) + ")");
}
}  // namespace

void conv1d_causal(const float* x, std::int64_t channels, std::int64_t length, const float* weight,
                   std::int64_t kernel, const float* bias, float* out, bool apply_silu) {
  check_sizes(channels, length, kernel);
  for (std::int64_t c = 0; c < channels; ++c) {
    const float* xc = x + c * length;
    const float* wc = weight + c * kernel;
    float* oc = out + c * length;
    const float b = bias ? bias[c] : 0.0f;
    for (std::int64_t t = 0; t < length; ++t) {
      // Same summation order as PyTorch's direct convolution: bias, then taps in kernel order.
      float acc = 0.0f;
      for (std::int64_t k = 0; k < kernel; ++k) {
        const std::int64_t src = t - (kernel - 1) + k;
        if (src >= 0) acc += wc[k] * xc[src];
      }
      acc += b;
      oc[t] = apply_silu ? silu(acc) : acc;
    }
  }
}

void conv1d_causal_token_major(const float* x, std::int64_t length, std::int64_t channels,
                               const float* weight, std::int64_t kernel, const float* bias,
                               float* out, bool apply_silu) {
  check_sizes(channels, length, kernel);
  for (std::int64_t t = 0; t < length; ++t) {
    float* ot = out + t * channels;
    for (std::int64_t c = 0; c < channels; ++c) {
      float acc = 0.0f;
      for (std::int64_t k = 0; k < kernel; ++k) {
        const std::int64_t src = t - (kernel - 1) + k;
        if (src >= 0) acc += weight[c * kernel + k] * x[src * channels + c];
      }
      acc += bias ? bias[c] : 0.0f;
      ot[c] = apply_silu ? silu(acc) : acc;
    }
  }
}

}  // namespace cimba::numerics
