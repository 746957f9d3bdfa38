#include "measure/compare_run.h"

#include <algorithm>

#include <fmt/format.h>

#include "backends/accuracy.h"
#include "core/error.h"
#include "core/table.h"
#include "measure/affinity.h"
#include "measure/ceilings.h"
#include "measure/report.h"
#include "measure/runner.h"

namespace fb::measure {
nlohmann::json stats_json(const LatencyStats& st) {
  auto opt = [](bool has, double v) { return has ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"samples", st.n},
          {"min_ms", st.min},
          {"median_ms", st.median},
          {"mean_ms", st.mean},
          {"stddev_ms", opt(st.stddev.has_value(), st.stddev.value_or(0))},
          {"p90_ms", st.p90},
          {"p99_ms", st.p99},
          {"max_ms", st.max},
          {"ci95_low_ms", opt(st.ci.has_value(), st.ci ? st.ci->low : 0)},
          {"ci95_high_ms", opt(st.ci.has_value(), st.ci ? st.ci->high : 0)},
          {"throughput_ips", 1000.0 / st.median}};
}

std::string pick_native(const std::vector<std::string>& backends) {
  if (backends.empty()) fail("no backends to compare");
  for (const auto& b : backends)
    if (b == "torch") return b;
  return backends.front();
}

