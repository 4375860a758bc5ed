import { basename } from 'node:path';
import { outputKeys } from '../core/binding';
import type { TargetStore } from '../core/target';
import type { AnyTask } from '../core/task';
import type { InlineOutputs } from './wire';

/** `Prefer: wait=5` (RFC 7240; other preferences may come with it) -> 5; undefined without one. */
export function preferWait(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const m = /(?:^|[,;]\s*)wait\s*=\s*"?(\d+)"?/i.exec(header);
  return m ? Number(m[1]) : undefined;
}

/** The bytes of a target if it has at most `cap` of them; undefined if it has more (read no further). */
async function readCapped(store: TargetStore, key: string, cap: number): Promise<Buffer | undefined> {
  const stream = store.target(key).createReadStream();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > cap) {
      stream.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** JSON outputs (`.json`) as JSON, valid UTF-8 as text; undefined for anything else (binary). */
function decode(key: string, bytes: Buffer): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  if (key.endsWith('.json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * A complete task's outputs for an inline answer: `output` when it has one, `outputs` by name
 * when several; `inline: false` and a reason (the client then follows `resource_url`) when one
 * is larger than `cap` bytes or not text.
 */
export async function inlineOutputs(task: AnyTask, store: TargetStore, cap: number): Promise<InlineOutputs> {
  const keys = outputKeys(task);
  const values: Record<string, unknown> = {};
  for (const key of keys) {
    const bytes = await readCapped(store, key, cap);
    if (bytes === undefined) return { inline: false, inline_reason: `${basename(key)} is larger than ${cap} bytes (NECTAR_INLINE_MAX_BYTES): download it from resource_url` };
    const value = decode(key, bytes);
    if (value === undefined) return { inline: false, inline_reason: `${basename(key)} is not text: download it from resource_url` };
    values[basename(key)] = value;
  }
  return keys.length === 1 ? { inline: true, output: Object.values(values)[0] } : { inline: true, outputs: values };
}
