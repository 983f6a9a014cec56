"""What the browser walk measures on a console page, in the page itself.

- the page's own horizontal overflow (``scrollWidth`` beyond the viewport);
- text clipped by its own box: table cells, buttons and menu links whose ``scrollWidth``
  exceeds their ``clientWidth`` (a table inside .table-wrap may scroll; its cells may not clip);
- tap targets under 44 px on a phone (buttons, links styled as buttons, fields, menu links);
- every action offered: the POST forms (action and fields, the visible ones blanked so that
  submitting them asks the server "may I?" without doing much) and the links within the console.
"""
from __future__ import annotations

MEASURE = r"""
() => {
  const visible = el => {
    if (el.closest('[hidden]')) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const label = el => (el.tagName + ' ' + (el.id ? '#' + el.id + ' ' : '') + (el.textContent || el.name || '').trim().replace(/\s+/g, ' ')).slice(0, 80);
  const out = {scrollWidth: document.documentElement.scrollWidth, viewport: window.innerWidth,
               clipped: [], small: [], forms: [], links: []};
  for (const el of document.querySelectorAll('td, th, button, .button, nav a, .tile .value')) {
    if (visible(el) && el.scrollWidth > el.clientWidth + 1) out.clipped.push(label(el) + ` (${el.scrollWidth}>${el.clientWidth})`);
  }
  for (const el of document.querySelectorAll('button, a.button, input:not([type=hidden]):not([type=checkbox]), select, nav a, .pager a, td.actions a')) {
    if (visible(el) && el.getBoundingClientRect().height < 43.5) out.small.push(label(el) + ` (${el.getBoundingClientRect().height}px)`);
  }
  for (const form of document.querySelectorAll('form')) {
    if ((form.getAttribute('method') || 'get').toLowerCase() !== 'post' || form.classList.contains('logout')) continue;
    if (!visible(form) && !form.querySelector('button')) continue;
    const fields = [];
    for (const el of form.elements) {
      if (!el.name || el.type === 'submit' || el.type === 'file') continue;
      if (el.type === 'checkbox') continue;
      fields.push([el.name, el.type === 'hidden' ? el.value : '']);
    }
    // As a click would: the first submit button's own name and value go with the form.
    const submit = [...form.elements].find(el => el.type === 'submit' && el.name);
    if (submit) fields.push([submit.name, submit.value]);
    out.forms.push({action: form.action, fields});
  }
  for (const a of document.querySelectorAll('a[href]')) {
    const url = new URL(a.href, location.href);
    if (url.origin === location.origin && url.pathname.startsWith('/console/') && !a.closest('.photos') && visible(a)) out.links.push(url.pathname + url.search);
  }
  return out;
}
"""
