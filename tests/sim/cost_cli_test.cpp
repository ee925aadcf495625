// The real `cimba` binary: `cimba cost` and `cimba validate` (exit codes, totals, bad options).
#include <gtest/gtest.h>

#include <string>

#include "test_helpers.hpp"

namespace cimba::sim {
namespace {

using testing::Outcome;
using testing::read_text;
using testing::run_cimba;
using testing::ScratchDir;

TEST(CimbaCost, TopLevelHelpListsBothCommands) {
  ScratchDir dir;
  const Outcome help = run_cimba(dir, "--help");
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("\n  cost "), std::string::npos);
  EXPECT_NE(help.out.find("\n  validate "), std::string::npos);
}

TEST(CimbaCost, DefaultTableHasComponentsUnitsAndTotals) {
  ScratchDir dir;
  const Outcome cost = run_cimba(dir, "cost");
  EXPECT_EQ(cost.exit_code, 0) << cost.err;
  EXPECT_EQ(cost.err, "");
  for (const char* needle : {"area_um2/inst", "area_mm2", "energy_pJ", "latency_ns", "leakage_uW",
                             "CIM array 256x256", "ADC (survey, 6 b)", "SSM state SRAM", "DRAM LPDDR5",
                             "total on-chip area:", "mm^2", "total leakage:", "sources:"})
    EXPECT_NE(cost.out.find(needle), std::string::npos) << needle;
}

TEST(CimbaCost, OptionsChangeTheTable) {
  ScratchDir dir;
  const Outcome cost =
      run_cimba(dir,
                "cost --node 28 --adc-bits 8 --adc-model sar --rows 128 --cols 64 --macros 4 "
                "--cell 8t1c --dram hbm2");
  EXPECT_EQ(cost.exit_code, 0) << cost.err;
  for (const char* needle : {"28 nm", "CIM array 128x64", "ADC (sar, 8 b)", "DRAM HBM2",
                             "4 CIM macros", "8t1c", "total on-chip area:"})
    EXPECT_NE(cost.out.find(needle), std::string::npos) << needle;
  // 64 columns / 8 conversions per ADC = 8 ADCs per macro, 32 in total.
  EXPECT_NE(cost.out.find("ADC (sar, 8 b)                     32"), std::string::npos) << cost.out;
}

TEST(CimbaCost, HelpExplainsEveryOption) {
  ScratchDir dir;
  const Outcome help = run_cimba(dir, "cost --help");
  EXPECT_EQ(help.exit_code, 0) << help.err;
  for (const char* option : {"--node",
                             "--vdd",
                             "--clock",
                             "--macros",
                             "--rows",
                             "--cols",
                             "--cell",
                             "--encoding",
                             "--input-bits",
                             "--dac-bits",
                             "--input-activity",
                             "--cols-per-conversion",
                             "--conversions-per-adc",
                             "--pulse-width",
                             "--acc-bits",
                             "--adc-model",
                             "--adc-bits",
                             "--input-buffer-kib",
                             "--output-buffer-kib",
                             "--ssm-state-kib",
                             "--sram-width",
                             "--scale-table-bytes",
                             "--scale-table-width",
                             "--fp32-adders",
                             "--fp32-multipliers",
                             "--int-adders",
                             "--int-adder-bits",
                             "--exp-units",
                             "--softplus-units",
                             "--sfu",
                             "--pwl-segments",
                             "--dram",
                             "Examples:",
                             "Exit status"})
    EXPECT_NE(help.out.find(option), std::string::npos) << option;
}

TEST(CimbaCost, BadValuesExitTwoNamingTheOptionAndRange) {
  ScratchDir dir;
  struct Case {
    const char* args;
    const char* expected;
  };
  for (const Case& c :
       {Case{"cost --rows 0", "--rows = 0 is outside the allowed range [1, 8192]"},
        Case{"cost --node 5", "--node = 5 is not supported (allowed: 7, 16"},
        Case{"cost --adc-bits 17", "--adc-bits = 17 is outside"},
        Case{"cost --vdd 2", "--vdd = 2 is outside the allowed range [0.6, 1.3]"},
        Case{"cost --vdd 0.5", "--vdd = 0.5 is outside the allowed range [0.6, 1.3]"},
        Case{"cost --adc-model pipelined", "allowed: survey, sar, flash"},
        Case{"cost --cell 10t", "allowed: 6t, 8t, 8t1c"},
        Case{"cost --cols 100 --cols-per-conversion 3", "must divide --cols"},
        Case{"cost --dac-bits 4", "--dac-bits = 4 is outside the allowed range"},
        Case{"cost --rows abc", "--rows"}, Case{"cost --bogus", "bogus"}}) {
    const Outcome bad = run_cimba(dir, c.args);
    EXPECT_EQ(bad.exit_code, 2) << c.args;
    EXPECT_NE(bad.err.find("cimba: error: "), std::string::npos) << c.args << ": " << bad.err;
    EXPECT_NE(bad.err.find(c.expected), std::string::npos) << c.args << ": " << bad.err;
    EXPECT_EQ(bad.out, "") << c.args;
  }
}

TEST(CimbaValidate, PrintsEveryFigureWithBasisAndPasses) {
  ScratchDir dir;
  const Outcome v = run_cimba(dir, "validate");
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  for (const char* needle :
       {"FITTED on ONE macro only: Jia et al.", "HELD OUT", "published", "cimba", "error", "basis",
        "gated", "fitted", "predicted", "Jia JSSC'20 (65 nm)", "Sinangil JSSC'21 (7 nm)",
        "TOPS/W (4b x 4b) @0.8V", "array_energy_factor", "result: PASS"})
    EXPECT_NE(v.out.find(needle), std::string::npos) << needle;
}

TEST(CimbaValidate, HelpAndBadOption) {
  ScratchDir dir;
  const Outcome help = run_cimba(dir, "validate --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Exit status"), std::string::npos);
  const Outcome bad = run_cimba(dir, "validate --node 7");
  EXPECT_EQ(bad.exit_code, 2);
}

}  // namespace
}  // namespace cimba::sim
