#pragma once
// Technology-node scaling for the cimba cost models (namespace cimba::cost).
//
// Every per-node constant of the cost library is anchored at the node where its source measured
// it (Horowitz: 45 nm, bitcells: their own node, NeuroSim: its per-node fits) and moved to other
// nodes with the scaling rule of
//
//   A. Stillmaker and B. Baas, "Scaling equations for the accurate prediction of CMOS device
//   performance from 180 nm to 7 nm", Integration, the VLSI Journal, vol. 58, pp. 74-81, 2017,
//   doi:10.1016/j.vlsi.2017.02.002.
//
// Energy: E(node, V) is proportional to the paper's per-node polynomial a*V^2 + b*V + c (its
// "energy factor"); area: the paper's node-to-node area ratio table. See tech.cpp for the tables
// and docs/cost-models.md for the rule. Plain C++17, no I/O; bad input throws
// cimba::InvalidArgument.
#include <vector>

namespace cimba::cost {

/// Supply voltage at which the 45 nm Horowitz figures were given (ISSCC 2014, "45 nm, 0.9 V").
inline constexpr double kReferenceVdd_V = 0.9;
/// Node of the Horowitz reference figures.
inline constexpr int kReferenceNode_nm = 45;

/// Technology nodes every cost model accepts (nm). 22 and 28 nm are interpolated between the
/// paper's 32 and 20 nm rows (linear in node), the others are rows of the paper.
const std::vector<int>& supported_nodes_nm();

/// Throws cimba::InvalidArgument unless `node_nm` is one of supported_nodes_nm().
void check_node(int node_nm);

/// Throws cimba::InvalidArgument unless 0.5 V <= vdd_V <= 1.3 V (the range in which the
/// Stillmaker-Baas polynomials are used here; outside it they are extrapolations).
void check_vdd(double vdd_V);

/// Stillmaker-Baas energy factor a*V^2 + b*V + c of `node_nm` at `vdd_V` (dimensionless; only
/// ratios are meaningful).
double energy_factor(int node_nm, double vdd_V);

/// Multiplier taking an energy measured at (from_node, from_vdd) to (to_node, to_vdd).
double energy_scale(int from_node_nm, double from_vdd_V, int to_node_nm, double to_vdd_V);

/// Multiplier taking a (logic) area measured at from_node to to_node (Stillmaker-Baas table).
double area_scale(int from_node_nm, int to_node_nm);

/// Multiplier taking a gate delay measured at (from_node, from_vdd) to (to_node, to_vdd),
/// from the paper's cubic delay polynomials. Accepts only 0.7 V <= vdd <= 1.1 V.
double delay_scale(int from_node_nm, double from_vdd_V, int to_node_nm, double to_vdd_V);

/// Where a cost is evaluated: node, supply and the digital clock used to turn cycles into ns.
struct TechPoint {
  int node_nm = kReferenceNode_nm;
  double vdd_V = kReferenceVdd_V;
  double clock_GHz = 1.0;
};

/// Validates node, vdd and clock (> 0, <= 10 GHz); throws cimba::InvalidArgument.
void check_tech(const TechPoint& tech);

}  // namespace cimba::cost
