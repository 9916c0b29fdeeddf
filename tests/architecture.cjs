// The rooms of DESIGN.md and STYLE.md, kept by a machine: `npm test` runs dependency-cruiser with
// these rules over app/ and relay/. One forbidden rule per line of the architecture.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-isomorphic',
      comment: 'app/lib/core runs in the worker, in Node and in tests: no DOM frameworks, storage or Node built-ins.',
      severity: 'error',
      from: { path: '^app/lib/core/' },
      to: { path: '(^node_modules/(svelte|@sveltejs|dexie|comlink|browser-image-compression)/)|^app/lib/(?!core/)|^relay/|^tests/(?!upstream/)', dependencyTypesNot: ['type-only'] }
    },
    {
      name: 'core-no-node-builtins',
      comment: 'core must run in the browser too; tests beside it may use Node.',
      severity: 'error',
      from: { path: '^app/lib/core/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['core'] }
    },
    {
      name: 'only-db-imports-dexie',
      severity: 'error',
      from: { path: '^app/', pathNot: '^app/lib/db/' },
      to: { path: '^node_modules/dexie/' }
    },
    {
      name: 'only-worker-boundaries-import-comlink',
      comment: 'Workers and the modules that start them live in app/lib/(engine|db|imaging); state, components and routes call those modules, never Comlink (core is kept out by core-is-isomorphic).',
      severity: 'error',
      from: { path: '^app/', pathNot: '^app/lib/(engine|db|imaging)/' },
      to: { path: '^node_modules/comlink/' }
    },
    {
      name: 'logic-below-ui',
      comment: 'engine, db and imaging hold logic testable in Node: no state, components or routes.',
      severity: 'error',
      from: { path: '^app/lib/(engine|db|imaging)/' },
      to: { path: '^app/(routes/|lib/(state|components)/)|\\.svelte$' }
    },
    {
      name: 'state-below-components',
      severity: 'error',
      from: { path: '^app/lib/state/' },
      to: { path: '^app/(routes/|lib/components/)' }
    },
    {
      name: 'components-below-routes',
      severity: 'error',
      from: { path: '^app/lib/components/' },
      to: { path: '^app/routes/' }
    },
    {
      name: 'i18n-is-a-leaf',
      severity: 'error',
      from: { path: '^app/lib/i18n/' },
      to: { path: '^app/(routes/|lib/(?!i18n/))' }
    },
    {
      name: 'relay-uses-only-core',
      comment: 'The relay imports the isomorphic provider layer and nothing else of the app.',
      severity: 'error',
      from: { path: '^relay/' },
      to: { path: '^app/(?!lib/core/)' }
    },
    {
      name: 'app-imports-only-relay-types',
      severity: 'error',
      from: { path: '^app/' },
      to: { path: '^relay/', dependencyTypesNot: ['type-only'] }
    },
    {
      name: 'product-never-imports-tests',
      comment: 'The test upstream is a stand-in for tests; the product never depends on it.',
      severity: 'error',
      from: { path: '^(app|relay)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^tests/' }
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '^(\\$app|\\$env|\\$service-worker|virtual:)' }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // SvelteKit's generated tsconfig states $lib relative to .svelte-kit/, which the resolver
    // misreads; architecture.resolve.cjs states the alias plainly.
    webpackConfig: { fileName: 'tests/architecture.resolve.cjs' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types', 'svelte'],
      extensions: ['.ts', '.js', '.svelte', '.d.ts'],
      mainFields: ['module', 'main', 'types']
    },
    exclude: { path: '(^|/)\\.svelte-kit/' }
  }
};
