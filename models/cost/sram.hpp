#pragma once
// SRAM (buffers, SSM state, large tables) and flip-flop register-file (tiny tables, e.g. ~1 KB
// scale tables) cost models, cimba::cost.
//
// Area   : capacity_bits * bitcell_area(node) / kSramArrayEfficiency. Bitcells are published
//          high-density 6T cells (sram.cpp cites each one).
// Energy : Horowitz ISSCC 2014 45 nm SRAM read energy of a 64-bit word from an 8 KB (10 pJ),
//          32 KB (20 pJ) and 1 MB (100 pJ) array, interpolated log-log in capacity, proportional
//          to the word width, scaled to node / vdd with Stillmaker-Baas. Write = 1.4 x read.
// Timing : in clock cycles (ASSUMPTION, a pipelined-macro convention, see sram.cpp).
// Leakage: cell off-current (sram_leakage_uW); periphery leakage is not modelled.
// Banked : a buffer of banks (banked_sram_cost): area = the banks' (above); an access = one bank's
//          (above, at the bank's capacity) + the route from the buffer's port to that bank (the
//          NeuroSim wire capacitance over the mean Manhattan distance, see sram.cpp).
#include <cstdint>
#include <string>

#include "models/cost/tech.hpp"

namespace cimba::cost {

/// Area of one high-density 6T SRAM bitcell at `node_nm` (um^2); throws for unsupported nodes.
double sram_bitcell_area_um2(int node_nm);

/// Fraction of an SRAM macro's area that is bitcells (the rest: decoders, sense amplifiers,
/// drivers, control). 0.70 -- ASSUMPTION (stated modelling choice; no single public source
/// gives it across nodes and capacities; see docs/cost-models.md).
inline constexpr double kSramArrayEfficiency = 0.70;

/// Write energy / read energy of an SRAM access: 1.4. Median of the write/read ratios of the
/// CACTI 7 runs (1.2 - 2.2) tabulated in the public notes Dongyunkam/DRAM_info (README, section
/// 5.2); a secondary source -- see docs/cost-models.md.
inline constexpr double kSramWriteOverRead = 1.4;

struct SramParams {
  std::int64_t capacity_bytes = 8 * 1024;  ///< 1 B .. 1 GiB
  int width_bits = 64;                     ///< bits per access, 1 .. 4096 (<= capacity)
  TechPoint tech{};                        ///< node, vdd, clock (clock sets latency_ns)
};

struct SramCost {
  double area_um2 = 0.0;
  double read_energy_pJ = 0.0;          ///< one read of width_bits
  double write_energy_pJ = 0.0;         ///< one write of width_bits
  double read_energy_per_bit_pJ = 0.0;  ///< read_energy_pJ / width_bits
  double access_latency_ns = 0.0;       ///< cycles / clock
  int access_cycles = 1;
  double leakage_uW = 0.0;
  std::string source;
};

/// 6T-SRAM macro of the given capacity / word width.
SramCost sram_cost(const SramParams& p);

/// Default bank of a banked buffer (hw.sram.default.bank_bytes): 32 KiB. Chosen because it is
/// the middle point of the Horowitz table the energy model is anchored on (a measured point, no
/// interpolation) and a common size of compiled SRAM macros; accelerators build their buffers
/// from banks of this order (Eyeriss's 108 KB global buffer: 27 banks of 4 KB, Chen et al.
/// JSSC 2017). A choice, configurable per buffer; see docs/cost-models.md.
inline constexpr std::int64_t kDefaultSramBankBytes = 32 * 1024;

/// A buffer of capacity p.capacity_bytes built from ceil(capacity / bank_bytes) equal banks of
/// p.width_bits each (bank_bytes <= 0 or >= capacity: one bank, i.e. sram_cost). An access
/// reads or writes one bank: the bank's sram_cost energy plus the route to it, width_bits wires
/// of kArrayWireCap_fF_per_um x (side of the buffer / 2) rising on a quarter of the accesses
/// (random data) and drawing C V^2 per rise. Area and leakage: the sum of the banks; the route's
/// wires run over the banks (no area of their own -- ASSUMPTION). Access cycles: one bank's.
SramCost banked_sram_cost(const SramParams& p, std::int64_t bank_bytes);
/// Banks of a banked buffer (1 for bank_bytes <= 0 or >= capacity).
std::int64_t sram_bank_count(std::int64_t capacity_bytes, std::int64_t bank_bytes);

/// Flip-flop register file (24T DFF per bit + read mux tree) for tiny tables; capacity
/// 1 B .. 64 KiB. Cheaper per access than SRAM at a few hundred bytes, larger per bit.
SramCost register_file_cost(const SramParams& p);

/// Leakage (uW) of `bits` SRAM cells in hold: bits * I_off(LSTP, 100 pA/um, NeuroSim/ITRS) *
/// sqrt(bitcell area) (leaking width, ASSUMPTION) * vdd.
double sram_leakage_uW(double bits, const TechPoint& tech);

/// Horowitz-anchored 64-bit read energy (pJ) of a `capacity_bytes` SRAM at 45 nm, 0.9 V.
double sram_read64_energy45_pJ(std::int64_t capacity_bytes);

}  // namespace cimba::cost
