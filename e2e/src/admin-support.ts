/**
 * What the admin console's browser test needs besides the system: Debian's Chromium driven by
 * puppeteer-core (nothing downloaded at run time), a TCP proxy in front of Elasticsearch that
 * the test cuts and restores (the shared Elasticsearch itself is never stopped), and a page on
 * another origin that posts a form at the console.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, connect, type Socket } from 'node:net';
import puppeteer, { type Browser, type HTTPResponse, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** Fills the console's login form and submits it; the answer to the form's POST. */
export async function logInOnPage(page: Page, gateway: string, username: string, password: string): Promise<HTTPResponse> {
  if (!page.url().startsWith(`${gateway}/admin/login`)) await page.goto(`${gateway}/admin/login`);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  if (!response) throw new Error('the login form led nowhere');
  // The POST's own answer (a 303 is followed: its request chain holds the POST).
  const chain = response.request().redirectChain();
  return chain[0]?.response() ?? response;
}

/** A TCP proxy to 127.0.0.1:`port`: `cut()` drops every connection and refuses new ones until `restore()`. */
export async function cuttableProxy(port: number): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let cut = false;
  const server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${own}`,
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A site on another origin (another port of the same host: same-site, so a SameSite=Strict
 * cookie still goes with its requests) whose page posts a hidden form at `action` on load.
 */
export async function crossSitePoster(): Promise<{ origin: string; pageFor(action: string): string; close(): Promise<void> }> {
  const server: Server = createHttpServer((request, response) => {
    const action = new URL(request.url ?? '/', 'http://x').searchParams.get('action') ?? '';
    const escaped = action.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    response.writeHead(200, { 'content-type': 'text/html' }).end(
      `<!doctype html><title>You won a prize</title><form id="f" method="post" action="${escaped}"><input name="x" value="1"></form>` +
        `<script>document.getElementById('f').submit()</script>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    pageFor: (action) => `${origin}/?action=${encodeURIComponent(action)}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
