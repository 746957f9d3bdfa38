// Runs an ONNX model in ONNX Runtime (onnxruntime-node) for the cross-runtime tests:
//   node ort_run.js MODEL.onnx INPUT.f32 DIMS OUTPUT.f32
// INPUT.f32 holds raw little-endian float32 values of shape DIMS (e.g. 2x3x32x32); the first output is
// written the same way and its shape printed on stdout.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [model, inputPath, dimsText, outputPath] = process.argv.slice(2);
  if (!outputPath) throw new Error('usage: node ort_run.js MODEL.onnx INPUT.f32 DIMS OUTPUT.f32');
  const dims = dimsText.split('x').map(Number);
  const buf = fs.readFileSync(inputPath);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const session = await ort.InferenceSession.create(model, {graphOptimizationLevel: 'disabled', intraOpNumThreads: 1});
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(data), dims)};
  const out = (await session.run(feeds))[session.outputNames[0]];
  fs.writeFileSync(outputPath, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
  console.log(out.dims.join('x'));
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
