/**
 * Runs a job in a fresh child process (`bench/child.ts`) and reads its result line. A child
 * that fails, hangs past the time limit or prints no result rejects with why.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { type Job, type JobResult, RESULT_PREFIX } from './jobs';

const RUN_TS = resolve(__dirname, '../bin/run-ts.js');
const CHILD = resolve(__dirname, 'child.ts');

export function runJob(job: Job, timeoutMs: number): Promise<JobResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [RUN_TS, CHILD, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (timedOut) return reject(new Error(`${job.kind} timed out after ${timeoutMs / 1000} s`));
      if (code !== 0 || !line) {
        const why = stderr.trim().split('\n')[0] ?? '';
        return reject(new Error(`${job.kind} exited ${code ?? signal}${why ? `: ${why}` : ''}`));
      }
      resolvePromise(JSON.parse(line.slice(RESULT_PREFIX.length)) as JobResult);
    });
  });
}
