// JSON as Go's encoding/json writes a map[string]any: keys sorted, and <, >, & (plus U+2028 and
// U+2029) escaped, so `<` in a markdown image reads `\u003c` on the wire.

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(object)
        .filter((key) => object[key] !== undefined)
        .sort()
        .map((key) => [key, sortKeys(object[key])])
    );
  }
  return value;
}

const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029'
};

export function goJson(value: unknown): string {
  // These characters can only occur inside JSON strings, so replacing them everywhere is safe.
  return JSON.stringify(sortKeys(value)).replace(/[<>&\u2028\u2029]/g, (character) => GO_ESCAPES[character] ?? character);
}
