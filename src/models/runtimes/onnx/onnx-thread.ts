// The ONNX sessions of this process, on a thread of their own (see onnx-sessions.ts): onnxruntime-node
// loads a model and runs it synchronously in the calling thread, and that must not be the thread
// that acknowledges devices.
import { parentPort } from 'node:worker_threads';
import { basename } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { SessionReply, SessionRequest } from './onnx-protocol.js';

interface Session {
  session: ort.InferenceSession;
  input: string;
  output: string;
  features: number;
  file: string;
}

const sessions = new Map<number, Session>();

async function answer(req: SessionRequest): Promise<SessionReply> {
  if (req.load) {
    const { session: key, path, steps, features } = req.load;
    // One thread per session: the machine's cores belong to ingest; a window is tiny work.
    const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    const s = { session, input: session.inputNames[0], output: session.outputNames[0], features, file: basename(path) };
    sessions.set(key, s);
    // Whether the batch dimension is free: windows of many devices then run in one call.
    const batchable = await run(s, new Float32Array(2 * steps * features), 2).then(
      () => true,
      () => false,
    );
    return { id: req.id, ok: true, batchable };
  }
  if (req.run) {
    const s = sessions.get(req.run.session);
    if (!s) throw new Error(`no ONNX session ${req.run.session} on this thread`);
    const { data, batch, each } = req.run;
    if (!each || batch === 1) return { id: req.id, ok: true, output: await run(s, data, batch) };
    const size = data.length / batch;
    const outs: Float32Array[] = [];
    for (let i = 0; i < batch; i++) outs.push(await run(s, data.subarray(i * size, (i + 1) * size), 1));
    const output = new Float32Array(outs.reduce((n, o) => n + o.length, 0));
    let at = 0;
    for (const o of outs) {
      output.set(o, at);
      at += o.length;
    }
    return { id: req.id, ok: true, output };
  }
  const s = sessions.get(req.release!.session);
  sessions.delete(req.release!.session);
  await s?.session.release();
  return { id: req.id, ok: true };
}

async function run(s: Session, data: Float32Array, batch: number): Promise<Float32Array> {
  const dims = [batch, data.length / batch / s.features, s.features];
  const result = await s.session.run({ [s.input]: new ort.Tensor('float32', data, dims) });
  const t = result[s.output];
  if (t.dims[0] !== batch) throw new Error(`${s.file}: asked for ${batch} windows, got ${t.dims[0]}`);
  // A copy of its own: the reply hands its buffer over, and the tensor's may be the runtime's.
  return Float32Array.from(t.data as ArrayLike<number>);
}

// In the order asked: a run sent right behind its session's load (a new thread's reloads) waits for it.
let turn: Promise<void> = Promise.resolve();
parentPort!.on('message', (req: SessionRequest) => {
  turn = turn.then(() =>
    answer(req).then(
      (reply) => parentPort!.postMessage(reply, reply.output ? [reply.output.buffer as ArrayBuffer] : []),
      (err: Error) => parentPort!.postMessage({ id: req.id, ok: false, error: err.message } satisfies SessionReply),
    ),
  );
});
