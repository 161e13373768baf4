/** The tus 1.0 protocol's headers and their encodings. */

export const TUS_VERSION = '1.0.0';

/** `Upload-Metadata`: comma-separated `key base64(value)` pairs. Keys are ASCII without spaces or commas. */
/** What an upload tells the server at creation: the file's name, the caller's metadata, and its SHA-256. */
export function uploadMetadata(
  name: string | undefined,
  extra: Record<string, string> | undefined,
  sha256: string,
): Record<string, string> {
  return { ...(name === undefined ? {} : { filename: name }), ...extra, sha256 };
}

export function encodeMetadata(metadata: Record<string, string>): string {
  return Object.entries(metadata)
    .map(([key, value]) => `${key} ${base64(value)}`)
    .join(',');
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** What a tus server said about itself in its OPTIONS answer. */
export interface TusCapabilities {
  extensions: Set<string>;
  maxSizeBytes?: number;
  checksumAlgorithms: Set<string>;
}

export function parseCapabilities(headers: { get(name: string): string | null }): TusCapabilities {
  const list = (name: string) =>
    new Set(
      (headers.get(name) ?? '')
        .split(',')
        .map((item) => item.trim().toLowerCase())
        .filter(Boolean),
    );
  const maxSize = Number(headers.get('tus-max-size'));
  const capabilities: TusCapabilities = {
    extensions: list('tus-extension'),
    checksumAlgorithms: list('tus-checksum-algorithm'),
  };
  if (Number.isFinite(maxSize) && maxSize > 0) capabilities.maxSizeBytes = maxSize;
  return capabilities;
}

/** `Upload-Expires` is an HTTP-date. */
export function parseExpires(value: string | null): number | undefined {
  if (!value) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

export function parseOffset(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

/** With the checksum extension, each chunk carries its SHA-1, so a chunk corrupted on the way is refused (and re-sent). */
export async function chunkChecksumHeader(
  capabilities: TusCapabilities | undefined,
  chunk: Uint8Array,
): Promise<Record<string, string>> {
  if (!capabilities?.extensions.has('checksum') || !capabilities.checksumAlgorithms.has('sha1')) return {};
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', chunk as Uint8Array<ArrayBuffer>));
  return { 'upload-checksum': `sha1 ${btoa(String.fromCharCode(...digest))}` };
}
