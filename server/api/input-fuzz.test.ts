import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import fc from "fast-check";
import superjson from "superjson";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createTestDb } from "../../test/db";
import * as s from "../../db/schema";
import { seedDemoWorld } from "../demo/seed";
import { NO_LIMITS } from "../engine/testing/limits";
import { noMutationLimits } from "../auth/rate-limits";
import type { Viewer } from "../auth/session";
import { AGREEMENT_VERSION } from "../queries/copies";
import { appRouter, createCaller } from "./root";
import { provenViewer } from "../../test/second-factor";

/**
 * Issue 14, "Unbounded input": 566 bad inputs gave 17 server errors and 2 unintended writes
 * (a 140 000-digit decimal, a NUL byte, a lone surrogate in a bio, "abc" as an amount that
 * answered `[DecimalError] …`). Here fast-check throws thousands of generated bad inputs at
 * every tRPC mutation through the real router on a real database, and checks three things
 * for each: the answer is not a server error, it says nothing internal, and nothing in the
 * database changed (a checksum of every table before and after).
 */
let t: Awaited<ReturnType<typeof createTestDb>>;
const viewers: Record<string, Viewer> = {};
const ids = { steady: "", copy: "", order: "", breaker: "" };
const CLIENT = { ip: "198.51.100.4", userAgent: "fuzz" };
const tally = { tried: 0, serverErrors: 0, writes: 0, leaks: 0, accepted: 0 };

