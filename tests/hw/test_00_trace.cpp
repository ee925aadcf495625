// The VCD trace (hw.trace). SystemC can only open a trace before its first simulation, so this
// file is named to run first in the test binary; under ctest every test has its own process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "hw_test_util.hpp"
#include "models/common/error.hpp"

namespace cimba::hw {
namespace {

TEST(HwTrace, WritesAVcdWithBusyOpAndQueueSignals) {
  if (hardware_has_run()) GTEST_SKIP() << "the accelerator already ran in this process";
  const auto path = std::filesystem::temp_directory_path() /
                    ("cimba_hw_trace_" + std::to_string(::getpid()) + ".vcd");
  HwParams hw = test::small_hw();
  hw.trace = path.string();
  const auto shape = test::small_shape(8);
  const auto model = test::small_model(shape);
  const auto x = test::random_input(8, shape.d_model, 3);
  LayerQuant base;
  const LayerQuant q = calibrate_static(model.layers[0], shape, base, hw, x, 16);
  const auto program =
      workloads::build_mamba1_layer_program(shape, mamba1_program_options(hw, shape, q, 8));
  LayerExecutor ex(shape, model.layers[0], q, hw, x);
  const HwReport r = run_on_hardware(program, ex, hw);
  EXPECT_EQ(r.total_cycles, 803);  // as HwLayer.ChainCycleExactAndNumerics derives
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << path;
  std::stringstream text;
  text << in.rdbuf();
  const std::string vcd = text.str();
  // each unit is a scope with its busy flag, current op id and queue depth
  for (const char* s : {"$enddefinitions", "$scope module cim $end", "$scope module ssm $end",
                        "$scope module controller $end", " busy ", " op [31:0]", " queue [31:0]",
                        " completed [31:0]", "1 ns", "#803"})
    EXPECT_NE(vcd.find(s), std::string::npos) << s;
  std::filesystem::remove(path);
  // a second run of the process cannot open a trace
  LayerExecutor ex2(shape, model.layers[0], q, hw, x);
  EXPECT_THROW(run_on_hardware(program, ex2, hw), ConfigError);
  hw.trace.clear();
  LayerExecutor ex3(shape, model.layers[0], q, hw, x);
  EXPECT_EQ(run_on_hardware(program, ex3, hw).total_cycles, 803);
}

}  // namespace
}  // namespace cimba::hw
