#pragma once
// Latency formulas of the hardware units, as plain functions (no SystemC) so that each can be
// tested cycle-exactly; the SystemC modules call them once per operation. All results in cycles
// of hw.clock_mhz. ceil(a / b) is written cdiv(a, b).
#include <cstdint>

#include "hw/params.hpp"

namespace cimba::hw {

constexpr std::int64_t cdiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
/// ceil(log2(n)) for n >= 1 (0 for n = 1).
int ceil_log2(std::int64_t n);

/// Buffer access: cycles = cdiv(bits, width_bits x ports) (reads and writes share the ports).
std::int64_t sram_cycles(std::int64_t bits, const SramParams& sram);

/// DRAM transfer: cycles = ceil((latency_ns + bytes / bandwidth_GBps) x clock_MHz / 1000)
/// (1 GB/s moves 1 byte per ns).
std::int64_t dram_cycles(std::int64_t bytes, double bandwidth_gbps, double latency_ns,
                         const HwParams& hw);

/// One ADC conversion in cycles: ceil(conversion_ns x clock_MHz / 1000).
std::int64_t adc_conversion_cycles(const HwParams& hw);

/// The drive's own time for one input slice (cost::cim_input_drive_ns of cim_macro_geometry: one
/// pulse bit-serial, 2^b - 1 pulses pulse count, the DAC's settling amplitude) in whole cycles
/// (at least 1).
std::int64_t cim_own_drive_cycles(const HwParams& hw);
/// Driving one input slice onto the rows: hw.cim.input_cycles_per_slice, or when 0
/// cim_own_drive_cycles.
std::int64_t cim_drive_cycles(const HwParams& hw);

/// A CIM step (one input slice of one token on every macro of a round):
///   step = max(cim_drive_cycles, cols_per_adc x adc_conversion_cycles)
/// (the next slice is driven while the ADCs, sample-and-held, convert the previous one).
std::int64_t cim_step_cycles(const HwParams& hw);

/// Compute of one round of macros on n_vec tokens with n_slices input slices:
///   round = cim_drive_cycles + n_vec x n_slices x step + shift_add_latency
std::int64_t cim_round_compute_cycles(const HwParams& hw, std::int64_t n_vec, int n_slices);

/// Programming a round whose largest tile has `rows_max` rows and whose tiles hold `bits` bits
/// together, read from the weight buffer `weights`:
///   program = max(rows_max x write_cycles_per_row, sram_cycles(bits, weights))
std::int64_t cim_program_cycles(const HwParams& hw, std::int64_t rows_max, std::int64_t bits,
                                const SramParams& weights);

/// Conv1d + SiLU + quantizer on n elements: cdiv(n, conv.lanes) + conv.latency.
std::int64_t conv_cycles(const HwParams& hw, std::int64_t elements);

/// Scale-index lookups (n lookups whose sequential walks make `walk_comparisons` comparisons in
/// total; HG head groups, DG dim groups), split evenly over index.units units:
///   sequential: cdiv(walk_comparisons + n, units)   (one comparator: c_i bound reads + 1 scale
///                                                    read per lookup)
///   parallel:   cdiv(n, units) + 2                  (pipeline: HG compares | DG compares |
///                                                    scale read)
///   lut:        cdiv(n, units) + 1                  (pipeline: group-id read | scale read)
std::int64_t lookup_cycles(const HwParams& hw, std::int64_t n, std::int64_t walk_comparisons);

/// Dequant MUX on n elements: cdiv(n, mux.lanes) + mux.latency.
std::int64_t mux_cycles(const HwParams& hw, std::int64_t elements);

/// Selective scan of D channels x N states over L tokens on the SSM core:
///   passes = cdiv(D N, lanes) + cdiv(D, lanes)      (the (d, n) updates, then the per-d work:
///                                                    softplus, delta u, D u)
///   rec    = mul + exp + mul + add                   (h_t = exp(delta A) h_{t-1} + delta u B:
///                                                    the chain a token waits for)
///   II     = max(passes, rec)                        (cycles between tokens)
///   front  = exp + mul                               (softplus(delta), delta u of the 1st token)
///   tail   = mul + ceil_log2(N) add + add            (C h, the sum over n, + D u of the last)
///   scan   = front + L II + tail
std::int64_t scan_cycles(const HwParams& hw, std::int64_t D, std::int64_t N, std::int64_t L);

/// Vector unit on n elements in `passes` passes: passes x cdiv(n, vec.lanes) + vec.latency
/// (RMSNorm: 2 passes, sum of squares then scale; gate and residual: 1).
std::int64_t vec_cycles(const HwParams& hw, std::int64_t elements, int passes);

/// MAC array (hw.mac: R x C output-stationary FP32 PEs) on an [n x k] x [k x m] product:
///   tiles = cdiv(n, R) x cdiv(m, C)      (each PE accumulates one output of a tile)
///   mac   = tiles x k + (R + C - 2) + latency
/// Each tile streams its k operand pairs in k cycles, tiles back to back; the skewed operands
/// fill and drain the array once per op (R + C - 2 cycles, H. T. Kung, "Why systolic
/// architectures?", IEEE Computer 15(1), 1982; output-stationary dataflow as in ShiDianNao,
/// Du et al., ISCA 2015), plus the FP32 multiply-add pipeline of the last PE.
std::int64_t mac_cycles(const HwParams& hw, std::int64_t n, std::int64_t k, std::int64_t m);

/// Bits of a group id in the LUT index implementation: ceil(log2(HG x DG)), at least 1.
int lut_id_bits(int head_groups, int dim_groups);

}  // namespace cimba::hw
