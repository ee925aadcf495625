// `cimba run` with workload kind mamba on the accelerator (sim/hardware_report.*): latency,
// energy and area in result.json with units, totals and per-token figures that add up, the
// cost models' trends (ADC bits, clock), bad hw keys, the VCD trace and determinism. Runs are
// short: the built-in mamba-bytes-4l, one window of 32 bytes, dynamic ranges (no calibration).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hw/params.hpp"
#include "hw/timing.hpp"
#include "models/cost/cim.hpp"
#include "models/common/error.hpp"
#include "sim/config.hpp"
#include "sim/hardware_report.hpp"
#include "sim/run.hpp"
#include "test_helpers.hpp"
#include "workloads/io/builtin_data.hpp"

namespace cimba::sim {
namespace {

using json = nlohmann::ordered_json;
using testing::error_message;
using testing::ScratchDir;

/// One window of L = 32 tokens, token chunks of 16, dynamic ranges: a run of about a second.
std::vector<std::string> small_run(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> sets{"workload.kind=mamba",
                                "workload.mamba.windows=1",
                                "workload.mamba.window=32",
                                "workload.mamba.batch_windows=1",
                                "workload.ssm_input.range=dynamic",
                                "hw.token_chunk=16"};
  sets.insert(sets.end(), extra.begin(), extra.end());
  return sets;
}

/// The run of `sets`, computed once per process.
const RunOutput& run_of(const std::vector<std::string>& sets) {
  static std::map<std::vector<std::string>, RunOutput> cache;
  auto it = cache.find(sets);
  if (it == cache.end())
    it = cache.emplace(sets, execute_run(load_run_config(std::nullopt, sets))).first;
  return it->second;
}

double sum_over_layers(const json& hardware, const std::string& key) {
  double s = 0.0;
  for (const json& l : hardware["layers"]) s += l[key].get<double>();
  return s;
}

TEST(HardwareRun, BuiltinModelResolvesToItsFolderAndIsTheDefault) {
  const auto dir = workloads::resolve_data_path("builtin:mamba-bytes-4l");
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / "config.json")) << dir;
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / "model.safetensors.index.json")) << dir;
  EXPECT_EQ(RunConfig{}.workload.mamba.model, "builtin:mamba-bytes-4l");
  const std::string message =
      error_message<IoError>([] { workloads::resolve_data_path("builtin:no-such-model"); });
  EXPECT_NE(message.find("builtin:mamba-bytes-4l"), std::string::npos) << message;
  EXPECT_NE(message.find("builtin:linear_example"), std::string::npos) << message;
}

TEST(HardwareRun, TheDefaultRunIsTheShippedDefaultMambaConfig) {
  // `cimba run` without a config runs configs/default-mamba.yaml (an explicit copy).
  const RunConfig from_file = load_run_config(
      std::filesystem::path(CIMBA_SOURCE_DIR) / "configs" / "default-mamba.yaml", {});
  EXPECT_EQ(config_to_json(from_file), config_to_json(RunConfig{}));
  EXPECT_EQ(RunConfig{}.workload.kind, WorkloadKind::Mamba);
}

TEST(HardwareRun, DefaultDramIsPricedAndFirstLayerScalingIsExact) {
  // The default DRAM (lpddr4_4266) has an energy per bit: no dram action is unpriced, and the
  // DRAM energy is in the totals.
  const json& h = run_of(small_run()).result["hardware"];
  for (const json& u : h["unpriced"])
    EXPECT_NE(u["action"].get<std::string>().rfind("dram_", 0), 0u) << u.dump();
  EXPECT_GT(h["totals"]["energy_by_component_pJ"]["dram"].get<double>(), 0.0);
  // hw.simulate_layers first (the default) counts layer 0 once per layer; playing every layer
  // gives the same latency and energy (all layers have one shape; counts depend on shapes only).
  const json& all = run_of(small_run({"hw.simulate_layers=all"})).result["hardware"];
  EXPECT_EQ(h["totals"]["latency_cycles"], all["totals"]["latency_cycles"]);
  EXPECT_NEAR(h["totals"]["dynamic_energy_pJ"].get<double>(),
              all["totals"]["dynamic_energy_pJ"].get<double>(),
              1e-9 * all["totals"]["dynamic_energy_pJ"].get<double>());
  EXPECT_EQ(h["layers"][2]["simulated"], false);  // carries layer 1's report (a middle layer)
  EXPECT_TRUE(h["layers"][2]["adc_saturated"].is_null());
  EXPECT_EQ(all["layers"][2]["simulated"], true);
}

