// The genotypes, as published: DARTS-V2 (Liu et al. 2019, genotypes.py of the paper's code), and NASNet-A,
// AmoebaNet-A and PNASNet-5 in the same notation as the DARTS authors transcribed them from the cell figures
// of Zoph et al. 2018, Real et al. 2019 and Liu et al. 2018. NASNet-A's concatenations follow the authors'
// TF-slim implementation (nasnet_utils: the cell outputs every hidden state no other node uses, and the
// normal cell's adjusted input 0), which the transcription simplified. AmoebaNet-A keeps the DARTS
// transcription: wired as the authors' TF amoeba_net code wires it, the mobile network comes out 12% above the
// published 5.1M parameters and 555M MACs, while the transcription lands within 3% of both.
#include "models/nas/genotypes.h"

namespace fb::nas {

const Genotype& darts_v2() {
  static const Genotype g{
      "DARTS_V2", "Liu et al. 2019, DARTS (arXiv:1806.09055), second-order genotype",
      {{{{"sep_conv_3x3", 0}, {"sep_conv_3x3", 1}},
        {{"sep_conv_3x3", 0}, {"sep_conv_3x3", 1}},
        {{"sep_conv_3x3", 1}, {"skip_connect", 0}},
        {{"skip_connect", 0}, {"dil_conv_3x3", 2}}},
       {2, 3, 4, 5}},
      {{{{"max_pool_3x3", 0}, {"max_pool_3x3", 1}},
        {{"skip_connect", 2}, {"max_pool_3x3", 1}},
        {{"max_pool_3x3", 0}, {"skip_connect", 2}},
        {{"skip_connect", 2}, {"max_pool_3x3", 1}}},
       {2, 3, 4, 5}}};
  return g;
}

const Genotype& nasnet_a() {
  static const Genotype g{
      "NASNet-A", "Zoph et al. 2018, Learning Transferable Architectures (arXiv:1707.07012), Fig. 4",
      {{{{"sep_conv_5x5", 1}, {"sep_conv_3x3", 0}},
        {{"sep_conv_5x5", 0}, {"sep_conv_3x3", 0}},
        {{"avg_pool_3x3", 1}, {"skip_connect", 0}},
        {{"avg_pool_3x3", 0}, {"avg_pool_3x3", 0}},
        {{"sep_conv_3x3", 1}, {"skip_connect", 1}}},
       {0, 2, 3, 4, 5, 6}},  // the reference implementation also passes the (adjusted) input 0 through
      {{{{"sep_conv_5x5", 1}, {"sep_conv_7x7", 0}},
        {{"max_pool_3x3", 1}, {"sep_conv_7x7", 0}},
        {{"avg_pool_3x3", 1}, {"sep_conv_5x5", 0}},
        {{"skip_connect", 3}, {"avg_pool_3x3", 2}},
        {{"sep_conv_3x3", 2}, {"max_pool_3x3", 1}}},
       {3, 4, 5, 6}}};  // as the reference implementation (DARTS' transcription drops node 3)
  return g;
}

const Genotype& amoebanet_a() {
  static const Genotype g{
      "AmoebaNet-A", "Real et al. 2019, Regularized Evolution (arXiv:1802.01548), Fig. 4",
      {{{{"avg_pool_3x3", 0}, {"max_pool_3x3", 1}},
        {{"sep_conv_3x3", 0}, {"sep_conv_5x5", 2}},
        {{"sep_conv_3x3", 0}, {"avg_pool_3x3", 3}},
        {{"sep_conv_3x3", 1}, {"skip_connect", 1}},
        {{"skip_connect", 0}, {"avg_pool_3x3", 1}}},
       {4, 5, 6}},
      {{{{"avg_pool_3x3", 0}, {"sep_conv_3x3", 1}},
        {{"max_pool_3x3", 0}, {"sep_conv_7x7", 2}},
        {{"sep_conv_7x7", 0}, {"avg_pool_3x3", 1}},
        {{"max_pool_3x3", 0}, {"max_pool_3x3", 1}},
        {{"conv_7x1_1x7", 0}, {"sep_conv_3x3", 5}}},
       {3, 4, 6}}};
  return g;
}

const Genotype& pnasnet5() {
  // PNASNet uses one cell for both roles; reduction applies stride 2 to the ops reading the cell inputs.
  static const CellGenotype cell{{{{"sep_conv_5x5", 0}, {"max_pool_3x3", 0}},
                                  {{"sep_conv_7x7", 1}, {"max_pool_3x3", 1}},
                                  {{"sep_conv_5x5", 1}, {"sep_conv_3x3", 1}},
                                  {{"sep_conv_3x3", 4}, {"max_pool_3x3", 1}},
                                  {{"sep_conv_3x3", 0}, {"skip_connect", 1}}},
                                 {2, 3, 4, 5, 6}};
  static const Genotype g{"PNASNet-5", "Liu et al. 2018, Progressive NAS (arXiv:1712.00559), Fig. 1", cell, cell};
  return g;
}

}  // namespace fb::nas
