#pragma once
// Off-chip DRAM presets, cimba::cost: energy per transferred bit and peak bandwidth.
//
// Energy per bit (pJ/b, whole access incl. I/O, as an architect charges it per byte moved):
//   LPDDR4 14.0 -- 32 Gb LPDDR4 single-die package at 3.2 Gb/s/pin, DramDSE simulation in the
//                  Stanford PhD thesis of Heonjae Ha (stacks.stanford.edu/file/yp843xn4828), as
//                  tabulated in the public notes Dongyunkam/DRAM_info (README, section 4).
//                  Secondary source: the thesis itself was not read in this work.
//   LPDDR5  9.8 -- derived: LPDDR4 x 0.7, from the "up to 30 % lower power than LPDDR4X" that
//                  Samsung stated for LPDDR5 (reported by simmtester.com, "JEDEC releases LPDDR5",
//                  25 Feb 2019). Derived, not measured.
//   HBM2    3.9 -- HBM2 baseline of M. O'Connor et al., "Fine-Grained DRAM: Energy-Efficient
//                  DRAM for Extreme Bandwidth Systems", MICRO-50, 2017 (whose abstract states
//                  FGDRAM halves HBM2's energy). NOT VERIFIED: the 3.9 pJ/b figure was not found
//                  in the text reachable in this work; it is the value commonly quoted from that
//                  paper. Treat as unverified.
// Peak bandwidth: JEDEC data rates -- LPDDR4 3200 MT/s, LPDDR5 6400 MT/s (JESD209-4 / -5, as
// tabulated by Wikipedia "LPDDR"), both on a x64 interface (4 x16 channels); HBM2 one stack of
// 1024 data pins at 2 Gb/s (JESD235A) = 256 GB/s.
#include <string>
#include <string_view>

namespace cimba::cost {

enum class DramKind { kLpddr4, kLpddr5, kHbm2 };

struct DramPreset {
  DramKind kind;
  std::string name;          ///< "LPDDR4" | "LPDDR5" | "HBM2"
  double energy_pJ_per_bit;  ///< access + I/O energy per transferred bit
  double bandwidth_GBps;     ///< peak bandwidth of the preset interface (GB/s)
  double data_rate_MTps;     ///< per-pin data rate
  int interface_bits;        ///< data pins of the preset interface
  std::string source;
};

/// Preset of `kind` (see the header comment for the numbers and their sources).
DramPreset dram_preset(DramKind kind);
/// "lpddr4" | "lpddr5" | "hbm2" (case-insensitive) -> preset; anything else: cimba::ConfigError.
DramPreset dram_preset(std::string_view name);

/// Energy (pJ) to move `bytes` over the preset interface.
double dram_transfer_energy_pJ(const DramPreset& d, double bytes);
/// Time (ns) to move `bytes` at peak bandwidth.
double dram_transfer_time_ns(const DramPreset& d, double bytes);

}  // namespace cimba::cost
