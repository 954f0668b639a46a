import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/**
 * Headers on every console response: the page may not be framed (a page the operator visits
 * cannot overlay decoys on Pause or Redrive), loads nothing but its own files, and no response
 * is sniffed into another type.
 */
export const consoleSecurityHeaders: Readonly<Record<string, string>> = {
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** A fresh per-run console secret: 32 random bytes, URL-safe. */
export function createConsoleToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Whether `given` is the console's secret, in constant time: both are hashed first, so the
 * comparison runs on equal-length buffers whatever was sent.
 */
export function isConsoleToken(given: string | undefined, token: string): boolean {
  if (given === undefined || given === "") return false;
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * The session cookie's name, per port: cookies are not scoped by port, so the consoles of
 * `pnpm dev` and `dispatcher console` on one host keep their own.
 */
export function consoleCookieName(hostHeader: string | undefined): string {
  const port = /:(\d+)$/.exec(hostHeader ?? "")?.[1] ?? "80";
  return `dispatcher-console-${port}`;
}

/** The `Set-Cookie` value that holds the secret for the page: not readable by scripts, never sent cross-site. */
export function consoleSessionCookie(name: string, token: string): string {
  return `${name}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** The value of cookie `name` in a request's `Cookie` header, if any. */
export function cookieValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  for (const part of (headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
