import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ManualClock, systemClock } from "./clock";
import { DomainError } from "./money";

describe("ManualClock", () => {
  it("starts where told and advances by milliseconds", () => {
    const clock = new ManualClock("2026-01-05T14:30:00Z");
    expect(clock.now().toISOString()).toBe("2026-01-05T14:30:00.000Z");
    clock.advance(1500);
    expect(clock.now().toISOString()).toBe("2026-01-05T14:30:01.500Z");
    clock.set("2026-01-05T14:31:00Z");
    expect(clock.now().toISOString()).toBe("2026-01-05T14:31:00.000Z");
  });

  it("hands out copies, so mutating one does not move the clock", () => {
    const clock = new ManualClock("2026-01-05T00:00:00Z");
    const d = clock.now();
    d.setUTCFullYear(1999);
    expect(clock.now().toISOString()).toBe("2026-01-05T00:00:00.000Z");
  });

  it("does not alias the Date it was given", () => {
    const start = new Date("2026-01-05T00:00:00Z");
    const clock = new ManualClock(start);
    start.setUTCFullYear(1999);
    expect(clock.now().getUTCFullYear()).toBe(2026);
  });

  it("refuses to go backwards or read an invalid date", () => {
    const clock = new ManualClock("2026-01-05T00:00:00Z");
    expect(() => clock.set("2026-01-04T23:59:59Z")).toThrow(DomainError);
    expect(() => clock.advance(-1)).toThrow(DomainError);
    expect(() => clock.set("not a date")).toThrow(/not a valid date/);
    expect(() => new ManualClock("nope")).toThrow(DomainError);
    // setting to the same instant is fine
    clock.set("2026-01-05T00:00:00Z");
  });

  it("advance is additive (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000_000 }), { maxLength: 20 }), (steps) => {
        const clock = new ManualClock("2026-01-01T00:00:00Z");
        const t0 = clock.now().getTime();
        for (const s of steps) clock.advance(s);
        expect(clock.now().getTime() - t0).toBe(steps.reduce((a, b) => a + b, 0));
      }),
    );
  });
});

describe("systemClock", () => {
  it("reads the wall clock", () => {
    const before = Date.now();
    const t = systemClock.now().getTime();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});
