import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * Secrets at rest (broker API secrets): AES-256-GCM with a random 96-bit IV per value and the
 * owning row's id as additional authenticated data, so a sealed value copied onto another
 * row does not open. The key comes from TANDEM_SECRET_KEY (32 bytes, base64 or hex) or is
 * generated once into .data/secret-key (mode 0600). Rotation (docs/adr/0021): set the new
 * key, keep the old ones in TANDEM_SECRET_KEY_PREVIOUS (comma-separated) until every value
 * was re-sealed (`reseal`); each sealed value names the key it was sealed with.
 */

export type SecretKey = { id: string; key: Buffer };

const VERSION = "v1";

function parseKey(text: string, source: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, "hex") : Buffer.from(t, "base64");
  if (key.length !== 32)
    throw new Error(
      `${source} must be 32 bytes (64 hex digits or base64), got ${key.length} bytes`,
    );
  return key;
}

export function keyId(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 12);
}

export class SecretBox {
  private readonly byId: Map<string, Buffer>;

  constructor(
    private readonly current: SecretKey,
    previous: SecretKey[] = [],
  ) {
    this.byId = new Map([current, ...previous].map((k) => [k.id, k.key]));
  }

  /** From the environment, else the key generated into `<dataDir>/secret-key`. */
  static fromEnv(
    env: Record<string, string | undefined> = process.env,
    dataDir = path.resolve(".data"),
  ): SecretBox {
    let key: Buffer;
    if (env.TANDEM_SECRET_KEY) key = parseKey(env.TANDEM_SECRET_KEY, "TANDEM_SECRET_KEY");
    else {
      const file = path.join(dataDir, "secret-key");
      if (fs.existsSync(file)) key = parseKey(fs.readFileSync(file, "utf8"), file);
      else {
        fs.mkdirSync(dataDir, { recursive: true });
        key = randomBytes(32);
        fs.writeFileSync(file, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
      }
    }
    const previous = (env.TANDEM_SECRET_KEY_PREVIOUS ?? "")
      .split(",")
      .filter((s) => s.trim())
      .map((s) => parseKey(s, "TANDEM_SECRET_KEY_PREVIOUS"));
    return new SecretBox(
      { id: keyId(key), key },
      previous.map((k) => ({ id: keyId(k), key: k })),
    );
  }

  /** `v1:<keyId>:<iv>:<tag>:<ciphertext>` (base64url parts). `context` must be given to open it. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.current.key, iv);
    c.setAAD(Buffer.from(context, "utf8"));
    const ct = Buffer.concat([c.update(plaintext, "utf8"), c.final()]);
    const tag = c.getAuthTag();
    return [VERSION, this.current.id, iv, tag, ct]
      .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
      .join(":");
  }

  /** The plaintext; throws (without saying more) if tampered with, bound elsewhere, or the key is gone. */
  open(sealed: string, context: string): string {
    const parts = sealed.split(":");
    if (parts.length !== 5 || parts[0] !== VERSION) throw new Error("not a sealed secret");
    const key = this.byId.get(parts[1]!);
    if (!key) throw new Error(`secret sealed with key ${parts[1]}, which is not configured`);
    const [iv, tag, ct] = parts.slice(2).map((p) => Buffer.from(p, "base64url"));
    const d = createDecipheriv("aes-256-gcm", key, iv!);
    d.setAAD(Buffer.from(context, "utf8"));
    d.setAuthTag(tag!);
    try {
      return Buffer.concat([d.update(ct!), d.final()]).toString("utf8");
    } catch {
      throw new Error("sealed secret does not open (tampered, or bound to another record)");
    }
  }

  /** True when the value was sealed with an older key and should be re-sealed. */
  isStale(sealed: string): boolean {
    return sealed.split(":")[1] !== this.current.id;
  }

  reseal(sealed: string, context: string): string {
    return this.seal(this.open(sealed, context), context);
  }
}
