#pragma once
// The kernel sampler's draw: single-layer networks (models/kernels) at the sizes real CNNs use, so a predictor
// for a new machine costs minutes of measurement, not a study. The draw follows how networks are built, not
// a uniform grid: channels shrink as resolution grows (about 64 channels at 56 px, a factor of 4 either way),
// most convolutions are 1x1 or 3x3, a quarter are depthwise, activations are mostly ReLU-like. It knows
// nothing of any particular network, so the zoo stays a held-out test.
#include <cstdint>
#include <string>
#include <vector>

namespace fb::predict {

struct SampledKernel {
  std::string model;  // "kernel:conv"
  int64_t resolution = 0;
  std::vector<std::pair<std::string, std::string>> params;  // besides the resolution
  std::string ref() const;  // the model reference, as a study expands it
};

// `count` kernels from `seed`: the same seed gives the same list everywhere.
std::vector<SampledKernel> draw_kernels(int count, uint64_t seed);

struct SampleSpecOptions {
  std::vector<std::string> backends{"torch", "onednn"};
  int threads = 2;
  std::string precision = "fp32";
};

// A study spec (TOML) measuring `kernels` with per-layer profiles, one process each: the profiles are the data.
std::string sample_spec(const std::vector<SampledKernel>& kernels, const SampleSpecOptions& opt);

}  // namespace fb::predict
