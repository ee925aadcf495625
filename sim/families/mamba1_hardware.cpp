#include "sim/families/mamba1_hardware.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <vector>

#include "hw/accelerator.hpp"
#include "hw/timing.hpp"
#include "models/common/error.hpp"
#include "models/cost/cim.hpp"
#include "models/numerics/group_scales.hpp"
#include "sim/hardware_report.hpp"
#include "sim/hw_config.hpp"
#include "sim/hw_pricing.hpp"
#include "sim/result_format.hpp"
#include "workloads/mamba1/layer_program.hpp"
#include "workloads/mamba1/mamba_forward.hpp"

namespace cimba::sim {
namespace nm = cimba::numerics;
namespace wl = cimba::workloads;
using json = nlohmann::ordered_json;

namespace {

// The summary's numbers: 4 significant digits unless said otherwise.
std::string fmt4(double v, int precision = 4) { return fmt(v, precision); }

/// What the layers on the accelerator gave.
struct MambaHwRun {
  std::vector<hw::HwReport> reports;  // one per layer (a played layer's copy when not played)
  PricedEnergyTable prices;
  std::vector<AreaRow> area;
  hw::CimWeightPlan plan;  // the CIM macros over the whole model
  int n_layers = 0;
  /// Per layer: the played layer whose report it carries (itself when it was played).
  std::vector<int> copy_of;
  bool data_dependent_walk = false;  // the sequential index walk of the group scheme
  /// The residual stream between layers: [L, d_model] FP32 bytes of each sequence in flight
  /// (x hw.batch), the buffer's capacity (0: sized to it) and whether it stays on chip.
  std::int64_t stream_bytes = 0, stream_capacity = 0, batch = 1;
  bool stream_on_chip = false;
  bool played(int layer) const { return copy_of[static_cast<std::size_t>(layer)] == layer; }
  int simulated() const {
    int n = 0;
    for (int l = 0; l < n_layers; ++l) n += played(l);
    return n;
  }
  /// DRAM bytes per window the capacity forces: every layer boundary's block output stored and
  /// loaded again when the stream does not stay on chip.
  std::int64_t forced_dram_bytes() const {
    return stream_on_chip || n_layers < 2 ? 0 : 2 * (n_layers - 1) * stream_bytes / batch;
  }
};

wl::Mamba1LayerShape layer_shape(const wl::MambaConfig& mc, std::int64_t window) {
  wl::Mamba1LayerShape shape;
  shape.d_model = mc.hidden_size;
  shape.d_inner = mc.intermediate_size;
  shape.d_state = mc.state_size;
  shape.dt_rank = mc.time_step_rank;
  shape.conv_kernel = mc.conv_kernel;
  shape.length = window;
  return shape;
}

/// The FP32 reference's block inputs on the first window of the played layers (layer 0's is the
/// embedding; a forward runs only when a later layer is played; the others stay empty).
std::vector<nm::MatrixF> block_inputs(const wl::MambaModel& model, const wl::TokenWindows& windows,
                                      const MambaHwRun& run) {
  const int n_layers = run.n_layers;
  std::vector<nm::MatrixF> block_in(static_cast<std::size_t>(n_layers));
  if (run.simulated() > 1) {
    wl::MambaForwardOptions fo;
    fo.observer = [&](int layer, const std::string& point, const nm::MatrixF& value) {
      if (layer >= 0 && point == "block.in" && run.played(layer))
        block_in[static_cast<std::size_t>(layer)] = value;
    };
    wl::mamba_forward(model, windows.input(0), 1, windows.window, fo);
  } else if (n_layers > 0) {
    nm::MatrixF& x0 = block_in[0];
    x0.resize(windows.window, model.config.hidden_size);
    const std::int32_t* tokens = windows.input(0);
    for (std::int64_t t = 0; t < windows.window; ++t) x0.row(t) = model.embeddings.row(tokens[t]);
  }
  return block_in;
}

/// Layer l's quantization on the hardware: static ranges calibrated on its input; with the group
/// scheme, the replay's group layout (G, HG, DG, P, grouping) with the run's calibrated ranges.
hw::LayerQuant layer_quant(const RunConfig& cfg, const wl::MambaLayerWeights& w,
                           const wl::Mamba1LayerShape& shape, const hw::LayerQuant& base,
                           const hw::HwParams& hw, const nm::MatrixF& x,
                           const wl::MambaCalibration* calibration, int l) {
  const auto& si = cfg.workload.ssm_input;
  hw::LayerQuant q = hw::calibrate_static(w, shape, base, hw, x, si.head_dim);
  if (q.ssm_input == wl::SsmInputScheme::Group && calibration != nullptr &&
      static_cast<std::int64_t>(calibration->layers[l].ssm_input.channel_absmax.size()) ==
          shape.d_inner) {
    q.groups = nm::calibrate_group_scales(
        calibration->layers[static_cast<std::size_t>(l)].ssm_input.channel_absmax,
        nm::GroupLayout::for_mamba1(shape.d_inner, si.n_ssd_groups, si.head_dim), si.n_head_groups,
        si.n_dim_groups,
        si.grouping == GroupingMode::KMeans ? nm::Grouping::KMeans : nm::Grouping::EqualSize);
  }
  return q;
}

/// Which layers are played: every layer, or (hw.simulate_layers first) one of each kind of
/// program: the first (its input from DRAM), a middle one and the last (its output to DRAM) when
/// the residual stream stays on chip, else layer 0 alone (every program is the same). The others
/// carry the report of the played layer of their kind (same shapes, same counts).
void choose_played_layers(MambaHwRun& run, bool simulate_all) {
  const int n = run.n_layers;
  run.copy_of.resize(static_cast<std::size_t>(n));
  for (int l = 0; l < n; ++l)
    run.copy_of[static_cast<std::size_t>(l)] =
        simulate_all ? l : (!run.stream_on_chip || l == 0 ? 0 : (l == n - 1 ? n - 1 : 1));
}

/// Plays the layers; prices the union of the buffers the played layers used (at the bytes they
/// needed) and reprices them.
MambaHwRun play_layers(const RunConfig& cfg, const hw::HwParams& hw, const wl::MambaModel& model,
                       const wl::Mamba1LayerShape& shape, const wl::TokenWindows& windows,
                       const hw::LayerQuant& base, const wl::MambaCalibration* calibration,
                       const std::function<void(int)>& layer_done) {
  MambaHwRun run;
  run.n_layers = static_cast<int>(model.layers.size());
  // Every Mamba layer has the same shape, and the ledger's counts and the cycle counts follow from
  // the shapes and the hw.* keys alone, with one exception: the sequential index walk of the group
  // scheme stops at a data-dependent threshold. So hw.simulate_layers first plays one layer of
  // each program kind and counts it for its kind (exact for latency and energy), unless that walk
  // is in the program.
  run.data_dependent_walk = cfg.workload.ssm_input.scheme == SsmInputScheme::Group &&
                            cfg.hw.index.impl == IndexImplMode::Sequential;
  const bool simulate_all =
      cfg.hw.simulate_layers == SimulateLayers::All || run.data_dependent_walk;
  run.batch = hw.batch;
  run.stream_bytes = wl::mamba1_stream_bytes(shape) * hw.batch;  // one stream per sequence
  run.stream_capacity = hw.sram_for("stream").bytes;
  run.stream_on_chip =
      run.n_layers > 1 && (run.stream_capacity == 0 || run.stream_bytes <= run.stream_capacity);
  choose_played_layers(run, simulate_all);
  const std::vector<nm::MatrixF> block_in = block_inputs(model, windows, run);
  std::map<int, hw::HwReport> played;
  std::map<std::string, std::int64_t> needed;  // buffer -> the most bytes a played layer needed
  for (int l = 0; l < run.n_layers; ++l) {
    if (!run.played(l)) continue;
    const wl::MambaLayerWeights& w = model.layers[static_cast<std::size_t>(l)];
    const nm::MatrixF& x = block_in[static_cast<std::size_t>(l)];
    const hw::LayerQuant q = layer_quant(cfg, w, shape, base, hw, x, calibration, l);
    wl::Mamba1ProgramOptions opts = hw::mamba1_program_options(
        hw, shape, q, cfg.hw.token_chunk, static_cast<std::int64_t>(model.layers.size()));
    opts.stream_in = run.stream_on_chip && l > 0;
    opts.stream_out = run.stream_on_chip && l < run.n_layers - 1;
    const wl::OpProgram program =
        wl::build_mamba1_layer_program(shape, opts, "layers." + std::to_string(l));
    hw::HwParams hw_layer = hw;
    if (l > 0) hw_layer.trace.clear();  // the VCD holds the first layer
    hw::LayerExecutor ex(shape, w, q, hw_layer, x);
    played[l] = hw::run_on_hardware(program, ex, hw_layer, run.prices.table);
    for (const hw::BufferReport& b : played[l].buffers)
      needed[b.name] = std::max(needed[b.name], b.required_bytes);
    if (layer_done) layer_done(l);
  }
  // The accelerator's buffers: every buffer a played layer used, at the most it needed (the
  // residual stream's buffer is on the chip even when the stream does not fit it).
  if (!needed.count("stream") && run.n_layers > 1) needed["stream"] = 0;
  std::vector<wl::BufferUse> buffers;
  for (const auto& [name, bytes] : needed) buffers.push_back({name, bytes});
  run.prices = build_energy_table(hw, buffers);
  run.area = area_breakdown(hw, buffers);
  for (auto& [l, r] : played) reprice(r, run.prices.table, hw.batch);
  for (int l = 0; l < run.n_layers; ++l) {
    run.reports.push_back(played.at(run.copy_of[static_cast<std::size_t>(l)]));
    if (layer_done && !run.played(l)) layer_done(l);
  }
  return run;
}

/// layers[] (one row per layer) and totals of the window (sums over the layers).
void layers_and_totals(const MambaHwRun& run, const hw::HwParams& hw, double leakage_uW,
                       double tokens, json& layers, json& totals,
                       std::map<std::string, std::int64_t>& unpriced_counts) {
  layers = json::array();
  std::int64_t total_cycles = 0;
  double total_ns = 0.0, dynamic_pJ = 0.0;
  std::map<std::string, double> energy_by_component;
  std::map<std::string, std::int64_t> ops_by_unit, busy_by_unit, stall_by_unit, critical_by_unit;
  std::vector<std::string> unit_order;
  for (std::size_t l = 0; l < run.reports.size(); ++l) {
    const hw::HwReport& r = run.reports[l];
    for (const hw::UnitReport& u : r.units) {
      if (!busy_by_unit.count(u.name)) unit_order.push_back(u.name);
      ops_by_unit[u.name] += u.ops;
      busy_by_unit[u.name] += u.busy_cycles;
      stall_by_unit[u.name] += u.stall_cycles;
      critical_by_unit[u.name] += u.critical_path_cycles;
    }
    for (const hw::ComponentEnergy& e : r.energy.components)
      energy_by_component[e.component] += e.energy_pJ;
    add_unpriced_counts(r, 1, unpriced_counts);
    // uW x ns = 1e-15 J = 1e-3 pJ; the batch's sequences share the layer's time
    const double leak_pJ = leakage_uW * r.latency_ns * 1e-3 / static_cast<double>(hw.batch);
    const bool simulated = run.played(static_cast<int>(l));
    // Saturation depends on the layer's data: known only where it was played.
    layers.push_back(layer_row_json(r, static_cast<std::int64_t>(l), leak_pJ,
                                    {{"simulated", simulated}},
                                    simulated ? json(r.adc_saturated) : json(nullptr)));
    total_cycles += r.total_cycles;
    total_ns += r.latency_ns;
    dynamic_pJ += r.energy.total_pJ;
  }
  const double leakage_pJ = leakage_uW * total_ns * 1e-3 / static_cast<double>(hw.batch);
  const double energy_pJ = dynamic_pJ + leakage_pJ;
  std::string bounding;
  std::int64_t best = -1;
  for (const std::string& u : unit_order)
    if (critical_by_unit[u] > best) {
      best = critical_by_unit[u];
      bounding = u;
    }
  json units = json::array();
  for (const std::string& u : unit_order)
    units.push_back({{"unit", u},
                     {"ops", ops_by_unit[u]},
                     {"busy_cycles", busy_by_unit[u]},
                     {"stall_cycles", stall_by_unit[u]},
                     {"critical_path_cycles", critical_by_unit[u]},
                     {"busy_ns", double(busy_by_unit[u]) * 1000.0 / hw.clock_mhz}});
  json by_component = json::object();
  for (const auto& [k, v] : energy_by_component) by_component[k] = v;
  totals = {{"latency_cycles", total_cycles},
            {"latency_ns", total_ns},
            {"latency_ns_per_token", total_ns / tokens},
            {"throughput_tokens_per_s", static_cast<double>(hw.batch) * tokens / (total_ns * 1e-9)},
            {"dynamic_energy_pJ", dynamic_pJ},
            {"leakage_energy_pJ", leakage_pJ},
            {"energy_pJ", energy_pJ},
            {"energy_pJ_per_token", energy_pJ / tokens},
            {"bounding_unit", bounding},
            {"units", units},
            {"energy_by_component_pJ", by_component}};
}

/// The time per conversion at the rate the cost model prices one ADC at (the timed rate:
/// cim_macro_params), 0 when the model cannot price it.
double adc_cost_latency_ns(const cost::CimMacroParams& mp) {
  try {
    return cost::cim_macro_cost(mp).adc.latency_ns;
  } catch (const Error&) {
    return 0.0;
  }
}

json accelerator_json(const RunConfig& cfg, const hw::HwParams& hw, const MambaHwRun& run,
                      const cost::CimMacroParams& mp, double adc_latency_ns) {
  const std::int64_t residency = run.reports.front().cim_weight_tiles * run.n_layers;
  return {{"node_nm", hw.node_nm},
          {"vdd_v", hw.vdd_v},
          {"clock_mhz", hw.clock_mhz},
          {"cim_macros", hw.cim.macros},
          // Macros that keep every layer's weights resident, and whether they are.
          {"cim_weights", hw::weight_placement_name(cfg.hw.cim.weights)},
          {"cim_macros_for_residency", residency},
          {"cim_weights_resident", run.plan.resident},
          {"cim_rows", hw.cim.rows},
          {"cim_cols", hw.cim.cols},
          {"cim_cell_type", cost::cim_cell_type_name(mp.cell)},
          {"w_bits", hw.cim.w_bits},
          {"cell_bits", hw.cim.cell_bits},
          {"outputs_per_macro", hw.cim.outputs_per_macro()},
          {"adc_model", cost::adc_model_name(mp.adc_model)},
          {"adc_bits", hw.cim.adc.bits},
          {"adcs_per_macro", mp.cols / mp.cols_per_conversion / mp.conversions_per_adc},
          {"adc_conversion_ns", hw.cycles_to_ns(hw::adc_conversion_cycles(hw))},
          // The input drive timed and priced: hw.cim.dac resolved, quant.slice_bits per drive.
          {"input_dac", cost::input_encoding_name(hw.cim.input_encoding())},
          {"input_slice_bits", hw.cim.slice_bits},
          {"input_drive_ns", hw.cycles_to_ns(hw::cim_drive_cycles(hw))},
          {"adc_cost_model_latency_ns", adc_latency_ns},
          {"dram_preset", hw.dram.preset},
          {"dram_bandwidth_gbps", hw.dram_bandwidth_gbps()},
          {"dram_latency_ns", hw.dram_latency_ns()},
          {"token_chunk", cfg.hw.token_chunk},
          {"batch", hw.batch}};
}

json notes_json(const RunConfig& cfg, const hw::HwParams& hw, const MambaHwRun& run,
                const cost::CimMacroParams& mp, double adc_latency_ns) {
  json notes = json::array();
  notes.push_back(
      (hw.batch > 1 ? std::to_string(hw.batch) + " sequences" : std::string("one sequence")) +
      " of L = workload.mamba.window tokens (the first evaluation window" +
      (hw.batch > 1 ? "'s numerics" : "") +
      ") per layer; layers run one after another, so the window's latency is the sum of the "
      "layers'");
  if (hw.batch > 1)
    notes.push_back(
        "hw.batch = " + std::to_string(hw.batch) +
        ": that many sequences run through every op together and share each weight load and "
        "macro program (their activation buffers, SSM state and residual stream are batch "
        "times one sequence's); latency is the batch's (every window of it is done by then), "
        "energy and its breakdown are per window (the batch's divided by the batch), ledger "
        "counts (layers[].counts) are the batch's; the numerics are those of the first window");
  notes.push_back("the lm_head (and the embedding, norm_f) do not run on the accelerator");
  notes.push_back("leakage energy = total leakage power x latency; energy_pJ = dynamic + leakage");
  if (run.simulated() < run.n_layers)
    notes.push_back(
        "hw.simulate_layers first: " +
        std::string(run.simulated() == 1 ? "layer 0 was played on the accelerator and its"
                                         : "the first, the second and the last layer were played "
                                           "on the accelerator (the first reads the model input "
                                           "from DRAM, the last writes the output to DRAM, the "
                                           "others keep the residual stream on chip); their") +
        " latency, ledger and energy are counted for each of the " + std::to_string(run.n_layers) +
        " layers of their kind (every layer has the same shape, and the counts depend on shapes "
        "only); adc_saturated is known for the played layers only (null for the others); "
        "hw.simulate_layers all plays every layer");
  else if (cfg.hw.simulate_layers == SimulateLayers::First && run.data_dependent_walk)
    notes.push_back(
        "every layer was played although hw.simulate_layers is first: the sequential index walk "
        "(hw.index.impl sequential, group scheme) has data-dependent comparisons and cycles");
  const std::string batch_of = hw.batch > 1 ? " x hw.batch" : "";
  if (run.n_layers > 1)
    notes.push_back(
        run.stream_on_chip
            ? "residual stream: the block outputs [L, d_model] FP32" + batch_of + " (" +
                  std::to_string(run.stream_bytes) + " B) stay on chip in sram.stream (" +
                  (run.stream_capacity ? std::to_string(run.stream_capacity) + " B, " : "") +
                  "hw.sram.stream.bytes); DRAM carries the model input and output only"
            : "residual stream: the block outputs [L, d_model] FP32" + batch_of + " (" +
                  std::to_string(run.stream_bytes) + " B) do not fit sram.stream (" +
                  std::to_string(run.stream_capacity) +
                  " B, hw.sram.stream.bytes): every layer loads its input from DRAM and stores "
                  "its output to DRAM (capacity-forced traffic: " +
                  std::to_string(run.forced_dram_bytes()) + " B per window)");
  notes.push_back("accuracy: the replay converts " +
                  (cfg.hw.cim.rows_per_adc == 0
                       ? std::string("hw.cim.rows = ") + std::to_string(hw.cim.rows) +
                             " rows per conversion (hw.cim.rows_per_adc 0), as the hardware"
                       : std::to_string(cfg.hw.cim.rows_per_adc) +
                             " rows per conversion (hw.cim.rows_per_adc), as the hardware"));
  notes.push_back(
      "ADC: " + cost::adc_model_name(mp.adc_model) + " model, " + std::to_string(mp.adc_bits) +
      " bits, " + fmt(hw.cycles_to_ns(hw::adc_conversion_cycles(hw)), 4) + " ns per conversion (" +
      (hw.cim.adc.conversion_ns > 0.0 ? std::string("hw.cim.adc.conversion_ns")
                                      : std::string("the model's own")) +
      "); priced at the rate the timing runs each ADC, " + fmt(mp.adc_sample_rate_Hz * 1e-6, 4) +
      " Msamples/s (ADC cycle time " + fmt(adc_latency_ns, 4) + " ns)");
  notes.push_back(
      "input drive: " + std::string(cost::input_encoding_name(mp.encoding)) + " (hw.cim.dac " +
      hw::input_drive_name(hw.cim.dac) + ") of " + std::to_string(mp.dac_bits) + "-bit slices, " +
      fmt(mp.drive_ns, 4) + " ns per slice (" +
      (hw.cim.input_cycles_per_slice > 0 ? std::string("hw.cim.input_cycles_per_slice")
                                         : std::string("the drive's own time")) +
      "), timed and priced alike; a CIM step is max(drive, hw.cim.cols_per_adc conversions)");
  const auto& ql = cfg.quant.layers;
  bool per_type = false;
  for (const LinearTypeOverride* o : {&ql.in_proj, &ql.x_proj, &ql.dt_proj, &ql.out_proj})
    per_type = per_type || o->w_bits || o->adc_bits || !o->quantize;
  if (per_type)
    notes.push_back(
        "quant.layers.* overrides change the accuracy replay only: the hardware runs "
        "every linear on the CIM at quant.w_bits and hw.cim.adc.bits");
  return notes;
}

}  // namespace

json run_mamba_hardware(const RunConfig& cfg, const wl::MambaModel& model,
                        const wl::TokenWindows& windows, const hw::LayerQuant& base,
                        const wl::MambaCalibration* calibration,
                        const std::function<void(int)>& layer_done) {
  hw::HwParams hw = to_hw_params(cfg);
  hw.validate();
  hw::check_cim_costable(hw);
  // The CIM planned over the whole model (hw.cim.weights, hw.cim.macros 0 = sized to it).
  const wl::Mamba1LayerShape shape = layer_shape(model.config, windows.window);
  const hw::CimWeightPlan plan = hw::plan_cim_weights(
      hw.cim, static_cast<std::int64_t>(model.layers.size()) * hw::layer_weight_tiles(hw, shape));
  hw.cim.macros = plan.macros;
  MambaHwRun run = play_layers(cfg, hw, model, shape, windows, base, calibration, layer_done);
  run.plan = plan;
  const double tokens = static_cast<double>(windows.window);
  double area_um2 = 0.0, leakage_uW = 0.0;
  const json area_rows = area_rows_json(run.area, area_um2, leakage_uW);
  json layers, totals;
  std::map<std::string, std::int64_t> unpriced_counts;
  layers_and_totals(run, hw, leakage_uW, tokens, layers, totals, unpriced_counts);
  const cost::CimMacroParams mp = cim_macro_params(hw);
  const double adc_latency_ns = adc_cost_latency_ns(mp);
  return {{"accelerator", accelerator_json(cfg, hw, run, mp, adc_latency_ns)},
          {"tokens_per_window", windows.window},
          // The block outputs between layers: on chip, or forced through DRAM by the capacity.
          {"residual_stream",
           {{"bytes", run.stream_bytes},
            {"capacity_bytes", run.stream_capacity},
            {"on_chip", run.stream_on_chip},
            {"dram_bytes_forced_per_window", run.forced_dram_bytes()}}},
          {"totals", totals},
          {"area",
           {{"area_um2", area_um2},
            {"area_mm2", area_um2 * 1e-6},
            {"leakage_uW", leakage_uW},
            {"components", area_rows}}},
          {"layers", layers},
          {"energy_table", price_rows_json(run.prices)},
          {"unpriced", unpriced_rows_json(unpriced_counts, run.prices)},
          {"notes", notes_json(cfg, hw, run, mp, adc_latency_ns)}};
}

std::string render_hardware_summary(const json& h) {
  std::ostringstream s;
  char buf[256];
  const json& a = h.at("accelerator");
  const json& t = h.at("totals");
  const json& area = h.at("area");
  s << "  accelerator  " << a.at("node_nm").get<int>() << " nm, "
    << fmt4(a.at("vdd_v").get<double>()) << " V, " << fmt4(a.at("clock_mhz").get<double>())
    << " MHz; " << a.at("cim_macros").get<int>() << " CIM macros " << a.at("cim_rows").get<int>()
    << "x" << a.at("cim_cols").get<int>() << " " << a.at("cim_cell_type").get<std::string>() << ", "
    << a.at("adcs_per_macro").get<int>() << " " << a.at("adc_model").get<std::string>()
    << " ADCs of " << a.at("adc_bits").get<int>() << " b per macro; DRAM "
    << a.at("dram_preset").get<std::string>() << "\n";
  s << "  weights      " << (a.at("cim_weights_resident").get<bool>() ? "resident" : "streamed")
    << ": the model needs " << a.at("cim_macros_for_residency").get<std::int64_t>()
    << " macros to keep every layer's weights on the chip\n";
  s << "  area         " << fmt4(area.at("area_mm2").get<double>(), 5) << " mm^2 ("
    << fmt4(area.at("area_um2").get<double>(), 7) << " um^2), leakage "
    << fmt4(area.at("leakage_uW").get<double>() * 1e-3, 4) << " mW\n";
  s << render_area_components(area);
  const double tokens = h.at("tokens_per_window").get<double>();
  const double energy = t.at("energy_pJ").get<double>();
  s << "  energy       " << fmt4(energy / 1e6, 5) << " uJ per window of " << tokens
    << " tokens = " << fmt4(t.at("energy_pJ_per_token").get<double>() / 1e3, 5)
    << " nJ/token (dynamic " << fmt4(t.at("dynamic_energy_pJ").get<double>() / 1e6, 5)
    << " uJ, leakage " << fmt4(t.at("leakage_energy_pJ").get<double>() / 1e6, 5) << " uJ)\n";
  const auto by = energy_by_component_sorted(t);
  for (const auto& [v, k] : by) {
    bool unpriced = false;
    for (const json& u : h.at("unpriced"))
      unpriced = unpriced || u.at("action").get<std::string>().substr(
                                 u.at("action").get<std::string>().find('@') + 1) == k;
    if (v == 0.0 && unpriced) {
      std::snprintf(buf, sizeof buf, "    %-28s     unpriced\n", k.c_str());
    } else {
      std::snprintf(buf, sizeof buf, "    %-28s %12.5g pJ  %5.1f%%  %10.4g pJ/token%s\n", k.c_str(),
                    v, energy > 0 ? 100.0 * v / energy : 0.0, v / tokens,
                    unpriced ? "  (+ unpriced actions)" : "");
    }
    s << buf;
  }
  s << render_unpriced(h);
  const std::int64_t batch = a.at("batch").get<std::int64_t>();
  s << "  latency      " << fmt4(t.at("latency_ns").get<double>() / 1e3, 5) << " us per "
    << (batch > 1 ? "batch of " + std::to_string(batch) + " windows" : std::string("window"))
    << " (" << t.at("latency_cycles").get<std::int64_t>()
    << " cycles) = " << fmt4(t.at("latency_ns_per_token").get<double>(), 5)
    << " ns/token, throughput " << fmt4(t.at("throughput_tokens_per_s").get<double>(), 5)
    << " tokens/s; bounded by " << t.at("bounding_unit").get<std::string>() << "\n";
  s << "    unit       busy cycles  stall cycles  critical path\n";
  s << render_unit_cycles(t);
  s << "    per layer:";
  for (const json& l : h.at("layers"))
    s << " " << l.at("layer").get<int>() << ": " << fmt4(l.at("latency_ns").get<double>() / 1e3, 4)
      << " us " << fmt4(l.at("energy_pJ").get<double>() / 1e6, 4) << " uJ ("
      << l.at("bounding_unit").get<std::string>() << ")";
  s << "\n";
  for (const json& n : h.at("notes")) s << "  note         " << n.get<std::string>() << "\n";
  return s.str();
}

}  // namespace cimba::sim
