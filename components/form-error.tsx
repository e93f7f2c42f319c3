import type { ReactNode } from "react";

/**
 * The one way a form says what is wrong: next to the field, in words. Pair with
 * `fieldProps(id, message)` on the input so screen readers read the message with the field.
 */
export function FieldError({ id, message }: { id: string; message?: string | null }) {
  if (!message) return null;
  return (
    <span id={`${id}-error`} className="field-error" role="alert" data-testid={`${id}-error`}>
      {message}
    </span>
  );
}

/** aria wiring for an input that may carry an error. */
export function fieldProps(id: string, message?: string | null) {
  return {
    id,
    "aria-invalid": message ? true : undefined,
    "aria-describedby": message ? `${id}-error` : undefined,
  } as const;
}

/** A message about the form as a whole (not about one field), above the submit button. */
export function FormMessage({
  message,
  ok,
  children,
}: {
  message?: string | null;
  ok?: boolean;
  children?: ReactNode;
}) {
  if (!message && !children) return null;
  return (
    <p role={ok ? "status" : "alert"} className={ok ? "form-ok" : "form-error"}>
      {message}
      {children}
    </p>
  );
}
