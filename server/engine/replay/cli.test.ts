import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

/** `npm run replay` as a user runs it: a real process, its own throwaway database. */
const run = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "server/engine/replay/cli.ts", ...args], {
    encoding: "utf8",
    timeout: 120_000,
  });

describe("npm run replay", () => {
  it("reproduces the example of replay-format.md", () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), "replay-")), "report.json");
    const r = run("scenarios/example-partial-fills.json", "--out", out);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(readFileSync(out, "utf8")) as {
      leader: unknown;
      followers: Record<string, Record<string, unknown>>;
    };
    expect(report.leader).toEqual({ positions: { AAPL: "30" } });
    const f = report.followers.F1!;
    expect(f).toMatchObject({
      status: "active",
      cash: "19429.925",
      positions: { AAPL: "3" },
      targets: { AAPL: "3" },
      brokerCalls: { submit: 1, query: 0, cancel: 0 },
    });
    expect(f.orders).toEqual([
      expect.objectContaining({
        symbol: "AAPL",
        side: "buy",
        qty: "3",
        filledQty: "3",
        avgPrice: "190.02",
        status: "filled",
        origin: "copy",
        leaderFillId: "f-1",
      }),
    ]);
    expect(f.fills).toEqual([expect.objectContaining({ qty: "3", price: "190.02", fee: "0.015" })]);
    expect(f.decisions).toEqual([
      {
        leaderFillId: "f-1",
        symbol: "AAPL",
        target: "3",
        orderQty: "3",
        action: "placed",
        reason: "OK",
      },
    ]);
  }, 120_000);

  it("refuses a bad scenario with exit code 2 and the field named", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "replay-"));
    const file = path.join(dir, "bad.json");
    writeFileSync(
      file,
      JSON.stringify({
        name: "bad",
        instruments: [],
        leader: { id: "L", cash: 100 },
        followers: [],
        events: [],
        extra: true,
      }),
    );
    const r = run(file);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("instruments: needs at least one instrument");
    expect(r.stderr).toContain("leader.cash");
    expect(r.stderr).toMatch(/extra/);
  }, 120_000);
});
