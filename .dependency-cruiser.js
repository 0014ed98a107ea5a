// The server's structure, checked by `npm test` (scripts/test.sh): no import cycle
// anywhere, and in server/src no arrow pointing up the layers below (a layer imports only the
// layers under it; files at server/src's root are the utilities everything may use).
const LAYERS = [
  ["db"],
  ["store", "metrics"],
  ["jobs", "live", "runners", "secrets", "analytics", "reports"],
  ["ops", "domain"],
  ["runs"],
  ["agents", "webhooks"],
  ["lifecycle", "schedules"],
  ["context\\.ts"],
  ["trpc\\.ts"],
  ["routers"],
  ["http"],
  ["boot\\.ts"],
  ["main\\.ts"],
];
const UTILITIES = [
  "config",
  "errors",
  "logger",
  "ids",
  "within",
  "workerThread",
  "redisReconnect",
  "keptSecret",
  "auth",
  "clientLimits",
  "adminToken",
];

const under = (names) => `^server/src/(${names.join("|")})(/|$)`;
const isTest = "\\.test\\.ts$|\\.contract\\.ts$|/contractSupport\\.ts$";

// One rule per folder: nothing from its own layer (but itself) or the layers above.
const layered = LAYERS.flatMap((layer, i) =>
  layer.map((name) => ({
    name: `layers:${name.replace(/\\\./g, ".")}`,
    comment: "A layer imports only the layers under it; folders of one layer do not import each other.",
    severity: "error",
    from: { path: under([name]), pathNot: isTest },
    to: {
      path: under(
        LAYERS.slice(i)
          .flat()
          .filter((n) => n !== name),
      ),
    },
  })),
);

export default {
  forbidden: [
    {
      name: "no-circular",
      comment: "No import cycle, type-only imports included.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "utilities-import-utilities",
      comment: "server/src's root utilities import nothing from the layers.",
      severity: "error",
      from: { path: `^server/src/(${UTILITIES.join("|")})\\.ts$` },
      to: { path: "^server/src/", pathNot: `^server/src/(${UTILITIES.join("|")})\\.ts$` },
    },
    ...layered,
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules|/dist/" },
  },
};
