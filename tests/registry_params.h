#pragma once
// The registries' names as test parameters: a sweep over every zoo model or pattern is one test per name
// (INSTANTIATE_TEST_SUITE_P(..., ValuesIn(zoo_names()), param_name)), so `ctest -j` spreads the sweep over
// the cores and a failure names its model.
#include <cctype>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "models/model_ref.h"

namespace fb::test {

inline std::vector<std::string> zoo_names() {
  std::vector<std::string> names;
  for (const ModelEntry& e : zoo_models()) names.push_back(e.name);
  return names;
}

inline std::vector<std::string> pattern_names() {
  std::vector<std::string> names;
  for (const ModelEntry& e : patterns()) names.push_back(e.name);
  return names;
}

// A gtest parameter name: the registry name with anything but letters and digits turned into '_'.
inline std::string param_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

}  // namespace fb::test
