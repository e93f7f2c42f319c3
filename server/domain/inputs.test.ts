import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  amountInput,
  checked,
  DECIMAL_RULES,
  decimalField,
  InputError,
  priceCollarProblem,
  profileInput,
  sizingInput,
  textField,
} from "./inputs";

const msg = (r: { success: boolean; error?: { issues: { message: string }[] } }) =>
  r.success ? null : r.error!.issues.map((i) => i.message).join("; ");

describe("decimals: sign, digits, range per field, in words", () => {
  it("names the field and the shape for anything that is not a plain decimal", () => {
    for (const bad of [
      "abc",
      "1e5",
      "0x10",
      "1,000",
      " ",
      "NaN",
      "Infinity",
      "١٢٣",
      "+5",
      ".5",
      "5.",
    ])
      expect(msg(amountInput.safeParse({ amount: bad }))).toMatch(/^Amount(:| must be a number)/);
    expect(msg(amountInput.safeParse({ amount: 250 }))).toBe("Amount must be a number like 250.00");
    expect(msg(amountInput.safeParse({}))).toBe("Amount must be a number like 250.00");
    expect(msg(amountInput.safeParse({ amount: "abc" }))).toBe(
      "Amount must be a number like 250.00",
    );
  });

  it("refuses a 140 000-digit number without reading it", () => {
    const huge = "9".repeat(140_000);
    const t0 = performance.now();
    expect(msg(amountInput.safeParse({ amount: huge }))).toBe(
      "Amount is too long: at most 10,000,000",
    );
    expect(performance.now() - t0).toBeLessThan(50);
  });

  it("a 40-digit multiplier or quantity is refused; the ranges hold", () => {
    const sizing = (factor: string) =>
      msg(sizingInput.safeParse({ mode: "multiplier", amount: "1000", factor }));
    expect(sizing("1".repeat(40))).toBe("Multiplier is too long: at most 10");
    expect(sizing("10.0001")).toBe("Multiplier must be at most 10");
    expect(sizing("0")).toBe("Multiplier must be greater than 0");
    expect(sizing("-1")).toBe("Multiplier cannot be negative");
    expect(sizing("0.00001")).toBe("Multiplier can have at most 4 digits after the point");
    expect(sizing("2.5")).toBeNull();
    const qty = decimalField(DECIMAL_RULES.qty);
    expect(msg(qty.safeParse("1".repeat(40)))).toBe("Quantity is too long: at most 1,000,000,000");
    expect(msg(qty.safeParse("0.000000001"))).toBe(
      "Quantity can have at most 8 digits after the point",
    );
    expect(msg(amountInput.safeParse({ amount: "10000000.01" }))).toBe(
      "Amount must be at most 10,000,000",
    );
    expect(msg(amountInput.safeParse({ amount: "0" }))).toBe("Amount must be greater than 0");
    expect(msg(amountInput.safeParse({ amount: "0010" }))).toBeNull();
  });

  it("property: whatever string comes in, the answer is a sentence that starts with the label", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (v) => {
        const r = amountInput.safeParse({ amount: v });
        if (!r.success) expect(r.error.issues[0]!.message).toMatch(/^Amount\b/);
        else expect(r.data.amount).toMatch(/^\d{1,8}(\.\d{1,2})?$/);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("prices keep to a collar around the last quote", () => {
  const quote = { bid: "199.99", ask: "200.01" };
  it("inside is fine, outside is named with the band", () => {
    expect(priceCollarProblem("210.00", quote)).toBeNull();
    expect(priceCollarProblem("2000.00", quote)).toBe(
      "Limit price must be within 25 % of the last price 200.00: between 150.00 and 250.00",
    );
    expect(priceCollarProblem("100", quote)).toMatch(/^Limit price must be within 25 %/);
  });
});

describe("text: length, no control characters, valid Unicode", () => {
  const bio = textField({ label: "Bio", max: 500, multiline: true });
  const name = textField({ label: "Display name", min: 2, max: 60 });
  it("refuses NUL, other controls, lone surrogates and bidi overrides; keeps line breaks in bios", () => {
    expect(msg(bio.safeParse("a\u0000b"))).toBe(
      "Bio contains invisible control characters; remove them",
    );
    expect(msg(bio.safeParse("broken \ud800 text"))).toBe(
      "Bio contains characters that are not valid text; retype it",
    );
    expect(msg(bio.safeParse("end \udc00"))).toMatch(/not valid text/);
    expect(msg(name.safeParse("evil\u202egnp.exe"))).toMatch(/control characters/);
    expect(msg(name.safeParse("two\nlines"))).toMatch(/control characters/);
    expect(bio.safeParse("two\nlines\tand a tab").success).toBe(true);
    expect(bio.safeParse("emoji 😀 are fine").success).toBe(true);
    expect(msg(bio.safeParse("x".repeat(501)))).toBe("Bio: at most 500 characters");
    expect(msg(name.safeParse(" a "))).toBe("Display name: at least 2 characters");
    expect(msg(bio.safeParse(42))).toBe("Bio must be text");
  });

  it("counts characters, not UTF-16 units, and normalizes", () => {
    expect(name.safeParse("😀".repeat(60)).success).toBe(true);
    expect(name.parse("Cafe\u0301")).toBe("Café");
  });

  it("property: accepted text is well-formed and free of controls", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), (v) => {
        const r = profileInput.shape.displayName.safeParse(v);
        if (r.success) {
          expect(r.data).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
          expect(r.data).not.toMatch(
            /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
          );
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("checked(): a tRPC parser whose rejection is words, not JSON", () => {
  it("throws an InputError naming each field", async () => {
    const parser = checked(amountInput);
    await expect(parser.parseAsync({ amount: "abc" })).rejects.toBeInstanceOf(InputError);
    await expect(parser.parseAsync({ amount: "abc" })).rejects.toThrow(
      /^Amount must be a number like 250\.00$/,
    );
    await expect(parser.parseAsync({ amount: "12.5" })).resolves.toEqual({ amount: "12.5" });
  });
});
