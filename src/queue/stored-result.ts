/**
 * Results are stored as JSON, up to 64 KiB; anything else (a Response, a stream) is not kept. Returns the
 * JSON (which the store writes as it is) and the value read back from it (what `completed` reports).
 */
export function storedResult(value: unknown): { value: unknown; json: string } | undefined {
  if (value === undefined) return undefined;
  try {
    const json = JSON.stringify(value);
    return json === undefined || json.length > 65_536 ? undefined : { value: JSON.parse(json), json };
  } catch {
    return undefined;
  }
}
