#include "backends/cudnn/executable.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "backends/cudnn/kernels.h"
#include "backends/cudnn/steps.h"
#include "core/error.h"

namespace fb::cudnn {
namespace {

constexpr size_t k_cublas_workspace = 32u << 20;  // set explicitly so cuBLAS never allocates inside a capture

class CudnnExecutable final : public Executable {
 public:
  CudnnExecutable(const Graph& g, const CompileOptions& opt);
  ~CudnnExecutable() override;

  void run(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) override {
    FB_CU(cudaEventRecord(ev0_, h_->stream));
    upload_async(inputs);
    launch();
    fetch_async(outputs);
    FB_CU(cudaEventRecord(ev1_, h_->stream));
    finish();
  }
  bool resident() const override { return true; }
  void upload(const std::vector<Tensor>& inputs) override {
    upload_async(inputs);
    FB_CU(cudaStreamSynchronize(h_->stream));
  }
  void run_resident() override {
    FB_CU(cudaEventRecord(ev0_, h_->stream));
    launch();
    FB_CU(cudaEventRecord(ev1_, h_->stream));
    finish();
  }
  void fetch(std::vector<Tensor>& outputs) override {
    fetch_async(outputs);
    FB_CU(cudaStreamSynchronize(h_->stream));
  }
  double last_device_ms() const override { return last_ms_; }
  Description describe() const override { return desc_; }
  std::vector<LayerTime> profile_layers(const std::vector<Tensor>& inputs, int iterations) override;
  std::vector<LayerTime> kernels() const override;

 private:
  void launch() {
    if (graph_exec_) FB_CU(cudaGraphLaunch(graph_exec_, h_->stream));
    else launch_steps();
  }
  void launch_steps() {
    for (auto& e : execs_) e->launch(ctx_);
  }
  void finish() {
    FB_CU(cudaStreamSynchronize(h_->stream));
    float ms = 0;
    FB_CU(cudaEventElapsedTime(&ms, ev0_, ev1_));
    last_ms_ = ms;
  }
  void upload_async(const std::vector<Tensor>& inputs);
  void fetch_async(std::vector<Tensor>& outputs);
  void capture_graph();

