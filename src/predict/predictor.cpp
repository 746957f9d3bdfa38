#include "predict/predictor.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "models/model_ref.h"
#include "report/results_db.h"

namespace fb::predict {
namespace {

// A stored step's kind by its name (layer_kind_name); a database older than kinds has computes only.
LayerKind kind_of(const std::string& name) {
  for (LayerKind k : {LayerKind::Reorder, LayerKind::Copy, LayerKind::Overhead})
    if (name == layer_kind_name(k)) return k;
  return LayerKind::Compute;
}

// One measured network of one backend: its kernels' profiled times and its end-to-end median.
struct Network {
  double kernels_ms = 0, median_ms = 0;
  int kernels = 0;
};

}  // namespace

bool usable_point(const report::Record& r, const std::string& precision, int batch, std::optional<int> threads) {
  return r.status == report::Status::Measured && r.median_ms && r.options.empty() && r.device == "cpu" &&
         r.agreement_passed != false && r.precision == precision && r.batch == batch &&
         (!threads || r.threads == *threads);
}

const Graph& GraphCache::at(const std::string& ref, int64_t batch) {
  auto it = graphs_.find({ref, batch});
  if (it == graphs_.end()) {
    Graph g = load_model(ref, with_weights_);
    if (g.batch() != batch) set_batch(g, batch);
    it = graphs_.emplace(std::pair{ref, batch}, std::move(g)).first;
  }
  return it->second;
}

Predictor fit_predictor(const std::vector<std::string>& dbs, const FitOptions& opt) {
  struct Use {
    const report::ResultsDb* db;
    const report::Record* r;
  };
  std::vector<report::ResultsDb> loaded;
  for (const std::string& path : dbs) loaded.push_back(report::load_results(path));
  std::vector<Use> uses;
  std::set<int64_t> threads;
  for (const report::ResultsDb& db : loaded)
    for (const report::Record& r : db.records) {
      const bool wanted = opt.backends.empty() ||
                          std::find(opt.backends.begin(), opt.backends.end(), r.backend) != opt.backends.end();
      // A profile from before steps named their nodes cannot be split into kernels.
      const bool has_nodes = std::all_of(r.layers.begin(), r.layers.end(),
                                         [](const report::LayerTiming& l) { return l.kind == "overhead" || !l.nodes.empty() || l.kind == "reorder"; });
      if (!usable_point(r, opt.precision, opt.batch, opt.threads) || r.layers.empty() || !has_nodes || !wanted) continue;
      uses.push_back({&db, &r});
      threads.insert(r.threads);
    }
  if (uses.empty())
    fail("no measured point of {} at batch {}{} in {} has a per-layer profile: measure with `explain = true` or "
         "`formbench predictor sample`",
         opt.precision, opt.batch, opt.threads ? fmt::format(", {} threads", *opt.threads) : "", fmt::join(dbs, ", "));
  if (threads.size() > 1)
    fail("the profiles were measured at {} thread counts ({}): choose one with --threads", threads.size(),
         fmt::join(threads, ", "));

  Predictor p;
  p.fitted_for.threads = static_cast<int>(*threads.begin());
  p.fitted_for.batch = opt.batch;
  p.fitted_for.precision = opt.precision;
  // One machine: the same CPU, CPU count and library versions in every database (facts read defensively: a
  // database is a user's file).
  std::set<std::string> machines;
  for (const Use& u : uses) {
    const report::Machine* m = u.r->machine_id ? u.db->machine(*u.r->machine_id) : nullptr;
    const nlohmann::json facts = m && m->facts.is_object() ? m->facts : nlohmann::json::object();
    FittedFor f;
    f.cpu_model = facts.contains("cpu_model") && facts["cpu_model"].is_string() ? facts["cpu_model"].get<std::string>() : "unknown";
    f.logical_cpus = facts.contains("logical_cpus") && facts["logical_cpus"].is_number_integer() ? facts["logical_cpus"].get<int>() : 0;
    if (facts.contains("libraries") && facts["libraries"].is_object()) f.libraries = facts["libraries"];
    const std::string key = fmt::format("'{}', {} logical CPUs, {}", f.cpu_model, f.logical_cpus, f.libraries.dump());
    if (machines.insert(key).second && machines.size() == 1) {
      p.fitted_for.cpu_model = f.cpu_model;
      p.fitted_for.logical_cpus = f.logical_cpus;
      p.fitted_for.libraries = f.libraries;
    }
  }
  if (machines.size() > 1)
    fail("the profiles come from {} machines or builds ({}): a predictor is for one; fit one per machine",
         machines.size(), fmt::join(machines, "; "));

  GraphCache graphs(/*with_weights=*/false);
  std::map<std::pair<std::string, int64_t>, Featurizer> featurizers;  // one per graph: its cost computed once
  std::map<std::string, std::vector<Sample>> samples;
  std::map<std::string, std::vector<Network>> networks;
  std::map<std::string, int> per_db;
  for (const Use& u : uses) {
    const report::Record& r = *u.r;
    auto f = featurizers.find({r.model, r.batch});
    if (f == featurizers.end())
      f = featurizers.emplace(std::pair{r.model, r.batch}, Featurizer(graphs.at(r.model, r.batch))).first;
    const Featurizer& fz = f->second;
    Network n;
    n.median_ms = *r.median_ms;
    for (const report::LayerTiming& l : r.layers) {
      if (l.kind == "overhead") continue;
      const LayerTime step{l.name, l.op, l.ms, l.nodes, kind_of(l.kind)};
      try {
        samples[r.backend].push_back({fz.features(step), l.ms});
      } catch (const Error& e) {
        fail("{}: point {} ({} on {}): {}", u.db->path, r.point_id, r.model, r.backend, e.what());
      }
      n.kernels_ms += l.ms;
      ++n.kernels;
    }
    networks[r.backend].push_back(n);
    ++per_db[u.db->path];
  }
  for (const auto& [path, count] : per_db) p.sources.push_back(fmt::format("{}: {} profiled points", path, count));

  for (const auto& [backend, list] : samples) {
    BackendModel m;
    m.kernels = KernelModel::fit(list, opt.min_class_samples);
    m.kernel_samples = static_cast<int>(list.size());
    std::vector<std::vector<double>> x;
    std::vector<double> y;
    for (const Network& n : networks[backend]) {  // rows divided by the median: least relative error
      x.push_back({1.0 / n.median_ms, n.kernels / n.median_ms, n.kernels_ms / n.median_ms});
      y.push_back((n.median_ms - n.kernels_ms) / n.median_ms);
    }
    if (x.size() >= 3) {  // three coefficients; with fewer networks the kernels' sum is the prediction
      const std::vector<double> b = ridge_least_squares(x, y, 0.0);
      m.overhead_ms = b[0];
      m.overhead_ms_per_kernel = b[1];
      m.overhead_share = b[2];
    }
    m.networks = static_cast<int>(x.size());
    p.backends[backend] = std::move(m);
  }
  return p;
}

Prediction predict(const Predictor& p, const Graph& g, const std::string& backend,
                   const std::map<std::string, std::string>& backend_options) {
  const auto it = p.backends.find(backend);
  if (it == p.backends.end()) {
    std::vector<std::string> have;
    for (const auto& [name, m] : p.backends) have.push_back(name);
    fail("the predictor has no model for backend '{}' (it has: {})", backend, fmt::join(have, ", "));
  }
  CompileOptions o;
  o.threads = p.fitted_for.threads;
  o.precision = parse_precision(p.fitted_for.precision);
  o.extra = backend_options;
  const std::unique_ptr<Executable> exe = make_backend(backend)->compile(g, o);
  const std::vector<LayerTime> steps = exe->kernels();
  if (steps.empty()) fail("backend '{}' cannot list the kernels it compiles, so nothing can be predicted for it", backend);
  const Featurizer fz(g);
  Prediction out;
  out.backend = backend;
  for (const LayerTime& s : steps) {
    KernelPrediction k{{s, fz.features(s)}, 0.0};
    try {
      k.ms = it->second.kernels.predict_ms(k.kernel.features);
    } catch (const Error& e) {
      fail("cannot predict {} on {}: kernel '{}': {}", g.name, backend, s.name, e.what());
    }
    out.kernels_ms += k.ms;
    out.kernels.push_back(std::move(k));
  }
  out.overhead_ms = it->second.outside_kernels_ms(static_cast<int>(steps.size()), out.kernels_ms);
  out.total_ms = out.kernels_ms + out.overhead_ms;
  if (!(out.total_ms > 0))
    fail("cannot predict {} on {}: its kernels ({:.4f} ms) and the time outside them ({:.4f} ms) add up to {:.4f} ms; "
         "the predictor's outside-kernels term does not hold for this network (fit it on more networks)",
         g.name, backend, out.kernels_ms, out.overhead_ms, out.total_ms);
  return out;
}

}  // namespace fb::predict