TEST(HardwareRun, SequentialIndexWalkPlaysEveryLayerAndSaysSo) {
  // The sequential walk of the group scheme is data-dependent: hw.simulate_layers first plays
  // every layer anyway, and the notes say why (next to the residual-stream note).
  const json& h = run_of(small_run({"workload.ssm_input.scheme=group", "hw.index.impl=sequential"}))
                      .result["hardware"];
  for (const json& l : h["layers"]) EXPECT_EQ(l["simulated"], true) << l["layer"];
  bool walk = false, stream = false;
  for (const json& n : h["notes"]) {
    const std::string t = n.get<std::string>();
    walk = walk || t.find("every layer was played although hw.simulate_layers is first") !=
                       std::string::npos;
    stream = stream || t.rfind("residual stream:", 0) == 0;
  }
  EXPECT_TRUE(walk);
  EXPECT_TRUE(stream);
}

TEST(HardwareRun, ConfigDefaultsEqualTheHardwareModelsDefaults) {
  const hw::HwParams from_config = to_hw_params(RunConfig{});
  const hw::HwParams d = hw::default_hw_params();
  EXPECT_EQ(from_config.clock_mhz, d.clock_mhz);
  EXPECT_EQ(from_config.queue_depth, d.queue_depth);
  EXPECT_EQ(from_config.cim.rows, d.cim.rows);
  EXPECT_EQ(from_config.cim.cols, d.cim.cols);
  EXPECT_EQ(from_config.cim.w_bits, d.cim.w_bits);  // quant.w_bits 8
  EXPECT_EQ(from_config.cim.cell_bits, d.cim.cell_bits);
  EXPECT_EQ(from_config.cim.cols_per_adc, d.cim.cols_per_adc);
  EXPECT_EQ(from_config.cim.macros, d.cim.macros);
  EXPECT_EQ(from_config.cim.input_cycles_per_slice, d.cim.input_cycles_per_slice);
  EXPECT_EQ(from_config.cim.write_cycles_per_row, d.cim.write_cycles_per_row);
  EXPECT_EQ(from_config.cim.shift_add_latency, d.cim.shift_add_latency);
  EXPECT_EQ(from_config.cim.adc.bits, d.cim.adc.bits);
  EXPECT_EQ(from_config.cim.adc.conversion_ns, d.cim.adc.conversion_ns);
  EXPECT_EQ(from_config.ssm.lanes, d.ssm.lanes);
  EXPECT_EQ(from_config.ssm.exp_latency, d.ssm.exp_latency);
  EXPECT_EQ(from_config.ssm.mul_latency, d.ssm.mul_latency);
  EXPECT_EQ(from_config.ssm.add_latency, d.ssm.add_latency);
  EXPECT_EQ(from_config.ssm.exp_impl, d.ssm.exp_impl);
  EXPECT_EQ(from_config.conv.lanes, d.conv.lanes);
  EXPECT_EQ(from_config.conv.latency, d.conv.latency);
  EXPECT_EQ(from_config.index.impl, d.index.impl);
  EXPECT_EQ(from_config.index.units, d.index.units);
  EXPECT_EQ(from_config.index.lookups, d.index.lookups);
  EXPECT_EQ(from_config.mux.lanes, d.mux.lanes);
  EXPECT_EQ(from_config.mux.latency, d.mux.latency);
  EXPECT_EQ(from_config.vec.lanes, d.vec.lanes);
  EXPECT_EQ(from_config.vec.latency, d.vec.latency);
  EXPECT_EQ(from_config.mac.rows, d.mac.rows);
  EXPECT_EQ(from_config.mac.cols, d.mac.cols);
  EXPECT_EQ(from_config.mac.latency, d.mac.latency);
  EXPECT_EQ(from_config.sram_default.bytes, d.sram_default.bytes);
  EXPECT_EQ(from_config.sram_default.width_bits, d.sram_default.width_bits);
  EXPECT_EQ(from_config.sram_default.ports, d.sram_default.ports);
  ASSERT_EQ(from_config.sram.size(), d.sram.size());
  for (const auto& [name, s] : d.sram) {
    ASSERT_TRUE(from_config.sram.count(name)) << name;
    EXPECT_EQ(from_config.sram.at(name).bytes, s.bytes) << name;
    EXPECT_EQ(from_config.sram.at(name).width_bits, s.width_bits) << name;
    EXPECT_EQ(from_config.sram.at(name).ports, s.ports) << name;
    EXPECT_EQ(from_config.sram.at(name).bank_bytes, s.bank_bytes) << name;
  }
  EXPECT_EQ(from_config.sram_default.bank_bytes, d.sram_default.bank_bytes);
  EXPECT_EQ(from_config.dram.preset, d.dram.preset);
  EXPECT_EQ(from_config.dram.bandwidth_gbps, d.dram.bandwidth_gbps);
  EXPECT_EQ(from_config.dram.latency_ns, d.dram.latency_ns);
  EXPECT_EQ(from_config.trace, d.trace);
}

