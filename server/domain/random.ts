import { DomainError } from "./money";

/**
 * Deterministic randomness for jitter, simulated latency and replays. Every random
 * choice the engine makes must come from an injected Rng, so a replay with the same seed
 * takes the same decisions.
 */
export interface Rng {
  /** Uniform in [0, 1), with 32 bits of resolution. */
  next(): number;
  /** Uniform integer in [min, max], both ends included. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /**
   * An independent stream derived from this one's seed and `label` only — not from how
   * many numbers this stream has already drawn — so adding a draw in one component
   * never shifts the numbers another component sees.
   */
  fork(label: string): Rng;
}

// xmur3: spreads an arbitrary string into 32-bit seed words.
function xmur3(str: string): () => number {
  let h = 1779033703 ^ str.length;
  for (let i = 0; i < str.length; i++) {
    h = Math.imul(h ^ str.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  return () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    h ^= h >>> 16;
    return h >>> 0;
  };
}

// sfc32 (Chris Doty-Humphrey's Small Fast Counter): passes PractRand, tiny state.
function sfc32(a0: number, b0: number, c0: number, d0: number): () => number {
  let a = a0 >>> 0;
  let b = b0 >>> 0;
  let c = c0 >>> 0;
  let d = d0 >>> 0;
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
}

function seedKey(seed: number | string): string {
  if (typeof seed === "number") {
    if (!Number.isFinite(seed))
      throw new DomainError("INVALID_SEED", `seed must be finite, got ${seed}`);
    return `n:${seed}`;
  }
  return `s:${seed}`;
}

function fromKey(key: string): Rng {
  const h = xmur3(key);
  const raw = sfc32(h(), h(), h(), h());
  // The first outputs of sfc32 still correlate with the seed words.
  for (let i = 0; i < 15; i++) raw();
  const next = () => raw() / 4294967296;
  return {
    next,
    int(min, max) {
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) {
        throw new DomainError(
          "INVALID_RANGE",
          `int(${min}, ${max}) needs integers with min <= max`,
        );
      }
      return min + Math.floor(next() * (max - min + 1));
    },
    pick(items) {
      if (items.length === 0) throw new DomainError("INVALID_RANGE", "pick() from an empty list");
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    // Length-prefixed so no label can imitate a chain of forks: fork("a").fork("b") has its own key.
    fork: (label) => fromKey(`${key}\u0000${label.length}:${label}`),
  };
}

/** Numbers and strings are distinct seeds: createRng(1) and createRng("1") differ. */
export function createRng(seed: number | string): Rng {
  return fromKey(seedKey(seed));
}