CompareResult run_compare(const CompareSettings& s, const std::function<void(const std::string&)>& progress) {
  auto say = [&](const std::string& m) {
    if (progress) progress(m);
  };
  if (s.backends.empty()) fail("--backends is empty");
  for (size_t i = 0; i < s.backends.size(); ++i)
    for (size_t j = i + 1; j < s.backends.size(); ++j)
      if (s.backends[i] == s.backends[j]) fail("backend '{}' is listed twice", s.backends[i]);
  check_option_scopes(s.base.extra, s.backends);
  CompareResult r;
  r.malloc_not_applied = apply_malloc_policy(s.base.malloc);
  r.settings = s;
  r.native = pick_native(s.backends);
  if (!s.base.pin.empty()) {
    r.affinity = pin_to_cpus(s.base.pin);
    r.pinned = true;
  } else {
    r.affinity = current_affinity();
  }
  std::vector<std::unique_ptr<Backend>> backends;
  for (const auto& name : s.backends) backends.push_back(make_backend(name));  // all names checked up front
  say("loading " + s.base.model);
  Graph g = load_and_record(s.base, r);
  Clock& clock = steady_clock();
  r.timer_overhead_ns = measure_timer_overhead_ns(clock);
  // Each backend gets its own options (--opt BACKEND:KEY=VALUE). Resolved up front: a bad --threads stops the
  // run even with keep_going.
  std::vector<CompileOptions> opts;
  for (const auto& name : s.backends) opts.push_back(compile_options(s.base, name));
  const std::vector<Tensor> inputs = make_inputs(g, s.base.seed);

  // Compile and run each backend once; with keep_going a failing backend is recorded and left out.
  std::vector<size_t> live;  // entries that are measured
  std::vector<std::unique_ptr<Executable>> exes(backends.size());
  std::vector<std::vector<Tensor>> outputs(s.backends.size());
  std::vector<Tensor> first_outputs(s.backends.size());
  for (size_t i = 0; i < backends.size(); ++i) {
    CompareEntry e;
    e.backend = s.backends[i];
    try {
      say("compiling on " + e.backend);
      int64_t t0 = clock.now_ns();
      exes[i] = backends[i]->compile(g, opts[i]);
      e.compile_ms = static_cast<double>(clock.now_ns() - t0) / 1e6;
      t0 = clock.now_ns();
      exes[i]->run(inputs, outputs[i]);
      e.first_inference_ms = static_cast<double>(clock.now_ns() - t0) / 1e6;
      if (outputs[i].empty()) fail("backend '{}' produced no output for '{}'", e.backend, g.name);
      first_outputs[i] = outputs[i][0].clone();
      live.push_back(i);
    } catch (const Error& err) {
      if (!s.keep_going) throw;
      e.error = err.what();
      exes[i].reset();
    }
    r.entries.push_back(std::move(e));
  }
  if (live.empty()) fail("no backend could run '{}': {}", g.name, r.entries.front().error);

  std::vector<std::unique_ptr<TimedStep>> timed;
  std::vector<std::function<void()>> steps;
  for (size_t i : live) {
    timed.push_back(make_timed_step(*exes[i], inputs, outputs[i], s.base.with_transfers));
    steps.push_back(timed.back()->step);
  }
  say("timing (interleaved rounds)");
  InterleaveSettings how{s.block, s.order_seed, nullptr};
  // The threads' placement matters where the host's threads share the work: CPU backends on 2+ threads.
  if (s.base.run.max_round_trip_ns > 0 && s.base.threads >= 2 && s.base.device == "cpu" && r.affinity.size() >= 2) {
    const double limit = s.base.run.max_round_trip_ns;
    r.placement.max_round_trip_ns = limit;
    how.keep_round = [limit](const NoiseEvidence& e) { return !e.round_trip_ns || *e.round_trip_ns <= limit; };
  }
  Interleaved il = run_interleaved(steps, s.base.run, how, clock, [&](size_t round) {
    say(fmt::format("round {}: {} timed runs per backend", round, round * static_cast<size_t>(s.block)));
  });
  r.placement.rounds_rejected = il.rejected_rounds;
  r.placement.unmet = il.gate_unmet;
  for (RoundLog& round : il.rounds)
    for (size_t& k : round.order) k = live[k];  // step index -> entry index
  r.rounds = std::move(il.rounds);
  for (size_t k = 0; k < live.size(); ++k) {
    CompareEntry& e = r.entries[live[k]];
    timed[k]->adopt_device_samples(il.runs[k]);
    e.timing = timed[k]->mode;
    e.run = std::move(il.runs[k]);
    e.stats = compute_stats(e.run.samples_ms);
    e.describe = exes[live[k]]->describe();
  }
  timed.clear();
  const auto native_it = std::find_if(r.entries.begin(), r.entries.end(), [&](const CompareEntry& e) { return e.backend == r.native; });
  if (native_it->error.empty())
    for (CompareEntry& e : r.entries)
      if (&e != &*native_it && e.error.empty()) {
        e.round_ratios = round_ratios(native_it->run.samples_ms, e.run.samples_ms, s.block);
        e.speedup = paired_speedup({e.round_ratios});
      }
  // Hardware counters in runs of their own, after the interleaved rounds: counting one backend's blocks
  // inside the rounds would bracket every block with system calls.
  for (size_t i : live) {
    CompareEntry& e = r.entries[i];
    if (!s.base.counters) {
      e.counters.reason = "not requested (--no-counters)";
      continue;
    }
    auto perf = make_linux_perf_sys();
    CounterSession session(*perf);
    const int n = std::max(3, s.base.run.min_runs);
    session.start();
    for (int k = 0; k < n; ++k) exes[i]->run(inputs, outputs[i]);
    session.stop();
    e.counters = session.result(n);
  }
  if (s.per_layer) {
    // In rounds that alternate the backends (the order reversed every other round), as the timed runs do: a
    // drift of the machine during the profiles then moves both sides alike. Each backend's profile in a
    // round follows as many unprofiled runs, whose median is its latency in this phase: the profile is
    // compared with that, not with the timed rounds minutes before, and any drift between the two phases is
    // shown apart (attribution.h). Each figure is the mean over the rounds, weighted by their runs.
    const int rounds = std::clamp(s.per_layer_iterations, 1, 5);
    say(fmt::format("per-layer profiles: {} runs per backend in {} rounds", s.per_layer_iterations, rounds));
    for (int round = 0; round < rounds; ++round) {
      const int n = s.per_layer_iterations / rounds + (round < s.per_layer_iterations % rounds ? 1 : 0);
      const double w = static_cast<double>(n) / s.per_layer_iterations;
      std::vector<size_t> order = live;
      if (round % 2 == 1) std::reverse(order.begin(), order.end());
      for (size_t i : order) {
        std::vector<double> plain;
        exes[i]->run(inputs, outputs[i]);  // untimed: the other backend's profile just left its caches cold
        for (int k = 0; k < n; ++k) {
          const int64_t t0 = clock.now_ns();
          exes[i]->run(inputs, outputs[i]);
          plain.push_back(static_cast<double>(clock.now_ns() - t0) / 1e6);
        }
        r.entries[i].profile_phase_ms += w * median_in_place(plain);
        std::vector<LayerTime> got = exes[i]->profile_layers(inputs, n);
        std::vector<LayerTime>& have = r.entries[i].layers;
        if (round == 0) {
          have = std::move(got);
          for (LayerTime& l : have) l.ms *= w;
        } else {
          FB_ASSERT(got.size() == have.size());  // the same steps in every call
          for (size_t k = 0; k < got.size(); ++k) have[k].ms += w * got[k].ms;
        }
      }
    }
    for (size_t i : live) r.entries[i].layers_supported = !r.entries[i].layers.empty();
    if (native_it->layers_supported)
      for (CompareEntry& e : r.entries)
        if (&e != &*native_it && e.layers_supported)
          e.attribution = attribute(g, {native_it->backend, native_it->layers, native_it->stats.median, native_it->profile_phase_ms},
                                    {e.backend, e.layers, e.stats.median, e.profile_phase_ms});
  }
  if (s.base.check) {
    say("checking against the reference backend");
    r.agreement_tol = s.base.check_tol.value_or(tolerance_for(s.base.precision));
    // One reference run for all backends: on a large network it costs more than all their timed runs.
    if (!live.empty()) {
      const std::vector<Tensor> ref = reference_outputs(g, inputs);
      for (size_t i : live) r.entries[i].agreement = compare_outputs(ref[0], first_outputs[i], r.agreement_tol);
    }
    const PrecisionInfo& p = precision_info(s.base.precision);
    if (p.accuracy_inputs > 0 && !live.empty()) {
      say(fmt::format("accuracy of {} over {} inputs against the fp32 reference", p.name, p.accuracy_inputs));
      const auto acc_inputs = accuracy_inputs(g, p.accuracy_inputs);
      const std::vector<Tensor> ref = reference_first_outputs(g, acc_inputs);
      for (size_t i : live) r.entries[i].agreement->accuracy = judge_accuracy(ref, first_output_of_each(*exes[i], acc_inputs), p);
    }
  }
  exes.clear();
  if (s.base.cache_sim)
    for (size_t i : live) {
      say("simulating the cache of " + s.backends[i] + " under valgrind (slow)");
      r.entries[i].cache_sim = simulate_cache(s.base, s.backends[i], r.batch);
    }
  if (s.base.ceilings) r.ceilings = get_ceilings(s.base.threads);
  r.machine = collect_machine_facts();
  return r;
}