TEST(HardwareRun, ResultHasLatencyEnergyAndAreaWithUnitsThatAddUp) {
  const RunOutput& out = run_of(small_run());
  const json& h = out.result["hardware"];
  const json& t = h["totals"];
  const double tokens = 32.0;
  ASSERT_EQ(h["tokens_per_window"], 32);
  ASSERT_EQ(h["layers"].size(), 4u);  // mamba-bytes-4l

  // Positive values with their units in the key names.
  EXPECT_GT(t["latency_cycles"].get<std::int64_t>(), 0);
  EXPECT_GT(t["latency_ns"].get<double>(), 0.0);
  EXPECT_GT(t["energy_pJ"].get<double>(), 0.0);
  EXPECT_GT(t["dynamic_energy_pJ"].get<double>(), 0.0);
  EXPECT_GT(t["leakage_energy_pJ"].get<double>(), 0.0);
  EXPECT_GT(h["area"]["area_um2"].get<double>(), 0.0);
  EXPECT_GT(h["area"]["leakage_uW"].get<double>(), 0.0);
  for (const json& a : h["area"]["components"]) EXPECT_GT(a["area_um2"].get<double>(), 0.0) << a;

  // The bounding unit is one of the units.
  std::set<std::string> units;
  for (const json& u : t["units"]) units.insert(u["unit"].get<std::string>());
  EXPECT_TRUE(units.count(t["bounding_unit"].get<std::string>())) << t["bounding_unit"];
  for (const json& l : h["layers"])
    EXPECT_TRUE(units.count(l["bounding_unit"].get<std::string>())) << l["bounding_unit"];

  // Totals are the sums over the layers (layers run one after another).
  EXPECT_DOUBLE_EQ(t["latency_ns"].get<double>(), sum_over_layers(h, "latency_ns"));
  EXPECT_DOUBLE_EQ(double(t["latency_cycles"].get<std::int64_t>()),
                   sum_over_layers(h, "latency_cycles"));
  EXPECT_NEAR(t["energy_pJ"].get<double>(), sum_over_layers(h, "energy_pJ"),
              1e-9 * t["energy_pJ"].get<double>());
  EXPECT_NEAR(t["dynamic_energy_pJ"].get<double>(), sum_over_layers(h, "dynamic_energy_pJ"),
              1e-9 * t["dynamic_energy_pJ"].get<double>());
  double by_component = 0.0;
  for (const auto& [name, e] : t["energy_by_component_pJ"].items()) by_component += e.get<double>();
  EXPECT_NEAR(by_component, t["dynamic_energy_pJ"].get<double>(), 1e-9 * by_component);
  // Area: the sum of its components.
  double area = 0.0;
  for (const json& a : h["area"]["components"]) area += a["area_um2"].get<double>();
  EXPECT_NEAR(area, h["area"]["area_um2"].get<double>(), 1e-9 * area);
  // Leakage energy = leakage power x latency: uW x ns = 1e-15 J = 1e-3 pJ.
  EXPECT_NEAR(t["leakage_energy_pJ"].get<double>(),
              h["area"]["leakage_uW"].get<double>() * t["latency_ns"].get<double>() * 1e-3,
              1e-9 * t["leakage_energy_pJ"].get<double>());

  // Per token: energy_pJ_per_token x tokens = energy_pJ; latency likewise; throughput = tokens /
  // latency in seconds.
  EXPECT_NEAR(t["energy_pJ_per_token"].get<double>() * tokens, t["energy_pJ"].get<double>(),
              1e-9 * t["energy_pJ"].get<double>());
  EXPECT_NEAR(t["latency_ns_per_token"].get<double>() * tokens, t["latency_ns"].get<double>(),
              1e-9 * t["latency_ns"].get<double>());
  EXPECT_NEAR(t["throughput_tokens_per_s"].get<double>(),
              tokens / (t["latency_ns"].get<double>() * 1e-9),
              1e-9 * t["throughput_tokens_per_s"].get<double>());
  // Latency in ns = cycles x 1000 / clock_mhz (1000 MHz: 1 ns per cycle).
  for (const json& l : h["layers"])
    EXPECT_DOUBLE_EQ(l["latency_ns"].get<double>(),
                     double(l["latency_cycles"].get<std::int64_t>()) * 1000.0 / 1000.0);

  // Every action of the default run is priced; an unpriced one (the DDR4 preset has no energy
  // in models/cost/dram.hpp) is listed with a reason and a count, and has no price.
  EXPECT_TRUE(h["unpriced"].empty()) << h["unpriced"].dump();
  const json& ddr4 = run_of(small_run({"hw.dram.preset=ddr4_3200"})).result["hardware"];
  std::set<std::string> priced;
  for (const json& p : ddr4["energy_table"]) priced.insert(p["action"].get<std::string>());
  ASSERT_FALSE(ddr4["unpriced"].empty());
  for (const json& u : ddr4["unpriced"]) {
    const std::string key = u["action"].get<std::string>();
    EXPECT_GT(u["count"].get<std::int64_t>(), 0) << key;
    EXPECT_FALSE(u["reason"].get<std::string>().empty()) << key;
    EXPECT_FALSE(priced.count(key)) << key;
    EXPECT_FALSE(priced.count(key.substr(0, key.find('@')))) << key;
  }

  // layers.csv: the hardware columns on every layer's rows; empty for the lm_head.
  const std::string& csv = out.layers_csv;
  const std::string header = csv.substr(0, csv.find('\n'));
  for (const char* column : {"hw_latency_cycles", "hw_latency_ns", "hw_energy_pJ",
                             "hw_bounding_unit", "hw_cim_busy_cycles", "hw_cim_stall_cycles"})
    EXPECT_NE(header.find(column), std::string::npos) << column;
  for (const json& row : out.result["layers"]) {
    if (row["layer"].get<int>() < 0) {
      EXPECT_TRUE(row["hw_latency_ns"].is_null());
    } else {
      EXPECT_EQ(row["hw_latency_ns"], h["layers"][row["layer"].get<int>()]["latency_ns"]);
    }
  }
  EXPECT_NE(csv.find("\n-1,lm_head,logits,"), std::string::npos);

  // The summary renders the same numbers.
  for (const char* word : {"area", "energy", "latency", "throughput", "bounded by", "nJ/token"})
    EXPECT_NE(out.summary.find(word), std::string::npos) << word << "\n" << out.summary;
}

