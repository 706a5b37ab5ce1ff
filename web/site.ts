/**
 * Where the web client's build lives and how its files are served; shared by the build
 * (build/web-client.ts), the local web server (local/web-server.ts) and the static hosting
 * (infra/static-site.ts), so that the three cannot disagree.
 */
import { extname } from "node:path";

/** The esbuild output: what the local web server serves and what Pulumi uploads. */
export const webClientDirectory = "dist/web";

/** The page's settings, generated next to it (never part of the build). */
export const configFileName = "config.json";

const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/** The Content-Type of a file of the build, by extension; unknown ones download as bytes. */
export function contentTypeOf(file: string): string {
  return contentTypes[extname(file).toLowerCase()] ?? "application/octet-stream";
}

/**
 * The Content-Security-Policy of the page: scripts and styles from the page's own origin only
 * (no inline code, so an injected `<script>` does not run), and network access only to the
 * WebSocket API and the Cognito endpoint the page's config names.
 */
export function contentSecurityPolicy(connectSources: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${connectSources.map(originOf).join(" ")}`.trim(),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** `wss://host:port` of a URL: CSP sources match origins; a path would have to match exactly. */
function originOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}
