import { readFileSync, readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { join, relative } from 'node:path';
import { ERROR_CODES, NonRetryableError, deserializeError, serializeError } from '../../src/core/errors';
import { REPO } from '../helpers/runtime';

/** Every `.ts` file under `dir`, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

const LITERAL = /'([A-Z][A-Z0-9_]+)'/g;

/** Node's own error codes (`err.code === 'ENOENT'`, `'ERR_STREAM_PREMATURE_CLOSE'`): not nectar's. */
const isNodeCode = (code: string): boolean => Object.prototype.hasOwnProperty.call(constants.errno, code) || code.startsWith('ERR_');

/**
 * The codes a source text names, in every way the code base names one: thrown
 * (`new NectarError('X'`, `fail('X'`), put in an answer (`sendError(res, 404, ..., 'X')`,
 * `error: { code: 'X' }`), assigned or compared (`code = 'X'`, `let code: ErrorCode = 'X'`,
 * `code = a ? 'X' : 'Y'`, `err.code === 'X'`, a serialized `{ code: 'X' }`), and in the web UI,
 * the code of an `ApiError` (`new ApiError(status, 'X'`, `error?.code ?? 'X'`).
 */
function codesIn(text: string): Set<string> {
  const found = new Set<string>();
  const take = (fragment: string | undefined): void => {
    for (const m of (fragment ?? '').matchAll(LITERAL)) if (!isNodeCode(m[1] as string)) found.add(m[1] as string);
  };
  for (const m of text.matchAll(/\b(?:NectarError|fail)\(\s*('[A-Z][A-Z0-9_]+')/g)) take(m[1]);
  for (const m of text.matchAll(/\bsendError\(([^;]*)\)/g)) take(m[1]);
  // In `code = x === 'Y' ? ...` (an exit code) 'Y' is compared with something else, not a code.
  for (const m of text.matchAll(/\bcode\b\s*(?::\s*ErrorCode\s*)?(?:===|!==|\?\?|=|:)\s*([^;\n]*)/g)) take(m[1]?.replace(/(?:===|!==)\s*'[^']*'/g, ''));
  for (const m of text.matchAll(/\bnew ApiError\([^,]*,\s*('[A-Z][A-Z0-9_]+')/g)) take(m[1]);
  return found;
}

function codesUnder(dir: string): Map<string, string[]> {
  const where = new Map<string, string[]>();
  for (const file of sources(join(REPO, dir))) {
    for (const code of codesIn(readFileSync(file, 'utf8'))) where.set(code, [...(where.get(code) ?? []), relative(REPO, file)]);
  }
  return where;
}

/** The codes in README.md's error table (`| \`CODE\` | status | meaning |`), with their status. */
function readmeTable(readme: string): Map<string, number> {
  const start = readme.indexOf('| code | HTTP | meaning |');
  expect(start).toBeGreaterThan(-1);
  const rows = new Map<string, number>();
  for (const line of readme.slice(start).split('\n').slice(2)) {
    const m = /^\| `([A-Z][A-Z0-9_]*)` \| (\d{3}) \| .+ \|$/.exec(line);
    if (!m) break;
    rows.set(m[1] as string, Number(m[2]));
  }
  return rows;
}

describe('error codes', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const keys = Object.keys(ERROR_CODES);

  it('every code used in src/ is in ERROR_CODES', () => {
    const used = codesUnder('src');
    // The scanner itself: each way of naming a code is seen (a throw, a fail, an answer body, a
    // ternary, a comparison, a serialized error, a class field).
    expect([...used.keys()]).toEqual(expect.arrayContaining(['UNKNOWN_TASK', 'RUN_NOT_FOUND', 'NOT_FOUND', 'INTERNAL', 'MISSING_PARAM', 'BAD_CONFIG', 'INTERRUPTED', 'NON_RETRYABLE', 'UNAUTHORIZED']));
    const unknown = [...used].filter(([code]) => !keys.includes(code)).map(([code, files]) => `${code} (${files.join(', ')})`);
    expect(unknown).toEqual([]);
  });

  it('every code the web UI reads is in ERROR_CODES, but for its own two for answers with no nectar code', () => {
    // BAD_ANSWER: the answer was not JSON (a proxy's page); ERROR: a JSON error with no code.
    // Neither comes from nectar, so neither is in the table.
    const CLIENT_ONLY = ['BAD_ANSWER', 'ERROR'];
    const used = codesUnder('web/src');
    expect([...used.keys()]).toEqual(expect.arrayContaining(CLIENT_ONLY));
    expect([...used.keys()].filter((c) => !CLIENT_ONLY.includes(c) && !keys.includes(c))).toEqual([]);
    for (const c of CLIENT_ONLY) expect(keys).not.toContain(c);
  });

  it("README's error table has exactly the codes of ERROR_CODES, each with its HTTP status", () => {
    const table = readmeTable(readme);
    expect([...table.keys()].sort()).toEqual([...keys].sort());
    for (const [code, { status }] of Object.entries(ERROR_CODES)) expect({ code, status: table.get(code) }).toEqual({ code, status });
  });

  it('crosses a process boundary with name, message, stack and code', () => {
    const e = new NonRetryableError('bad input');
    const back = deserializeError(JSON.parse(JSON.stringify(serializeError(e))));
    expect(back).toBeInstanceOf(NonRetryableError);
    expect(back.message).toBe('bad input');
    expect(back.stack).toBe(e.stack);
    expect((back as Error & { code?: string }).code).toBe('NON_RETRYABLE');
  });
});
