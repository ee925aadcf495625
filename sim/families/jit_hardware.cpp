#include "sim/families/jit_hardware.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "hw/accelerator.hpp"
#include "hw/timing.hpp"
#include "models/cost/digital.hpp"
#include "models/numerics/activations.hpp"
#include "models/numerics/rng.hpp"
#include "sim/families/jit_settings.hpp"
#include "sim/hardware_report.hpp"
#include "sim/hw_config.hpp"
#include "sim/hw_pricing.hpp"
#include "sim/result_format.hpp"
#include "workloads/jit/block_executor.hpp"
#include "workloads/jit/block_program.hpp"
#include "workloads/jit/jit_eval.hpp"
#include "workloads/jit/jit_forward.hpp"
#include "workloads/jit/jit_quant_replay.hpp"
#include "workloads/jit/jit_sampler.hpp"

namespace cimba::sim {
namespace nm = cimba::numerics;
namespace wl = cimba::workloads;
using json = nlohmann::ordered_json;

namespace {

/// What the hardware ran: block 0 of one image at one timestep.
struct JitHwRun {
  hw::HwReport report;
  PricedEnergyTable prices;
  std::vector<AreaRow> area;
  double t = 0.0;
  std::int64_t image = 0;
  std::int64_t network_calls_per_sample = 0;
  bool separate_calibration = false;
  hw::CimWeightPlan plan;  // the CIM macros over the whole model
};

/// The hardware's static settings depend on the bits and rows per conversion: when apply_hw
/// changed them for a quantized linear (or the run has no calibration), calibrate again for the
/// hardware (same images). Returns the calibration the hardware uses.
const wl::JitCalibration* hardware_calibration(const JitHardwareInput& in,
                                               const wl::JitQuantConfig& hq,
                                               std::optional<wl::JitCalibration>& own) {
  const wl::JitCalibration* cal = in.calibration;
  if (!hq.needs_calibration()) return cal;
  bool differs = false;
  for (wl::JitLinearKind kind : wl::jit_linear_kinds()) {
    const std::size_t k = wl::jit_kind_index(kind);
    if (!in.quant.quantize[k]) continue;
    const nm::BitSerialConfig &a = in.quant.linear[k], &b = hq.linear[k];
    differs = differs || a.w_bits != b.w_bits || a.adc.bits != b.adc.bits ||
              a.rows_per_adc != b.rows_per_adc;
  }
  if (!differs && cal) return cal;
  own = wl::calibrate_jit(in.model, in.mnist, hq, in.calib);
  return &*own;
}

/// Block 0 of image `run.image` at `run.t` on the accelerator: its input (x_embed.out) and
/// conditioning s = silu(c) from the quantized model's forward.
hw::HwReport run_block0(const RunConfig& cfg, const JitHardwareInput& in,
                        const wl::JitQuantConfig& hq, const wl::JitCalibration* hw_cal,
                        const hw::HwParams& hwp, const JitHwRun& run) {
  const wl::JitConfig& mc = in.model.config;
  const wl::JitBlockShape shape = hw::jit_block_shape(mc);
  const wl::OpProgram program = wl::build_jit_block_program(
      shape, hw::jit_block_program_options(hwp, shape, hq, mc.depth), "blocks.0");
  const std::int64_t css = mc.in_channels * mc.image_size * mc.image_size;
  const nm::MatrixF x =
      wl::mnist_to_model_images(in.mnist.images, run.image, 1, mc.image_size, mc.pad_value);
  const std::vector<std::int32_t> y = wl::mnist_labels_range(in.mnist.labels, run.image, 1);
  const std::vector<float> tv{static_cast<float>(run.t)};
  const nm::MatrixF z =
      wl::jit_noisy_images(x, tv, wl::jit_gaussian_noise(cfg.seed, 1, css, run.image));
  wl::JitQuantHooks hooks(in.model, hq, hw_cal);
  nm::MatrixF h, c;
  wl::JitForwardOptions fo;
  fo.hooks = &hooks;
  fo.observer = [&](int block, const std::string& point, const nm::MatrixF& value) {
    if (block == -1 && point == "x_embed.out") h = value;
    if (block == -1 && point == "c") c = value;
  };
  wl::jit_forward(in.model, z, tv, y, fo);
  const nm::MatrixF s = c.unaryExpr([](float v) { return nm::silu(v); });
  hw::JitBlockExecutor ex(mc, in.model.blocks[0], 0, hq, hw_cal, hwp, h, s,
                          static_cast<float>(run.t));
  return hw::run_on_hardware(program, ex, hwp, {});
}

/// The FP32 MAC array (hw.mac) of the attention and the FP32 adaLN: one FP32 multiplier and one
/// FP32 adder per PE (models/cost/digital: Horowitz ISSCC'14, Stillmaker-Baas scaling).
AreaRow mac_array_area(const hw::HwParams& hwp) {
  const cost::TechPoint tech = tech_of(hwp);
  const cost::ComponentCost mul = cost::fp32_multiplier(tech), add = cost::fp32_adder(tech);
  AreaRow a;
  a.component = "FP32 MAC array PE";
  a.count = hwp.mac.rows * hwp.mac.cols;
  a.area_um2_each = mul.area_um2 + add.area_um2;
  a.area_um2 = a.count * a.area_um2_each;
  a.leakage_uW = a.count * (mul.leakage_uW + add.leakage_uW);
  a.counted_as = "hw.mac.rows x hw.mac.cols, one FP32 multiplier + adder each";
  a.source = "fp32_multiplier + fp32_adder: " + mul.source;
  return a;
}

/// layers[]: block 0's figures for every block (all blocks have the same shape and program).
json block_rows_json(const hw::HwReport& r, std::int64_t depth, double leakage_uW,
                     std::int64_t batch) {
  // uW x ns = 1e-3 pJ; the batch's images share the block's time
  const double block_leak_pJ = leakage_uW * r.latency_ns * 1e-3 / static_cast<double>(batch);
  json layers = json::array();
  for (std::int64_t b = 0; b < depth; ++b)
    layers.push_back(
        layer_row_json(r, b, block_leak_pJ, {{"simulated_as_block", 0}}, json(r.adc_saturated)));
  return layers;
}

/// totals: a network call (block 0 x depth), per token and per sample.
json network_totals_json(const hw::HwReport& r, const hw::HwParams& hw, std::int64_t depth,
                         double tokens, double leakage_uW, std::int64_t calls_per_sample) {
  const double d = static_cast<double>(depth);
  const double total_ns = d * r.latency_ns;
  const double dynamic_pJ = d * r.energy.total_pJ;
  const double B = static_cast<double>(hw.batch);
  const double leakage_pJ = leakage_uW * total_ns * 1e-3 / B;  // the batch's images share it
  const double energy_pJ = dynamic_pJ + leakage_pJ;
  json total_units = json::array();
  for (const hw::UnitReport& u : r.units)
    total_units.push_back({{"unit", u.name},
                           {"ops", depth * u.ops},
                           {"busy_cycles", depth * u.busy_cycles},
                           {"stall_cycles", depth * u.stall_cycles},
                           {"critical_path_cycles", depth * u.critical_path_cycles},
                           {"busy_ns", d * double(u.busy_cycles) * 1000.0 / hw.clock_mhz}});
  json by_component = json::object();
  std::map<std::string, double> sorted;
  for (const hw::ComponentEnergy& e : r.energy.components) sorted[e.component] += d * e.energy_pJ;
  for (const auto& [k, v] : sorted) by_component[k] = v;
  const double calls = static_cast<double>(calls_per_sample);
  return {{"latency_cycles", depth * r.total_cycles},
          {"latency_ns", total_ns},
          {"latency_ns_per_token", total_ns / tokens},
          {"throughput_tokens_per_s", B * tokens / (total_ns * 1e-9)},
          {"network_calls_per_s", B / (total_ns * 1e-9)},
          {"dynamic_energy_pJ", dynamic_pJ},
          {"leakage_energy_pJ", leakage_pJ},
          {"energy_pJ", energy_pJ},
          {"energy_pJ_per_token", energy_pJ / tokens},
          {"network_calls_per_sample", calls_per_sample},
          {"latency_ns_per_sample", calls * total_ns},
          {"energy_pJ_per_sample", calls * energy_pJ},
          {"bounding_unit", r.bounding_unit},
          {"units", total_units},
          {"energy_by_component_pJ", by_component}};
}

json accelerator_json(const hw::HwParams& hw, const hw::HwReport& r, std::int64_t depth,
                      bool resident) {
  return {{"node_nm", hw.node_nm},
          {"vdd_v", hw.vdd_v},
          {"clock_mhz", hw.clock_mhz},
          {"cim_macros", hw.cim.macros},
          // Macros that keep every block's weights resident, and whether they are.
          {"cim_weights", hw::weight_placement_name(hw.cim.weights)},
          {"cim_macros_for_residency", r.cim_weight_tiles * depth},
          {"cim_weights_resident", resident},
          {"cim_rows", hw.cim.rows},
          {"cim_cols", hw.cim.cols},
          {"w_bits", hw.cim.w_bits},
          {"cell_bits", hw.cim.cell_bits},
          {"outputs_per_macro", hw.cim.outputs_per_macro()},
          {"adc_bits", hw.cim.adc.bits},
          {"adc_conversion_ns", hw.cycles_to_ns(hw::adc_conversion_cycles(hw))},
          // The input drive timed and priced: hw.cim.dac resolved, quant.slice_bits per drive.
          {"input_dac", cost::input_encoding_name(hw.cim.input_encoding())},
          {"input_slice_bits", hw.cim.slice_bits},
          {"input_drive_ns", hw.cycles_to_ns(hw::cim_drive_cycles(hw))},
          {"mac_rows", hw.mac.rows},
          {"mac_cols", hw.mac.cols},
          {"dram_preset", hw.dram.preset},
          {"dram_bandwidth_gbps", hw.dram_bandwidth_gbps()},
          {"dram_latency_ns", hw.dram_latency_ns()},
          {"batch", hw.batch}};
}

json notes_json(const JitHwRun& run, std::int64_t depth, std::int64_t batch) {
  json notes = json::array();
  if (batch > 1)
    notes.push_back(
        "hw.batch = " + std::to_string(batch) +
        ": that many images run through every op together and share each weight load and macro "
        "program (their activation buffers are batch times one image's); latency is the "
        "batch's (every image of it is done by then), energy and its breakdown are per image "
        "(the batch's divided by the batch), ledger counts (layers[].counts) are the batch's; "
        "the numerics are those of the first image");
  notes.push_back("block 0 of one image (MNIST test #" + std::to_string(run.image) +
                  ", t = " + fmt(run.t, 4) +
                  "; block input and conditioning from the quantized model's forward) ran on the "
                  "accelerator; all " +
                  std::to_string(depth) +
                  " blocks have the same shape and program, so a network call is block 0 x "
                  "depth (layers[] repeats block 0's figures for every block)");
  notes.push_back(
      "not on the accelerator: the patch and timestep embeddings, the final adaLN and final "
      "linear, patchify/unpatchify and the sampler arithmetic");
  notes.push_back("leakage energy = total leakage power x latency; energy_pJ = dynamic + leakage");
  notes.push_back(
      "area: every unit of the accelerator, including those a JiT block does not use (SSM core, "
      "conv, index, MUX), plus the FP32 MAC array (hw.mac) of the attention and FP32 adaLN");
  notes.push_back(
      "the hardware runs every quantized linear at quant.w_bits, hw.cim.adc.bits and hw.cim.rows "
      "rows per conversion (hw::apply_hw); quant.layers.* bit overrides and "
      "hw.cim.rows_per_adc change the accuracy replay only");
  if (run.separate_calibration)
    notes.push_back(
        "the hardware's static ranges / ADC full scales come from a second calibration with the "
        "hardware's bits and rows per conversion (same images), since they differ from the "
        "replay's");
  return notes;
}

/// The "hardware" section: block 0's report, scaled by the depth for the network call.
json jit_hardware_json(const hw::HwParams& hw, const wl::JitModel& model, const JitHwRun& run) {
  const hw::HwReport& r = run.report;
  const std::int64_t depth = model.config.depth;
  const double tokens = static_cast<double>(model.config.num_patches());
  double area_um2 = 0.0, leakage_uW = 0.0;
  const json area_rows = area_rows_json(run.area, area_um2, leakage_uW);
  std::map<std::string, std::int64_t> unpriced_counts;
  add_unpriced_counts(r, depth, unpriced_counts);
  const json layers = block_rows_json(r, depth, leakage_uW, hw.batch);
  return {{"accelerator", accelerator_json(hw, r, depth, run.plan.resident)},
          {"tokens_per_image", model.config.num_patches()},
          {"blocks", depth},
          {"simulated_block", 0},
          {"timestep", run.t},
          {"totals",
           network_totals_json(r, hw, depth, tokens, leakage_uW, run.network_calls_per_sample)},
          {"area",
           {{"area_um2", area_um2},
            {"area_mm2", area_um2 * 1e-6},
            {"leakage_uW", leakage_uW},
            {"components", area_rows}}},
          {"layers", layers},
          {"energy_table", price_rows_json(run.prices)},
          {"unpriced", unpriced_rows_json(unpriced_counts, run.prices)},
          {"notes", notes_json(run, depth, hw.batch)}};
}

}  // namespace

json run_jit_hardware(const RunConfig& cfg, const JitHardwareInput& in) {
  const JitWorkloadConfig& jw = cfg.workload.jit;
  hw::HwParams hwp = to_hw_params(cfg);
  hwp.validate();
  hw::check_cim_costable(hwp);
  JitHwRun run;
  const wl::JitQuantConfig hq = hw::apply_hw(in.quant, hwp);
  // The CIM planned over the whole model (hw.cim.weights, hw.cim.macros 0 = sized to it).
  const wl::JitBlockShape shape = hw::jit_block_shape(in.model.config);
  const bool adaLN_on_cim =
      hw::jit_block_program_options(hwp, shape, hq, in.model.config.depth).adaLN_on_cim;
  run.plan = hw::plan_cim_weights(
      hwp.cim, in.model.config.depth * hw::jit_block_weight_tiles(hwp, shape, adaLN_on_cim));
  hwp.cim.macros = run.plan.macros;
  std::optional<wl::JitCalibration> own_cal;
  const wl::JitCalibration* hw_cal = hardware_calibration(in, hq, own_cal);
  run.separate_calibration = own_cal.has_value();
  run.t = clean_timestep(in.t);
  run.image = jw.eval.first_image;
  run.network_calls_per_sample =
      (2 * static_cast<std::int64_t>(jw.sample.steps) - 1) * (jw.sample.cfg_scale == 1.0 ? 1 : 2);
  run.report = run_block0(cfg, in, hq, hw_cal, hwp, run);
  std::vector<wl::BufferUse> buffers;
  for (const hw::BufferReport& b : run.report.buffers)
    buffers.push_back({b.name, b.required_bytes});
  run.prices = build_energy_table(hwp, buffers);
  run.area = area_breakdown(hwp, buffers);
  run.area.push_back(mac_array_area(hwp));
  reprice(run.report, run.prices.table, hwp.batch);
  return jit_hardware_json(hwp, in.model, run);
}

std::string render_jit_hardware_summary(const json& h) {
  std::ostringstream s;
  char buf[256];
  const json& a = h.at("accelerator");
  const json& t = h.at("totals");
  const json& area = h.at("area");
  s << "  accelerator  " << a.at("node_nm").get<int>() << " nm, "
    << fmt(a.at("vdd_v").get<double>(), 4) << " V, " << fmt(a.at("clock_mhz").get<double>(), 6)
    << " MHz; " << a.at("cim_macros").get<int>() << " CIM macros " << a.at("cim_rows").get<int>()
    << "x" << a.at("cim_cols").get<int>() << ", " << a.at("adc_bits").get<int>()
    << "-bit ADCs; MAC array " << a.at("mac_rows").get<int>() << "x" << a.at("mac_cols").get<int>()
    << "; DRAM " << a.at("dram_preset").get<std::string>() << "\n";
  s << "  weights      " << (a.at("cim_weights_resident").get<bool>() ? "resident" : "streamed")
    << ": the model needs " << a.at("cim_macros_for_residency").get<std::int64_t>()
    << " macros to keep every block's weights on the chip\n";
  s << "  area         " << fmt(area.at("area_mm2").get<double>(), 5) << " mm^2, leakage "
    << fmt(area.at("leakage_uW").get<double>() * 1e-3, 4) << " mW\n";
  s << render_area_components(area);
  const double tokens = h.at("tokens_per_image").get<double>();
  const double energy = t.at("energy_pJ").get<double>();
  s << "  energy       " << fmt(energy / 1e6, 5) << " uJ per network call (one image, "
    << h.at("blocks").get<int>() << " blocks, " << tokens
    << " tokens) = " << fmt(t.at("energy_pJ_per_token").get<double>() / 1e3, 5)
    << " nJ/token (dynamic " << fmt(t.at("dynamic_energy_pJ").get<double>() / 1e6, 5)
    << " uJ, leakage " << fmt(t.at("leakage_energy_pJ").get<double>() / 1e6, 5) << " uJ)\n";
  const auto by = energy_by_component_sorted(t);
  for (const auto& [v, k] : by) {
    if (v == 0.0) continue;
    std::snprintf(buf, sizeof buf, "    %-28s %12.5g pJ  %5.1f%%\n", k.c_str(), v,
                  energy > 0 ? 100.0 * v / energy : 0.0);
    s << buf;
  }
  s << render_unpriced(h);
  const json& l0 = h.at("layers").at(0);
  s << "  latency      " << fmt(t.at("latency_ns").get<double>() / 1e3, 5)
    << " us per network call ("
    << (a.at("batch").get<std::int64_t>() > 1
            ? "a batch of " + std::to_string(a.at("batch").get<std::int64_t>()) + " images, "
            : std::string())
    << t.at("latency_cycles").get<std::int64_t>() << " cycles; block "
    << fmt(l0.at("latency_ns").get<double>() / 1e3, 5) << " us), "
    << fmt(t.at("network_calls_per_s").get<double>(), 5) << " calls/s; bounded by "
    << t.at("bounding_unit").get<std::string>() << "\n";
  s << "  per sample   " << t.at("network_calls_per_sample").get<std::int64_t>()
    << " network calls (workload.jit.sample.steps, CFG): "
    << fmt(t.at("latency_ns_per_sample").get<double>() / 1e6, 5) << " ms, "
    << fmt(t.at("energy_pJ_per_sample").get<double>() / 1e6, 5) << " uJ\n";
  s << "    unit       busy cycles  stall cycles  critical path   (per network call)\n";
  s << render_unit_cycles(t);
  for (const json& n : h.at("notes")) s << "  note         " << n.get<std::string>() << "\n";
  return s.str();
}

}  // namespace cimba::sim
