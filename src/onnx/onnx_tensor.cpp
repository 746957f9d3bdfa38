#include "onnx/onnx_tensor.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "core/error.h"

namespace fb::onnx_detail {
namespace fs = std::filesystem;

std::vector<int64_t> ConstTensor::ints() const {
  if (is_int) return i;
  std::vector<int64_t> out;
  out.reserve(f.size());
  for (float v : f) {
    if (!(std::fabs(v) < 9.0e18f) || v != std::floor(v)) fail("expected whole numbers, found {}", v);
    out.push_back(static_cast<int64_t>(v));
  }
  return out;
}

void Budget::take(int64_t elements, const std::string& what) {
  if (elements > opt.max_total_elements - used)
    fail("{}: constants would exceed the limit of {} elements in total (max_elements_total)", what,
         opt.max_total_elements);
  used += elements;
}

int64_t checked_numel(const Shape& dims, int64_t limit, const std::string& what) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) fail("{}: negative dimension in shape {}", what, shape_str(dims));
    if (d == 0) n = 0;
  }
  if (n == 0) return 0;
  for (int64_t d : dims) {
    if (n > limit / d)
      fail("{}: shape {} has more than the limit of {} elements (max_elements)", what, shape_str(dims), limit);
    n *= d;
  }
  return n;
}

ConstTensor make_int_tensor(std::vector<int64_t> v, Shape shape) {
  ConstTensor t;
  t.is_int = true;
  t.i = std::move(v);
  t.shape = std::move(shape);
  return t;
}

ConstTensor make_float_tensor(std::vector<float> v, Shape shape) {
  ConstTensor t;
  t.f = std::move(v);
  t.shape = std::move(shape);
  return t;
}

namespace {

int64_t elem_size(int32_t type) {
  switch (type) {
    case onnx::TensorProto::FLOAT: case onnx::TensorProto::INT32: return 4;
    case onnx::TensorProto::DOUBLE: case onnx::TensorProto::INT64: return 8;
    default: return 0;
  }
}

// Reads the bytes of an external-data tensor, refusing any location that leaves the model's folder.
std::string read_external(const onnx::TensorProto& t, int64_t want_bytes, const OnnxImportOptions& opt,
                          const std::string& what) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : t.external_data()) {
    try {
      if (kv.key() == "location") location = kv.value();
      else if (kv.key() == "offset") offset = std::stoll(kv.value());
      else if (kv.key() == "length") length = std::stoll(kv.value());
    } catch (const std::exception&) {
      fail("{}: external data '{}' = '{}' is not a number", what, kv.key(), kv.value());
    }
  }
  if (opt.base_dir.empty())
    fail("{}: the tensor's data is in an external file, which is only read when importing from a file", what);
  if (location.empty()) fail("{}: external data without a location", what);
  const fs::path rel(location);
  if (rel.is_absolute() || location.find('\0') != std::string::npos)
    fail("{}: external data location '{}' is absolute; it must be a path inside the model's folder", what, location);
  for (const auto& part : rel)
    if (part == "..") fail("{}: external data location '{}' escapes the model's folder", what, location);
  std::error_code ec;
  const fs::path base = fs::weakly_canonical(fs::path(opt.base_dir), ec);
  const fs::path full = fs::weakly_canonical(base / rel, ec);
  if (ec) fail("{}: external data location '{}' cannot be resolved: {}", what, location, ec.message());
  // A symbolic link may still point outside: compare the resolved path with the folder.
  auto [b, f] = std::mismatch(base.begin(), base.end(), full.begin(), full.end());
  if (b != base.end()) fail("{}: external data location '{}' resolves outside the model's folder", what, location);
  if (!fs::is_regular_file(full, ec)) fail("{}: external data file '{}' does not exist", what, location);
  const auto size = static_cast<int64_t>(fs::file_size(full, ec));
  if (ec) fail("{}: cannot read external data file '{}'", what, location);
  if (size > opt.max_bytes) fail("{}: external data file '{}' is larger than the limit of {} bytes", what, location, opt.max_bytes);
  if (offset < 0 || (length >= 0 && length != want_bytes))
    fail("{}: external data has offset {} and length {} but the shape needs {} bytes", what, offset, length, want_bytes);
  if (offset > size || want_bytes > size - offset)
    fail("{}: external data file '{}' has {} bytes, too few for {} bytes at offset {}", what, location, size,
         want_bytes, offset);
  std::ifstream in(full, std::ios::binary);
  std::string bytes(static_cast<size_t>(want_bytes), '\0');
  in.seekg(offset);
  if (!in.read(bytes.data(), want_bytes)) fail("{}: failed to read external data file '{}'", what, location);
  return bytes;
}

