#include "workloads/program/op_program.hpp"

#include <algorithm>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "models/common/error.hpp"

namespace cimba::workloads {

const char* op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::DramLoad:
      return "dram_load";
    case OpKind::DramStore:
      return "dram_store";
    case OpKind::CimMatmul:
      return "cim_matmul";
    case OpKind::Conv1d:
      return "conv1d";
    case OpKind::ScaleLookup:
      return "scale_lookup";
    case OpKind::DualScaleDequant:
      return "dual_scale_dequant";
    case OpKind::SsmScan:
      return "ssm_scan";
    case OpKind::Elementwise:
      return "elementwise";
    case OpKind::MacMatmul:
      return "mac_matmul";
  }
  return "?";
}

const char* elementwise_fn_name(ElementwiseFn fn) {
  switch (fn) {
    case ElementwiseFn::None:
      return "none";
    case ElementwiseFn::RmsNorm:
      return "rms_norm";
    case ElementwiseFn::Gate:
      return "gate";
    case ElementwiseFn::Residual:
      return "residual";
    case ElementwiseFn::Modulate:
      return "modulate";
    case ElementwiseFn::Rope:
      return "rope";
    case ElementwiseFn::Softmax:
      return "softmax";
    case ElementwiseFn::GatedResidual:
      return "gated_residual";
    case ElementwiseFn::SwiGlu:
      return "swiglu";
  }
  return "?";
}

const char* mac_fn_name(MacFn fn) {
  switch (fn) {
    case MacFn::None:
      return "none";
    case MacFn::Linear:
      return "linear";
    case MacFn::AttnScores:
      return "attn_scores";
    case MacFn::AttnContext:
      return "attn_context";
  }
  return "?";
}

const char* ssm_input_scheme_name(SsmInputScheme scheme) {
  switch (scheme) {
    case SsmInputScheme::Fp32:
      return "fp32";
    case SsmInputScheme::Int8:
      return "int8";
    case SsmInputScheme::Group:
      return "group";
    case SsmInputScheme::DualScale:
      return "dual_scale";
  }
  return "?";
}

SsmInputScheme parse_ssm_input_scheme(const std::string& name) {
  for (auto s : {SsmInputScheme::Fp32, SsmInputScheme::Int8, SsmInputScheme::Group,
                 SsmInputScheme::DualScale})
    if (name == ssm_input_scheme_name(s)) return s;
  throw InvalidArgument("ssm_input.scheme: unknown scheme '" + name +
                        "' (valid: fp32, int8, group, dual_scale)");
}

int ssm_input_storage_bits(SsmInputScheme scheme, int dual_value_bits) {
  switch (scheme) {
    case SsmInputScheme::Fp32:
      return 32;
    case SsmInputScheme::Int8:
    case SsmInputScheme::Group:
      return 8;
    case SsmInputScheme::DualScale:
      return dual_value_bits + 1;
  }
  return 32;
}

int code_container_bits(int a_bits) {
  if (a_bits < 1 || a_bits > 32)
    throw InvalidArgument("code_container_bits: a_bits must be 1..32, got " +
                          std::to_string(a_bits));
  return (a_bits + 7) / 8 * 8;
}

void store_cim_inputs_as_codes(OpProgram& p, const std::vector<int>& input_bits) {
  if (input_bits.size() < p.linears.size())
    throw InvalidArgument("store_cim_inputs_as_codes: " + std::to_string(input_bits.size()) +
                          " input widths for " + std::to_string(p.linears.size()) + " linears");
  std::map<std::string, int> bits;  // buffer -> container bits (0: stays as it is)
  std::set<std::string> written;
  for (const Op& op : p.ops) {
    if (!op.dst.empty()) written.insert(op.dst);
    for (const std::string& b : op.src) {
      const bool cim = op.kind == OpKind::CimMatmul;
      const int a = cim ? input_bits[static_cast<std::size_t>(op.linear)] : 0;
      auto it = bits.find(b);
      const int c = a > 0 ? code_container_bits(a) : 0;
      if (it == bits.end())
        bits[b] = c;
      else if (it->second > 0)
        it->second = c > 0 ? std::max(it->second, c) : 0;
    }
  }
  for (BufferUse& b : p.buffers) {
    auto it = bits.find(b.name);
    if (it == bits.end() || it->second == 0 || !written.count(b.name) || b.element_bits != 32)
      continue;
    b.bytes = (b.bytes / 4 * it->second + 7) / 8;
    b.element_bits = it->second;
  }
}

const BufferUse* OpProgram::buffer(const std::string& name) const {
  for (const auto& b : buffers)
    if (b.name == name) return &b;
  return nullptr;
}

