#pragma once
// NAS cell genotypes held as data, in the DARTS notation: a cell has two inputs (0 = the output of the cell
// before the previous one, 1 = the previous cell's output) and a list of nodes; node i (numbered from 2) sums
// two ops, each applied to an earlier input or node. The cell's output concatenates the `concat` states.
#include <string>
#include <vector>

namespace fb::nas {

struct OpRef {
  std::string op;  // sep_conv_3x3/5x5/7x7, dil_conv_3x3, avg_pool_3x3, max_pool_3x3, skip_connect, conv_7x1_1x7
  int input = 0;
};

struct CellGenotype {
  std::vector<std::pair<OpRef, OpRef>> nodes;
  std::vector<int> concat;
};

struct Genotype {
  std::string name;
  std::string source;  // the paper the cells come from
  CellGenotype normal, reduce;
};

const Genotype& darts_v2();
const Genotype& nasnet_a();
const Genotype& amoebanet_a();
const Genotype& pnasnet5();

}  // namespace fb::nas
