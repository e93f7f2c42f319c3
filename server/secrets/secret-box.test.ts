import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SecretBox } from "./secret-box";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "tandem-secrets-"));

describe("SecretBox (AES-256-GCM at rest)", () => {
  it("seals and opens; the ciphertext holds no plaintext and differs each time", () => {
    const box = SecretBox.fromEnv({ TANDEM_SECRET_KEY: randomBytes(32).toString("hex") });
    const a = box.seal("alpaca-secret-123", "broker_account:1");
    const b = box.seal("alpaca-secret-123", "broker_account:1");
    expect(a).not.toBe(b);
    expect(a).not.toContain("alpaca-secret-123");
    expect(box.open(a, "broker_account:1")).toBe("alpaca-secret-123");
  });

  it("refuses a tampered value and a value moved to another record", () => {
    const box = SecretBox.fromEnv({ TANDEM_SECRET_KEY: randomBytes(32).toString("base64") });
    const s = box.seal("k", "broker_account:1");
    const parts = s.split(":");
    parts[4] = Buffer.from("x").toString("base64url");
    expect(() => box.open(parts.join(":"), "broker_account:1")).toThrow(/does not open/);
    expect(() => box.open(s, "broker_account:2")).toThrow(/does not open/);
  });

  it("rotation: the previous key still opens, reseal moves a value to the current key", () => {
    const oldKey = randomBytes(32).toString("hex");
    const newKey = randomBytes(32).toString("hex");
    const before = SecretBox.fromEnv({ TANDEM_SECRET_KEY: oldKey });
    const sealed = before.seal("s3cret", "ctx");
    const after = SecretBox.fromEnv({
      TANDEM_SECRET_KEY: newKey,
      TANDEM_SECRET_KEY_PREVIOUS: oldKey,
    });
    expect(after.isStale(sealed)).toBe(true);
    const moved = after.reseal(sealed, "ctx");
    expect(after.isStale(moved)).toBe(false);
    expect(SecretBox.fromEnv({ TANDEM_SECRET_KEY: newKey }).open(moved, "ctx")).toBe("s3cret");
    expect(() => SecretBox.fromEnv({ TANDEM_SECRET_KEY: newKey }).open(sealed, "ctx")).toThrow(
      /not configured/,
    );
  });

  it("without TANDEM_SECRET_KEY a key is generated into the data directory (0600) and reused", () => {
    const dir = tmp();
    const s = SecretBox.fromEnv({}, dir).seal("x", "c");
    const mode = fs.statSync(path.join(dir, "secret-key")).mode & 0o777;
    expect(mode).toBe(0o600);
    expect(SecretBox.fromEnv({}, dir).open(s, "c")).toBe("x");
    expect(() => SecretBox.fromEnv({ TANDEM_SECRET_KEY: "short" })).toThrow(
      /TANDEM_SECRET_KEY must be 32 bytes/,
    );
  });
});