TEST(HardwareRun, SameConfigAndSeedGiveByteIdenticalResults) {
  const RunConfig config = load_run_config(std::nullopt, small_run({"seed=7"}));
  const RunOutput a = execute_run(config);
  const RunOutput b = execute_run(config);
  EXPECT_EQ(a.result.dump(2), b.result.dump(2));
  EXPECT_EQ(a.layers_csv, b.layers_csv);
}

TEST(HardwareRun, MoreAdcBitsCostMoreAdcEnergyAndArea) {
  // Straight from the cost models, for every ADC model: the energy of one conversion and the ADC
  // area grow with every bit at one conversion time (SAR: P = a N + b over N + 1 cycles and a
  // capacitor DAC doubling per bit; flash: 2^N - 1 comparators; survey: the FOM at SNDR =
  // 6.02 N + 1.76 dB, its area growing with the energy; at the default conversion time, N + 1 ns,
  // the survey ADC is slower at more bits, which its area regression rewards).
  const std::vector<workloads::BufferUse> buffers{{"x", 32 * 768 * 4}};
  for (const char* model : {"sar", "survey", "flash"}) {
    double last_pJ = 0.0, last_area = 0.0;
    for (int bits = 4; bits <= 12; ++bits) {
      const RunConfig config = load_run_config(
          std::nullopt, {"hw.cim.adc.bits=" + std::to_string(bits),
                         std::string("hw.cim.adc.model=") + model, "hw.cim.macros=16",
                         "hw.cim.adc.conversion_ns=20"});
      const hw::HwParams hwp = to_hw_params(config);
      const PricedEnergyTable t = build_energy_table(hwp, buffers);
      ASSERT_TRUE(t.table.pj.count("adc_conversion")) << model << " " << bits;
      const double pJ = t.table.pj.at("adc_conversion");
      double area = 0.0;
      for (const AreaRow& r : area_breakdown(hwp, buffers))
        if (r.component.rfind("ADC", 0) == 0) area = r.area_um2;
      EXPECT_GT(pJ, last_pJ) << model << " " << bits << " bits";
      EXPECT_GT(area, last_area) << model << " " << bits << " bits";
      last_pJ = pJ;
      last_area = area;
    }
  }
  // And through a whole run: the CIM's energy and the total area grow from 6 to 10 bits (the
  // conversion counts are the same: the hardware converts every column of every slice).
  const json& h6 = run_of(small_run({"hw.cim.adc.bits=6"})).result["hardware"];
  const json& h10 = run_of(small_run()).result["hardware"];
  EXPECT_LT(h6["totals"]["energy_by_component_pJ"]["cim"].get<double>(),
            h10["totals"]["energy_by_component_pJ"]["cim"].get<double>());
  EXPECT_LT(h6["area"]["area_um2"].get<double>(), h10["area"]["area_um2"].get<double>());
  // The conversion time follows the bits (7 vs 11 ns): the CIM is busy for less time at 6 bits,
  // and the accelerator reports the time it timed and priced.
  EXPECT_EQ(h6["accelerator"]["adc_conversion_ns"], 7.0);
  EXPECT_EQ(h10["accelerator"]["adc_conversion_ns"], 11.0);
  EXPECT_EQ(h10["accelerator"]["adc_cost_model_latency_ns"], 11.0);
  auto cim_busy = [](const json& h) {
    for (const json& u : h["totals"]["units"])
      if (u["unit"] == "cim") return u["busy_cycles"].get<double>();
    return 0.0;
  };
  EXPECT_LT(cim_busy(h6), cim_busy(h10));
}

