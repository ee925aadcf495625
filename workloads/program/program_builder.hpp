#pragma once
// Helpers of the op-program builders of the model families.
#include <algorithm>
#include <cstdint>
#include <string>

#include "workloads/program/op_program.hpp"

namespace cimba::workloads {

/// Appends ops with consecutive ids; dependencies are sorted, deduplicated, -1 ("none") dropped.
struct ProgramBuilder {
  OpProgram program;
  int add(Op op) {
    op.id = static_cast<int>(program.ops.size());
    std::sort(op.deps.begin(), op.deps.end());
    op.deps.erase(std::unique(op.deps.begin(), op.deps.end()), op.deps.end());
    op.deps.erase(std::remove(op.deps.begin(), op.deps.end(), -1), op.deps.end());
    program.ops.push_back(std::move(op));
    return program.ops.back().id;
  }
};

inline std::string range_name(const char* base, std::int64_t b, std::int64_t e, char axis = 't') {
  return std::string(base) + "[" + axis + std::to_string(b) + ":" + std::to_string(e) + "]";
}

}  // namespace cimba::workloads
