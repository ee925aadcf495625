#pragma once
// The contract between the hardware model and a model family's numerics: the units call
// OpExecutor::execute for the op they run and book the counts it returns (OpWork); before a run
// the hardware asks the executor what the program needs (ProgramNeeds). A family implements one
// OpExecutor (workloads' Mamba1 LayerExecutor, JitBlockExecutor); the units know no family.
#include <cstdint>
#include <map>
#include <string>

#include "hw/params.hpp"
#include "models/numerics/bitserial.hpp"
#include "models/numerics/dual_scale.hpp"
#include "models/numerics/selective_scan.hpp"
#include "workloads/program/op_program.hpp"

namespace cimba::hw {

/// What the hardware needs to run a program that only the executor's family knows.
struct ProgramNeeds {
  /// On-chip buffers beyond OpProgram::buffers (the scan state, SSM parameters, scale tables):
  /// name -> bytes.
  std::map<std::string, std::int64_t> buffers;
  /// Why a buffer cannot be smaller than it needs (the hw.sram.<name>.bytes error); a buffer not
  /// listed gets `default_reason`, where "{buffer}" stands for its name.
  std::map<std::string, std::string> reasons;
  std::string default_reason;
  std::int64_t weight_tiles = 0;  // macro tiles of the program's CIM matrices
  std::string weights_owner;      // "layer", "block": the error says "the <owner>'s weights"
};

/// What one op computed (the counts the ledger needs that only the numerics know).
struct OpWork {
  numerics::BitSerialStats cim;       // CimMatmul (the last op of an accumulation group)
  numerics::ScanOpCounts scan;        // SsmScan
  std::int64_t lookups = 0;           // ScaleLookup: lookups made
  std::int64_t walk_comparisons = 0;  // ScaleLookup: comparisons of sequential walks
  numerics::DualScaleStats dual;      // Conv1d (dual-scale encode)
  std::int64_t quant_saturated = 0;   // Conv1d: clamped elements (int8 / group)
  // The sizes a unit's timing and ledger need that the op's shapes do not carry, so that the
  // units know the op-program contract and no model family:
  int conv_taps = 0;                 // Conv1d: kernel taps K
  int index_head_groups = 0;         // ScaleLookup: HG of the group tables
  int index_dim_groups = 0;          // ScaleLookup: DG of the group tables
  std::int64_t scan_state_size = 0;  // SsmScan: d_state N per channel
};

/// The numerics of an op program, op by op: what the hardware units call. LayerExecutor (a Mamba1
/// layer) and JitBlockExecutor (workloads/jit/block_executor.hpp, a JiT block) implement it.
class OpExecutor {
 public:
  virtual ~OpExecutor() = default;
  /// Runs the numerics of one op (its inputs must have been produced by earlier ops).
  virtual OpWork execute(const workloads::Op& op) = 0;
  /// The bit-serial layer a CimMatmul op (or a weight load) uses: its shape, row tiles, slices.
  virtual const numerics::BitSerialLinear& cim_linear(const workloads::Op& op) const = 0;
  /// Whether the CIM op's output rescale adds a bias (or a folded shift constant).
  virtual bool cim_has_bias(const workloads::Op& op) const = 0;
  /// Tokens of the program (OpProgram::length).
  virtual std::int64_t length() const = 0;
  /// Checks that `program` is one this executor can run with `hw` (its family, the parameters the
  /// executor was built for: InvalidArgument naming the mismatch) and says what the hardware
  /// needs to run it beyond what the program declares.
  virtual ProgramNeeds prepare(const workloads::OpProgram& program, const HwParams& hw) const = 0;
  /// Every op of `program` in order (the functional path).
  void run_all(const workloads::OpProgram& program);
};

}  // namespace cimba::hw
