#pragma once
// Main entry point of the hardware model: play a layer's op program through the SystemC
// accelerator (DRAM, CIM macros, conv1d + quantizer, scale-index lookup, dual-scale dequant MUX,
// FP32 SSM core, vector unit, controller) and get the layer's numerics (in the executor) and its
// timing, action counts and energy.
//
//   auto quant  = hw::calibrate_static(weights, shape, base_quant, params, x);   // or your own
//   auto opts   = hw::mamba1_program_options(params, shape, quant);
//   auto prog   = workloads::build_mamba1_layer_program(shape, opts);
//   hw::LayerExecutor ex(shape, weights, quant, params, x);
//   hw::HwReport r = hw::run_on_hardware(prog, ex, params, energy_table);
//   ex.output();  // the block output, bit-identical to ex2.run_all(prog) (the functional path)
//
// SystemC allows one elaboration per process: the accelerator is built once, on the first call,
// and every later call re-runs it (its parameters are data, not structure). Time restarts at 0
// for each report. A VCD trace (hw.trace) can only be written by the first call of a process.
#include <cstdint>
#include <string>
#include <vector>

#include "hw/ledger.hpp"
#include "hw/op_executor.hpp"
#include "hw/params.hpp"
#include "workloads/program/op_program.hpp"

namespace cimba::hw {

/// The units of the accelerator, in report order.
enum class UnitId { Dram, Cim, Conv, Index, Mux, Ssm, Vec, Mac, kCount };
constexpr int kUnitCount = static_cast<int>(UnitId::kCount);
const char* unit_name(UnitId unit);  // "dram", "cim", "conv", "index", "mux", "ssm", "vec", "mac"
UnitId unit_for(workloads::OpKind kind);

struct OpTiming {
  int id = 0;
  std::string name;
  UnitId unit = UnitId::Vec;
  std::int64_t issue_cycle = 0, start_cycle = 0, end_cycle = 0;
  std::int64_t latency_cycles() const { return end_cycle - start_cycle; }
};

struct UnitReport {
  std::string name;
  std::int64_t ops = 0;
  std::int64_t busy_cycles = 0;  // sum of the latencies of its ops
  /// idle cycles between its first start and last end (waiting for inputs or other units)
  std::int64_t stall_cycles = 0;
  std::int64_t first_start_cycle = 0, last_end_cycle = 0;
  std::int64_t critical_path_cycles = 0;  // its share of the layer's critical path
  double utilization = 0.0;               // busy / layer cycles
  double energy_pJ = 0.0;                 // its own actions (SRAM buffers are components of
                                          // their own, "sram.<buffer>")
};

struct BufferReport {
  std::string name;
  std::string key;  // hw.sram.<name> or hw.sram.default
  std::int64_t required_bytes = 0;
  std::int64_t configured_bytes = 0;  // 0: sized to required_bytes
  std::int64_t bits_read = 0, bits_written = 0;
  double energy_pJ = 0.0;
};

struct HwReport {
  std::string layer;
  double clock_mhz = 0.0;
  std::int64_t total_cycles = 0;
  double latency_ns = 0.0;
  std::vector<UnitReport> units;      // UnitId order
  std::vector<BufferReport> buffers;  // name order
  std::vector<OpTiming> ops;          // op id order
  Ledger ledger;
  EnergyReport energy;
  /// The unit with the largest share of the critical path: the one that bounds the layer.
  std::string bounding_unit;
  std::vector<int> critical_path;       // op ids, first to last
  bool cim_weights_stationary = false;  // every weight tile of the layer has its own macro
  std::int64_t cim_weight_tiles = 0;    // macro tiles of the layer's CIM matrices
  std::int64_t adc_saturated = 0;       // from the numerics
  const UnitReport& unit(UnitId id) const { return units.at(static_cast<std::size_t>(id)); }
};

/// Macro tiles of one matrix [M x K] on the CIM: cdiv(K, rows) x cdiv(M, outputs_per_macro).
std::int64_t cim_tiles(const HwParams& hw, std::int64_t M, std::int64_t K);

/// Whether this process has already run the accelerator (a VCD can then no longer be opened).
bool hardware_has_run();

/// Runs `program` through the accelerator. The numerics happen in `executor` (built with the same
/// hw parameters), op by op, when each op starts. Throws ConfigError (naming the key) when the
/// hardware cannot run the program (a buffer smaller than the program needs, weights that must
/// stay resident but do not fit the macros, ...), InvalidArgument for inconsistent inputs (a
/// program of another family than the executor's, an executor built for other hw parameters),
/// and rethrows what a numerics call threw.
HwReport run_on_hardware(const workloads::OpProgram& program, OpExecutor& executor,
                         const HwParams& hw, const EnergyTable& energy = {});

}  // namespace cimba::hw
