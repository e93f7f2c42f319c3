import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

/** Builds the production app for the e2e run unless the existing build is newer than every source. */
const buildId = path.resolve(".next/BUILD_ID");
const roots = ["app", "components", "server", "db", "next.config.ts", "proxy.ts", "package.json"];

function newest(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(p).map((e) => newest(path.join(p, e))));
}

const builtAt = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
const sourcesAt = Math.max(...roots.map(newest));
if (builtAt > sourcesAt) {
  console.log("Production build is up to date.");
} else {
  const r = spawnSync(process.execPath, ["node_modules/next/dist/bin/next", "build"], {
    stdio: "inherit",
  });
  process.exit(r.status ?? 1);
}
