// The layers on the SystemC model and the "hardware" section of result.json
// (docs/results-format.md); the accelerator comes from sim/hw_config, its prices from
// sim/hw_pricing.
#include "sim/hardware_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "models/common/error.hpp"
#include "models/cost/adc.hpp"
#include "models/cost/cim.hpp"
#include "models/cost/digital.hpp"
#include "models/cost/dram.hpp"
#include "models/cost/sram.hpp"
#include "models/cost/tech.hpp"
#include "models/numerics/group_scales.hpp"
#include "sim/hw_config.hpp"
#include "sim/hw_pricing.hpp"
#include "sim/result_format.hpp"
#include "workloads/mamba1/mamba_forward.hpp"

namespace cimba::sim {
namespace nm = cimba::numerics;
namespace wl = cimba::workloads;
using json = nlohmann::ordered_json;

namespace {
// The summary's numbers: 4 significant digits unless said otherwise.
std::string fmt4(double v, int precision = 4) { return fmt(v, precision); }
}  // namespace

// ---- the layers on the accelerator ----------------------------------------------------------

json unit_json(const hw::UnitReport& u, double clock_mhz) {
  return {{"unit", u.name},
          {"ops", u.ops},
          {"busy_cycles", u.busy_cycles},
          {"stall_cycles", u.stall_cycles},
          {"critical_path_cycles", u.critical_path_cycles},
          {"busy_ns", double(u.busy_cycles) * 1000.0 / clock_mhz},
          {"utilization", u.utilization},
          {"energy_pJ", u.energy_pJ}};
}

// Prices the report's ledger with `table` again (energy, per unit, per buffer).
void reprice(hw::HwReport& r, const hw::EnergyTable& table) {
  r.energy = hw::price(r.ledger, table);
  std::map<std::string, double> by_component;
  for (const hw::ComponentEnergy& e : r.energy.components) by_component[e.component] = e.energy_pJ;
  for (hw::UnitReport& u : r.units) u.energy_pJ = by_component[u.name];
  for (hw::BufferReport& b : r.buffers) b.energy_pJ = by_component["sram." + b.name];
}

json area_rows_json(const std::vector<AreaRow>& area, double& area_um2, double& leakage_uW) {
  json rows = json::array();
  for (const AreaRow& a : area) {
    area_um2 += a.area_um2;
    leakage_uW += a.leakage_uW;
    rows.push_back({{"component", a.component},
                    {"count", a.count},
                    {"area_um2_each", a.area_um2_each},
                    {"area_um2", a.area_um2},
                    {"leakage_uW", a.leakage_uW},
                    {"counted_as", a.counted_as},
                    {"source", a.source}});
  }
  return rows;
}

json energy_by_component_json(const hw::HwReport& r) {
  json energy = json::object();
  for (const hw::ComponentEnergy& e : r.energy.components) energy[e.component] = e.energy_pJ;
  return energy;
}

json action_counts_json(const hw::HwReport& r) {
  json counts = json::object();
  for (const auto& [component, actions] : r.ledger.components())
    for (hw::Action a : hw::all_actions())
      if (actions[static_cast<std::size_t>(a)] != 0)
        counts[std::string(hw::action_name(a)) + "@" + component] =
            actions[static_cast<std::size_t>(a)];
  return counts;
}

json buffers_json(const hw::HwReport& r) {
  json buffers = json::array();
  for (const hw::BufferReport& b : r.buffers)
    buffers.push_back({{"buffer", b.name},
                       {"key", b.key},
                       {"required_bytes", b.required_bytes},
                       {"configured_bytes", b.configured_bytes},
                       {"bits_read", b.bits_read},
                       {"bits_written", b.bits_written},
                       {"energy_pJ", b.energy_pJ}});
  return buffers;
}

void add_unpriced_counts(const hw::HwReport& r, std::int64_t times,
                         std::map<std::string, std::int64_t>& counts) {
  for (const std::string& key : r.energy.unpriced) {
    const std::string action = key.substr(0, key.find('@'));
    const std::string component = key.substr(key.find('@') + 1);
    for (hw::Action a : hw::all_actions())
      if (action == hw::action_name(a)) counts[key] += times * r.ledger.count(component, a);
  }
}

json price_rows_json(const PricedEnergyTable& prices) {
  json rows = json::array();
  for (const EnergyPrice& p : prices.prices)
    rows.push_back({{"action", p.key}, {"pJ", p.pJ}, {"source", p.source}});
  return rows;
}

json unpriced_rows_json(const std::map<std::string, std::int64_t>& counts,
                        const PricedEnergyTable& prices) {
  json rows = json::array();
  for (const auto& [key, count] : counts)
    rows.push_back({{"action", key}, {"count", count}, {"reason", prices.reason_for(key)}});
  return rows;
}

json run_mamba_hardware(const RunConfig& cfg, const wl::MambaModel& model,
                        const wl::TokenWindows& windows, const hw::LayerQuant& base,
                        const wl::MambaCalibration* calibration,
                        const std::function<void(int)>& layer_done) {
  const hw::HwParams hw = to_hw_params(cfg);
  hw.validate();
  const wl::MambaConfig& mc = model.config;
  wl::Mamba1LayerShape shape;
  shape.d_model = mc.hidden_size;
  shape.d_inner = mc.intermediate_size;
  shape.d_state = mc.state_size;
  shape.dt_rank = mc.time_step_rank;
  shape.conv_kernel = mc.conv_kernel;
  shape.length = windows.window;
  const int n_layers = static_cast<int>(model.layers.size());

  const auto& si = cfg.workload.ssm_input;
  // Every Mamba layer has the same shape, and the ledger's counts and the cycle counts follow from
  // the shapes and the hw.* keys alone, with one exception: the sequential index walk of the group
  // scheme stops at a data-dependent threshold. So hw.simulate_layers first plays layer 0 and
  // counts it n_layers times (exact for latency and energy), unless that walk is in the program.
  const bool data_dependent_walk =
      si.scheme == SsmInputScheme::Group && cfg.hw.index.impl == IndexImplMode::Sequential;
  const bool simulate_all = cfg.hw.simulate_layers == SimulateLayers::All || data_dependent_walk;
  const int simulated = simulate_all ? n_layers : std::min(n_layers, 1);

  // The FP32 reference's block inputs on the first window (layer 0's is the embedding).
  std::vector<nm::MatrixF> block_in(static_cast<std::size_t>(n_layers));
  if (simulate_all) {
    wl::MambaForwardOptions fo;
    fo.observer = [&](int layer, const std::string& point, const nm::MatrixF& value) {
      if (layer >= 0 && point == "block.in") block_in[static_cast<std::size_t>(layer)] = value;
    };
    wl::mamba_forward(model, windows.input(0), 1, windows.window, fo);
  } else if (n_layers > 0) {
    nm::MatrixF& x0 = block_in[0];
    x0.resize(windows.window, mc.hidden_size);
    const std::int32_t* tokens = windows.input(0);
    for (std::int64_t t = 0; t < windows.window; ++t) x0.row(t) = model.embeddings.row(tokens[t]);
  }

  std::vector<hw::HwReport> reports;
  PricedEnergyTable prices;
  std::vector<AreaRow> area;
  for (int l = 0; l < simulated; ++l) {
    const wl::MambaLayerWeights& w = model.layers[static_cast<std::size_t>(l)];
    const nm::MatrixF& x = block_in[static_cast<std::size_t>(l)];
    hw::LayerQuant q = hw::calibrate_static(w, shape, base, hw, x, si.head_dim);
    if (q.ssm_input == wl::SsmInputScheme::Group && calibration != nullptr &&
        static_cast<std::int64_t>(calibration->layers[l].ssm_input.channel_absmax.size()) ==
            shape.d_inner) {
      // The replay's group layout (G, HG, DG, P, grouping) with the run's calibrated ranges.
      q.groups = nm::calibrate_group_scales(
          calibration->layers[static_cast<std::size_t>(l)].ssm_input.channel_absmax,
          nm::GroupLayout::for_mamba1(shape.d_inner, si.n_ssd_groups, si.head_dim),
          si.n_head_groups, si.n_dim_groups,
          si.grouping == GroupingMode::KMeans ? nm::Grouping::KMeans : nm::Grouping::EqualSize);
    }
    const wl::OpProgram program = wl::build_mamba1_layer_program(
        shape,
        hw::mamba1_program_options(hw, shape, q, cfg.hw.token_chunk,
                                   static_cast<std::int64_t>(model.layers.size())),
        "layers." + std::to_string(l));
    hw::HwParams hw_layer = hw;
    if (l > 0) hw_layer.trace.clear();  // the VCD holds the first layer
    hw::LayerExecutor ex(shape, w, q, hw_layer, x);
    reports.push_back(hw::run_on_hardware(program, ex, hw_layer, prices.table));
    if (l == 0) {
      // The buffers the accelerator used (the program's plus the SSM core's state and
      // parameters) at the bytes they needed: price them, and the first layer again.
      std::vector<wl::BufferUse> buffers;
      for (const hw::BufferReport& b : reports.back().buffers)
        buffers.push_back({b.name, b.required_bytes});
      prices = build_energy_table(cfg, hw, buffers);
      area = area_breakdown(cfg, hw, buffers, shape);
      reprice(reports.back(), prices.table);
    }
    if (layer_done) layer_done(l);
  }
  // hw.simulate_layers first: layers 1.. are layer 0's report (same shapes, same counts).
  for (int l = simulated; l < n_layers; ++l) {
    reports.push_back(reports.front());
    if (layer_done) layer_done(l);
  }

  // ---- the "hardware" section ----
  const double tokens = static_cast<double>(windows.window);
  double area_um2 = 0.0, leakage_uW = 0.0;
  const json area_rows = area_rows_json(area, area_um2, leakage_uW);

  json layers = json::array();
  std::int64_t total_cycles = 0;
  double total_ns = 0.0, dynamic_pJ = 0.0;
  std::map<std::string, double> energy_by_component;
  std::map<std::string, std::int64_t> ops_by_unit, busy_by_unit, stall_by_unit, critical_by_unit;
  std::vector<std::string> unit_order;
  std::map<std::string, std::int64_t> unpriced_counts;
  for (std::size_t l = 0; l < reports.size(); ++l) {
    const hw::HwReport& r = reports[l];
    json units = json::array();
    for (const hw::UnitReport& u : r.units) {
      units.push_back(unit_json(u, r.clock_mhz));
      if (!busy_by_unit.count(u.name)) unit_order.push_back(u.name);
      ops_by_unit[u.name] += u.ops;
      busy_by_unit[u.name] += u.busy_cycles;
      stall_by_unit[u.name] += u.stall_cycles;
      critical_by_unit[u.name] += u.critical_path_cycles;
    }
    for (const hw::ComponentEnergy& e : r.energy.components)
      energy_by_component[e.component] += e.energy_pJ;
    add_unpriced_counts(r, 1, unpriced_counts);
    const double leak_pJ = leakage_uW * r.latency_ns * 1e-3;  // uW x ns = 1e-15 J = 1e-3 pJ
    layers.push_back(
        {{"layer", static_cast<int>(l)},
         {"ops", static_cast<std::int64_t>(r.ops.size())},
         {"latency_cycles", r.total_cycles},
         {"latency_ns", r.latency_ns},
         {"bounding_unit", r.bounding_unit},
         {"dynamic_energy_pJ", r.energy.total_pJ},
         {"leakage_energy_pJ", leak_pJ},
         {"energy_pJ", r.energy.total_pJ + leak_pJ},
         {"cim_weights_stationary", r.cim_weights_stationary},
         {"cim_weight_tiles", r.cim_weight_tiles},
         {"simulated", static_cast<int>(l) < simulated},
         // Saturation depends on the layer's data: known only where it was played.
         {"adc_saturated", static_cast<int>(l) < simulated ? json(r.adc_saturated) : json(nullptr)},
         {"units", units},
         {"energy_by_component_pJ", energy_by_component_json(r)},
         {"buffers", buffers_json(r)},
         {"counts", action_counts_json(r)}});
    total_cycles += r.total_cycles;
    total_ns += r.latency_ns;
    dynamic_pJ += r.energy.total_pJ;
  }
  const double leakage_pJ = leakage_uW * total_ns * 1e-3;
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

  const json price_rows = price_rows_json(prices);
  const json unpriced = unpriced_rows_json(unpriced_counts, prices);

  const cost::CimMacroParams mp = cim_macro_params(cfg, hw);
  // The cost model's own conversion time (at the rate the macro sustains), beside the timing's
  // hw.cim.adc.conversion_ns: the two are separate parameters and may disagree.
  double adc_latency_ns = 0.0;
  try {
    adc_latency_ns = cost::cim_macro_cost(mp).adc.latency_ns;
  } catch (const Error&) {
  }
  json accelerator = {
      {"node_nm", cfg.hw.node_nm},
      {"vdd_v", cfg.hw.vdd_v},
      {"clock_mhz", hw.clock_mhz},
      {"cim_macros", hw.cim.macros},
      // Macros that keep every layer's weights resident, and whether they are.
      {"cim_macros_for_residency", reports.front().cim_weight_tiles * n_layers},
      {"cim_weights_resident", reports.front().cim_weight_tiles * n_layers <= hw.cim.macros},
      {"cim_rows", hw.cim.rows},
      {"cim_cols", hw.cim.cols},
      {"cim_cell_type", cost::cim_cell_type_name(mp.cell)},
      {"w_bits", hw.cim.w_bits},
      {"cell_bits", hw.cim.cell_bits},
      {"outputs_per_macro", hw.cim.outputs_per_macro()},
      {"adc_model", cost::adc_model_name(mp.adc_model)},
      {"adc_bits", hw.cim.adc.bits},
      {"adcs_per_macro", mp.cols / mp.cols_per_conversion / mp.conversions_per_adc},
      {"adc_conversion_ns", hw.cim.adc.conversion_ns},
      {"adc_cost_model_latency_ns", adc_latency_ns},
      {"dram_preset", hw.dram.preset},
      {"dram_bandwidth_gbps", hw.dram_bandwidth_gbps()},
      {"dram_latency_ns", hw.dram_latency_ns()},
      {"token_chunk", cfg.hw.token_chunk}};
  json notes = json::array();
  notes.push_back(
      "one sequence of L = workload.mamba.window tokens (the first evaluation window) per layer; "
      "layers run one after another, so the window's latency is the sum of the layers'");
  notes.push_back("the lm_head (and the embedding, norm_f) do not run on the accelerator");
  notes.push_back("leakage energy = total leakage power x latency; energy_pJ = dynamic + leakage");
  if (simulated < n_layers)
    notes.push_back(
        "hw.simulate_layers first: layer 0 was played on the accelerator and its latency, "
        "ledger and energy are counted for each of the " +
        std::to_string(n_layers) +
        " layers (every layer has the same shape, and the counts depend on shapes only); "
        "adc_saturated is known for layer 0 only (null for the others); hw.simulate_layers all "
        "plays every layer");
  else if (cfg.hw.simulate_layers == SimulateLayers::First && data_dependent_walk)
    notes.push_back(
        "every layer was played although hw.simulate_layers is first: the sequential index walk "
        "(hw.index.impl sequential, group scheme) has data-dependent comparisons and cycles");
  notes.push_back("accuracy: the replay converts " +
                  (cfg.hw.cim.rows_per_adc == 0
                       ? std::string("hw.cim.rows = ") + std::to_string(hw.cim.rows) +
                             " rows per conversion (hw.cim.rows_per_adc 0), as the hardware"
                       : std::to_string(cfg.hw.cim.rows_per_adc) +
                             " rows per conversion (hw.cim.rows_per_adc), as the hardware"));
  if (adc_latency_ns > 0.0 &&
      std::abs(adc_latency_ns - hw.cim.adc.conversion_ns) > 0.01 * hw.cim.adc.conversion_ns)
    notes.push_back(
        "ADC: the timing uses hw.cim.adc.conversion_ns = " + fmt(hw.cim.adc.conversion_ns, 4) +
        " ns per conversion; the " + cost::adc_model_name(mp.adc_model) + " cost model's " +
        std::to_string(mp.adc_bits) + "-bit conversion takes " + fmt(adc_latency_ns, 4) +
        " ns (energy and area are priced at its own rate)");
  const auto& ql = cfg.quant.layers;
  bool per_type = false;
  for (const LinearTypeOverride* o : {&ql.in_proj, &ql.x_proj, &ql.dt_proj, &ql.out_proj})
    per_type = per_type || o->w_bits || o->adc_bits || !o->quantize;
  if (per_type)
    notes.push_back(
        "quant.layers.* overrides change the accuracy replay only: the hardware runs "
        "every linear on the CIM at quant.w_bits and hw.cim.adc.bits");

  json out = {{"accelerator", accelerator},
              {"tokens_per_window", windows.window},
              {"totals",
               {{"latency_cycles", total_cycles},
                {"latency_ns", total_ns},
                {"latency_ns_per_token", total_ns / tokens},
                {"throughput_tokens_per_s", tokens / (total_ns * 1e-9)},
                {"dynamic_energy_pJ", dynamic_pJ},
                {"leakage_energy_pJ", leakage_pJ},
                {"energy_pJ", energy_pJ},
                {"energy_pJ_per_token", energy_pJ / tokens},
                {"bounding_unit", bounding},
                {"units", units},
                {"energy_by_component_pJ", by_component}}},
              {"area",
               {{"area_um2", area_um2},
                {"area_mm2", area_um2 * 1e-6},
                {"leakage_uW", leakage_uW},
                {"components", area_rows}}},
              {"layers", layers},
              {"energy_table", price_rows},
              {"unpriced", unpriced},
              {"notes", notes}};
  return out;
}

json hardware_layer_columns(const json& hardware, int layer) {
  const json* row = nullptr;
  for (const json& l : hardware.at("layers"))
    if (l.at("layer").get<int>() == layer) row = &l;
  json c = json::object();
  auto put = [&](const std::string& key, const json& value) {
    c[key] = row ? value : json(nullptr);
  };
  put("hw_latency_cycles", row ? row->at("latency_cycles") : json());
  put("hw_latency_ns", row ? row->at("latency_ns") : json());
  put("hw_energy_pJ", row ? row->at("energy_pJ") : json());
  put("hw_dynamic_energy_pJ", row ? row->at("dynamic_energy_pJ") : json());
  put("hw_bounding_unit", row ? row->at("bounding_unit") : json());
  for (const json& u : hardware.at("totals").at("units")) {
    const std::string name = u.at("unit").get<std::string>();
    const json* lu = nullptr;
    if (row)
      for (const json& x : row->at("units"))
        if (x.at("unit") == name) lu = &x;
    put("hw_" + name + "_busy_cycles", lu ? lu->at("busy_cycles") : json(0));
    put("hw_" + name + "_stall_cycles", lu ? lu->at("stall_cycles") : json(0));
    put("hw_" + name + "_energy_pJ", lu ? lu->at("energy_pJ") : json(0.0));
  }
  double sram = 0.0;
  if (row)
    for (const auto& [k, v] : row->at("energy_by_component_pJ").items())
      if (k.rfind("sram.", 0) == 0) sram += v.get<double>();
  put("hw_sram_energy_pJ", sram);
  return c;
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
  const double total_area = area.at("area_um2").get<double>();
  for (const json& r : area.at("components")) {
    std::snprintf(buf, sizeof buf, "    %-28s %6d x %11.4g um^2 = %11.5g um^2  %5.1f%%\n",
                  r.at("component").get<std::string>().c_str(), r.at("count").get<int>(),
                  r.at("area_um2_each").get<double>(), r.at("area_um2").get<double>(),
                  total_area > 0 ? 100.0 * r.at("area_um2").get<double>() / total_area : 0.0);
    s << buf;
  }
  const double tokens = h.at("tokens_per_window").get<double>();
  const double energy = t.at("energy_pJ").get<double>();
  s << "  energy       " << fmt4(energy / 1e6, 5) << " uJ per window of " << tokens
    << " tokens = " << fmt4(t.at("energy_pJ_per_token").get<double>() / 1e3, 5)
    << " nJ/token (dynamic " << fmt4(t.at("dynamic_energy_pJ").get<double>() / 1e6, 5)
    << " uJ, leakage " << fmt4(t.at("leakage_energy_pJ").get<double>() / 1e6, 5) << " uJ)\n";
  std::vector<std::pair<double, std::string>> by;
  for (const auto& [k, v] : t.at("energy_by_component_pJ").items())
    by.push_back({v.get<double>(), k});
  std::sort(by.begin(), by.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first > y.first : x.second < y.second;
  });
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
  if (!h.at("unpriced").empty()) {
    s << "    unpriced (not in the totals):";
    for (const json& u : h.at("unpriced"))
      s << " " << u.at("action").get<std::string>() << " (" << u.at("count").get<std::int64_t>()
        << ")";
    s << "\n";
  }
  s << "  latency      " << fmt4(t.at("latency_ns").get<double>() / 1e3, 5) << " us per window ("
    << t.at("latency_cycles").get<std::int64_t>()
    << " cycles) = " << fmt4(t.at("latency_ns_per_token").get<double>(), 5)
    << " ns/token, throughput " << fmt4(t.at("throughput_tokens_per_s").get<double>(), 5)
    << " tokens/s; bounded by " << t.at("bounding_unit").get<std::string>() << "\n";
  s << "    unit       busy cycles  stall cycles  critical path\n";
  for (const json& u : t.at("units")) {
    if (u.at("ops").get<std::int64_t>() == 0) continue;  // a unit this workload does not use
    std::snprintf(buf, sizeof buf, "    %-8s %13lld %13lld %14lld\n",
                  u.at("unit").get<std::string>().c_str(),
                  static_cast<long long>(u.at("busy_cycles").get<std::int64_t>()),
                  static_cast<long long>(u.at("stall_cycles").get<std::int64_t>()),
                  static_cast<long long>(u.at("critical_path_cycles").get<std::int64_t>()));
    s << buf;
  }
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
