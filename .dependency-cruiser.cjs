// The layer rules of docs/ARCHITECTURE.md, checked by `npm run lint` (depcruise). Each rule's
// comment says why it exists; a violation names the importing and the imported file.
const ENTRY_POINTS = [
  '^src/event-sourcing/index[.]ts$',
  '^src/event-sourcing/domain/index[.]ts$',
  '^src/event-sourcing/http/index[.]ts$',
  '^src/event-sourcing/postgres[.]ts$',
  '^src/event-sourcing/testing/index[.]ts$',
];
// The machinery's own tests and the benchmark measure its internals; everything else, the
// contexts and their tests above all, sees only the entry points.
const MACHINERY_INSIDERS = [
  '^src/event-sourcing/',
  '^test/(event-store|event-migrations|followers|notifications|partitioning|faults)/',
  '^bench/',
  // Node loads jest's global setup natively, so it cannot take the TypeScript entry point.
  '^test/support/pglite-setup[.]mjs$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'machinery-entry-points',
      comment:
        'Outside src/event-sourcing, import the machinery through its entry points (#event-sourcing, ' +
        '#event-sourcing/domain, /http, /postgres, /testing), so that its insides can change without breaking a context.',
      severity: 'error',
      from: { pathNot: MACHINERY_INSIDERS },
      to: { path: '^src/event-sourcing/', pathNot: ENTRY_POINTS },
    },
    {
      name: 'no-cycles',
      comment: 'A cycle ties modules that should be layered; break it by moving the shared part down.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-plain',
      comment:
        'A domain layer holds rules and events only: no framework, database, crypto, clock or id generator ' +
        '(time and ids come in with the command).',
      severity: 'error',
      from: { path: '^src/(contexts/[^/]+|event-sourcing)/domain/' },
      to: {
        path: [
          '^node_modules/(@nestjs|typeorm|pg|pg-[^/]+|uuid|class-validator|class-transformer)/',
          '^(node:)?crypto$',
          '^src/event-sourcing/application/clock[.]ts$',
        ],
      },
    },
    {
      name: 'context-domain-sees-machinery-domain-only',
      comment: "A context's domain/ uses #event-sourcing/domain and nothing else of the machinery.",
      severity: 'error',
      from: { path: '^src/contexts/[^/]+/domain/', pathNot: '[.]spec[.]ts$' },
      to: { path: '^src/event-sourcing/', pathNot: '^src/event-sourcing/domain/index[.]ts$' },
    },
    {
      name: 'context-domain-specs-see-domain-and-testing',
      comment: "A context's domain specs use #event-sourcing/domain and the checks of #event-sourcing/testing.",
      severity: 'error',
      from: { path: '^src/contexts/[^/]+/domain/.+[.]spec[.]ts$' },
      to: { path: '^src/event-sourcing/', pathNot: '^src/event-sourcing/(domain|testing)/index[.]ts$' },
    },
    {
      name: 'domain-points-inward',
      comment: 'The domain knows nothing of the layers around it.',
      severity: 'error',
      from: { path: '^src/contexts/([^/]+)/domain/' },
      to: { path: '^src/contexts/$1/(application|infrastructure|interface)/' },
    },
    {
      name: 'application-points-inward',
      comment: 'Use cases know nothing of HTTP or of how views are stored.',
      severity: 'error',
      from: { path: '^src/contexts/([^/]+)/application/' },
      to: { path: '^src/contexts/$1/(infrastructure|interface)/' },
    },
    {
      name: 'interface-not-infrastructure',
      comment:
        "Controllers and DTOs reach views through the application layer's queries and view types, never " +
        'through their tables.',
      severity: 'error',
      from: { path: '^src/contexts/([^/]+)/interface/' },
      to: { path: '^src/contexts/$1/infrastructure/' },
    },
    {
      name: 'contexts-meet-through-contracts',
      comment: "A context uses another only through that context's <context>.contract.ts.",
      severity: 'error',
      from: { path: '^src/contexts/([^/]+)/' },
      to: {
        path: '^src/contexts/[^/]+/',
        pathNot: ['^src/contexts/$1/', '^src/contexts/[^/]+/[^/]+[.]contract[.]ts$'],
      },
    },
    {
      name: 'testing-stays-in-specs',
      comment:
        '#event-sourcing/testing (in-memory twins, PGlite, assertions) is for specs: the app itself never loads it.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['[.]spec[.]ts$', '^src/event-sourcing/testing/'] },
      to: { path: '^src/event-sourcing/testing/' },
    },
    {
      name: 'machinery-knows-no-context',
      comment: 'The machinery has no domain knowledge.',
      severity: 'error',
      from: { path: '^src/event-sourcing/' },
      to: { path: '^src/contexts/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage|bench/peers|src/explorer/public)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['types', 'import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'],
    },
  },
};