// hw.cim.dac: the drive the timing waits for is the drive the cost model prices (one pulse,
// 15 pulses, the amplitude DAC's settling), at the ADC rate the timing runs, and a whole run
// reports it.
TEST(HardwareRun, TheInputDriveTimedIsTheDrivePriced) {
  struct Case {
    int slice_bits;
    cost::InputEncoding encoding;
  };
  for (const Case c : {Case{1, cost::InputEncoding::kBitSerial},
                       Case{4, cost::InputEncoding::kPulseCount},
                       Case{8, cost::InputEncoding::kAmplitude}}) {
    const RunConfig config = load_run_config(
        std::nullopt, {"quant.slice_bits=" + std::to_string(c.slice_bits), "quant.overlap_bits=0",
                       "hw.cim.macros=16"});
    const hw::HwParams hwp = to_hw_params(config);
    EXPECT_NO_THROW(hw::check_cim_costable(hwp));
    const cost::CimMacroParams mp = cim_macro_params(hwp);
    EXPECT_EQ(mp.encoding, c.encoding) << c.slice_bits;
    EXPECT_EQ(mp.dac_bits, c.slice_bits);
    EXPECT_DOUBLE_EQ(mp.drive_ns, hwp.cycles_to_ns(hw::cim_drive_cycles(hwp)));
    EXPECT_GE(mp.drive_ns, cost::cim_input_drive_ns(mp));
    EXPECT_DOUBLE_EQ(mp.adc_sample_rate_Hz,
                     1e9 * hwp.cim.cols_per_adc / hwp.cycles_to_ns(hw::cim_step_cycles(hwp)));
    const cost::CimMacroCost m = cost::cim_macro_cost(mp);
    EXPECT_GE(m.activation_latency_ns, mp.drive_ns);
    if (c.encoding == cost::InputEncoding::kPulseCount) {
      EXPECT_DOUBLE_EQ(mp.drive_ns, 15.0);
    }
  }
  const json& h = run_of(small_run()).result["hardware"];
  EXPECT_EQ(h["accelerator"]["input_dac"], "pulse_count");
  EXPECT_EQ(h["accelerator"]["input_slice_bits"], 4);
  EXPECT_EQ(h["accelerator"]["input_drive_ns"], 15.0);
}

// The two macro organisations of configs/: the default (4-bit pulse-count slices, analog
// combination of each weight) and the NeuroSim / ISAAC style (1-bit slices, 2-bit digit columns
// combined digitally) run end to end on the built-in model, and the conversions the hardware
// books equal those the accuracy replay counted (every layer played; one window).
TEST(HardwareRun, DefaultAndNeuroSimStyleBookTheReplaysConversions) {
  for (const char* file : {"default-mamba.yaml", "neurosim-style.yaml"}) {
    const RunConfig config = load_run_config(
        std::filesystem::path(CIMBA_SOURCE_DIR) / "configs" / file,
        small_run({"hw.simulate_layers=all", "workload.mamba.calib_windows=1"}));
    const RunOutput out = execute_run(config);
    const json& h = out.result["hardware"];
    double booked = 0.0;
    for (const json& l : h["layers"]) booked += l["counts"]["adc_conversion@cim"].get<double>();
    EXPECT_GT(booked, 0.0) << file;
    EXPECT_EQ(booked, out.result["metrics"]["adc_conversions"].get<double>()) << file;
    EXPECT_TRUE(h["unpriced"].empty()) << file << ": " << h["unpriced"].dump();
  }
}

