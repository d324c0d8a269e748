/**
 * The console's own pages (login, alerts, logout) are a few server-rendered forms: no script,
 * no framework. Every value is escaped where it is put into the page; only `Html` (a fragment
 * built by `html` itself) goes in as is, so escaping cannot be forgotten at a call site.
 */

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);

type Value = Html | string | number | boolean | null | undefined | ReadonlyArray<Value>;

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return (value as ReadonlyArray<Value>).map(render).join('');
  return escapeHtml(String(value));
}

/** A tagged template: `html\`<p>${text}</p>\`` escapes `text`; nested `html` fragments stay markup. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** The console's stylesheet, served at STYLESHEET_PATH (a file of its own: the pages' CSP forbids inline styles). */
export const STYLESHEET_PATH = '/admin/console.css';
export const STYLESHEET = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d232b; background: #f4f6f8; }
header { background: #151a21; color: #e8ecf1; padding: .6rem 1.2rem; display: flex; gap: 1.2rem; align-items: center; }
header a, header button { color: #e8ecf1; }
header .who { margin-left: auto; opacity: .8; }
header form { margin: 0; }
main { padding: 1.2rem; max-width: 72rem; }
h1 { font-size: 1.3rem; margin: 0 0 1rem; }
.card { background: #fff; border: 1px solid #d6dbe1; border-radius: 6px; padding: 1.2rem; }
.login { max-width: 22rem; margin: 4rem auto; }
label { display: block; margin: .6rem 0 .2rem; font-weight: 600; }
input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .45rem; border: 1px solid #aab3bd; border-radius: 4px; font: inherit; }
button { font: inherit; padding: .35rem .8rem; border-radius: 4px; border: 1px solid #3b4754; background: #2f6fdf; color: #fff; cursor: pointer; }
header button { background: transparent; border-color: #6d7a88; }
.error { background: #fde8e8; border: 1px solid #e0a3a3; color: #8a1f1f; padding: .5rem .7rem; border-radius: 4px; }
.counts { display: flex; gap: .8rem; flex-wrap: wrap; margin-bottom: 1rem; }
.count { background: #fff; border: 1px solid #d6dbe1; border-radius: 6px; padding: .5rem .9rem; }
.count strong { font-size: 1.3rem; display: block; }
.count.open strong { color: #b3261e; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid #e3e7eb; vertical-align: top; }
th { background: #eef1f4; font-weight: 600; }
tr.acknowledged { color: #6b7682; }
code { font-size: .9em; word-break: break-all; }
`;

export interface PageOptions {
  title: string;
  body: Html;
  /** The signed-in admin, shown in the header with a logout button; none on the login page. */
  user?: { name: string } | undefined;
}

/** A whole console page: the header with links to the board and the alerts, and `body`. */
export function page({ title, body, user }: PageOptions): string {
  const nav = user
    ? html`<a href="/admin/queues">Queues</a><a href="/admin/alerts">Alerts</a>
      <span class="who">${user.name}</span>
      <form method="post" action="/admin/logout"><button type="submit">Log out</button></form>`
    : html``;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Steadfast admin</title><link rel="stylesheet" href="${STYLESHEET_PATH}"></head>
<body><header><strong>Steadfast admin</strong>${nav}</header><main>${body}</main></body></html>`.value;
}
