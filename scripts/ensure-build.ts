import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Builds the production app for the e2e run unless the existing build was made from exactly
 * these sources. A content hash, taken BEFORE the build starts and stored beside it, not
 * modification times: a file saved while a build runs is older than the build's BUILD_ID
 * but not in it, and a time comparison called such a build up to date.
 */
const roots = [
  "app",
  "components",
  "server",
  "db",
  "public",
  "next.config.ts",
  "proxy.ts",
  "tsconfig.json",
  "types",
  "package.json",
  "package-lock.json",
];
const stamp = path.resolve(".next/SOURCES_SHA256");

function files(p: string): string[] {
  if (!existsSync(p)) return [];
  if (!statSync(p).isDirectory()) return [p];
  return readdirSync(p)
    .sort()
    .flatMap((e) => files(path.join(p, e)));
}

const hash = createHash("sha256");
for (const f of roots.flatMap(files)) {
  hash.update(f).update("\0").update(readFileSync(f)).update("\0");
}
const sources = hash.digest("hex");
const built =
  existsSync(stamp) && existsSync(".next/BUILD_ID") ? readFileSync(stamp, "utf8").trim() : "";
if (built === sources) {
  console.log("Production build is up to date.");
} else {
  const r = spawnSync(process.execPath, ["node_modules/next/dist/bin/next", "build"], {
    stdio: "inherit",
  });
  if (r.status === 0) writeFileSync(stamp, sources);
  process.exit(r.status ?? 1);
}
