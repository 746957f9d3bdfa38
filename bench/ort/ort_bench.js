#!/usr/bin/env node
// Times one ONNX model on ONNX Runtime's CPU execution provider (npm onnxruntime-node), the way formbench
// times a backend: a fixed input created once, warm-up, then timed runs, median and order statistics.
//
//   node bench/ort/ort_bench.js MODEL.onnx [--threads 2] [--batch 1] [--warmup 3] [--warmup-time 200]
//        [--min-runs 10] [--min-time 1000] [--max-runs 10000] [--max-time 60000] [--seed 0]
//
// Session: intraOpNumThreads = T, interOpNumThreads = 1, sequential execution, graph optimisation level
// "all", CPU memory arena and memory patterns on (ORT's defaults, what a deployment uses). A symbolic batch
// dimension is set to --batch (a fixed one must equal it). The input tensor is built before timing; outputs are preallocated when the binding
// accepts that, so the timed loop only calls session.run. Each timed sample covers one `await
// session.run(...)`; the binding's dispatch cost (one setImmediate hop) is measured separately and
// reported as `dispatch_overhead_us`, not subtracted. Prints one JSON object (schema formbench.ort_bench/1).
'use strict';
const path = require('path');

function parse_args(argv) {
  const o = { threads: 2, batch: 1, warmup: 3, warmup_time: 200, min_runs: 10, min_time: 1000, max_runs: 10000,
              max_time: 60000, seed: 0, model: null };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (!a.startsWith('--')) { if (o.model) die(`unexpected argument '${a}'`); o.model = a; continue; }
    const key = a.slice(2).replace(/-/g, '_');
    if (!(key in o) || key === 'model') die(`unknown option '${a}'`);
    const v = Number(argv[++i]);
    if (!Number.isFinite(v) || v < 0) die(`option '${a}' needs a non-negative number`);
    o[key] = v;
  }
  if (!o.model) die('usage: ort_bench.js MODEL.onnx [--threads T] [--min-time MS] ...');
  if (o.threads < 1) die('--threads must be >= 1');
  if (o.batch < 1 || !Number.isInteger(o.batch)) die('--batch must be a positive integer');
  return o;
}

function die(msg) {
  process.stderr.write(`ort_bench: ${msg}\n`);
  process.exit(2);
}

function load_ort() {
  // node_modules lives at the repository root (bench/ort/../../node_modules).
  const roots = [path.join(__dirname, '..', '..', 'node_modules'), ...module.paths];
  for (const r of roots) {
    try { return require(path.join(r, 'onnxruntime-node')); } catch (e) { /* next */ }
  }
  die('onnxruntime-node not found: run `npm install` at the repository root');
}

// A deterministic input in [-1, 1) (the values do not change the work done by a CNN).
function fill(n, seed) {
  const a = new Float32Array(n);
  let x = (seed * 2654435761 + 12345) >>> 0;
  for (let i = 0; i < n; ++i) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    a[i] = x / 2147483648 - 1;
  }
  return a;
}

function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

const now_ms = () => Number(process.hrtime.bigint()) / 1e6;

async function main() {
  const o = parse_args(process.argv.slice(2));
  const ort = load_ort();
  const t0 = now_ms();
  const session = await ort.InferenceSession.create(o.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const load_ms = now_ms() - t0;
  if (session.inputNames.length !== 1) die(`expected one input, the model has ${session.inputNames.length}`);
  const meta = session.inputMetadata[0];
  if (meta.type !== 'float32') die(`input '${meta.name}' is ${meta.type}, expected float32`);
  const shape = meta.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? o.batch : 1));
  if (shape[0] !== o.batch) die(`the model's batch dimension is fixed at ${shape[0]}, not ${o.batch} (export with --dynamic-batch)`);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', fill(shape.reduce((a, b) => a * b, 1), o.seed), shape) };

  // First run: learn the output shapes, then try preallocated outputs (ORT writes into them).
  const first0 = now_ms();
  const first = await session.run(feeds);
  const first_inference_ms = now_ms() - first0;
  let fetches;
  try {
    const pre = {};
    for (const name of session.outputNames) {
      const t = first[name];
      pre[name] = new ort.Tensor('float32', new Float32Array(t.data.length), t.dims);
    }
    await session.run(feeds, pre);
    fetches = pre;
  } catch (e) {
    fetches = undefined;
  }
  const run = () => (fetches ? session.run(feeds, fetches) : session.run(feeds));

  // Warm-up: at least `warmup` runs and `warmup_time` ms.
  const w0 = now_ms();
  let warmup_runs = 0;
  while (warmup_runs < o.warmup || now_ms() - w0 < o.warmup_time) {
    await run();
    ++warmup_runs;
    if (warmup_runs >= 1000) break;
  }
  const warmup_ms = now_ms() - w0;

  // Timed runs: at least min_runs and min_time, at most max_runs and max_time.
  const samples = [];
  const p0 = now_ms();
  for (;;) {
    const a = now_ms();
    await run();
    samples.push(now_ms() - a);
    const elapsed = now_ms() - p0;
    if (samples.length >= o.max_runs || elapsed >= o.max_time) break;
    if (samples.length >= o.min_runs && elapsed >= o.min_time) break;
  }
  const timed_ms = now_ms() - p0;

  // The binding's dispatch cost: one setImmediate hop per run.
  const hops = [];
  for (let i = 0; i < 200; ++i) {
    const a = now_ms();
    await new Promise((r) => setImmediate(r));
    hops.push(now_ms() - a);
  }
  hops.sort((a, b) => a - b);

  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const out = {
    schema: 'formbench.ort_bench/1',
    model: o.model,
    runtime: `onnxruntime-node ${ort.env.versions.node || ''}`.trim(),
    ort_version: ort.env.versions.common,
    threads: o.threads,
    settings: { intra_op_threads: o.threads, inter_op_threads: 1, execution_mode: 'sequential',
                graph_optimization_level: 'all', preallocated_outputs: !!fetches },
    input_shape: shape,
    samples: samples.length,
    min_ms: sorted[0],
    median_ms: quantile(sorted, 0.5),
    mean_ms: mean,
    p90_ms: quantile(sorted, 0.9),
    max_ms: sorted[sorted.length - 1],
    load_ms,
    first_inference_ms,
    warmup_runs,
    warmup_ms,
    timed_ms,
    dispatch_overhead_us: quantile(hops, 0.5) * 1000,
    samples_ms: samples,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => die(e && e.message ? e.message : String(e)));
