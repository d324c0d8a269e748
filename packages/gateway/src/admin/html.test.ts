import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, html, page } from './html.js';

test('values are escaped; nested fragments stay markup', () => {
  const name = `<script>alert("x")</script>&'`;
  assert.equal(escapeHtml(name), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  assert.equal(html`<p title="${name}">${html`<b>${name}</b>`}</p>`.value, `<p title="${escapeHtml(name)}"><b>${escapeHtml(name)}</b></p>`);
});

test('arrays are joined, absent values are empty, numbers are text', () => {
  assert.equal(html`<ul>${['a<', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.value, '<ul><li>a&lt;</li><li>b</li></ul>');
  assert.equal(html`[${undefined}${null}${false}${0}]`.value, '[0]');
});

test('a page shows the admin and a logout form only when signed in', () => {
  assert.doesNotMatch(page({ title: 'Log in', body: html`` }), /logout/);
  const signedIn = page({ title: 'Alerts', body: html``, user: { name: 'Jo <b>' } });
  assert.match(signedIn, /<form method="post" action="\/admin\/logout">/);
  assert.match(signedIn, /Jo &lt;b&gt;/);
});
