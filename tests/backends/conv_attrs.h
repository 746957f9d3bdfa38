#pragma once
// A square convolution's attributes in one call, for the int8 tests' tables of cases.
#include <cstdint>

#include "ir/attrs.h"

namespace fb::test {

inline Conv2dAttrs conv_attrs(int64_t cout, int64_t k, int64_t stride, int64_t pad, int64_t groups) {
  Conv2dAttrs a;
  a.out_channels = cout;
  a.kernel_h = a.kernel_w = k;
  a.stride_h = a.stride_w = stride;
  a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = pad;
  a.groups = groups;
  return a;
}

}  // namespace fb::test
