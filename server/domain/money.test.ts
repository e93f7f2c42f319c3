import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Decimal as DecimalJs } from "decimal.js";
import {
  D,
  Decimal,
  DomainError,
  fmt,
  isOnStep,
  parseDecimal,
  quantizeTowardZero,
  roundToTick,
  sign,
} from "./money";
import { decimalString } from "./test-support";

const steps = fc.constantFrom("1", "0.1", "0.01", "0.001", "5", "0.25", "0.0001", "100", "0.3");

describe("Decimal configuration", () => {
  it("carries 50 significant digits and rounds half to even", () => {
    expect(D(1).div(3).toString()).toBe("0." + "3".repeat(50));
    expect(D("2.5").toDecimalPlaces(0).toString()).toBe("2");
    expect(D("3.5").toDecimalPlaces(0).toString()).toBe("4");
  });

  it("does not leak its configuration into the shared decimal.js constructor", () => {
    expect(DecimalJs.precision).toBe(20);
    expect(Decimal.precision).toBe(50);
  });

  it("shares its own instances and parsed spellings, and rebuilds a base-constructor value at 50 digits", () => {
    const x = D("12.5");
    expect(D(x)).toBe(x);
    expect(D("12.5").eq(x)).toBe(true);
    // A value of the shared constructor (20 digits) is not passed through as it is.
    const base = new DecimalJs(1);
    expect(D(base)).not.toBe(base);
    expect(D(base).div(3).toString()).toBe("0." + "3".repeat(50));
    // Arithmetic never changes a shared value.
    D("12.5").plus(1);
    expect(D("12.5").toString()).toBe("12.5");
    // Thousands of distinct spellings (the cache is bounded) still parse to themselves.
    for (let i = 0; i < 10_000; i++) expect(D(`${i}.5`).toFixed()).toBe(`${i}.5`);
  });

  it("never switches to exponent notation for ordinary magnitudes", () => {
    expect(D("0.0000000001").toString()).toBe("0.0000000001");
    expect(D("1e30").toString()).toBe("1" + "0".repeat(30));
  });
});

