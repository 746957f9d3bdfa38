// Reads `formbench explain --json` files and prints one row per model: the speedup, each part of the gain
// as a share of it, and how many models keep the residual under 15% of the gain.
'use strict';
const fs = require('fs');
const rows = [];
for (const file of process.argv.slice(2)) {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const a of j.attributions || []) {
    const g = a.gain_ms;
    const pct = (ms) => (g !== 0 ? (100 * ms) / g : 0);
    const p = a.parts_ms;
    rows.push({
      model: j.model,
      speedup: a.native_ms / a.accelerated_ms,
      native: a.native_ms,
      accel: a.accelerated_ms,
      overhead: pct(p.overhead), fusion: pct(p.fusion), layout: pct(p.layout), kernels: pct(p.kernels),
      residual: pct(p.residual),
      drift: pct(p.drift || 0),
      top: a.top.find((t) => t.part !== 'residual' && t.part !== 'drift'),
    });
  }
}
const cols = ['model', 'speedup', 'torch ms', 'onednn ms', 'overhead%', 'fusion%', 'layout%', 'kernels%', 'residual%', 'drift%', 'largest part'];
const out = rows.map((r) => [r.model, r.speedup.toFixed(2) + 'x', r.native.toFixed(3), r.accel.toFixed(3),
  r.overhead.toFixed(0), r.fusion.toFixed(0), r.layout.toFixed(0), r.kernels.toFixed(0), r.residual.toFixed(0), r.drift.toFixed(0),
  r.top ? r.top.sentence : '']);
const width = cols.map((c, i) => Math.max(c.length, ...out.map((o) => String(o[i]).length)));
const line = (cells) => '| ' + cells.map((c, i) => (i === cells.length - 1 ? String(c) : String(c).padEnd(width[i]))).join(' | ') + ' |';
console.log(line(cols));
console.log('|' + width.map((w, i) => '-'.repeat(i === cols.length - 1 ? 3 : w + 2)).join('|') + '|');
for (const o of out) console.log(line(o));
const within = rows.filter((r) => Math.abs(r.residual) < 15).length;
const both = rows.filter((r) => Math.abs(r.residual + r.drift) < 15).length;
console.log(`\nresidual under 15% of the gain: ${within} of ${rows.length}; residual + drift: ${both} of ${rows.length}`);