nlohmann::json CompareResult::to_json() const {
  nlohmann::json j;
  j["schema"] = "formbench.compare/2";
  j["model"] = settings.base.model;
  j["model_name"] = model_name;
  j["native"] = native;
  j["device"] = settings.base.device;
  j["precision"] = precision_name(settings.base.precision);
  j["threads"] = settings.base.threads;
  j["malloc"] = malloc_policy_name(settings.base.malloc);
  j["malloc_not_applied"] = malloc_not_applied ? nlohmann::json(*malloc_not_applied) : nlohmann::json(nullptr);
  j["batch"] = batch;
  j["input_shape"] = input_shape;
  j["block"] = settings.block;
  j["macs"] = cost.total.macs;
  j["flops"] = cost.total.flops;
  j["params"] = cost.total.params;
  j["weight_bytes"] = cost.total.weight_bytes;
  j["peak_activation_bytes"] = cost.peak_activation_bytes;
  j["ceilings"] = ceilings ? ceilings->to_json() : nlohmann::json(nullptr);
  j["timer_overhead_ns"] = timer_overhead_ns;
  j["order_seed"] = settings.order_seed;
  j["speedup_method"] =
      "median of per-round paired ratios median(native block) / median(backend block); 95% CI: bootstrap over "
      "the rounds of this one process (2000 resamples); between-process variation needs --processes";
  j["peak_gflops"] = ceilings ? nlohmann::json(ceilings->fma_peak_gflops) : nlohmann::json(nullptr);
  j["backends"] = nlohmann::json::array();
  for (const CompareEntry& e : entries) {
    if (!e.error.empty()) {
      j["backends"].push_back({{"backend", e.backend}, {"error", e.error}});
      continue;
    }
    nlohmann::json b = stats_json(e.stats);
    b["backend"] = e.backend;
    b["error"] = nullptr;
    b["samples_ms"] = e.run.samples_ms;
    b["warmup_runs"] = e.run.warmup_runs;
    b["stop_reason"] = stop_reason_name(e.run.stop);
    b["timer"] = e.timing.timer();
    b["host_transfers"] = e.timing.transfers();
    b["compile_ms"] = e.compile_ms;
    b["first_inference_ms"] = e.first_inference_ms;
    b["images_per_s"] = 1000.0 / e.stats.median * static_cast<double>(batch);
    const double gflops = static_cast<double>(cost.total.flops) / (e.stats.median * 1e6);
    b["achieved_gflops"] = gflops;
    put_pct_of_peak(b, gflops, j["peak_gflops"], precision_name(settings.base.precision), settings.base.device,
                    e.describe.fast_algorithm_convs);
    if (e.speedup) {
      b["speedup"] = e.speedup->speedup;
      b["speedup_ci95_low"] = e.speedup->low;
      b["speedup_ci95_high"] = e.speedup->high;
      b["round_ratios"] = e.round_ratios;
    } else {
      b["speedup"] = e.backend == native ? nlohmann::json(1.0) : nlohmann::json(nullptr);
      b["speedup_ci95_low"] = nullptr;
      b["speedup_ci95_high"] = nullptr;
    }
    if (e.agreement) {
      b["agreement"] = e.agreement->to_json();
      b["agreement"]["tolerance"] = agreement_tol;
      b["agreement"]["passed"] = e.agreement->passed(agreement_tol);
    } else {
      b["agreement"] = nullptr;
    }
    b["describe"] = e.describe.to_json();
    b["counters"] = counters_json(e.counters, e.cache_sim);
    b["hardware_counters"] = e.counters.to_json();
    b["cache_sim"] = e.cache_sim ? e.cache_sim->to_json() : nlohmann::json(nullptr);
    if (settings.per_layer) {
      b["per_layer_supported"] = e.layers_supported;
      b["layers"] = nlohmann::json::array();
      for (const LayerTime& l : e.layers)
        b["layers"].push_back({{"name", l.name}, {"op", l.op}, {"ms", l.ms}, {"kind", layer_kind_name(l.kind)}, {"nodes", l.nodes}});
      b["profile_phase_ms"] = e.profile_phase_ms;
      b["attribution"] = e.attribution ? e.attribution->to_json() : nlohmann::json(nullptr);
    }
    j["backends"].push_back(b);
  }
  j["rounds"] = nlohmann::json::array();
  for (const RoundLog& round : rounds) {
    nlohmann::json o = round.noise.to_json();
    o["kept"] = round.kept;
    o["order"] = nlohmann::json::array();
    for (size_t i : round.order) o["order"].push_back(entries[i].backend);
    j["rounds"].push_back(o);
  }
  j["placement"] = placement.to_json();
  j["beside_other_measurement"] = beside_other_measurement;
  j["pinned"] = pinned;
  j["affinity_cpus"] = affinity;
  j["machine"] = machine.to_json();
  return j;
}

