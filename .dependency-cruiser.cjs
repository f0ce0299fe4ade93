/**
 * The layers of src/, bottom to top; every import points down (README, "How the code is laid out").
 * `npm test` runs this check, so a new arrow pointing up fails the build.
 */
const LAYERS = [
  { name: "base", path: "^src/(config|logger|i18n|html|within|guards)\\.ts$" },
  {
    name: "domain",
    path: "^src/(phone|name)\\.ts$|^src/store/(types|errors|write-health|json-text)\\.ts$|^src/leads/(agent-input|vcard|daily-cap|limiter)\\.ts$",
  },
  { name: "delivery", path: "^src/brainysoft/|^src/leads/(?!(agent-input|vcard|daily-cap|limiter)\\.ts$)|^src/admin/|^src/metrics/" },
  { name: "adapters", path: "^src/(bot|http|runtime)/|^src/store/(?!types\\.ts$|errors\\.ts$|write-health\\.ts$|json-text\\.ts$)" },
  { name: "root", path: "^src/(app|main)\\.ts$" },
];

const upward = LAYERS.flatMap((lower, i) =>
  LAYERS.slice(i + 1).map((upper) => ({
    name: `${lower.name}-not-to-${upper.name}`,
    comment: `The ${lower.name} layer must not depend on the ${upper.name} layer above it.`,
    severity: "error",
    from: { path: lower.path },
    to: { path: upper.path },
  })),
);

module.exports = {
  forbidden: [
    ...upward,
    {
      name: "no-circular",
      comment: "A circle of imports has no bottom: pull the shared piece down a layer.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "production-not-to-sandbox",
      comment: "The sandbox, the fakes and the tests are never loaded by the production bot.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(demo|fakes)/" },
      to: { path: "^src/(demo|fakes)/|^test/" },
    },
    {
      name: "bot-not-to-process",
      comment: "The bot's features do not know how updates arrive (polling, webhook, HTTP).",
      severity: "error",
      from: { path: "^src/bot/" },
      to: { path: "^src/(http|runtime)/" },
    },
    {
      name: "store-not-to-features",
      comment: "Store implementations serve every feature and know none.",
      severity: "error",
      from: { path: "^src/store/" },
      to: { path: "^src/(bot|http|runtime|admin|leads|brainysoft)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
