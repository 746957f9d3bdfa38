// The onednn backend: generic passes (BN folding, no-op removal), backend fusions (post-ops), lowering
// with layout propagation, memory planning into one arena, then a run that only executes primitives.
#include <omp.h>

#include <charconv>
#include <chrono>
#include <map>

#include <dnnl_debug.h>
#include <fmt/format.h>

#include "backends/backend.h"
#include "backends/calibrate.h"
#include "backends/layer_clock.h"
#include "backends/onednn/compiler.h"
#include "backends/onednn/dnnl_compat.h"
#include "backends/onednn/plan.h"
#include "backends/onednn/refusals.h"
#include "core/error.h"
#include "ir/passes/pipeline.h"

namespace fb {
namespace onednn {
namespace {

const dnnl::engine& cpu_engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

struct Options {
  bool fuse = true;
  bool depthwise = true;
  bool depthwise_force = false;
  CalibrationOptions calibration;  // int8: the deterministic inputs the activation ranges are taken over
  LowerOptions lower;
};

Options parse_options(const CompileOptions& opt) {
  Options o;
  auto on_off = [&](const std::string& key, bool& dst) {
    auto it = opt.extra.find(key);
    if (it == opt.extra.end()) return;
    if (it->second == "on") dst = true;
    else if (it->second == "off") dst = false;
    else if (key == "depthwise_fusion" && it->second == "force") dst = true;
    else fail("backend 'onednn': option {}={} must be 'on' or 'off'", key, it->second);
  };
  on_off("fuse", o.fuse);
  if (auto it = opt.extra.find("depthwise_fusion"); it != opt.extra.end()) {
    if (it->second == "force") o.depthwise = o.depthwise_force = true;
    else if (it->second != "on" && it->second != "off")
      fail("backend 'onednn': option depthwise_fusion={} must be 'on', 'off' or 'force'", it->second);
  }
  on_off("depthwise_fusion", o.depthwise);
  on_off("inplace_concat", o.lower.inplace_concat);
  if (auto it = opt.extra.find("winograd"); it != opt.extra.end()) {
    if (it->second == "auto") o.lower.winograd = WinogradMode::Auto;
    else if (it->second == "on") o.lower.winograd = WinogradMode::On;
    else if (it->second == "off") o.lower.winograd = WinogradMode::Off;
    else fail("backend 'onednn': option winograd={} must be 'auto', 'on' or 'off'", it->second);
  }
  if (auto it = opt.extra.find("layout"); it != opt.extra.end()) {
    if (it->second == "blocked") o.lower.blocked_layouts = true;
    else if (it->second == "plain") o.lower.blocked_layouts = false;
    else fail("backend 'onednn': option layout={} must be 'blocked' or 'plain'", it->second);
  }
  o.calibration = calibration_options("onednn", opt);
  if (!o.fuse) o.depthwise = o.lower.inplace_concat = false;
  return o;
}

class OnednnExecutable : public Executable {
 public:
  OnednnExecutable(Graph g, Program prog, Description desc, int threads)
      : g_(std::move(g)), prog_(std::move(prog)), desc_(std::move(desc)), threads_(threads),
        stream_(cpu_engine()) {
    bind();
  }

  void run(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) override {
    if (inputs.size() != g_.inputs.size())
      fail("model '{}' takes {} input(s), got {}", g_.name, g_.inputs.size(), inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Shape& want = g_.value(g_.inputs[i]).shape;
      if (inputs[i].shape() != want)
        fail("input '{}' must be {}, got {}", g_.value(g_.inputs[i]).name, shape_str(want), shape_str(inputs[i].shape()));
    }
    outputs.resize(g_.outputs.size());
    for (size_t i = 0; i < outputs.size(); ++i) {
      const Shape& s = g_.value(g_.outputs[i]).shape;
      if (!outputs[i].has_data() || outputs[i].shape() != s) outputs[i] = Tensor(s);
    }
    for (auto& [mem, kind, index] : external_)
      mem.set_data_handle(kind == Slot::Kind::Input ? const_cast<float*>(inputs[static_cast<size_t>(index)].data())
                                                    : outputs[static_cast<size_t>(index)].data());
    omp_set_num_threads(threads_);
    for (Exec& e : prog_.execs) e.prim.execute(stream_, e.args);
    stream_.wait();
  }

  Description describe() const override { return desc_; }
  void set_compile_ms(double ms) { desc_.compile_ms = ms; }
  void add_note(std::string note) { desc_.notes.push_back(std::move(note)); }

