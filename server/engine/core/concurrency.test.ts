import { describe, expect, it } from "vitest";
import { forEachLimit } from "./concurrency";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("forEachLimit", () => {
  it("runs at most `limit` at once and every item once", async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await forEachLimit([1, 2, 3, 4, 5, 6, 7], 3, async (i) => {
      running++;
      most = Math.max(most, running);
      await tick(5);
      done.push(i);
      running--;
    });
    expect(most).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("after a failure starts nothing new and returns only when the running items are done", async () => {
    const started: number[] = [];
    let slowDone = false;
    const call = forEachLimit([1, 2, 3, 4, 5], 2, async (i) => {
      started.push(i);
      if (i === 1) {
        await tick(1);
        throw new Error("part 1 failed");
      }
      await tick(30);
      if (i === 2) slowDone = true;
    });
    await expect(call).rejects.toThrow("part 1 failed");
    // Item 2 was running when 1 failed: the call waited for it; 3, 4 and 5 never started.
    expect(slowDone).toBe(true);
    expect(started).toEqual([1, 2]);
  });
});
