// Builds the portal into dist/: plain HTML, ES modules and one stylesheet.
// No bundler: the modules are copied as they are. Every asset goes under
// /assets/<hash>/ (the hash of all inputs), so a new build never mixes with
// files a browser cached from an older one; index.html itself is served
// with no-cache. Usage: npm run build   (node build.mjs [--out DIR])
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? process.argv[outArg + 1] : join(here, 'dist');
const src = join(here, 'src');
const nm = join(here, 'node_modules');

function need(path) {
  if (!existsSync(path)) {
    console.error(`build: ${relative(here, path)} is missing; run npm ci in portal/ first`);
    process.exit(1);
  }
  return path;
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

// NL Design System: the Utrecht design tokens (as the .utrecht-theme class)
// and the CSS of the components the portal uses, each from its own package
// (dependencies of @utrecht/component-library-css). Should a package be
// missing, the whole component library is used instead.
const tokens = need(join(nm, '@utrecht/design-tokens/dist/theme.css'));
const components = [
  'alert', 'body', 'breadcrumb-nav', 'button', 'button-link', 'data-list', 'document',
  'form-field', 'form-field-description', 'form-field-error-message', 'form-fieldset', 'form-label',
  'heading-1', 'heading-2', 'heading-3', 'heading-4', 'link', 'link-list', 'ordered-list', 'page-footer',
  'page-header', 'paragraph', 'pre-heading', 'radio-button', 'root', 'select', 'separator', 'skip-link',
  'status-badge', 'surface', 'table', 'textbox', 'unordered-list',
];
let componentFiles = components.map((c) => {
  const dist = join(nm, `@utrecht/${c}-css/dist`);
  return existsSync(join(dist, 'index.min.css')) ? join(dist, 'index.min.css') : join(dist, 'index.css');
});
if (!componentFiles.every(existsSync)) {
  componentFiles = [need(join(nm, '@utrecht/component-library-css/dist/index.css'))];
}

// Noto Sans (the Utrecht theme's typeface; a dependency of the tokens), Latin only.
const fontDir = need(join(nm, '@fontsource-variable/noto-sans/files'));
const fonts = [
  ['latin-wght-normal', 'normal', 'U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,U+2000-206F,U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD'],
  ['latin-ext-wght-normal', 'normal', 'U+0100-02BA,U+02BD-02C5,U+02C7-02CC,U+02CE-02D7,U+02DD-02FF,U+0304,U+0308,U+0329,U+1D00-1DBF,U+1E00-1E9F,U+1EF2-1EFF,U+2020,U+20A0-20AB,U+20AD-20C0,U+2113,U+2C60-2C7F,U+A720-A7FF'],
  ['latin-wght-italic', 'italic', 'U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,U+2000-206F,U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD'],
].map(([name, style, range]) => ({ file: need(join(fontDir, `noto-sans-${name}.woff2`)), style, range }));

const fontFaces = fonts
  .map(({ file, style, range }) =>
    `@font-face{font-family:"Noto Sans Variable";font-style:${style};font-display:swap;font-weight:100 900;` +
    `src:url("../fonts/${file.split('/').pop()}") format("woff2-variations"),url("../fonts/${file.split('/').pop()}") format("woff2");` +
    `unicode-range:${range}}`)
  .join('\n');

const ownCss = walk(join(src, 'css')).filter((f) => f.endsWith('.css')).sort();
const css = [
  '/* MijnZaken portal. NL Design System: @utrecht/design-tokens and @utrecht/*-css (EUPL-1.2), Noto Sans (OFL-1.1). */',
  fontFaces,
  ...[tokens, ...componentFiles, ...ownCss].map((f) => `/* ${relative(here, f)} */\n${readFileSync(f, 'utf8')}`),
].join('\n');

// The hash covers everything that ends up under /assets/.
const jsFiles = walk(join(src, 'js')).filter((f) => f.endsWith('.js'));
const hash = createHash('sha256');
hash.update(css);
for (const f of [...jsFiles, ...fonts.map((x) => x.file), ...walk(join(src, 'img'))].sort()) {
  hash.update(relative(here, f));
  hash.update(readFileSync(f));
}
const version = hash.digest('hex').slice(0, 12);
const assets = join(out, 'assets', version);

rmSync(out, { recursive: true, force: true });
mkdirSync(join(assets, 'css'), { recursive: true });
mkdirSync(join(assets, 'fonts'), { recursive: true });
writeFileSync(join(assets, 'css', 'mijnzaken.css'), css);
cpSync(join(src, 'js'), join(assets, 'js'), { recursive: true });
cpSync(join(src, 'img'), join(assets, 'img'), { recursive: true });
for (const { file } of fonts) cpSync(file, join(assets, 'fonts', file.split('/').pop()));
for (const f of ['favicon.svg', 'robots.txt']) cpSync(join(src, f), join(out, f));

const html = readFileSync(join(src, 'index.html'), 'utf8').replaceAll('%ASSETS%', `/assets/${version}`);
if (html.includes('%')) {
  const m = html.match(/%[A-Z_]+%/);
  if (m) { console.error(`build: unknown placeholder ${m[0]} in index.html`); process.exit(1); }
}
writeFileSync(join(out, 'index.html'), html);

const files = walk(out);
const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
console.log(`portal: built ${files.length} files (${Math.round(bytes / 1024)} KiB) into ${relative(process.cwd(), out) || '.'} (assets ${version})`);
