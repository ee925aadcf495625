// Latency formulas, parameter validation and the ledger, without SystemC.
#include <gtest/gtest.h>

#include "hw/ledger.hpp"
#include "hw/params.hpp"
#include "hw/timing.hpp"
#include "models/common/error.hpp"
#include "models/cost/dac.hpp"

namespace cimba::hw {
namespace {

void expect_config_error(const HwParams& hw, const std::string& key_and_rule) {
  try {
    hw.validate();
    FAIL() << "expected ConfigError containing: " << key_and_rule;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(key_and_rule), std::string::npos) << e.what();
  }
}

TEST(HwParams, WeightPlanIsOverTheWholeModel) {
  CimParams cim;  // defaults: resident, macros 0 = sized to the model
  CimWeightPlan p = plan_cim_weights(cim, 1008);
  EXPECT_EQ(p.macros, 1008);
  EXPECT_TRUE(p.resident);
  cim.macros = 2000;  // more macros than tiles: resident, the count as configured
  EXPECT_EQ(plan_cim_weights(cim, 1008).macros, 2000);
  cim.macros = 256;
  EXPECT_THROW(plan_cim_weights(cim, 1008), ConfigError);  // resident cannot hold the model
  cim.weights = WeightPlacement::Auto;
  p = plan_cim_weights(cim, 1008);
  EXPECT_EQ(p.macros, 256);
  EXPECT_FALSE(p.resident);
  EXPECT_TRUE(plan_cim_weights(cim, 200).resident);
  cim.weights = WeightPlacement::Streamed;
  EXPECT_FALSE(plan_cim_weights(cim, 200).resident);  // streamed reloads even when it fits
  cim.macros = 0;
  EXPECT_THROW(plan_cim_weights(cim, 200), ConfigError);  // streamed needs a count
  HwParams hw;
  hw.cim.weights = WeightPlacement::Streamed;
  EXPECT_THROW(hw.validate(), ConfigError);
}

TEST(HwParams, DefaultsAreValid) { EXPECT_NO_THROW(default_hw_params().validate()); }

TEST(HwParams, RejectsBadValuesNamingTheKey) {
  HwParams hw = default_hw_params();
  hw.cim.rows = 0;
  expect_config_error(hw, "hw.cim.rows: must be >= 1, got 0");
  hw = default_hw_params();
  hw.cim.adc.bits = 17;
  expect_config_error(hw, "hw.cim.adc.bits: must be in 1..16, got 17");
  hw = default_hw_params();
  hw.ssm.lanes = 0;
  expect_config_error(hw, "hw.ssm.lanes: must be >= 1, got 0");
  hw = default_hw_params();
  hw.cim.cell_bits = 9;  // > w_bits 8
  expect_config_error(hw, "hw.cim.cell_bits: must be in 1..8, got 9");
  hw = default_hw_params();
  hw.cim.cols = 3;  // 8-bit weights in 2-bit cells need 4 columns
  expect_config_error(hw, "hw.cim.cols: must be >= 4, got 3");
  hw = default_hw_params();
  hw.sram["xz"].ports = 0;
  expect_config_error(hw, "hw.sram.xz.ports: must be >= 1, got 0");
  hw = default_hw_params();
  hw.dram.preset = "ddr9";
  expect_config_error(hw, "hw.dram.preset: unknown preset 'ddr9'");
  hw = default_hw_params();
  hw.clock_mhz = 0.0;
  expect_config_error(hw, "hw.clock_mhz: must be a finite number > 0");
  EXPECT_THROW(parse_index_impl("tree"), ConfigError);
  EXPECT_THROW(parse_exp_impl("taylor"), ConfigError);
  EXPECT_EQ(parse_index_impl("lut"), IndexImpl::Lut);
}

TEST(HwParams, DramPresetAndOverride) {
  HwParams hw;
  // Default lpddr4_4266: 4266 MT/s x 32 bit = 17.064 GB/s, 52.9 ns.
  EXPECT_DOUBLE_EQ(hw.dram_bandwidth_gbps(), 17.064);
  EXPECT_DOUBLE_EQ(hw.dram_latency_ns(), 52.9);
  hw.dram.preset = "ddr4_3200";
  EXPECT_DOUBLE_EQ(hw.dram_bandwidth_gbps(), 25.6);
  EXPECT_DOUBLE_EQ(hw.dram_latency_ns(), 41.25);
  hw.dram.preset = "hbm2";
  EXPECT_DOUBLE_EQ(hw.dram_bandwidth_gbps(), 256.0);
  hw.dram.bandwidth_gbps = 10.0;
  EXPECT_DOUBLE_EQ(hw.dram_bandwidth_gbps(), 10.0);
}

TEST(Timing, SramAndDram) {
  SramParams s{0, 256, 2};
  // 1000 bits over 256 x 2 = 512 bits per cycle: ceil(1000 / 512) = 2
  EXPECT_EQ(sram_cycles(1000, s), 2);
  EXPECT_EQ(sram_cycles(512, s), 1);
  EXPECT_EQ(sram_cycles(0, s), 0);
  HwParams hw;
  hw.clock_mhz = 800.0;
  // (40 ns + 1000 B / 25 GB/s = 40 ns) = 80 ns x 800 MHz / 1000 = 64 cycles
  EXPECT_EQ(dram_cycles(1000, 25.0, 40.0, hw), 64);
  // (40 + 1001 / 25 = 80.04 ns) x 0.8 = 64.032 -> 65
  EXPECT_EQ(dram_cycles(1001, 25.0, 40.0, hw), 65);
}

TEST(Timing, CimStepRoundAndProgram) {
  HwParams hw;
  hw.clock_mhz = 1000.0;
  hw.cim.adc.conversion_ns = 2.5;  // 2.5 cycles -> 3
  hw.cim.cols_per_adc = 8;
  hw.cim.input_cycles_per_slice = 2;
  hw.cim.shift_add_latency = 1;
  EXPECT_EQ(adc_conversion_cycles(hw), 3);
  // step = max(2, 8 x 3) = 24
  EXPECT_EQ(cim_step_cycles(hw), 24);
  // round = 2 + 5 tokens x 2 slices x 24 + 1 = 243
  EXPECT_EQ(cim_round_compute_cycles(hw, 5, 2), 243);
  hw.cim.cols_per_adc = 1;
  hw.cim.adc.conversion_ns = 1.0;
  hw.cim.input_cycles_per_slice = 4;
  // step = max(4, 1 x 1) = 4: input-bound
  EXPECT_EQ(cim_step_cycles(hw), 4);
  hw.cim.write_cycles_per_row = 2;
  // program = max(64 rows x 2, ceil(65536 bits / (256 x 2))) = max(128, 128) = 128
  EXPECT_EQ(cim_program_cycles(hw, 64, 65536, SramParams{0, 256, 2}), 128);
  // narrow weight buffer: max(128, 65536 / 64) = 1024
  EXPECT_EQ(cim_program_cycles(hw, 64, 65536, SramParams{0, 64, 1}), 1024);
}

// The drive of one input slice comes from hw.cim.dac (auto: 1 bit bit-serial, 2..4 bits pulse
// count, more amplitude): one 1 ns pulse, 2^b - 1 pulses, or the amplitude DAC's settling into
// the row line; the step is bounded by it when the ADCs are fast, and an explicit
// input_cycles_per_slice shorter than the drive is rejected.
TEST(Timing, InputDriveFollowsTheDac) {
  HwParams hw;
  hw.clock_mhz = 1000.0;
  hw.cim.cols_per_adc = 1;
  hw.cim.adc.model = cost::AdcModel::kFlash;  // 1 ns conversions
  hw.cim.adc.bits = 6;
  hw.cim.slice_bits = 1;
  EXPECT_EQ(hw.cim.input_encoding(), cost::InputEncoding::kBitSerial);
  EXPECT_EQ(cim_drive_cycles(hw), 1);
  hw.cim.slice_bits = 4;
  EXPECT_EQ(hw.cim.input_encoding(), cost::InputEncoding::kPulseCount);
  EXPECT_EQ(cim_drive_cycles(hw), 15);
  EXPECT_EQ(cim_step_cycles(hw), 15);
  hw.cim.pulse_ns = 0.5;
  EXPECT_EQ(cim_drive_cycles(hw), 8);  // 7.5 ns
  hw.cim.pulse_ns = 1.0;
  hw.cim.slice_bits = 8;
  EXPECT_EQ(hw.cim.input_encoding(), cost::InputEncoding::kAmplitude);
  const cost::CimMacroParams g = cim_macro_geometry(hw);
  const double settle =
      cost::r2r_dac_settle_ns(8, cost::cim_row_line_cap_fF(g.cell, g.tech, g.cols));
  EXPECT_EQ(cim_drive_cycles(hw), hw.ns_to_cycles(std::max(1.0, settle)));
  EXPECT_NO_THROW(check_cim_costable(hw));
  hw.cim.dac = InputDrive::PulseCount;
  EXPECT_EQ(cim_drive_cycles(hw), 255);
  try {
    check_cim_costable(hw);
    FAIL() << "pulse_count with 8-bit slices must be rejected";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("hw.cim.dac: pulse_count drives at most 4-bit slices"),
              std::string::npos)
        << e.what();
  }
  hw.cim.dac = InputDrive::BitSerial;
  EXPECT_THROW(check_cim_costable(hw), ConfigError);
  hw.cim.dac = InputDrive::Amplitude;
  hw.cim.slice_bits = 9;
  EXPECT_THROW(check_cim_costable(hw), ConfigError);
  hw.cim.slice_bits = 4;
  hw.cim.dac = InputDrive::PulseCount;
  hw.cim.input_cycles_per_slice = 14;
  try {
    check_cim_costable(hw);
    FAIL() << "a drive shorter than 15 pulses must be rejected";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("hw.cim.input_cycles_per_slice: 14 cycles are shorter"),
              std::string::npos)
        << e.what();
  }
  hw.cim.input_cycles_per_slice = 20;
  EXPECT_NO_THROW(check_cim_costable(hw));
  EXPECT_EQ(cim_drive_cycles(hw), 20);
}

