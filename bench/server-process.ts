import { type ChildProcess, spawn } from 'node:child_process';

/** Start a node process and wait for its ready line; `ready`'s first group, if it has one, is the port. */
export function startProcess(cmd: string[], env: NodeJS.ProcessEnv, ready: RegExp, stream: 'stdout' | 'stderr'): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, cmd, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((res, rej) => {
    let text = '';
    child[stream]?.setEncoding('utf8').on('data', (s: string) => {
      text += s;
      const m = ready.exec(text);
      if (m) res({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => rej(new Error(`${cmd.join(' ')} exited ${code}: ${text}`)));
  });
}
