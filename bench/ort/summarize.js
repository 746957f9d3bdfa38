#!/usr/bin/env node
// Markdown table from bench/ort/run.sh's results.jsonl: per model the median over rounds of each runtime's
// median, the ratio ORT / onednn (> 1: onednn faster) and the geometric mean of the ratios.
'use strict';
const fs = require('fs');
const [file, threads] = process.argv.slice(2);
const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const median = (v) => {
  const s = [...v].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const by = new Map();
for (const r of rows) {
  if (!by.has(r.model)) by.set(r.model, { onednn: [], ort: [] });
  by.get(r.model)[r.runtime].push(r.median_ms);
}
const version = (rows.find((r) => r.ort_version) || {}).ort_version || '?';
const rounds = Math.max(...rows.map((r) => r.round));
console.log(`onednn vs ONNX Runtime ${version} (CPU EP), batch 1, ${threads} thread(s), ${rounds} alternating round(s)\n`);
console.log('| model | onednn median ms | ORT median ms | ORT / onednn |');
console.log('|---|---|---|---|');
const ratios = [];
for (const [model, v] of [...by.entries()].sort()) {
  if (!v.onednn.length || !v.ort.length) { console.log(`| ${model} | missing | | |`); continue; }
  const a = median(v.onednn), b = median(v.ort), ratio = b / a;
  ratios.push(ratio);
  console.log(`| ${model} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${ratio.toFixed(2)}x |`);
}
const geo = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length);
console.log(`\nGeometric mean ORT / onednn over ${ratios.length} models: ${geo.toFixed(3)}x ` +
            `(min ${Math.min(...ratios).toFixed(2)}x, max ${Math.max(...ratios).toFixed(2)}x)`);
