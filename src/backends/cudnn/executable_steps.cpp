// One executor per plan step: cuDNN for convolution (fused with bias, residual and ReLU where the library
// allows), pooling, activations, tensor arithmetic, softmax and strided copies; cuBLAS for Linear; the small
// kernels of kernels.cu where cuDNN has no call.
#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "backends/cudnn/conv_algo.h"
#include "backends/cudnn/kernels.h"
#include "backends/cudnn/steps.h"
#include "core/error.h"

namespace fb::cudnn {

char* StepContext::ptr(ValueId v) const {
  const int64_t off = buffers->offset.at(static_cast<size_t>(v));
  FB_ASSERT(off >= 0);
  return arena + off;
}

DeviceBuffer upload_weights(const float* data, int64_t n, bool half) {
  DeviceBuffer b(static_cast<size_t>(n) * (half ? 2 : 4));
  if (half) {
    std::vector<__half> h(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) h[static_cast<size_t>(i)] = __float2half(data[i]);
    FB_CU(cudaMemcpy(b.get(), h.data(), b.size(), cudaMemcpyHostToDevice));
  } else {
    FB_CU(cudaMemcpy(b.get(), data, b.size(), cudaMemcpyHostToDevice));
  }
  return b;
}

DeviceBuffer upload_f32(const std::vector<float>& v) { return upload_weights(v.data(), static_cast<int64_t>(v.size()), false); }

namespace {

const float k_one = 1.0f, k_zero = 0.0f;

// An activation applied by cuDNN (ReLU, ReLU6 as clipped ReLU, sigmoid, SiLU as swish) or a small kernel
// (hard sigmoid, hard swish); in place when x == y.
class ActRunner {
 public:
  ActRunner() = default;
  ActRunner(Act a, const Node& attrs_node) : act_(a) {
    if (a == Act::HardSigmoid) hsig_ = attrs_node.attr<HardSigmoidAttrs>();
    // SiLU by kernel too: cuDNN's swish activation is newer than the rest and its support varies.
    if (a == Act::None || a == Act::HardSigmoid || a == Act::HardSwish || a == Act::Silu) return;
    FB_CU(cudnnCreateActivationDescriptor(&desc_));
    cudnnActivationMode_t mode = CUDNN_ACTIVATION_RELU;
    double coef = 0;
    if (a == Act::Relu6) mode = CUDNN_ACTIVATION_CLIPPED_RELU, coef = 6.0;
    if (a == Act::Sigmoid) mode = CUDNN_ACTIVATION_SIGMOID;
    FB_CU(cudnnSetActivationDescriptor(desc_, mode, CUDNN_PROPAGATE_NAN, coef));
  }
  ~ActRunner() {
    if (desc_) cudnnDestroyActivationDescriptor(desc_);
  }
  ActRunner(ActRunner&& o) noexcept : act_(o.act_), hsig_(o.hsig_), desc_(o.desc_) { o.desc_ = nullptr; }
  ActRunner& operator=(ActRunner&& o) noexcept {
    std::swap(act_, o.act_);
    std::swap(hsig_, o.hsig_);
    std::swap(desc_, o.desc_);
    return *this;
  }
  bool active() const { return act_ != Act::None; }
  void run(const StepContext& c, cudnnTensorDescriptor_t d, const void* x, void* y, int64_t n) const {
    switch (act_) {
      case Act::None: return;
      case Act::HardSigmoid: FB_CU(kernels::hard_sigmoid(x, y, n, hsig_.alpha, hsig_.beta, c.half(), c.h->stream)); return;
      case Act::HardSwish: FB_CU(kernels::hard_swish(x, y, n, c.half(), c.h->stream)); return;
      case Act::Silu: FB_CU(kernels::silu(x, y, n, c.half(), c.h->stream)); return;
      default: FB_CU(cudnnActivationForward(c.h->dnn, desc_, &k_one, d, x, &k_zero, d, y));
    }
  }