TEST(HardwareRun, HigherClockGivesLowerLatencyForTheSameCycles) {
  // ADC conversions of 0.5 ns take 1 cycle at 1000 and at 2000 MHz, so the CIM and the SSM core
  // (whose latencies are in cycles) take the same cycles at both clocks and half the time;
  // only the DRAM (41.25 ns per access) needs more cycles at 2000 MHz.
  const std::vector<std::string> fast_adc{"hw.cim.adc.conversion_ns=0.5"};
  std::vector<std::string> at_2ghz = fast_adc;
  at_2ghz.push_back("hw.clock_mhz=2000");
  const json& slow = run_of(small_run(fast_adc)).result["hardware"];
  const json& fast = run_of(small_run(at_2ghz)).result["hardware"];
  EXPECT_LT(fast["totals"]["latency_ns"].get<double>(), slow["totals"]["latency_ns"].get<double>());
  for (std::size_t l = 0; l < 4; ++l) {
    const json& a = slow["layers"][l];
    const json& b = fast["layers"][l];
    EXPECT_DOUBLE_EQ(b["latency_ns"].get<double>(),
                     double(b["latency_cycles"].get<std::int64_t>()) * 1000.0 / 2000.0);
    for (std::size_t u = 0; u < a["units"].size(); ++u) {
      if (a["units"][u]["unit"] != "ssm") continue;
      EXPECT_EQ(a["units"][u]["busy_cycles"], b["units"][u]["busy_cycles"]);
      EXPECT_DOUBLE_EQ(b["units"][u]["busy_ns"].get<double>(),
                       a["units"][u]["busy_ns"].get<double>() / 2.0);
    }
  }
}

TEST(HardwareRun, BadHardwareKeysAreRejectedNamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"hw.cim.rows=0", "hw.cim.rows: 0 is out of range"},
      {"hw.ssm.lanes=0", "hw.ssm.lanes: 0 is out of range"},
      {"hw.node_nm=10", "hw.node_nm: 10 is not a node of the cost models (7, 16, 22, 28, 45, 65)"},
      {"hw.cim.cell_bits=4", "hw.cim.cell_bits: must be in 1..2, got 4"},  // quant.w_bits 2
      {"hw.clock_mhz=0", "hw.clock_mhz: 0 is out of range"},
      {"hw.dram.preset=ddr5", "hw.dram.preset: 'ddr5' is not one of"},
      {"hw.cim.adc.model=pipeline", "hw.cim.adc.model: 'pipeline' is not one of"},
      {"hw.cim.rows_per_adc=128", "hw.cim.rows_per_adc: 128 must be 0 or equal to hw.cim.rows"},
  };
  for (const auto& [set, expected] : cases) {
    const std::string message = error_message<ConfigError>([&] {
      load_run_config(std::nullopt, {"workload.kind=mamba", "quant.w_bits=2", set});
    });
    EXPECT_NE(message.find(expected), std::string::npos) << set << "\n" << message;
  }
  // The command line turns them into exit code 2 before anything runs.
  ScratchDir dir;
  const auto outcome =
      testing::run_cimba(dir, "run --set workload.kind=mamba --set hw.node_nm=10 --out '" +
                                  dir.path().string() + "/o'");
  EXPECT_EQ(outcome.exit_code, 2) << outcome.err;
  EXPECT_NE(outcome.err.find("hw.node_nm"), std::string::npos) << outcome.err;
}

TEST(HardwareRun, WeightResidencyIsPlannedOverTheWholeModel) {
  // mamba-bytes-4l: 252 macro tiles per layer on 256 x 256 macros, 4 layers = 1008.
  // Default (hw.cim.weights resident, hw.cim.macros 0): 1008 macros, all in the area, weights
  // programmed once: no weight loads, no cell writes in any layer.
  const RunOutput resident = run_of(small_run());
  const json& ra = resident.result["hardware"]["accelerator"];
  EXPECT_EQ(ra["cim_macros"], 1008);
  EXPECT_EQ(ra["cim_macros_for_residency"], 1008);
  EXPECT_EQ(ra["cim_weights"], "resident");
  EXPECT_EQ(ra["cim_weights_resident"], true);
  bool counted = false;
  for (const json& r : resident.result["hardware"]["area"]["components"])
    if (r["component"].get<std::string>().rfind("CIM array", 0) == 0) {
      EXPECT_EQ(r["count"], 1008);  // area counts every layer's macros
      counted = true;
    }
  EXPECT_TRUE(counted);
  const json& rl = resident.result["hardware"]["layers"][1];
  EXPECT_EQ(rl["counts"].value("cim_cell_write@cim", 0.0), 0.0);
  EXPECT_EQ(rl["counts"].value("dram_read_bit@dram", 0.0), 0.0);  // and no activations either

  // auto on 256 macros: one layer fits, the model does not: every layer loads and programs its
  // weights in every window; auto on 1008 is resident.
  const json& some =
      run_of(small_run({"hw.cim.weights=auto", "hw.cim.macros=256"})).result["hardware"];
  const json& all =
      run_of(small_run({"hw.cim.weights=auto", "hw.cim.macros=1008"})).result["hardware"];
  EXPECT_EQ(some["accelerator"]["cim_weights_resident"], false);
  EXPECT_EQ(all["accelerator"]["cim_weights_resident"], true);
  EXPECT_EQ(some["layers"][1]["cim_weight_tiles"], 252);
  EXPECT_GT(some["layers"][1]["counts"].value("cim_cell_write@cim", 0.0), 0.0);
  EXPECT_EQ(all["layers"][1]["counts"].value("cim_cell_write@cim", 0.0), 0.0);
  EXPECT_GT(some["layers"][1]["counts"]["dram_read_bit@dram"].get<double>(),
            all["layers"][1]["counts"].value("dram_read_bit@dram", 0.0));

  // streamed charges the reloads even when the macros would hold the model.
  const json& streamed =
      run_of(small_run({"hw.cim.weights=streamed", "hw.cim.macros=1008"})).result["hardware"];
  EXPECT_EQ(streamed["accelerator"]["cim_weights_resident"], false);
  EXPECT_EQ(streamed["layers"][1]["counts"]["cim_cell_write@cim"],
            some["layers"][1]["counts"]["cim_cell_write@cim"]);

  // resident on too few macros, and streamed without a count, are configuration errors.
  const std::string few = error_message<ConfigError>([] {
    run_of(small_run({"hw.cim.weights=resident", "hw.cim.macros=256"}));
  });
  EXPECT_NE(few.find("hw.cim.macros: 256 macros cannot hold the model's 1008 macro tiles"),
            std::string::npos)
      << few;
  const std::string none = error_message<ConfigError>(
      [] { load_run_config(std::nullopt, {"hw.cim.weights=streamed"}); });
  EXPECT_NE(none.find("hw.cim.macros: 0"), std::string::npos) << none;
}

