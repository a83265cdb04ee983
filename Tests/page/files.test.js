'use strict';
// The served files as a whole: what the CSP (script-src 'self'; style-src 'self') allows.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { WEB } = require('./fixtures.js');

const files = fs.readdirSync(WEB).sort();
const read = name => fs.readFileSync(path.join(WEB, name), 'utf8');

test('every served script parses (node --check)', () => {
  const scripts = files.filter(f => f.endsWith('.js'));
  assert.ok(scripts.length >= 1);
  for (const f of scripts) {
    const r = spawnSync(process.execPath, ['--check', path.join(WEB, f)], { encoding: 'utf8' });
    assert.equal(r.status, 0, f + ': ' + r.stderr);
  }
});

test('index.html has nothing inline: no <style>, style="", inline script or on* handler', () => {
  const html = read('index.html');
  assert.doesNotMatch(html, /<style/i);
  assert.doesNotMatch(html, /\sstyle\s*=/i);
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i);
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  assert.ok(scripts.length > 0);
  for (const [, attrs, body] of scripts) {
    assert.match(attrs, /\ssrc="[^"]+"/, 'inline script');
    assert.equal(body.trim(), '');
  }
});

test('index.html loads every script and style in web/, in dependency order', () => {
  const html = read('index.html');
  const srcs = [...html.matchAll(/<script src="([^"]+)"/g)].map(m => m[1]);
  const css = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map(m => m[1]);
  assert.deepEqual(srcs, ['model.js', 'units.js', 'cards.js', 'draw.js', 'services.js', 'app.js']);
  assert.deepEqual(css, ['app.css']);
  assert.deepEqual([...srcs, ...css, 'index.html'].sort(), files);
});

test('scripts never write markup or style attributes, nor evaluate strings', () => {
  for (const f of files.filter(n => n.endsWith('.js'))) {
    const js = read(f);
    assert.doesNotMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, f);
    assert.doesNotMatch(js, /setAttribute\(\s*['"]style/, f);
    assert.doesNotMatch(js, /\beval\(|new Function\(/, f);
  }
});

test('the DOM scripts load under Node without a DOM and do nothing', () => {
  for (const f of ['draw.js', 'services.js', 'app.js']) assert.doesNotThrow(() => require(path.join(WEB, f)), f);
});