/** Anything a response must never contain: SQL, driver and library names, stack frames. */
const INTERNAL =
  /\bselect\b[\s\S]*\bfrom\b|\binsert into\b|\bdelete from\b|\bupdate\b[\s\S]*\bset\b|Failed query|DecimalError|ZodError|TRPCError|PostgresError|postgres|violates|invalid byte sequence|node_modules|\.tsx?:\d+|^\s*[[{]|\bat [\w.$<>]+ \(|Invalid input:/i;

// ---------------------------------------------------------------------------------------------
// Bad values by kind of field. Every generator yields only values the field must refuse.

const nonString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);
const missing = fc.constant(undefined);
const DECIMAL_TEXT = /^\s*\d+(\.\d+)?\s*$/;
const BAD_DECIMALS = [
  "abc",
  "1e5",
  "0x10",
  "1,000",
  "NaN",
  "Infinity",
  "-Infinity",
  "+1",
  ".5",
  "5.",
  "1..2",
  "١٢٣",
  "-1",
  "-0.01",
  "0",
  "0.00",
  "-0",
  "\u0000",
  "1\u0000",
  "12\ud800",
  "' or 1=1 --",
  "1; drop table users",
  "9".repeat(140_000),
  "1".repeat(40),
  "1." + "1".repeat(40),
];
const badDecimal = (opts: { emptyIsValid?: boolean } = {}) =>
  fc.oneof(
    fc.constantFrom(...BAD_DECIMALS),
    fc.integer({ min: 30, max: 400 }).map((n) => "9".repeat(n)),
    fc.integer({ min: 9, max: 60 }).map((k) => `1.${"1".repeat(k)}`),
    fc
      .string({ unit: "binary", maxLength: 30 })
      .filter((v) => !DECIMAL_TEXT.test(v) && !(opts.emptyIsValid && v.trim() === "")),
    nonString,
  );
const CONTROLS = ["\u0000", "\u0001", "\u0008", "\u001b", "\u007f", "\u0085", "\u202e", "\u2066"];
const badText = (r: { min?: number; max: number; multiline?: boolean }) =>
  fc.oneof(
    fc
      .tuple(
        fc.string({ minLength: r.min ?? 0, maxLength: 10 }),
        fc.constantFrom(...CONTROLS, ...(r.multiline ? [] : ["\n", "\t", "\r"])),
        fc.string({ maxLength: 10 }),
      )
      .map(([a, c, b]) => `${a}${c}${b}`),
    fc
      .tuple(
        fc.string({ minLength: r.min ?? 0, maxLength: 10 }),
        fc.constantFrom("\ud800x", "x\udc00", "\udbff"),
      )
      .map(([a, c]) => `${a}${c}`),
    fc.integer({ min: r.max + 1, max: r.max * 3 }).map((n) => "a".repeat(n)),
    fc.constant("b".repeat(1_000_000)),
    ...(r.min && r.min > 0
      ? [fc.integer({ min: 0, max: r.min - 1 }).map((n) => `  ${"c".repeat(n)}  `)]
      : []),
    nonString,
  );
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const badId = fc.oneof(
  fc.string({ unit: "binary", maxLength: 50 }).filter((v) => !UUID.test(v)),
  fc.uuid().map((u) => `${u}\u0000`),
  fc.uuid().map((u) => `${u}0`),
  // Well-formed but nobody's: NOT_FOUND, never another user's row.
  fc.uuid(),
  fc.constantFrom("' or 1=1 --", "00000000-0000-0000-0000-00000000000g", "../../etc/passwd"),
  nonString,
);
const badChoice = (options: readonly string[]) =>
  fc.oneof(
    fc.string({ unit: "binary", maxLength: 20 }).filter((v) => !options.includes(v)),
    nonString,
  );
const badFlag = fc.oneof(
  fc.constantFrom("true", "false", 0, 1, "yes", null),
  fc.string({ maxLength: 5 }),
);
const badInt = (min: number, max: number) =>
  fc.oneof(
    fc.double({ noNaN: false }).filter((v) => !Number.isInteger(v) || v < min || v > max),
    fc.oneof(fc.integer({ max: min - 1 }), fc.integer({ min: max + 1 })),
    fc.constantFrom("5", "1e3", Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60),
    fc.string({ maxLength: 5 }),
  );
const badTrue = fc.oneof(
  fc.constantFrom(false, "true", 1, null, undefined),
  fc.string({ maxLength: 5 }),
);
const badEmail = fc.oneof(
  fc
    .string({ unit: "binary", maxLength: 40 })
    .filter((v) => !/^[^@\s]+@[^@\s]+\.[^@\s]{2,}$/.test(v.trim())),
  fc.constantFrom("a@b", "@x.com", "x@", "a b@c.dd", "a@b.cc\u0000", "\ud800@x.com"),
  nonString,
);
const badPassword = fc.oneof(
  fc.string({ maxLength: 9 }),
  fc.integer({ min: 201, max: 5000 }).map((n) => "p".repeat(n)),
  nonString,
);
const badSymbol = fc.oneof(
  fc
    .string({ unit: "binary", maxLength: 30 })
    .filter((v) => !/^[A-Za-z0-9][A-Za-z0-9./_-]{0,23}$/.test(v.trim())),
  fc.constantFrom("NOPE-XYZ", "ZZZZ1", "SPY\u0000", "' or 1=1 --"),
  nonString,
);
/** Optional or nullable fields: only the values that are wrong (undefined/null may be fine). */
const required = <T>(a: fc.Arbitrary<T>) => fc.oneof(a, missing);

type Template = {
  as: "follower" | "leader" | "admin" | "anonymous";
  valid: () => Record<string, unknown>;
  /** Dotted path → bad values for that field. */
  fields: Record<string, fc.Arbitrary<unknown>>;
};

/** A fresh copy each time: a bad input is written into it. */
const noLimits = () => ({ ...NO_LIMITS });
/** Limits may be null ("no limit"): only non-null wrong values. */
const notNull = <T>(a: fc.Arbitrary<T>) => a.filter((v) => v !== null);
const limitFields = (prefix: string) => ({
  [`${prefix}.copyStopLossPct`]: notNull(badDecimal()),
  [`${prefix}.maxSymbolExposure`]: notNull(badDecimal()),
  [`${prefix}.maxOpenPositions`]: badInt(1, 1000),
  [`${prefix}.maxSlippageBps`]: badInt(1, 10_000),
  [`${prefix}.dailyLossLimit`]: notNull(badDecimal()),
  [prefix]: fc.oneof(fc.constantFrom("limits", 5, null, []), missing),
});

const TEMPLATES: Record<string, Template> = {
  "account.deposit": {
    as: "follower",
    valid: () => ({ amount: "100" }),
    fields: { amount: required(badDecimal()) },
  },
  "account.withdraw": {
    as: "follower",
    valid: () => ({ amount: "1" }),
    fields: { amount: required(badDecimal()) },
  },
  "copies.start": {
    as: "follower",
    valid: () => ({
      leaderId: ids.steady,
      sizing: { mode: "multiplier", amount: "1000", factor: "1" },
      limits: noLimits(),
      onInsufficientFunds: "reduce",
      copyOpenPositions: false,
      consent: true,
      agreementVersion: AGREEMENT_VERSION,
    }),
    fields: {
      leaderId: required(badId),
      "sizing.mode": required(badChoice(["proportional", "multiplier", "fixed_notional"])),
      "sizing.amount": required(badDecimal()),
      "sizing.factor": required(badDecimal()),
      ...limitFields("limits"),
      onInsufficientFunds: badChoice(["reduce", "skip"]),
      copyOpenPositions: badFlag,
      consent: badTrue,
      agreementVersion: required(badText({ min: 1, max: 100 })),
    },
  },
  "copies.pause": {
    as: "follower",
    valid: () => ({ id: ids.copy }),
    fields: { id: required(badId) },
  },
  "copies.resume": {
    as: "follower",
    valid: () => ({ id: ids.copy }),
    fields: { id: required(badId) },
  },
  "copies.stop": {
    as: "follower",
    valid: () => ({ id: ids.copy, closePositions: false }),
    fields: { id: required(badId), closePositions: required(badFlag) },
  },
  "copies.setAllocation": {
    as: "follower",
    valid: () => ({ id: ids.copy, allocation: "5000" }),
    fields: { id: required(badId), allocation: required(badDecimal()) },
  },
  "copies.setLimits": {
    as: "follower",
    valid: () => ({ id: ids.copy, limits: noLimits() }),
    fields: { id: required(badId), ...limitFields("limits") },
  },
  "leaderConsole.updateProfile": {
    as: "leader",
    valid: () => ({
      displayName: "Steady ETF",
      bio: "Index funds.",
      strategy: "Broad ETFs, rebalanced monthly.",
    }),
    fields: {
      displayName: required(badText({ min: 2, max: 60 })),
      bio: required(badText({ max: 500, multiline: true })),
      strategy: required(badText({ min: 10, max: 1000, multiline: true })),
    },
  },
  "leaderConsole.placeOrder": {
    as: "leader",
    // Crypto trades around the clock (the server refuses orders for a closed market).
    valid: () => ({ symbol: "ETH-USD", side: "buy", type: "market", qty: "0.1" }),
    fields: {
      symbol: required(badSymbol),
      side: required(badChoice(["buy", "sell"])),
      type: required(badChoice(["market", "limit"])),
      qty: required(badDecimal()),
      limitPrice: badDecimal({ emptyIsValid: true }),
    },
  },
  "leaderConsole.cancelOrder": {
    as: "leader",
    valid: () => ({ orderId: ids.order }),
    fields: { orderId: required(badId) },
  },
  "admin.openBreaker": {
    as: "admin",
    valid: () => ({ scope: "instrument", key: "SPY", reason: "exchange halt" }),
    fields: {
      scope: required(badChoice(["global", "leader", "instrument", "broker"])),
      key: fc.oneof(badText({ max: 100 }), fc.constantFrom("NOPE", "", "*"), fc.uuid()),
      reason: required(badText({ min: 3, max: 200 })),
    },
  },
  "admin.closeBreaker": {
    as: "admin",
    valid: () => ({ id: ids.breaker }),
    fields: { id: required(badId) },
  },
  "auth.signUp": {
    as: "anonymous",
    valid: () => ({
      email: "new.person@fuzz.test",
      password: "a-long-password",
      displayName: "New",
    }),
    fields: {
      email: required(badEmail),
      password: required(badPassword),
      displayName: required(badText({ min: 2, max: 60 })),
    },
  },
  "auth.changePassword": {
    as: "follower",
    valid: () => ({ currentPassword: "tandem-demo-2026", newPassword: "another-long-one" }),
    fields: {
      currentPassword: required(fc.oneof(fc.constant(""), fc.constant("x".repeat(201)), nonString)),
      newPassword: required(badPassword),
    },
  },
  "portfolio.close": {
    as: "follower",
    valid: () => ({ symbol: "SPY" }),
    fields: { symbol: required(badSymbol) },
  },
};

function setPath(obj: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.split(".");
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== "object" || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  if (value === undefined) delete o[keys.at(-1)!];
  else o[keys.at(-1)!] = value;
}

/** One template's bad inputs: one to three fields replaced by values they must refuse. */
function badInputs(tpl: Template) {
  const entries = Object.entries(tpl.fields);
  return fc
    .subarray(entries, { minLength: 1, maxLength: Math.min(3, entries.length) })
    .chain((chosen) => fc.tuple(...chosen.map(([path, arb]) => arb.map((v) => [path, v] as const))))
    .map((pairs) => {
      const input = tpl.valid();
      for (const [path, v] of pairs) setPath(input, path, v);
      return input;
    });
}

// ---------------------------------------------------------------------------------------------

async function checksum(): Promise<string> {
  const tables = await t.db.execute<{ name: string }>(
    sql`select tablename as name from pg_tables where schemaname = 'public' order by 1`,
  );
  const parts = await Promise.all(
    [...tables].map(async ({ name }) => {
      const [r] = await t.db.execute<{ h: string | null }>(
        sql.raw(
          `select md5(string_agg(md5(x::text), '' order by md5(x::text))) as h from "${name}" x`,
        ),
      );
      return `${name}:${r?.h ?? "-"}`;
    }),
  );
  return parts.join(",");
}

function callerFor(who: Template["as"]) {
  return createCaller({
    db: t.db,
    viewer: who === "anonymous" ? null : viewers[who]!,
    client: CLIENT,
    rateLimits: noMutationLimits,
  });
}

async function call(path: string, who: Template["as"], input: unknown) {
  const [area, proc] = path.split(".") as [string, string];
  const api = callerFor(who) as unknown as Record<
    string,
    Record<string, (i: unknown) => Promise<unknown>>
  >;
  return api[area]![proc]!(input);
}

/** Checks one refusal: a client error, in words, with nothing internal. */
function judge(path: string, input: unknown, outcome: PromiseSettledResult<unknown>) {
  tally.tried++;
  if (outcome.status === "fulfilled") {
    tally.accepted++;
    throw new Error(`${path} accepted a bad input: ${JSON.stringify(input)?.slice(0, 300)}`);
  }
  const err = outcome.reason as { code?: string; message?: string };
  if (err.code === "INTERNAL_SERVER_ERROR" || !err.code) {
    tally.serverErrors++;
    throw new Error(
      `${path} answered a server error for ${JSON.stringify(input)?.slice(0, 300)}: ${String(err.message).slice(0, 300)}`,
    );
  }
  if (!err.message || INTERNAL.test(err.message)) {
    tally.leaks++;
    throw new Error(`${path} said something internal: ${String(err.message).slice(0, 300)}`);
  }
}

beforeAll(async () => {
  t = await createTestDb();
  await seedDemoWorld(t.db);
  // The price feed is the worker's; the ticket's orders need a quote to be valued.
  await t.db
    .insert(s.quotes)
    .values({ symbol: "ETH-USD", bid: "3199.5", ask: "3200.5", at: new Date() })
    .onConflictDoNothing();
  for (const u of await t.db.select().from(s.users))
    viewers[
      u.email === "follower@tandem.test"
        ? "follower"
        : u.email === "steady-etf@tandem.test"
          ? "leader"
          : u.email === "admin@tandem.test"
            ? "admin"
            : u.email
    ] = { id: u.id, email: u.email, name: u.displayName, role: u.role };
  // Step-up actions (breakers, brokers, API keys) need a session that just proved its factor.
  viewers.admin = await provenViewer(t.db, viewers.admin!.id);
  viewers.leader = await provenViewer(t.db, viewers.leader!.id);
  const ls = await t.db.select().from(s.leaders);
  for (const l of ls)
    await t.db
      .insert(s.leaderBooks)
      .values({ leaderId: l.id, cash: "100000", updatedAt: new Date() })
      .onConflictDoNothing();
  ids.steady = ls.find((l) => l.handle === "steady-etf")!.id;
  const other = ls.find((l) => l.handle === "tech-momentum")!.id;
  // Real rows for the templates to point at: a copy, an order, a breaker.
  ids.copy = (
    (await callerFor("follower").copies.start({
      ...(TEMPLATES["copies.start"]!.valid() as never as Parameters<
        ReturnType<typeof callerFor>["copies"]["start"]
      >[0]),
      leaderId: other,
    })) as { id: string }
  ).id;
  ids.order = (
    await callerFor("leader").leaderConsole.placeOrder({
      symbol: "ETH-USD",
      side: "buy",
      type: "market",
      qty: "0.1",
    })
  ).orderId;
  ids.breaker = (
    await callerFor("admin").admin.openBreaker({ scope: "instrument", key: "QQQ", reason: "fuzz" })
  ).id!;
}, 180_000);
afterAll(() => {
  console.log(
    `input fuzz: ${tally.tried} bad inputs tried, ${tally.serverErrors} server errors, ${tally.writes} unintended writes, ${tally.leaks} internal leaks, ${tally.accepted} accepted`,
  );
  return t.drop();
});

describe("thousands of bad inputs at every mutation: no 5xx, nothing internal, no write", () => {
  const RUNS = 220;

  it("every mutation with an input has a template (a new one must be added here)", () => {
    const mutations = Object.entries(
      appRouter._def.procedures as unknown as Record<
        string,
        { _def: { type: string; inputs: unknown[] } }
      >,
    )
      .filter(([, p]) => p._def.type === "mutation" && p._def.inputs.length > 0)
      .map(([path]) => path);
    // Every template names a real mutation; mutations without one (routers others are adding)
    // still get the generic pass below.
    const known = mutations.filter((m) => TEMPLATES[m]);
    expect(known.sort()).toEqual(Object.keys(TEMPLATES).sort());
    const untemplated = mutations.filter((m) => !TEMPLATES[m]);
    if (untemplated.length) console.log(`fuzzed generically only: ${untemplated.join(", ")}`);
  });

  for (const [path, tpl] of Object.entries(TEMPLATES)) {
    it(`${path}`, async () => {
      if (!(appRouter._def.procedures as unknown as Record<string, unknown>)[path]) return;
      const before = await checksum();
      await fc.assert(
        fc.asyncProperty(badInputs(tpl), async (input) => {
          const outcome = await Promise.allSettled([call(path, tpl.as, input)]);
          judge(path, input, outcome[0]!);
        }),
        { numRuns: RUNS, interruptAfterTimeLimit: 40_000, seed: 1414, endOnFailure: true },
      );
      const after = await checksum();
      if (after !== before) tally.writes++;
      expect(after).toBe(before);
    }, 120_000);
  }

  it("any value at all as the input of every mutation (including ones without a template)", async () => {
    const mutations = Object.entries(
      appRouter._def.procedures as unknown as Record<
        string,
        { _def: { type: string; inputs: { safeParse?: (v: unknown) => { success: boolean } }[] } }
      >,
    ).filter(([, p]) => p._def.type === "mutation" && p._def.inputs.length > 0);
    const before = await checksum();
    for (const [path, p] of mutations) {
      const who =
        TEMPLATES[path]?.as ??
        (path.startsWith("admin.")
          ? "admin"
          : path.startsWith("leaderConsole.")
            ? "leader"
            : "follower");
      await fc.assert(
        fc.asyncProperty(
          fc.anything({ maxDepth: 2, withNullPrototype: true, withBigInt: true, withDate: true }),
          async (input) => {
            // A value the procedure's own parser accepts is not a bad input.
            if (p._def.inputs.every((parser) => parser.safeParse?.(input).success)) return;
            judge(path, input, (await Promise.allSettled([call(path, who, input)]))[0]!);
          },
        ),
        { numRuns: 60, interruptAfterTimeLimit: 20_000, seed: 1414, endOnFailure: true },
      );
    }
    const after = await checksum();
    if (after !== before) tally.writes++;
    expect(after).toBe(before);
  }, 240_000);

  it("over HTTP too: never a 5xx, and the body never carries SQL, stacks or library names", async () => {
    const paths = [
      "account.deposit",
      "copies.start",
      "leaderConsole.updateProfile",
      "leaderConsole.placeOrder",
      "copies.setLimits",
    ];
    const before = await checksum();
    for (const path of paths) {
      const tpl = TEMPLATES[path]!;
      await fc.assert(
        fc.asyncProperty(badInputs(tpl), async (input) => {
          const res = await fetchRequestHandler({
            endpoint: "/api/trpc",
            req: new Request(`http://localhost/api/trpc/${path}`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              // superjson's wire format, as the browser client sends it (NaN, undefined, …).
              body: JSON.stringify(superjson.serialize(input)),
            }),
            router: appRouter,
            createContext: () => ({
              db: t.db,
              viewer: viewers[tpl.as] ?? null,
              client: CLIENT,
              rateLimits: noMutationLimits,
            }),
          });
          const body = await res.text();
          tally.tried++;
          if (res.status >= 500) tally.serverErrors++;
          expect(res.status, body.slice(0, 300)).toBeLessThan(500);
          expect(res.status).toBeGreaterThanOrEqual(400);
          const message = (JSON.parse(body) as { error: { json: { message: string } } }).error.json
            .message;
          if (INTERNAL.test(message) || /"stack"/.test(body)) tally.leaks++;
          expect(message).not.toMatch(INTERNAL);
          expect(body).not.toMatch(/"stack"/);
        }),
        { numRuns: 80, interruptAfterTimeLimit: 30_000, seed: 1414, endOnFailure: true },
      );
    }
    // Malformed JSON is a client error in plain words, not the parser's message.
    const res = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req: new Request("http://localhost/api/trpc/account.deposit", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"json": {"amount": "1"',
      }),
      router: appRouter,
      createContext: () => ({
        db: t.db,
        viewer: viewers.follower!,
        client: CLIENT,
        rateLimits: noMutationLimits,
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).not.toMatch(/JSON|Unexpected|position \d/);
    expect(await checksum()).toBe(before);
  }, 240_000);

  it("an unexpected failure answers one generic sentence and is logged, never its text", async () => {
    // Break the database under a mutation: the copy table disappears behind its back.
    await t.db.execute(sql`alter table copy_relationships rename to copy_relationships_away`);
    try {
      const res = await fetchRequestHandler({
        endpoint: "/api/trpc",
        req: new Request("http://localhost/api/trpc/copies.pause", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ json: { id: ids.copy } }),
        }),
        router: appRouter,
        createContext: () => ({
          db: t.db,
          viewer: viewers.follower!,
          client: CLIENT,
          rateLimits: noMutationLimits,
        }),
      });
      expect(res.status).toBe(500);
      const body = await res.text();
      expect(body).toContain("Something went wrong on our side");
      expect(body).not.toMatch(/copy_relationships|relation|select|stack/i);
    } finally {
      await t.db.execute(sql`alter table copy_relationships_away rename to copy_relationships`);
    }
    const [copy] = await t.db
      .select()
      .from(s.copyRelationships)
      .where(eq(s.copyRelationships.id, ids.copy));
    expect(copy?.status).toBe("active");
  });
});