std::string CompareResult::table() const {
  std::string out = fmt::format("{}: {} thread(s), batch {}, input {}, {} ({}), measured alternately in blocks of {}\n",
                                settings.base.model, settings.base.threads, batch, shape_str(input_shape),
                                precision_name(settings.base.precision), settings.base.device, settings.block);
  TextTable t({"backend", "samples", "median ms", "95% CI", "p90 ms", "speedup vs " + native, "speedup 95% CI",
               "GFLOP/s", "compile ms", "first ms", "agreement"});
  for (const CompareEntry& e : entries) {
    if (!e.error.empty()) {
      t.add_row({e.backend, "0", "failed: " + e.error, "", "", "", "", "", "", "", ""});
      continue;
    }
    const double gflops = static_cast<double>(cost.total.flops) / (e.stats.median * 1e6);
    std::string agree = "-";
    if (e.agreement)
      agree = fmt::format("{} {:.1e}", e.agreement->passed(agreement_tol) ? "ok" : "FAIL", e.agreement->rel_max_error);
    t.add_row({e.backend, std::to_string(e.stats.n), fmt_ms(e.stats.median),
               e.stats.ci ? fmt::format("[{}, {}]", fmt_ms(e.stats.ci->low), fmt_ms(e.stats.ci->high)) : "n/a",
               fmt_ms(e.stats.p90), e.speedup ? fmt::format("{:.3f}x", e.speedup->speedup) : "1 (native)",
               e.speedup ? fmt::format("[{:.3f}, {:.3f}]", e.speedup->low, e.speedup->high) : "",
               fmt::format("{:.2f}", gflops), fmt_ms(e.compile_ms), fmt_ms(e.first_inference_ms), agree});
  }
  out += t.str() + "\n";
  for (const CompareEntry& e : entries) {
    if (!e.error.empty()) continue;
    out += fmt::format("  {}\n", e.describe.summary());
    if (e.timing.resident || e.timing.device_timer)
      out += fmt::format("    timing: {}, host transfers {}\n", e.timing.timer(), e.timing.transfers());
    for (const auto& n : e.describe.notes) out += fmt::format("    note: {}\n", n);
    if (e.agreement) out += fmt::format("    agreement: {}\n", e.agreement->summary());
  }
  if (std::any_of(entries.begin(), entries.end(), [&](const CompareEntry& e) { return e.timing.timer() != entries.front().timing.timer() || e.timing.transfers() != entries.front().timing.transfers(); }))
    out += "  note: the backends were timed differently (timer or host transfers differ): compare with care\n";
  if (settings.per_layer) {
    for (const CompareEntry& e : entries) {
      if (!e.layers_supported) {
        out += fmt::format("\nper-layer times: {} cannot profile layers\n", e.backend);
        continue;
      }
      std::vector<LayerTime> ls = e.layers;
      double total = 0;
      for (const auto& l : ls) total += l.ms;
      std::stable_sort(ls.begin(), ls.end(), [](const LayerTime& a, const LayerTime& b) { return a.ms > b.ms; });
      TextTable lt({"layer", "op", "ms", "%"});
      const size_t shown = std::min<size_t>(ls.size(), 15);
      for (size_t i = 0; i < shown; ++i)
        lt.add_row({ls[i].name, ls[i].op, fmt_ms(ls[i].ms), fmt::format("{:.1f}", total > 0 ? 100 * ls[i].ms / total : 0)});
      out += fmt::format("\nper-layer times on {} (top {} of {}; profiled run {} ms, unprofiled runs beside the profiles {} "
                         "ms, timed rounds {} ms):\n{}",
                         e.backend, shown, ls.size(), fmt_ms(total), fmt_ms(e.profile_phase_ms), fmt_ms(e.stats.median), lt.str());
    }
  }
  out += placement.note(rounds.size());
  if (malloc_not_applied) out += "note: " + *malloc_not_applied + "\n";
  out += fmt::format("speedup: median of per-round paired ratios; its CI covers the rounds of this one process "
                     "(--processes K adds the variation between processes); machine: {}, formbench {} ({}), {}\n",
                     machine.cpu_model, machine.formbench_version, machine.git_revision, machine.timestamp);
  return out;
}

std::string CompareResult::csv() const {
  static const std::vector<std::string> cols = {
      "model",       "backend",          "native",        "threads",           "batch",         "samples",
      "median_ms",   "ci95_low_ms",      "ci95_high_ms",  "mean_ms",           "p90_ms",        "p99_ms",
      "min_ms",      "max_ms",           "speedup",       "speedup_ci95_low",  "speedup_ci95_high",
      "achieved_gflops", "compile_ms",   "first_inference_ms", "agreement.rel_max_error", "agreement.passed"};
  const nlohmann::json j = to_json();
  std::string out = csv_header(cols);
  for (nlohmann::json b : j["backends"]) {
    if (!b["error"].is_null()) continue;
    b["model"] = j["model"];
    b["native"] = j["native"];
    b["threads"] = j["threads"];
    b["batch"] = j["batch"];
    out += csv_row(b, cols);
  }
  return out;
}

}  // namespace fb::measure
