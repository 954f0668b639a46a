/** How many offenders a message names before it counts the rest. */
export const offendersNamed = 5;

/**
 * Names the first `limit` of `items` (give them largest first) and counts the rest, so a message
 * about a large registry names the entries that matter instead of every one:
 * `"a 50×4, b 20×4, c 10×4, d 5×4, e 5×4 and 95 more"`.
 */
export function listOffenders(items: readonly string[], separator = ", ", limit = offendersNamed): string {
  if (items.length <= limit) return items.join(separator);
  return `${items.slice(0, limit).join(separator)} and ${items.length - limit} more`;
}