TEST(Timing, ScanConvLookupMuxVec) {
  HwParams hw;
  hw.ssm.lanes = 16;
  hw.ssm.exp_latency = 4;
  hw.ssm.mul_latency = 3;
  hw.ssm.add_latency = 2;
  // D 64, N 16: passes = 64*16/16 + 64/16 = 64 + 4 = 68 > rec = 3+4+3+2 = 12 -> II 68
  // front = 4 + 3 = 7; tail = 3 + log2(16)=4 x 2 + 2 = 13; 7 + 10 x 68 + 13 = 700
  EXPECT_EQ(scan_cycles(hw, 64, 16, 10), 700);
  // D 4, N 2: passes = ceil(8/16) + ceil(4/16) = 2 < rec 12 -> II 12 (recurrence-bound)
  // front 7, tail = 3 + 1 x 2 + 2 = 7; 7 + 5 x 12 + 7 = 74
  EXPECT_EQ(scan_cycles(hw, 4, 2, 5), 74);
  hw.conv.lanes = 8;
  hw.conv.latency = 6;
  EXPECT_EQ(conv_cycles(hw, 100), 13 + 6);  // ceil(100 / 8) = 13
  hw.index.units = 4;
  hw.index.impl = IndexImpl::Sequential;
  EXPECT_EQ(lookup_cycles(hw, 10, 35), 12);  // ceil((35 + 10) / 4) = 12
  hw.index.impl = IndexImpl::Parallel;
  EXPECT_EQ(lookup_cycles(hw, 10, 35), 3 + 2);  // ceil(10 / 4) + 2
  hw.index.impl = IndexImpl::Lut;
  EXPECT_EQ(lookup_cycles(hw, 10, 35), 3 + 1);
  hw.mux.lanes = 16;
  hw.mux.latency = 2;
  EXPECT_EQ(mux_cycles(hw, 33), 3 + 2);
  hw.vec.lanes = 16;
  hw.vec.latency = 4;
  EXPECT_EQ(vec_cycles(hw, 256, 2), 2 * 16 + 4);
  EXPECT_EQ(ceil_log2(1), 0);
  EXPECT_EQ(ceil_log2(5), 3);
}