describe("parseDecimal", () => {
  it("accepts plain decimal strings", () => {
    expect(parseDecimal("190.02", "price").toString()).toBe("190.02");
    expect(parseDecimal("-3", "qty").toString()).toBe("-3");
    expect(parseDecimal("0.000", "qty").isZero()).toBe(true);
  });

  it("accepts Decimal instances, including ones from the unconfigured constructor", () => {
    expect(parseDecimal(D("1.5"), "x").toString()).toBe("1.5");
    const base = new DecimalJs("2.25");
    const parsed = parseDecimal(base, "x");
    expect(parsed.toString()).toBe("2.25");
    // re-created under our precision: division gives 50 digits, not 20
    expect(parsed.div(3).toString()).toBe("0.75");
    expect(parseDecimal(base, "x").div(7).precision()).toBe(50);
  });

  it.each([
    [1.5, "1.5"],
    ["1e5", '"1e5"'],
    ["1.", '"1."'],
    [".5", '".5"'],
    ["+1", '"+1"'],
    [" 1", '" 1"'],
    ["", '""'],
    ["NaN", '"NaN"'],
    ["0x10", '"0x10"'],
    [null, "null"],
    [undefined, "undefined"],
    [{}, "[object Object]"],
  ])("rejects %j naming the field and the value", (bad, shown) => {
    let err: unknown;
    try {
      parseDecimal(bad, "leader.cash");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("INVALID_DECIMAL");
    expect((err as DomainError).message).toContain("leader.cash");
    expect((err as DomainError).message).toContain(shown);
  });

  it("rejects a non-finite Decimal instance", () => {
    expect(() => parseDecimal(D(NaN), "x")).toThrow(DomainError);
    expect(() => parseDecimal(D(Infinity), "x")).toThrow(/x must be/);
  });

  it("round-trips every canonical string (property)", () => {
    fc.assert(
      fc.property(decimalString({ min: -1_000_000 }), (s) => {
        expect(fmt(parseDecimal(s, "v"))).toBe(fmt(D(s)));
        expect(parseDecimal(fmt(s), "v").eq(D(s))).toBe(true);
      }),
    );
  });
});

describe("fmt", () => {
  it.each([
    ["3.000", "3"],
    ["19429.925", "19429.925"],
    ["-0", "0"],
    ["-0.000", "0"],
    ["0.10", "0.1"],
    ["1e-12", "0.000000000001"],
    ["123456789012345678901234567890", "123456789012345678901234567890"],
    ["-5.50", "-5.5"],
  ])("%s -> %s", (input, out) => {
    expect(fmt(input)).toBe(out);
  });

  it("formats arithmetic results canonically", () => {
    expect(fmt(D("20000").minus(D("3").times("190.02")).minus(D("0.005").times(3)))).toBe(
      "19429.925",
    );
  });

  it("refuses non-finite values", () => {
    expect(() => fmt(D(NaN))).toThrow(DomainError);
  });

  it("never emits an exponent, trailing zero or negative zero (property)", () => {
    fc.assert(
      fc.property(decimalString({ min: -1_000_000 }), fc.integer({ min: -40, max: 40 }), (s, e) => {
        const out = fmt(D(s).times(D(10).pow(e)));
        expect(out).toMatch(/^-?\d+(\.\d*[1-9])?$/);
        expect(out).not.toBe("-0");
      }),
    );
  });
});

describe("quantizeTowardZero", () => {
  it.each([
    ["7.9", "1", "7"],
    ["-7.9", "1", "-7"],
    ["0.99", "1", "0"],
    ["-0.99", "1", "0"],
    ["12", "5", "10"],
    ["0.129", "0.01", "0.12"],
    ["1", "0.3", "0.9"],
    ["3", "3", "3"],
  ])("quantize(%s, %s) = %s", (q, s, out) => {
    expect(fmt(quantizeTowardZero(q, s))).toBe(out);
  });

  it("never produces negative zero", () => {
    expect(quantizeTowardZero("-0.4", "1").isNeg()).toBe(false);
  });

  it("rejects a non-positive step", () => {
    expect(() => quantizeTowardZero("1", "0")).toThrow(DomainError);
    expect(() => quantizeTowardZero("1", "-1")).toThrow(/step must be positive/);
  });

  it("is the largest multiple of step not beyond qty, same sign (property)", () => {
    fc.assert(
      fc.property(decimalString({ min: -100_000 }), steps, (q, s) => {
        const r = quantizeTowardZero(q, s);
        const qty = D(q);
        expect(isOnStep(r, s)).toBe(true);
        expect(r.abs().lte(qty.abs())).toBe(true);
        // one more step would overshoot
        expect(r.abs().plus(s).gt(qty.abs())).toBe(true);
        expect(sign(r) === 0 || sign(r) === sign(qty)).toBe(true);
      }),
    );
  });

  it("cuts digits for a power-of-ten step exactly as the division does (property)", () => {
    const tenths = fc.constantFrom("1", "0.1", "0.01", "0.001", "0.0001", "0.00000001", "1.00");
    // Up to 30 significant digits, like r × leader position before quantizing.
    const value = fc
      .tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 24 }))
      .map(([n, dp]) => new Decimal(n.toString()).div(new Decimal(10).pow(dp)));
    fc.assert(
      fc.property(fc.oneof(value, decimalString({ min: -100_000 })), tenths, (x, s) => {
        const q = D(x).divToInt(s).times(s);
        const expected = q.isZero() ? "0" : q.toFixed();
        expect(fmt(quantizeTowardZero(x, s))).toBe(expected);
        expect(quantizeTowardZero(x, s).isNeg() && quantizeTowardZero(x, s).isZero()).toBe(false);
        expect(isOnStep(x, s)).toBe(D(x).minus(q).isZero());
      }),
      { numRuns: 2000 },
    );
  });

  it("is idempotent (property)", () => {
    fc.assert(
      fc.property(decimalString({ min: -100_000 }), steps, (q, s) => {
        const once = quantizeTowardZero(q, s);
        expect(quantizeTowardZero(once, s).eq(once)).toBe(true);
      }),
    );
  });
});

describe("roundToTick", () => {
  it.each([
    ["190.026", "0.01", "down", "190.02"],
    ["190.026", "0.01", "up", "190.03"],
    ["190.026", "0.01", "nearest", "190.03"],
    ["190.02", "0.01", "up", "190.02"],
    ["190.025", "0.01", "nearest", "190.02"],
    ["190.035", "0.01", "nearest", "190.04"],
    ["-1.25", "0.5", "down", "-1.5"],
    ["-1.25", "0.5", "up", "-1"],
    ["-1.25", "0.5", "nearest", "-1"],
    ["-1.75", "0.5", "nearest", "-2"],
    ["10.3", "0.25", "nearest", "10.25"],
  ] as const)("roundToTick(%s, %s, %s) = %s", (p, t, m, out) => {
    expect(fmt(roundToTick(p, t, m))).toBe(out);
  });

  it("brackets the price and lands on the tick (property)", () => {
    fc.assert(
      fc.property(decimalString({ min: -100_000 }), steps, (p, t) => {
        const price = D(p);
        const down = roundToTick(p, t, "down");
        const up = roundToTick(p, t, "up");
        const near = roundToTick(p, t, "nearest");
        expect(down.lte(price) && up.gte(price)).toBe(true);
        expect(up.minus(down).lte(t)).toBe(true);
        expect(isOnStep(down, t) && isOnStep(up, t) && isOnStep(near, t)).toBe(true);
        expect(near.eq(down) || near.eq(up)).toBe(true);
        expect(near.minus(price).abs().times(2).lte(t)).toBe(true);
      }),
    );
  });
});

describe("isOnStep", () => {
  it("checks exact multiples", () => {
    expect(isOnStep("0.3", "0.1")).toBe(true);
    expect(isOnStep("0.35", "0.1")).toBe(false);
    expect(isOnStep("-15", "5")).toBe(true);
    expect(isOnStep("0", "0.001")).toBe(true);
    expect(isOnStep("0.9", "0.3")).toBe(true);
  });
});
