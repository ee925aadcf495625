#include "hw/accelerator.hpp"

#include <algorithm>
#include <cstdlib>

#include "hw/timing.hpp"
#include "hw/units.hpp"
#include "models/common/error.hpp"

namespace cimba::hw {

using workloads::ElementwiseFn;
using workloads::Op;
using workloads::OpKind;
using workloads::SsmInputScheme;

const char* unit_name(UnitId unit) {
  switch (unit) {
    case UnitId::Dram:
      return "dram";
    case UnitId::Cim:
      return "cim";
    case UnitId::Conv:
      return "conv";
    case UnitId::Index:
      return "index";
    case UnitId::Mux:
      return "mux";
    case UnitId::Ssm:
      return "ssm";
    case UnitId::Vec:
      return "vec";
    case UnitId::Mac:
      return "mac";
    case UnitId::kCount:
      break;
  }
  return "?";
}

UnitId unit_for(OpKind kind) {
  switch (kind) {
    case OpKind::DramLoad:
    case OpKind::DramStore:
      return UnitId::Dram;
    case OpKind::CimMatmul:
      return UnitId::Cim;
    case OpKind::Conv1d:
      return UnitId::Conv;
    case OpKind::ScaleLookup:
      return UnitId::Index;
    case OpKind::DualScaleDequant:
      return UnitId::Mux;
    case OpKind::SsmScan:
      return UnitId::Ssm;
    case OpKind::Elementwise:
      return UnitId::Vec;
    case OpKind::MacMatmul:
      return UnitId::Mac;
  }
  return UnitId::Vec;
}

std::int64_t cim_tiles(const HwParams& hw, std::int64_t M, std::int64_t K) {
  return cdiv(K, hw.cim.rows) * cdiv(M, hw.cim.outputs_per_macro());
}

// ---------------------------------------------------------------------------------------------
// RunContext

std::int64_t RunContext::buffer_access(const std::string& buffer, std::int64_t read_bits,
                                       std::int64_t write_bits) {
  const std::string comp = "sram." + buffer;
  ledger.book(comp, Action::SramReadBit, read_bits);
  ledger.book(comp, Action::SramWriteBit, write_bits);
  return sram_cycles(read_bits + write_bits, hw->sram_for(buffer));
}

std::int64_t RunContext::bits(const std::string& buffer) const {
  const workloads::BufferUse* b = program ? program->buffer(buffer) : nullptr;
  return b ? b->element_bits : 32;
}

// ---------------------------------------------------------------------------------------------
// Top and controller

Accelerator::Accelerator(const sc_core::sc_module_name& name, const std::string& trace_path)
    : sc_core::sc_module(name),
      done("done", 1 << 16),
      dram_("dram", *this),
      cim_("cim", *this),
      conv_("conv", *this),
      index_("index", *this),
      mux_("mux", *this),
      ssm_("ssm", *this),
      vec_("vec", *this),
      mac_("mac", *this),
      units_{&dram_, &cim_, &conv_, &index_, &mux_, &ssm_, &vec_, &mac_},
      completed_signal_("completed") {
  SC_THREAD(controller);
  // Library code never prints: SystemC's infos and warnings are not shown (errors still throw).
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DO_NOTHING);
  if (!trace_path.empty()) {
    std::string base = trace_path;
    if (base.size() > 4 && base.substr(base.size() - 4) == ".vcd")
      base = base.substr(0, base.size() - 4);
    trace_ = sc_core::sc_create_vcd_trace_file(base.c_str());
    if (!trace_) throw IoError("hw.trace: cannot create " + trace_path);
    trace_->set_time_unit(1, sc_core::SC_NS);
    for (HwUnit* u : units_) {
      const std::string n = unit_name(u->id());
      sc_core::sc_trace(trace_, u->busy_signal, n + ".busy");
      sc_core::sc_trace(trace_, u->op_signal, n + ".op");
      sc_core::sc_trace(trace_, u->queue_signal, n + ".queue");
    }
    sc_core::sc_trace(trace_, completed_signal_, "controller.completed");
  }
}

Accelerator& Accelerator::instance(const std::string& trace_path) {
  static Accelerator* top = nullptr;
  if (!top) {
    // SystemC prints a banner on elaboration unless told not to; library code never prints.
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    top = new Accelerator("cimba_accelerator", trace_path);
    return *top;
  }
  if (!trace_path.empty())
    throw ConfigError("hw.trace: only the first hardware run of a process can write a VCD (" +
                      trace_path + ")");
  return *top;
}

std::int64_t Accelerator::now_cycles() const {
  return static_cast<std::int64_t>(sc_core::sc_time_stamp().to_seconds() * 1e9 + 0.5);
}

void Accelerator::on_unit_started(UnitId id) {
  const int i = static_cast<int>(id);
  --queued_[i];
  if (trace_) units_[i]->queue_signal.write(queued_[i]);
  unit_started_event_.notify(sc_core::SC_ZERO_TIME);
}

