import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: [
      ".next/**",
      ".data/**",
      "node_modules/**",
      "db/migrations/**",
      "test-results/**",
      "playwright-report/**",
      "next-env.d.ts",
    ],
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/no-floating-promises": "off",
    },
  },
  {
    // Playwright fixtures call `use`, which is not React's hook.
    files: ["e2e/**/*.ts"],
    rules: { "react-hooks/rules-of-hooks": "off" },
  },
  {
    // The pure domain must stay pure: no I/O, no wall clock, no ambient randomness.
    files: ["server/domain/**/*.ts"],
    ignores: ["server/domain/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: ["node:*", "fs", "pg", "postgres", "drizzle-orm*", "**/db/**"] },
      ],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "Inject an Rng (server/domain/random.ts)." },
        { object: "Date", property: "now", message: "Inject a Clock (server/domain/clock.ts)." },
      ],
    },
  },
];

export default config;