  std::vector<LayerTime> profile_layers(const std::vector<Tensor>& inputs, int iterations) override {
    std::vector<Tensor> outs;
    run(inputs, outs);  // binds the external pointers and warms up
    LayerClock lc(prog_.execs.size(), iterations);
    for (int it = 0; it < std::max(iterations, 1); ++it) {
      lc.begin_run();
      for (size_t i = 0; i < prog_.execs.size(); ++i) {
        lc.begin_step();
        prog_.execs[i].prim.execute(stream_, prog_.execs[i].args);
        stream_.wait();
        lc.end_step(i);
      }
      lc.end_run();
    }
    std::vector<LayerTime> out = kernels();
    for (size_t i = 0; i < out.size(); ++i) out[i].ms = lc.step_ms(i);
    out.push_back({"(between primitives)", "overhead", lc.overhead_ms(), {}, LayerKind::Overhead});
    return out;
  }

  // One step per primitive, reorders included.
  std::vector<LayerTime> kernels() const override {
    std::vector<LayerTime> out;
    for (const Exec& e : prog_.execs) {
      const LayerKind kind = e.kind == "reorder" ? LayerKind::Reorder
                             : e.kind == "concat" || e.kind == "split" || e.kind == "shuffle" ? LayerKind::Copy
                                                                                                : LayerKind::Compute;
      out.push_back({e.name, e.kind, 0.0, e.covers, kind});
    }
    return out;
  }

 private:
  // Creates one memory object per slot over the arena (or a placeholder for the caller's tensors) and the
  // argument maps every run uses; nothing is allocated after this.
  void bind() {
    ArenaPlan plan = plan_arena(prog_);
    arena_.resize(static_cast<size_t>(plan.arena_bytes / 4 + 16));
    scratch_.resize(prog_.scratchpad_bytes / 4 + 16);
    float* base = arena_.data();
    std::vector<dnnl::memory> mems;
    for (size_t s = 0; s < prog_.slots.size(); ++s) {
      const int r = prog_.root(static_cast<int>(s));
      const Slot& rs = prog_.slots[static_cast<size_t>(r)];
      void* ptr = rs.kind == Slot::Kind::Arena && plan.offset[static_cast<size_t>(r)] >= 0
                      ? reinterpret_cast<char*>(base) + plan.offset[static_cast<size_t>(r)] +
                            prog_.offset_in_root(static_cast<int>(s))
                      : nullptr;
      mems.emplace_back(prog_.slots[s].md, cpu_engine(), ptr);
      if (rs.kind != Slot::Kind::Arena) external_.push_back({mems.back(), rs.kind, rs.external_index});
    }
    for (Exec& e : prog_.execs) {
      e.args = e.const_args;
      // A memory object of its own: copies of a Program (keep_winograd_if_faster) share the const ones.
      if (auto it = e.args.find(DNNL_ARG_SCRATCHPAD); it != e.args.end())
        it->second = dnnl::memory(it->second.get_desc(), cpu_engine(), scratch_.data());
      for (const auto& [arg, s] : e.slot_args) e.args[arg] = mems[static_cast<size_t>(s)];
    }
    desc_.arena_bytes = plan.arena_bytes;
    desc_.naive_activation_bytes = plan.naive_bytes;
    desc_.notes.push_back(fmt::format("scratchpad {} bytes shared by all primitives", prog_.scratchpad_bytes));
  }

