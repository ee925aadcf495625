#pragma once
// The action ledger: every hardware unit books how many times it performed each action; energy
// is counts x energy per action from an EnergyTable (filled from models/cost by the caller).
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cimba::hw {

enum class Action {
  CimCellMac,     // one cell takes part in one analog MAC (one input slice on one cell)
  CimCellWrite,   // one cell programmed with weight bits
  AdcConversion,  // one column ADC conversion
  ShiftAdd,       // one digital shift-add of a converted partial sum
  SramReadBit,    // one bit read from an on-chip buffer
  SramWriteBit,   // one bit written to an on-chip buffer
  DramReadBit,    // one bit read from DRAM
  DramWriteBit,   // one bit written to DRAM
  Fp32Mul,
  Fp32Add,
  Fp32Div,
  Fp32Sqrt,
  Fp32Exp,       // exp of the SSM core (in the configured exp_impl), of the softmax
  Fp32Softplus,  // softplus of the SSM core (in the configured exp_impl)
  Fp32Silu,
  QuantEncode,  // one element quantized (divide by the scale, round, clamp)
  DequantMul,   // one element dequantized (code x scale)
  MuxSelect,    // one flag-selected scale of the dual-scale MUX
  ScaleLookup,  // one scale-index lookup
  Comparison,   // one comparator operation (scale lookup, softmax max)
  kCount
};
constexpr int kActionCount = static_cast<int>(Action::kCount);
/// Stable snake_case name ("adc_conversion"), the key of EnergyTable entries.
const char* action_name(Action action);
const std::vector<Action>& all_actions();

using ActionCounts = std::array<std::int64_t, kActionCount>;

/// Energy per action in pJ. Key "<action>" applies to every component; "<action>@<component>"
/// (e.g. "sram_read_bit@sram.xz") overrides it for one component. Actions without an entry are
/// reported as unpriced (energy 0), never guessed.
struct EnergyTable {
  std::map<std::string, double> pj;
  /// The pJ of one action of `component`, or nullptr when the table has no entry.
  const double* find(Action action, const std::string& component) const;
};

/// Counts per component ("cim", "ssm", "sram.xz", "dram", ...).
class Ledger {
 public:
  void book(const std::string& component, Action action, std::int64_t count);
  std::int64_t count(const std::string& component, Action action) const;
  /// Sum of one action over every component.
  std::int64_t total(Action action) const;
  const std::map<std::string, ActionCounts>& components() const { return counts_; }
  void clear() { counts_.clear(); }

 private:
  std::map<std::string, ActionCounts> counts_;
};

struct ComponentEnergy {
  std::string component;
  double energy_pJ = 0.0;
};

struct EnergyReport {
  double total_pJ = 0.0;
  std::vector<ComponentEnergy> components;  // in component name order
  /// "<action>@<component>" of every non-zero count the table has no price for.
  std::vector<std::string> unpriced;
};

EnergyReport price(const Ledger& ledger, const EnergyTable& table);

}  // namespace cimba::hw
