#pragma once
// The SystemC modules of the accelerator, one per hardware block. Each is a thread that takes op
// ids from its command queue, runs the op's numerics (LayerExecutor::execute), books the op's
// actions in the ledger, waits the op's latency once, and reports completion to the controller.
// 1 ns of simulated time is one clock cycle (reports convert with hw.clock_mhz).
#include <systemc>

#include <cstdint>
#include <exception>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hw/accelerator.hpp"

namespace cimba::hw {

/// Everything one run needs and produces, shared by the controller and the units.
struct RunContext {
  const workloads::OpProgram* program = nullptr;
  OpExecutor* executor = nullptr;
  const HwParams* hw = nullptr;
  Ledger ledger;
  std::vector<OpTiming> timing;  // per op
  std::int64_t t0_cycles = 0;    // simulated time at the start of the run
  std::exception_ptr error;
  // CIM residency: stationary (every tile of the layer has its own macro) or streamed.
  bool cim_stationary = false;
  bool weights_preloaded = false;  // the program has no weight buffer: weights already in macros
  std::set<std::pair<int, std::int64_t>> programmed_tiles;  // (linear, tile index)
  std::int64_t adc_saturated = 0;
  /// Sequences (images) in flight through every op (OpProgram::batch): a unit's data work is
  /// rows(op) = op.tokens() x batch rows; weight loads and macro programs are booked once.
  std::int64_t batch() const { return program->batch; }
  std::int64_t rows(const workloads::Op& op) const { return op.tokens() * program->batch; }
  /// Bits of one stored element of `buffer` (its BufferUse::element_bits; 32 for buffers the
  /// program does not list: the SSM state and parameters).
  std::int64_t bits(const std::string& buffer) const;
  /// Books reads/writes of a buffer ("sram.<name>") and returns its access cycles.
  std::int64_t buffer_access(const std::string& buffer, std::int64_t read_bits,
                             std::int64_t write_bits);
  /// Books `elements` stored elements of `buffer` read (write) at bits(buffer) each; returns the
  /// access cycles (buffer_access).
  std::int64_t read(const std::string& buffer, std::int64_t elements) {
    return buffer_access(buffer, elements * bits(buffer), 0);
  }
  std::int64_t write(const std::string& buffer, std::int64_t elements) {
    return buffer_access(buffer, 0, elements * bits(buffer));
  }
};

class Accelerator;

class HwUnit : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(HwUnit);
  HwUnit(const sc_core::sc_module_name& name, Accelerator& top, UnitId id);
  sc_core::sc_fifo<int> commands;
  sc_core::sc_signal<bool> busy_signal;
  sc_core::sc_signal<int> op_signal;
  sc_core::sc_signal<int, sc_core::SC_MANY_WRITERS> queue_signal;
  UnitId id() const { return id_; }

 protected:
  /// Books the op's actions and returns its latency in cycles.
  virtual std::int64_t perform(const workloads::Op& op, const OpWork& work, RunContext& ctx) = 0;

 private:
  void thread();
  Accelerator& top_;
  UnitId id_;
};

/// DRAM controller: one transfer at a time, latency + bytes / bandwidth.
class DramController : public HwUnit {
 public:
  DramController(const sc_core::sc_module_name& n, Accelerator& top)
      : HwUnit(n, top, UnitId::Dram) {}

 protected:
  std::int64_t perform(const workloads::Op& op, const OpWork& work, RunContext& ctx) override;
};

/// The CIM macros (bit-serial inputs, column ADCs shared by cols_per_adc columns, shift-add).
class CimArray : public HwUnit {
 public:
  CimArray(const sc_core::sc_module_name& n, Accelerator& top) : HwUnit(n, top, UnitId::Cim) {}

 protected:
  std::int64_t perform(const workloads::Op& op, const OpWork& work, RunContext& ctx) override;
};

/// Depthwise causal conv1d + SiLU + the SSM-input quantizer.
class ConvUnit : public HwUnit {
 public:
  ConvUnit(const sc_core::sc_module_name& n, Accelerator& top) : HwUnit(n, top, UnitId::Conv) {}

 protected:
  std::int64_t perform(const workloads::Op& op, const OpWork& work, RunContext& ctx) override;
};

/// Scale-index lookup over the group tables (sequential | parallel | lut).
class ScaleIndexUnit : public HwUnit {
 public:
  ScaleIndexUnit(const sc_core::sc_module_name& n, Accelerator& top)
      : HwUnit(n, top, UnitId::Index) {}

 protected:
  std::int64_t perform(const workloads::Op& op, const OpWork& work, RunContext& ctx) override;
};

/// Dual-scale dequant MUX: unpack (value_bits + 1)-bit codes, flag-select the scale register,
/// multiply.
class DequantMux : public HwUnit {
 public:
  DequantMux(const sc_core::sc_module_name& n, Accelerator& top) : HwUnit(n, top, UnitId::Mux) {}

 protected:
  std::int64_t perform(const workloads::Op& op, const OpWork& work, RunContext& ctx) override;
};

/// FP32 selective-scan core with `lanes` pipelined (d, n) lanes.
class SsmCore : public HwUnit {
 public:
  SsmCore(const sc_core::sc_module_name& n, Accelerator& top) : HwUnit(n, top, UnitId::Ssm) {}

 protected:
  std::int64_t perform(const workloads::Op& op, const OpWork& work, RunContext& ctx) override;
};

/// Digital FP32 MAC array (hw.mac): attention products and FP32 linears.
class MacArray : public HwUnit {
 public:
  MacArray(const sc_core::sc_module_name& n, Accelerator& top) : HwUnit(n, top, UnitId::Mac) {}

 protected:
  std::int64_t perform(const workloads::Op& op, const OpWork& work, RunContext& ctx) override;
};

/// FP32 vector unit: RMSNorm, gate, residual (JiT: modulation, RoPE, softmax, gated residual,
/// SwiGLU).
class VectorUnit : public HwUnit {
 public:
  VectorUnit(const sc_core::sc_module_name& n, Accelerator& top) : HwUnit(n, top, UnitId::Vec) {}

 protected:
  std::int64_t perform(const workloads::Op& op, const OpWork& work, RunContext& ctx) override;
};

/// The top: the units, the controller that plays the op program, the completion channel.
class Accelerator : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Accelerator);
  /// The process-wide instance, built on first use (with a VCD trace when `trace_path` is set).
  static Accelerator& instance(const std::string& trace_path);
  /// Plays ctx.program; returns when every op has completed (or an op failed).
  void run(RunContext& ctx);

  RunContext* context() { return ctx_; }
  sc_core::sc_fifo<int> done;  // completed op ids
  /// Called by a unit when it takes a command from its queue.
  void on_unit_started(UnitId id);
  bool tracing() const { return trace_ != nullptr; }
  std::int64_t now_cycles() const;

 private:
  Accelerator(const sc_core::sc_module_name& name, const std::string& trace_path);
  void controller();
  void play();

  DramController dram_;
  CimArray cim_;
  ConvUnit conv_;
  ScaleIndexUnit index_;
  DequantMux mux_;
  SsmCore ssm_;
  VectorUnit vec_;
  MacArray mac_;
  HwUnit* units_[kUnitCount];
  int queued_[kUnitCount] = {};
  sc_core::sc_event start_event_, unit_started_event_;
  sc_core::sc_signal<int> completed_signal_;
  sc_core::sc_trace_file* trace_ = nullptr;
  RunContext* ctx_ = nullptr;
  bool run_pending_ = false;
};

}  // namespace cimba::hw
