// @ts-check
// Small DOM helpers (formatting is src/format/, shared with the CLI). Text always goes in as text nodes, never
// as HTML, so run names and config values cannot inject markup.

/** @typedef {Node | string | number | boolean | null | undefined | readonly unknown[]} Child a node, text, or a (nested) list of them */

/** @typedef {Record<string, unknown> | null | undefined} Attrs */

/**
 * `h` by tag: `h('input', ...)` is an HTMLInputElement, `h('svg:circle', ...)` an SVGElement.
 *
 * @typedef {{
 *   (tag: `svg:${string}`, attrs: Attrs, ...children: Child[]): SVGElement;
 *   <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs, ...children: Child[]): HTMLElementTagNameMap[K];
 * }} ElementFactory
 */

/**
 * h('div', { class: 'x', onclick: fn }, 'text', child) → an element.
 * Attributes starting with "on" become listeners; `dataset` sets data-*.
 */
export const h = /** @type {ElementFactory} */ (createElement);

/**
 * `h` for any tag: what the tag names is created (`document.createElement` makes it so).
 *
 * @param {string} tag an HTML tag, or `svg:tag` for an SVG element
 * @param {Attrs} attrs
 * @param {...Child} children
 * @returns {HTMLElement | SVGElement}
 */
function createElement(tag, attrs, ...children) {
  const svg = tag.startsWith('svg:');
  /** @type {HTMLElement | SVGElement} */
  const el = svg
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function')
      el.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'class' && el instanceof HTMLElement) el.className = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {readonly Child[]} children
 */
function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, /** @type {readonly Child[]} */ (child));
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * @template {Element} E
 * @param {E} el
 * @returns {E}
 */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/**
 * Replaces the element's content; null, undefined and false children are skipped.
 *
 * @template {Element} E
 * @param {E} el
 * @param {...Child} children
 * @returns {E}
 */
export function mount(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

/**
 * Triggers a download of a Blob or a data URL.
 *
 * @param {string} filename
 * @param {Blob | string} href
 */
export function download(filename, href) {
  const url = href instanceof Blob ? URL.createObjectURL(href) : href;
  const a = h('a', { href: url, download: filename, style: 'display:none' });
  document.body.append(a);
  a.click();
  a.remove();
  if (href instanceof Blob) setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