const std::string& OpProgram::linear_name(int index) const {
  static const std::string unknown = "?";
  return index >= 0 && index < static_cast<int>(linears.size())
             ? linears[static_cast<std::size_t>(index)]
             : unknown;
}

void OpProgram::validate() const {
  if (batch < 1)
    throw InvalidArgument("op program '" + layer_name + "': batch " + std::to_string(batch) +
                          " is not positive");
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    const std::string where =
        "op program '" + layer_name + "', op " + std::to_string(i) + " (" + op.name + ")";
    if (op.id != static_cast<int>(i))
      throw InvalidArgument(where + ": id " + std::to_string(op.id) + " is not its position");
    for (int d : op.deps)
      if (d < 0 || d >= op.id)
        throw InvalidArgument(where + ": dependency " + std::to_string(d) +
                              " is not an earlier op");
    if (op.token_end < op.token_begin || op.token_begin < 0 || op.token_end > length)
      throw InvalidArgument(where + ": token range outside [0, " + std::to_string(length) + ")");
    if (op.channel_end < op.channel_begin)
      throw InvalidArgument(where + ": empty-reversed channel range");
    for (const auto& s : op.src)
      if (!buffer(s)) throw InvalidArgument(where + ": reads undeclared buffer '" + s + "'");
    if (!op.dst.empty() && !buffer(op.dst))
      throw InvalidArgument(where + ": writes undeclared buffer '" + op.dst + "'");
    const bool uses_linear = op.kind == OpKind::CimMatmul ||
                             (op.kind == OpKind::DramLoad && op.is_weight) ||
                             (op.kind == OpKind::MacMatmul && op.mac == MacFn::Linear);
    if (uses_linear && (op.linear < 0 || op.linear >= static_cast<int>(linears.size())))
      throw InvalidArgument(where + ": linear " + std::to_string(op.linear) +
                            " is not in the program's table of " +
                            std::to_string(linears.size()) + " linears");
  }
}

void batch_program(OpProgram& program, std::int64_t batch) {
  if (batch < 1)
    throw InvalidArgument("batch_program: batch " + std::to_string(batch) + " is not positive");
  if (program.batch != 1)
    throw InvalidArgument("batch_program: program '" + program.layer_name + "' is already batched");
  program.batch = batch;
  for (BufferUse& b : program.buffers)
    if (b.per_sequence) b.bytes *= batch;
  for (Op& op : program.ops)
    if ((op.kind == OpKind::DramLoad && !op.is_weight) || op.kind == OpKind::DramStore)
      op.bytes *= batch;
}

std::string format_op_program(const OpProgram& p) {
  std::ostringstream out;
  out << "op program '" << p.layer_name << "' ("
      << p.family << ", " << p.length
      << " tokens, " << p.ops.size() << " ops";
  if (p.batch > 1) out << ", batch " << p.batch;
  out << ")\n";
  for (const Op& op : p.ops) {
    out << std::setw(4) << op.id << " " << std::left << std::setw(13) << op_kind_name(op.kind)
        << std::setw(22) << op.name << std::right;
    if (op.kind == OpKind::Elementwise) out << " fn=" << elementwise_fn_name(op.fn);
    if (op.kind == OpKind::MacMatmul) out << " fn=" << mac_fn_name(op.mac);
    if (op.kind == OpKind::CimMatmul || (op.kind == OpKind::DramLoad && op.is_weight) ||
        (op.kind == OpKind::MacMatmul && op.mac == MacFn::Linear))
      out << " linear=" << p.linear_name(op.linear);
    if (!op.src.empty()) {
      out << " src=";
      for (std::size_t i = 0; i < op.src.size(); ++i) out << (i ? "," : "") << op.src[i];
    }
    if (!op.dst.empty()) out << " dst=" << op.dst;
    if (op.in_shape.elements() > 0) out << " in=" << op.in_shape.rows << "x" << op.in_shape.cols;
    if (op.out_shape.elements() > 0)
      out << " out=" << op.out_shape.rows << "x" << op.out_shape.cols;
    if (op.channel_end > op.channel_begin)
      out << " ch=" << op.channel_begin << ":" << op.channel_end;
    if (op.bytes > 0) out << " bytes=" << op.bytes;
    if (op.kind == OpKind::CimMatmul && !op.accumulate_last) out << " partial";
    if (op.input_shift) out << " shifted";
    if (!op.deps.empty()) {
      out << " deps=";
      for (std::size_t i = 0; i < op.deps.size(); ++i) out << (i ? "," : "") << op.deps[i];
    }
    out << "\n";
  }
  out << "buffers:";
  for (const auto& bu : p.buffers) out << " " << bu.name << "=" << bu.bytes << "B";
  out << "\n";
  return out.str();
}

}  // namespace cimba::workloads