  Plan plan_;
  BufferPlan buffers_;
  std::unique_ptr<Handles> h_;
  DeviceBuffer arena_, workspace_, blas_workspace_, staging_;
  StepContext ctx_;
  std::vector<std::unique_ptr<StepExec>> execs_;
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t graph_exec_ = nullptr;
  cudaEvent_t ev0_ = nullptr, ev1_ = nullptr;
  double last_ms_ = -1;
  Description desc_;
};

CudnnExecutable::CudnnExecutable(const Graph& g, const CompileOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  const int device = parse_cuda_device(opt.device);
  check_precision(opt.precision);
  const CudnnOptions co = parse_cudnn_options(opt);
  std::string why;
  const int count = cuda_device_count(why);
  if (count == 0) fail("backend 'cudnn': no CUDA device ({})", why);
  if (device >= count) fail("backend 'cudnn': --device {} but only {} CUDA device(s) present", opt.device, count);
  FB_CU(cudaSetDevice(device));

  plan_ = make_plan(g, PlanOptions{co.fuse, co.views});
  ctx_.precision = opt.precision;
  ctx_.options = co;
  ctx_.device = device;
  buffers_ = plan_buffers(plan_, ctx_.element_bytes());
  h_ = std::make_unique<Handles>();
  arena_ = DeviceBuffer(static_cast<size_t>(std::max<int64_t>(buffers_.arena_bytes, k_buffer_alignment)));
  FB_CU(cudaMemset(arena_.get(), 0, arena_.size()));  // cudnnFind times on real buffers: no NaN garbage
  ctx_.h = h_.get();
  ctx_.plan = &plan_;
  ctx_.buffers = &buffers_;
  ctx_.arena = arena_.bytes_ptr();

  // The algorithm search may use up to a quarter of free memory (at most 1 GiB); the run keeps only what
  // the chosen algorithms need.
  size_t free_b = 0, total_b = 0;
  FB_CU(cudaMemGetInfo(&free_b, &total_b));
  {
    DeviceBuffer search(std::min<size_t>(free_b / 4, 1u << 30));
    ctx_.workspace = search.get();
    ctx_.workspace_bytes = search.size();
    for (const Step& s : plan_.steps) execs_.push_back(make_step_exec(s, ctx_));
  }
  size_t need = 0;
  for (const auto& e : execs_) need = std::max(need, e->workspace_needed);
  workspace_ = DeviceBuffer(need);
  ctx_.workspace = workspace_.get();
  ctx_.workspace_bytes = need;
  blas_workspace_ = DeviceBuffer(k_cublas_workspace);
  FB_CU(cublasSetWorkspace(h_->blas, blas_workspace_.get(), blas_workspace_.size()));
  if (ctx_.half()) {
    int64_t most = 0;
    for (ValueId v : plan_.g.inputs) most = std::max(most, shape_numel(plan_.g.value(v).shape));
    for (ValueId v : plan_.g.outputs) most = std::max(most, shape_numel(plan_.g.value(v).shape));
    staging_ = DeviceBuffer(static_cast<size_t>(most) * 4);
  }
  FB_CU(cudaEventCreate(&ev0_));
  FB_CU(cudaEventCreate(&ev1_));
  // One eager run first: libraries load kernels lazily, which must not happen inside a capture.
  launch_steps();
  FB_CU(cudaStreamSynchronize(h_->stream));

  desc_.backend = "cudnn";
  desc_.fusions = plan_.fusions;
  desc_.arena_bytes = buffers_.arena_bytes;
  desc_.naive_activation_bytes = buffers_.naive_bytes;
  for (const auto& e : execs_) desc_.ops_executed += e->device_calls;
  desc_.notes.push_back(fmt::format("device {}: {}", device, cuda_device_name(device)));
  desc_.notes.push_back(fmt::format("precision {}: {}", precision_name(opt.precision),
                                    opt.precision == Precision::F32   ? "fp32 storage, FMA math only (TF32 off in cuDNN and cuBLAS)"
                                    : opt.precision == Precision::TF32 ? "fp32 storage, TF32 tensor cores allowed"
                                                                       : "fp16 storage, fp32 accumulation, tensor cores"));
  desc_.notes.push_back(fmt::format("cuDNN {}, layout NCHW, algorithms by {}, conv workspace {:.1f} MiB", cudnn_version_string(),
                                    co.exhaustive_find ? "cudnnFind (measured)" : "heuristic", static_cast<double>(need) / 1048576.0));
  if (co.cuda_graph) capture_graph();
  else desc_.notes.push_back("CUDA Graph off (option graph=off): one launch per call");
  for (const auto& e : execs_)
    if (!e->note.empty()) desc_.notes.push_back(e->note);
  for (const auto& c : plan_.copies) desc_.notes.push_back(c);
  for (const auto& d : plan_.declined) desc_.notes.push_back("not fused: " + d);
  desc_.compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void CudnnExecutable::capture_graph() {
  cudaError_t e = cudaStreamBeginCapture(h_->stream, cudaStreamCaptureModeThreadLocal);
  std::string failure;
  if (e == cudaSuccess) {
    try {
      launch_steps();
    } catch (const Error& err) {
      failure = err.what();
    }
    e = cudaStreamEndCapture(h_->stream, &graph_);
    if (failure.empty() && e == cudaSuccess) e = cudaGraphInstantiate(&graph_exec_, graph_, 0);
  }
  if (failure.empty() && e != cudaSuccess) failure = cudaGetErrorString(e);
  if (!failure.empty()) {
    cudaGetLastError();
    if (graph_) cudaGraphDestroy(graph_);
    graph_ = nullptr;
    graph_exec_ = nullptr;
    desc_.notes.push_back("CUDA Graph capture failed, running eagerly: " + failure);
    return;
  }
  size_t nodes = 0;
  cudaGraphGetNodes(graph_, nullptr, &nodes);
  desc_.notes.push_back(fmt::format("whole network replayed as one CUDA Graph ({} nodes)", nodes));
}

CudnnExecutable::~CudnnExecutable() {
  if (h_) cudaStreamSynchronize(h_->stream);
  if (graph_exec_) cudaGraphExecDestroy(graph_exec_);
  if (graph_) cudaGraphDestroy(graph_);
  if (ev0_) cudaEventDestroy(ev0_);
  if (ev1_) cudaEventDestroy(ev1_);
  execs_.clear();  // descriptors and weights before the handles
}

void CudnnExecutable::upload_async(const std::vector<Tensor>& inputs) {
  const Graph& g = plan_.g;
  if (inputs.size() != g.inputs.size()) fail("cudnn: model '{}' takes {} input(s), got {}", g.name, g.inputs.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ValueId v = g.inputs[i];
    const Shape& want = g.value(v).shape;
    if (inputs[i].shape() != want)
      fail("cudnn: input '{}' must be {}, got {}", g.value(v).name, shape_str(want), shape_str(inputs[i].shape()));
    const int64_t n = inputs[i].numel();
    if (ctx_.half()) {
      FB_CU(cudaMemcpyAsync(staging_.get(), inputs[i].data(), static_cast<size_t>(n) * 4, cudaMemcpyHostToDevice, h_->stream));
      FB_CU(kernels::f32_to_f16(static_cast<const float*>(staging_.get()), ctx_.ptr(v), n, h_->stream));
    } else {
      FB_CU(cudaMemcpyAsync(ctx_.ptr(v), inputs[i].data(), static_cast<size_t>(n) * 4, cudaMemcpyHostToDevice, h_->stream));
    }
  }
}

void CudnnExecutable::fetch_async(std::vector<Tensor>& outputs) {
  const Graph& g = plan_.g;
  outputs.resize(g.outputs.size());
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    const ValueId v = g.outputs[i];
    const Shape& shape = g.value(v).shape;
    if (outputs[i].shape() != shape || !outputs[i].has_data()) outputs[i] = Tensor(shape);
    const int64_t n = outputs[i].numel();
    if (ctx_.half()) {
      FB_CU(kernels::f16_to_f32(ctx_.ptr(v), static_cast<float*>(staging_.get()), n, h_->stream));
      FB_CU(cudaMemcpyAsync(outputs[i].data(), staging_.get(), static_cast<size_t>(n) * 4, cudaMemcpyDeviceToHost, h_->stream));
    } else {
      FB_CU(cudaMemcpyAsync(outputs[i].data(), ctx_.ptr(v), static_cast<size_t>(n) * 4, cudaMemcpyDeviceToHost, h_->stream));
    }
  }
}

std::vector<LayerTime> CudnnExecutable::profile_layers(const std::vector<Tensor>& inputs, int iterations) {
  upload(inputs);
  std::vector<cudaEvent_t> ev(execs_.size() + 1);
  for (auto& e : ev) FB_CU(cudaEventCreate(&e));
  std::vector<double> ms(execs_.size(), 0.0);
  for (int it = 0; it < std::max(iterations, 1); ++it) {
    for (size_t i = 0; i < execs_.size(); ++i) {
      FB_CU(cudaEventRecord(ev[i], h_->stream));
      execs_[i]->launch(ctx_);
    }
    FB_CU(cudaEventRecord(ev.back(), h_->stream));
    FB_CU(cudaStreamSynchronize(h_->stream));
    for (size_t i = 0; i < execs_.size(); ++i) {
      float t = 0;
      FB_CU(cudaEventElapsedTime(&t, ev[i], ev[i + 1]));
      ms[i] += t;
    }
  }
  for (auto& e : ev) cudaEventDestroy(e);
  std::vector<LayerTime> out = kernels();
  size_t k = 0;
  for (size_t i = 0; i < execs_.size(); ++i)
    if (execs_[i]->device_calls > 0) out[k++].ms = ms[i] / std::max(iterations, 1);
  return out;
}

std::vector<LayerTime> CudnnExecutable::kernels() const {
  std::vector<LayerTime> out;
  for (size_t i = 0; i < execs_.size(); ++i) {
    if (execs_[i]->device_calls == 0) continue;
    const Step& s = plan_.steps[i];
    // The step's own node: nodes it fused (a folded BatchNorm, an activation, a residual add) are then passes
    // cudnn does not run, which is what they are.
    out.push_back({s.label, kind_name(s.kind), 0.0, {plan_.g.node(s.node).name}, s.copy ? LayerKind::Copy : LayerKind::Compute});
  }
  return out;
}

}  // namespace

std::unique_ptr<Executable> compile_on_device(const Graph& g, const CompileOptions& opt) {
  return std::make_unique<CudnnExecutable>(g, opt);
}

}  // namespace fb::cudnn