 private:
  Act act_ = Act::None;
  HardSigmoidAttrs hsig_;
  cudnnActivationDescriptor_t desc_ = nullptr;
};

// The node carrying the fused activation's attributes: the producer of the step's output.
const Node& last_node(const StepContext& c, const Step& s) { return c.plan->g.node(c.plan->g.value(s.outputs[0]).producer); }

class ConvExec final : public StepExec {
 public:
  ConvExec(const Step& s, const StepContext& c) : s_(s) {
    const Node& n = c.plan->g.node(s.node);
    const auto& a = n.attr<Conv2dAttrs>();
    const Shape& xs = c.shape(s.inputs[0]);
    const Tensor& w = n.param("weight");
    x_ = TensorDesc::packed(xs, c.dtype());
    y_ = TensorDesc::packed(c.shape(s.outputs[0]), c.dtype());
    const int64_t k = a.out_channels;
    bias_d_ = TensorDesc::packed({1, k, 1, 1}, c.dtype());
    FB_CU(cudnnCreateFilterDescriptor(&w_));
    FB_CU(cudnnSetFilter4dDescriptor(w_, c.dtype(), CUDNN_TENSOR_NCHW, static_cast<int>(w.dim(0)), static_cast<int>(w.dim(1)),
                                     static_cast<int>(w.dim(2)), static_cast<int>(w.dim(3))));
    FB_CU(cudnnCreateConvolutionDescriptor(&conv_));
    FB_CU(cudnnSetConvolution2dDescriptor(conv_, static_cast<int>(a.pad_top), static_cast<int>(a.pad_left),
                                          static_cast<int>(a.stride_h), static_cast<int>(a.stride_w),
                                          static_cast<int>(a.dilation_h), static_cast<int>(a.dilation_w),
                                          CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    FB_CU(cudnnSetConvolutionGroupCount(conv_, static_cast<int>(a.groups)));
    // fp32: FMA only (no TF32); tf32 and fp16: tensor cores allowed.
    const cudnnMathType_t math = c.precision == Precision::F32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH;
    FB_CU(cudnnSetConvolutionMathType(conv_, math));
    w_buf_ = upload_weights(w.data(), w.numel(), c.half());
    has_bias_ = n.has_param("bias");
    std::vector<float> b(static_cast<size_t>(k), 0.0f);
    if (has_bias_) std::copy(n.param("bias").data(), n.param("bias").data() + k, b.begin());
    b_buf_ = upload_weights(b.data(), k, c.half());
    FB_CU(cudnnCreateActivationDescriptor(&call_act_));
    FB_CU(cudnnSetActivationDescriptor(call_act_, s.act_in_call ? CUDNN_ACTIVATION_RELU : CUDNN_ACTIVATION_IDENTITY,
                                       CUDNN_NOT_PROPAGATE_NAN, 0.0));
    if (s.act != Act::None && !s.act_in_call) post_ = ActRunner(s.act, last_node(c, s));

    ConvKey key{xs, w.shape(), a, c.half() ? "fp16" : "fp32",
                c.precision == Precision::F32 ? "fma" : "tensor_op", false, c.device, address_alignment(c, s)};
    bool cached = false;
    const auto results = conv_algorithms(key, c.h->dnn, {x_.get(), c.ptr(s.inputs[0]), w_, w_buf_.get(), conv_, y_.get(),
                                                         c.ptr(s.outputs[0])},
                                         c.workspace, c.workspace_bytes, c.options.exhaustive_find, cached);
    // A separate addition over y reads and writes it once more: a few microseconds plus its traffic.
    const double y_bytes = static_cast<double>(shape_numel(c.shape(s.outputs[0])) * c.element_bytes());
    const double epilogue_ms = 0.003 + 2 * y_bytes / 2e12 * 1e3;
    const ConvDecision d = decide_conv(results, s.act_in_call, has_bias_, s.residual >= 0, epilogue_ms,
                                       static_cast<int64_t>(c.workspace_bytes));
    adopt(c, results[static_cast<size_t>(d.index)], d.fused_call);
    note = fmt::format("{}: {}{}{}", s.label, d.why, results[static_cast<size_t>(d.index)].ms >= 0
                                                         ? fmt::format(", {:.3f} ms", results[static_cast<size_t>(d.index)].ms)
                                                         : "",
                       cached ? " (cached)" : "");
    // One trial run now, so a combination this cuDNN refuses (a fused call with an algorithm it does not
    // support there) falls back to the plain fastest algorithm at compile time instead of failing a run.
    try {
      launch(c);
      FB_CU(cudaStreamSynchronize(c.h->stream));
    } catch (const Error& e) {
      if (!fused_) throw;
      if (s.act_in_call) post_ = ActRunner(s.act, last_node(c, s));  // the ReLU as a separate in-place call
      const ConvDecision plain = decide_conv(results, false, false, false, 0, static_cast<int64_t>(c.workspace_bytes));
      adopt(c, results[static_cast<size_t>(plain.index)], false);
      note += fmt::format("; fused call refused ({}), plain {} + separate additions", e.what(), results[static_cast<size_t>(plain.index)].name);
      launch(c);
      FB_CU(cudaStreamSynchronize(c.h->stream));
    }
  }
  void adopt(const StepContext& c, const AlgoResult& r, bool fused) {
    algo_ = static_cast<cudnnConvolutionFwdAlgo_t>(r.algo);
    fused_ = fused;
    if (c.options.exhaustive_find) FB_CU(cudnnSetConvolutionMathType(conv_, static_cast<cudnnMathType_t>(r.math)));
    FB_CU(cudnnGetConvolutionForwardWorkspaceSize(c.h->dnn, x_.get(), w_, conv_, y_.get(), algo_, &workspace_needed));
    device_calls = fused_ ? 1 : 1 + (has_bias_ ? 1 : 0) + (s_.residual >= 0 ? 1 : 0);
    if (post_.active()) ++device_calls;
  }
  static int address_alignment(const StepContext& c, const Step& s) {
    const auto bits = reinterpret_cast<uintptr_t>(c.ptr(s.inputs[0])) | reinterpret_cast<uintptr_t>(c.ptr(s.outputs[0])) | 256u;
    return static_cast<int>(bits & (~bits + 1));  // lowest set bit
  }
  ~ConvExec() override {
    if (call_act_) cudnnDestroyActivationDescriptor(call_act_);
    if (conv_) cudnnDestroyConvolutionDescriptor(conv_);
    if (w_) cudnnDestroyFilterDescriptor(w_);
  }

  void launch(const StepContext& c) override {
    const void* x = c.ptr(s_.inputs[0]);
    void* y = c.ptr(s_.outputs[0]);
    const bool res = s_.residual >= 0;
    if (fused_) {
      const float alpha2 = res ? 1.0f : 0.0f;
      const void* z = res ? c.ptr(s_.residual) : y;
      FB_CU(cudnnConvolutionBiasActivationForward(c.h->dnn, &k_one, x_.get(), x, w_, w_buf_.get(), conv_, algo_,
                                                  c.workspace, c.workspace_bytes, &alpha2, y_.get(), z, bias_d_.get(),
                                                  b_buf_.get(), call_act_, y_.get(), y));
    } else {
      FB_CU(cudnnConvolutionForward(c.h->dnn, &k_one, x_.get(), x, w_, w_buf_.get(), conv_, algo_, c.workspace,
                                    c.workspace_bytes, &k_zero, y_.get(), y));
      if (has_bias_) FB_CU(cudnnAddTensor(c.h->dnn, &k_one, bias_d_.get(), b_buf_.get(), &k_one, y_.get(), y));
      if (res) FB_CU(cudnnAddTensor(c.h->dnn, &k_one, y_.get(), c.ptr(s_.residual), &k_one, y_.get(), y));
    }
    post_.run(c, y_.get(), y, y, shape_numel(c.shape(s_.outputs[0])));
  }

 private:
  Step s_;
  TensorDesc x_, y_, bias_d_;
  cudnnFilterDescriptor_t w_ = nullptr;
  cudnnConvolutionDescriptor_t conv_ = nullptr;
  cudnnActivationDescriptor_t call_act_ = nullptr;
  DeviceBuffer w_buf_, b_buf_;
  bool has_bias_ = false, fused_ = false;
  cudnnConvolutionFwdAlgo_t algo_ = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
  ActRunner post_;
};

class ActExec final : public StepExec {
 public:
  ActExec(const Step& s, const StepContext& c) : s_(s), act_(s.act, c.plan->g.node(s.node)) {
    d_ = TensorDesc::packed(c.shape(s.inputs[0]), c.dtype());
  }
  void launch(const StepContext& c) override {
    act_.run(c, d_.get(), c.ptr(s_.inputs[0]), c.ptr(s_.outputs[0]), shape_numel(c.shape(s_.inputs[0])));
  }

 private:
  Step s_;
  ActRunner act_;
  TensorDesc d_;
};

// Add and Mul: C = A op B with B broadcast (SE scaling multiplies by an [N, C, 1, 1] tensor).
class OpTensorExec final : public StepExec {
 public:
  OpTensorExec(const Step& s, const StepContext& c) : s_(s) {
    const Shape& out = c.shape(s.outputs[0]);
    if (c.shape(s.inputs[0]) != out) std::swap(a_, b_);  // both ops commute
    FB_CU(cudnnCreateOpTensorDescriptor(&op_));
    FB_CU(cudnnSetOpTensorDescriptor(op_, s.kind == Kind::Add ? CUDNN_OP_TENSOR_ADD : CUDNN_OP_TENSOR_MUL,
                                     CUDNN_DATA_FLOAT, CUDNN_PROPAGATE_NAN));
    ad_ = TensorDesc::packed(out, c.dtype());
    bd_ = TensorDesc::packed(c.shape(s.inputs[static_cast<size_t>(b_)]), c.dtype());
  }
  ~OpTensorExec() override {
    if (op_) cudnnDestroyOpTensorDescriptor(op_);
  }
  void launch(const StepContext& c) override {
    FB_CU(cudnnOpTensor(c.h->dnn, op_, &k_one, ad_.get(), c.ptr(s_.inputs[static_cast<size_t>(a_)]), &k_one, bd_.get(),
                        c.ptr(s_.inputs[static_cast<size_t>(b_)]), &k_zero, ad_.get(), c.ptr(s_.outputs[0])));
  }

 private:
  Step s_;
  int a_ = 0, b_ = 1;
  cudnnOpTensorDescriptor_t op_ = nullptr;
  TensorDesc ad_, bd_;
};

class ScaleShiftExec final : public StepExec {
 public:
  ScaleShiftExec(const Step& s, const StepContext& c) : s_(s) {
    const Node& n = c.plan->g.node(s.node);
    const Shape& x = c.shape(s.inputs[0]);
    c_ = x[1];
    inner_ = shape_numel(x) / (x[0] * x[1]);
    std::vector<float> scale(static_cast<size_t>(c_)), shift(static_cast<size_t>(c_));
    const float eps = n.attr<BatchNormAttrs>().eps;
    for (int64_t i = 0; i < c_; ++i) {
      const double sc = n.param("weight")[i] / std::sqrt(static_cast<double>(n.param("running_var")[i]) + eps);
      scale[static_cast<size_t>(i)] = static_cast<float>(sc);
      shift[static_cast<size_t>(i)] = static_cast<float>(n.param("bias")[i] - n.param("running_mean")[i] * sc);
    }
    scale_ = upload_f32(scale);
    shift_ = upload_f32(shift);
  }
  void launch(const StepContext& c) override {
    const Shape& x = c.shape(s_.inputs[0]);
    FB_CU(kernels::scale_shift(c.ptr(s_.inputs[0]), c.ptr(s_.outputs[0]), static_cast<const float*>(scale_.get()),
                               static_cast<const float*>(shift_.get()), x[0], c_, inner_, c.half(), c.h->stream));
  }

 private:
  Step s_;
  int64_t c_ = 0, inner_ = 1;
  DeviceBuffer scale_, shift_;
};

// Max/avg/global pooling: cuDNN where its symmetric-padding, floor-size pooling gives PyTorch's result,
// otherwise the kernel.
class PoolExec final : public StepExec {
 public:
  PoolExec(const Step& s, const StepContext& c) : s_(s) {
    const Shape& x = c.shape(s.inputs[0]);
    const Shape& y = c.shape(s.outputs[0]);
    PoolAttrs a;
    if (s.kind == Kind::GlobalAvgPool) {
      a.kernel_h = a.stride_h = x[2];
      a.kernel_w = a.stride_w = x[3];
    } else {
      a = c.plan->g.node(s.node).attr<PoolAttrs>();
    }
    max_ = s.kind == Kind::MaxPool;
    geo_ = {x[0], x[1], x[2], x[3], y[2], y[3], a.kernel_h, a.kernel_w, a.stride_h, a.stride_w,
            a.pad_top, a.pad_left, a.pad_bottom, a.pad_right, a.count_include_pad};
    const bool symmetric = a.pad_top == a.pad_bottom && a.pad_left == a.pad_right;
    const bool floor_size = (x[2] + 2 * a.pad_top - a.kernel_h) / a.stride_h + 1 == y[2] &&
                            (x[3] + 2 * a.pad_left - a.kernel_w) / a.stride_w + 1 == y[3];
    use_cudnn_ = symmetric && floor_size;
    if (!use_cudnn_) {
      note = fmt::format("{}: pooling kernel (cuDNN cannot express {})", s.label, symmetric ? "ceil_mode" : "asymmetric padding");
      return;
    }
    FB_CU(cudnnCreatePoolingDescriptor(&pool_));
    const cudnnPoolingMode_t mode = max_ ? CUDNN_POOLING_MAX
                                    : a.count_include_pad ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                                                          : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
    FB_CU(cudnnSetPooling2dDescriptor(pool_, mode, CUDNN_PROPAGATE_NAN, static_cast<int>(a.kernel_h),
                                      static_cast<int>(a.kernel_w), static_cast<int>(a.pad_top), static_cast<int>(a.pad_left),
                                      static_cast<int>(a.stride_h), static_cast<int>(a.stride_w)));
    xd_ = TensorDesc::packed(x, c.dtype());
    yd_ = TensorDesc::packed(y, c.dtype());
    // A trial now: where this cuDNN refuses the pooling (a very large window, say), the kernel takes over.
    const cudnnStatus_t st = cudnnPoolingForward(c.h->dnn, pool_, &k_one, xd_.get(), c.ptr(s.inputs[0]), &k_zero, yd_.get(),
                                                 c.ptr(s.outputs[0]));
    if (st != CUDNN_STATUS_SUCCESS) {
      use_cudnn_ = false;
      note = fmt::format("{}: pooling kernel (cuDNN refused: {})", s.label, cudnnGetErrorString(st));
    }
  }
  ~PoolExec() override {
    if (pool_) cudnnDestroyPoolingDescriptor(pool_);
  }
  void launch(const StepContext& c) override {
    if (use_cudnn_)
      FB_CU(cudnnPoolingForward(c.h->dnn, pool_, &k_one, xd_.get(), c.ptr(s_.inputs[0]), &k_zero, yd_.get(), c.ptr(s_.outputs[0])));
    else
      FB_CU(kernels::pool2d(max_, c.ptr(s_.inputs[0]), c.ptr(s_.outputs[0]), geo_, c.half(), c.h->stream));
  }

 private:
  Step s_;
  bool max_ = false, use_cudnn_ = false;
  kernels::PoolGeometry geo_{};
  cudnnPoolingDescriptor_t pool_ = nullptr;
  TensorDesc xd_, yd_;
};

// Strided copies with cudnnTransformTensor: concat and split when views are impossible, channel shuffle.
class TransformExec final : public StepExec {
 public:
  TransformExec(const Step& s, const StepContext& c) : s_(s) {
    const cudnnDataType_t t = c.dtype();
    if (s.kind == Kind::ChannelShuffle) {
      // y[n, j, i, :] = x[n, i, j, :] for x viewed as [N, g, C/g, HW]: read x with permuted strides.
      const Shape& x = c.shape(s.inputs[0]);
      const int g = static_cast<int>(c.plan->g.node(s.node).attr<ChannelShuffleAttrs>().groups);
      const int n = static_cast<int>(x[0]), ch = static_cast<int>(x[1]), hw = static_cast<int>(x[2] * x[3]);
      const int dims[4] = {n, ch / g, g, hw};
      const int xs[4] = {ch * hw, hw, (ch / g) * hw, 1};
      const int ys[4] = {ch * hw, g * hw, hw, 1};
      copies_.push_back({s.inputs[0], 0, s.outputs[0], 0, TensorDesc(dims, xs, t), TensorDesc(dims, ys, t)});
      return;
    }
    const bool concat = s.kind == Kind::Concat;
    const ValueId whole = concat ? s.outputs[0] : s.inputs[0];
    const auto& parts = concat ? s.inputs : s.outputs;
    int wd[4];
    dims4(c.shape(whole), wd);
    const int inner = wd[2] * wd[3];
    int ch_off = 0;
    for (ValueId v : parts) {
      int d[4];
      dims4(c.shape(v), d);
      const int packed[4] = {d[1] * inner, inner, wd[3], 1};
      const int strided[4] = {wd[1] * inner, inner, wd[3], 1};
      const int64_t off = static_cast<int64_t>(ch_off) * inner * c.element_bytes();
      if (concat) copies_.push_back({v, 0, whole, off, TensorDesc(d, packed, t), TensorDesc(d, strided, t)});
      else copies_.push_back({whole, off, v, 0, TensorDesc(d, strided, t), TensorDesc(d, packed, t)});
      ch_off += d[1];
    }
    device_calls = static_cast<int>(copies_.size());
  }
  void launch(const StepContext& c) override {
    for (const Copy& k : copies_)
      FB_CU(cudnnTransformTensor(c.h->dnn, &k_one, k.xd.get(), c.ptr(k.x) + k.x_off, &k_zero, k.yd.get(), c.ptr(k.y) + k.y_off));
  }

 private:
  struct Copy {
    ValueId x;
    int64_t x_off;
    ValueId y;
    int64_t y_off;
    TensorDesc xd, yd;
  };
  Step s_;
  std::vector<Copy> copies_;
};

// y[N, out] = x[N, in] W^T + b with cuBLAS (column-major: y^T = W x^T), then the bias broadcast by cuDNN.
class LinearExec final : public StepExec {
 public:
  LinearExec(const Step& s, const StepContext& c) : s_(s) {
    const Node& n = c.plan->g.node(s.node);
    const Tensor& w = n.param("weight");
    out_ = static_cast<int>(w.dim(0));
    in_ = static_cast<int>(w.dim(1));
    batch_ = static_cast<int>(c.shape(s.inputs[0])[0]);
    w_ = upload_weights(w.data(), w.numel(), c.half());
    if (n.has_param("bias")) {
      b_ = upload_weights(n.param("bias").data(), out_, c.half());
      bd_ = TensorDesc::packed({1, out_, 1, 1}, c.dtype());
      yd_ = TensorDesc::packed({batch_, out_, 1, 1}, c.dtype());
      device_calls = 2;
    }
    type_ = c.half() ? CUDA_R_16F : CUDA_R_32F;
    compute_ = c.precision == Precision::TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  }
  void launch(const StepContext& c) override {
    FB_CU(cublasGemmEx(c.h->blas, CUBLAS_OP_T, CUBLAS_OP_N, out_, batch_, in_, &k_one, w_.get(), type_, in_,
                       c.ptr(s_.inputs[0]), type_, in_, &k_zero, c.ptr(s_.outputs[0]), type_, out_, compute_,
                       CUBLAS_GEMM_DEFAULT));
    if (b_.get()) FB_CU(cudnnAddTensor(c.h->dnn, &k_one, bd_.get(), b_.get(), &k_one, yd_.get(), c.ptr(s_.outputs[0])));
  }

 private:
  Step s_;
  int out_ = 0, in_ = 0, batch_ = 0;
  DeviceBuffer w_, b_;
  TensorDesc bd_, yd_;
  cudaDataType_t type_ = CUDA_R_32F;
  cublasComputeType_t compute_ = CUBLAS_COMPUTE_32F;
};

class SoftmaxExec final : public StepExec {
 public:
  SoftmaxExec(const Step& s, const StepContext& c) : s_(s) { d_ = TensorDesc::packed(c.shape(s.inputs[0]), c.dtype()); }
  void launch(const StepContext& c) override {
    FB_CU(cudnnSoftmaxForward(c.h->dnn, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &k_one, d_.get(),
                              c.ptr(s_.inputs[0]), &k_zero, d_.get(), c.ptr(s_.outputs[0])));
  }

 private:
  Step s_;
  TensorDesc d_;
};

class NoopExec final : public StepExec {
 public:
  NoopExec() { device_calls = 0; }
  void launch(const StepContext&) override {}
};

}  // namespace

std::unique_ptr<StepExec> make_step_exec(const Step& s, const StepContext& c) {
  switch (s.kind) {
    case Kind::Conv: return std::make_unique<ConvExec>(s, c);
    case Kind::BatchNorm: return std::make_unique<ScaleShiftExec>(s, c);
    case Kind::Activation: return std::make_unique<ActExec>(s, c);
    case Kind::Add: case Kind::Mul: return std::make_unique<OpTensorExec>(s, c);
    case Kind::Concat: case Kind::Split:
      if (!s.copy) return std::make_unique<NoopExec>();  // views: the data is already in place
      return std::make_unique<TransformExec>(s, c);
    case Kind::ChannelShuffle: return std::make_unique<TransformExec>(s, c);
    case Kind::MaxPool: case Kind::AvgPool: case Kind::GlobalAvgPool: return std::make_unique<PoolExec>(s, c);
    case Kind::Linear: return std::make_unique<LinearExec>(s, c);
    case Kind::Softmax: return std::make_unique<SoftmaxExec>(s, c);
  }
  FB_ASSERT(false && "unknown step kind");
  return nullptr;
}

}  // namespace fb::cudnn
