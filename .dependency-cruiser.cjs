/**
 * Architecture rules, checked in `npm test` (test/unit/architecture.test.ts) with dependency-cruiser:
 * dependencies between the folders of lib/ point one way, and the hot path's functions bundle only
 * what they run.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'A lib/ folder may not depend, directly or through others, on a folder that depends on it.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^lib/[^/]+$' },
      to: { circular: true },
    },
    {
      name: 'domain-imports-nothing',
      comment: 'lib/domain holds the rules: it imports no other part of Meterline.',
      severity: 'error',
      from: { path: '^lib/domain/' },
      to: { path: '^lib/', pathNot: '^lib/domain/' },
    },
    {
      name: 'capabilities-below-the-edge',
      comment: 'Capabilities never import the composition root, the route tables, the handlers or the local stack.',
      severity: 'error',
      from: { path: '^lib/(alerts|billing|catalog|clocks|credits|customers|documents|events|messaging|meters|metering|store|webhooks)/' },
      to: { path: '^lib/(services\\.ts|api/|queue/|local/|wiring/)' },
    },
    {
      name: 'ingest-bundles-what-it-runs',
      comment:
        'The ingest function is on the path of every meter event: nothing it imports, directly or through others (types included), may reach billing, webhooks, credits or documents.',
      severity: 'error',
      from: { path: '^functions/http/ingest\\.ts$' },
      to: { path: '^lib/(billing|webhooks|credits|documents)/', reachable: true },
    },
    {
      name: 'consumer-bundles-what-it-runs',
      comment: 'The meter-events consumer counts usage (and evaluates usage alerts): nothing it imports may reach billing, webhooks or documents.',
      severity: 'error',
      from: { path: '^functions/queue/meter-consumer\\.ts$' },
      to: { path: '^lib/(billing|webhooks|documents)/', reachable: true },
    },
    {
      name: 'capabilities-take-commands',
      comment:
        'Capabilities take typed commands parsed at the edge (lib/api/schemas with lib/http/schema): none imports lib/http (requests, Params, routing, responses).',
      severity: 'error',
      from: { path: '^lib/(alerts|auth|billing|catalog|clocks|credits|customers|documents|events|messaging|meters|metering|store|webhooks)/' },
      to: { path: '^lib/http/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    includeOnly: '^(lib|functions)/',
  },
};
