import type { ServerResponse } from 'node:http';

/**
 * Headers on every response: the page loads only its own files (no CDN, no
 * inline script), is never framed, and types are never sniffed.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

export function sendBody(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache',
    ...headers,
  });
  res.end(body);
}

/** JSON without NaN/Infinity surprises: non-finite numbers become null, as JSON requires. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendBody(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

/** An API error: `{ error: { status, message } }`. */
export function sendApiError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: { status, message } });
}

/** A small, self-contained HTML page for errors (404 of an unknown run, ...). */
export function sendErrorPage(
  res: ServerResponse,
  status: number,
  title: string,
  message: string,
): void {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · runner</title>
<link rel="stylesheet" href="/static/app.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body class="error-page">
<main class="error-box">
<p class="error-code">${status}</p>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
<p><a href="/">Back to the runs</a></p>
</main>
</body>
</html>
`;
  sendBody(res, status, 'text/html; charset=utf-8', html);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
