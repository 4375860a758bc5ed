/**
 * nectar's layers (README "Layout"), checked by dependency-cruiser on every `npm test`:
 * `npm run lint:layers`. This file is the truth about what may import what.
 *
 * core <- targets, dag, discovery, executors, store <- scheduler (+dag) <- distributed
 * (+executors, store) <- runtime (the composition root and services) <- api, cli, testing.
 * The UI imports only its own files and the API's wire types; chain files only the public
 * entries (`nectar`, `nectar/testing`).
 */
const below = (layer, allowed) => ({
  name: `${layer}-imports-only-${allowed.join('-') || 'itself'}`,
  comment: `src/${layer} may import ${allowed.length ? allowed.map((a) => `src/${a}`).join(', ') : 'no other layer'} (and itself)`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: '^src/', pathNot: [`^src/${layer}/`, ...allowed.map((a) => `^src/${a}/`)] },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'no import cycles', severity: 'error', from: { path: '^(src|web/src)/' }, to: { circular: true } },
    below('core', []),
    below('targets', ['core']),
    below('dag', ['core']),
    below('discovery', ['core']),
    below('executors', ['core']),
    below('store', ['core']),
    below('scheduler', ['core', 'dag']),
    below('distributed', ['core', 'executors', 'store']),
    {
      name: 'runtime-is-below-its-users',
      comment: 'src/runtime builds every part; the API, the CLI and the test kit are built on it, never the reverse',
      severity: 'error',
      from: { path: '^src/runtime/' },
      to: { path: '^src/(api|cli|testing)/' },
    },
    below('api', ['runtime', 'core']),
    below('cli', ['runtime', 'api', 'core']),
    below('testing', ['runtime', 'core']),
    {
      name: 'web-imports-only-the-wire-types',
      comment: 'the UI talks to the API over HTTP: of src/ it imports only the wire module (and what that re-exports)',
      severity: 'error',
      from: { path: '^web/src/' },
      to: { path: '^src/', pathNot: ['^src/api/wire\\.ts$', '^src/core/states\\.ts$'] },
    },
    {
      name: 'chains-import-only-public-entries',
      comment: "chain files import only 'nectar' and 'nectar/testing' (src/index.ts, src/testing/index.ts)",
      severity: 'error',
      from: { path: '^chains/' },
      to: { path: '^src/', pathNot: ['^src/index\\.ts$', '^src/testing/index\\.ts$'] },
    },
    {
      name: 'only-public-entries-reach-into-src',
      comment: 'the public entries are for chain authors; nothing inside src imports them',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/index\\.ts$', '^src/testing/index\\.ts$'] },
      to: { path: ['^src/index\\.ts$', '^src/testing/index\\.ts$'] },
    },
    {
      name: 'no-unresolvable',
      comment: 'every import resolves (a typo in a path is caught here, not at run time)',
      severity: 'error',
      from: { path: '^(src|web/src|chains)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