  struct External {
    dnnl::memory mem;
    Slot::Kind kind;
    int index;
  };
  Graph g_;
  Program prog_;
  Description desc_;
  int threads_;
  dnnl::stream stream_;
  std::vector<float> arena_, scratch_;
  std::vector<External> external_;
};

// winograd=auto times each Winograd candidate on its own, but its nChw16c tensors can cost elsewhere what
// it saves (reorders, a concatenation of mixed layouts: squeezenet1_1 ran 0.96x as fast with its picks).
// So the whole program with the picks is timed against the program without any, interleaved, and the picks
// stay only where the program is at least k_program_gain faster. Replaces `low` by the direct program
// otherwise; returns describe()'s line.
constexpr double k_program_gain = 1.03;

std::string keep_winograd_if_faster(const Plan& plan, const LowerOptions& opt, Lowered& low, int threads) {
  LowerOptions off = opt;
  off.winograd = WinogradMode::Off;
  Lowered direct = lower(plan, cpu_engine(), off);
  OnednnExecutable with(plan.g, low.prog, Description{}, threads), without(plan.g, direct.prog, Description{}, threads);
  const std::vector<Tensor> inputs = make_inputs(plan.g, 1);
  std::vector<Tensor> out;
  auto timed = [&](OnednnExecutable& e) {
    const auto t0 = std::chrono::steady_clock::now();
    e.run(inputs, out);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  const double gain = time_paired([&] { return timed(without); }, [&] { return timed(with); }, 300, 41);
  if (gain >= k_program_gain)
    return fmt::format("winograd (auto): the whole program with those {} convs ran {:.2f}x as fast as without any "
                       "(timed while compiling; kept at >= {:.2f}x)", low.winograd_convs, gain, k_program_gain);
  const int dropped = low.winograd_convs;
  for (std::string& n : low.notes)
    if (n.rfind("winograd (", 0) == 0) direct.notes.push_back(std::move(n));  // the per-conv timings
  low = std::move(direct);
  return fmt::format("winograd (auto): not used: the whole program with the {} convs picked above ran {:.2f}x as "
                     "fast as without any (timed while compiling; kept at >= {:.2f}x), so every conv is direct",
                     dropped, gain, k_program_gain);
}

class OnednnBackend : public Backend {
 public:
  std::string name() const override { return "onednn"; }
  std::string summary() const override {
    return fmt::format("oneDNN {} graph compiler: BN folding, post-op fusion, blocked layouts, one arena",
                       compat::runtime_version().str());
  }

  Support supports(const Graph& g, const Node& n, const CompileOptions& opt) const override {
    if (n.op == Op::AvgPool) {
      const auto& a = n.attr<PoolAttrs>();
      const Shape& xs = g.value(n.inputs[0]).shape;
      const Shape& ys = g.value(n.outputs[0]).shape;
      const bool pad = a.pad_top || a.pad_left || a.pad_bottom || a.pad_right;
      const bool overhang = (ys[2] - 1) * a.stride_h + a.kernel_h > xs[2] + a.pad_top + a.pad_bottom ||
                            (ys[3] - 1) * a.stride_w + a.kernel_w > xs[3] + a.pad_left + a.pad_right;
      if (a.count_include_pad && pad && overhang)
        return {false, "ceil-mode average pooling that counts padding has no oneDNN equivalent"};
    }
    if (n.op == Op::Add || n.op == Op::Mul) {
      const Shape& ys = g.value(n.outputs[0]).shape;
      if (g.value(n.inputs[0]).shape != ys && g.value(n.inputs[1]).shape != ys)
        return {false, "both operands broadcast"};
    }
    for (ValueId v : n.inputs)
      if (g.value(v).dtype != DType::F32) return {false, "only fp32 tensors"};
    return {};
  }

  nlohmann::json diagnostics(const CompileOptions& opt) const override {
    nlohmann::json j;
    const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
    j["version"] = compat::runtime_version().str();
    if (compat::runtime_version() != compat::header_version())
      j["built_against"] = compat::header_version().str();
    j["isa"] = compat::isa_name(isa);
    j["threading"] = "OpenMP";
    j["omp_max_threads"] = omp_get_max_threads();
    if (!compat::has_avx512_core(isa))
      j["warnings"] = {"oneDNN does not use AVX-512 on this machine: convolutions will be slower"};
    return j;
  }

  std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions& opt) const override {
    const auto t0 = std::chrono::steady_clock::now();
    check_extra_options(*this, opt, {"fuse", "depthwise_fusion", "inplace_concat", "layout", "winograd", "calibration_inputs"});
    if (opt.device != "cpu") fail("backend 'onednn' runs on the cpu only, not on '{}'", opt.device);
    if (opt.precision != Precision::F32 && opt.precision != Precision::BF16 && opt.precision != Precision::I8)
      fail("backend 'onednn' computes in fp32, bf16 or int8, not {}", precision_name(opt.precision));
    const bool int8 = opt.precision == Precision::I8;
    const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
    const bool native_bf16 = compat::has_native_bf16(isa);
    // avx512_core and avx512_core_vnni emulate bf16 (oneDNN's bf16 kernels need avx512_core at least).
    if (opt.precision == Precision::BF16 && !compat::has_avx512_core(isa)) throw Error(bf16_refusal(compat::isa_name(isa)));
    if (opt.threads < 1) fail("backend 'onednn': threads must be >= 1, got {}", opt.threads);
    if (!weights_materialized(g)) fail("model '{}' has no weights yet (materialize_weights first)", g.name);
    check_supported(*this, g, opt);
    Options o = parse_options(opt);
    o.lower.bf16 = opt.precision == Precision::BF16;
    // int8 lowers convolutions with eltwise and residual-sum post-ops; the 1x1+depthwise fusion needs scales
    // of its own (docs/int8_design.md), not written yet.
    if (int8) o.depthwise = false;
    // oneDNN sizes its kernels' work split by the thread count current when a primitive is created.
    omp_set_num_threads(opt.threads);

    Graph work = g;
    passes::PipelineOptions popt;
    popt.fold_batch_norm = o.fuse;
    passes::PassReport generic = passes::run_inference_pipeline(work, popt);
    Plan plan = make_plan(std::move(work), std::move(generic));
    if (o.fuse) {
      fuse_sum(plan);
      fuse_eltwise(plan);
      fuse_flatten_linear(plan);
      if (o.depthwise) fuse_depthwise(plan, cpu_engine(), o.depthwise_force);
    }
    std::string calibration;
    if (int8) {
      // Ranges from the reference backend on the graph as lowered (BatchNorm folded), so every int8 backend
      // could be given the same scales; 7-bit activations where u8 x s8 pair sums would saturate.
      const auto c0 = std::chrono::steady_clock::now();
      const CalibrationOptions& co = o.calibration;
      // The CPU's answer too, which the torch backend's int8 takes: one set of scales unless oneDNN's ISA is capped.
      const bool reduce_range = !compat::has_int8_dot_product(isa) || !cpu_has_int8_dot_product();
      std::map<std::string, QParams> q;
      for (const auto& [name, range] : calibrate(plan.g, co)) q[name] = activation_params(range, reduce_range);
      o.lower.int8 = std::move(q);
      calibration = fmt::format(
          "int8: activation scales from {} calibration inputs on the reference backend ({:.0f} ms; u8 after ReLU, "
          "else s8; {}), per-output-channel s8 weights; residual adds fused into convolutions as int8 sums; "
          "concatenations in int8 where int8 reads them, splits and shuffles at their input's scale; no "
          "1x1+depthwise fusion",
          co.inputs, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - c0).count(),
          reduce_range ? "7-bit: no VNNI dot products on this CPU" : "8-bit");
    }
    const auto t1 = std::chrono::steady_clock::now();
    Lowered low;
    std::string winograd_program;
    try {
      low = lower(plan, cpu_engine(), o.lower);
      if (o.lower.winograd == WinogradMode::Auto && low.winograd_convs > 0)
        winograd_program = keep_winograd_if_faster(plan, o.lower, low, opt.threads);
    } catch (const dnnl::error& e) {
      fail("backend 'onednn' could not compile model '{}': {} ({})", g.name, e.what(), dnnl_status2str(e.status));
    }

    const auto t2 = std::chrono::steady_clock::now();
    auto ms_between = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
    Description d;
    d.backend = "onednn";
    d.ops_executed = static_cast<int64_t>(low.prog.execs.size());
    d.fast_algorithm_convs = low.winograd_convs;
    d.fusions = plan.report.applied;
    d.fusions.insert(d.fusions.end(), low.applied.begin(), low.applied.end());
    d.reorders = low.prog.reorders;
    d.notes.push_back(fmt::format("oneDNN {}, isa {}, {} OpenMP thread(s), {}", compat::runtime_version().str(),
                                  compat::isa_name(isa), opt.threads,
                                  int8 ? "int8 (int32 accumulation)"
                                  : o.lower.bf16 ? (native_bf16 ? "bf16 (AVX512-BF16 instructions; fp32 accumulation)"
                                                                : "bf16 (emulated on avx512_core; fp32 accumulation)")
                                                 : "fp32"));
    if (int8) d.notes.push_back(calibration);
    if (!o.fuse) d.notes.push_back("fusion disabled (fuse=off): every node runs as its own primitive");
    if (!o.lower.blocked_layouts) d.notes.push_back("layout=plain: activations kept in nchw");
    std::map<std::string, int> impls;
    for (const Exec& e : low.prog.execs) impls[e.kind + ":" + e.impl]++;
    for (const auto& [impl, count] : impls) d.notes.push_back(fmt::format("{} x{}", impl, count));
    for (const std::string& r : plan.report.rejected) d.notes.push_back("not fused: " + r);
    for (const std::string& r : low.rejected) d.notes.push_back("not fused: " + r);
    for (const std::string& r : low.notes) d.notes.push_back(r);
    if (!winograd_program.empty()) d.notes.push_back(winograd_program);
    auto exe = std::make_unique<OnednnExecutable>(std::move(plan.g), std::move(low.prog), std::move(d), opt.threads);
    const auto t3 = std::chrono::steady_clock::now();
    exe->add_note(fmt::format("compile: passes+fusion {:.1f} ms, primitives+weights {:.1f} ms, memory plan {:.1f} ms",
                              ms_between(t0, t1), ms_between(t1, t2), ms_between(t2, t3)));
    exe->set_compile_ms(ms_between(t0, t3));
    return exe;
  }
};

}  // namespace
}  // namespace onednn

std::unique_ptr<Backend> make_onednn_backend() { return std::make_unique<onednn::OnednnBackend>(); }

}  // namespace fb