TEST(HardwareRun, ResidualStreamStaysOnChipBetweenLayers) {
  // L = 32, d_model 768: the stream is 32 x 768 x 4 = 98304 B, within the default 1 MiB. DRAM
  // carries the model input (layer 0 loads it) and output (layer 3 stores it) only.
  const json& h = run_of(small_run()).result["hardware"];
  const std::int64_t stream_bits = 32 * 768 * 32;
  EXPECT_EQ(h["residual_stream"]["bytes"], 98304);
  EXPECT_EQ(h["residual_stream"]["capacity_bytes"], 1 << 20);
  EXPECT_EQ(h["residual_stream"]["on_chip"], true);
  EXPECT_EQ(h["residual_stream"]["dram_bytes_forced_per_window"], 0);
  auto dram = [](const json& layer, const char* what) {
    return layer["counts"].value(std::string(what) + "@dram", 0.0);
  };
  const json& L = h["layers"];
  EXPECT_EQ(dram(L[0], "dram_read_bit"), stream_bits);
  EXPECT_EQ(dram(L[0], "dram_write_bit"), 0.0);
  for (int l : {1, 2}) {
    EXPECT_EQ(dram(L[l], "dram_read_bit"), 0.0) << l;
    EXPECT_EQ(dram(L[l], "dram_write_bit"), 0.0) << l;
    // the middle layers read their input from the stream and write their output over it
    EXPECT_GT(L[l]["counts"].value("sram_write_bit@sram.stream", 0.0), 0.0) << l;
  }
  EXPECT_EQ(dram(L[3], "dram_read_bit"), 0.0);
  EXPECT_EQ(dram(L[3], "dram_write_bit"), stream_bits);
  // Played: the first, a middle and the last layer; layer 2 carries layer 1's report, and
  // playing every layer gives the same totals.
  EXPECT_EQ(L[1]["simulated"], true);
  EXPECT_EQ(L[2]["simulated"], false);
  EXPECT_EQ(L[3]["simulated"], true);

  // A stream buffer too small for it: every layer loads and stores through DRAM (reported).
  const json& spill = run_of(small_run({"hw.sram.stream.bytes=65536"})).result["hardware"];
  EXPECT_EQ(spill["residual_stream"]["on_chip"], false);
  EXPECT_EQ(spill["residual_stream"]["dram_bytes_forced_per_window"], 2 * 3 * 98304);
  for (int l = 0; l < 4; ++l) {
    EXPECT_EQ(dram(spill["layers"][l], "dram_read_bit"), stream_bits) << l;
    EXPECT_EQ(dram(spill["layers"][l], "dram_write_bit"), stream_bits) << l;
  }
  bool noted = false;
  for (const json& n : spill["notes"])
    noted =
        noted || n.get<std::string>().find("do not fit sram.stream (65536 B") != std::string::npos;
  EXPECT_TRUE(noted);
  EXPECT_GT(spill["totals"]["energy_by_component_pJ"]["dram"].get<double>(),
            h["totals"]["energy_by_component_pJ"]["dram"].get<double>());
}