template <typename T>
T load_le(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // x86 and arm64 are little-endian, as ONNX raw_data is
  return v;
}

}  // namespace

ConstTensor decode_tensor(const onnx::TensorProto& t, Budget& budget, const std::string& what) {
  const OnnxImportOptions& opt = budget.opt;
  Shape shape(t.dims().begin(), t.dims().end());
  const int64_t n = checked_numel(shape, opt.max_tensor_elements, what);
  const int32_t type = t.data_type();
  const int64_t es = elem_size(type);
  if (es == 0) {
    const std::string tname = onnx::TensorProto::DataType_IsValid(type)
                                  ? onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(type))
                                  : std::to_string(type);
    fail("{}: data type {} is not supported (float, double, int32 and int64 are)", what, tname);
  }
  if (t.has_segment()) fail("{}: segmented tensors are not supported", what);
  budget.take(n, what);

  const bool external = t.data_location() == onnx::TensorProto::EXTERNAL;
  int64_t typed = 0;
  switch (type) {
    case onnx::TensorProto::FLOAT: typed = t.float_data_size(); break;
    case onnx::TensorProto::DOUBLE: typed = t.double_data_size(); break;
    case onnx::TensorProto::INT32: typed = t.int32_data_size(); break;
    case onnx::TensorProto::INT64: typed = t.int64_data_size(); break;
  }
  const int64_t others = t.float_data_size() + t.double_data_size() + t.int32_data_size() + t.int64_data_size() +
                         t.string_data_size() + t.uint64_data_size() - typed;
  if (others > 0) fail("{}: holds values in a field that does not match its data type", what);
  if ((t.has_raw_data() || external) && typed > 0)
    fail("{}: holds values both in raw_data (or external data) and in a typed field", what);

  if (n > INT64_MAX / 8) fail("{}: shape {} is too large", what, shape_str(shape));
  // Sizes are compared before anything is allocated: a few bytes of file may not claim gigabytes.
  const bool raw_path = t.has_raw_data() || external;
  if (raw_path && !external && static_cast<int64_t>(t.raw_data().size()) != n * es)
    fail("{}: raw data has {} bytes but shape {} needs {}", what, t.raw_data().size(), shape_str(shape), n * es);
  if (!raw_path && typed != n) fail("{}: has {} values but shape {} needs {}", what, typed, shape_str(shape), n);
  std::string ext;
  if (external) ext = read_external(t, n * es, opt, what);

  ConstTensor out;
  out.shape = shape;
  out.is_int = type == onnx::TensorProto::INT32 || type == onnx::TensorProto::INT64;
  if (out.is_int) out.i.resize(static_cast<size_t>(n));
  else out.f.resize(static_cast<size_t>(n));

  if (raw_path) {
    const std::string* raw = external ? &ext : &t.raw_data();
    const char* p = raw->data();
    for (int64_t k = 0; k < n; ++k, p += es) {
      const auto ku = static_cast<size_t>(k);
      switch (type) {
        case onnx::TensorProto::FLOAT: out.f[ku] = load_le<float>(p); break;
        case onnx::TensorProto::DOUBLE: out.f[ku] = static_cast<float>(load_le<double>(p)); break;
        case onnx::TensorProto::INT32: out.i[ku] = load_le<int32_t>(p); break;
        case onnx::TensorProto::INT64: out.i[ku] = load_le<int64_t>(p); break;
      }
    }
    return out;
  }
  for (int64_t k = 0; k < n; ++k) {
    const auto ki = static_cast<int>(k);
    const auto ku = static_cast<size_t>(k);
    switch (type) {
      case onnx::TensorProto::FLOAT: out.f[ku] = t.float_data(ki); break;
      case onnx::TensorProto::DOUBLE: out.f[ku] = static_cast<float>(t.double_data(ki)); break;
      case onnx::TensorProto::INT32: out.i[ku] = t.int32_data(ki); break;
      case onnx::TensorProto::INT64: out.i[ku] = t.int64_data(ki); break;
    }
  }
  return out;
}

}  // namespace fb::onnx_detail
