#!/usr/bin/env node
// Markdown table from bench/ort/run.sh's results.jsonl: per model the median over rounds of each runtime's
// median, and the per-round ratio ORT / onednn (> 1: onednn faster) as its median and range over rounds
// (a round's two processes ran back to back, so a drift of the machine between rounds cancels in it); then
// the geometric mean of the per-model median ratios and how many models onednn won in every round.
'use strict';
const fs = require('fs');
const [file, threads, batch] = process.argv.slice(2);
const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const median = (v) => {
  const s = [...v].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const by = new Map();
for (const r of rows) {
  if (!by.has(r.model)) by.set(r.model, { onednn: new Map(), ort: new Map() });
  by.get(r.model)[r.runtime].set(r.round, r.median_ms);
}
const version = (rows.find((r) => r.ort_version) || {}).ort_version || '?';
const rounds = Math.max(...rows.map((r) => r.round));
console.log(`onednn vs ONNX Runtime ${version} (CPU EP), batch ${batch || 1}, ${threads} thread(s), ` +
            `${rounds} alternating round(s)\n`);
console.log('| model | onednn median ms | ORT median ms | ORT / onednn, median of rounds | range over rounds |');
console.log('|---|---|---|---|---|');
const ratios = [];
let every_round = 0, lost = [];
for (const [model, v] of [...by.entries()].sort()) {
  const paired = [...v.onednn.keys()].filter((r) => v.ort.has(r)).map((r) => v.ort.get(r) / v.onednn.get(r));
  if (!paired.length) { console.log(`| ${model} | missing | | | |`); continue; }
  const ratio = median(paired);
  ratios.push(ratio);
  if (Math.min(...paired) > 1) ++every_round;
  if (ratio < 1) lost.push(`${model} ${ratio.toFixed(2)}x`);
  console.log(`| ${model} | ${median([...v.onednn.values()]).toFixed(2)} | ${median([...v.ort.values()]).toFixed(2)} | ` +
              `${ratio.toFixed(2)}x | ${Math.min(...paired).toFixed(2)}-${Math.max(...paired).toFixed(2)} |`);
}
const geo = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length);
console.log(`\nGeometric mean ORT / onednn over ${ratios.length} models: ${geo.toFixed(3)}x ` +
            `(min ${Math.min(...ratios).toFixed(2)}x, max ${Math.max(...ratios).toFixed(2)}x); onednn faster in every ` +
            `round on ${every_round} of ${ratios.length}; ORT faster (median) on ${lost.length}${lost.length ? ': ' + lost.join(', ') : ''}`);
