// SRAM, register-file and DRAM model tests.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "models/common/error.hpp"
#include "models/cost/dram.hpp"
#include "models/cost/sram.hpp"

namespace cimba::cost {
namespace {

SramParams sram(std::int64_t bytes, int width, int node = 45, double vdd = 0.9) {
  SramParams p;
  p.capacity_bytes = bytes;
  p.width_bits = width;
  p.tech = TechPoint{node, vdd, 1.0};
  return p;
}

TEST(CostSram, PublishedBitcellsAtTheirOwnNode) {
  EXPECT_DOUBLE_EQ(sram_bitcell_area_um2(7), 0.027);   // TSMC N7, ISSCC 2017
  EXPECT_DOUBLE_EQ(sram_bitcell_area_um2(16), 0.070);  // TSMC 16 nm, JSSC 2015
  EXPECT_DOUBLE_EQ(sram_bitcell_area_um2(22), 0.092);  // Intel 22 nm
  EXPECT_DOUBLE_EQ(sram_bitcell_area_um2(28), 0.127);  // TSMC 28 nm
  EXPECT_DOUBLE_EQ(sram_bitcell_area_um2(45), 0.346);  // Intel 45 nm (unverified primary)
  EXPECT_DOUBLE_EQ(sram_bitcell_area_um2(65), 0.570);  // Intel 65 nm
}

TEST(CostSram, HorowitzReadEnergiesAt45nm) {
  // Horowitz ISSCC 2014 (45 nm, 0.9 V), 64-bit read: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ.
  EXPECT_NEAR(sram_cost(sram(8 * 1024, 64)).read_energy_pJ, 10.0, 1e-9);
  EXPECT_NEAR(sram_cost(sram(32 * 1024, 64)).read_energy_pJ, 20.0, 1e-9);
  EXPECT_NEAR(sram_cost(sram(1024 * 1024, 64)).read_energy_pJ, 100.0, 1e-9);
  // Per bit: 10 pJ / 64 b = 0.15625 pJ; write = 1.4 x read = 14 pJ.
  const auto s = sram_cost(sram(8 * 1024, 64));
  EXPECT_NEAR(s.read_energy_per_bit_pJ, 0.15625, 1e-12);
  EXPECT_NEAR(s.write_energy_pJ, 14.0, 1e-9);
  // 16 KB sits on the 8->32 KB power law: 10 * 2^0.5 = 14.142 pJ.
  EXPECT_NEAR(sram_cost(sram(16 * 1024, 64)).read_energy_pJ, 14.1421356, 1e-6);
}

TEST(CostSram, AreaFromBitcellAndArrayEfficiency) {
  // 8 KB at 45 nm: 65536 bits * 0.346 um^2 = 22675.456 um^2; / 0.70 = 32393.509 um^2.
  EXPECT_NEAR(sram_cost(sram(8 * 1024, 64)).area_um2, 32393.509, 0.001);
  // 64 KB at 7 nm: 524288 * 0.027 = 14155.776 um^2; / 0.70 = 20222.537 um^2.
  EXPECT_NEAR(sram_cost(sram(64 * 1024, 128, 7, 0.8)).area_um2, 20222.537, 0.001);
}

TEST(CostSram, BiggerNeverSmallerOrCheaperPerAccess) {
  for (int node : supported_nodes_nm()) {
    double prev_area = 0.0, prev_e = 0.0, prev_leak = 0.0;
    for (std::int64_t kb = 1; kb <= 16 * 1024; kb *= 2) {
      const auto s = sram_cost(sram(kb * 1024, 64, node));
      EXPECT_GT(s.area_um2, prev_area) << node << " nm " << kb << " KB";
      EXPECT_GT(s.read_energy_pJ, prev_e) << node << " nm " << kb << " KB";
      EXPECT_GT(s.leakage_uW, prev_leak) << node << " nm " << kb << " KB";
      EXPECT_GE(s.access_cycles, 1);
      prev_area = s.area_um2;
      prev_e = s.read_energy_pJ;
      prev_leak = s.leakage_uW;
    }
  }
}

TEST(CostSram, SmallerNodeMeansLessAreaEnergyLeakage) {
  const auto& nodes = supported_nodes_nm();
  for (std::size_t i = 0; i + 1 < nodes.size(); ++i) {
    const auto a = sram_cost(sram(64 * 1024, 64, nodes[i]));
    const auto b = sram_cost(sram(64 * 1024, 64, nodes[i + 1]));
    EXPECT_LT(a.area_um2, b.area_um2) << nodes[i];
    EXPECT_LT(a.read_energy_pJ, b.read_energy_pJ) << nodes[i];
    EXPECT_LT(a.leakage_uW, b.leakage_uW) << nodes[i];
  }
}

TEST(CostSram, LeakageFromLstpOffCurrent) {
  // 8 KB at 65 nm, 0.9 V: 65536 bits * 100 pA/um * sqrt(0.57) um * 0.9 V
  // = 65536 * 100e-12 * 0.754983 * 0.9 W = 4.4531e-6 W = 4.4531 uW.
  EXPECT_NEAR(sram_cost(sram(8 * 1024, 64, 65, 0.9)).leakage_uW, 4.4531, 1e-3);
}

TEST(CostSram, RegisterFileForTinyTables) {
  // A 1 KB scale table read 16 b at a time: cheaper per read than a 1 KB SRAM, larger in area.
  const auto rf = register_file_cost(sram(1024, 16, 7, 0.8));
  const auto sr = sram_cost(sram(1024, 16, 7, 0.8));
  EXPECT_LT(rf.read_energy_pJ, sr.read_energy_pJ);
  EXPECT_GT(rf.area_um2, sr.area_um2);
  // Bigger register file never smaller / cheaper.
  const auto rf2 = register_file_cost(sram(2048, 16, 7, 0.8));
  EXPECT_GT(rf2.area_um2, rf.area_um2);
  EXPECT_GT(rf2.read_energy_pJ, rf.read_energy_pJ);
}

TEST(CostSram, BadInputThrowsTypedError) {
  EXPECT_THROW(sram_cost(sram(0, 64)), InvalidArgument);
  EXPECT_THROW(sram_cost(sram(8, 128)), InvalidArgument);  // wider than the memory
  EXPECT_THROW(sram_cost(sram(1024, 0)), InvalidArgument);
  EXPECT_THROW(sram_cost(sram(1024, 64, 90)), InvalidArgument);
  EXPECT_THROW(sram_bitcell_area_um2(10), InvalidArgument);
  EXPECT_THROW(register_file_cost(sram(1 << 20, 16)), InvalidArgument);  // > 64 KiB
}

TEST(CostSram, BankedBufferCostsOneBankPlusTheRoute) {
  // One bank (bank >= capacity, or 0): exactly the monolithic model.
  const SramParams small = sram(16 * 1024, 256, 28);
  EXPECT_EQ(sram_bank_count(16 * 1024, 32 * 1024), 1);
  EXPECT_EQ(sram_bank_count(16 * 1024, 0), 1);
  EXPECT_DOUBLE_EQ(banked_sram_cost(small, 32 * 1024).read_energy_pJ,
                   sram_cost(small).read_energy_pJ);
  // 1.5 MiB in 32 KiB banks: 48 banks. Area and leakage: the banks'; an access: one 32 KiB bank
  // plus 256 wires over half the side of the buffer, rising on 1/4 of the accesses.
  const SramParams big = sram(1536 * 1024, 256, 28);
  EXPECT_EQ(sram_bank_count(big.capacity_bytes, 32 * 1024), 48);
  const SramCost b = banked_sram_cost(big, 32 * 1024);
  const SramCost bank = sram_cost(sram(32 * 1024, 256, 28));
  EXPECT_NEAR(b.area_um2, 48 * bank.area_um2, 1e-6 * b.area_um2);
  EXPECT_NEAR(b.area_um2, sram_cost(big).area_um2, 1e-6 * b.area_um2);  // same bits, same cell
  EXPECT_NEAR(b.leakage_uW, 48 * bank.leakage_uW, 1e-9 * b.leakage_uW);
  const double route_pJ = 0.25 * 0.2 * (0.5 * std::sqrt(b.area_um2)) * 0.9 * 0.9 * 1e-3 * 256;
  EXPECT_NEAR(b.read_energy_pJ, bank.read_energy_pJ + route_pJ, 1e-9);
  EXPECT_NEAR(b.write_energy_pJ, bank.write_energy_pJ + route_pJ, 1e-9);
  // Far cheaper per access than one 1.5 MiB array (the 1.0 pJ/bit vs ~0.2), dearer than a
  // lone bank; the route grows with the capacity.
  EXPECT_LT(b.read_energy_per_bit_pJ, 0.3 * sram_cost(big).read_energy_per_bit_pJ);
  EXPECT_GT(b.read_energy_per_bit_pJ, bank.read_energy_per_bit_pJ);
  EXPECT_GT(banked_sram_cost(sram(6 * 1024 * 1024, 256, 28), 32 * 1024).read_energy_pJ,
            b.read_energy_pJ);
  EXPECT_EQ(b.access_cycles, bank.access_cycles);
  EXPECT_THROW(banked_sram_cost(sram(0, 64), 1024), InvalidArgument);
}

TEST(CostDram, PresetsAndTransfers) {
  const auto lp4 = dram_preset(DramKind::kLpddr4);
  const auto lp5 = dram_preset("LPDDR5");
  const auto hbm = dram_preset("hbm2");
  EXPECT_DOUBLE_EQ(lp4.energy_pJ_per_bit, 14.0);
  EXPECT_NEAR(lp5.energy_pJ_per_bit, 9.8, 1e-12);  // 14 * 0.7
  EXPECT_DOUBLE_EQ(hbm.energy_pJ_per_bit, 3.9);
  // 3200 MT/s * 64 pins / 8 = 25.6 GB/s; 6400 -> 51.2 GB/s; 2000 * 1024 / 8 = 256 GB/s.
  EXPECT_NEAR(lp4.bandwidth_GBps, 25.6, 1e-12);
  EXPECT_NEAR(lp5.bandwidth_GBps, 51.2, 1e-12);
  EXPECT_NEAR(hbm.bandwidth_GBps, 256.0, 1e-12);
  // 64 B over HBM2: 512 b * 3.9 pJ = 1996.8 pJ; 64 B / 256 GB/s = 0.25 ns.
  EXPECT_NEAR(dram_transfer_energy_pJ(hbm, 64), 1996.8, 1e-9);
  EXPECT_NEAR(dram_transfer_time_ns(hbm, 64), 0.25, 1e-12);
  EXPECT_THROW(dram_preset("ddr3"), ConfigError);
  EXPECT_THROW(dram_transfer_energy_pJ(hbm, -1.0), InvalidArgument);
}

}  // namespace
}  // namespace cimba::cost
