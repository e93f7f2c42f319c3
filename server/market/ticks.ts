import { DomainError } from "../domain/money";

/**
 * A price (or quantity) grid such as tick 0.25 or step 0.0001, held as an integer count of
 * grid units. The simulator and the backfill work in floats for speed; converting through
 * integer units and formatting with plain string arithmetic makes every stored value exactly
 * on the grid without running decimal.js a few hundred thousand times per backfill.
 */
export class TickGrid {
  /** The grid step as `units × 10^-decimals`, e.g. 0.25 → 25 × 10^-2. */
  private readonly units: number;
  private readonly decimals: number;
  private readonly stepFloat: number;

  constructor(readonly step: string) {
    const m = /^(\d+)(?:\.(\d+))?$/.exec(step);
    if (!m)
      throw new DomainError(
        "INVALID_STEP",
        `grid step must be a decimal string such as "0.01", got ${JSON.stringify(step)}`,
      );
    const frac = m[2] ?? "";
    this.decimals = frac.length;
    this.units = Number(`${m[1]}${frac}`);
    if (!(this.units > 0))
      throw new DomainError("INVALID_STEP", `grid step must be positive, got "${step}"`);
    this.stepFloat = Number(step);
  }

  /** Nearest whole number of steps to a float value; `mode` picks the direction of rounding. */
  toSteps(value: number, mode: "down" | "up" | "nearest"): number {
    const q = value / this.stepFloat;
    // A float that is a hair away from a whole number (1e-9 relative) is that number:
    // without this, 100.01 / 0.01 = 10000.999… would floor to the wrong tick.
    const r = Math.round(q);
    if (Math.abs(q - r) <= 1e-9 * Math.max(1, Math.abs(q))) return r;
    return mode === "down" ? Math.floor(q) : mode === "up" ? Math.ceil(q) : r;
  }

  toFloat(steps: number): number {
    return steps * this.stepFloat;
  }

  /** Exact canonical decimal text of `steps` grid units (no trailing zeros, like `fmt`). */
  format(steps: number): string {
    if (!Number.isSafeInteger(steps) || steps < 0) {
      throw new DomainError("INVALID_STEP", `cannot format ${steps} steps of ${this.step}`);
    }
    const n = steps * this.units;
    if (!Number.isSafeInteger(n))
      throw new DomainError("INVALID_STEP", `value too large: ${steps} × ${this.step}`);
    if (n === 0) return "0";
    let s = String(n);
    if (this.decimals === 0) return s;
    s = s.padStart(this.decimals + 1, "0");
    const int = s.slice(0, s.length - this.decimals);
    const frac = s.slice(s.length - this.decimals).replace(/0+$/, "");
    return frac ? `${int}.${frac}` : int;
  }

  round(value: number, mode: "down" | "up" | "nearest"): string {
    return this.format(Math.max(0, this.toSteps(value, mode)));
  }
}