TEST(HardwareRun, BatchSharesTheWeightReloadsPerWindow) {
  // Streamed weights on 256 macros: every layer reloads its weights in every window. Two windows
  // in flight share them: half the weight traffic and programming per window; the cell MACs and
  // conversions per window stay the same; the numerics (loss) do not change.
  const std::vector<std::string> streamed{"hw.cim.weights=streamed", "hw.cim.macros=256"};
  auto with = [&](std::vector<std::string> v, const std::string& b) {
    v.push_back("hw.batch=" + b);
    return small_run(v);
  };
  const RunOutput& one = run_of(with(streamed, "1"));
  const RunOutput& two = run_of(with(streamed, "2"));
  const json& h1 = one.result["hardware"];
  const json& h2 = two.result["hardware"];
  EXPECT_EQ(h1["accelerator"]["batch"], 1);
  EXPECT_EQ(h2["accelerator"]["batch"], 2);
  EXPECT_EQ(one.result["accuracy"], two.result["accuracy"]);
  const json& c1 = h1["layers"][1]["counts"];
  const json& c2 = h2["layers"][1]["counts"];  // the batch's counts
  EXPECT_EQ(c2["cim_cell_write@cim"], c1["cim_cell_write@cim"]);
  EXPECT_EQ(c2["cim_cell_mac@cim"].get<double>(), 2 * c1["cim_cell_mac@cim"].get<double>());
  EXPECT_EQ(c2["adc_conversion@cim"].get<double>(), 2 * c1["adc_conversion@cim"].get<double>());
  // a middle layer's DRAM reads are its weights only (the stream stays on chip): shared
  EXPECT_EQ(c2["dram_read_bit@dram"], c1["dram_read_bit@dram"]);
  // energy is per window: the DRAM and the cell writes are halved, the ADC energy is not
  const json& e1 = h1["totals"]["energy_by_component_pJ"];
  const json& e2 = h2["totals"]["energy_by_component_pJ"];
  EXPECT_LT(e2["dram"].get<double>(), 0.6 * e1["dram"].get<double>());
  EXPECT_LT(h2["totals"]["energy_pJ"].get<double>(), h1["totals"]["energy_pJ"].get<double>());
  EXPECT_GT(h2["totals"]["throughput_tokens_per_s"].get<double>(),
            h1["totals"]["throughput_tokens_per_s"].get<double>());
  EXPECT_GT(h2["totals"]["latency_ns"].get<double>(), h1["totals"]["latency_ns"].get<double>());
  EXPECT_EQ(h2["residual_stream"]["bytes"], 2 * h1["residual_stream"]["bytes"].get<std::int64_t>());
  bool noted = false;
  for (const json& n : h2["notes"])
    noted = noted || n.get<std::string>().rfind("hw.batch = 2:", 0) == 0;
  EXPECT_TRUE(noted);
  EXPECT_THROW(load_run_config(std::nullopt, small_run({"hw.batch=0"})), ConfigError);
}

TEST(HardwareRun, AreaDoesNotGrowWithTheSequenceLength) {
  // A fixed token chunk (16): every buffer holds chunks or the configured residual stream, so the
  // accelerator is the same at L = 32, 64 and 128 (and at L = 256 .. 4096 for the layer
  // program's buffers: OpProgram.NoBufferGrowsWithTheSequence).
  std::vector<json> areas;
  for (const char* L : {"32", "64", "128"}) {
    std::vector<std::string> sets = small_run();
    sets.push_back(std::string("workload.mamba.window=") + L);
    areas.push_back(run_of(sets).result["hardware"]["area"]);
  }
  for (std::size_t i = 1; i < areas.size(); ++i) {
    EXPECT_EQ(areas[i]["area_um2"], areas[0]["area_um2"]) << i;
    EXPECT_EQ(areas[i]["components"], areas[0]["components"]) << i;
  }
}

TEST(HardwareRun, TraceWritesAVcdOfTheFirstLayer) {
  // A separate process: SystemC writes a VCD only from the first hardware run of a process.
  ScratchDir dir;
  const auto vcd = dir.path() / "layer0.vcd";
  std::string args = "run --quiet";
  for (const std::string& set : small_run()) args += " --set " + set;
  args += " --set 'hw.trace=" + vcd.string() + "' --out '" + (dir.path() / "o").string() + "'";
  const auto outcome = testing::run_cimba(dir, args);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out, "") << "--quiet prints nothing but errors";
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "o" / "result.json"));
  const std::string text = testing::read_text(vcd);
  EXPECT_EQ(text.rfind("$date", 0), 0u) << text.substr(0, 200);
  EXPECT_NE(text.find("$timescale"), std::string::npos);
  EXPECT_NE(text.find("$enddefinitions"), std::string::npos);
}

TEST(HardwareRun, LinearWorkloadStaysAccuracyOnlyAndSaysSo) {
  const RunOutput out = execute_run(load_run_config(std::nullopt, {"workload.kind=linear"}));
  EXPECT_FALSE(out.result.contains("hardware"));
  EXPECT_NE(out.summary.find("not modelled for the linear workload"), std::string::npos);
}

}  // namespace
}  // namespace cimba::sim