TEST(Ledger, CountsAndPricing) {
  Ledger l;
  l.book("cim", Action::AdcConversion, 10);
  l.book("cim", Action::AdcConversion, 5);
  l.book("sram.xz", Action::SramReadBit, 1000);
  l.book("sram.u", Action::SramReadBit, 10);
  EXPECT_EQ(l.count("cim", Action::AdcConversion), 15);
  EXPECT_EQ(l.total(Action::SramReadBit), 1010);
  EnergyTable t;
  t.pj["adc_conversion"] = 2.0;
  t.pj["sram_read_bit"] = 0.01;
  t.pj["sram_read_bit@sram.u"] = 0.5;
  const EnergyReport r = price(l, t);
  // 15 x 2 + 1000 x 0.01 + 10 x 0.5 = 30 + 10 + 5 = 45 pJ
  EXPECT_DOUBLE_EQ(r.total_pJ, 45.0);
  EXPECT_TRUE(r.unpriced.empty());
  l.book("ssm", Action::Fp32Exp, 3);
  const EnergyReport r2 = price(l, t);
  ASSERT_EQ(r2.unpriced.size(), 1u);
  EXPECT_EQ(r2.unpriced[0], "fp32_exp@ssm");
}

}  // namespace
}  // namespace cimba::hw
