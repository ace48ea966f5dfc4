// DOM building for the console's pages, with no HTML strings: h(tag, attrs, ...children) and
// svg(tag, attrs, ...children) make elements whose every value is set as a text node or an
// attribute value, so nothing a node, a job or a queue says about itself can become markup.
// patch(parent, children) brings a live element in line with freshly built children, keeping
// the elements that stay: a snapshot every second must not swallow a click in progress (a
// press and its release must land on the same element) nor reset a scrolled table.
'use strict';
(function () {
  const { Node } = window;
  const SVG_NS = 'http://www.w3.org/2000/svg';

  /** Children: nodes, strings and numbers (as text), arrays of them; null, undefined, false skipped. */
  function append(el, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) append(el, child);
      else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  /** attrs: name → value (null, undefined, false: left out; true: present). `key`: see patch. */
  function build(ns, tag, attrs, children) {
    const el = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      // Handlers are delegated on the page; links stay inside the console.
      if (/^on/i.test(name)) throw new Error(`no inline handler: ${name}`);
      if (name === 'href' && !/^[#/]/.test(String(value))) throw new Error(`no link out: ${value}`);
      el.setAttribute(name === 'key' ? 'data-key' : name, value === true ? '' : String(value));
    }
    append(el, children);
    return el;
  }

  const h = (tag, attrs, ...children) => build(null, tag, attrs, children);
  const svg = (tag, attrs, ...children) => build(SVG_NS, tag, attrs, children);

  /**
   * Two nodes are the same place on the page when they have the same kind, tag and `key`: a
   * row keyed by its node id is never reused for another node (a press on one node's Stop must
   * not land on the next node's).
   */
  function same(a, b) {
    if (a.nodeType !== b.nodeType || a.nodeName !== b.nodeName) return false;
    return (
      a.nodeType !== Node.ELEMENT_NODE || a.getAttribute('data-key') === b.getAttribute('data-key')
    );
  }

  function update(live, fresh) {
    if (live.nodeType !== Node.ELEMENT_NODE) {
      if (live.nodeValue !== fresh.nodeValue) live.nodeValue = fresh.nodeValue;
      return;
    }
    for (const { name } of [...live.attributes])
      if (!fresh.hasAttribute(name)) live.removeAttribute(name);
    for (const { name, value } of fresh.attributes)
      if (live.getAttribute(name) !== value) live.setAttribute(name, value);
    patch(live, [...fresh.childNodes]);
  }

  /** Makes parent's children look like `children`, reusing each live node that is the same. */
  function patch(parent, children) {
    const box = document.createDocumentFragment();
    append(box, children);
    const fresh = [...box.childNodes];
    const live = [...parent.childNodes];
    fresh.forEach((node, i) => {
      const old = live[i];
      if (old === undefined) parent.append(node);
      else if (same(old, node)) update(old, node);
      else parent.replaceChild(node, old);
    });
    for (const old of live.slice(fresh.length)) old.remove();
  }

  window.WMDom = { h, svg, patch };
})();
