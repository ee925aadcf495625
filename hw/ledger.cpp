#include "hw/ledger.hpp"

namespace cimba::hw {

const char* action_name(Action a) {
  switch (a) {
    case Action::CimCellMac:
      return "cim_cell_mac";
    case Action::CimCellWrite:
      return "cim_cell_write";
    case Action::AdcConversion:
      return "adc_conversion";
    case Action::ShiftAdd:
      return "shift_add";
    case Action::SramReadBit:
      return "sram_read_bit";
    case Action::SramWriteBit:
      return "sram_write_bit";
    case Action::DramReadBit:
      return "dram_read_bit";
    case Action::DramWriteBit:
      return "dram_write_bit";
    case Action::Fp32Mul:
      return "fp32_mul";
    case Action::Fp32Add:
      return "fp32_add";
    case Action::Fp32Div:
      return "fp32_div";
    case Action::Fp32Sqrt:
      return "fp32_sqrt";
    case Action::Fp32Exp:
      return "fp32_exp";
    case Action::Fp32Softplus:
      return "fp32_softplus";
    case Action::Fp32Silu:
      return "fp32_silu";
    case Action::QuantEncode:
      return "quant_encode";
    case Action::DequantMul:
      return "dequant_mul";
    case Action::MuxSelect:
      return "mux_select";
    case Action::ScaleLookup:
      return "scale_lookup";
    case Action::Comparison:
      return "comparison";
    case Action::kCount:
      break;
  }
  return "?";
}

const std::vector<Action>& all_actions() {
  static const std::vector<Action> v = [] {
    std::vector<Action> a;
    for (int i = 0; i < kActionCount; ++i) a.push_back(static_cast<Action>(i));
    return a;
  }();
  return v;
}

const double* EnergyTable::find(Action action, const std::string& component) const {
  auto it = pj.find(std::string(action_name(action)) + "@" + component);
  if (it != pj.end()) return &it->second;
  it = pj.find(action_name(action));
  return it == pj.end() ? nullptr : &it->second;
}

void Ledger::book(const std::string& component, Action action, std::int64_t count) {
  if (count == 0) return;
  auto it = counts_.find(component);
  if (it == counts_.end()) it = counts_.emplace(component, ActionCounts{}).first;
  it->second[static_cast<int>(action)] += count;
}

std::int64_t Ledger::count(const std::string& component, Action action) const {
  auto it = counts_.find(component);
  return it == counts_.end() ? 0 : it->second[static_cast<int>(action)];
}

std::int64_t Ledger::total(Action action) const {
  std::int64_t t = 0;
  for (const auto& [name, c] : counts_) t += c[static_cast<int>(action)];
  return t;
}

EnergyReport price(const Ledger& ledger, const EnergyTable& table) {
  EnergyReport r;
  for (const auto& [name, counts] : ledger.components()) {
    ComponentEnergy ce{name, 0.0};
    for (Action a : all_actions()) {
      const std::int64_t n = counts[static_cast<int>(a)];
      if (n == 0) continue;
      if (const double* e = table.find(a, name))
        ce.energy_pJ += double(n) * *e;
      else
        r.unpriced.push_back(std::string(action_name(a)) + "@" + name);
    }
    r.total_pJ += ce.energy_pJ;
    r.components.push_back(ce);
  }
  return r;
}

}  // namespace cimba::hw
