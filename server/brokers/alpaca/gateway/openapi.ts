import fs from "node:fs";
import path from "node:path";
import { OpenAPIBackend, type Operation } from "openapi-backend";
import addFormats from "ajv-formats";

/**
 * Alpaca's published OpenAPI description (kept at ../shared/reference/alpaca-trading-api.json)
 * as a validator of the local gateway's requests and responses: the gateway speaks the
 * documented API or the tests fail, so it cannot drift into a protocol of our own.
 */

export function specPath(): string {
  const fromEnv = process.env.ALPACA_OPENAPI_SPEC;
  if (fromEnv) return fromEnv;
  // The working tree lives beside shared/ (…/main and …/shared; CI: a clone beside a copy).
  const candidates = [
    path.resolve(process.cwd(), "../shared/reference/alpaca-trading-api.json"),
    path.resolve(import.meta.dirname, "../../../../../shared/reference/alpaca-trading-api.json"),
  ];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found)
    throw new Error(
      `Alpaca's OpenAPI description was not found (looked in ${candidates.join(", ")}); set ALPACA_OPENAPI_SPEC`,
    );
  return found;
}

export type Violation = { where: string; errors: string[] };

/**
 * openapi-backend's router and ajv validators on the published document. The document is
 * OpenAPI 3.1 (`type: [string, null]`), which openapi-backend's own meta-validation of the
 * definition (3.0 only) rejects, so `quick` skips that check; the operations' schemas are
 * compiled and enforced as written.
 */
export class AlpacaSpec {
  private constructor(private readonly api: OpenAPIBackend) {}

  static async load(file = specPath()): Promise<AlpacaSpec> {
    const definition = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    const api = new OpenAPIBackend({
      definition: definition as never,
      quick: true,
      strict: false,
      validate: true,
      ajvOpts: { strict: false, allErrors: true },
      customizeAjv: (ajv) => {
        addFormats(ajv as never);
        // OpenAPI's own formats that JSON Schema does not define.
        ajv.addFormat("decimal", /^-?\d+(\.\d+)?$/);
        ajv.addFormat("int32", true);
        ajv.addFormat("int64", true);
        ajv.addFormat("double", true);
        ajv.addFormat("float", true);
        return ajv;
      },
    });
    await api.init();
    return new AlpacaSpec(api);
  }

  operation(method: string, pathname: string): Operation | undefined {
    return this.api.router.matchOperation({
      method: method.toLowerCase(),
      path: pathname,
      headers: {},
    });
  }

  validateRequest(req: {
    method: string;
    path: string;
    query: Record<string, string>;
    headers: Record<string, string>;
    body?: unknown;
  }): string[] {
    const r = this.api.validator.validateRequest({
      method: req.method.toLowerCase(),
      path: req.path,
      query: req.query,
      headers: req.headers,
      body: req.body,
    });
    return r.valid ? [] : describe(r.errors);
  }

  validateResponse(op: Operation, status: number, body: unknown): string[] {
    const r = this.api.validator.validateResponse(body, op, status);
    return r.valid ? [] : describe(r.errors);
  }
}

type ErrorObject = { instancePath: string; keyword: string; message?: string; params: unknown };

function describe(errors: ErrorObject[] | null | undefined): string[] {
  const out: string[] = [];
  for (const e of errors ?? []) {
    // The published document lists FILL items as oneOf [TradingActivities,
    // NonTradeActivities]; neither has required fields, so a fill matches both and strict
    // oneOf fails on a correct body. Matching both is accepted; matching neither is not.
    const passing = (e.params as { passingSchemas?: unknown }).passingSchemas;
    if (e.keyword === "oneOf" && Array.isArray(passing) && passing.length > 1) continue;
    out.push(`${e.instancePath || "(body)"} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
  }
  return out;
}
