#include "hw/timing.hpp"

#include <algorithm>
#include <cmath>

namespace cimba::hw {

int ceil_log2(std::int64_t n) {
  int b = 0;
  while ((std::int64_t{1} << b) < n) ++b;
  return b;
}

std::int64_t sram_cycles(std::int64_t bits, const SramParams& s) {
  if (bits <= 0) return 0;
  return cdiv(bits, std::int64_t{s.width_bits} * s.ports);
}

std::int64_t dram_cycles(std::int64_t bytes, double bandwidth_gbps, double latency_ns,
                         const HwParams& hw) {
  return hw.ns_to_cycles(latency_ns + static_cast<double>(bytes) / bandwidth_gbps);
}

std::int64_t adc_conversion_cycles(const HwParams& hw) {
  return hw.ns_to_cycles(hw.cim.adc.conversion_time_ns());
}

std::int64_t cim_own_drive_cycles(const HwParams& hw) {
  return std::max<std::int64_t>(1,
                                hw.ns_to_cycles(cost::cim_input_drive_ns(cim_macro_geometry(hw))));
}

std::int64_t cim_drive_cycles(const HwParams& hw) {
  if (hw.cim.input_cycles_per_slice > 0) return hw.cim.input_cycles_per_slice;
  return cim_own_drive_cycles(hw);
}

std::int64_t cim_step_cycles(const HwParams& hw) {
  return std::max<std::int64_t>(cim_drive_cycles(hw),
                                std::int64_t{hw.cim.cols_per_adc} * adc_conversion_cycles(hw));
}

std::int64_t cim_round_compute_cycles(const HwParams& hw, std::int64_t n_vec, int n_slices) {
  return cim_drive_cycles(hw) + n_vec * n_slices * cim_step_cycles(hw) + hw.cim.shift_add_latency;
}

std::int64_t cim_program_cycles(const HwParams& hw, std::int64_t rows_max, std::int64_t bits,
                                const SramParams& weights) {
  return std::max(rows_max * hw.cim.write_cycles_per_row, sram_cycles(bits, weights));
}

std::int64_t conv_cycles(const HwParams& hw, std::int64_t n) {
  return cdiv(n, hw.conv.lanes) + hw.conv.latency;
}

std::int64_t lookup_cycles(const HwParams& hw, std::int64_t n, std::int64_t walk) {
  if (n == 0) return 0;
  switch (hw.index.impl) {
    case IndexImpl::Sequential:
      return cdiv(walk + n, hw.index.units);
    case IndexImpl::Parallel:
      return cdiv(n, hw.index.units) + 2;
    case IndexImpl::Lut:
      return cdiv(n, hw.index.units) + 1;
  }
  return 0;
}

std::int64_t mux_cycles(const HwParams& hw, std::int64_t n) {
  return cdiv(n, hw.mux.lanes) + hw.mux.latency;
}

std::int64_t scan_cycles(const HwParams& hw, std::int64_t D, std::int64_t N, std::int64_t L) {
  const auto& s = hw.ssm;
  const std::int64_t passes = cdiv(D * N, s.lanes) + cdiv(D, s.lanes);
  const std::int64_t rec = s.mul_latency + s.exp_latency + s.mul_latency + s.add_latency;
  const std::int64_t ii = std::max(passes, rec);
  const std::int64_t front = s.exp_latency + s.mul_latency;
  const std::int64_t tail =
      s.mul_latency + std::int64_t{ceil_log2(N)} * s.add_latency + s.add_latency;
  return front + L * ii + tail;
}

std::int64_t vec_cycles(const HwParams& hw, std::int64_t n, int passes) {
  return passes * cdiv(n, hw.vec.lanes) + hw.vec.latency;
}

std::int64_t mac_cycles(const HwParams& hw, std::int64_t n, std::int64_t k, std::int64_t m) {
  const std::int64_t tiles = cdiv(n, hw.mac.rows) * cdiv(m, hw.mac.cols);
  return tiles * k + (hw.mac.rows + hw.mac.cols - 2) + hw.mac.latency;
}

int lut_id_bits(int head_groups, int dim_groups) {
  return std::max(1, ceil_log2(std::int64_t{head_groups} * dim_groups));
}

}  // namespace cimba::hw
