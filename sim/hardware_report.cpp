// Shared pieces of the "hardware" section of result.json (docs/results-format.md).
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

namespace cimba::sim {
namespace nm = cimba::numerics;
namespace wl = cimba::workloads;
using json = nlohmann::ordered_json;

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
void reprice(hw::HwReport& r, const hw::EnergyTable& table, std::int64_t batch) {
  r.energy = hw::price(r.ledger, table);
  const double per = 1.0 / static_cast<double>(batch);
  r.energy.total_pJ *= per;
  for (hw::ComponentEnergy& e : r.energy.components) e.energy_pJ *= per;
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

json layer_row_json(const hw::HwReport& r, std::int64_t layer, double leakage_pJ,
                    const json& provenance, const json& adc_saturated) {
  json units = json::array();
  for (const hw::UnitReport& u : r.units) units.push_back(unit_json(u, r.clock_mhz));
  json row = {{"layer", layer},
              {"ops", static_cast<std::int64_t>(r.ops.size())},
              {"latency_cycles", r.total_cycles},
              {"latency_ns", r.latency_ns},
              {"bounding_unit", r.bounding_unit},
              {"dynamic_energy_pJ", r.energy.total_pJ},
              {"leakage_energy_pJ", leakage_pJ},
              {"energy_pJ", r.energy.total_pJ + leakage_pJ},
              {"cim_weights_stationary", r.cim_weights_stationary},
              {"cim_weight_tiles", r.cim_weight_tiles}};
  for (const auto& [k, v] : provenance.items()) row[k] = v;
  row["adc_saturated"] = adc_saturated;
  row["units"] = units;
  row["energy_by_component_pJ"] = energy_by_component_json(r);
  row["buffers"] = buffers_json(r);
  row["counts"] = action_counts_json(r);
  return row;
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

// ---- pieces of the summaries ------------------------------------------------------------------

std::string render_area_components(const json& area) {
  std::ostringstream s;
  char buf[256];
  const double total_area = area.at("area_um2").get<double>();
  for (const json& r : area.at("components")) {
    std::snprintf(buf, sizeof buf, "    %-28s %6d x %11.4g um^2 = %11.5g um^2  %5.1f%%\n",
                  r.at("component").get<std::string>().c_str(), r.at("count").get<int>(),
                  r.at("area_um2_each").get<double>(), r.at("area_um2").get<double>(),
                  total_area > 0 ? 100.0 * r.at("area_um2").get<double>() / total_area : 0.0);
    s << buf;
  }
  return s.str();
}

std::vector<std::pair<double, std::string>> energy_by_component_sorted(const json& t) {
  std::vector<std::pair<double, std::string>> by;
  for (const auto& [k, v] : t.at("energy_by_component_pJ").items())
    by.push_back({v.get<double>(), k});
  std::sort(by.begin(), by.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first > y.first : x.second < y.second;
  });
  return by;
}

std::string render_unpriced(const json& h) {
  std::ostringstream s;
  if (!h.at("unpriced").empty()) {
    s << "    unpriced (not in the totals):";
    for (const json& u : h.at("unpriced"))
      s << " " << u.at("action").get<std::string>() << " (" << u.at("count").get<std::int64_t>()
        << ")";
    s << "\n";
  }
  return s.str();
}

std::string render_unit_cycles(const json& t) {
  std::ostringstream s;
  char buf[256];
  for (const json& u : t.at("units")) {
    if (u.at("ops").get<std::int64_t>() == 0) continue;  // a unit this workload does not use
    std::snprintf(buf, sizeof buf, "    %-8s %13lld %13lld %14lld\n",
                  u.at("unit").get<std::string>().c_str(),
                  static_cast<long long>(u.at("busy_cycles").get<std::int64_t>()),
                  static_cast<long long>(u.at("stall_cycles").get<std::int64_t>()),
                  static_cast<long long>(u.at("critical_path_cycles").get<std::int64_t>()));
    s << buf;
  }
  return s.str();
}

}  // namespace cimba::sim
