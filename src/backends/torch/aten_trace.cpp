#include "backends/torch/aten_trace.h"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <vector>

#include <ATen/record_function.h>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace fb::torch_be {
namespace {

using Clock = std::chrono::steady_clock;

struct Event {
  int depth = 0;
  std::string name;
  std::vector<std::vector<int64_t>> shapes;
  Clock::time_point start, stop;
};

// One trace at a time, on the thread that runs the inference (thread-local callbacks: OpenMP workers
// never call operators, they only run kernels).
thread_local std::vector<Event>* t_events = nullptr;
thread_local int t_depth = 0;

struct Ctx : at::ObserverContext {
  size_t index = 0;
};

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  if (!t_events) return nullptr;
  Event e;
  e.depth = t_depth++;
  e.name = fn.name();
  for (const c10::IValue& v : fn.inputs())
    if (v.isTensor() && v.toTensor().defined()) e.shapes.push_back(v.toTensor().sizes().vec());
  e.start = Clock::now();
  auto ctx = std::make_unique<Ctx>();
  ctx->index = t_events->size();
  t_events->push_back(std::move(e));
  return ctx;
}

void on_end(const at::RecordFunction&, at::ObserverContext* ctx) {
  if (!t_events || !ctx) return;
  (*t_events)[static_cast<Ctx*>(ctx)->index].stop = Clock::now();
  --t_depth;
}

at::CallbackHandle g_handle = at::INVALID_CALLBACK_HANDLE;
std::vector<Event> g_events;
Clock::time_point g_start;

}  // namespace

std::unique_ptr<AtenTrace> AtenTrace::from_env(const std::string& model) {
  const char* p = std::getenv("FORMBENCH_TRACE_ATEN");
  if (!p || !*p) return nullptr;
  return std::unique_ptr<AtenTrace>(new AtenTrace(p, model));
}

AtenTrace::~AtenTrace() {
  if (g_handle != at::INVALID_CALLBACK_HANDLE) at::removeCallback(g_handle);
  g_handle = at::INVALID_CALLBACK_HANDLE;
}

void AtenTrace::begin() {
  if (g_handle == at::INVALID_CALLBACK_HANDLE)
    g_handle = at::addThreadLocalCallback(
        at::RecordFunctionCallback(on_start, on_end).needsInputs(true).scopes({at::RecordScope::FUNCTION}));
  g_events.clear();
  t_depth = 0;
  t_events = &g_events;
  g_start = Clock::now();
}

void AtenTrace::end() {
  const auto stop = Clock::now();
  t_events = nullptr;
  std::ofstream out(path_, std::ios::app);
  if (!out) fail("FORMBENCH_TRACE_ATEN: cannot write '{}'", path_);
  auto us = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::micro>(b - a).count();
  };
  // One line per inference ("wall") and per operator; times in microseconds.
  out << nlohmann::json{{"side", "formbench"}, {"model", model_}, {"run", run_}, {"wall_us", us(g_start, stop)}}.dump()
      << '\n';
  for (const Event& e : g_events)
    out << nlohmann::json{{"run", run_}, {"depth", e.depth}, {"op", e.name}, {"shapes", e.shapes},
                          {"us", us(e.start, e.stop)}}.dump()
        << '\n';
  ++run_;
}

}  // namespace fb::torch_be
