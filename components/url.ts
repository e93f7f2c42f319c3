/**
 * A path segment as text, or null when it is not valid percent-encoding
 * (`/leaders/%E0%A4%A`): the page then answers 404 rather than a 500.
 */
export function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
