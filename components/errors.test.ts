import { describe, expect, it } from "vitest";
import { formErrors, SOMETHING_WRONG, wordsWithMoney } from "./errors";

const labels = {
  amount: "Amount to copy with (USD)",
  copyStopLossPct: "Copy stop-loss (%)",
  consent: "Consent",
};

describe("formErrors: what a person sees when a mutation fails", () => {
  it("puts a server refusal that names the field next to that field, money formatted", () => {
    const e = formErrors(
      {
        message:
          "Amount: you have 48502.986482 USD available to allocate. Add funds or lower the amount.",
      },
      labels,
    );
    expect(e.fields.amount).toBe(
      "You have $48,502.99 available to allocate. Add funds or lower the amount.",
    );
    expect(e.form).toBeNull();
  });
  it("reads zod paths without showing them", () => {
    const e = formErrors(
      {
        message:
          "limits.copyStopLossPct: Copy stop-loss: must be between 0 and 100 %; consent: Consent: tick the box to agree to the copy terms.",
        data: {
          code: "BAD_REQUEST",
          fieldErrors: { limits: ["Copy stop-loss: must be between 0 and 100 %"] },
        },
      },
      labels,
    );
    expect(e.fields.copyStopLossPct).toBe("Must be between 0 and 100 %");
    expect(e.fields.consent).toBe("Tick the box to agree to the copy terms.");
    expect(JSON.stringify(e)).not.toMatch(/limits\.|copyStopLossPct:/);
  });
  it("never shows a library, tRPC or SQL message", () => {
    for (const message of [
      "[DecimalError] Invalid argument: abc",
      'invalid input syntax for type numeric: "abc"',
      "Cannot read properties of undefined (reading 'id')",
    ]) {
      const e = formErrors({ message }, labels);
      expect(e.form).toBe(SOMETHING_WRONG);
      expect(e.fields).toEqual({});
    }
    expect(formErrors({ message: "boom", data: { code: "INTERNAL_SERVER_ERROR" } }).form).toBe(
      SOMETHING_WRONG,
    );
    expect(formErrors({ message: "Failed to fetch" }).form).toMatch(/could not reach Tandem/);
  });
  it("a message about no field in particular is the form's", () => {
    const e = formErrors({ message: "This leader cannot be copied right now." }, labels);
    expect(e).toEqual({ fields: {}, form: "This leader cannot be copied right now." });
  });
  it("a message that starts with the field's name belongs to it", () => {
    const e = formErrors({ message: "Amount must be a number like 250.00" }, { amount: "Amount" });
    expect(e.fields.amount).toBe("Amount must be a number like 250.00");
  });
  it("formats money in sentences like the pages do", () => {
    expect(wordsWithMoney("at most 1234.5 USD and -3 EUR")).toBe("at most $1,234.50 and −€3.00");
  });
});

describe("formErrors with the shared input rules' answers", () => {
  it("reads dotted fieldErrors keys", () => {
    const e = formErrors(
      {
        message: "Copy stop-loss must be at most 99.99 %",
        data: {
          code: "BAD_REQUEST",
          fieldErrors: { "limits.copyStopLossPct": ["Copy stop-loss must be at most 99.99 %"] },
        },
      },
      labels,
    );
    expect(e).toEqual({
      fields: { copyStopLossPct: "Copy stop-loss must be at most 99.99 %" },
      form: null,
    });
  });
});