void Accelerator::controller() {
  for (;;) {
    // The first run is already pending when the thread starts (at initialization); later runs
    // are announced by start_event_.
    while (!run_pending_) wait(start_event_);
    run_pending_ = false;
    play();
  }
}

void Accelerator::play() {
  RunContext& ctx = *ctx_;
  const auto& ops = ctx.program->ops;
  const int n = static_cast<int>(ops.size());
  std::vector<int> pending(static_cast<std::size_t>(n));
  std::vector<std::vector<int>> dependents(static_cast<std::size_t>(n));
  std::set<int> ready;
  for (int i = 0; i < n; ++i) {
    pending[i] = static_cast<int>(ops[i].deps.size());
    for (int d : ops[i].deps) dependents[d].push_back(i);
    if (pending[i] == 0) ready.insert(i);
  }
  const int depth = ctx.hw->queue_depth;
  int outstanding = 0, completed = 0;
  while (completed < n) {
    if (!ctx.error) {
      for (auto it = ready.begin(); it != ready.end();) {
        const int u = static_cast<int>(unit_for(ops[*it].kind));
        if (queued_[u] < depth) {
          units_[u]->commands.nb_write(*it);
          ++queued_[u];
          if (trace_) units_[u]->queue_signal.write(queued_[u]);
          ctx.timing[*it].issue_cycle = now_cycles() - ctx.t0_cycles;
          ++outstanding;
          it = ready.erase(it);
        } else {
          ++it;
        }
      }
    }
    if (outstanding == 0) break;  // an op failed (nothing more is issued)
    wait(done.data_written_event() | unit_started_event_);
    int id;
    while (done.nb_read(id)) {
      --outstanding;
      ++completed;
      if (trace_) completed_signal_.write(completed);
      for (int d : dependents[id])
        if (--pending[d] == 0) ready.insert(d);
    }
  }
}

void Accelerator::run(RunContext& ctx) {
  ctx_ = &ctx;
  for (int& q : queued_) q = 0;
  ctx.t0_cycles = sc_core::sc_get_status() == sc_core::SC_ELABORATION ? 0 : now_cycles();
  run_pending_ = true;
  start_event_.notify(sc_core::SC_ZERO_TIME);
  sc_core::sc_start();
  ctx_ = nullptr;
  if (trace_) sc_core::sc_close_vcd_trace_file(trace_), trace_ = nullptr;
}

// ---------------------------------------------------------------------------------------------
// Entry point

namespace {

struct Prepared {
  std::map<std::string, std::int64_t> required;
};

// Walks back from the last op: through the dependency that finished last when the op started
// right at its end, else through the op that held its unit until it started.
std::vector<int> critical_path(const workloads::OpProgram& program,
                               const std::vector<OpTiming>& t) {
  std::vector<int> path;
  if (t.empty()) return path;
  int cur = 0;
  for (int i = 0; i < static_cast<int>(t.size()); ++i)
    if (t[i].end_cycle > t[cur].end_cycle) cur = i;
  for (;;) {
    path.push_back(cur);
    const OpTiming& o = t[cur];
    int best = -1;
    std::int64_t best_end = -1;
    for (int d : program.ops[cur].deps)
      if (t[d].end_cycle > best_end) best_end = t[d].end_cycle, best = d;
    int unit_prev = -1;
    std::int64_t unit_end = -1;
    for (int i = 0; i < static_cast<int>(t.size()); ++i)
      if (i != cur && t[i].unit == o.unit && t[i].end_cycle <= o.start_cycle &&
          t[i].end_cycle > unit_end && t[i].start_cycle < o.start_cycle)
        unit_end = t[i].end_cycle, unit_prev = i;
    if (best >= 0 && (best_end >= unit_end || unit_prev < 0))
      cur = best;
    else if (unit_prev >= 0)
      cur = unit_prev;
    else
      break;
  }
  std::reverse(path.begin(), path.end());
  return path;
}

}  // namespace

bool hardware_has_run() { return sc_core::sc_get_status() != sc_core::SC_ELABORATION; }

