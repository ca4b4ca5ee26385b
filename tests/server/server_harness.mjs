// Starts `gemma3 serve` on a synthetic tiny checkpoint (random weights, the real Gemma 3 tokenizer)
// for the Node server suites (structured, tools, Responses, Messages), and stops it. Random weights write random text: the tests
// check shapes, round trips and equalities, never what the text says.
import { spawn, spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BIN = process.env.GEMMA3_BIN;
if (!BIN || !fs.existsSync(BIN)) {
  console.error(`set GEMMA3_BIN to the built gemma3 program (got '${BIN ?? ''}')`);
  process.exit(1);
}

// Returns {base, model, log(), stop()}; `extra` are more serve flags; `seed` and `synthArgs` (e.g.
// ['--tokenizer', 'functiongemma']) choose the synthetic checkpoint.
export async function startServer(name, extra = [], { seed = 3, synthArgs = [] } = {}) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `gemma3-${name}-`));
  const ckpt = path.join(work, 'tiny');
  const synth = spawnSync(BIN, ['synth', '--preset', 'tiny', '--seed', String(seed), '-o', ckpt, ...synthArgs],
                          { encoding: 'utf8' });
  assert.equal(synth.status, 0, synth.stderr);
  const proc = spawn(BIN, ['serve', '-m', ckpt, '--port', '0', '-t', '1', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start:\n' + log)), 60000);
    proc.stderr.on('data', (d) => {
      log += d.toString();
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}):\n${log}`)); });
  });
  const base = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60000; ;) {
    const r = await fetch(`${base}/health`).catch(() => null);
    if (r?.status === 200) break;
    if (Date.now() > deadline) throw new Error('server never became ready:\n' + log);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    base,
    model: 'tiny',
    log: () => log,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.on('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}