namespace {

HwReport run_prepared(const workloads::OpProgram& program, RunContext& ctx, const Prepared& prep,
                      const HwParams& hw, const EnergyTable& energy, std::int64_t weight_tiles) {
  ctx.timing.resize(program.ops.size());
  for (std::size_t i = 0; i < program.ops.size(); ++i) {
    ctx.timing[i].id = static_cast<int>(i);
    ctx.timing[i].name = program.ops[i].name;
    ctx.timing[i].unit = unit_for(program.ops[i].kind);
  }
  Accelerator& top = Accelerator::instance(hw.trace);
  top.run(ctx);
  if (ctx.error) std::rethrow_exception(ctx.error);

  HwReport r;
  r.layer = program.layer_name;
  r.clock_mhz = hw.clock_mhz;
  r.ops = ctx.timing;
  for (const auto& t : r.ops) r.total_cycles = std::max(r.total_cycles, t.end_cycle);
  r.latency_ns = hw.cycles_to_ns(r.total_cycles);
  r.ledger = ctx.ledger;
  r.energy = price(r.ledger, energy);
  r.critical_path = critical_path(program, r.ops);
  r.cim_weights_stationary = ctx.cim_stationary;
  r.cim_weight_tiles = weight_tiles;
  r.adc_saturated = ctx.adc_saturated;
  r.units.resize(kUnitCount);
  for (int u = 0; u < kUnitCount; ++u) {
    UnitReport& ur = r.units[u];
    ur.name = unit_name(static_cast<UnitId>(u));
    bool any = false;
    for (const auto& t : r.ops) {
      if (static_cast<int>(t.unit) != u) continue;
      ++ur.ops;
      ur.busy_cycles += t.latency_cycles();
      ur.first_start_cycle = any ? std::min(ur.first_start_cycle, t.start_cycle) : t.start_cycle;
      ur.last_end_cycle = std::max(ur.last_end_cycle, t.end_cycle);
      any = true;
    }
    ur.stall_cycles = any ? ur.last_end_cycle - ur.first_start_cycle - ur.busy_cycles : 0;
    ur.utilization = r.total_cycles ? double(ur.busy_cycles) / double(r.total_cycles) : 0.0;
  }
  for (int id : r.critical_path)
    r.units[static_cast<std::size_t>(r.ops[id].unit)].critical_path_cycles +=
        r.ops[id].latency_cycles();
  std::int64_t best = -1;
  for (const auto& u : r.units)
    if (u.critical_path_cycles > best) best = u.critical_path_cycles, r.bounding_unit = u.name;
  for (const auto& ce : r.energy.components) {
    for (auto& u : r.units)
      if (u.name == ce.component) u.energy_pJ = ce.energy_pJ;
  }
  for (const auto& [name, bytes] : prep.required) {
    BufferReport b;
    b.name = name;
    b.key = hw.sram_key(name);
    b.required_bytes = bytes;
    b.configured_bytes = hw.sram_for(name).bytes;
    b.bits_read = r.ledger.count("sram." + name, Action::SramReadBit);
    b.bits_written = r.ledger.count("sram." + name, Action::SramWriteBit);
    for (const auto& ce : r.energy.components)
      if (ce.component == "sram." + name) b.energy_pJ = ce.energy_pJ;
    r.buffers.push_back(b);
  }
  return r;
}

Prepared prepare(const workloads::OpProgram& program, const OpExecutor& ex, const HwParams& hw,
                 RunContext& ctx, std::int64_t& tiles) {
  hw.validate();
  if (hw.cim.macros < 1)
    throw ConfigError(
        "hw.cim.macros: 0 (sized to the model) must be resolved by hw::plan_cim_weights before "
        "a program runs");
  program.validate();
  const ProgramNeeds needs = ex.prepare(program, hw);
  if (program.length != ex.length())
    throw InvalidArgument("run_on_hardware: the program has " + std::to_string(program.length) +
                          " tokens, the executor " + std::to_string(ex.length()));
  Prepared p;
  for (const auto& b : program.buffers) p.required[b.name] = b.bytes;
  for (const auto& [name, bytes] : needs.buffers) p.required[name] = bytes;
  for (const auto& [name, bytes] : p.required) {
    const SramParams& sp = hw.sram_for(name);
    if (sp.bytes > 0 && sp.bytes < bytes) {
      const auto it = needs.reasons.find(name);
      std::string why = it != needs.reasons.end() ? it->second : needs.default_reason;
      const std::size_t at = why.find("{buffer}");
      if (at != std::string::npos) why.replace(at, 8, name);
      throw ConfigError(hw.sram_key(name) + ".bytes: needs " + std::to_string(bytes) +
                        " bytes, got " + std::to_string(sp.bytes) + " (" + why + ")");
    }
  }
  tiles = needs.weight_tiles;
  ctx.cim_stationary = tiles <= hw.cim.macros;
  ctx.weights_preloaded = program.buffer("weights") == nullptr;
  if (ctx.weights_preloaded && !ctx.cim_stationary)
    throw ConfigError("hw.cim.macros: the " + needs.weights_owner + "'s weights need " +
                      std::to_string(tiles) + " macro tiles to stay resident, the CIM has " +
                      std::to_string(hw.cim.macros) +
                      " (compile the op program with weights_resident = false)");
  return p;
}

}  // namespace

HwReport run_on_hardware(const workloads::OpProgram& program, OpExecutor& executor,
                         const HwParams& hw, const EnergyTable& energy) {
  RunContext ctx;
  ctx.program = &program;
  ctx.executor = &executor;
  ctx.hw = &hw;
  std::int64_t tiles = 0;
  const Prepared prep = prepare(program, executor, hw, ctx, tiles);
  return run_prepared(program, ctx, prep, hw, energy, tiles);
}

}  // namespace cimba::hw

// libsystemc.so brings a main() that calls sc_main; an executable that links it must resolve
// sc_main even though its own main() (cimba's, or gtest_main's) is the one that runs. The hw
// library drives SystemC itself (sc_start from run_on_hardware), so this sc_main is never the
// entry point; if a program without a main of its own ever reaches it, it fails with status 1.
int sc_main(int, char*[]) { return 1; }
